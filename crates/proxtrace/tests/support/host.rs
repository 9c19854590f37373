//! A minimal host for tests: drives a tracer through `handle_input` / `poll_output` only, the
//! way an app's run loop does (quinn-proto's `Pair::drive` in spirit).

#![allow(dead_code, unreachable_pub)]

use proxtrace::identifier::Identifier;
use proxtrace::log::StorageBackend;
use proxtrace::time::UnixTime;
use proxtrace::tracer::{
    Input, KeyStorage, Output, RadioData, Received, ScanHint, Tracer, TracerError, TracerEvent,
};

/// What one round of polling produced.
#[derive(Debug, Default, Clone)]
pub struct Polled {
    pub events: Vec<TracerEvent>,
    /// The last advertisement handed out (identifiers and when they change).
    pub advertised: Option<(Vec<Identifier>, UnixTime)>,
    pub scan: Option<ScanHint>,
    pub timeout: Option<UnixTime>,
}

/// Poll until `Output::Timeout`.
pub fn poll<B: StorageBackend, K: KeyStorage>(t: &mut Tracer<B, K>) -> Polled {
    let mut p = Polled::default();
    loop {
        match t.poll_output() {
            Output::Event(e) => p.events.push(e),
            Output::Advertise(a) => p.advertised = Some((a.payloads.clone(), a.next_change)),
            Output::Scan(s) => p.scan = Some(s),
            Output::Timeout(at) => {
                p.timeout = Some(at);
                return p;
            }
            _ => {}
        }
    }
}

/// Hand in `Timeout(now)` and poll.
pub fn wake<B: StorageBackend, K: KeyStorage>(
    t: &mut Tracer<B, K>,
    now: UnixTime,
) -> Result<Polled, TracerError> {
    t.handle_input(Input::Timeout(now))?;
    Ok(poll(t))
}

/// Hand in one reception of raw advertising data and return the event it produced.
pub fn hear<B: StorageBackend, K: KeyStorage>(
    t: &mut Tracer<B, K>,
    data: RadioData<'_>,
    rssi: i8,
    now: UnixTime,
) -> Result<TracerEvent, TracerError> {
    t.handle_input(Input::Received(Received::new(data, rssi, now)))?;
    let p = poll(t);
    Ok(p.events
        .into_iter()
        .rev()
        .find(|e| {
            matches!(
                e,
                TracerEvent::Recorded(_) | TracerEvent::Ignored(_) | TracerEvent::NeedsGattRead
            )
        })
        .expect("a reception always yields an event"))
}

/// The raw legacy advertisements a tracer broadcasts now.
pub fn ads<B: StorageBackend, K: KeyStorage>(t: &Tracer<B, K>) -> Vec<Vec<u8>> {
    t.advertisement()
        .map(|a| {
            a.legacy_advertisements()
                .iter()
                .map(|l| l.as_bytes().to_vec())
                .collect()
        })
        .unwrap_or_default()
}
