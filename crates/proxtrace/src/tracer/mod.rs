//! The tracer: the sans-IO core a phone or laptop runs all day.
//!
//! Like quinn-proto's connection and str0m's `Rtc`, a [`Tracer`] never reads a clock or
//! touches a radio. Everything the host learns goes in through one method,
//! [`Tracer::handle_input`] — what the radio received ([`Input::Received`]) and the time
//! ([`Input::Timeout`]) — and everything the tracer wants comes out of one method,
//! [`Tracer::poll_output`]: events, what to advertise, when to scan, and when to wake it next.
//! Storage is injected: an [`EncounterLog`] over any [`StorageBackend`] and a [`KeyStorage`].
//!
//! # Run loop
//!
//! ```text
//! loop {
//!     match tracer.poll_output() {
//!         Output::Event(e) => log_or_act(e),          // e.g. NeedsGattRead: read the ID over GATT
//!         Output::Advertise(a) => radio.advertise(a), // new identifiers, new random address
//!         Output::Scan(s) => radio.scan(s.scanning),
//!         Output::Timeout(t) => {
//!             // Sleep until `t` or until the radio reports something, then:
//!             //   tracer.handle_input(Input::Received(r))?  for each reception
//!             //   tracer.handle_input(Input::Timeout(now))? when `t` has come
//!         }
//!     }
//! }
//! ```
//!
//! Ordinary radio traffic is never an error: a foreign beacon is an
//! [`TracerEvent::Ignored`] event. Errors are for what the host must act on: a failing disk,
//! corrupt storage, or a time the tracer refuses (outside 2000–2105, or more than
//! [`TracerConfig::max_clock_skew_secs`] away from the tracer's clock) — a refused input
//! changes nothing.
//!
//! ```
//! use proxtrace::time::UnixTime;
//! use proxtrace::tracer::{Input, Output, RadioData, Received, Tracer, TracerConfig, TracerEvent};
//! use rand::SeedableRng;
//!
//! let mut rng = rand::rngs::ChaCha20Rng::seed_from_u64(7); // the OS CSPRNG on a phone
//! let now = UnixTime::from_secs(1_763_800_000);
//! let mut alice = Tracer::in_memory(TracerConfig::default(), &mut rng)?;
//! let mut bob = Tracer::in_memory(TracerConfig::default(), &mut rng)?;
//! alice.handle_input(Input::Timeout(now))?;
//! bob.handle_input(Input::Timeout(now))?;
//! let ad = alice.advertisement().expect("advertising after the first timeout").clone();
//! for raw in ad.legacy_advertisements() {
//!     let r = Received::new(RadioData::AdvertisingData(raw.as_bytes()), -60, now);
//!     bob.handle_input(Input::Received(r))?;
//! }
//! // Bob's outputs: his events (the reception was recorded), his advertisement, his scan
//! // state, and last the time to wake him.
//! let mut recorded = false;
//! loop {
//!     match bob.poll_output() {
//!         Output::Event(TracerEvent::Recorded(_)) => recorded = true,
//!         Output::Timeout(t) => { assert!(t >= now); break; }
//!         _ => {}
//!     }
//! }
//! assert!(recorded);
//! let later = UnixTime::from_secs(now.as_secs() + 3600);
//! alice.handle_input(Input::Timeout(later))?;
//! let keys = alice.diagnosis_keys(now, UnixTime::from_secs(u64::MAX))?; // "everything"
//! let result = bob.match_keys(&keys.gaen, &keys.bluezone, &Default::default())?;
//! assert_eq!(result.exposure_windows.len(), 1);
//! # Ok::<(), proxtrace::tracer::TracerError>(())
//! ```

mod admission;
mod config;
mod error;
mod input;
mod keys;
pub mod keystore;
mod output;
mod rotation;

use std::collections::VecDeque;
use std::path::Path;

use rand::rngs::ChaCha20Rng;
use rand::{RngExt, SeedableRng, TryCryptoRng};

pub use config::{
    DEFAULT_MAX_NEW_IDENTIFIERS_PER_SCAN, DEFAULT_MAX_RECORDS_PER_SCAN, Schemes, TracerConfig,
};
pub use error::TracerError;
pub use input::{Input, RadioData, Received};
pub use keys::DiagnosisKeys;
pub use keystore::{FileKeyStorage, KeyStorage, KeyStoreError, MemoryKeyStorage};
pub use output::{Ignored, Output, ScanHint, TracerEvent};
pub use rotation::Advertisement;

use crate::advert::{
    AdvertError, Beacon, decode_advertising_data, decode_manufacturer_data,
    decode_service_data_uuid, is_bluezone_ios_service,
};
use crate::identifier::Identifier;
use crate::log::{EncounterLog, FileBackend, MemoryBackend, StorageBackend};
use crate::matching::{EncounterIndex, MatchConfig, MatchResult, Matcher};
use crate::published::{BluezoneDiagnosisKey, GaenDiagnosisKey};
use crate::sighting::{Aggregator, Sighting};
use crate::time::{CheckedTime, SlotsPerDay, UnixTime, UtcDay};
use admission::Admission;
use keys::KeySchedule;
use rotation::Rotation;

/// Own identifiers remembered so that hearing ourselves is ignored (a few rotations' worth).
const OWN_MEMORY: usize = 8;

/// Events kept for the host between polls; older radio events are dropped past this (and
/// counted in [`TracerEvent::EventsDropped`]).
pub const MAX_QUEUED_EVENTS: usize = 1024;

/// The last report: its arguments and what it returned, so that asking again (a retry after a
/// failed upload or a too-small buffer) returns the same keys instead of publishing the fresh
/// ones started by that report — whenever the retry comes.
#[derive(Debug)]
struct LastReport {
    from: UnixTime,
    to: UnixTime,
    keys: DiagnosisKeys,
}

/// The tracer. See the [module documentation](self).
pub struct Tracer<B: StorageBackend, K: KeyStorage> {
    config: TracerConfig,
    slots_per_day: SlotsPerDay,
    keys: KeySchedule,
    key_storage: K,
    log: EncounterLog<B>,
    aggregator: Aggregator,
    /// The per-scan flood budget between the aggregator and the log.
    admission: Admission,
    rng: ChaCha20Rng,
    rotation: Rotation,
    own: VecDeque<Identifier>,
    /// The latest time any accepted input carried; `None` until the first.
    clock: Option<CheckedTime>,
    last_sync: Option<UnixTime>,
    /// UTC day of the last key/log housekeeping.
    housekeeping_day: Option<UtcDay>,
    scan_phase: u64,
    last_report: Option<LastReport>,
    events: VecDeque<TracerEvent>,
    events_dropped: u64,
    /// An advertisement not yet handed out by `poll_output`.
    advertise_pending: bool,
    /// The scan state last handed out by `poll_output`.
    scan_reported: Option<ScanHint>,
    /// The key store must be rewritten (it was read in a legacy format).
    keys_dirty: bool,
}

impl<B: StorageBackend, K: KeyStorage> std::fmt::Debug for Tracer<B, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracer")
            .field("config", &self.config)
            .field("clock", &self.clock.map(|c| c.time()))
            .finish_non_exhaustive()
    }
}

impl Tracer<FileBackend, FileKeyStorage> {
    /// Open (or create) a tracer whose key store (`keys.ptks`) and log (`encounters.ptlog`)
    /// live in `dir`. A corrupt key store is an error, never silently replaced. Nothing is
    /// expired or written until the first [`Input::Timeout`]. With
    /// [`TracerConfig::storage_key`] both files are sealed with it; a wrong or missing key
    /// is refused (the key store is checked before the log is opened or created) and
    /// changes nothing.
    pub fn open_dir<R: TryCryptoRng + ?Sized>(
        dir: &Path,
        config: TracerConfig,
        rng: &mut R,
    ) -> Result<Self, TracerError> {
        config.validate()?;
        std::fs::create_dir_all(dir).map_err(|e| TracerError::Log(e.into()))?;
        let mut key_storage = FileKeyStorage::new(dir);
        // A wrong or missing storage key is refused before the log is opened or created.
        if let Some(bytes) = key_storage.load().map_err(KeyStoreError::Io)? {
            keystore::check(&bytes, config.storage_key.as_ref())?;
        }
        let mut options = config.log_options();
        if let Some(key) = &config.storage_key {
            options.encryption = Some(key.log_encryption(rng)?);
        }
        let log = EncounterLog::open_dir(dir, options)?;
        Self::new(config, log, key_storage, rng)
    }
}

impl Tracer<MemoryBackend, MemoryKeyStorage> {
    /// A tracer that keeps everything in memory (simulations, tests).
    pub fn in_memory<R: TryCryptoRng + ?Sized>(
        config: TracerConfig,
        rng: &mut R,
    ) -> Result<Self, TracerError> {
        config.validate()?;
        let log = EncounterLog::create(MemoryBackend::new(), config.log_options())?;
        Self::new(config, log, MemoryKeyStorage::new(), rng)
    }
}

fn err_random<E: std::fmt::Display>(e: E) -> TracerError {
    TracerError::Key(crate::KeyError::Random(e.to_string()))
}

impl<B: StorageBackend, K: KeyStorage> Tracer<B, K> {
    /// A tracer over this log and key storage. `rng` must be a CSPRNG (the OS generator on a
    /// phone); it seeds the tracer's own generator for keys, rotation jitter and scan phase.
    ///
    /// Construction only reads: the key store is loaded and checked, and nothing is expired,
    /// created or written until the first [`Input::Timeout`].
    pub fn new<R: TryCryptoRng + ?Sized>(
        config: TracerConfig,
        log: EncounterLog<B>,
        mut key_storage: K,
        rng: &mut R,
    ) -> Result<Self, TracerError> {
        config.validate()?;
        let slots_per_day = config.slots_per_day()?;
        let (keys, keys_dirty) = match key_storage.load().map_err(KeyStoreError::Io)? {
            Some(bytes) => {
                let d = keystore::decode(&bytes, config.storage_key.as_ref())?;
                // A legacy (version 1) store is rewritten in the current format at the first
                // timeout — not here: construction only reads.
                (KeySchedule { keys: d.keys }, d.needs_rewrite)
            }
            None => (KeySchedule::default(), false),
        };
        let mut seed = [0u8; 32];
        rng.try_fill_bytes(&mut seed).map_err(err_random)?;
        let mut rng = ChaCha20Rng::from_seed(seed);
        let scan_phase = rng.random_range(0..u64::from(config.scan_period_secs));
        let aggregator = Aggregator::new(config.aggregation);
        let admission = Admission::new(
            config.max_records_per_scan,
            config.max_new_identifiers_per_scan,
        );
        Ok(Self {
            rotation: Rotation::default(),
            config,
            slots_per_day,
            keys,
            key_storage,
            log,
            aggregator,
            admission,
            rng,
            own: VecDeque::new(),
            clock: None,
            last_sync: None,
            housekeeping_day: None,
            scan_phase,
            last_report: None,
            events: VecDeque::new(),
            events_dropped: 0,
            advertise_pending: false,
            scan_reported: None,
            keys_dirty,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &TracerConfig {
        &self.config
    }

    /// The encounter log (read-only: statistics, iteration).
    pub fn log(&self) -> &EncounterLog<B> {
        &self.log
    }

    /// The key storage (read-only).
    pub fn key_storage(&self) -> &K {
        &self.key_storage
    }

    /// The tracer's clock: the latest time an accepted input carried (`None` before the first).
    pub fn clock(&self) -> Option<UnixTime> {
        self.clock.map(|c| c.time())
    }

    /// Forget the clock, so that the next input may carry any time in the supported range.
    /// For a host that knows the device's time really jumped further than
    /// [`TracerConfig::max_clock_skew_secs`] (a device that slept for days, a clock set by the
    /// user); reopening the tracer has the same effect.
    pub fn reset_clock(&mut self) {
        self.clock = None;
    }

    /// The advertisement in force, once the tracer has been given the time.
    pub fn advertisement(&self) -> Option<&Advertisement> {
        self.rotation.last()
    }

    /// Check an input's time: in the supported range and within the skew of the clock.
    fn check_time(&self, time: UnixTime) -> Result<CheckedTime, TracerError> {
        let checked = CheckedTime::new(time, self.slots_per_day).map_err(TracerError::Time)?;
        if let Some(clock) = self.clock {
            let max = self.config.max_clock_skew_secs;
            let (t, c) = (time.as_secs(), clock.as_secs());
            if t.abs_diff(c) > max {
                return Err(TracerError::ClockSkew {
                    time,
                    clock: clock.time(),
                    max_skew_secs: max,
                });
            }
        }
        Ok(checked)
    }

    /// Move the clock to `t` if it is later; returns the clock.
    fn advance(&mut self, t: CheckedTime) -> CheckedTime {
        match self.clock {
            Some(c) if c.time() >= t.time() => c,
            _ => {
                self.clock = Some(t);
                t
            }
        }
    }

    fn push_event(&mut self, e: TracerEvent) {
        if self.events.len() >= MAX_QUEUED_EVENTS {
            // Drop the oldest radio event; housekeeping events are rare and kept.
            let radio = self.events.iter().position(|e| {
                matches!(
                    e,
                    TracerEvent::Recorded(_) | TracerEvent::Ignored(_) | TracerEvent::NeedsGattRead
                )
            });
            match radio {
                Some(i) => {
                    self.events.remove(i);
                }
                None => {
                    self.events.pop_front();
                }
            }
            self.events_dropped = self.events_dropped.saturating_add(1);
        }
        self.events.push_back(e);
    }

    /// Hand in one input. Returns an error only for what the host must act on (storage that
    /// fails or is corrupt, a refused time); a refused input changes nothing. The outcomes
    /// come out of [`poll_output`](Self::poll_output).
    pub fn handle_input(&mut self, input: Input<'_>) -> Result<(), TracerError> {
        match input {
            Input::Received(r) => self.handle_received(&r),
            Input::Timeout(t) => self.handle_timeout(t),
        }
    }

    fn handle_received(&mut self, r: &Received<'_>) -> Result<(), TracerError> {
        let checked = self.check_time(r.time)?;
        let now = self.advance(checked);
        let event = match self.identify(r) {
            Ok((id, tx_power)) => self.record(id, r.rssi, tx_power, now.time()),
            Err(e) => e,
        };
        self.push_event(event);
        Ok(())
    }

    /// The identifier in a reception, or the event that says why there is none.
    fn identify(&self, r: &Received<'_>) -> Result<(Identifier, Option<i8>), TracerEvent> {
        let ignored = |e: AdvertError| {
            TracerEvent::Ignored(match e {
                AdvertError::NoProximityPayload
                | AdvertError::UnknownServiceUuid(_)
                | AdvertError::UnknownServiceUuid128(_)
                | AdvertError::UnknownCompanyId(_) => Ignored::NotProximity,
                other => Ignored::Malformed(other),
            })
        };
        match r.data {
            RadioData::AdvertisingData(bytes) => {
                let d = decode_advertising_data(bytes).map_err(ignored)?;
                match d.beacon {
                    Beacon::Identifier(id) => Ok((id, r.tx_power.or(d.tx_power_level))),
                    Beacon::BluezoneGattService => Err(TracerEvent::NeedsGattRead),
                }
            }
            RadioData::ServiceData { uuid, data } => decode_service_data_uuid(uuid, data)
                .map(|id| (id, r.tx_power))
                .map_err(ignored),
            RadioData::ManufacturerData { company_id, data } => {
                decode_manufacturer_data(company_id, data)
                    .map(|id| (id, r.tx_power))
                    .map_err(ignored)
            }
            RadioData::ServiceUuid(uuid) if is_bluezone_ios_service(uuid) => {
                Err(TracerEvent::NeedsGattRead)
            }
            RadioData::ServiceUuid(_) => Err(TracerEvent::Ignored(Ignored::NotProximity)),
            RadioData::Identifier(id) => Ok((id, r.tx_power)),
        }
    }

    fn record(
        &mut self,
        identifier: Identifier,
        rssi: i8,
        tx_power: Option<i8>,
        now: UnixTime,
    ) -> TracerEvent {
        let scheme = identifier.scheme();
        let enabled = match identifier {
            Identifier::Gaen(_) => self.config.schemes.gaen,
            Identifier::Bluezone(_) => self.config.schemes.bluezone,
        };
        if !enabled {
            return TracerEvent::Ignored(Ignored::SchemeDisabled(scheme));
        }
        if self.own.contains(&identifier) {
            return TracerEvent::Ignored(Ignored::Own);
        }
        let corrected =
            (i16::from(rssi) + i16::from(self.config.rssi_correction_db)).clamp(-127, 126);
        self.aggregator.observe(&Sighting {
            identifier,
            rssi: corrected as i8,
            tx_power,
            time: now,
        });
        TracerEvent::Recorded(scheme)
    }

    /// Let time pass: roll keys over at UTC midnight and expire old data, rotate the
    /// advertisement, close finished scan instances into the log, make the log durable when
    /// the sync interval has passed.
    fn handle_timeout(&mut self, t: UnixTime) -> Result<(), TracerError> {
        let checked = self.check_time(t)?;
        let now = self.advance(checked);
        self.housekeeping(&now)?;
        if self.rotation.current(now.time()).is_none() {
            self.rotate(&now)?;
        }
        let mut admitted = Vec::new();
        for r in self.aggregator.poll_closed(now.time()) {
            let window = self.scan_window_start(r.first_seen);
            self.admission.push(r, window, &mut admitted);
        }
        if self.admission_due().is_some_and(|d| d <= now.time()) {
            self.admission.release(&mut admitted);
        }
        for r in &admitted {
            self.log.append(r)?;
        }
        let sync_due = self.last_sync.is_none_or(|s| {
            now.time().saturating_secs_since(s) >= u64::from(self.config.sync_interval_secs)
        });
        if self.log.pending() > 0 && sync_due {
            self.log.sync()?;
            self.last_sync = Some(now.time());
        } else if self.last_sync.is_none() {
            self.last_sync = Some(now.time());
        }
        Ok(())
    }

    fn persist_keys(&mut self) -> Result<(), TracerError> {
        let bytes = keystore::encode(
            &self.keys.keys,
            self.config.storage_key.as_ref(),
            &mut self.rng,
        )?;
        self.key_storage.store(&bytes).map_err(KeyStoreError::Io)?;
        Ok(())
    }

    /// Once per UTC day (and at the first timeout): delete expired keys and log pages, make
    /// sure today's keys exist and are stored before anything is broadcast with them.
    fn housekeeping(&mut self, now: &CheckedTime) -> Result<(), TracerError> {
        let mut changed = false;
        if self.housekeeping_day != Some(now.day()) {
            let keys = self.keys.expire(now, self.config.retention_days);
            let log_pages = self.log.expire(now.time())?;
            changed |= keys > 0;
            if keys > 0 || log_pages > 0 {
                self.push_event(TracerEvent::Expired { keys, log_pages });
            }
            self.housekeeping_day = Some(now.day());
        }
        let s = self.config.schemes;
        let rolled = self
            .keys
            .ensure_current(now, s.gaen, s.bluezone, &mut self.rng)?;
        if changed || rolled || self.keys_dirty {
            self.persist_keys()?;
            self.keys_dirty = false;
        }
        if rolled {
            self.push_event(TracerEvent::KeysRolled);
        }
        Ok(())
    }

    fn rotate(&mut self, now: &CheckedTime) -> Result<(), TracerError> {
        let a = self.rotation.rotate(
            now,
            &self.config,
            self.keys.current_tek(now),
            self.keys.current_daily_key(now),
            &mut self.rng,
        )?;
        for id in &a.payloads {
            if self.own.len() == OWN_MEMORY {
                self.own.pop_front();
            }
            self.own.push_back(*id);
        }
        self.advertise_pending = true;
        Ok(())
    }

    /// The next output. Poll until [`Output::Timeout`] (always the last, and repeated while
    /// nothing else is pending).
    pub fn poll_output(&mut self) -> Output {
        if self.events_dropped > 0 {
            let n = std::mem::take(&mut self.events_dropped);
            return Output::Event(TracerEvent::EventsDropped(n));
        }
        if let Some(e) = self.events.pop_front() {
            return Output::Event(e);
        }
        if self.advertise_pending {
            self.advertise_pending = false;
            if let Some(a) = self.rotation.last() {
                return Output::Advertise(a.clone());
            }
        }
        if let Some(now) = self.clock {
            let hint = self.scan_hint(now.time());
            if self.scan_reported != Some(hint) {
                self.scan_reported = Some(hint);
                return Output::Scan(hint);
            }
        }
        Output::Timeout(self.poll_timeout())
    }

    /// When [`Input::Timeout`] must be handed in next (never before the clock;
    /// [`UnixTime::EPOCH`] before the first input: at once).
    pub fn poll_timeout(&self) -> UnixTime {
        let Some(now) = self.clock else {
            return UnixTime::EPOCH;
        };
        let mut t = now.next_midnight();
        if self.housekeeping_day != Some(now.day()) {
            return now.time(); // never housekept (or a new day began): at once
        }
        match self.rotation.next_change() {
            Some(c) => t = t.min(c),
            None => return now.time(),
        }
        if let Some(d) = self.aggregator.next_deadline() {
            t = t.min(d);
        }
        if let Some(d) = self.admission_due() {
            t = t.min(d);
        }
        if self.log.pending() > 0
            && let Some(sync) = self
                .last_sync
                .and_then(|s| s.checked_add_secs(u64::from(self.config.sync_interval_secs)))
        {
            t = t.min(sync);
        }
        t.min(self.scan_hint(now.time()).until).max(now.time())
    }

    /// Whether to scan at `now`, and until when: `scan_window_secs` out of every
    /// `scan_period_secs`, at a phase chosen at random per tracer.
    fn scan_hint(&self, now: UnixTime) -> ScanHint {
        let period = u64::from(self.config.scan_period_secs);
        let window = u64::from(self.config.scan_window_secs);
        let secs = now.as_secs();
        // `secs` is at most 2106 and `period` at most u32::MAX: no overflow.
        let since = (secs % period + period - self.scan_phase % period) % period;
        let start = secs - since;
        if since < window {
            ScanHint {
                scanning: true,
                until: UnixTime::from_secs(start.saturating_add(window)),
            }
        } else {
            ScanHint {
                scanning: false,
                until: UnixTime::from_secs(start.saturating_add(period)),
            }
        }
    }

    /// Start of the scan window (this tracer's schedule) that `t` falls in, or of the last
    /// one before it: the unit of the flood budget.
    fn scan_window_start(&self, t: UnixTime) -> u64 {
        let period = u64::from(self.config.scan_period_secs);
        let secs = t.as_secs();
        secs.saturating_sub((secs % period + period - self.scan_phase % period) % period)
    }

    /// When the scan window whose one-offs are being held is decided: once it is over and
    /// every scan instance that began in it has closed (a phone's 4-second scan: about a
    /// minute after it), and at the latest a period, the longest instance and the gap after
    /// it began.
    fn admission_due(&self) -> Option<UnixTime> {
        let start = self.admission.open_window()?;
        let period = u64::from(self.config.scan_period_secs);
        let a = self.config.aggregation;
        let blocked = self
            .aggregator
            .earliest_unreleased()
            .is_some_and(|e| e.as_secs() < start.saturating_add(period));
        let after = if blocked {
            period + u64::from(a.max_window_secs) + u64::from(a.max_gap_secs) + 1
        } else {
            u64::from(self.config.scan_window_secs)
        };
        Some(UnixTime::from_secs(start.saturating_add(after)))
    }

    /// Records not stored, since this tracer was created, because their scan window had
    /// spent its budget ([`TracerConfig::max_records_per_scan`],
    /// [`TracerConfig::max_new_identifiers_per_scan`]) on records that matter more.
    pub fn flood_dropped(&self) -> u64 {
        self.admission.dropped()
    }

    /// Close every open scan instance and make the log durable (before the app is suspended
    /// or stopped, and before closing).
    pub fn flush(&mut self) -> Result<(), TracerError> {
        let mut admitted = Vec::new();
        for r in self.aggregator.flush() {
            let window = self.scan_window_start(r.first_seen);
            self.admission.push(r, window, &mut admitted);
        }
        self.admission.release(&mut admitted);
        for r in &admitted {
            self.log.append(r)?;
        }
        self.log.sync()?;
        self.last_sync = self.clock.map(|c| c.time()).or(self.last_sync);
        Ok(())
    }

    /// The keys a positive user uploads: GAEN TEKs and Bluezone daily keys broadcast between
    /// `from` and `to` (inclusive; `to` is clamped to the tracer's clock, so "everything" is
    /// `UnixTime::from_secs(u64::MAX)`), each with its validity — never the Bluezone base key.
    ///
    /// Keys are published as of the tracer's clock. A key still in use is cut there, and the
    /// tracer immediately starts fresh keys (a new TEK and a new random Bluezone chain) and
    /// rotates its advertisement, so nothing broadcast after the report can be linked to what
    /// was published. The key store is saved before this returns. Asking again with the same
    /// arguments returns the same keys, whenever it happens (a retry never publishes the fresh
    /// keys started by the report).
    pub fn diagnosis_keys(
        &mut self,
        from: UnixTime,
        to: UnixTime,
    ) -> Result<DiagnosisKeys, TracerError> {
        let now = self.clock.ok_or(TracerError::NoClock)?;
        if let Some(last) = &self.last_report
            && last.from == from
            && last.to == to
        {
            return Ok(last.keys.clone());
        }
        let (keys, cut) = self.keys.diagnosis_keys(from, to, &now, self.slots_per_day);
        if cut {
            let s = self.config.schemes;
            self.keys
                .ensure_current(&now, s.gaen, s.bluezone, &mut self.rng)?;
        }
        self.persist_keys()?;
        if cut {
            self.push_event(TracerEvent::KeysRolled);
            self.rotate(&now)?;
        }
        self.last_report = Some(LastReport {
            from,
            to,
            keys: keys.clone(),
        });
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

    /// [`match_keys`](Self::match_keys) with a prepared matcher (e.g. one whose thread pool
    /// is shared across calls).
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
        for r in self.admission.held().chain(&pending) {
            b.push(r)?;
        }
        Ok(matcher.run(&b.finish(), gaen, bluezone)?)
    }
}
