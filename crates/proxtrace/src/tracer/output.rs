//! What the tracer asks of its host: [`Output`]s from [`super::Tracer::poll_output`], and the
//! [`TracerEvent`]s among them.

use crate::advert::AdvertError;
use crate::identifier::Scheme;
use crate::time::UnixTime;

use super::Advertisement;

/// One output of [`super::Tracer::poll_output`]. Poll until [`Output::Timeout`], which is
/// always last.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Output {
    /// Something happened (an input's outcome, keys rolled, data expired).
    Event(TracerEvent),
    /// Broadcast these payloads from now on, each as its own legacy advertisement, with a
    /// fresh random address (the identifiers changed).
    Advertise(Advertisement),
    /// Start or stop scanning.
    Scan(ScanHint),
    /// Hand in [`super::Input::Timeout`] at this time (or earlier, when an input arrives). A
    /// tracer that has not been given any time yet asks for [`UnixTime::EPOCH`]: wake it at
    /// once with the current time.
    Timeout(UnixTime),
}

/// When to scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanHint {
    /// Whether the radio should be scanning now.
    pub scanning: bool,
    /// When that changes.
    pub until: UnixTime,
}

/// What happened in the tracer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TracerEvent {
    /// A received identifier was aggregated into the encounter log.
    Recorded(Scheme),
    /// A reception was not recorded, for an ordinary reason (not an error).
    Ignored(Ignored),
    /// A Bluezone iOS phone: connect, read the characteristic
    /// [`crate::bluezone::IOS_ID_CHARACTERISTIC_UUID`] (at most once per device per slot) and
    /// hand in the 12 bytes as [`super::RadioData::Identifier`].
    NeedsGattRead,
    /// New keys started (the first keys, a new UTC day, or fresh keys after a report); the
    /// key store was saved before they are used.
    KeysRolled,
    /// Data older than the retention period was deleted.
    Expired {
        /// Keys deleted (TEKs and Bluezone daily keys).
        keys: usize,
        /// Log pages zeroed.
        log_pages: usize,
    },
    /// The host did not poll for a while and this many events were dropped (the queue is
    /// bounded).
    EventsDropped(u64),
}

/// Why a reception was not recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Ignored {
    /// Another kind of device (no GAEN or Bluezone payload): the usual case.
    NotProximity,
    /// A GAEN or Bluezone payload that does not decode (wrong length, truncated).
    Malformed(AdvertError),
    /// A scheme this tracer does not speak.
    SchemeDisabled(Scheme),
    /// One of this tracer's own recent identifiers.
    Own,
}
