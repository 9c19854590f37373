//! Bluezone F0 payloads: the JSON a Bluezone server sends with infected users' daily keys.
//!
//! `{"data":[{"daily_key":"<64 hex digits>","time_start":<unix s>,"max":96,"time_end":<unix s>}]}`
//!
//! # How the real client reads an entry
//!
//! Bluezone's Android client (`BluezoneIdTrace.checkContactF` in
//! BluezoneGlobal/react-native-bluetooth-scan, `lib/android/…/bluezoneid/BluezoneIdTrace.java`;
//! the iOS client's `BluezoneIdTrace.swift` does the same) reads `time_start` and `time_end`
//! as **seconds** (it multiplies both by 1000 before comparing them with its log's
//! millisecond timestamps) and then steps, literally:
//!
//! ```text
//! sk ← DK ‖ "bluzonesubkey";  t ← time_start;  i ← 0
//! while t ≤ time_end:                         (the slot starting at time_end is included)
//!     sk ← SHA-256(sk);  id ← sk[0,4,8,12,16,18,…,30]
//!     contact if the log holds id with a timestamp in [t, t + 86400/max]   (both inclusive)
//!     t ← t + 86400/max;  i ← i + 1
//!     if i = max: DK ← SHA-256(DK);  sk ← DK ‖ "bluzonesubkey";  i ← 0
//! ```
//!
//! A phone broadcasts slot `(now − UTC midnight) / (86400/max)` of the daily key of the UTC
//! day (`BluezoneIdGenerator.getIndexSubKey`, `BluezoneDate` truncates to UTC midnight), and
//! the `time_start` it uploads for a key is that key's UTC midnight. So real payloads start at
//! a UTC midnight, and then the client's walk is exactly: slot `i` of day `n` after
//! `time_start`'s day uses `DK_n = SHA-256ⁿ(DK)`, for every slot that starts at or before
//! `time_end`. An entry may span many days (thaidn/bluezone's `notify.py` sends
//! `time_start` 1596844800, `time_end` 1600000000: 37 days).
//!
//! This parser expands each entry into one [`BluezoneDiagnosisKey`] per UTC day, day `n`
//! carrying `DK_n`, from `time_start` to `time_end` inclusive — the client's walk, day by day
//! (the tests step the client's loop literally and compare). An entry whose `time_start` is
//! not a UTC midnight is read the same way: the key of `time_start`'s UTC day, on the UTC slot
//! grid phones broadcast on, from the slot containing `time_start`. (The real client would
//! instead start the key's slot 0 at `time_start`, a grid no phone broadcasts on; proxtrace's
//! own payloads can start mid-day, where a key began after a re-key.)
//!
//! # Rules
//!
//! Each a typed [`F0Error`]: `daily_key` is 32 bytes of hex; `max` (slots per day) divides
//! 86 400; `time_start ≤ time_end`; an entry spans at most [`F0Limits::max_span_days`] UTC days
//! and a payload expands to at most [`F0Limits::max_keys`] daily keys. Times are seconds; as a
//! tolerance for payloads built from `data_trace.txt` (whose timestamps are milliseconds),
//! a payload whose times are all ≥ 10¹¹ is read as milliseconds. Unknown fields are ignored,
//! as the clients do.
//!
//! The push message that carries a payload to the phone, `{"FindGUID":…,"InfoF":"<payload
//! JSON>"}` (and the FCM data around it, `{"Type":"KiemTraLichSuTiepXuc","DataContent":"<push
//! JSON>"}`), is unwrapped.
//!
//! ```
//! use proxtrace::published::f0::{parse_f0, write_f0};
//! // Two days and a bit: three daily keys.
//! let json = r#"{"data":[{"daily_key":"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff","time_start":1763769600,"max":96,"time_end":1763942400}]}"#;
//! let keys = parse_f0(json.as_bytes())?;
//! assert_eq!(keys.len(), 3);
//! assert_eq!(keys[1].daily_key.day().get(), keys[0].daily_key.day().get() + 1);
//! assert_eq!(parse_f0(write_f0(&keys).as_bytes())?.len(), 3);
//! # Ok::<(), proxtrace::published::f0::F0Error>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::bluezone::DailyKey;
use crate::time::{SlotsPerDay, UnixTime, UtcDay};

use super::BluezoneDiagnosisKey;

#[cfg(test)]
mod tests;

/// Timestamps at or above this are milliseconds (in seconds, the year 5138).
const MS_THRESHOLD: u64 = 100_000_000_000;

/// The push command that carries an F0 payload ("check contact history").
pub const CHECK_CONTACT_COMMAND: &str = "KiemTraLichSuTiepXuc";

/// Bounds on what a payload may expand to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct F0Limits {
    /// Most UTC days one entry may span (default 60: real payloads span up to about five
    /// weeks, `notify.py`'s 37 days; a phone's log keeps far less).
    pub max_span_days: u32,
    /// Most daily keys a payload may expand to in total (default 1 000 000, about 100 MB).
    pub max_keys: usize,
}

impl Default for F0Limits {
    fn default() -> Self {
        Self {
            max_span_days: 60,
            max_keys: 1_000_000,
        }
    }
}

/// What is wrong with one entry.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EntryProblem {
    /// `daily_key` is not 64 characters.
    #[error("daily_key must be 64 hex digits, got {0} characters")]
    DailyKeyLength(usize),
    /// `daily_key` is not hex.
    #[error("daily_key is not hex ({0})")]
    DailyKeyHex(hex::FromHexError),
    /// `max` does not divide a day into whole seconds.
    #[error("max {0} does not divide a day into whole seconds (96 is Bluezone's value)")]
    Max(u32),
    /// One time in seconds, the other in milliseconds (or entries disagree).
    #[error("mixes milliseconds and seconds; a payload must use one unit (seconds)")]
    MixedUnits,
    /// `time_start` after `time_end`.
    #[error("time_start {start} is after time_end {end}")]
    StartAfterEnd {
        /// `time_start`, seconds.
        start: u64,
        /// `time_end`, seconds.
        end: u64,
    },
    /// A time past what the library's day counter holds.
    #[error("time {0} is out of range")]
    TimeOutOfRange(u64),
    /// The entry spans more days than allowed.
    #[error(
        "time_end is {days} UTC days after time_start's day, more than {max} (F0Limits.max_span_days); split the entry or raise the limit"
    )]
    SpanTooLong {
        /// Days spanned (inclusive).
        days: u64,
        /// The limit.
        max: u32,
    },
}

/// An F0 payload that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum F0Error {
    /// Not JSON of the F0 shape.
    #[error("not an F0 payload: {0}")]
    Json(#[source] serde_json::Error),
    /// JSON, but neither a payload (`data`) nor a push message around one (`InfoF`,
    /// `DataContent`).
    #[error(
        "not an F0 payload: expected an object with \"data\" (or a push message with \"InfoF\")"
    )]
    NotAPayload,
    /// A push message that does not carry a usable payload.
    #[error("a Bluezone push message ({what}): {reason}")]
    Push {
        /// Which wrapper.
        what: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The push message inside is not an F0 payload.
    #[error("the {what} of a Bluezone push message is not an F0 payload: {source}")]
    Wrapped {
        /// Which field held it.
        what: &'static str,
        /// What is wrong with it.
        #[source]
        source: Box<F0Error>,
    },
    /// An entry breaks a rule.
    #[error("F0 entry #{index}: {problem}")]
    InvalidEntry {
        /// 0-based position in `data`.
        index: usize,
        /// What is wrong.
        problem: EntryProblem,
    },
    /// The payload expands to more daily keys than allowed.
    #[error(
        "the payload expands to more than {max} daily keys (F0Limits.max_keys); split it or raise the limit"
    )]
    TooManyKeys {
        /// The limit.
        max: usize,
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

/// Any of the shapes a payload arrives in.
#[derive(Debug, Deserialize)]
struct Envelope {
    data: Option<Vec<Entry>>,
    #[serde(rename = "InfoF")]
    info_f: Option<serde_json::Value>,
    #[serde(rename = "FindGUID")]
    find_guid: Option<serde_json::Value>,
    #[serde(rename = "DataContent")]
    data_content: Option<serde_json::Value>,
    #[serde(rename = "Type")]
    kind: Option<String>,
}

/// Parse and validate an F0 payload (or a push message carrying one) with the default
/// [`F0Limits`]: one [`BluezoneDiagnosisKey`] per UTC day of each entry.
pub fn parse_f0(json: &[u8]) -> Result<Vec<BluezoneDiagnosisKey>, F0Error> {
    parse_f0_with(json, &F0Limits::default())
}

/// [`parse_f0`] with explicit limits.
pub fn parse_f0_with(json: &[u8], limits: &F0Limits) -> Result<Vec<BluezoneDiagnosisKey>, F0Error> {
    let entries = unwrap(json, 0)?;
    expand(&entries, limits)
}

/// The payload's entries, unwrapping at most two push layers (FCM data → push → payload).
fn unwrap(json: &[u8], depth: u8) -> Result<Vec<Entry>, F0Error> {
    let e: Envelope = serde_json::from_slice(json).map_err(F0Error::Json)?;
    if let Some(data) = e.data {
        return Ok(data);
    }
    let inner = |what: &'static str, v: serde_json::Value| -> Result<Vec<Entry>, F0Error> {
        if depth >= 2 {
            return Err(F0Error::Push {
                what,
                reason: "wrapped more than twice".into(),
            });
        }
        let bytes = match v {
            serde_json::Value::String(s) => s.into_bytes(),
            v @ serde_json::Value::Object(_) => v.to_string().into_bytes(),
            _ => {
                return Err(F0Error::Push {
                    what,
                    reason: format!("{what} must be a JSON string or object"),
                });
            }
        };
        unwrap(&bytes, depth + 1).map_err(|source| F0Error::Wrapped {
            what,
            source: Box::new(source),
        })
    };
    if let Some(v) = e.info_f {
        return inner("InfoF", v);
    }
    if e.find_guid.is_some() {
        return Err(F0Error::Push {
            what: "FindGUID",
            reason: "it has no InfoF, which carries the payload".into(),
        });
    }
    if let Some(v) = e.data_content {
        if let Some(kind) = e.kind.as_deref()
            && kind != CHECK_CONTACT_COMMAND
        {
            return Err(F0Error::Push {
                what: "Type/DataContent",
                reason: format!(
                    "its Type is {kind:?}, not {CHECK_CONTACT_COMMAND:?} (check contact), so it carries no F0 payload"
                ),
            });
        }
        return inner("DataContent", v);
    }
    Err(F0Error::NotAPayload)
}

fn expand(entries: &[Entry], limits: &F0Limits) -> Result<Vec<BluezoneDiagnosisKey>, F0Error> {
    let ms = entries
        .first()
        .is_some_and(|e| e.time_start >= MS_THRESHOLD);
    let mut out = Vec::new();
    for (index, e) in entries.iter().enumerate() {
        let bad = |problem: EntryProblem| F0Error::InvalidEntry { index, problem };
        if e.daily_key.len() != 64 {
            return Err(bad(EntryProblem::DailyKeyLength(e.daily_key.len())));
        }
        let mut key = [0u8; 32];
        hex::decode_to_slice(&e.daily_key, &mut key)
            .map_err(|err| bad(EntryProblem::DailyKeyHex(err)))?;
        let slots = SlotsPerDay::new(e.max).map_err(|_| bad(EntryProblem::Max(e.max)))?;
        if [e.time_start, e.time_end]
            .iter()
            .any(|&t| (t >= MS_THRESHOLD) != ms)
        {
            return Err(bad(EntryProblem::MixedUnits));
        }
        let (start, end) = if ms {
            (e.time_start / 1000, e.time_end / 1000)
        } else {
            (e.time_start, e.time_end)
        };
        if start > end {
            return Err(bad(EntryProblem::StartAfterEnd { start, end }));
        }
        let day_of = |t: u64| {
            UnixTime::from_secs(t)
                .utc_day()
                .map_err(|_| bad(EntryProblem::TimeOutOfRange(t)))
        };
        let (first, last) = (day_of(start)?, day_of(end)?);
        let days = u64::from(last.get() - first.get()) + 1;
        if days > u64::from(limits.max_span_days) {
            return Err(bad(EntryProblem::SpanTooLong {
                days,
                max: limits.max_span_days,
            }));
        }
        if out.len() as u64 + days > limits.max_keys as u64 {
            return Err(F0Error::TooManyKeys {
                max: limits.max_keys,
            });
        }
        let mut dk = DailyKey::from_bytes(key, first);
        for n in first.get()..=last.get() {
            let day = UtcDay::new(n);
            out.push(BluezoneDiagnosisKey {
                daily_key: dk.clone(),
                time_start: UnixTime::from_secs(start.max(day.start().as_secs())),
                time_end: UnixTime::from_secs(end.min(day.end().as_secs() - 1)),
                slots_per_day: slots,
            });
            if n < last.get() {
                // `n < last ≤ u32::MAX`: the day counter cannot overflow.
                dk = dk
                    .next()
                    .map_err(|_| bad(EntryProblem::TimeOutOfRange(end)))?;
            }
        }
    }
    Ok(out)
}

/// Write an F0 payload (times in seconds), one entry per key.
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
