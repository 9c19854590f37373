//! A simulated town: many [`Tracer`]s on a virtual clock, scored against ground truth.
//!
//! People move between homes, workplaces, a market and two buses on a day schedule
//! (`town.rs`); every phone runs a real [`Tracer`] (in memory), driven exactly as an app's run
//! loop drives it: the simulator wakes each phone at the time its own
//! [`Output::Timeout`](proxtrace::tracer::Output) asks for, broadcasts what its
//! `Output::Advertise` says, and lets it listen while its `Output::Scan` says so. What a
//! scanning phone hears comes from a log-distance path-loss model with body shadowing and
//! noise ([`radio`]), as raw advertisement bytes through `Input::Received`. On the last
//! day some people test positive: their diagnosis keys go into a signed export file (GAEN) or
//! an F0 payload (Bluezone), every other phone parses it and matches, and the result is
//! compared with ground truth: who was within 2 m of a positive person for at least 15
//! minutes on one day.
//!
//! ```
//! use proxtrace_cli::sim::{SimConfig, run};
//! let report = run(&SimConfig { phones: 20, days: 1, ..SimConfig::default() }, &mut |_, _| {})?;
//! assert!(report.scan_instances > 0 && report.published_keys > 0);
//! # Ok::<(), proxtrace_cli::sim::SimError>(())
//! ```

pub mod radio;
mod town;

use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;
use rand::seq::SliceRandom;
use rayon::prelude::*;
use serde::Serialize;

use proxtrace::identifier::Scheme;
use proxtrace::log::MemoryBackend;
use proxtrace::matching::{DailySummariesConfig, MatchConfig, Matcher};
use proxtrace::published::{BluezoneDiagnosisKey, GaenDiagnosisKey, ReportType};
use proxtrace::time::{SECONDS_PER_DAY, UnixTime, UtcDay};
use proxtrace::tracer::{
    Input, MemoryKeyStorage, Output, RadioData, Received, Schemes, Tracer, TracerConfig,
    TracerError,
};
use radio::Radio;
use town::Town;

/// 2026-11-02, a Monday: the first simulated day.
pub const DEFAULT_START_DAY: UtcDay = UtcDay::new(20_759);

/// Close contact for the ground truth: within this distance…
pub const CLOSE_CONTACT_METRES: f32 = 2.0;
/// … for at least this long on one day.
pub const CLOSE_CONTACT_SECS: u32 = 15 * 60;

/// What to simulate.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// Number of people, each with a phone.
    pub phones: usize,
    /// Simulated days; people test positive at the end of the last one.
    pub days: u32,
    /// Seed of everything random: the same seed gives the same report.
    pub seed: u64,
    /// The scheme every phone runs.
    pub scheme: Scheme,
    /// Fraction of people who test positive (at least one).
    pub positive_fraction: f64,
    /// The first simulated day.
    pub start_day: UtcDay,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            phones: 200,
            days: 3,
            seed: 1,
            scheme: Scheme::Gaen,
            positive_fraction: 0.05,
            start_day: DEFAULT_START_DAY,
        }
    }
}

/// The outcome: ground truth against notifications, over the people who did not test
/// positive themselves.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimReport {
    /// Number of phones.
    pub phones: usize,
    /// Simulated days.
    pub days: u32,
    /// The scheme.
    pub scheme: Scheme,
    /// The seed.
    pub seed: u64,
    /// People who tested positive and published their keys.
    pub positives: usize,
    /// Keys published (TEKs or Bluezone daily keys).
    pub published_keys: usize,
    /// Size of the `export.bin` (GAEN; the signed zip every phone downloads and verifies
    /// adds a random-length signature) or of the F0 payload (Bluezone).
    pub published_bytes: usize,
    /// Advertisements handed to phones (after radio loss).
    pub advertisements_heard: u64,
    /// Scan-instance records in all logs together.
    pub scan_instances: u64,
    /// Mean encounter log size per scan-instance, bytes.
    pub log_bytes_per_scan_instance: f64,
    /// People (not positive) within 2 m of a positive person for ≥ 15 min on some day.
    pub exposed: usize,
    /// People (not positive) the matcher notified.
    pub notified: usize,
    /// Exposed and notified.
    pub true_positives: usize,
    /// Notified but not exposed.
    pub false_positives: usize,
    /// Exposed but not notified.
    pub false_negatives: usize,
    /// Neither.
    pub true_negatives: usize,
}

/// Why a simulation could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// Parameters that cannot work.
    #[error("invalid simulation parameters: {0}")]
    Config(String),
    /// A tracer failed (a bug: the simulation feeds only valid input).
    #[error("a simulated phone failed: {0}")]
    Tracer(#[from] TracerError),
    /// Publishing or reading back the positives' keys failed.
    #[error("publishing diagnosis keys failed: {0}")]
    Publish(String),
}

type SimTracer = Tracer<MemoryBackend, MemoryKeyStorage>;

/// One phone as its app's run loop sees it: the tracer, when it asked to be woken, and what it
/// broadcasts.
struct Phone {
    tracer: SimTracer,
    /// The time of its last `Output::Timeout`, unix seconds (0: at once).
    wake: u64,
    /// Its current legacy advertisements (raw AD bytes).
    ads: Vec<Vec<u8>>,
}

impl Phone {
    fn new(tracer: SimTracer) -> Self {
        Self {
            tracer,
            wake: 0,
            ads: Vec::new(),
        }
    }

    /// Hand in `Timeout(now)` and follow the outputs; returns when a scan that starts now
    /// ends.
    fn wake_up(&mut self, now: UnixTime) -> Result<Option<UnixTime>, TracerError> {
        self.tracer.handle_input(Input::Timeout(now))?;
        Ok(self.drain(now))
    }

    /// Follow every output up to the timeout; returns when a scan that starts now ends.
    fn drain(&mut self, now: UnixTime) -> Option<UnixTime> {
        let mut scan = None;
        loop {
            match self.tracer.poll_output() {
                Output::Advertise(a) => {
                    self.ads = a
                        .legacy_advertisements()
                        .iter()
                        .map(|l| l.as_bytes().to_vec())
                        .collect();
                }
                Output::Scan(h) if h.scanning => scan = Some(h.until),
                Output::Timeout(t) => {
                    // Never wake twice at the same second.
                    self.wake = t.as_secs().max(now.as_secs() + 1);
                    return scan;
                }
                _ => {}
            }
        }
    }

    /// The radio delivered one advertisement.
    fn hear(&mut self, ad: &[u8], rssi: i8, at: UnixTime) -> Result<(), TracerError> {
        let r = Received::new(RadioData::AdvertisingData(ad), rssi, at);
        self.tracer.handle_input(Input::Received(r))?;
        // The outcome of each reception is an event; drain them so the queue stays short.
        // (A reception inside the phone's own scan window never starts a scan.)
        self.drain(at);
        Ok(())
    }
}

/// Two distinct phones, one mutable.
fn pair(phones: &mut [Phone], i: usize, j: usize) -> (&mut Phone, &Phone) {
    if i < j {
        let (a, b) = phones.split_at_mut(j);
        (&mut a[i], &b[0])
    } else {
        let (a, b) = phones.split_at_mut(i);
        (&mut b[0], &a[j])
    }
}

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
    m.bluezone.default_tx_power_dbm = radio::TX_POWER_DBM;
    m
}

fn tracer_config(scheme: Scheme) -> TracerConfig {
    TracerConfig {
        schemes: Schemes {
            gaen: scheme == Scheme::Gaen,
            bluezone: scheme == Scheme::Bluezone,
        },
        tx_power_dbm: radio::TX_POWER_DBM,
        // The simulated radio reports calibrated RSSI already: no correction, and the
        // simulated phones are calibrated by construction.
        rssi_correction_db: 0,
        calibration_confidence: proxtrace::gaen::CalibrationConfidence::HIGH,
        // A few days of one person's encounters are tens of KiB; 16 MiB per phone would
        // make a town of phones cost gigabytes.
        log_capacity_bytes: 512 << 10,
        ..TracerConfig::default()
    }
}

/// Run a simulation. `progress(done, total)` is called once per simulated minute.
pub fn run(config: &SimConfig, progress: &mut dyn FnMut(u64, u64)) -> Result<SimReport, SimError> {
    if config.phones < 2 {
        return Err(SimError::Config("--phones must be at least 2".into()));
    }
    if config.days == 0 || config.days > 14 {
        return Err(SimError::Config(
            "--days must be from 1 to 14 (keys are kept 14 days)".into(),
        ));
    }
    if !(0.0..=1.0).contains(&config.positive_fraction) {
        return Err(SimError::Config(
            "the positive fraction must be within 0…1".into(),
        ));
    }
    let n = config.phones;
    let start = config.start_day.start();
    let mut rng = ChaCha20Rng::seed_from_u64(config.seed);
    let tcfg = tracer_config(config.scheme);
    let mut phones: Vec<Phone> = (0..n)
        .map(|_| Tracer::in_memory(tcfg.clone(), &mut rng).map(Phone::new))
        .collect::<Result<_, _>>()?;
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut rng);
    let k = ((n as f64 * config.positive_fraction).round() as usize).clamp(1, n - 1);
    let mut positive = vec![false; n];
    for &i in &order[..k] {
        positive[i] = true;
    }

    let mut town = Town::new(n, config.seed);
    let mut radio = Radio::new(config.seed);
    // Seconds within 2 m of a positive person, per person and day.
    let mut contact = vec![vec![0u32; config.days as usize]; n];
    let mut heard = 0u64;
    let total = u64::from(config.days) * 1440;
    let mut by_place: Vec<(u32, usize)> = Vec::with_capacity(n);
    let mut positions = Vec::with_capacity(n);
    let mut near_positive = vec![false; n];
    let mut due = std::collections::BinaryHeap::new();
    for day in 0..config.days {
        town.plan_day(day);
        for minute in 0..1440u32 {
            let t0 = start.as_secs() + u64::from(day) * SECONDS_PER_DAY + u64::from(minute) * 60;
            positions.clear();
            positions.extend((0..n).map(|i| town.position(i, day, minute * 60)));
            by_place.clear();
            by_place.extend(positions.iter().enumerate().map(|(i, p)| (p.place, i)));
            by_place.sort_unstable();
            let group = |i: usize| {
                let place = positions[i].place;
                let lo = by_place.partition_point(|&(p, _)| p < place);
                let hi = by_place.partition_point(|&(p, _)| p <= place);
                by_place[lo..hi].iter().map(|&(_, j)| j)
            };
            // Ground truth for this minute.
            near_positive.iter_mut().for_each(|b| *b = false);
            for p in (0..n).filter(|&p| positive[p]) {
                for j in group(p) {
                    if j != p && positions[p].distance(&positions[j]) <= CLOSE_CONTACT_METRES {
                        near_positive[j] = true;
                    }
                }
            }
            for (j, near) in near_positive.iter().enumerate() {
                if *near {
                    contact[j][day as usize] += 60;
                }
            }
            // Every phone whose own timeout falls in this minute, in global time order (a
            // wake may ask for another wake within the minute: the end of a scan, say).
            due.clear();
            due.extend(
                phones
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| p.wake < t0 + 60)
                    .map(|(i, p)| std::cmp::Reverse((p.wake.max(t0), i))),
            );
            while let Some(std::cmp::Reverse((s, i))) = due.pop() {
                let now = UnixTime::from_secs(s);
                let scan = phones[i].wake_up(now)?;
                if let Some(until) = scan {
                    // Listening from `s` to `until`: what the radio lets through.
                    let window = until.as_secs().saturating_sub(s);
                    for j in group(i) {
                        if j == i {
                            continue;
                        }
                        let d = positions[i].distance(&positions[j]);
                        for (offset, rssi) in radio.packets(d) {
                            let at = UnixTime::from_secs(
                                s + u64::from(offset).min(window.saturating_sub(1)),
                            );
                            for ad in 0..phones[j].ads.len() {
                                let (me, other) = pair(&mut phones, i, j);
                                me.hear(&other.ads[ad], rssi, at)?;
                                heard += 1;
                            }
                        }
                    }
                }
                if phones[i].wake < t0 + 60 {
                    due.push(std::cmp::Reverse((phones[i].wake, i)));
                }
            }
            progress(u64::from(day) * 1440 + u64::from(minute) + 1, total);
        }
    }

    // The last day ends: everyone flushes, positives publish, everyone else matches.
    let end = UnixTime::from_secs(start.as_secs() + u64::from(config.days) * SECONDS_PER_DAY - 1);
    let mut scan_instances = 0u64;
    let mut log_bytes = 0u64;
    for p in &mut phones {
        p.wake_up(end)?;
        let t = &mut p.tracer;
        t.flush()?;
        let s = t.log().stats().map_err(TracerError::from)?;
        scan_instances += s.records;
        log_bytes += s.bytes_used;
    }
    let mut gaen: Vec<GaenDiagnosisKey> = Vec::new();
    let mut bluezone: Vec<BluezoneDiagnosisKey> = Vec::new();
    for i in (0..n).filter(|&i| positive[i]) {
        let keys = phones[i].tracer.diagnosis_keys(start, end)?;
        gaen.extend(keys.gaen.into_iter().map(|mut k| {
            k.report_type = ReportType::ConfirmedTest;
            k
        }));
        bluezone.extend(keys.bluezone);
    }
    let published_keys = gaen.len() + bluezone.len();
    let (gaen, bluezone, published_bytes) = publish::round_trip(gaen, bluezone)?;
    let matcher = Matcher::new(scoring()).map_err(|e| SimError::Publish(e.to_string()))?;
    let notified: Vec<bool> = phones
        .par_iter()
        .enumerate()
        .map(|(i, p)| {
            if positive[i] {
                return Ok(false);
            }
            Ok(p.tracer.match_with(&gaen, &bluezone, &matcher)?.exposed)
        })
        .collect::<Result<_, TracerError>>()?;

    let mut r = SimReport {
        phones: n,
        days: config.days,
        scheme: config.scheme,
        seed: config.seed,
        positives: k,
        published_keys,
        published_bytes,
        advertisements_heard: heard,
        scan_instances,
        log_bytes_per_scan_instance: log_bytes as f64 / scan_instances.max(1) as f64,
        exposed: 0,
        notified: 0,
        true_positives: 0,
        false_positives: 0,
        false_negatives: 0,
        true_negatives: 0,
    };
    for i in (0..n).filter(|&i| !positive[i]) {
        let exposed = contact[i].iter().any(|&s| s >= CLOSE_CONTACT_SECS);
        r.exposed += usize::from(exposed);
        r.notified += usize::from(notified[i]);
        match (exposed, notified[i]) {
            (true, true) => r.true_positives += 1,
            (false, true) => r.false_positives += 1,
            (true, false) => r.false_negatives += 1,
            (false, false) => r.true_negatives += 1,
        }
    }
    Ok(r)
}

mod publish {
    //! Publication as a health authority would do it, read back as every phone would.

    use super::*;
    use crate::export_writer::{ExportMeta, Signer, write_export_bin, write_export_zip};
    use proxtrace::published::export::{Verification, read_export};
    use proxtrace::published::f0::{parse_f0, write_f0};

    /// Through the wire formats and back: GAEN keys as a signed export file (verified with
    /// the authority's public key), Bluezone keys as an F0 payload. Returns the keys as
    /// parsed and the size of `export.bin` or of the F0 JSON.
    pub(super) fn round_trip(
        gaen: Vec<GaenDiagnosisKey>,
        bluezone: Vec<BluezoneDiagnosisKey>,
    ) -> Result<(Vec<GaenDiagnosisKey>, Vec<BluezoneDiagnosisKey>, usize), SimError> {
        let err = |e: &dyn std::fmt::Display| SimError::Publish(e.to_string());
        let mut size = 0;
        let gaen = if gaen.is_empty() {
            gaen
        } else {
            // The signature is random (ECDSA), so the reported size is export.bin's.
            let rng = ring::rand::SystemRandom::new();
            let pkcs8 = Signer::generate_pkcs8(&rng).map_err(|e| err(&e))?;
            let signer = Signer::from_pkcs8(&pkcs8, "sim", "v1", &rng).map_err(|e| err(&e))?;
            let meta = ExportMeta::covering(&gaen, "SIM");
            size += write_export_bin(&meta, &gaen, &[], Some(&signer))
                .map_err(|e| err(&e))?
                .len();
            let zip = write_export_zip(&meta, &gaen, &[], &signer, &rng).map_err(|e| err(&e))?;
            read_export(&zip, &Verification::trusting([signer.trusted_key()]))
                .map_err(|e| err(&e))?
                .diagnosis_keys()
        };
        let bluezone = if bluezone.is_empty() {
            bluezone
        } else {
            let json = write_f0(&bluezone);
            size += json.len();
            parse_f0(json.as_bytes()).map_err(|e| err(&e))?
        };
        Ok((gaen, bluezone, size))
    }
}
