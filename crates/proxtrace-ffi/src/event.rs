//! Events as C and Java see them: what a reception did (returned by every `pt_tracer_handle_*`
//! call) and housekeeping (read with `pt_tracer_poll_event`).

use proxtrace::identifier::Scheme;
use proxtrace::tracer::{Ignored, TracerEvent};

/// `pt_tracer_handle_*` and `pt_tracer_handle_advertisement`: the `tx_power` argument when the
/// platform reported none (Android's `ScanResult.TX_POWER_NOT_PRESENT` is the same value).
pub const PT_TX_POWER_UNKNOWN: i8 = 127;

/// What happened (`pt_event.kind`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum pt_event_kind {
    /// No event: `pt_tracer_poll_event` has nothing more.
    PT_EVENT_NONE = 0,
    /// A reception's identifier was recorded (`scheme` says which).
    PT_EVENT_RECORDED = 1,
    /// A reception was not recorded, for an ordinary reason (`ignored` says which): another
    /// kind of device, a malformed payload, a disabled scheme, or this phone's own identifier.
    PT_EVENT_IGNORED = 2,
    /// A Bluezone iOS phone: connect, read its identifier characteristic (at most once per
    /// device per Bluezone slot) and hand the 12 bytes to `pt_tracer_handle_gatt_identifier`.
    PT_EVENT_NEEDS_GATT_READ = 3,
    /// New keys started (the first, a new UTC day, or fresh keys after a report); the key
    /// store was saved before they are used.
    PT_EVENT_KEYS_ROLLED = 4,
    /// Data past the retention period was deleted (`keys`, `log_pages`).
    PT_EVENT_EXPIRED = 5,
    /// Events were dropped because nobody polled them (`dropped`).
    PT_EVENT_EVENTS_DROPPED = 6,
    /// The identifiers changed: call `pt_tracer_advertisement` and re-register every
    /// advertisement (with a new random address).
    PT_EVENT_ADVERTISE = 7,
}

/// Which scheme (`pt_event.scheme`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum pt_scheme {
    /// Not about one scheme.
    PT_SCHEME_NONE = 0,
    /// Google/Apple Exposure Notification v1.2.
    PT_SCHEME_GAEN = 1,
    /// Bluezone v2.
    PT_SCHEME_BLUEZONE = 2,
}

/// Why a reception was ignored (`pt_event.ignored`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum pt_ignored {
    /// Not an ignored reception.
    PT_IGNORED_NONE = 0,
    /// Another kind of device (no GAEN or Bluezone payload): the usual case.
    PT_IGNORED_NOT_PROXIMITY = 1,
    /// A GAEN or Bluezone payload that does not decode (wrong length, truncated).
    PT_IGNORED_MALFORMED = 2,
    /// A scheme this tracer does not speak (see `schemes` in the configuration).
    PT_IGNORED_SCHEME_DISABLED = 3,
    /// One of this tracer's own recent identifiers.
    PT_IGNORED_OWN = 4,
}

/// One event. Fields that do not apply to its `kind` are 0.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct pt_event {
    /// What happened.
    pub kind: pt_event_kind,
    /// `PT_EVENT_RECORDED`, `PT_EVENT_IGNORED` of a disabled scheme: which scheme.
    pub scheme: pt_scheme,
    /// `PT_EVENT_IGNORED`: why.
    pub ignored: pt_ignored,
    /// `PT_EVENT_EXPIRED`: keys deleted.
    pub keys: u64,
    /// `PT_EVENT_EXPIRED`: log pages zeroed.
    pub log_pages: u64,
    /// `PT_EVENT_EVENTS_DROPPED`: how many.
    pub dropped: u64,
}

fn scheme(s: Scheme) -> pt_scheme {
    match s {
        Scheme::Gaen => pt_scheme::PT_SCHEME_GAEN,
        Scheme::Bluezone => pt_scheme::PT_SCHEME_BLUEZONE,
    }
}

impl pt_event {
    /// An event of `kind` with no details.
    pub(crate) const fn of(kind: pt_event_kind) -> Self {
        Self {
            kind,
            scheme: pt_scheme::PT_SCHEME_NONE,
            ignored: pt_ignored::PT_IGNORED_NONE,
            keys: 0,
            log_pages: 0,
            dropped: 0,
        }
    }

    /// No event.
    pub(crate) const NONE: Self = Self::of(pt_event_kind::PT_EVENT_NONE);

    /// `n` events dropped.
    pub(crate) const fn dropped(n: u64) -> Self {
        Self {
            dropped: n,
            ..Self::of(pt_event_kind::PT_EVENT_EVENTS_DROPPED)
        }
    }

    /// The C form of a tracer event; `None` for kinds C does not know (the core's event enum
    /// is non-exhaustive).
    pub(crate) fn from_tracer(e: &TracerEvent) -> Option<Self> {
        use pt_event_kind::*;
        Some(match e {
            TracerEvent::Recorded(s) => Self {
                scheme: scheme(*s),
                ..Self::of(PT_EVENT_RECORDED)
            },
            TracerEvent::Ignored(why) => {
                let (ignored, s) = match why {
                    Ignored::NotProximity => (pt_ignored::PT_IGNORED_NOT_PROXIMITY, None),
                    Ignored::Malformed(_) => (pt_ignored::PT_IGNORED_MALFORMED, None),
                    Ignored::SchemeDisabled(s) => {
                        (pt_ignored::PT_IGNORED_SCHEME_DISABLED, Some(*s))
                    }
                    Ignored::Own => (pt_ignored::PT_IGNORED_OWN, None),
                    _ => (pt_ignored::PT_IGNORED_NOT_PROXIMITY, None),
                };
                Self {
                    ignored,
                    scheme: s.map_or(pt_scheme::PT_SCHEME_NONE, scheme),
                    ..Self::of(PT_EVENT_IGNORED)
                }
            }
            TracerEvent::NeedsGattRead => Self::of(PT_EVENT_NEEDS_GATT_READ),
            TracerEvent::KeysRolled => Self::of(PT_EVENT_KEYS_ROLLED),
            TracerEvent::Expired { keys, log_pages } => Self {
                keys: *keys as u64,
                log_pages: *log_pages as u64,
                ..Self::of(PT_EVENT_EXPIRED)
            },
            TracerEvent::EventsDropped(n) => Self::dropped(*n),
            _ => return None,
        })
    }

    /// Whether this is the outcome of a reception (returned by the call) rather than
    /// housekeeping (queued for `pt_tracer_poll_event`).
    pub(crate) fn is_reception(&self) -> bool {
        matches!(
            self.kind,
            pt_event_kind::PT_EVENT_RECORDED
                | pt_event_kind::PT_EVENT_IGNORED
                | pt_event_kind::PT_EVENT_NEEDS_GATT_READ
        )
    }

    /// The event as six numbers, for the JNI layer: kind, scheme, ignored, keys, log pages,
    /// dropped.
    #[cfg_attr(not(feature = "jni"), allow(dead_code))]
    pub(crate) fn to_longs(self) -> [i64; 6] {
        let c = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        [
            i64::from(self.kind as u32),
            i64::from(self.scheme as u32),
            i64::from(self.ignored as u32),
            c(self.keys),
            c(self.log_pages),
            c(self.dropped),
        ]
    }
}
