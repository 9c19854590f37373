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
    /// More matcher threads than [`max_threads`] allows.
    #[error(
        "{requested} matcher threads asked for; at most {limit} (this machine's cores × {THREADS_PER_CORE})"
    )]
    TooManyThreads {
        /// Threads asked for.
        requested: usize,
        /// The limit on this machine.
        limit: usize,
    },
    /// The matcher's thread pool could not be started.
    #[error("cannot start {threads} matcher threads: {reason}")]
    ThreadPool {
        /// Threads asked for.
        threads: usize,
        /// Why the pool failed.
        reason: String,
    },
}

/// Matcher threads allowed per core: more only adds scheduling and memory (each worker has its
/// own stack), never speed, and an unbounded count lets one argument exhaust the process.
pub const THREADS_PER_CORE: usize = 4;

/// Cores this process may use (1 when the platform cannot tell).
pub fn available_cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// The most threads a [`FastEngine`] accepts: [`available_cores`] × [`THREADS_PER_CORE`].
pub fn max_threads() -> usize {
    available_cores().saturating_mul(THREADS_PER_CORE)
}

static POOLS_STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Thread pools fast engines have started in this process: one per multi-threaded
/// [`FastEngine::new`], none per match (a test's way to see that a match starts no threads).
pub fn thread_pools_started() -> usize {
    POOLS_STARTED.load(std::sync::atomic::Ordering::Relaxed)
}

/// What one match run derived (for tests and benchmarks; results never depend on it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MatchStats {
    /// GAEN keys whose identifiers were derived: duplicates and superseded entries of one key
    /// are derived once (the last entry, the only one whose hits can count).
    pub gaen_keys_derived: usize,
    /// Bluezone daily keys whose slot chains were walked, counted the same way.
    pub bluezone_keys_derived: usize,
}

/// Which inner loop a [`Matcher`] runs.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Engine {
    /// The straightforward reference inner loop: the oracle and the benchmark baseline.
    Reference,
    /// The fast inner loop (specialised HKDF, batched AES, seeded tables, parallel).
    Fast(FastEngine),
}

/// Settings of the fast inner loop.
///
/// A multi-threaded engine owns its thread pool, built once in [`FastEngine::new`] and shared
/// by clones and by every match it runs.
#[derive(Clone)]
pub struct FastEngine {
    threads: usize,
    seed: fast::HashSeed,
    backend: fast::Backend,
    pool: Option<std::sync::Arc<rayon::ThreadPool>>,
}

impl FastEngine {
    /// Run on `threads` threads (0 = one per core) with a lookup-table hash seed drawn from
    /// `rng`. Logged identifiers are attacker-controlled; the secret seed keeps anyone from
    /// aiming many of them at one table bucket.
    ///
    /// More than [`max_threads`] threads is [`MatchError::TooManyThreads`].
    pub fn new<R: rand::TryCryptoRng + ?Sized>(
        threads: usize,
        rng: &mut R,
    ) -> Result<Self, MatchError> {
        let limit = max_threads();
        if threads > limit {
            return Err(MatchError::TooManyThreads {
                requested: threads,
                limit,
            });
        }
        let threads = if threads == 0 {
            available_cores()
        } else {
            threads
        };
        let mut b = [0u8; 32];
        rng.try_fill_bytes(&mut b)
            .map_err(|e| KeyError::Random(e.to_string()))?;
        let word = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[8 * i..8 * i + 8]);
            u64::from_le_bytes(w)
        };
        let pool = if threads > 1 {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .map_err(|e| MatchError::ThreadPool {
                    threads,
                    reason: e.to_string(),
                })?;
            POOLS_STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Some(std::sync::Arc::new(pool))
        } else {
            None
        };
        Ok(Self {
            threads,
            seed: fast::HashSeed([word(0), word(1), word(2), word(3)]),
            backend: fast::Backend::detect(),
            pool,
        })
    }

    /// Threads the engine runs on (a 0 given to [`FastEngine::new`] is resolved to the cores).
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Use the portable SHA-256 and AES paths even where the CPU has SHA / AES extensions (to
    /// compare the two, and so tests exercise the fallback on any machine).
    #[must_use]
    pub fn portable(mut self) -> Self {
        self.backend = fast::Backend::PORTABLE;
        self
    }

    /// Whether the SHA-256 and AES work runs on CPU intrinsics (false: the portable path).
    pub fn uses_cpu_intrinsics(&self) -> bool {
        self.backend.uses_intrinsics()
    }

    fn options(&self) -> fast::Options<'_> {
        fast::Options {
            pool: self.pool.as_deref(),
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
    ///
    /// The engine is the fast one on one thread, its lookup-table seed drawn from the operating
    /// system's random source; [`with_engine`](Self::with_engine) picks more threads, a seed of
    /// your own or the reference loop.
    pub fn new(config: MatchConfig) -> Result<Self, MatchError> {
        config.validate()?;
        let engine = FastEngine::new(1, &mut rand::rngs::SysRng)?;
        Ok(Self {
            config,
            engine: Engine::Fast(engine),
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
        self.run_with_stats(index, gaen, bluezone).map(|(r, _)| r)
    }

    /// [`Matcher::run`], also returning what the run derived.
    pub fn run_with_stats(
        &self,
        index: &EncounterIndex,
        gaen: &[GaenDiagnosisKey],
        bluezone: &[BluezoneDiagnosisKey],
    ) -> Result<(MatchResult, MatchStats), MatchError> {
        let (gaen_hits, bluezone_hits, stats) = match &self.engine {
            Engine::Reference => {
                let (g, gn) = reference::gaen_hits(index, gaen);
                let (b, bn) = reference::bluezone_hits(index, bluezone)?;
                (
                    g,
                    b,
                    MatchStats {
                        gaen_keys_derived: gn,
                        bluezone_keys_derived: bn,
                    },
                )
            }
            Engine::Fast(f) => {
                let (g, gn) = fast::gaen_hits(index, gaen, &self.config, f.options())?;
                let (b, bn) = fast::bluezone_hits(index, bluezone, &self.config, f.options())?;
                (
                    g,
                    b,
                    MatchStats {
                        gaen_keys_derived: gn,
                        bluezone_keys_derived: bn,
                    },
                )
            }
        };
        let mut windows = windows::gaen_windows(index, gaen, &gaen_hits, &self.config);
        windows.extend(windows::bluezone_windows(
            index,
            bluezone,
            &bluezone_hits,
            &self.config,
        ));
        Ok((self.finish(windows), stats))
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
