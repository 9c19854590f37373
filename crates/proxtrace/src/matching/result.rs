//! What a match returns: exposure windows and per-day summaries (serde-serialisable; JSON
//! top level has `exposure_windows` and `daily_summaries`).

use serde::{Deserialize, Serialize};

use crate::identifier::Scheme;
use crate::published::ReportType;
use crate::time::{UnixTime, UtcDay};

use super::config::Infectiousness;

/// One scan of the receiver that heard a matched identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanInstance {
    /// `TX − mean RSSI`, at least 0, dB.
    pub typical_attenuation_db: u8,
    /// `TX − strongest RSSI`, at least 0, dB.
    pub min_attenuation_db: u8,
    /// Scan time this instance stands for: whole minutes since the previous instance of the
    /// window (capped at 5), × 60; 120 s for a window's first instance.
    pub seconds_since_last_scan: u32,
}

/// Up to 30 minutes of sightings of one published key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExposureWindow {
    /// The scheme of the matched key.
    pub scheme: Scheme,
    /// UTC day of the window's first scan instance.
    pub day: UtcDay,
    /// That day as `YYYY-MM-DD`.
    pub date: Option<String>,
    /// First second of the first scan instance.
    pub start: UnixTime,
    /// Last second of the last scan instance.
    pub end: UnixTime,
    /// Report type of the key (UNKNOWN mapped by `report_type_when_missing`).
    pub report_type: ReportType,
    /// Infectiousness of the key's day.
    pub infectiousness: Infectiousness,
    /// GAEN metadata v1.1 calibration confidence of the first instance, if any.
    pub calibration_confidence: Option<u8>,
    /// The scan instances, in time order.
    pub scan_instances: Vec<ScanInstance>,
    /// Σ seconds × attenuation bucket weight.
    pub weighted_duration_secs: f64,
    /// Weighted duration × report type weight × infectiousness weight.
    pub score: f64,
    /// Index of the matched key in the published keys passed to the match (per scheme).
    pub diagnosis_key_index: usize,
}

/// Per-UTC-day totals over the windows that reached the minimum window score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DailySummary {
    /// The UTC day.
    pub day: UtcDay,
    /// That day as `YYYY-MM-DD`.
    pub date: Option<String>,
    /// Highest window score of the day.
    pub maximum_score: f64,
    /// Sum of window scores.
    pub score_sum: f64,
    /// Sum of window weighted durations, seconds.
    pub weighted_duration_sum: f64,
    /// Number of windows counted.
    pub windows: usize,
}

/// The outcome of a match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct MatchResult {
    /// Whether any day's `score_sum` reached the notification threshold.
    pub exposed: bool,
    /// Every exposure window, ordered by start time, then scheme, then key index.
    pub exposure_windows: Vec<ExposureWindow>,
    /// One summary per UTC day with counted windows, in day order.
    pub daily_summaries: Vec<DailySummary>,
}
