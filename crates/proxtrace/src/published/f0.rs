//! Bluezone F0 payloads: the JSON a Bluezone server publishes with infected users' daily keys.
//!
//! `{"data":[{"daily_key":"<64 hex digits>","time_start":<unix s>,"max":96,"time_end":<unix s>}]}`
//!
//! Rules (each a typed [`F0Error`]): `daily_key` is 32 bytes of hex; `max` (slots per day)
//! divides 86 400; `time_start ≤ time_end`; both in the key's UTC day, which is the day of
//! `time_start`; times in seconds, or in milliseconds (≥ 10¹¹, as Android's Bluezone writes
//! them) — one unit per payload. Unknown fields are ignored, as the original app did.
//!
//! ```
//! use proxtrace::published::f0::{parse_f0, write_f0};
//! let json = r#"{"data":[{"daily_key":"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff","time_start":1763769600,"max":96,"time_end":1763812800}]}"#;
//! let keys = parse_f0(json.as_bytes())?;
//! assert_eq!(keys[0].slots_per_day.get(), 96);
//! assert_eq!(parse_f0(write_f0(&keys).as_bytes())?.len(), 1);
//! # Ok::<(), proxtrace::published::f0::F0Error>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::bluezone::DailyKey;
use crate::time::{SECONDS_PER_DAY, SlotsPerDay, UnixTime};

use super::BluezoneDiagnosisKey;

/// Timestamps at or above this are milliseconds.
const MS_THRESHOLD: u64 = 100_000_000_000;

/// An F0 payload that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum F0Error {
    /// Not JSON of the F0 shape.
    #[error("not an F0 payload: {0}")]
    Json(String),
    /// An entry breaks a rule.
    #[error("F0 entry #{index}: {reason}")]
    InvalidEntry {
        /// 0-based position in `data`.
        index: usize,
        /// What is wrong.
        reason: String,
    },
}

#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    data: Vec<Entry>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    daily_key: String,
    time_start: u64,
    max: u32,
    time_end: u64,
}

/// Parse and validate an F0 payload.
pub fn parse_f0(json: &[u8]) -> Result<Vec<BluezoneDiagnosisKey>, F0Error> {
    let p: Payload = serde_json::from_slice(json).map_err(|e| F0Error::Json(e.to_string()))?;
    let ms = p.data.first().is_some_and(|e| e.time_start >= MS_THRESHOLD);
    p.data
        .iter()
        .enumerate()
        .map(|(index, e)| {
            let bad = |reason: String| F0Error::InvalidEntry { index, reason };
            let mut key = [0u8; 32];
            if e.daily_key.len() != 64 {
                return Err(bad(format!(
                    "daily_key must be 64 hex digits, got {}",
                    e.daily_key.len()
                )));
            }
            hex::decode_to_slice(&e.daily_key, &mut key)
                .map_err(|err| bad(format!("daily_key is not hex: {err}")))?;
            let slots = SlotsPerDay::new(e.max)
                .map_err(|_| bad(format!("max {} does not divide a day into whole seconds", e.max)))?;
            for t in [e.time_start, e.time_end] {
                if (t >= MS_THRESHOLD) != ms {
                    return Err(bad(
                        "mixes milliseconds and seconds; a payload must use one unit".into(),
                    ));
                }
            }
            let (start, end) = if ms {
                (e.time_start / 1000, e.time_end / 1000)
            } else {
                (e.time_start, e.time_end)
            };
            if start > end {
                return Err(bad(format!("time_start {start} is after time_end {end}")));
            }
            let day = UnixTime::from_secs(start)
                .utc_day()
                .map_err(|err| bad(format!("time_start: {err}")))?;
            if end >= day.start().as_secs() + SECONDS_PER_DAY {
                return Err(bad(format!(
                    "time_end {end} is not on the UTC day of time_start {start}; a daily key covers one day"
                )));
            }
            Ok(BluezoneDiagnosisKey {
                daily_key: DailyKey::from_bytes(key, day),
                time_start: UnixTime::from_secs(start),
                time_end: UnixTime::from_secs(end),
                slots_per_day: slots,
            })
        })
        .collect()
}

/// Write an F0 payload (times in seconds).
pub fn write_f0(keys: &[BluezoneDiagnosisKey]) -> String {
    let p = Payload {
        data: keys
            .iter()
            .map(|k| Entry {
                daily_key: hex::encode(k.daily_key.expose_secret()),
                time_start: k.time_start.as_secs(),
                max: k.slots_per_day.get(),
                time_end: k.time_end.as_secs(),
            })
            .collect(),
    };
    serde_json::to_string(&p).unwrap_or_default()
}
