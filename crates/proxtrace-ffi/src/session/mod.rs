//! The safe core shared by the C ABI and the JNI layer: a file-backed tracer driven by byte
//! buffers and JSON, every failure mapped to a result code and a message, every tracer event
//! to a [`pt_event`].

mod errors;
mod matching;
mod report;

use std::collections::VecDeque;
use std::path::PathBuf;

use zeroize::Zeroizing;

use proxtrace::advert::uuid16;
use proxtrace::bluezone::BluezoneId;
use proxtrace::identifier::Identifier;
use proxtrace::log::FileBackend;
use proxtrace::time::UnixTime;
use proxtrace::tracer::{FileKeyStorage, Input, Output, RadioData, Received, Tracer, TracerConfig};

use super::event::{PT_TX_POWER_UNKNOWN, pt_event, pt_event_kind, pt_ignored};
use super::result::{Failure, pt_result};
pub(crate) use errors::tracer_failure;
pub(crate) use matching::MAX_BATCH_FILES;

/// Housekeeping events kept for `pt_tracer_poll_event`; past this the oldest are dropped and
/// counted in a `PT_EVENT_EVENTS_DROPPED`.
pub(crate) const MAX_QUEUED_EVENTS: usize = 256;

/// A tracer opened from a directory, with the host-side state the C and Java calls need.
pub(crate) struct Session {
    tracer: Tracer<FileBackend, FileKeyStorage>,
    /// Housekeeping events not yet polled.
    events: VecDeque<pt_event>,
    /// Events dropped from `events` since the last poll.
    dropped: u64,
    /// A report computed but not delivered (the caller's buffer was too small): the next
    /// report call returns it, whatever its arguments and whenever it comes.
    held_report: Option<Zeroizing<String>>,
    /// The last report, returned again to retries.
    last_report: Option<report::LastReport>,
}

/// A platform's TX power argument (`PT_TX_POWER_UNKNOWN` for none).
pub(crate) fn tx_power(v: i8) -> Option<i8> {
    (v != PT_TX_POWER_UNKNOWN).then_some(v)
}

/// A service UUID as the platform gives its bytes, big-endian (the order it is written in):
/// 2 bytes (16-bit, on the Bluetooth base), 4 bytes (32-bit, on the base) or 16 bytes.
/// iOS's `CBUUID.data` is exactly this; Android's `ParcelUuid` is the 16-byte form.
pub(crate) fn uuid_from_be(bytes: &[u8]) -> Result<u128, Failure> {
    match *bytes {
        [a, b] => Ok(uuid16(u16::from_be_bytes([a, b]))),
        [a, b, c, d] => Ok((u128::from(u32::from_be_bytes([a, b, c, d])) << 96) | uuid16(0)),
        _ => match <[u8; 16]>::try_from(bytes) {
            Ok(b) => Ok(u128::from_be_bytes(b)),
            Err(_) => Err(Failure::invalid(format!(
                "uuid is {} bytes; pass 2 (16-bit), 4 (32-bit) or 16 (128-bit) bytes, big-endian",
                bytes.len()
            ))),
        },
    }
}

impl Session {
    /// Open the tracer in `dir` with a JSON [`TracerConfig`] (null or empty: defaults). The
    /// key store is checked now; a corrupt one is an error and is left as it is. Nothing is
    /// written until the first call that carries the time.
    pub(crate) fn open(dir: &str, config_json: Option<&str>) -> Result<Self, Failure> {
        if dir.is_empty() {
            return Err(Failure::invalid(
                "dir is empty; pass the tracer's directory (e.g. the app's files directory)",
            ));
        }
        let config: TracerConfig = match config_json {
            Some(s) if !s.trim().is_empty() => serde_json::from_str(s).map_err(|e| {
                Failure::new(pt_result::PT_BAD_CONFIG, format!("{dir}: config_json: {e}"))
            })?,
            _ => TracerConfig::default(),
        };
        let dir = PathBuf::from(dir);
        let tracer = Tracer::open_dir(&dir, config, &mut rand::rngs::SysRng)
            .map_err(|e| errors::open_failure(&dir, e))?;
        Ok(Self {
            tracer,
            events: VecDeque::new(),
            dropped: 0,
            held_report: None,
            last_report: None,
        })
    }

    fn queue(&mut self, e: pt_event) {
        if self.events.len() >= MAX_QUEUED_EVENTS
            && let Some(old) = self.events.pop_front()
        {
            let lost = if old.kind == pt_event_kind::PT_EVENT_EVENTS_DROPPED {
                old.dropped
            } else {
                1
            };
            self.dropped = self.dropped.saturating_add(lost);
        }
        self.events.push_back(e);
    }

    /// Hand in one input (if any) and follow the outputs up to the timeout: the reception's
    /// event is returned, housekeeping events are queued.
    fn run(&mut self, input: Option<Input<'_>>) -> Result<(Option<pt_event>, u64), Failure> {
        if let Some(i) = input {
            self.tracer.handle_input(i).map_err(tracer_failure)?;
        }
        let mut reception = None;
        loop {
            match self.tracer.poll_output() {
                Output::Event(e) => match pt_event::from_tracer(&e) {
                    Some(pe) if pe.is_reception() => reception = Some(pe),
                    Some(pe) => self.queue(pe),
                    None => {}
                },
                Output::Advertise(_) => self.queue(pt_event::of(pt_event_kind::PT_EVENT_ADVERTISE)),
                Output::Timeout(t) => return Ok((reception, t.as_secs())),
                _ => {}
            }
        }
    }

    fn timeout(&mut self, now: u64) -> Result<u64, Failure> {
        self.run(Some(Input::Timeout(UnixTime::from_secs(now))))
            .map(|(_, t)| t)
    }

    /// The next housekeeping event (`PT_EVENT_NONE` when there is none).
    pub(crate) fn poll_event(&mut self) -> pt_event {
        if self.dropped > 0 {
            return pt_event::dropped(std::mem::take(&mut self.dropped));
        }
        self.events.pop_front().unwrap_or(pt_event::NONE)
    }

    /// The payloads to broadcast as records `kind (1) ‖ length (1) ‖ data`: kind 1 = GAEN
    /// service data for UUID 0xFD6F (RPI ‖ AEM, 20 bytes), kind 2 = Bluezone manufacturer data
    /// for company 0x22B5 (12 bytes). Also returns when they change.
    pub(crate) fn advertisement(&mut self, now: u64) -> Result<(Vec<u8>, u64), Failure> {
        self.timeout(now)?;
        let a = self.tracer.advertisement().ok_or_else(|| {
            Failure::new(pt_result::PT_INTERNAL, "no advertisement after a timeout")
        })?;
        let mut out = Vec::with_capacity(36);
        for id in &a.payloads {
            match id {
                Identifier::Gaen(g) => {
                    out.extend_from_slice(&[1, 20]);
                    out.extend_from_slice(&g.to_bytes());
                }
                Identifier::Bluezone(b) => {
                    out.extend_from_slice(&[2, 12]);
                    out.extend_from_slice(b.as_bytes());
                }
            }
        }
        Ok((out, a.next_change.as_secs()))
    }

    /// One reception, in whatever shape the platform delivered it. A foreign beacon is not an
    /// error: its event is `PT_EVENT_IGNORED`.
    pub(crate) fn receive(
        &mut self,
        data: RadioData<'_>,
        rssi: i8,
        tx_power: Option<i8>,
        now: u64,
    ) -> Result<pt_event, Failure> {
        let r = Received {
            data,
            rssi,
            tx_power,
            time: UnixTime::from_secs(now),
        };
        let (reception, _) = self.run(Some(Input::Received(r)))?;
        reception
            .ok_or_else(|| Failure::new(pt_result::PT_INTERNAL, "a reception yielded no event"))
    }

    /// A Bluezone identifier read over GATT from a Bluezone iOS phone. A value that is not 12
    /// bytes is ignored as malformed (it came from a foreign device).
    pub(crate) fn receive_gatt_identifier(
        &mut self,
        id: &[u8],
        rssi: i8,
        now: u64,
    ) -> Result<pt_event, Failure> {
        match <[u8; BluezoneId::LEN]>::try_from(id) {
            Ok(b) => {
                let id = Identifier::Bluezone(BluezoneId::from_bytes(b));
                self.receive(RadioData::Identifier(id), rssi, None, now)
            }
            Err(_) => Ok(pt_event {
                ignored: pt_ignored::PT_IGNORED_MALFORMED,
                ..pt_event::of(pt_event_kind::PT_EVENT_IGNORED)
            }),
        }
    }

    /// Let time pass; returns when to call again.
    pub(crate) fn handle_timeout(&mut self, now: u64) -> Result<u64, Failure> {
        self.timeout(now)
    }

    /// Close scan instances and make the log durable (app going to background, closing).
    pub(crate) fn flush(&mut self, now: u64) -> Result<(), Failure> {
        if self.tracer.clock().is_none_or(|c| c.as_secs() < now) {
            self.timeout(now)?;
        }
        self.tracer.flush().map_err(tracer_failure)
    }

    /// The encounter log's figures (`LogStats` JSON: records, distinct identifiers, first and
    /// last seen, bytes used, capacity, encrypted…); what is durable, not open scan instances.
    pub(crate) fn log_stats(&self) -> Result<String, Failure> {
        let stats = self
            .tracer
            .log()
            .stats()
            .map_err(|e| tracer_failure(e.into()))?;
        serde_json::to_string(&stats).map_err(|e| Failure::new(pt_result::PT_INTERNAL, e))
    }

    /// Close every scan instance and make the log durable, without a time (closing).
    pub(crate) fn flush_now(&mut self) -> Result<(), Failure> {
        self.tracer.flush().map_err(tracer_failure)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_of_every_length() {
        let fd6f = uuid_from_be(&[0xfd, 0x6f]).unwrap();
        assert_eq!(fd6f, proxtrace::advert::GAEN_SERVICE_UUID);
        assert_eq!(uuid_from_be(&[0, 0, 0xfd, 0x6f]).unwrap(), fd6f);
        assert_eq!(uuid_from_be(&fd6f.to_be_bytes()).unwrap(), fd6f);
        let e = uuid_from_be(&[1, 2, 3]).unwrap_err();
        assert_eq!(e.code, pt_result::PT_INVALID_ARGUMENT);
        assert!(e.message.contains("3 bytes"), "{}", e.message);
    }

    #[test]
    fn the_event_queue_is_bounded_and_counts_what_it_drops() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Session::open(dir.path().to_str().unwrap(), None).unwrap();
        for _ in 0..MAX_QUEUED_EVENTS + 5 {
            s.queue(pt_event::of(pt_event_kind::PT_EVENT_KEYS_ROLLED));
        }
        assert_eq!(s.poll_event(), pt_event::dropped(5));
        for _ in 0..MAX_QUEUED_EVENTS {
            assert_eq!(s.poll_event().kind, pt_event_kind::PT_EVENT_KEYS_ROLLED);
        }
        assert_eq!(s.poll_event(), pt_event::NONE);
    }
}
