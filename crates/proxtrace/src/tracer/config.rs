//! How a tracer behaves: schemes, rotation, scan duty cycle, radio calibration, retention.

use serde::{Deserialize, Serialize};

use crate::calibration::{DeviceCalibration, RSSI_CORRECTION_RANGE_DB};
use crate::gaen::{CalibrationConfidence, Metadata};
use crate::log::DEFAULT_CAPACITY;
use crate::sighting::AggregatorConfig;
use crate::storage_key::StorageKey;
use crate::time::{EN_INTERVAL_SECONDS, SlotsPerDay};

use super::TracerError;

/// Default of [`TracerConfig::max_records_per_scan`].
pub const DEFAULT_MAX_RECORDS_PER_SCAN: u32 = 128;

/// Default of [`TracerConfig::max_new_identifiers_per_scan`].
pub const DEFAULT_MAX_NEW_IDENTIFIERS_PER_SCAN: u32 = 64;

/// Which schemes a tracer speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Schemes {
    /// Google/Apple Exposure Notification v1.2.
    pub gaen: bool,
    /// Bluezone v2.
    pub bluezone: bool,
}

impl Default for Schemes {
    fn default() -> Self {
        Self {
            gaen: true,
            bluezone: false,
        }
    }
}

/// A tracer's configuration. Every field has a default; JSON with unknown fields is rejected
/// so that a typo never silently falls back to a default.
///
/// ```
/// use proxtrace::tracer::TracerConfig;
/// let c: TracerConfig = serde_json::from_str(
///     r#"{"schemes":{"gaen":true,"bluezone":true},
///         "tx_power_dbm":-29,"rssi_correction_db":2,"calibration_confidence":"high"}"#,
/// )?;
/// assert_eq!(c.rotation_secs, 900);
/// c.validate()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TracerConfig {
    /// Schemes to advertise and scan for. Default: GAEN only.
    pub schemes: Schemes,
    /// GAEN-only tracers rotate their identifier (and the platform its address) every
    /// `rotation_secs ± rotation_jitter_secs`, uniformly at random. Default 900 ± 300 s. When
    /// Bluezone is on, both identifiers change together at Bluezone's slot boundaries instead.
    pub rotation_secs: u32,
    /// See `rotation_secs`. `rotation_secs − rotation_jitter_secs` must be at least 600 s (one
    /// GAEN interval), so that every rotation shows a new RPI.
    pub rotation_jitter_secs: u32,
    /// Scan for `scan_window_secs` every `scan_period_secs`. Default 4 s every 300 s.
    pub scan_window_secs: u32,
    /// See `scan_window_secs`.
    pub scan_period_secs: u32,
    /// TX power broadcast in GAEN metadata, dBm (calibrated: `TX − RSSI` is the attenuation).
    /// This phone model's `tx` from a calibration table
    /// ([`CalibrationTable::lookup`](crate::calibration::CalibrationTable::lookup)); default
    /// −24 dBm, the uncalibrated value of [`DeviceCalibration::UNCALIBRATED`]. −50…20.
    pub tx_power_dbm: i8,
    /// Added to every RSSI the radio reports (this phone model's receive calibration), dB.
    /// The result is clamped to −127…126 dBm. Default −3 dB
    /// ([`DeviceCalibration::UNCALIBRATED`]). −60…60.
    pub rssi_correction_db: i8,
    /// How well `tx_power_dbm` and `rssi_correction_db` are known, advertised in GAEN
    /// metadata version 1.1 (byte 0 bits 3–2): `"lowest"` (default: no calibration data),
    /// `"low"` (manufacturer average), `"medium"` (a similar model), `"high"` (this model).
    pub calibration_confidence: CalibrationConfidence,
    /// Days keys and encounters are kept. Default 14.
    pub retention_days: u32,
    /// Make the log durable at least this often, seconds. Default 900: a crash loses at most
    /// 15 minutes of encounters, and the log stores ≈ 14.5 B per scan-instance (a sync after
    /// every scan costs ≈ 15 % more space; see `docs/performance.md`).
    pub sync_interval_secs: u32,
    /// Bluezone identifiers per day (slot length `86 400 / n` s). Default 96.
    pub bluezone_slots_per_day: u32,
    /// When a scan instance ends.
    pub aggregation: AggregatorConfig,
    /// Capacity of a newly created encounter log, bytes. Default 16 MiB.
    pub log_capacity_bytes: u64,
    /// Flood control: each scan window (`scan_period_secs`, at this tracer's phase) stores
    /// at most this many records. When more were heard, what is kept is: identifiers
    /// continuing an encounter stored in an earlier scan, then identifiers heard before but
    /// not stored, then identifiers not heard in any scan of the last hour (one-offs) — the
    /// strongest (highest RSSI, then most sightings) first in each class. Default 128: the
    /// default 16 MiB log holds 128 records per 5-minute scan for the whole 14-day retention,
    /// so no flood can make it evict before the retention ends (`docs/performance.md`, "Log
    /// under a flood"). At least 1. Records not stored are counted in
    /// [`Tracer::flood_dropped`](super::Tracer::flood_dropped).
    pub max_records_per_scan: u32,
    /// Flood control: of a scan window's records, at most this many are one-offs — not heard
    /// in any scan of the last hour — the strongest first. An attacker cycling fresh
    /// identifiers produces only one-offs; a genuine encounter is heard again in the next
    /// scan, and then counts as heard before even if its first scan was over the cap. Default
    /// 64 (a whole commuter day has ≈ 300 distinct identifiers); at least 1.
    pub max_new_identifiers_per_scan: u32,
    /// An input whose time is further than this from the tracer's clock (ahead or behind) is
    /// refused and changes nothing. Default 86 400 s (one day); at least 60 s.
    pub max_clock_skew_secs: u64,
    /// The host's 32-byte storage key, as 64 hexadecimal digits (`"storage_key"` in JSON). It
    /// seals both the key store and the encounter log with ChaCha20-Poly1305, so no key or
    /// identifier is stored in plaintext. Keep it where the platform keeps secrets (Android
    /// Keystore wrapping, iOS Keychain). Without it both files are still created with mode
    /// 0600. A wrong key is an error that reads and changes nothing. Never serialised.
    #[serde(skip_serializing)]
    pub storage_key: Option<StorageKey>,
}

impl Default for TracerConfig {
    fn default() -> Self {
        Self {
            schemes: Schemes::default(),
            rotation_secs: 900,
            rotation_jitter_secs: 300,
            scan_window_secs: 4,
            scan_period_secs: 300,
            tx_power_dbm: DeviceCalibration::UNCALIBRATED.tx_power_dbm,
            rssi_correction_db: DeviceCalibration::UNCALIBRATED.rssi_correction_db,
            calibration_confidence: DeviceCalibration::UNCALIBRATED.confidence,
            retention_days: 14,
            sync_interval_secs: 900,
            bluezone_slots_per_day: 96,
            aggregation: AggregatorConfig::default(),
            log_capacity_bytes: DEFAULT_CAPACITY,
            max_records_per_scan: DEFAULT_MAX_RECORDS_PER_SCAN,
            max_new_identifiers_per_scan: DEFAULT_MAX_NEW_IDENTIFIERS_PER_SCAN,
            max_clock_skew_secs: 86_400,
            storage_key: None,
        }
    }
}

impl TracerConfig {
    /// Check that the values can work together.
    pub fn validate(&self) -> Result<(), TracerError> {
        let bad = |m: String| Err(TracerError::Config(m));
        if !self.schemes.gaen && !self.schemes.bluezone {
            return bad("enable at least one scheme (schemes.gaen or schemes.bluezone)".into());
        }
        let min = self.rotation_secs.saturating_sub(self.rotation_jitter_secs);
        if u64::from(min) < EN_INTERVAL_SECONDS || self.rotation_jitter_secs > self.rotation_secs {
            return bad(format!(
                "rotation_secs − rotation_jitter_secs must be at least {EN_INTERVAL_SECONDS} s (got {} − {})",
                self.rotation_secs, self.rotation_jitter_secs
            ));
        }
        if self.rotation_secs > 86_400 {
            return bad(format!(
                "rotation_secs {} is longer than a day; identifiers must rotate to stay unlinkable",
                self.rotation_secs
            ));
        }
        if self.scan_period_secs == 0
            || self.scan_window_secs == 0
            || self.scan_window_secs > self.scan_period_secs
        {
            return bad(format!(
                "need 0 < scan_window_secs ≤ scan_period_secs (got {} and {})",
                self.scan_window_secs, self.scan_period_secs
            ));
        }
        if self.retention_days == 0 {
            return bad("retention_days must be at least 1".into());
        }
        if self.sync_interval_secs == 0 {
            return bad("sync_interval_secs must be at least 1".into());
        }
        if !(-50..=20).contains(&self.tx_power_dbm) {
            return bad(format!(
                "tx_power_dbm {} is outside −50…20 dBm, which matchers discard",
                self.tx_power_dbm
            ));
        }
        if !RSSI_CORRECTION_RANGE_DB.contains(&self.rssi_correction_db) {
            return bad(format!(
                "rssi_correction_db {} is outside −60…60 dB; no phone model is that far off",
                self.rssi_correction_db
            ));
        }
        if self.aggregation.max_gap_secs == 0 || self.aggregation.max_window_secs == 0 {
            return bad("aggregation gaps and windows must be at least 1 s".into());
        }
        if self.max_new_identifiers_per_scan == 0 || self.max_records_per_scan == 0 {
            return bad(format!(
                "max_records_per_scan ({}) and max_new_identifiers_per_scan ({}) must be at least 1",
                self.max_records_per_scan, self.max_new_identifiers_per_scan
            ));
        }
        if self.max_clock_skew_secs < 60 {
            return bad(format!(
                "max_clock_skew_secs {} is below 60 s; radios deliver reports seconds late",
                self.max_clock_skew_secs
            ));
        }
        SlotsPerDay::new(self.bluezone_slots_per_day)
            .map_err(|e| TracerError::Config(format!("bluezone_slots_per_day: {e}")))?;
        Ok(())
    }

    /// This configuration with a device calibration applied (TX power, RSSI correction and
    /// confidence), e.g. from [`CalibrationTable::lookup`](crate::calibration::CalibrationTable::lookup).
    #[must_use]
    pub fn with_calibration(mut self, c: DeviceCalibration) -> Self {
        self.tx_power_dbm = c.tx_power_dbm;
        self.rssi_correction_db = c.rssi_correction_db;
        self.calibration_confidence = c.confidence;
        self
    }

    /// The device calibration this configuration uses.
    pub fn calibration(&self) -> DeviceCalibration {
        DeviceCalibration {
            tx_power_dbm: self.tx_power_dbm,
            rssi_correction_db: self.rssi_correction_db,
            confidence: self.calibration_confidence,
        }
    }

    /// The GAEN metadata this tracer broadcasts: version 1.1 with its TX power and
    /// calibration confidence.
    pub fn gaen_metadata(&self) -> Metadata {
        Metadata::v1_1(self.tx_power_dbm, self.calibration_confidence)
    }

    /// The encounter log options this configuration implies.
    pub fn log_options(&self) -> crate::log::LogOptions {
        crate::log::LogOptions {
            capacity_bytes: self.log_capacity_bytes,
            retention_days: self.retention_days,
            ..crate::log::LogOptions::default()
        }
    }

    /// Bluezone slots per day, checked.
    pub(crate) fn slots_per_day(&self) -> Result<SlotsPerDay, TracerError> {
        SlotsPerDay::new(self.bluezone_slots_per_day)
            .map_err(|e| TracerError::Config(format!("bluezone_slots_per_day: {e}")))
    }
}
