//! Synthetic match workloads for benchmarks and tests: published keys spread over a number of
//! days, a log of unrelated scan instances over the same days, and a few planted encounters
//! with published keys. Deterministic for a given seed.
//!
//! ```
//! use proxtrace::identifier::Scheme;
//! use proxtrace_cli::workload::matching::{Workload, WorkloadSpec};
//! let w = Workload::generate(&WorkloadSpec { keys: 100, sightings: 50, ..WorkloadSpec::new(Scheme::Gaen) });
//! assert_eq!(w.gaen_keys.len(), 100);
//! assert_eq!(w.records.len(), 50 + 3 * w.planted);
//! ```

use rand::rngs::ChaCha20Rng;
use rand::{Rng, RngExt, SeedableRng};

use proxtrace::bluezone::DailyKey;
use proxtrace::gaen::{Metadata, TemporaryExposureKey};
use proxtrace::identifier::{GaenPayload, Identifier, Scheme};
use proxtrace::published::{BluezoneDiagnosisKey, GaenDiagnosisKey, ReportType};
use proxtrace::sighting::ScanAggregate;
use proxtrace::time::{BluezoneSlot, EnIntervalNumber, SlotsPerDay, UnixTime, UtcDay};

/// What to generate.
#[derive(Debug, Clone)]
pub struct WorkloadSpec {
    /// Scheme of the keys and the logged identifiers.
    pub scheme: Scheme,
    /// Number of published keys.
    pub keys: usize,
    /// Number of unrelated logged scan instances.
    pub sightings: usize,
    /// Days the keys and the log span, ending with `last_day`.
    pub days: u32,
    /// The last day of the span.
    pub last_day: UtcDay,
    /// Published keys met for three consecutive scans each.
    pub planted: usize,
    /// Generator seed.
    pub seed: u64,
}

impl WorkloadSpec {
    /// The benchmark defaults: 100 000 keys, 10 000 sightings, 14 days, 5 planted encounters.
    pub fn new(scheme: Scheme) -> Self {
        Self {
            scheme,
            keys: 100_000,
            sightings: 10_000,
            days: 14,
            last_day: UtcDay::new(20_000),
            planted: 5,
            seed: 1,
        }
    }
}

/// A generated workload.
#[derive(Debug, Clone)]
pub struct Workload {
    /// The log, in `first_seen` order.
    pub records: Vec<ScanAggregate>,
    /// Published GAEN keys (empty for Bluezone).
    pub gaen_keys: Vec<GaenDiagnosisKey>,
    /// Published Bluezone keys (empty for GAEN).
    pub bluezone_keys: Vec<BluezoneDiagnosisKey>,
    /// Number of planted encounters (each should yield one exposure window).
    pub planted: usize,
}

impl Workload {
    /// Generate a workload.
    pub fn generate(spec: &WorkloadSpec) -> Self {
        let mut rng = ChaCha20Rng::seed_from_u64(spec.seed);
        let days = spec.days.max(1);
        let first_day = UtcDay::new(spec.last_day.get().saturating_sub(days - 1));
        let span_start = first_day.start().as_secs();
        let span = u64::from(days) * proxtrace::time::SECONDS_PER_DAY;
        let planted = spec.planted.min(spec.keys);
        let stride = (spec.keys / planted.max(1)).max(1);
        let mut records = Vec::with_capacity(spec.sightings + 3 * planted);
        for _ in 0..spec.sightings {
            let t = span_start + rng.random_range(0..span);
            let identifier = match spec.scheme {
                Scheme::Gaen => Identifier::Gaen(GaenPayload::from_bytes(&rng.random())),
                Scheme::Bluezone => {
                    Identifier::Bluezone(proxtrace::bluezone::BluezoneId::from_bytes(rng.random()))
                }
            };
            records.push(aggregate(&mut rng, identifier, t));
        }
        let mut w = Self {
            records,
            gaen_keys: Vec::new(),
            bluezone_keys: Vec::new(),
            planted,
        };
        for i in 0..spec.keys {
            let day = UtcDay::new(first_day.get() + (i as u32 % days));
            let plant = planted > 0 && i % stride == 0 && i / stride < planted;
            match spec.scheme {
                Scheme::Gaen => {
                    let tek = TemporaryExposureKey::from_bytes(rng.random());
                    let start = day.first_interval().unwrap_or_default();
                    if plant {
                        let j = EnIntervalNumber::new(start.get() + 50);
                        let rpi = tek
                            .rolling_proximity_identifier_key()
                            .rolling_proximity_identifier(j);
                        let aem = tek
                            .associated_encrypted_metadata_key()
                            .encrypt(&rpi, &Metadata::v1_0(-8));
                        for s in 0..3 {
                            let t = j.start().as_secs() + 20 + s * 170;
                            w.records.push(aggregate(
                                &mut rng,
                                Identifier::Gaen(GaenPayload { rpi, aem }),
                                t,
                            ));
                        }
                    }
                    w.gaen_keys.push(GaenDiagnosisKey {
                        key: tek,
                        rolling_start: start,
                        rolling_period: 144,
                        report_type: ReportType::ConfirmedTest,
                        days_since_onset_of_symptoms: Some(if plant {
                            0
                        } else {
                            rng.random_range(-5..10)
                        }),
                        transmission_risk_level: None,
                    });
                }
                Scheme::Bluezone => {
                    let spd = SlotsPerDay::DEFAULT;
                    let dk = DailyKey::from_bytes(rng.random(), day);
                    if let (true, Ok(slot)) = (plant, BluezoneSlot::new(day, 40, spd))
                        && let Ok(id) = dk.bluezone_id(slot)
                    {
                        for s in 0..3 {
                            let t = slot.start(spd).as_secs() + 20 + s * 280;
                            w.records
                                .push(aggregate(&mut rng, Identifier::Bluezone(id), t));
                        }
                    }
                    w.bluezone_keys.push(BluezoneDiagnosisKey {
                        daily_key: dk,
                        time_start: day.start(),
                        time_end: UnixTime::from_secs(day.end().as_secs() - 1),
                        slots_per_day: spd,
                    });
                }
            }
        }
        w.records.sort_by_key(|r| (r.first_seen, r.last_seen));
        w
    }
}

fn aggregate(rng: &mut impl Rng, identifier: Identifier, t: u64) -> ScanAggregate {
    let mean: i8 = rng.random_range(-75..-45);
    ScanAggregate {
        identifier,
        first_seen: UnixTime::from_secs(t),
        last_seen: UnixTime::from_secs(t + rng.random_range(0..5)),
        count: rng.random_range(1..16),
        max_rssi: mean.saturating_add(rng.random_range(0..6)),
        mean_rssi: mean,
        tx_power: None,
    }
}
