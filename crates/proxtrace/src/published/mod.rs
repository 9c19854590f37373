//! Keys that infected people published, as the matcher consumes them.
//!
//! * GAEN: [`GaenDiagnosisKey`]s from diagnosis key export files.
//! * Bluezone: [`BluezoneDiagnosisKey`]s from F0 payloads.

pub mod export;
pub mod f0;

use serde::{Deserialize, Serialize};

use crate::bluezone::DailyKey;
use crate::gaen::TemporaryExposureKey;
use crate::time::{EN_INTERVALS_PER_DAY, EnIntervalNumber, SlotsPerDay, UnixTime};

/// GAEN report type of a diagnosis key (export file field `report_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReportType {
    /// 0: not set.
    Unknown,
    /// 1: confirmed by a test.
    ConfirmedTest,
    /// 2: confirmed by a clinician.
    ConfirmedClinicalDiagnosis,
    /// 3: self-reported.
    SelfReport,
    /// 4: reserved by the protocol (recursive notification).
    Recursive,
    /// 5: the key was revoked; it cancels earlier matches of the same key.
    Revoked,
}

impl ReportType {
    /// The protobuf enum value.
    pub const fn to_i32(self) -> i32 {
        match self {
            Self::Unknown => 0,
            Self::ConfirmedTest => 1,
            Self::ConfirmedClinicalDiagnosis => 2,
            Self::SelfReport => 3,
            Self::Recursive => 4,
            Self::Revoked => 5,
        }
    }

    /// From the protobuf enum value; `None` for values the protocol does not define.
    pub const fn from_i32(v: i32) -> Option<Self> {
        Some(match v {
            0 => Self::Unknown,
            1 => Self::ConfirmedTest,
            2 => Self::ConfirmedClinicalDiagnosis,
            3 => Self::SelfReport,
            4 => Self::Recursive,
            5 => Self::Revoked,
            _ => return None,
        })
    }
}

/// A published GAEN Temporary Exposure Key with its validity and report metadata.
#[derive(Debug, Clone)]
pub struct GaenDiagnosisKey {
    /// The key.
    pub key: TemporaryExposureKey,
    /// First interval of validity (`rolling_start_interval_number`).
    pub rolling_start: EnIntervalNumber,
    /// Number of intervals of validity, 1–144 (`rolling_period`).
    pub rolling_period: u32,
    /// How the diagnosis was made, or `Revoked`.
    pub report_type: ReportType,
    /// Days from symptom onset to the key's day (−14…14), if published.
    pub days_since_onset_of_symptoms: Option<i32>,
    /// Deprecated GAEN v1 transmission risk level, if published.
    pub transmission_risk_level: Option<i32>,
}

impl GaenDiagnosisKey {
    /// The default and maximum rolling period.
    pub const MAX_ROLLING_PERIOD: u32 = EN_INTERVALS_PER_DAY;

    /// The intervals this key's RPIs were broadcast in, `[start, start + period)`, or `None`
    /// if the end overflows.
    pub fn validity(&self) -> Option<std::ops::Range<EnIntervalNumber>> {
        let end = self.rolling_start.checked_add(self.rolling_period)?;
        Some(self.rolling_start..end)
    }
}

/// A published Bluezone daily key with the time range it covers (one F0 entry).
#[derive(Debug, Clone)]
pub struct BluezoneDiagnosisKey {
    /// The daily key of the day `time_start` falls on.
    pub daily_key: DailyKey,
    /// First second covered (`time_start`).
    pub time_start: UnixTime,
    /// Last second covered (`time_end`, inclusive).
    pub time_end: UnixTime,
    /// Slots per day the key's identifiers rotate with (`max`).
    pub slots_per_day: SlotsPerDay,
}
