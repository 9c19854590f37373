//! The tracer: the sans-IO core a phone or laptop runs all day.
//!
//! Like quinn-proto's connection, a [`Tracer`] never reads a clock or touches a radio: the host
//! passes in what it heard ([`Tracer::handle_advertisement`]) and the time
//! ([`Tracer::handle_timeout`]), and asks what to broadcast ([`Tracer::poll_advertisement`]),
//! when to wake it next ([`Tracer::poll_timeout`]) and when to scan ([`Tracer::poll_scan`]).
//! Storage is injected: an [`EncounterLog`] over any [`StorageBackend`] and a [`KeyStorage`].
//!
//! ```
//! use proxtrace::log::{EncounterLog, LogOptions, MemoryBackend};
//! use proxtrace::time::UnixTime;
//! use proxtrace::tracer::{MemoryKeyStorage, Tracer, TracerConfig};
//! use rand::SeedableRng;
//!
//! let mut rng = rand::rngs::ChaCha20Rng::seed_from_u64(7); // the OS CSPRNG on a phone
//! let now = UnixTime::from_secs(1_763_800_000);
//! let (mut alice, mut bob) = (
//!     Tracer::in_memory(TracerConfig::default(), now, &mut rng)?,
//!     Tracer::in_memory(TracerConfig::default(), now, &mut rng)?,
//! );
//! let adv = alice.poll_advertisement(now)?;
//! for ad in adv.legacy_advertisements() {
//!     bob.handle_advertisement(ad.as_bytes(), -60, now)?;
//! }
//! let later = UnixTime::from_secs(now.as_secs() + 3600);
//! let keys = alice.diagnosis_keys(now, later)?; // Alice tests positive and uploads these
//! let result = bob.match_keys(&keys.gaen, &keys.bluezone, &Default::default())?;
//! assert_eq!(result.exposure_windows.len(), 1);
//! # Ok::<(), proxtrace::tracer::TracerError>(())
//! ```

mod config;
mod error;
mod keys;
pub mod keystore;
mod rotation;

use std::collections::VecDeque;
use std::path::Path;

use rand::rngs::ChaCha20Rng;
use rand::{RngExt, SeedableRng, TryCryptoRng};

pub use config::{Schemes, TracerConfig};
pub use error::TracerError;
pub use keys::DiagnosisKeys;
pub use keystore::{FileKeyStorage, KeyStorage, KeyStoreError, MemoryKeyStorage};
pub use rotation::Advertisement;

use crate::advert::{Payload, decode_advertisement};
use crate::identifier::Identifier;
use crate::log::{EncounterLog, FileBackend, LogOptions, MemoryBackend, StorageBackend};
use crate::matching::{EncounterIndex, MatchConfig, MatchResult, Matcher};
use crate::published::{BluezoneDiagnosisKey, GaenDiagnosisKey};
use crate::sighting::{Aggregator, Sighting};
use crate::time::{SECONDS_PER_DAY, UnixTime};
use keys::KeySchedule;
use rotation::Rotation;

/// Own identifiers remembered so that hearing ourselves is ignored (a few rotations' worth).
const OWN_MEMORY: usize = 8;

/// What [`Tracer::handle_advertisement`] did with an advertisement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heard {
    /// A proximity identifier of an enabled scheme: aggregated into the log.
    Recorded,
    /// One of this tracer's own recent identifiers: ignored.
    Own,
    /// A scheme this tracer does not speak: ignored.
    OtherScheme,
    /// A Bluezone iOS phone: its identifier must be read over GATT and handed in as
    /// [`Payload::Bluezone`] through [`Tracer::handle_payload`].
    NeedsGattRead,
}

/// When to scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanHint {
    /// Whether the radio should be scanning now.
    pub scanning: bool,
    /// When that changes.
    pub until: UnixTime,
}

/// The tracer. See the [module documentation](self).
pub struct Tracer<B: StorageBackend, K: KeyStorage> {
    config: TracerConfig,
    keys: KeySchedule,
    key_storage: K,
    log: EncounterLog<B>,
    aggregator: Aggregator,
    rng: ChaCha20Rng,
    rotation: Rotation,
    own: VecDeque<Identifier>,
    /// The latest time any input carried; earlier times are treated as this one.
    now: UnixTime,
    last_sync: UnixTime,
    /// UTC day of the last key/log housekeeping.
    housekeeping_day: Option<u32>,
    scan_phase: u64,
    /// The last report: `(from, to, now)` and what it returned, so that asking again at the
    /// same moment (a retry with a bigger buffer) returns the same keys instead of publishing
    /// the fresh ones started by that report.
    last_report: Option<((UnixTime, UnixTime, UnixTime), DiagnosisKeys)>,
}

impl<B: StorageBackend, K: KeyStorage> std::fmt::Debug for Tracer<B, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracer")
            .field("config", &self.config)
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

impl Tracer<FileBackend, FileKeyStorage> {
    /// Open (or create) a tracer whose key store (`keys.ptks`) and log (`encounters.ptlog`)
    /// live in `dir`. A corrupt key store is an error, never silently replaced.
    pub fn open_dir<R: TryCryptoRng + ?Sized>(
        dir: &Path,
        config: TracerConfig,
        now: UnixTime,
        rng: &mut R,
    ) -> Result<Self, TracerError> {
        config.validate()?;
        std::fs::create_dir_all(dir).map_err(|e| TracerError::Log(e.into()))?;
        let log = EncounterLog::open_dir(dir, log_options(&config), now)?;
        Self::new(config, log, FileKeyStorage::new(dir), now, rng)
    }
}

impl Tracer<MemoryBackend, MemoryKeyStorage> {
    /// A tracer that keeps everything in memory (simulations, tests).
    pub fn in_memory<R: TryCryptoRng + ?Sized>(
        config: TracerConfig,
        now: UnixTime,
        rng: &mut R,
    ) -> Result<Self, TracerError> {
        config.validate()?;
        let log = EncounterLog::create(MemoryBackend::new(), log_options(&config), now)?;
        Self::new(config, log, MemoryKeyStorage::new(), now, rng)
    }
}

fn log_options(config: &TracerConfig) -> LogOptions {
    config.log_options()
}

fn err_random<E>(_: E) -> TracerError {
    TracerError::Key(crate::KeyError::Random(
        "the random generator failed".to_owned(),
    ))
}

impl<B: StorageBackend, K: KeyStorage> Tracer<B, K> {
    /// A tracer over this log and key storage. `rng` must be a CSPRNG (the OS generator on a
    /// phone); it seeds the tracer's own generator for keys, rotation jitter and scan phase.
    pub fn new<R: TryCryptoRng + ?Sized>(
        config: TracerConfig,
        log: EncounterLog<B>,
        mut key_storage: K,
        now: UnixTime,
        rng: &mut R,
    ) -> Result<Self, TracerError> {
        config.validate()?;
        let keys = match key_storage.load().map_err(KeyStoreError::Io)? {
            Some(bytes) => KeySchedule {
                keys: keystore::decode(&bytes)?,
            },
            None => KeySchedule::default(),
        };
        let mut seed = [0u8; 32];
        rng.try_fill_bytes(&mut seed).map_err(err_random)?;
        let mut rng = ChaCha20Rng::from_seed(seed);
        let scan_phase = rng.random_range(0..u64::from(config.scan_period_secs));
        let aggregator = Aggregator::new(config.aggregation);
        let mut t = Self {
            rotation: Rotation::default(),
            config,
            keys,
            key_storage,
            log,
            aggregator,
            rng,
            own: VecDeque::new(),
            now,
            last_sync: now,
            housekeeping_day: None,
            scan_phase,
            last_report: None,
        };
        t.housekeeping(now)?;
        Ok(t)
    }

    /// The configuration.
    pub fn config(&self) -> &TracerConfig {
        &self.config
    }

    /// The encounter log (read-only: statistics, iteration).
    pub fn log(&self) -> &EncounterLog<B> {
        &self.log
    }

    fn advance(&mut self, now: UnixTime) -> UnixTime {
        self.now = self.now.max(now);
        self.now
    }

    fn persist_keys(&mut self) -> Result<(), TracerError> {
        let bytes = keystore::encode(&self.keys.keys)?;
        self.key_storage.store(&bytes).map_err(KeyStoreError::Io)?;
        Ok(())
    }

    /// Once per UTC day (and at start): delete expired keys and log pages, make sure today's
    /// keys exist and are stored before anything is broadcast with them.
    fn housekeeping(&mut self, now: UnixTime) -> Result<(), TracerError> {
        let day = now.utc_day().map_err(TracerError::Time)?.get();
        let mut changed = false;
        if self.housekeeping_day != Some(day) {
            changed |= self.keys.expire(now, self.config.retention_days);
            self.log.expire(now)?;
            self.housekeeping_day = Some(day);
        }
        let s = self.config.schemes;
        changed |= self
            .keys
            .ensure_current(now, s.gaen, s.bluezone, &mut self.rng)?;
        if changed {
            self.persist_keys()?;
        }
        Ok(())
    }

    /// The payloads to broadcast at `now` and when they next change. Call again at
    /// `next_change` (also reported by [`poll_timeout`](Self::poll_timeout)) and re-register
    /// the advertisement with a new random address at the same moment.
    pub fn poll_advertisement(&mut self, now: UnixTime) -> Result<Advertisement, TracerError> {
        let now = self.advance(now);
        self.housekeeping(now)?;
        if let Some(a) = self.rotation.current(now) {
            return Ok(a);
        }
        let spd = self.config.slots_per_day()?;
        let a = self.rotation.rotate(
            now,
            &self.config,
            spd,
            self.keys.current_tek(now),
            self.keys.current_daily_key(now),
            &mut self.rng,
        )?;
        for p in &a.payloads {
            if let Some(id) = p.identifier() {
                if self.own.len() == OWN_MEMORY {
                    self.own.pop_front();
                }
                self.own.push_back(id);
            }
        }
        Ok(a)
    }

    /// Hand in one received advertisement (the raw AD bytes of a legacy advertisement), its
    /// RSSI and when it was heard.
    pub fn handle_advertisement(
        &mut self,
        ad: &[u8],
        rssi: i8,
        now: UnixTime,
    ) -> Result<Heard, TracerError> {
        let decoded = decode_advertisement(ad, None)?;
        self.handle_payload(decoded.payload, rssi, decoded.tx_power_level, now)
    }

    /// Hand in a payload the platform already decoded (Android's `ScanRecord` service data,
    /// a Bluezone identifier read over GATT), its RSSI, the advertised TX power level if any,
    /// and when it was heard.
    pub fn handle_payload(
        &mut self,
        payload: Payload,
        rssi: i8,
        tx_power_level: Option<i8>,
        now: UnixTime,
    ) -> Result<Heard, TracerError> {
        let now = self.advance(now);
        let Some(identifier) = payload.identifier() else {
            return Ok(Heard::NeedsGattRead);
        };
        let enabled = match identifier {
            Identifier::Gaen(_) => self.config.schemes.gaen,
            Identifier::Bluezone(_) => self.config.schemes.bluezone,
        };
        if !enabled {
            return Ok(Heard::OtherScheme);
        }
        if self.own.contains(&identifier) {
            return Ok(Heard::Own);
        }
        let corrected =
            (i16::from(rssi) + i16::from(self.config.rssi_correction_db)).clamp(-127, 126);
        self.aggregator.observe(&Sighting {
            identifier,
            rssi: corrected as i8,
            tx_power: tx_power_level,
            time: now,
        });
        Ok(Heard::Recorded)
    }

    /// Let time pass: close finished scan instances into the log, make the log durable when
    /// the sync interval has passed, roll keys over at UTC midnight, expire old data.
    pub fn handle_timeout(&mut self, now: UnixTime) -> Result<(), TracerError> {
        let now = self.advance(now);
        self.housekeeping(now)?;
        for r in self.aggregator.poll_closed(now) {
            self.log.append(&r)?;
        }
        if self.log.pending() > 0
            && now.saturating_secs_since(self.last_sync)
                >= u64::from(self.config.sync_interval_secs)
        {
            self.log.sync()?;
            self.last_sync = now;
        }
        Ok(())
    }

    /// Close every open scan instance and make the log durable (before the app is suspended
    /// or stopped).
    pub fn flush(&mut self, now: UnixTime) -> Result<(), TracerError> {
        let now = self.advance(now);
        for r in self.aggregator.flush() {
            self.log.append(&r)?;
        }
        self.log.sync()?;
        self.last_sync = now;
        Ok(())
    }

    /// When [`handle_timeout`](Self::handle_timeout) (and, if the advertisement changes then,
    /// [`poll_advertisement`](Self::poll_advertisement)) must be called next.
    pub fn poll_timeout(&self) -> UnixTime {
        let now = self.now;
        let mut t = UnixTime::from_secs((now.as_secs() / SECONDS_PER_DAY + 1) * SECONDS_PER_DAY);
        if let Some(c) = self.rotation.next_change() {
            t = t.min(c);
        }
        if let Some(d) = self.aggregator.next_deadline() {
            t = t.min(d);
        }
        if self.log.pending() > 0 {
            let sync = self
                .last_sync
                .checked_add_secs(u64::from(self.config.sync_interval_secs))
                .unwrap_or(t);
            t = t.min(sync);
        }
        t.min(self.poll_scan(now).until).max(now)
    }

    /// Whether to scan at `now`, and until when: `scan_window_secs` out of every
    /// `scan_period_secs`, at a phase chosen at random per tracer.
    pub fn poll_scan(&self, now: UnixTime) -> ScanHint {
        let period = u64::from(self.config.scan_period_secs);
        let window = u64::from(self.config.scan_window_secs);
        let since = (now.as_secs() + period - self.scan_phase % period) % period;
        let start = now.as_secs() - since;
        if since < window {
            ScanHint {
                scanning: true,
                until: UnixTime::from_secs(start + window),
            }
        } else {
            ScanHint {
                scanning: false,
                until: UnixTime::from_secs(start + period),
            }
        }
    }

    /// The keys a positive user uploads: GAEN TEKs and Bluezone daily keys broadcast between
    /// `from` and `to` (inclusive), each with its validity — never the Bluezone base key.
    ///
    /// Keys are published as of the latest time the tracer has seen. A key still in use is cut
    /// there, and the tracer immediately starts fresh keys (a new TEK and a new random
    /// Bluezone chain) and rotates its advertisement, so nothing broadcast after the report
    /// can be linked to what was published. The key store is saved before this returns.
    /// Asking again with the same arguments before time moves on returns the same keys.
    pub fn diagnosis_keys(
        &mut self,
        from: UnixTime,
        to: UnixTime,
    ) -> Result<DiagnosisKeys, TracerError> {
        let now = self.now;
        if let Some((args, keys)) = &self.last_report
            && *args == (from, to, now)
        {
            return Ok(keys.clone());
        }
        let spd = self.config.slots_per_day()?;
        let (keys, cut) = self.keys.diagnosis_keys(from, to, now, spd);
        if cut {
            let s = self.config.schemes;
            self.keys
                .ensure_current(now, s.gaen, s.bluezone, &mut self.rng)?;
            self.rotation = Rotation::default();
        }
        self.persist_keys()?;
        self.last_report = Some(((from, to, now), keys.clone()));
        Ok(keys)
    }

    /// Match published keys against everything this tracer logged, including scan instances
    /// not yet written to the log.
    pub fn match_keys(
        &self,
        gaen: &[GaenDiagnosisKey],
        bluezone: &[BluezoneDiagnosisKey],
        config: &MatchConfig,
    ) -> Result<MatchResult, TracerError> {
        self.match_with(gaen, bluezone, &Matcher::new(config.clone())?)
    }

    /// [`match_keys`](Self::match_keys) with a prepared matcher (e.g. the fast engine).
    pub fn match_with(
        &self,
        gaen: &[GaenDiagnosisKey],
        bluezone: &[BluezoneDiagnosisKey],
        matcher: &Matcher,
    ) -> Result<MatchResult, TracerError> {
        let mut b = EncounterIndex::builder();
        let pending = self.aggregator.snapshot();
        for r in self.log.iter() {
            b.push(&r?)?;
        }
        for r in &pending {
            b.push(r)?;
        }
        Ok(matcher.run(&b.finish(), gaen, bluezone)?)
    }
}
