//! Time as the protocols count it: unix seconds, 10-minute EN intervals, UTC days and
//! Bluezone slots.
//!
//! Nothing here reads a clock. Every value is built from a number the caller passes in, and
//! every conversion that could overflow is checked and returns [`TimeError`] instead of
//! wrapping.

mod checked;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use checked::{CheckedTime, EARLIEST, LATEST_EXCLUSIVE};

/// Seconds in one UTC day.
pub const SECONDS_PER_DAY: u64 = 86_400;

/// Length of one GAEN `ENIntervalNumber` in seconds (10 minutes).
pub const EN_INTERVAL_SECONDS: u64 = 600;

/// Number of EN intervals in one UTC day, also the default and maximum GAEN rolling period.
pub const EN_INTERVALS_PER_DAY: u32 = 144;

/// A time conversion that would leave the range of its target type, or an invalid parameter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimeError {
    /// A value does not fit the type it is converted to (for example a unix time past the
    /// year 81 000, whose EN interval number does not fit in 32 bits).
    #[error("{what} {value} is out of range; pass a time within the supported range")]
    OutOfRange {
        /// What was being converted.
        what: &'static str,
        /// The offending value.
        value: u64,
    },
    /// A time before 2000-01-01 or from 2106-01-01 on: most likely milliseconds passed as
    /// seconds, or an unset clock.
    #[error(
        "time {value} is outside 2000-01-01 … 2105-12-31 (unix seconds {}…{}); pass unix seconds, not milliseconds",
        EARLIEST.as_secs(),
        LATEST_EXCLUSIVE.as_secs() - 1
    )]
    OutsideSupportedRange {
        /// The offending unix time, seconds.
        value: u64,
    },
    /// A Bluezone slots-per-day count that is zero or does not divide a day into whole seconds.
    #[error(
        "{0} slots per day is invalid: use a non-zero count that divides 86400 seconds evenly (96 is the default)"
    )]
    InvalidSlotsPerDay(u32),
    /// A Bluezone slot index not below the configured slots per day.
    #[error("slot index {index} is out of range for {slots_per_day} slots per day")]
    SlotOutOfRange {
        /// The index that was given.
        index: u32,
        /// The configured number of slots per day.
        slots_per_day: u32,
    },
}

/// A point in time as whole seconds since the unix epoch (UTC).
///
/// The library never reads a clock: callers pass `UnixTime` values in.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct UnixTime(u64);

impl UnixTime {
    /// The unix epoch, 1970-01-01T00:00:00Z.
    pub const EPOCH: Self = Self(0);

    /// A time `secs` seconds after the epoch.
    pub const fn from_secs(secs: u64) -> Self {
        Self(secs)
    }

    /// Seconds since the epoch.
    pub const fn as_secs(self) -> u64 {
        self.0
    }

    /// This time plus `secs` seconds, or `None` on overflow.
    pub const fn checked_add_secs(self, secs: u64) -> Option<Self> {
        match self.0.checked_add(secs) {
            Some(v) => Some(Self(v)),
            None => None,
        }
    }

    /// This time minus `secs` seconds, or `None` before the epoch.
    pub const fn checked_sub_secs(self, secs: u64) -> Option<Self> {
        match self.0.checked_sub(secs) {
            Some(v) => Some(Self(v)),
            None => None,
        }
    }

    /// Seconds from `earlier` to `self`, or 0 if `earlier` is later.
    pub const fn saturating_secs_since(self, earlier: Self) -> u64 {
        self.0.saturating_sub(earlier.0)
    }

    /// The EN interval this time falls in (`unix_seconds / 600`).
    pub fn en_interval(self) -> Result<EnIntervalNumber, TimeError> {
        let n = self.0 / EN_INTERVAL_SECONDS;
        u32::try_from(n)
            .map(EnIntervalNumber)
            .map_err(|_| TimeError::OutOfRange {
                what: "unix time (as EN interval number)",
                value: self.0,
            })
    }

    /// The UTC day this time falls in.
    pub fn utc_day(self) -> Result<UtcDay, TimeError> {
        let n = self.0 / SECONDS_PER_DAY;
        u32::try_from(n)
            .map(UtcDay)
            .map_err(|_| TimeError::OutOfRange {
                what: "unix time (as UTC day)",
                value: self.0,
            })
    }
}

impl fmt::Display for UnixTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A GAEN `ENIntervalNumber`: the number of 10-minute intervals since the unix epoch.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct EnIntervalNumber(u32);

impl EnIntervalNumber {
    /// The largest interval number.
    pub const MAX: Self = Self(u32::MAX);

    /// The interval with this number.
    pub const fn new(n: u32) -> Self {
        Self(n)
    }

    /// The interval number as the protocol encodes it.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// The first second of this interval.
    pub const fn start(self) -> UnixTime {
        UnixTime(self.0 as u64 * EN_INTERVAL_SECONDS)
    }

    /// The interval `n` intervals later, or `None` on overflow.
    pub const fn checked_add(self, n: u32) -> Option<Self> {
        match self.0.checked_add(n) {
            Some(v) => Some(Self(v)),
            None => None,
        }
    }

    /// The interval `n` intervals earlier, or `None` before the epoch.
    pub const fn checked_sub(self, n: u32) -> Option<Self> {
        match self.0.checked_sub(n) {
            Some(v) => Some(Self(v)),
            None => None,
        }
    }

    /// The first interval of the UTC day this interval falls in (aligned to 144).
    pub const fn day_start(self) -> Self {
        Self(self.0 - self.0 % EN_INTERVALS_PER_DAY)
    }

    /// Whether this interval is the first of a UTC day, as a TEK's rolling start must be.
    pub const fn is_day_aligned(self) -> bool {
        self.0.is_multiple_of(EN_INTERVALS_PER_DAY)
    }

    /// The UTC day this interval falls in.
    pub const fn utc_day(self) -> UtcDay {
        UtcDay(self.0 / EN_INTERVALS_PER_DAY)
    }
}

impl fmt::Display for EnIntervalNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A UTC calendar day, counted in whole days since 1970-01-01.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct UtcDay(u32);

impl UtcDay {
    /// The day with this number (days since 1970-01-01).
    pub const fn new(days_since_epoch: u32) -> Self {
        Self(days_since_epoch)
    }

    /// Days since 1970-01-01.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// UTC midnight at the start of this day.
    pub const fn start(self) -> UnixTime {
        UnixTime(self.0 as u64 * SECONDS_PER_DAY)
    }

    /// UTC midnight at the start of the next day (one past the last second of this day).
    pub const fn end(self) -> UnixTime {
        UnixTime((self.0 as u64 + 1) * SECONDS_PER_DAY)
    }

    /// Whether `t` falls on this day.
    pub const fn contains(self, t: UnixTime) -> bool {
        t.0 / SECONDS_PER_DAY == self.0 as u64
    }

    /// The first EN interval of this day.
    pub fn first_interval(self) -> Result<EnIntervalNumber, TimeError> {
        self.0
            .checked_mul(EN_INTERVALS_PER_DAY)
            .map(EnIntervalNumber)
            .ok_or(TimeError::OutOfRange {
                what: "UTC day (as EN interval number)",
                value: u64::from(self.0),
            })
    }

    /// The day `n` days later, or `None` on overflow.
    pub const fn checked_add(self, n: u32) -> Option<Self> {
        match self.0.checked_add(n) {
            Some(v) => Some(Self(v)),
            None => None,
        }
    }

    /// The day `n` days earlier, or `None` before the epoch.
    pub const fn checked_sub(self, n: u32) -> Option<Self> {
        match self.0.checked_sub(n) {
            Some(v) => Some(Self(v)),
            None => None,
        }
    }

    /// Whole days from `earlier` to `self`, or `None` if `earlier` is later.
    pub const fn days_since(self, earlier: Self) -> Option<u32> {
        self.0.checked_sub(earlier.0)
    }

    /// The calendar date, `YYYY-MM-DD` (proleptic Gregorian), or `None` past year 9999.
    ///
    /// ```
    /// use proxtrace::time::UtcDay;
    /// assert_eq!(UtcDay::new(18_482).iso_date().as_deref(), Some("2020-08-08"));
    /// ```
    pub fn iso_date(self) -> Option<String> {
        /// Julian day number of 1970-01-01.
        const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;
        let jd = i32::try_from(i64::from(self.0) + UNIX_EPOCH_JULIAN_DAY).ok()?;
        time::Date::from_julian_day(jd).ok().map(|d| d.to_string())
    }
}

impl fmt::Display for UtcDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// How many Bluezone identifier slots a UTC day is cut into (server-configurable, default 96
/// slots of 15 minutes).
///
/// Always non-zero and a divisor of 86 400, so every slot lasts a whole number of seconds and
/// the slots tile the day exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct SlotsPerDay(u32);

impl SlotsPerDay {
    /// Bluezone's default: 96 slots of 900 seconds.
    pub const DEFAULT: Self = Self(96);

    /// Validate a slots-per-day count.
    ///
    /// ```
    /// use proxtrace::time::SlotsPerDay;
    /// assert_eq!(SlotsPerDay::new(96).unwrap().slot_seconds(), 900);
    /// assert!(SlotsPerDay::new(0).is_err());
    /// assert!(SlotsPerDay::new(7).is_err()); // 86400 / 7 is not a whole number of seconds
    /// ```
    pub const fn new(n: u32) -> Result<Self, TimeError> {
        if n == 0 || !SECONDS_PER_DAY.is_multiple_of(n as u64) {
            return Err(TimeError::InvalidSlotsPerDay(n));
        }
        Ok(Self(n))
    }

    /// The number of slots.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// Length of one slot in seconds.
    pub const fn slot_seconds(self) -> u64 {
        SECONDS_PER_DAY / self.0 as u64
    }
}

impl Default for SlotsPerDay {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl TryFrom<u32> for SlotsPerDay {
    type Error = TimeError;
    fn try_from(n: u32) -> Result<Self, TimeError> {
        Self::new(n)
    }
}

impl From<SlotsPerDay> for u32 {
    fn from(s: SlotsPerDay) -> u32 {
        s.0
    }
}

/// One Bluezone identifier slot: a UTC day and the index of the slot within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct BluezoneSlot {
    day: UtcDay,
    index: u32,
}

impl BluezoneSlot {
    /// Slot `index` of `day`; the index must be below `slots_per_day`.
    pub const fn new(
        day: UtcDay,
        index: u32,
        slots_per_day: SlotsPerDay,
    ) -> Result<Self, TimeError> {
        if index >= slots_per_day.0 {
            return Err(TimeError::SlotOutOfRange {
                index,
                slots_per_day: slots_per_day.0,
            });
        }
        Ok(Self { day, index })
    }

    /// The slot containing `t`: `(t − UTC midnight) / (86400 / slots_per_day)`.
    pub fn containing(t: UnixTime, slots_per_day: SlotsPerDay) -> Result<Self, TimeError> {
        let day = t.utc_day()?;
        let since_midnight = t.0 % SECONDS_PER_DAY;
        // Fits: since_midnight < 86400 and slot_seconds >= 1, so the quotient is < 86400.
        let index = (since_midnight / slots_per_day.slot_seconds()) as u32;
        Ok(Self { day, index })
    }

    /// The UTC day of this slot.
    pub const fn day(self) -> UtcDay {
        self.day
    }

    /// The index of this slot within its day.
    pub const fn index(self) -> u32 {
        self.index
    }

    /// The first second of this slot.
    pub const fn start(self, slots_per_day: SlotsPerDay) -> UnixTime {
        UnixTime(self.day.start().0 + self.index as u64 * slots_per_day.slot_seconds())
    }

    /// The last second of this slot (inclusive).
    pub const fn last_second(self, slots_per_day: SlotsPerDay) -> UnixTime {
        UnixTime(self.start(slots_per_day).0 + slots_per_day.slot_seconds() - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn vector_interval_matches_unix_time() {
        // ENIN0 of the GAEN vectors.
        let t = UnixTime::from_secs(2_642_976 * 600);
        assert_eq!(t.en_interval().unwrap().get(), 2_642_976);
        assert!(EnIntervalNumber::new(2_642_976).is_day_aligned());
    }

    #[test]
    fn out_of_range_conversions_are_errors() {
        let t = UnixTime::from_secs(u64::MAX);
        assert!(matches!(t.en_interval(), Err(TimeError::OutOfRange { .. })));
        assert!(matches!(t.utc_day(), Err(TimeError::OutOfRange { .. })));
        assert!(UtcDay::new(u32::MAX).first_interval().is_err());
        assert!(UtcDay::new(u32::MAX / 144).first_interval().is_ok());
        assert_eq!(EnIntervalNumber::MAX.checked_add(1), None);
        assert_eq!(UnixTime::EPOCH.checked_sub_secs(1), None);
    }

    #[test]
    fn slots_per_day_validation() {
        assert!(SlotsPerDay::new(0).is_err());
        assert!(SlotsPerDay::new(7).is_err());
        assert!(SlotsPerDay::new(86_401).is_err());
        for n in [1, 2, 24, 96, 144, 86_400] {
            let s = SlotsPerDay::new(n).unwrap();
            assert_eq!(s.slot_seconds() * u64::from(n), SECONDS_PER_DAY);
        }
        assert!(BluezoneSlot::new(UtcDay::new(0), 96, SlotsPerDay::DEFAULT).is_err());
        assert!(BluezoneSlot::new(UtcDay::new(0), 95, SlotsPerDay::DEFAULT).is_ok());
    }

    #[test]
    fn bluezone_vector_slot_starts() {
        // From the Bluezone vector file: day 0 starts at 1596844800, slot 1 at +900 s.
        let spd = SlotsPerDay::DEFAULT;
        let s = BluezoneSlot::containing(UnixTime::from_secs(1_596_845_700), spd).unwrap();
        assert_eq!((s.day().start().as_secs(), s.index()), (1_596_844_800, 1));
        assert_eq!(s.start(spd).as_secs(), 1_596_845_700);
        assert_eq!(s.last_second(spd).as_secs(), 1_596_846_599);
    }

    proptest! {
        #[test]
        fn interval_arithmetic_at_day_boundaries(day in 0u32..(u32::MAX / 144), offset in -3i64..3) {
            let midnight = UtcDay::new(day).start().as_secs() as i64;
            let t = UnixTime::from_secs((midnight + offset).max(0) as u64);
            let enin = t.en_interval().unwrap();
            let d = t.utc_day().unwrap();
            // The interval's day is the time's day, and the interval contains the time.
            prop_assert_eq!(enin.utc_day(), d);
            prop_assert!(enin.start() <= t && t.as_secs() < enin.start().as_secs() + EN_INTERVAL_SECONDS);
            prop_assert_eq!(enin.day_start(), d.first_interval().unwrap());
            prop_assert!(d.contains(t));
            prop_assert_eq!(offset >= 0 || midnight == 0, d == UtcDay::new(day));
        }

        #[test]
        fn slot_arithmetic_at_day_boundaries(
            day in 0u32..1_000_000,
            offset in -5i64..5,
            spd in prop::sample::select(vec![1u32, 24, 96, 144, 288, 86_400]),
        ) {
            let spd = SlotsPerDay::new(spd).unwrap();
            let midnight = UtcDay::new(day).start().as_secs() as i64;
            let t = UnixTime::from_secs((midnight + offset).max(0) as u64);
            let slot = BluezoneSlot::containing(t, spd).unwrap();
            prop_assert!(slot.index() < spd.get());
            prop_assert!(slot.start(spd) <= t && t <= slot.last_second(spd));
            prop_assert_eq!(slot.day(), t.utc_day().unwrap());
            if offset < 0 && midnight > 0 {
                // The last seconds of the previous day.
                let since_midnight = (SECONDS_PER_DAY as i64 + offset) as u64;
                prop_assert_eq!(slot.index(), (since_midnight / spd.slot_seconds()) as u32);
                prop_assert_eq!(slot.day().get() + 1, day);
            } else {
                prop_assert_eq!(slot.index(), (offset.max(0) as u64 / spd.slot_seconds()) as u32);
            }
        }
    }
}
