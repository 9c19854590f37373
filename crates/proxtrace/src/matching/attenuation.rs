//! How a matched scan instance's attenuation is computed before it is bucketed: options that
//! field data justified (`docs/accuracy.md`). Every default is GAEN's own rule, so a health
//! authority's existing configuration keeps its meaning: `TX − RSSI`, the typical attenuation,
//! no smoothing.

use serde::{Deserialize, Serialize};

use crate::sighting::ScanAggregate;

use super::MatchError;
use super::index::EncounterIndex;

/// Attenuation options of a match (field figures in `docs/accuracy.md`). Every default is
/// GAEN's own rule: `TX − RSSI`, the typical attenuation, no smoothing.
///
/// ```
/// use proxtrace::matching::{MatchConfig, BucketAttenuation};
/// let c: MatchConfig = serde_json::from_str(
///     r#"{"attenuation": {"self_calibration": {"reference_rssi_dbm": -87},
///                         "bucket_by": "minimum", "offset_db": 8}}"#,
/// )?;
/// assert_eq!(c.attenuation.bucket_by, BucketAttenuation::Minimum);
/// c.validate()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct AttenuationConfig {
    /// Receiver-side self-calibration (off by default): shift every logged RSSI so that the
    /// receiver's median logged RSSI lands on a reference. It removes what a table cannot
    /// know — this receiver's own radio, case and pocket — from its logged history.
    pub self_calibration: Option<SelfCalibration>,
    /// Added to every attenuation, dB (default 0; −60…60). Moving all three bucket
    /// thresholds by `−offset_db` has the same effect; this keeps a published configuration
    /// as it is and moves the attenuations instead.
    pub offset_db: i8,
    /// Which attenuation the buckets are chosen by (default the typical attenuation, as
    /// GAEN's daily summaries).
    pub bucket_by: BucketAttenuation,
    /// Smoothing over consecutive scan instances of one key before bucketing (default none).
    pub smoothing: Smoothing,
}

/// Which attenuation of a scan instance decides its bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum BucketAttenuation {
    /// `TX − mean RSSI` (GAEN's `typicalAttenuationDb`).
    #[default]
    Typical,
    /// `TX − strongest RSSI` (GAEN's `minAttenuationDb`).
    Minimum,
}

/// Smoothing of the attenuations of one key's scan instances, in time order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Smoothing {
    /// None.
    #[default]
    None,
    /// Each instance's attenuations become the median of themselves and their neighbours
    /// (the first and last instance: the mean of the two available, rounded half up).
    #[serde(rename = "median_of_3")]
    MedianOf3,
}

/// Receiver-side self-calibration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SelfCalibration {
    /// The RSSI, dBm, that the receiver's median logged RSSI is mapped onto. Default −87:
    /// the median of 18 phones' medians of raw RSSI on DP-3T experiment 34 with the
    /// statistic of [`median_logged_rssi`] (−86.5, rounded half away from zero; no labels
    /// used). A receiver's own RSSI correction cancels out: the shift replaces it.
    pub reference_rssi_dbm: i8,
    /// The receiver's median logged RSSI, dBm, when the host knows it from a longer history
    /// than the scan instances being matched ([`median_logged_rssi`] over the whole log).
    /// `None` (default): the median over the scan instances the match runs against. The
    /// statistic needs a long history: over a single crowded half hour it absorbs how
    /// crowded the room was, which hurts.
    pub receiver_median_rssi_dbm: Option<i8>,
    /// With `receiver_median_rssi_dbm` unset and fewer scan instances than this to take the
    /// median over, no shift is applied. Default 100.
    pub min_scan_instances: u32,
}

impl Default for SelfCalibration {
    fn default() -> Self {
        Self {
            reference_rssi_dbm: -87,
            receiver_median_rssi_dbm: None,
            min_scan_instances: 100,
        }
    }
}

/// Median of `values`; for an even count the mean of the two middle values rounded half away
/// from zero. `None` for no values.
fn median_i8(values: impl IntoIterator<Item = i8>) -> Option<i8> {
    let mut counts = [0u64; 256];
    let mut n = 0u64;
    for v in values {
        counts[(i16::from(v) + 128) as usize] += 1;
        n += 1;
    }
    if n == 0 {
        return None;
    }
    // The values of rank (n − 1) / 2 and n / 2 (0-based).
    let nth = |rank: u64| {
        let mut seen = 0u64;
        for (i, c) in counts.iter().enumerate() {
            seen += c;
            if seen > rank {
                return i as i16 - 128;
            }
        }
        127
    };
    let (a, b) = (nth((n - 1) / 2), nth(n / 2));
    let sum = a + b;
    let half = if sum < 0 {
        -((-sum + 1) / 2)
    } else {
        (sum + 1) / 2
    };
    Some(half as i8)
}

/// The median of the mean RSSI of logged scan instances (each instance counts once), the
/// statistic [`SelfCalibration`] uses: e.g. over a receiver's whole encounter log.
pub fn median_logged_rssi<'a>(records: impl IntoIterator<Item = &'a ScanAggregate>) -> Option<i8> {
    median_i8(records.into_iter().map(|r| r.mean_rssi))
}

impl AttenuationConfig {
    pub(crate) fn validate(&self) -> Result<(), MatchError> {
        let bad = |m: String| Err(MatchError::Config(m));
        if !(-60..=60).contains(&self.offset_db) {
            return bad(format!(
                "attenuation.offset_db is {}; it must be within −60…60 dB",
                self.offset_db
            ));
        }
        if let Some(s) = &self.self_calibration {
            if !(-127..=20).contains(&s.reference_rssi_dbm) {
                return bad(format!(
                    "attenuation.self_calibration.reference_rssi_dbm is {}; it must be within −127…20 dBm",
                    s.reference_rssi_dbm
                ));
            }
            if let Some(m) = s.receiver_median_rssi_dbm
                && !(-127..=20).contains(&m)
            {
                return bad(format!(
                    "attenuation.self_calibration.receiver_median_rssi_dbm is {m}; it must be within −127…20 dBm"
                ));
            }
        }
        Ok(())
    }

    /// dB added to every logged RSSI of this match (self-calibration), 0 without it.
    pub(crate) fn rssi_shift(&self, index: &EncounterIndex) -> i16 {
        let Some(s) = &self.self_calibration else {
            return 0;
        };
        let median = s.receiver_median_rssi_dbm.or_else(|| {
            (index.len() as u64 >= u64::from(s.min_scan_instances))
                .then(|| {
                    median_i8(
                        index
                            .gaen
                            .iter()
                            .map(|e| e.mean_rssi)
                            .chain(index.bluezone.iter().map(|e| e.mean_rssi)),
                    )
                })
                .flatten()
        });
        median.map_or(0, |m| i16::from(s.reference_rssi_dbm) - i16::from(m))
    }

    /// `TX − (RSSI + shift) + offset`, clamped to 0…255.
    pub(crate) fn attenuation(&self, tx: i8, rssi: i8, shift: i16) -> u8 {
        (i16::from(tx) - i16::from(rssi) - shift + i16::from(self.offset_db)).clamp(0, 255) as u8
    }
}

/// Median of 3 over a sequence, in place (ends: the rounded mean of the two available).
pub(crate) fn median_of_3(values: &mut [u8]) {
    if values.len() < 2 {
        return;
    }
    let src = values.to_vec();
    let n = src.len();
    for i in 0..n {
        values[i] = if i == 0 || i == n - 1 {
            let j = if i == 0 { 1 } else { n - 2 };
            (u16::from(src[i]) + u16::from(src[j])).div_ceil(2) as u8
        } else {
            let mut w = [src[i - 1], src[i], src[i + 1]];
            w.sort_unstable();
            w[1]
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median_i8([]), None);
        assert_eq!(median_i8([-80]), Some(-80));
        assert_eq!(median_i8([-80, -83, -90]), Some(-83));
        assert_eq!(median_i8([-80, -81]), Some(-81)); // −80.5 → −81
        assert_eq!(median_i8([-80, -83]), Some(-82)); // −81.5 → −82
        assert_eq!(median_i8([-128, 127]), Some(-1)); // −0.5 → −1
    }

    #[test]
    fn smoothing() {
        let mut v = [50, 70, 52, 54, 90];
        median_of_3(&mut v);
        assert_eq!(v, [60, 52, 54, 54, 72]);
        let mut one = [40];
        median_of_3(&mut one);
        assert_eq!(one, [40]);
    }

    #[test]
    fn attenuation_and_shift() {
        let c = AttenuationConfig {
            offset_db: 8,
            ..Default::default()
        };
        assert_eq!(c.attenuation(-24, -80, 0), 64);
        assert_eq!(c.attenuation(-24, -80, 2), 62);
        assert_eq!(c.attenuation(-50, 20, 0), 0);
        let mut c = AttenuationConfig::default();
        assert_eq!(c.rssi_shift(&EncounterIndex::default()), 0);
        c.self_calibration = Some(SelfCalibration {
            receiver_median_rssi_dbm: Some(-86),
            ..Default::default()
        });
        assert_eq!(c.rssi_shift(&EncounterIndex::default()), -1); // −87 − (−86)
        c.self_calibration = Some(SelfCalibration::default());
        assert_eq!(c.rssi_shift(&EncounterIndex::default()), 0); // too few instances
        c.offset_db = 61;
        assert!(c.validate().is_err());
    }
}
