//! BTSnoop timestamps and their conversion to Unix time: the writer's clock, in microseconds
//! from a nominal year 0, shifted by the UTC offset the phone was on.

use std::fmt;

use super::BtsnoopError;
use crate::time::UnixTime;

/// The Unix epoch on the BTSnoop time scale, `0x00DCDDB30F2F8000` µs: the constant every
/// writer and reader uses (Android's `BTSNOOP_EPOCH_DELTA`, Wireshark, BlueZ). It is 719 540
/// days — 12 more than the proleptic Gregorian count from 0000-01-01 (719 528), so "year 0"
/// is nominal; what matters is that writers add exactly this value.
pub const UNIX_EPOCH_SNOOP_MICROS: u64 = 0x00DC_DDB3_0F2F_8000;

/// The largest UTC offset accepted, ±18 hours (the range of Java's `ZoneOffset`).
const MAX_OFFSET_SECS: i32 = 18 * 3600;

/// A BTSnoop timestamp: microseconds since 0000-01-01T00:00 on the clock of the phone that
/// wrote the file. Android writes **local** time, so converting to UTC needs the phone's UTC
/// offset ([`SnoopTime::to_unix_micros`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SnoopTime(u64);

impl SnoopTime {
    /// A timestamp from its raw value.
    pub const fn from_micros(micros: u64) -> Self {
        Self(micros)
    }

    /// The raw value, microseconds since year 0 on the writer's clock.
    pub const fn as_micros(self) -> u64 {
        self.0
    }

    /// Microseconds since the Unix epoch (UTC):
    /// `raw − 0x00DCDDB30F2F8000 − offset × 1 000 000`.
    pub fn to_unix_micros(self, offset: UtcOffset) -> Result<u64, BtsnoopError> {
        let shift = i128::from(offset.as_secs()) * 1_000_000;
        let unix = i128::from(self.0) - i128::from(UNIX_EPOCH_SNOOP_MICROS) - shift;
        u64::try_from(unix).map_err(|_| BtsnoopError::BeforeUnixEpoch {
            micros: self.0,
            offset_secs: offset.as_secs(),
        })
    }

    /// The Unix time (UTC, whole seconds rounded down) of this timestamp.
    pub fn to_unix_time(self, offset: UtcOffset) -> Result<UnixTime, BtsnoopError> {
        Ok(UnixTime::from_secs(
            self.to_unix_micros(offset)? / 1_000_000,
        ))
    }

    /// The BTSnoop timestamp a writer on `offset` records at `unix_micros` (UTC); `None` when
    /// it does not fit in 64 bits or falls before year 0.
    pub fn from_unix_micros(unix_micros: u64, offset: UtcOffset) -> Option<Self> {
        let raw = i128::from(unix_micros)
            + i128::from(UNIX_EPOCH_SNOOP_MICROS)
            + i128::from(offset.as_secs()) * 1_000_000;
        u64::try_from(raw).ok().map(Self)
    }
}

/// The offset of the phone's clock from UTC when it wrote the log, in seconds east of UTC
/// (`+7200` for UTC+2), within ±18 hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct UtcOffset(i32);

impl UtcOffset {
    /// UTC itself.
    pub const UTC: Self = Self(0);

    /// An offset of `secs` seconds east of UTC; refused beyond ±18 hours.
    pub fn from_secs(secs: i64) -> Result<Self, BtsnoopError> {
        i32::try_from(secs)
            .ok()
            .filter(|s| s.abs() <= MAX_OFFSET_SECS)
            .map(Self)
            .ok_or(BtsnoopError::UtcOffsetOutOfRange(secs))
    }

    /// Seconds east of UTC.
    pub const fn as_secs(self) -> i32 {
        self.0
    }
}

impl fmt::Display for UtcOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { '-' } else { '+' };
        let a = self.0.unsigned_abs();
        write!(f, "UTC{sign}{:02}:{:02}", a / 3600, a % 3600 / 60)?;
        if !a.is_multiple_of(60) {
            write!(f, ":{:02}", a % 60)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_constant_is_the_one_writers_use() {
        assert_eq!(UNIX_EPOCH_SNOOP_MICROS, 62_168_256_000_000_000);
        assert_eq!(UNIX_EPOCH_SNOOP_MICROS, 719_540 * 86_400 * 1_000_000);
    }

    #[test]
    fn local_time_converts_with_offset() {
        // 2020-07-30T09:54:20.802549 local on UTC+2 = 07:54:20 UTC.
        let t = SnoopTime::from_micros(63_764_358_860_802_549);
        let plus2 = UtcOffset::from_secs(7200).unwrap();
        assert_eq!(t.to_unix_micros(plus2).unwrap(), 1_596_095_660_802_549);
        assert_eq!(t.to_unix_time(plus2).unwrap().as_secs(), 1_596_095_660);
        assert_eq!(
            t.to_unix_time(UtcOffset::UTC).unwrap().as_secs(),
            1_596_102_860
        );
        assert_eq!(
            SnoopTime::from_unix_micros(1_596_095_660_802_549, plus2),
            Some(t)
        );
        assert_eq!(plus2.to_string(), "UTC+02:00");
        assert_eq!(
            UtcOffset::from_secs(-12_600).unwrap().to_string(),
            "UTC-03:30"
        );
    }

    #[test]
    fn bad_offsets_and_early_times_are_errors() {
        assert_eq!(
            UtcOffset::from_secs(64_801),
            Err(BtsnoopError::UtcOffsetOutOfRange(64_801))
        );
        assert!(UtcOffset::from_secs(-64_800).is_ok());
        assert!(UtcOffset::from_secs(i64::MIN).is_err());
        let t = SnoopTime::from_micros(UNIX_EPOCH_SNOOP_MICROS);
        assert_eq!(t.to_unix_micros(UtcOffset::UTC), Ok(0));
        assert!(matches!(
            t.to_unix_micros(UtcOffset::from_secs(1).unwrap()),
            Err(BtsnoopError::BeforeUnixEpoch { .. })
        ));
        assert_eq!(
            SnoopTime::from_micros(0)
                .to_unix_micros(UtcOffset::UTC)
                .ok(),
            None
        );
    }
}
