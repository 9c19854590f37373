//! The evaluation itself: load, replay, match, score.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use proxtrace::btsnoop::UtcOffset;
use proxtrace::calibration::{
    CalibrationBasis, CalibrationLookup, CalibrationTable, DeviceCalibration,
};
use proxtrace::identifier::Identifier;
use proxtrace::matching::{
    BucketAttenuation, EncounterIndex, MatchConfig, Matcher, median_logged_rssi,
};
use proxtrace::sighting::ScanAggregate;
use proxtrace::tracer::TracerConfig;
use serde::Serialize;

use super::data::{self, Camera, MANUFACTURER, PhoneLog};
use super::replay::{self, PairMatch, Sender, SenderSlot, Sighting};
use super::stats::{self, Confusion};
use super::truth::{self, Pair};
use super::{EvalError, gaen};

/// Where sightings come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Every GAEN report in the phones' HCI snoop logs (complete).
    Btsnoop,
    /// The scenario databases (they drop each RPI first advertised before the scenario).
    Database,
}

impl Source {
    fn name(self) -> &'static str {
        match self {
            Self::Btsnoop => "btsnoop",
            Self::Database => "database",
        }
    }
}

/// Offsets tried when `fit_offset` is on, dB (the grid of the research that preceded this
/// command, fixed before any fit).
pub const FIT_OFFSETS_DB: std::ops::RangeInclusive<i8> = -10..=10;

/// What to evaluate.
#[derive(Debug, Clone)]
pub struct EvalOptions {
    /// The experiment folder (`dp3t-exp34`).
    pub dir: PathBuf,
    /// A calibration table; `None`: every phone uncalibrated ([`DeviceCalibration::UNCALIBRATED`]).
    pub calibration: Option<CalibrationTable>,
    /// The match configuration.
    pub match_config: MatchConfig,
    /// Sightings from the snoop logs or the databases.
    pub source: Source,
    /// Also align and score Google's GAEN output (`backend-checks/`).
    pub gaen_backend: bool,
    /// Fit `attenuation.offset_db` leave-one-scenario-out (added to the configured one).
    pub fit_offset: bool,
    /// UTC offset of the phones' and cameras' clocks, seconds.
    pub utc_offset_secs: i64,
    /// Bootstrap resamples.
    pub resamples: usize,
    /// Seed of the bootstrap (and of the tracers' key generation).
    pub seed: u64,
}

impl EvalOptions {
    /// Defaults for a folder: btsnoop source, no table, GAEN's match configuration, 2 000
    /// resamples, seed 0, UTC+2.
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            calibration: None,
            match_config: MatchConfig::default(),
            source: Source::Btsnoop,
            gaen_backend: false,
            fit_offset: false,
            utc_offset_secs: 7200,
            resamples: 2000,
            seed: 0,
        }
    }
}

/// One phone's calibration as used.
#[derive(Debug, Clone, Serialize)]
pub struct PhoneReport {
    /// Phone id.
    pub id: u8,
    /// Model (from the databases).
    pub model: String,
    /// Calibration used.
    pub calibration: DeviceCalibration,
    /// Where it came from.
    pub basis: CalibrationBasis,
    /// Its whole-day median logged RSSI (self-calibration statistic), dBm.
    pub median_logged_rssi_dbm: Option<i8>,
}

/// One scenario's counts.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioReport {
    /// Its name (`scenario01-lunch`).
    pub name: String,
    /// Evaluated pairs.
    pub contacts: usize,
    /// Close contacts.
    pub close_contacts: usize,
    /// Confusion counts.
    pub confusion: Confusion,
}

/// Points for the plot.
#[derive(Debug, Clone, Default)]
pub struct PlotData {
    /// (distance label m, scored attenuation dB) per labelled scan instance.
    pub scans: Vec<(f64, u8)>,
    /// ROC of the scan AUC.
    pub roc: Vec<(f64, f64)>,
    /// GAEN's ROC-free figure for the legend: none here.
    pub title: String,
}

/// The figures.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    /// `btsnoop` or `database`.
    pub source: String,
    /// Per-scan AUC (scored attenuation; < 2 m vs > 4 m).
    pub scan_auc: f64,
    /// Its 95 % bootstrap interval.
    pub scan_auc_ci_low: f64,
    /// See `scan_auc_ci_low`.
    pub scan_auc_ci_high: f64,
    /// Labelled scan instances closer than 2 m.
    pub scan_instances_close: usize,
    /// Labelled scan instances farther than 4 m.
    pub scan_instances_far: usize,
    /// Contact-level precision.
    pub contact_precision: f64,
    /// Contact-level recall.
    pub contact_recall: f64,
    /// Contact-level F1.
    pub contact_f1: f64,
    /// 95 % bootstrap interval (resampling evaluated pairs).
    pub contact_f1_ci_low: f64,
    /// See `contact_f1_ci_low`.
    pub contact_f1_ci_high: f64,
    /// Evaluated (scenario, receiver, sender) pairs.
    pub contacts: usize,
    /// Of them, real close contacts (≥ 15 min within 2 m).
    pub close_contacts: usize,
    /// Notified close contacts.
    pub true_positives: u64,
    /// Notified others.
    pub false_positives: u64,
    /// Close contacts not notified.
    pub false_negatives: u64,
    /// Sightings replayed (whole day).
    pub sightings: usize,
    /// Logged scan instances of logged senders inside the scenarios.
    pub scan_instances: usize,
    /// Of them, not counted by the matcher (time tolerance, replay limit).
    pub unmatched_scan_instances: usize,
    /// Offsets fitted leave-one-scenario-out, per held-out scenario (with `fit_offset`).
    pub fitted_offsets_db: Option<Vec<i8>>,
    /// GAEN's figures on the same contacts (with `gaen_backend`).
    #[serde(flatten)]
    pub gaen: Option<gaen::GaenReport>,
    /// The phones.
    pub phones: Vec<PhoneReport>,
    /// Per scenario.
    pub scenarios: Vec<ScenarioReport>,
    /// Plot points.
    #[serde(skip)]
    pub plot: PlotData,
}

#[derive(Clone)]
pub(crate) struct Scenario {
    pub(crate) name: String,
    pub(crate) cam: Camera,
    /// Span, UTC µs, inclusive.
    pub(crate) span: (i64, i64),
}

impl Scenario {
    fn secs(&self) -> (u64, u64) {
        (
            (self.span.0 / 1_000_000) as u64,
            (self.span.1 / 1_000_000) as u64,
        )
    }
}

fn lookup(table: Option<&CalibrationTable>, model: &str) -> CalibrationLookup {
    match table {
        Some(t) => t.lookup(MANUFACTURER, model),
        None => CalibrationLookup {
            calibration: DeviceCalibration::UNCALIBRATED,
            basis: CalibrationBasis::Uncalibrated,
            rows: 0,
        },
    }
}

/// Sightings of the snoop logs: every GAEN report whose RPI a logged phone other than the
/// receiver set as its own advertising data (anywhere in its log). Also the slots' first
/// set times per sender.
fn snoop_sightings(logs: &BTreeMap<u8, PhoneLog>) -> (Vec<Sighting>, SlotTimes) {
    let mut owner: HashMap<[u8; 16], (u8, SenderSlot)> = HashMap::new();
    let mut slots: BTreeMap<u8, Vec<(SenderSlot, u64)>> = BTreeMap::new();
    for (&p, log) in logs {
        let mut n = 0u32;
        for &(t, rpi) in &log.own {
            if owner.contains_key(&rpi) {
                continue;
            }
            let slot = SenderSlot::Rpi(n);
            n += 1;
            owner.insert(rpi, (p, slot));
            slots
                .entry(p)
                .or_default()
                .push((slot, (t / 1_000_000) as u64));
        }
    }
    let mut out = Vec::new();
    for (&rx, log) in logs {
        for r in &log.reports {
            let Some(&(tx, slot)) = owner.get(&r.rpi) else {
                continue;
            };
            if tx == rx {
                continue;
            }
            out.push(Sighting {
                rx,
                tx,
                t_us: r.t_us,
                rssi: r.rssi,
                tx_power: r.tx_power,
                slot,
                ad: Some((r.ad.clone(), r.payload_at)),
            });
        }
    }
    (out, slots)
}

fn database_sightings(
    rows: &[Vec<data::DbRow>],
    phones: &BTreeSet<u8>,
) -> (Vec<Sighting>, SlotTimes) {
    let mut out = Vec::new();
    let mut slots: BTreeMap<u8, BTreeSet<u32>> = BTreeMap::new();
    for r in rows.iter().flatten() {
        if r.rx == r.tx || !phones.contains(&r.rx) || !phones.contains(&r.tx) {
            continue;
        }
        let j = (r.t_us / 1_000_000 / 600) as u32;
        slots.entry(r.tx).or_default().insert(j);
        out.push(Sighting {
            rx: r.rx,
            tx: r.tx,
            t_us: r.t_us,
            rssi: r.rssi,
            tx_power: None,
            slot: SenderSlot::Interval(j),
            ad: None,
        });
    }
    let slots = slots
        .into_iter()
        .map(|(p, js)| {
            (
                p,
                js.into_iter()
                    .map(|j| (SenderSlot::Interval(j), u64::from(j) * 600))
                    .collect(),
            )
        })
        .collect();
    (out, slots)
}

/// Per sender, its identifier slots and when each was first broadcast (unix s).
type SlotTimes = BTreeMap<u8, Vec<(SenderSlot, u64)>>;
/// (receiver, synthetic RPI) → sighting times (s) and camera distances.
type Labels = HashMap<(u8, [u8; 16]), Vec<(u64, Option<f64>)>>;
/// (scenario, receiver) → the index of its records in the span and those records per sender.
type ScenarioIndexes = BTreeMap<(usize, u8), (EncounterIndex, BTreeMap<u8, Vec<ScanAggregate>>)>;

/// Everything replayed once, matched many times (one per configuration tried).
pub(crate) struct Replayed {
    pub(crate) scenarios: Vec<Scenario>,
    pub(crate) pairs: Vec<Pair>,
    pub(crate) senders: BTreeMap<u8, Sender>,
    /// Receiver → whole-day records.
    pub(crate) logs: BTreeMap<u8, Vec<ScanAggregate>>,
    /// Synthetic RPI → sender.
    pub(crate) owner: HashMap<[u8; 16], u8>,
    pub(crate) medians: BTreeMap<u8, Option<i8>>,
    /// (receiver, synthetic RPI) → sighting times (s) and camera distances.
    pub(crate) labels: Labels,
    pub(crate) sightings: usize,
}

impl Replayed {
    /// Per scenario and receiver: the index of its records in the span, and the records per
    /// sender.
    fn scenario_indexes(&self) -> Result<ScenarioIndexes, EvalError> {
        let mut out = BTreeMap::new();
        for (s, sc) in self.scenarios.iter().enumerate() {
            let (a, b) = sc.secs();
            for (&rx, recs) in &self.logs {
                let inside: Vec<ScanAggregate> = recs
                    .iter()
                    .filter(|r| (a..=b).contains(&r.first_seen.as_secs()))
                    .copied()
                    .collect();
                let idx = EncounterIndex::from_records(&inside)?;
                out.insert((s, rx), (idx, replay::by_sender(&inside, &self.owner)));
            }
        }
        Ok(out)
    }

    /// The match configuration of one receiver: self-calibration gets the receiver's
    /// whole-day median when the configuration leaves it unset (a phone's log covers days).
    fn config_for(&self, base: &MatchConfig, rx: u8) -> MatchConfig {
        let mut c = base.clone();
        if let Some(s) = &mut c.attenuation.self_calibration
            && s.receiver_median_rssi_dbm.is_none()
        {
            s.receiver_median_rssi_dbm = self.medians.get(&rx).copied().flatten();
        }
        c
    }

    /// Match every pair with `config`; outcomes in `self.pairs` order.
    pub(crate) fn score(&self, config: &MatchConfig) -> Result<Vec<PairMatch>, EvalError> {
        let idx = self.scenario_indexes()?;
        let mut matchers = BTreeMap::new();
        let mut out = Vec::with_capacity(self.pairs.len());
        for p in &self.pairs {
            let m = match matchers.entry(p.rx) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(e) => {
                    e.insert(Matcher::new(self.config_for(config, p.rx))?)
                }
            };
            let (index, by) = &idx[&(p.scenario, p.rx)];
            let own = by.get(&p.tx).map_or(&[][..], Vec::as_slice);
            let key = &self.senders[&p.tx].key;
            out.push(if own.is_empty() {
                PairMatch::default()
            } else {
                replay::match_pair(m, index, key, own)?
            });
        }
        Ok(out)
    }

    /// The mean camera distance over a record's sightings, if any is defined.
    pub(crate) fn label(&self, rx: u8, r: &ScanAggregate) -> Option<f64> {
        let Identifier::Gaen(p) = r.identifier else {
            return None;
        };
        let v = self.labels.get(&(rx, *p.rpi.as_bytes()))?;
        let (a, b) = (r.first_seen.as_secs(), r.last_seen.as_secs());
        let lo = v.partition_point(|x| x.0 < a);
        let ds: Vec<f64> = v[lo..]
            .iter()
            .take_while(|x| x.0 <= b)
            .filter_map(|x| x.1)
            .collect();
        (!ds.is_empty()).then(|| ds.iter().sum::<f64>() / ds.len() as f64)
    }
}

pub(crate) struct Loaded {
    pub(crate) layout: data::Layout,
    pub(crate) scenarios: Vec<Scenario>,
    pub(crate) phones: BTreeSet<u8>,
    pub(crate) models: BTreeMap<u8, String>,
    pub(crate) db_rows: Vec<Vec<data::DbRow>>,
    pub(crate) logs: BTreeMap<u8, PhoneLog>,
}

pub(crate) fn load(o: &EvalOptions) -> Result<Loaded, EvalError> {
    let off =
        UtcOffset::from_secs(o.utc_offset_secs).map_err(|e| EvalError::Config(e.to_string()))?;
    let layout = data::layout(&o.dir)?;
    let mut models = BTreeMap::new();
    let mut db_rows = Vec::new();
    let mut scenarios = Vec::new();
    for (name, db, zip) in &layout.scenarios {
        let (rows, m) = data::read_database(db)?;
        for (k, v) in m {
            models.entry(k).or_insert(v);
        }
        db_rows.push(rows);
        let cam = data::read_camera_zip(zip, off)?;
        let span = (cam.t0_us, cam.t1_us);
        scenarios.push(Scenario {
            name: name.clone(),
            cam,
            span,
        });
    }
    let need_snoops = o.source == Source::Btsnoop || o.gaen_backend;
    if need_snoops && layout.snoops.is_empty() {
        return Err(EvalError::Data {
            path: o.dir.join("btsnoop"),
            reason: "no NN.btsnoop logs: the btsnoop source and the GAEN alignment need them \
                     (use the database source without GAEN alignment)"
                .into(),
        });
    }
    let mut logs = BTreeMap::new();
    if need_snoops {
        for (&p, path) in &layout.snoops {
            logs.insert(p, data::read_snoop(path, off)?);
        }
    }
    let phones: BTreeSet<u8> = if layout.snoops.is_empty() {
        models.keys().copied().collect()
    } else {
        layout.snoops.keys().copied().collect()
    };
    Ok(Loaded {
        layout,
        scenarios,
        phones,
        models,
        db_rows,
        logs,
    })
}

pub(crate) fn replay_all(
    l: &Loaded,
    table: Option<&CalibrationTable>,
    source: Source,
    seed: u64,
) -> Result<(Replayed, Vec<PhoneReport>), EvalError> {
    let (sightings, slots) = match source {
        Source::Btsnoop => snoop_sightings(&l.logs),
        Source::Database => database_sightings(&l.db_rows, &l.phones),
    };
    let day_start = l
        .scenarios
        .first()
        .map_or(0, |s| (s.span.0 / 1_000_000) as u64 / 86_400 * 86_400);
    let config = |p: u8| {
        let model = l.models.get(&p).map_or("", String::as_str);
        let c = lookup(table, model);
        let t = TracerConfig {
            log_capacity_bytes: 4 << 20,
            ..TracerConfig::default()
        }
        .with_calibration(c.calibration);
        (t, c)
    };
    let mut senders = BTreeMap::new();
    let mut owner = HashMap::new();
    let mut phones = Vec::new();
    for &p in &l.phones {
        let (cfg, c) = config(p);
        let s = Sender::new(
            cfg,
            day_start,
            seed ^ (u64::from(p) << 32),
            slots.get(&p).cloned().unwrap_or_default(),
        )?;
        for &slot in s.intervals.keys() {
            if let Some(pl) = s.payload(slot) {
                owner.insert(*pl.rpi.as_bytes(), p);
            }
        }
        senders.insert(p, s);
        phones.push(PhoneReport {
            id: p,
            model: l.models.get(&p).cloned().unwrap_or_default(),
            calibration: c.calibration,
            basis: c.basis,
            median_logged_rssi_dbm: None,
        });
    }
    let mut by_rx: BTreeMap<u8, Vec<&Sighting>> = BTreeMap::new();
    for s in &sightings {
        if l.phones.contains(&s.tx) {
            by_rx.entry(s.rx).or_default().push(s);
        }
    }
    let mut logs = BTreeMap::new();
    let mut medians = BTreeMap::new();
    let mut labels: Labels = HashMap::new();
    for &rx in &l.phones {
        let mut v = by_rx.remove(&rx).unwrap_or_default();
        v.sort_by_key(|s| s.t_us);
        for s in &v {
            let Some(pl) = senders.get(&s.tx).and_then(|x| x.payload(s.slot)) else {
                continue;
            };
            let dist = l
                .scenarios
                .iter()
                .find(|sc| (sc.span.0..=sc.span.1).contains(&s.t_us))
                .and_then(|sc| sc.cam.distance(rx, s.tx, sc.cam.frame_at(s.t_us)));
            labels
                .entry((rx, *pl.rpi.as_bytes()))
                .or_default()
                .push(((s.t_us / 1_000_000) as u64, dist));
        }
        let recs = replay::replay_receiver(config(rx).0, &v, &senders, seed ^ u64::from(rx))?;
        let m = median_logged_rssi(&recs);
        medians.insert(rx, m);
        if let Some(ph) = phones.iter_mut().find(|p| p.id == rx) {
            ph.median_logged_rssi_dbm = m;
        }
        logs.insert(rx, recs);
    }
    let pairs = l
        .scenarios
        .iter()
        .enumerate()
        .flat_map(|(i, s)| truth::pairs(i, &s.cam, &l.phones))
        .collect();
    Ok((
        Replayed {
            scenarios: l.scenarios.clone(),
            pairs,
            senders,
            logs,
            owner,
            medians,
            labels,
            sightings: sightings.len(),
        },
        phones,
    ))
}

/// For each held-out scenario, the offset that maximises F1 on the other scenarios (ties: the
/// smaller |offset|, then the smaller offset); returns the offsets and the pooled decisions.
fn leave_one_scenario_out(
    pairs: &[Pair],
    scenarios: usize,
    outcomes: &[(i8, Vec<PairMatch>)],
) -> (Vec<i8>, Vec<bool>) {
    let mut chosen = Vec::new();
    let mut notified = vec![false; pairs.len()];
    for s in 0..scenarios {
        let best = outcomes
            .iter()
            .map(|(d, o)| {
                let c = Confusion::of(
                    pairs
                        .iter()
                        .zip(o)
                        .filter(|(p, _)| p.scenario != s)
                        .map(|(p, m)| (m.notified, p.contact())),
                );
                (*d, c.f1())
            })
            .fold(None::<(i8, f64)>, |best, (d, f)| match best {
                Some((bd, bf))
                    if bf > f || (bf == f && (bd.unsigned_abs(), bd) <= (d.unsigned_abs(), d)) =>
                {
                    Some((bd, bf))
                }
                _ => Some((d, f)),
            })
            .map_or(0, |b| b.0);
        chosen.push(best);
        if let Some((_, o)) = outcomes.iter().find(|(d, _)| *d == best) {
            for (i, p) in pairs.iter().enumerate() {
                if p.scenario == s {
                    notified[i] = o[i].notified;
                }
            }
        }
    }
    (chosen, notified)
}

/// Run the evaluation.
pub fn run(o: &EvalOptions) -> Result<EvalReport, EvalError> {
    o.match_config.validate()?;
    let loaded = load(o)?;
    let (rep, phones) = replay_all(&loaded, o.calibration.as_ref(), o.source, o.seed)?;
    let base = rep.score(&o.match_config)?;
    let (fitted, notified) = if o.fit_offset {
        let mut outcomes = Vec::new();
        for d in FIT_OFFSETS_DB {
            let mut c = o.match_config.clone();
            c.attenuation.offset_db = c.attenuation.offset_db.saturating_add(d);
            outcomes.push((d, rep.score(&c)?));
        }
        let (f, n) = leave_one_scenario_out(&rep.pairs, rep.scenarios.len(), &outcomes);
        (Some(f), n)
    } else {
        (None, base.iter().map(|m| m.notified).collect())
    };
    let units: Vec<(bool, bool)> = rep
        .pairs
        .iter()
        .zip(&notified)
        .map(|(p, &n)| (n, p.contact()))
        .collect();
    let c = Confusion::of(units.iter().copied());
    let draws = stats::resample_indices(units.len(), o.resamples, o.seed);
    let (f_lo, f_hi) = stats::interval(stats::bootstrap_f1(&units, &draws));
    // Per-scan AUC over the scored attenuation of every labelled matched instance.
    let by = o.match_config.attenuation.bucket_by;
    let (mut close, mut far, mut scans) = (Vec::new(), Vec::new(), Vec::new());
    let mut logged = 0usize;
    let mut dropped = 0usize;
    for (p, m) in rep.pairs.iter().zip(&base) {
        dropped += m.dropped;
        logged += m.records;
        for x in &m.instances {
            let a = match by {
                BucketAttenuation::Typical => x.instance.typical_attenuation_db,
                BucketAttenuation::Minimum => x.instance.min_attenuation_db,
            };
            if let Some(d) = rep.label(p.rx, &x.record) {
                scans.push((d, a));
                if d < 2.0 {
                    close.push(a);
                } else if d > 4.0 {
                    far.push(a);
                }
            }
        }
    }
    let auc = stats::auc_lower_is_positive(&close, &far);
    let (a_lo, a_hi) = stats::auc_interval(&close, &far, o.resamples, o.seed);
    let gaen = if o.gaen_backend {
        let dir = loaded
            .layout
            .backend
            .clone()
            .ok_or_else(|| EvalError::Data {
                path: o.dir.join("backend-checks"),
                reason: "no backend-checks/ folder for the GAEN alignment".into(),
            })?;
        // GAEN's own calibration on these phones is −24/−3 (the June table), which is
        // exactly the uncalibrated default: the conformance replay uses no table.
        let (june, _) = replay_all(&loaded, None, Source::Btsnoop, o.seed)?;
        Some(gaen::evaluate(&dir, &rep, &june, &loaded.logs, &units, o)?)
    } else {
        None
    };
    Ok(EvalReport {
        source: o.source.name().into(),
        scan_auc: auc,
        scan_auc_ci_low: a_lo,
        scan_auc_ci_high: a_hi,
        scan_instances_close: close.len(),
        scan_instances_far: far.len(),
        contact_precision: c.precision(),
        contact_recall: c.recall(),
        contact_f1: c.f1(),
        contact_f1_ci_low: f_lo,
        contact_f1_ci_high: f_hi,
        contacts: rep.pairs.len(),
        close_contacts: rep.pairs.iter().filter(|p| p.contact()).count(),
        true_positives: c.tp,
        false_positives: c.fp,
        false_negatives: c.fn_,
        sightings: rep.sightings,
        scan_instances: logged,
        unmatched_scan_instances: dropped,
        fitted_offsets_db: fitted,
        gaen,
        phones,
        scenarios: rep
            .scenarios
            .iter()
            .enumerate()
            .map(|(i, sc)| {
                let mine = || {
                    rep.pairs
                        .iter()
                        .zip(&units)
                        .filter(move |(p, _)| p.scenario == i)
                };
                ScenarioReport {
                    name: sc.name.clone(),
                    contacts: mine().count(),
                    close_contacts: mine().filter(|(p, _)| p.contact()).count(),
                    confusion: Confusion::of(mine().map(|(_, u)| *u)),
                }
            })
            .collect(),
        plot: PlotData {
            scans,
            roc: stats::roc(&close, &far),
            title: format!(
                "proxtrace on DP-3T exp34 ({}), AUC {auc:.3}",
                o.source.name()
            ),
        },
    })
}
