//! Time checked once, at the edge: a [`CheckedTime`] is a [`UnixTime`] inside the range every
//! protocol counter can represent, with its UTC day, EN interval and Bluezone slot computed
//! once. Everything behind the tracer's input takes a `CheckedTime`, so no callee re-derives
//! (or fails to derive) a counter from a raw number.

use super::{BluezoneSlot, EnIntervalNumber, SlotsPerDay, TimeError, UnixTime, UtcDay};

/// The earliest time an input may carry: 2000-01-01T00:00:00Z.
pub const EARLIEST: UnixTime = UnixTime::from_secs(946_684_800);
/// The first time an input may no longer carry: 2106-01-01T00:00:00Z (a few weeks before
/// unix seconds leave 32 bits, which many phone stacks still use).
pub const LATEST_EXCLUSIVE: UnixTime = UnixTime::from_secs(4_291_747_200);

/// A time inside [`EARLIEST`] … [`LATEST_EXCLUSIVE`], with the protocol counters it falls in.
///
/// ```
/// use proxtrace::time::{CheckedTime, SlotsPerDay, UnixTime};
/// let t = CheckedTime::new(UnixTime::from_secs(1_596_845_700), SlotsPerDay::DEFAULT)?;
/// assert_eq!((t.day().get(), t.interval().get(), t.slot().index()), (18_482, 2_661_409, 1));
/// // A timestamp in milliseconds is refused, not read as the year 52 000.
/// assert!(CheckedTime::new(UnixTime::from_secs(1_596_845_700_000), SlotsPerDay::DEFAULT).is_err());
/// # Ok::<(), proxtrace::time::TimeError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CheckedTime {
    time: UnixTime,
    day: UtcDay,
    interval: EnIntervalNumber,
    slot: BluezoneSlot,
    slots_per_day: SlotsPerDay,
}

impl CheckedTime {
    /// Check `time` and derive its counters (Bluezone slots of `slots_per_day`).
    pub fn new(time: UnixTime, slots_per_day: SlotsPerDay) -> Result<Self, TimeError> {
        if time < EARLIEST || time >= LATEST_EXCLUSIVE {
            return Err(TimeError::OutsideSupportedRange {
                value: time.as_secs(),
            });
        }
        Ok(Self {
            time,
            day: time.utc_day()?,
            interval: time.en_interval()?,
            slot: BluezoneSlot::containing(time, slots_per_day)?,
            slots_per_day,
        })
    }

    /// The unix time.
    pub const fn time(&self) -> UnixTime {
        self.time
    }

    /// Seconds since the epoch.
    pub const fn as_secs(&self) -> u64 {
        self.time.as_secs()
    }

    /// The UTC day.
    pub const fn day(&self) -> UtcDay {
        self.day
    }

    /// The GAEN EN interval.
    pub const fn interval(&self) -> EnIntervalNumber {
        self.interval
    }

    /// The Bluezone slot.
    pub const fn slot(&self) -> BluezoneSlot {
        self.slot
    }

    /// The slot length this time was checked with.
    pub const fn slots_per_day(&self) -> SlotsPerDay {
        self.slots_per_day
    }

    /// UTC midnight at the end of this day. Always representable: the range ends at a
    /// midnight.
    pub const fn next_midnight(&self) -> UnixTime {
        self.day.end()
    }

    /// The first second of the next Bluezone slot.
    pub const fn next_slot_start(&self) -> UnixTime {
        UnixTime::from_secs(self.slot.last_second(self.slots_per_day).as_secs() + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_range_is_2000_to_2106() {
        let spd = SlotsPerDay::DEFAULT;
        assert!(CheckedTime::new(EARLIEST, spd).is_ok());
        assert!(CheckedTime::new(UnixTime::from_secs(EARLIEST.as_secs() - 1), spd).is_err());
        let last = UnixTime::from_secs(LATEST_EXCLUSIVE.as_secs() - 1);
        let t = CheckedTime::new(last, spd).unwrap();
        assert_eq!(t.next_midnight(), LATEST_EXCLUSIVE);
        assert!(CheckedTime::new(LATEST_EXCLUSIVE, spd).is_err());
        assert!(CheckedTime::new(UnixTime::from_secs(u64::MAX), spd).is_err());
        assert!(CheckedTime::new(UnixTime::EPOCH, spd).is_err());
    }

    proptest! {
        #[test]
        fn counters_agree_with_the_unchecked_conversions(
            secs in EARLIEST.as_secs()..LATEST_EXCLUSIVE.as_secs(),
            spd in prop::sample::select(vec![1u32, 96, 144, 86_400]),
        ) {
            let spd = SlotsPerDay::new(spd).unwrap();
            let t = CheckedTime::new(UnixTime::from_secs(secs), spd).unwrap();
            prop_assert_eq!(t.day(), UnixTime::from_secs(secs).utc_day().unwrap());
            prop_assert_eq!(t.interval(), UnixTime::from_secs(secs).en_interval().unwrap());
            prop_assert!(t.slot().start(spd).as_secs() <= secs && secs < t.next_slot_start().as_secs());
            prop_assert!(t.next_midnight().as_secs() > secs);
        }
    }
}
