//! The replay through the real path: each sender is a proxtrace [`Tracer`] whose published
//! TEK and calibrated metadata (v1.1) stand in for the phone's unknown GAEN keys; each
//! receiver is a proxtrace [`Tracer`] fed, through `handle_input`, every sighting its log
//! shows, with the sender's identifier replaced by the proxtrace one of the same interval;
//! its encounter log is matched by the real [`Matcher`] against the senders' published keys.

use std::collections::{BTreeMap, HashMap};

use proxtrace::gaen::AssociatedEncryptedMetadata;
use proxtrace::identifier::{GaenPayload, Identifier};
use proxtrace::matching::{EncounterIndex, Matcher, ScanInstance};
use proxtrace::published::GaenDiagnosisKey;
use proxtrace::sighting::ScanAggregate;
use proxtrace::time::{EN_INTERVAL_SECONDS, EnIntervalNumber, UnixTime};
use proxtrace::tracer::{Input, Output, RadioData, Received, Tracer, TracerConfig};
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;

use super::EvalError;

/// Which of a sender's identifiers a sighting carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SenderSlot {
    /// The sender's n-th own RPI (btsnoop: each real RPI keeps its own identifier).
    Rpi(u32),
    /// The EN interval of the sighting (databases: no RPI recorded).
    Interval(u32),
}

/// One sighting to replay.
#[derive(Debug, Clone)]
pub struct Sighting {
    /// Receiver phone.
    pub rx: u8,
    /// Sender phone.
    pub tx: u8,
    /// UTC µs.
    pub t_us: i64,
    /// RSSI as the receiver's radio reported it, dBm.
    pub rssi: i8,
    /// TX power field of the report.
    pub tx_power: Option<i8>,
    /// Which sender identifier.
    pub slot: SenderSlot,
    /// The real AD bytes and the offset of the 20 payload bytes, when the log has them.
    pub ad: Option<(Vec<u8>, usize)>,
}

/// A sender: its configuration and the key it published.
#[derive(Debug)]
pub struct Sender {
    /// Its tracer configuration (calibrated TX power and confidence).
    pub config: TracerConfig,
    /// The TEK its tracer published for the day.
    pub key: GaenDiagnosisKey,
    /// Slot → EN interval of the identifier.
    pub intervals: BTreeMap<SenderSlot, u32>,
}

fn drain<B: proxtrace::log::StorageBackend, K: proxtrace::tracer::KeyStorage>(
    t: &mut Tracer<B, K>,
) {
    while !matches!(t.poll_output(), Output::Timeout(_)) {}
}

impl Sender {
    /// A sender phone: a tracer started at `day_start`, run to the end of the day, asked for
    /// its diagnosis keys. `set_times` are the interval starts (unix s) of its identifiers.
    pub fn new(
        config: TracerConfig,
        day_start: u64,
        seed: u64,
        slots: impl IntoIterator<Item = (SenderSlot, u64)>,
    ) -> Result<Self, EvalError> {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let mut t = Tracer::in_memory(config.clone(), &mut rng)?;
        t.handle_input(Input::Timeout(UnixTime::from_secs(day_start)))?;
        drain(&mut t);
        let end = UnixTime::from_secs(day_start + 86_399);
        t.handle_input(Input::Timeout(end))?;
        drain(&mut t);
        let keys = t.diagnosis_keys(UnixTime::from_secs(day_start), end)?;
        let key = keys
            .gaen
            .into_iter()
            .find(|k| u64::from(k.rolling_start.get()) * EN_INTERVAL_SECONDS == day_start)
            .ok_or_else(|| EvalError::Config("the sender tracer published no key".into()))?;
        // Each identifier gets the interval it was first broadcast in; a second one in the
        // same interval takes the next free one (a phone rotating twice in 10 minutes).
        let mut intervals = BTreeMap::new();
        let mut used = std::collections::BTreeSet::new();
        let mut slots: Vec<(SenderSlot, u64)> = slots.into_iter().collect();
        slots.sort_by_key(|&(s, t)| (t, s));
        for (slot, t) in slots {
            if intervals.contains_key(&slot) {
                continue;
            }
            let mut j = (t / EN_INTERVAL_SECONDS) as u32;
            while used.contains(&j) {
                j += 1;
            }
            used.insert(j);
            intervals.insert(slot, j);
        }
        Ok(Self {
            config,
            key,
            intervals,
        })
    }

    /// The payload this sender broadcast in `slot`: the RPI of the slot's interval and the
    /// metadata its configuration broadcasts (v1.1: calibrated TX, confidence).
    pub fn payload(&self, slot: SenderSlot) -> Option<GaenPayload> {
        let j = EnIntervalNumber::new(*self.intervals.get(&slot)?);
        let rpi = self
            .key
            .key
            .rolling_proximity_identifier_key()
            .rolling_proximity_identifier(j);
        let aem: AssociatedEncryptedMetadata = self
            .key
            .key
            .associated_encrypted_metadata_key()
            .encrypt(&rpi, &self.config.gaen_metadata());
        Some(GaenPayload { rpi, aem })
    }
}

/// Replay a receiver's whole day: every sighting, in time order, through `handle_input`,
/// then flush; returns its encounter log's records.
pub fn replay_receiver(
    config: TracerConfig,
    sightings: &[&Sighting],
    senders: &BTreeMap<u8, Sender>,
    seed: u64,
) -> Result<Vec<ScanAggregate>, EvalError> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut t = Tracer::in_memory(config, &mut rng)?;
    let mut clock = 0u64;
    let mut buf = Vec::new();
    for s in sightings {
        let Some(p) = senders.get(&s.tx).and_then(|x| x.payload(s.slot)) else {
            continue;
        };
        let now = (s.t_us / 1_000_000) as u64;
        if now > clock {
            t.handle_input(Input::Timeout(UnixTime::from_secs(now)))?;
            drain(&mut t);
            clock = now;
        }
        let data = match &s.ad {
            Some((ad, at)) => {
                buf.clear();
                buf.extend_from_slice(ad);
                buf[*at..*at + 16].copy_from_slice(p.rpi.as_bytes());
                buf[*at + 16..*at + 20].copy_from_slice(p.aem.as_bytes());
                RadioData::AdvertisingData(&buf)
            }
            None => RadioData::Identifier(Identifier::Gaen(p)),
        };
        let mut r = Received::new(data, s.rssi, UnixTime::from_secs(now));
        r.tx_power = s.tx_power;
        t.handle_input(Input::Received(r))?;
    }
    t.flush()?;
    drain(&mut t);
    let mut out = Vec::new();
    for r in t.log().iter() {
        out.push(r.map_err(|e| EvalError::Config(format!("reading the replay log: {e}")))?);
    }
    Ok(out)
}

/// One scan instance as the matcher scored it, with the logged record it came from.
#[derive(Debug, Clone, Copy)]
pub struct Matched {
    /// The logged record.
    pub record: ScanAggregate,
    /// What the matcher made of it.
    pub instance: ScanInstance,
}

/// Result of matching one sender's key against a receiver's records.
#[derive(Debug, Clone, Default)]
pub struct PairMatch {
    /// Daily score sum.
    pub score: f64,
    /// Whether the matcher notifies.
    pub notified: bool,
    /// Matched scan instances with their records (empty when they cannot be aligned).
    pub instances: Vec<Matched>,
    /// Records of the sender the matcher did not count (time tolerance, replay limit).
    pub dropped: usize,
    /// Records of the sender.
    pub records: usize,
}

/// Match `key` against an index of `records` (those of one receiver in one span); the
/// sender's records are `own` (sorted by first, last, RPI: the matcher's instance order).
pub fn match_pair(
    matcher: &Matcher,
    index: &EncounterIndex,
    key: &GaenDiagnosisKey,
    own: &[ScanAggregate],
) -> Result<PairMatch, EvalError> {
    let r = matcher.run(index, std::slice::from_ref(key), &[])?;
    let score = r.daily_summaries.iter().map(|d| d.score_sum).sum();
    let instances: Vec<ScanInstance> = r
        .exposure_windows
        .iter()
        .flat_map(|w| w.scan_instances.iter().copied())
        .collect();
    let dropped = own.len().saturating_sub(instances.len());
    let aligned = if instances.len() == own.len() {
        own.iter()
            .zip(instances)
            .map(|(&record, instance)| Matched { record, instance })
            .collect()
    } else {
        Vec::new()
    };
    Ok(PairMatch {
        score,
        notified: r.exposed,
        instances: aligned,
        dropped,
        records: own.len(),
    })
}

/// Records grouped by sender (identifier → sender), each group in the matcher's order.
pub fn by_sender<'a>(
    records: impl IntoIterator<Item = &'a ScanAggregate>,
    owner: &HashMap<[u8; 16], u8>,
) -> BTreeMap<u8, Vec<ScanAggregate>> {
    let mut m: BTreeMap<u8, Vec<ScanAggregate>> = BTreeMap::new();
    for r in records {
        if let Identifier::Gaen(p) = r.identifier
            && let Some(&tx) = owner.get(p.rpi.as_bytes())
        {
            m.entry(tx).or_default().push(*r);
        }
    }
    for v in m.values_mut() {
        v.sort_by_key(|r| {
            let rpi = match r.identifier {
                Identifier::Gaen(p) => *p.rpi.as_bytes(),
                Identifier::Bluezone(_) => [0; 16],
            };
            (r.first_seen, r.last_seen, rpi)
        });
    }
    m
}
