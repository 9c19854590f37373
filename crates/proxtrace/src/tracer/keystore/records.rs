//! What the key store keeps: the tracer's own GAEN keys and Bluezone daily keys, and the
//! rules every stored record obeys (checked when decoding and when encoding, so a store that
//! was written can always be read back).

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::KeyStoreError;
use crate::time::EN_INTERVALS_PER_DAY;

/// At most this many records of each kind in one store (65 536 — 179 years of one key a day;
/// the tracer keeps `retention_days` of them). Larger counts are refused before anything is
/// allocated, on reading and on writing.
pub const MAX_KEYS_PER_SCHEME: usize = 1 << 16;

/// One stored GAEN Temporary Exposure Key.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct StoredTek {
    /// First EN interval of the key (interval number, 10-minute units since the epoch).
    pub rolling_start: u32,
    /// Intervals it is valid for: 1…144.
    pub rolling_period: u32,
    /// The key.
    pub key: [u8; 16],
    /// Handed out by `diagnosis_keys`: never broadcast again.
    pub published: bool,
}

/// One stored Bluezone daily key.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct StoredDailyKey {
    /// UTC day number (days since the epoch).
    pub day: u32,
    /// Broadcast from this unix second (midnight, or the moment of a re-key after a report).
    pub valid_from: u64,
    /// Broadcast until this unix second, exclusive (midnight, or a report).
    pub valid_until: u64,
    /// The key.
    pub key: [u8; 32],
    /// Handed out by `diagnosis_keys`: never broadcast again.
    pub published: bool,
}

/// Everything the key store persists. Dropping it zeroizes every key.
#[derive(Clone, PartialEq, Eq, Default, Zeroize, ZeroizeOnDrop)]
pub struct StoredKeys {
    /// GAEN keys, in the order the tracer made them.
    pub gaen: Vec<StoredTek>,
    /// Bluezone daily keys, in the order the tracer made them.
    pub bluezone: Vec<StoredDailyKey>,
}

impl fmt::Debug for StoredTek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredTek")
            .field("rolling_start", &self.rolling_start)
            .field("rolling_period", &self.rolling_period)
            .field("key", &"<redacted>")
            .field("published", &self.published)
            .finish()
    }
}

impl fmt::Debug for StoredDailyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredDailyKey")
            .field("day", &self.day)
            .field("valid_from", &self.valid_from)
            .field("valid_until", &self.valid_until)
            .field("key", &"<redacted>")
            .field("published", &self.published)
            .finish()
    }
}

impl fmt::Debug for StoredKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "StoredKeys({} TEKs, {} daily keys, <redacted>)",
            self.gaen.len(),
            self.bluezone.len()
        )
    }
}

/// Which list a record is in (for error messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordKind {
    /// A [`StoredTek`].
    Tek,
    /// A [`StoredDailyKey`].
    DailyKey,
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Tek => "GAEN key",
            Self::DailyKey => "Bluezone daily key",
        })
    }
}

/// Refuse a count above [`MAX_KEYS_PER_SCHEME`] (before allocating for it).
pub(super) fn check_count(kind: RecordKind, count: u64) -> Result<usize, KeyStoreError> {
    match usize::try_from(count) {
        Ok(n) if n <= MAX_KEYS_PER_SCHEME => Ok(n),
        _ => Err(KeyStoreError::TooManyKeys {
            kind,
            count,
            max: MAX_KEYS_PER_SCHEME,
        }),
    }
}

fn invalid(kind: RecordKind, index: usize, reason: &'static str) -> KeyStoreError {
    KeyStoreError::InvalidRecord {
        kind,
        index,
        reason,
    }
}

impl StoredTek {
    /// The rules the tracer relies on: a period of 1…144 intervals that ends inside `u32`.
    pub(super) fn check(&self, index: usize) -> Result<(), KeyStoreError> {
        if self.rolling_period == 0 || self.rolling_period > EN_INTERVALS_PER_DAY {
            return Err(invalid(
                RecordKind::Tek,
                index,
                "rolling_period is not within 1…144",
            ));
        }
        if self
            .rolling_start
            .checked_add(self.rolling_period)
            .is_none()
        {
            return Err(invalid(
                RecordKind::Tek,
                index,
                "rolling_start + rolling_period is past the last EN interval",
            ));
        }
        Ok(())
    }
}

impl StoredDailyKey {
    /// The rules the tracer relies on: a validity that does not end before it starts, on a
    /// day that has a next day.
    pub(super) fn check(&self, index: usize) -> Result<(), KeyStoreError> {
        if self.valid_from > self.valid_until {
            return Err(invalid(
                RecordKind::DailyKey,
                index,
                "valid_until is before valid_from",
            ));
        }
        if self.day == u32::MAX {
            return Err(invalid(
                RecordKind::DailyKey,
                index,
                "day is the last representable day",
            ));
        }
        Ok(())
    }
}

impl StoredKeys {
    /// Check counts and every record.
    pub(super) fn check(&self) -> Result<(), KeyStoreError> {
        check_count(RecordKind::Tek, self.gaen.len() as u64)?;
        check_count(RecordKind::DailyKey, self.bluezone.len() as u64)?;
        for (i, t) in self.gaen.iter().enumerate() {
            t.check(i)?;
        }
        for (i, k) in self.bluezone.iter().enumerate() {
            k.check(i)?;
        }
        Ok(())
    }
}
