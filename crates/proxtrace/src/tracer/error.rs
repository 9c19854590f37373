//! What can go wrong in the tracer.

use crate::KeyError;
use crate::log::LogError;
use crate::matching::MatchError;
use crate::time::{TimeError, UnixTime};

use super::KeyStoreError;

/// A tracer error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TracerError {
    /// The configuration cannot work; the message names the field.
    #[error("invalid tracer configuration: {0}")]
    Config(String),
    /// The encounter log failed.
    #[error(transparent)]
    Log(#[from] LogError),
    /// The key store could not be read or written.
    #[error(transparent)]
    KeyStore(#[from] KeyStoreError),
    /// Making or stepping a key failed.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// An input's time is outside 2000-01-01 … 2105-12-31 (most often milliseconds passed as
    /// seconds). The input was refused and changed nothing.
    #[error("refused an input: {0}")]
    Time(#[source] TimeError),
    /// An input's time is further from the tracer's clock than the configured skew. The
    /// input was refused and changed nothing (no clock jump, no key deleted).
    #[error(
        "refused an input at {time}: it is more than {max_skew_secs} s from the tracer's clock ({clock}); pass unix seconds, or if the device's clock really jumped, reset the tracer's clock (or reopen it)"
    )]
    ClockSkew {
        /// The input's time.
        time: UnixTime,
        /// The tracer's clock.
        clock: UnixTime,
        /// `max_clock_skew_secs`.
        max_skew_secs: u64,
    },
    /// The call needs the current time and no input has carried one yet.
    #[error("the tracer has no time yet: hand in Input::Timeout with the current time first")]
    NoClock,
    /// Matching failed (bad configuration or records).
    #[error(transparent)]
    Match(#[from] MatchError),
    /// No key of an enabled scheme covers the current time (a bug: please report it).
    #[error("no current {0} key; this is a bug in proxtrace, please report it")]
    NoCurrentKey(&'static str),
}
