//! What can go wrong when making or stepping keys of either scheme.

/// An error from a key schedule ([`crate::gaen`] or [`crate::bluezone`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The random generator failed; on a phone this means the OS entropy source is unavailable.
    #[error("the random generator failed ({0}); retry, or check the OS entropy source")]
    Random(String),
    /// Key bytes of the wrong length.
    #[error("{what} must be {expected} bytes, got {actual}")]
    Length {
        /// Which key.
        what: &'static str,
        /// Required length.
        expected: usize,
        /// Length given.
        actual: usize,
    },
    /// A Bluezone daily key was asked for a day before its base key existed.
    #[error("day {day} is before the base key's day {base_day}; the chain only runs forward")]
    DayBeforeBase {
        /// The requested day.
        day: u32,
        /// The base key's day.
        base_day: u32,
    },
    /// A Bluezone chain walk longer than [`crate::bluezone::MAX_CHAIN_DAYS`].
    #[error("refusing to step the daily key chain {steps} days (more than {max}); check the dates")]
    ChainTooLong {
        /// Requested steps.
        steps: u32,
        /// The limit.
        max: u32,
    },
    /// The day counter would overflow.
    #[error("day number overflow")]
    DayOverflow,
    /// A slot of another day was asked of a daily key.
    #[error("the slot is on day {actual} but the daily key is for day {expected}")]
    WrongDay {
        /// The key's day.
        expected: u32,
        /// The slot's day.
        actual: u32,
    },
}
