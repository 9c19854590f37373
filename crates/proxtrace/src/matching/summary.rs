//! Scoring: window scores and per-UTC-day summaries.

use std::collections::BTreeMap;

use super::attenuation::BucketAttenuation;
use super::config::DailySummariesConfig;
use super::result::{DailySummary, ExposureWindow};

/// Fill a window's weighted duration and score, bucketing by the chosen attenuation.
pub(crate) fn score_window(
    w: &mut ExposureWindow,
    c: &DailySummariesConfig,
    bucket_by: BucketAttenuation,
) {
    let weighted: f64 = w
        .scan_instances
        .iter()
        .map(|s| {
            let a = match bucket_by {
                BucketAttenuation::Typical => s.typical_attenuation_db,
                BucketAttenuation::Minimum => s.min_attenuation_db,
            };
            f64::from(s.seconds_since_last_scan) * c.bucket_weight(a)
        })
        .sum();
    w.weighted_duration_secs = weighted;
    w.score =
        weighted * c.report_type_weight(w.report_type) * c.infectiousness_weight(w.infectiousness);
}

/// Per-day totals over windows scoring at least `minimum_window_score`, in day order.
/// `windows` must already be in their final order (sums are order-sensitive in floating point).
pub(crate) fn daily_summaries(
    windows: &[ExposureWindow],
    c: &DailySummariesConfig,
) -> Vec<DailySummary> {
    let mut days: BTreeMap<_, DailySummary> = BTreeMap::new();
    for w in windows.iter().filter(|w| w.score >= c.minimum_window_score) {
        let d = days.entry(w.day).or_insert_with(|| DailySummary {
            day: w.day,
            date: w.day.iso_date(),
            maximum_score: 0.0,
            score_sum: 0.0,
            weighted_duration_sum: 0.0,
            windows: 0,
        });
        d.maximum_score = d.maximum_score.max(w.score);
        d.score_sum += w.score;
        d.weighted_duration_sum += w.weighted_duration_secs;
        d.windows += 1;
    }
    days.into_values().collect()
}
