//! Scoring one adoption rate: the positives with the app publish, every other phone with the
//! app matches, and notices are compared with the ground truth — per person (the system's
//! precision and recall), per close-contact pair (what share of all close contacts got a
//! notice), and per pair type (platform and scheme of receiver and sender).

use std::collections::{BTreeMap, HashMap};

use proxtrace::identifier::Scheme;
use proxtrace::matching::{DailySummariesConfig, Engine, FastEngine, MatchConfig, Matcher};
use proxtrace::published::{BluezoneDiagnosisKey, GaenDiagnosisKey, ReportType};
use proxtrace::tracer::TracerError;
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;
use rayon::prelude::*;
use serde::Serialize;

use super::SimError;
use super::driver::{NO_PHONE, World};
use super::phone::PhoneKind;
use super::publish;
use super::radio::TX_POWER_DBM;

/// The scoring the simulation notifies with: GAEN v2 defaults for thresholds (55/63/73 dB),
/// with bucket weights 1.0 / 0.5 / 0 / 0, so that 15 minutes close by (or 30 minutes a few
/// metres away) reach the 900 threshold. Bluezone IDs carry no TX power: the phones' own
/// calibrated TX power is assumed.
pub fn scoring() -> MatchConfig {
    let mut m = MatchConfig {
        scoring: DailySummariesConfig {
            attenuation_bucket_weights: [1.0, 0.5, 0.0, 0.0],
            ..DailySummariesConfig::default()
        },
        ..MatchConfig::default()
    };
    m.bluezone.default_tx_power_dbm = TX_POWER_DBM;
    m
}

/// A matcher on the fast engine (one thread each: phones are matched in parallel).
pub(crate) fn matcher(config: MatchConfig, seed: u64) -> Result<Matcher, SimError> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let engine = FastEngine::new(1, &mut rng).map_err(|e| SimError::Publish(e.to_string()))?;
    Ok(Matcher::new(config)
        .map_err(|e| SimError::Publish(e.to_string()))?
        .with_engine(Engine::Fast(engine)))
}

/// Close contacts and notices of one (receiver kind, sender kind).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairType {
    /// The receiver (the contact who may be notified): `android-gaen`, `ios-bluezone`…
    pub receiver: String,
    /// The sender (the positive person).
    pub sender: String,
    /// Close contacts of this type (both installed).
    pub close_contacts: usize,
    /// Of those, notified by the sender's keys.
    pub notified: usize,
    /// `notified / close_contacts`.
    pub recall: Option<f64>,
    /// Pairs not in close contact whose sender's keys counted toward a notice.
    pub false_notifications: usize,
}

/// The figures of one adoption rate.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Evaluation {
    pub(crate) phones: usize,
    pub(crate) positives: usize,
    pub(crate) published_keys: usize,
    pub(crate) published_bytes: usize,
    pub(crate) exposed: usize,
    pub(crate) notified: usize,
    pub(crate) true_positives: usize,
    pub(crate) false_positives: usize,
    pub(crate) false_negatives: usize,
    pub(crate) true_negatives: usize,
    pub(crate) close_contacts_all: usize,
    pub(crate) close_contacts_both_installed: usize,
    pub(crate) notified_close_contacts: usize,
    pub(crate) pair_types: Vec<PairType>,
    /// People notified (sorted), and whether each was exposed.
    pub(crate) notified_people: Vec<(u32, bool)>,
}

/// Score `world` with the phones for which `active(person)` holds.
pub(crate) fn evaluate(
    world: &World,
    positive: &[bool],
    kinds: &[PhoneKind],
    active: &(dyn Fn(usize) -> bool + Sync),
    matcher: &Matcher,
) -> Result<Evaluation, SimError> {
    let on = |i: usize| world.phone_of[i] != NO_PHONE && active(i);
    // Publication: the active positives' keys, through the wire formats.
    let mut gaen: Vec<GaenDiagnosisKey> = Vec::new();
    let mut bluezone: Vec<BluezoneDiagnosisKey> = Vec::new();
    let mut owner_gaen: HashMap<[u8; 16], u32> = HashMap::new();
    let mut owner_bz: HashMap<[u8; 32], u32> = HashMap::new();
    let mut positives = 0;
    for (p, keys) in world.published.iter().filter(|(p, _)| on(*p as usize)) {
        positives += 1;
        for k in &keys.gaen {
            owner_gaen.insert(*k.key.expose_secret(), *p);
            let mut k = k.clone();
            k.report_type = ReportType::ConfirmedTest;
            gaen.push(k);
        }
        for k in &keys.bluezone {
            owner_bz.insert(*k.daily_key.expose_secret(), *p);
            bluezone.push(k.clone());
        }
    }
    let published_keys = gaen.len() + bluezone.len();
    let (gaen, bluezone, published_bytes) = publish::round_trip(gaen, bluezone)?;
    let owners_gaen: Vec<u32> = gaen
        .iter()
        .map(|k| {
            owner_gaen
                .get(k.key.expose_secret())
                .copied()
                .unwrap_or(u32::MAX)
        })
        .collect();
    let owners_bz: Vec<u32> = bluezone
        .iter()
        .map(|k| {
            owner_bz
                .get(k.daily_key.expose_secret())
                .copied()
                .unwrap_or(u32::MAX)
        })
        .collect();
    let threshold = matcher.config().scoring.notification_threshold;
    let min_window = matcher.config().scoring.minimum_window_score;
    // Every other active phone matches: notified, and which positives' keys made it so.
    let matched: Vec<(u32, bool, Vec<u32>)> = world
        .phones
        .par_iter()
        .filter(|p| on(p.person as usize) && !positive[p.person as usize])
        .map(|p| {
            let r = p.tracer.match_with(&gaen, &bluezone, matcher)?;
            let days: Vec<_> = r
                .daily_summaries
                .iter()
                .filter(|d| d.score_sum >= threshold)
                .map(|d| d.day)
                .collect();
            let mut by: Vec<u32> = r
                .exposure_windows
                .iter()
                .filter(|w| days.contains(&w.day) && w.score > 0.0 && w.score >= min_window)
                .map(|w| {
                    let owners = match w.scheme {
                        Scheme::Gaen => &owners_gaen,
                        Scheme::Bluezone => &owners_bz,
                    };
                    owners
                        .get(w.diagnosis_key_index)
                        .copied()
                        .unwrap_or(u32::MAX)
                })
                .collect();
            by.sort_unstable();
            by.dedup();
            Ok((p.person, r.exposed, by))
        })
        .collect::<Result<_, TracerError>>()?;
    let mut e = Evaluation {
        phones: (0..positive.len()).filter(|&i| on(i)).count(),
        positives,
        published_keys,
        published_bytes,
        exposed: 0,
        notified: 0,
        true_positives: 0,
        false_positives: 0,
        false_negatives: 0,
        true_negatives: 0,
        close_contacts_all: 0,
        close_contacts_both_installed: 0,
        notified_close_contacts: 0,
        pair_types: Vec::new(),
        notified_people: Vec::new(),
    };
    let notified_by: HashMap<u32, &[u32]> = matched
        .iter()
        .filter(|(_, n, _)| *n)
        .map(|(c, _, by)| (*c, by.as_slice()))
        .collect();
    let mut exposed = vec![false; positive.len()];
    let mut types: BTreeMap<(PhoneKind, PhoneKind), PairType> = BTreeMap::new();
    for &(p, c) in world
        .close_pairs
        .iter()
        .filter(|(_, c)| !positive[*c as usize])
    {
        e.close_contacts_all += 1;
        let (p, c) = (p as usize, c as usize);
        if !(on(p) && on(c)) {
            continue;
        }
        e.close_contacts_both_installed += 1;
        exposed[c] = true;
        let t = pair_type(&mut types, kinds[c], kinds[p]);
        t.close_contacts += 1;
        if notified_by
            .get(&(c as u32))
            .is_some_and(|by| by.contains(&(p as u32)))
        {
            e.notified_close_contacts += 1;
            t.notified += 1;
        }
    }
    for (&c, by) in &notified_by {
        for &p in by.iter().filter(|&&p| p != u32::MAX) {
            if world.close_pairs.binary_search(&(p, c)).is_err() {
                pair_type(&mut types, kinds[c as usize], kinds[p as usize]).false_notifications +=
                    1;
            }
        }
    }
    for (c, notified, _) in &matched {
        let ex = exposed[*c as usize];
        e.exposed += usize::from(ex);
        e.notified += usize::from(*notified);
        match (ex, *notified) {
            (true, true) => e.true_positives += 1,
            (false, true) => e.false_positives += 1,
            (true, false) => e.false_negatives += 1,
            (false, false) => e.true_negatives += 1,
        }
        if *notified {
            e.notified_people.push((*c, ex));
        }
    }
    e.notified_people.sort_unstable();
    e.pair_types = types
        .into_values()
        .map(|mut t| {
            t.recall = ratio(t.notified, t.close_contacts);
            t
        })
        .collect();
    Ok(e)
}

fn pair_type(
    types: &mut BTreeMap<(PhoneKind, PhoneKind), PairType>,
    rx: PhoneKind,
    tx: PhoneKind,
) -> &mut PairType {
    types.entry((rx, tx)).or_insert_with(|| PairType {
        receiver: rx.label(),
        sender: tx.label(),
        close_contacts: 0,
        notified: 0,
        recall: None,
        false_notifications: 0,
    })
}

/// `a / b`, or `None` when `b` is 0.
pub(crate) fn ratio(a: usize, b: usize) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}
