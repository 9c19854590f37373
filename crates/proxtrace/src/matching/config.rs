//! What a match counts and how it scores: tolerances, window rules and the GAEN v2
//! `DailySummariesConfig`-like risk configuration. Every field has the reference system's
//! default; every struct deserialises from partial JSON (missing fields keep defaults).

use serde::{Deserialize, Serialize};

use crate::published::ReportType;

use super::MatchError;
use super::attenuation::AttenuationConfig;

/// Everything a match is configured by.
///
/// ```
/// use proxtrace::matching::MatchConfig;
/// let c: MatchConfig = serde_json::from_str(r#"{"gaen": {"tx_power_min_dbm": -40}}"#).unwrap();
/// assert_eq!(c.gaen.tx_power_min_dbm, -40);
/// assert_eq!(c.gaen.intervals_before, 12); // untouched fields keep their defaults
/// c.validate().unwrap();
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct MatchConfig {
    /// GAEN matching rules.
    pub gaen: GaenMatchConfig,
    /// Bluezone matching rules.
    pub bluezone: BluezoneMatchConfig,
    /// How matched scan instances become exposure windows.
    pub windows: WindowConfig,
    /// How windows are scored into daily summaries.
    pub scoring: DailySummariesConfig,
    /// How each scan instance's attenuation is computed (options; defaults are GAEN's).
    pub attenuation: AttenuationConfig,
}

impl MatchConfig {
    /// RPI acceptance of [`with_strict_windows`](Self::with_strict_windows): 10 minutes of
    /// clock difference before, and the 20 minutes an RPI is broadcast plus 10 minutes after.
    pub const STRICT_INTERVALS_BEFORE: u32 = 1;
    /// See [`STRICT_INTERVALS_BEFORE`](Self::STRICT_INTERVALS_BEFORE).
    pub const STRICT_INTERVALS_AFTER: u32 = 3;
    /// Duration rule of [`with_strict_windows`](Self::with_strict_windows): 15 minutes at
    /// full weight with one key on one day.
    pub const STRICT_MIN_KEY_DAILY_DURATION_SECS: u32 = 15 * 60;

    /// Stricter windows against relayed and replayed identifiers: a GAEN sighting counts only
    /// within [`STRICT_INTERVALS_BEFORE`](Self::STRICT_INTERVALS_BEFORE) /
    /// [`STRICT_INTERVALS_AFTER`](Self::STRICT_INTERVALS_AFTER) intervals of its RPI's
    /// (instead of ±2 hours), and a key counts only with at least
    /// [`STRICT_MIN_KEY_DAILY_DURATION_SECS`](Self::STRICT_MIN_KEY_DAILY_DURATION_SECS) of
    /// weighted duration on a day. Costs recall
    /// between phones whose clocks are more than 10 minutes apart, and for contacts made of
    /// several short encounters.
    ///
    /// ```
    /// use proxtrace::matching::MatchConfig;
    /// let c = MatchConfig::default().with_strict_windows();
    /// assert_eq!(c.gaen.intervals_before, 1);
    /// assert_eq!(c.windows.min_key_daily_duration_secs, 900);
    /// c.validate().unwrap();
    /// ```
    #[must_use]
    pub fn with_strict_windows(mut self) -> Self {
        self.gaen.intervals_before = Self::STRICT_INTERVALS_BEFORE;
        self.gaen.intervals_after = Self::STRICT_INTERVALS_AFTER;
        self.windows.min_key_daily_duration_secs = Self::STRICT_MIN_KEY_DAILY_DURATION_SECS;
        self
    }

    /// Check that the configuration is coherent (thresholds increasing, ranges non-empty,
    /// weights finite and non-negative).
    pub fn validate(&self) -> Result<(), MatchError> {
        let bad = |reason: String| Err(MatchError::Config(reason));
        self.attenuation.validate()?;
        // Values that size the matcher's tables and windows are bounded, so a configuration
        // can never make it allocate without limit.
        let bounded: [(&str, u64, u64); 6] = [
            (
                "gaen.intervals_before",
                self.gaen.intervals_before.into(),
                MAX_INTERVAL_TOLERANCE.into(),
            ),
            (
                "gaen.intervals_after",
                self.gaen.intervals_after.into(),
                MAX_INTERVAL_TOLERANCE.into(),
            ),
            (
                "gaen.max_rpi_span_secs",
                self.gaen.max_rpi_span_secs.into(),
                MAX_SPAN_SECS.into(),
            ),
            (
                "bluezone.drift_tolerance_slots",
                self.bluezone.drift_tolerance_slots.into(),
                MAX_DRIFT_SLOTS.into(),
            ),
            (
                "windows.max_window_secs",
                self.windows.max_window_secs.into(),
                MAX_SPAN_SECS.into(),
            ),
            (
                "windows.max_scan_gap_secs",
                self.windows.max_scan_gap_secs.into(),
                MAX_SPAN_SECS.into(),
            ),
        ];
        for (field, value, max) in bounded {
            if value > max {
                return bad(format!("{field} is {value}; at most {max} is allowed"));
            }
        }
        if self.windows.unknown_scan_gap_secs > MAX_SPAN_SECS {
            return bad(format!(
                "windows.unknown_scan_gap_secs is {}; at most {MAX_SPAN_SECS} is allowed",
                self.windows.unknown_scan_gap_secs
            ));
        }
        if self.gaen.tx_power_min_dbm > self.gaen.tx_power_max_dbm {
            return bad(format!(
                "gaen.tx_power_min_dbm ({}) is above gaen.tx_power_max_dbm ({})",
                self.gaen.tx_power_min_dbm, self.gaen.tx_power_max_dbm
            ));
        }
        if self.windows.max_window_secs == 0 {
            return bad("windows.max_window_secs must be positive".into());
        }
        let t = self.scoring.attenuation_thresholds_db;
        if !(t[0] <= t[1] && t[1] <= t[2]) {
            return bad(format!(
                "scoring.attenuation_thresholds_db must be non-decreasing, got {t:?}"
            ));
        }
        let s = &self.scoring;
        let scalars = [
            s.report_type_weights.confirmed_test,
            s.report_type_weights.confirmed_clinical_diagnosis,
            s.report_type_weights.self_report,
            s.report_type_weights.recursive,
            s.minimum_window_score,
            s.notification_threshold,
        ];
        let weights = s
            .attenuation_bucket_weights
            .iter()
            .chain(s.infectiousness_weights.iter())
            .chain(scalars.iter());
        for w in weights {
            if !w.is_finite() || *w < 0.0 {
                return bad(format!(
                    "scoring weights and thresholds must be finite and ≥ 0, got {w}"
                ));
            }
        }
        if s.days_since_onset_to_infectiousness.len() != 29 {
            return bad(format!(
                "scoring.days_since_onset_to_infectiousness needs 29 entries (days −14…14), got {}",
                s.days_since_onset_to_infectiousness.len()
            ));
        }
        if matches!(
            s.report_type_when_missing,
            ReportType::Unknown | ReportType::Revoked
        ) {
            return bad("scoring.report_type_when_missing must be a diagnosis report type".into());
        }
        Ok(())
    }
}

/// Largest `gaen.intervals_before` / `intervals_after`: one day of EN intervals either side.
pub const MAX_INTERVAL_TOLERANCE: u32 = 144;
/// Largest `bluezone.drift_tolerance_slots` (a day of the finest slots Bluezone servers used).
pub const MAX_DRIFT_SLOTS: u32 = 288;
/// Largest span, in seconds, of any time window of the configuration (one day).
pub const MAX_SPAN_SECS: u32 = 86_400;

/// GAEN rules: time tolerance, replay limit, TX power bounds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GaenMatchConfig {
    /// A sighting of RPI *j* counts if its interval is ≥ *j* − this (12 = 2 h of clock drift).
    pub intervals_before: u32,
    /// … and ≤ *j* + this (12, i.e. the half-open `[j − 12, j + 13)`).
    pub intervals_after: u32,
    /// Per RPI, scan instances starting more than this many seconds after its first counted
    /// sighting are ignored (limits replay; 20 minutes).
    pub max_rpi_span_secs: u32,
    /// Lowest TX power accepted from decrypted metadata, dBm (the AEM is unauthenticated).
    pub tx_power_min_dbm: i8,
    /// Highest TX power accepted, dBm.
    pub tx_power_max_dbm: i8,
}

impl Default for GaenMatchConfig {
    fn default() -> Self {
        Self {
            intervals_before: 12,
            intervals_after: 12,
            max_rpi_span_secs: 20 * 60,
            tx_power_min_dbm: -50,
            tx_power_max_dbm: 20,
        }
    }
}

/// Bluezone rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BluezoneMatchConfig {
    /// Widen each slot window by this many slots on both sides (clock drift; the original: 0).
    pub drift_tolerance_slots: u32,
    /// TX power assumed when the sender advertised none (Bluezone IDs carry no metadata), dBm.
    pub default_tx_power_dbm: i8,
    /// Report type given to Bluezone matches (F0 payloads carry none).
    pub report_type: ReportType,
}

impl Default for BluezoneMatchConfig {
    fn default() -> Self {
        Self {
            drift_tolerance_slots: 0,
            default_tx_power_dbm: 0,
            report_type: ReportType::ConfirmedTest,
        }
    }
}

/// How matched scan instances of one key are grouped into exposure windows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WindowConfig {
    /// A window covers at most this many seconds from its first scan instance (30 minutes).
    pub max_window_secs: u32,
    /// `seconds_since_last_scan` of a window's first instance, when the previous scan is
    /// unknown (120 s).
    pub unknown_scan_gap_secs: u32,
    /// Cap on `seconds_since_last_scan` (5 minutes).
    pub max_scan_gap_secs: u32,
    /// A duration rule: windows of a key whose weighted durations on a day add up to less
    /// than this many seconds are dropped, so that a notification needs enough exposure to
    /// one person rather than many short exposures added up. Default 0 (off; GAEN's rule).
    pub min_key_daily_duration_secs: u32,
}

impl Default for WindowConfig {
    fn default() -> Self {
        Self {
            max_window_secs: 30 * 60,
            unknown_scan_gap_secs: 120,
            max_scan_gap_secs: 5 * 60,
            min_key_daily_duration_secs: 0,
        }
    }
}

/// How infectious a diagnosis key's owner was on the key's day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Infectiousness {
    /// Not infectious: matches of such keys produce no window.
    None,
    /// Standard infectiousness.
    Standard,
    /// High infectiousness.
    High,
}

/// Weights per report type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportTypeWeights {
    /// `CONFIRMED_TEST`.
    pub confirmed_test: f64,
    /// `CONFIRMED_CLINICAL_DIAGNOSIS`.
    pub confirmed_clinical_diagnosis: f64,
    /// `SELF_REPORT`.
    pub self_report: f64,
    /// `RECURSIVE`.
    pub recursive: f64,
}

impl Default for ReportTypeWeights {
    fn default() -> Self {
        Self {
            confirmed_test: 1.0,
            confirmed_clinical_diagnosis: 1.0,
            self_report: 1.0,
            recursive: 0.0,
        }
    }
}

/// GAEN v2 `DailySummariesConfig`-like scoring.
///
/// Scan time is split by *typical* attenuation into IMMEDIATE (≤ t0), NEAR (≤ t1), MEDIUM
/// (≤ t2) and OTHER buckets. A window's weighted duration is Σ seconds × bucket weight; its
/// score is that × report-type weight × infectiousness weight. Windows scoring below
/// `minimum_window_score` do not count towards daily summaries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DailySummariesConfig {
    /// Three non-decreasing attenuation thresholds, dB.
    pub attenuation_thresholds_db: [u8; 3],
    /// Weights of the IMMEDIATE, NEAR, MEDIUM and OTHER buckets.
    pub attenuation_bucket_weights: [f64; 4],
    /// Weights per report type.
    pub report_type_weights: ReportTypeWeights,
    /// Report type assumed for keys published as `UNKNOWN`.
    pub report_type_when_missing: ReportType,
    /// Weights of STANDARD and HIGH infectiousness.
    pub infectiousness_weights: [f64; 2],
    /// Infectiousness by days since symptom onset, for days −14…14 (29 entries).
    pub days_since_onset_to_infectiousness: Vec<Infectiousness>,
    /// Infectiousness for keys published without days since onset.
    pub infectiousness_when_days_since_onset_missing: Infectiousness,
    /// Windows scoring below this do not count.
    pub minimum_window_score: f64,
    /// A day whose `score_sum` reaches this counts as an exposure (notify the user). The
    /// default, 900, is 15 minutes at full weight.
    pub notification_threshold: f64,
}

impl Default for DailySummariesConfig {
    fn default() -> Self {
        // Infectious from 2 days before onset to 7 days after, most around onset.
        let days_since_onset_to_infectiousness = (-14..=14)
            .map(|d| match d {
                -2..=2 => Infectiousness::High,
                3..=7 => Infectiousness::Standard,
                _ => Infectiousness::None,
            })
            .collect();
        Self {
            attenuation_thresholds_db: [55, 63, 73],
            attenuation_bucket_weights: [1.5, 1.0, 0.5, 0.0],
            report_type_weights: ReportTypeWeights::default(),
            report_type_when_missing: ReportType::ConfirmedTest,
            infectiousness_weights: [1.0, 1.5],
            days_since_onset_to_infectiousness,
            infectiousness_when_days_since_onset_missing: Infectiousness::Standard,
            minimum_window_score: 0.0,
            notification_threshold: 900.0,
        }
    }
}

impl DailySummariesConfig {
    /// Weight of the bucket a typical attenuation falls in.
    pub fn bucket_weight(&self, typical_attenuation_db: u8) -> f64 {
        let [t0, t1, t2] = self.attenuation_thresholds_db;
        let [w0, w1, w2, w3] = self.attenuation_bucket_weights;
        match typical_attenuation_db {
            a if a <= t0 => w0,
            a if a <= t1 => w1,
            a if a <= t2 => w2,
            _ => w3,
        }
    }

    /// Weight of a report type (after `report_type_when_missing` is applied).
    pub fn report_type_weight(&self, report_type: ReportType) -> f64 {
        let w = &self.report_type_weights;
        match self.effective_report_type(report_type) {
            ReportType::ConfirmedTest => w.confirmed_test,
            ReportType::ConfirmedClinicalDiagnosis => w.confirmed_clinical_diagnosis,
            ReportType::SelfReport => w.self_report,
            ReportType::Recursive => w.recursive,
            ReportType::Unknown | ReportType::Revoked => 0.0,
        }
    }

    /// `report_type_when_missing` for `UNKNOWN`, the type itself otherwise.
    pub fn effective_report_type(&self, report_type: ReportType) -> ReportType {
        match report_type {
            ReportType::Unknown => self.report_type_when_missing,
            other => other,
        }
    }

    /// Infectiousness for a key's days since onset (outside −14…14: `None`).
    pub fn infectiousness(&self, days_since_onset: Option<i32>) -> Infectiousness {
        match days_since_onset {
            None => self.infectiousness_when_days_since_onset_missing,
            Some(d) => usize::try_from(i64::from(d) + 14)
                .ok()
                .and_then(|i| self.days_since_onset_to_infectiousness.get(i).copied())
                .unwrap_or(Infectiousness::None),
        }
    }

    /// Weight of an infectiousness level (`None` weighs 0).
    pub fn infectiousness_weight(&self, i: Infectiousness) -> f64 {
        match i {
            Infectiousness::None => 0.0,
            Infectiousness::Standard => self.infectiousness_weights[0],
            Infectiousness::High => self.infectiousness_weights[1],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_round_trip_through_json() {
        let c = MatchConfig::default();
        c.validate().unwrap();
        let json = serde_json::to_string(&c).unwrap();
        let back: MatchConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn incoherent_configs_are_rejected() {
        let mut c = MatchConfig::default();
        c.scoring.attenuation_thresholds_db = [60, 50, 70];
        assert!(matches!(c.validate(), Err(MatchError::Config(_))));
        let mut c = MatchConfig::default();
        c.gaen.tx_power_min_dbm = 30;
        assert!(c.validate().is_err());
        let mut c = MatchConfig::default();
        c.scoring.attenuation_bucket_weights[2] = f64::NAN;
        assert!(c.validate().is_err());
        let mut c = MatchConfig::default();
        c.scoring.days_since_onset_to_infectiousness.pop();
        assert!(c.validate().is_err());
        assert!(serde_json::from_str::<MatchConfig>(r#"{"gaen": {"typo": 1}}"#).is_err());
    }

    #[test]
    fn buckets_and_infectiousness() {
        let s = DailySummariesConfig::default();
        assert_eq!(s.bucket_weight(55), 1.5);
        assert_eq!(s.bucket_weight(56), 1.0);
        assert_eq!(s.bucket_weight(73), 0.5);
        assert_eq!(s.bucket_weight(74), 0.0);
        assert_eq!(s.infectiousness(Some(0)), Infectiousness::High);
        assert_eq!(s.infectiousness(Some(7)), Infectiousness::Standard);
        assert_eq!(s.infectiousness(Some(-14)), Infectiousness::None);
        assert_eq!(s.infectiousness(Some(15)), Infectiousness::None);
        assert_eq!(s.infectiousness(Some(i32::MIN)), Infectiousness::None);
        assert_eq!(s.infectiousness(None), Infectiousness::Standard);
        assert_eq!(s.report_type_weight(ReportType::Unknown), 1.0);
        assert_eq!(s.report_type_weight(ReportType::Revoked), 0.0);
    }
}
