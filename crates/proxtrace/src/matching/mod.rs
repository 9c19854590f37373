//! Matching published keys against the encounter log.
//!
//! ```
//! use proxtrace::gaen::{Metadata, TemporaryExposureKey};
//! use proxtrace::identifier::{GaenPayload, Identifier};
//! use proxtrace::matching::{EncounterIndex, MatchConfig, Matcher};
//! use proxtrace::published::{GaenDiagnosisKey, ReportType};
//! use proxtrace::sighting::ScanAggregate;
//! use proxtrace::time::{EnIntervalNumber, UnixTime};
//!
//! // Someone broadcast this TEK's RPI for interval j; we logged it 15 minutes in.
//! let tek = TemporaryExposureKey::from_bytes([7; 16]);
//! let j = EnIntervalNumber::new(2_650_032);
//! let rpi = tek.rolling_proximity_identifier_key().rolling_proximity_identifier(j);
//! let aem = tek.associated_encrypted_metadata_key().encrypt(&rpi, &Metadata::v1_0(-5));
//! let seen = UnixTime::from_secs(j.start().as_secs() + 60);
//! let record = ScanAggregate {
//!     identifier: Identifier::Gaen(GaenPayload { rpi, aem }),
//!     first_seen: seen, last_seen: seen, count: 3, max_rssi: -55, mean_rssi: -60, tx_power: None,
//! };
//! let index = EncounterIndex::from_records([&record])?;
//!
//! let published = GaenDiagnosisKey {
//!     key: tek, rolling_start: j.day_start(), rolling_period: 144,
//!     report_type: ReportType::ConfirmedTest, days_since_onset_of_symptoms: Some(0),
//!     transmission_risk_level: None,
//! };
//! let result = Matcher::new(MatchConfig::default())?.run(&index, &[published], &[])?;
//! let w = &result.exposure_windows[0];
//! assert_eq!(w.scan_instances[0].typical_attenuation_db, 55); // −5 dBm − (−60 dBm)
//! # Ok::<(), proxtrace::matching::MatchError>(())
//! ```
//!
//! The matcher runs in two stages. The *inner loop* derives each key's identifiers and probes
//! the [`EncounterIndex`]; it yields raw hits. The *semantics* (`windows.rs`, `summary.rs`)
//! turn hits into [`ExposureWindow`]s and [`DailySummary`]s: every rule lives there once, so a
//! faster inner loop cannot change a result.

mod attenuation;
mod config;
mod fast;
mod index;
mod reference;
mod result;
mod summary;
mod windows;

pub use attenuation::{
    AttenuationConfig, BucketAttenuation, SelfCalibration, Smoothing, median_logged_rssi,
};
pub use config::{
    BluezoneMatchConfig, DailySummariesConfig, GaenMatchConfig, Infectiousness, MAX_DRIFT_SLOTS,
    MAX_INTERVAL_TOLERANCE, MAX_SPAN_SECS, MatchConfig, ReportTypeWeights, WindowConfig,
};
pub use index::{EncounterIndex, EncounterIndexBuilder};

/// Heap bytes the fast engine's lookup structures take for this index (for memory budgets).
pub fn fast_lookup_bytes(index: &EncounterIndex, config: &MatchConfig) -> usize {
    fast::lookup_bytes(index, config)
}
pub use result::{DailySummary, ExposureWindow, MatchResult, ScanInstance};

use crate::KeyError;
use crate::published::{BluezoneDiagnosisKey, GaenDiagnosisKey};
use crate::time::{TimeError, UnixTime};

/// What can go wrong in a match.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MatchError {
    /// The configuration is incoherent.
    #[error("invalid match configuration: {0}")]
    Config(String),
    /// A logged time the matcher cannot represent (after 2106-02-07).
    #[error("logged time {0} is past 2106; the matcher keeps 32-bit seconds")]
    TimeOutOfRange(UnixTime),
    /// A logged record that cannot be right.
    #[error("invalid logged record: {0}")]
    InvalidRecord(String),
    /// A published key whose dates cannot be walked.
    #[error("published key cannot be matched: {0}")]
    Key(#[from] KeyError),
    /// A published key whose times are out of range.
    #[error("published key time out of range: {0}")]
    Time(#[from] TimeError),
}

/// Which inner loop a [`Matcher`] runs.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub enum Engine {
    /// The straightforward reference inner loop: the oracle and the benchmark baseline.
    #[default]
    Reference,
    /// The fast inner loop (specialised HKDF, batched AES, seeded tables, parallel).
    Fast(FastEngine),
}

/// Settings of the fast inner loop.
#[derive(Clone, Copy)]
pub struct FastEngine {
    threads: usize,
    seed: fast::HashSeed,
    backend: fast::Backend,
}

impl FastEngine {
    /// Run on `threads` threads (0 = one per core) with a lookup-table hash seed drawn from
    /// `rng`. Logged identifiers are attacker-controlled; the secret seed keeps anyone from
    /// aiming many of them at one table bucket.
    pub fn new<R: rand::TryCryptoRng + ?Sized>(
        threads: usize,
        rng: &mut R,
    ) -> Result<Self, KeyError> {
        let mut b = [0u8; 16];
        rng.try_fill_bytes(&mut b)
            .map_err(|e| KeyError::Random(e.to_string()))?;
        let (lo, hi) = b.split_at(8);
        let word = |s: &[u8]| {
            let mut w = [0u8; 8];
            w.copy_from_slice(s);
            u64::from_le_bytes(w)
        };
        Ok(Self {
            threads,
            seed: fast::HashSeed([word(lo), word(hi)]),
            backend: fast::Backend::detect(),
        })
    }

    /// Threads the engine runs on (0 = one per core).
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Use the portable SHA-256 path even where the CPU has SHA extensions (to compare the
    /// two, and so tests exercise the fallback on any machine).
    #[must_use]
    pub fn portable(mut self) -> Self {
        self.backend = fast::Backend::Portable;
        self
    }

    /// Whether the SHA-256 work runs on CPU intrinsics (false: the portable path).
    pub fn uses_cpu_intrinsics(&self) -> bool {
        self.backend != fast::Backend::Portable
    }

    fn options(&self) -> fast::Options {
        fast::Options {
            threads: self.threads,
            seed: self.seed,
            backend: self.backend,
        }
    }
}

impl std::fmt::Debug for FastEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FastEngine")
            .field("threads", &self.threads)
            .field("seed", &"<redacted>")
            .field("backend", &self.backend)
            .finish()
    }
}

/// Matches published keys against an [`EncounterIndex`].
#[derive(Debug, Clone)]
pub struct Matcher {
    config: MatchConfig,
    engine: Engine,
}

impl Matcher {
    /// A matcher with this configuration (validated) and the default engine.
    pub fn new(config: MatchConfig) -> Result<Self, MatchError> {
        config.validate()?;
        Ok(Self {
            config,
            engine: Engine::default(),
        })
    }

    /// Use another inner loop. Results are identical whichever is chosen.
    #[must_use]
    pub fn with_engine(mut self, engine: Engine) -> Self {
        self.engine = engine;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &MatchConfig {
        &self.config
    }

    /// Match published GAEN and Bluezone keys against the index.
    ///
    /// Keys are given in publication order: a later entry of the same key (revised keys, a
    /// second publication) supersedes earlier ones, and a later `REVOKED` entry cancels them.
    pub fn run(
        &self,
        index: &EncounterIndex,
        gaen: &[GaenDiagnosisKey],
        bluezone: &[BluezoneDiagnosisKey],
    ) -> Result<MatchResult, MatchError> {
        let (gaen_hits, bluezone_hits) = match self.engine {
            Engine::Reference => (
                reference::gaen_hits(index, gaen),
                reference::bluezone_hits(index, bluezone)?,
            ),
            Engine::Fast(f) => (
                fast::gaen_hits(index, gaen, &self.config, f.options())?,
                fast::bluezone_hits(index, bluezone, &self.config, f.options())?,
            ),
        };
        let mut windows = windows::gaen_windows(index, gaen, &gaen_hits, &self.config);
        windows.extend(windows::bluezone_windows(
            index,
            bluezone,
            &bluezone_hits,
            &self.config,
        ));
        Ok(self.finish(windows))
    }

    fn finish(&self, mut windows: Vec<ExposureWindow>) -> MatchResult {
        windows.sort_by(|a, b| {
            (a.start, a.scheme, a.diagnosis_key_index).cmp(&(
                b.start,
                b.scheme,
                b.diagnosis_key_index,
            ))
        });
        let daily_summaries = summary::daily_summaries(&windows, &self.config.scoring);
        let exposed = daily_summaries
            .iter()
            .any(|d| d.score_sum >= self.config.scoring.notification_threshold);
        MatchResult {
            exposed,
            exposure_windows: windows,
            daily_summaries,
        }
    }
}
