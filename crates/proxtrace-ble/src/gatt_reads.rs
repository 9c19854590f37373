//! When to read a Bluezone iOS phone's identifier over GATT — sans-IO, so the rules are tested
//! with scripted sightings and no D-Bus.
//!
//! An iPhone running Bluezone advertises only its service UUID; its 12-byte ID must be read
//! from a characteristic. Reading costs a connection, so [`GattReads`] allows **one read per
//! device per Bluezone slot** (the ID changes only at slot boundaries), at most
//! `max_in_flight` at a time, and hands later sightings of the same device in the slot to the
//! tracer with the cached ID and the sighting's own RSSI. A failed or timed-out read is not
//! retried within the slot. Its memory is bounded ([`MAX_DEVICES`]).
//!
//! ```
//! use proxtrace::time::UnixTime;
//! use proxtrace_ble::gatt_reads::{GattAction, GattReads};
//! let mut g = GattReads::new(900, 2);
//! let t = UnixTime::from_secs(1_763_800_200);
//! assert_eq!(g.sighting("ios", -60, t), GattAction::Read);
//! assert_eq!(g.sighting("ios", -61, t), GattAction::Wait); // the read is in flight
//! let r = g.finished("ios", Ok(vec![7; 12])).expect("an identifier");
//! assert_eq!(r.rssi, -60); // the RSSI of the sighting that started the read
//! assert!(matches!(g.sighting("ios", -70, t), GattAction::Known(r) if r.rssi == -70));
//! ```

use std::collections::HashMap;

use proxtrace::bluezone::BluezoneId;
use proxtrace::identifier::Identifier;
use proxtrace::time::UnixTime;
use proxtrace::tracer::{RadioData, Received};

/// Devices remembered at once; past this, sightings of new devices wait until old slots end.
pub const MAX_DEVICES: usize = 4096;

/// What the scanner does with a sighting of a Bluezone iOS phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GattAction {
    /// Connect and read the identifier characteristic now (with the timeout), then report
    /// the outcome with [`GattReads::finished`].
    Read,
    /// The identifier of this slot is known: hand this reception to the tracer.
    Known(Received<'static>),
    /// Nothing now: a read is in flight, this slot's read failed, or too many are in flight.
    Wait,
}

#[derive(Debug, Clone)]
enum State {
    /// A read is running; the sighting that started it.
    InFlight { rssi: i8, time: UnixTime },
    /// This slot's identifier.
    Known(BluezoneId),
    /// This slot's read failed or timed out: no retry until the next slot.
    Failed,
}

#[derive(Debug, Clone)]
struct Device {
    slot: u64,
    state: State,
}

/// Counters of a scanner's GATT reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GattStats {
    /// Reads started.
    pub started: u64,
    /// Reads that returned a 12-byte identifier.
    pub succeeded: u64,
    /// Reads that failed (no such service or characteristic, a refused connection, a value
    /// that is not 12 bytes) or timed out.
    pub failed: u64,
    /// Sightings handed in with a cached identifier.
    pub cached: u64,
    /// Sightings that waited (a read in flight, a failed slot, the limits).
    pub waited: u64,
}

/// The GATT read rules. See the [module documentation](self).
#[derive(Debug, Clone)]
pub struct GattReads {
    slot_secs: u64,
    max_in_flight: usize,
    devices: HashMap<String, Device>,
    stats: GattStats,
    last_failure: Option<(String, String)>,
}

impl GattReads {
    /// Slots of `slot_secs` seconds (Bluezone's default: 900, i.e. 86 400 / 96; at least 1)
    /// and at most `max_in_flight` reads at a time (at least 1).
    pub fn new(slot_secs: u64, max_in_flight: usize) -> Self {
        Self {
            slot_secs: slot_secs.max(1),
            max_in_flight: max_in_flight.max(1),
            devices: HashMap::new(),
            stats: GattStats::default(),
            last_failure: None,
        }
    }

    /// The counters.
    pub fn stats(&self) -> GattStats {
        self.stats
    }

    /// The last failed read: the device and why.
    pub fn last_failure(&self) -> Option<(&str, &str)> {
        self.last_failure
            .as_ref()
            .map(|(d, why)| (d.as_str(), why.as_str()))
    }

    fn in_flight(&self) -> usize {
        self.devices
            .values()
            .filter(|d| matches!(d.state, State::InFlight { .. }))
            .count()
    }

    fn wait(&mut self) -> GattAction {
        self.stats.waited += 1;
        GattAction::Wait
    }

    /// A sighting of `device` advertising the Bluezone iOS service, with its RSSI and time.
    pub fn sighting(&mut self, device: &str, rssi: i8, now: UnixTime) -> GattAction {
        let slot = now.as_secs() / self.slot_secs;
        if let Some(d) = self.devices.get(device)
            && d.slot == slot
        {
            return match d.state {
                State::Known(id) => {
                    self.stats.cached += 1;
                    GattAction::Known(Received::new(
                        RadioData::Identifier(Identifier::Bluezone(id)),
                        rssi,
                        now,
                    ))
                }
                State::InFlight { .. } | State::Failed => self.wait(),
            };
        }
        if self.in_flight() >= self.max_in_flight {
            return self.wait();
        }
        if self.devices.len() >= MAX_DEVICES && !self.devices.contains_key(device) {
            // Forget devices of past slots (not reads in flight: their result is awaited).
            self.devices
                .retain(|_, d| d.slot == slot || matches!(d.state, State::InFlight { .. }));
            if self.devices.len() >= MAX_DEVICES {
                return self.wait();
            }
        }
        self.devices.insert(
            device.to_owned(),
            Device {
                slot,
                state: State::InFlight { rssi, time: now },
            },
        );
        self.stats.started += 1;
        GattAction::Read
    }

    /// Forget the reads in flight (their tasks were stopped): the next sighting reads again.
    pub fn cancel_in_flight(&mut self) {
        self.devices
            .retain(|_, d| !matches!(d.state, State::InFlight { .. }));
    }

    /// A read of `device` ended: the characteristic's value, or why not. Returns the reception
    /// to hand to the tracer (the identifier with the RSSI and time of the sighting that
    /// started the read), or `None` when the read failed or the value is not 12 bytes.
    pub fn finished(
        &mut self,
        device: &str,
        result: Result<Vec<u8>, String>,
    ) -> Option<Received<'static>> {
        let d = self.devices.get_mut(device)?;
        let State::InFlight { rssi, time } = d.state else {
            return None;
        };
        let value = result.and_then(|v| {
            <[u8; 12]>::try_from(v).map_err(|v| format!("the value is {} bytes, not 12", v.len()))
        });
        match value {
            Ok(bytes) => {
                let id = BluezoneId::from_bytes(bytes);
                d.state = State::Known(id);
                self.stats.succeeded += 1;
                Some(Received::new(
                    RadioData::Identifier(Identifier::Bluezone(id)),
                    rssi,
                    time,
                ))
            }
            Err(why) => {
                d.state = State::Failed;
                self.stats.failed += 1;
                self.last_failure = Some((device.to_owned(), why));
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SLOT: u64 = 900;
    fn at(secs: u64) -> UnixTime {
        UnixTime::from_secs(1_763_800_200 / SLOT * SLOT + secs)
    }

    fn id(r: &Received<'_>) -> [u8; 12] {
        match r.data {
            RadioData::Identifier(Identifier::Bluezone(b)) => *b.as_bytes(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn one_read_per_device_per_slot_and_the_cache_in_between() {
        let mut g = GattReads::new(SLOT, 4);
        assert_eq!(g.sighting("a", -60, at(10)), GattAction::Read);
        assert_eq!(g.sighting("a", -61, at(11)), GattAction::Wait);
        let r = g.finished("a", Ok(vec![1; 12])).unwrap();
        assert_eq!((id(&r), r.rssi, r.time), ([1; 12], -60, at(10)));
        for (i, t) in [100, 500, 899].into_iter().enumerate() {
            let GattAction::Known(r) = g.sighting("a", -70 - i as i8, at(t)) else {
                panic!("not cached at {t}")
            };
            assert_eq!((id(&r), r.rssi, r.time), ([1; 12], -70 - i as i8, at(t)));
        }
        // A new slot: the ID may have changed, read again.
        assert_eq!(g.sighting("a", -60, at(900)), GattAction::Read);
        assert_eq!(id(&g.finished("a", Ok(vec![2; 12])).unwrap()), [2; 12]);
        assert!(matches!(g.sighting("a", -60, at(901)), GattAction::Known(r) if id(&r) == [2; 12]));
        let s = g.stats();
        assert_eq!(
            (s.started, s.succeeded, s.failed, s.cached, s.waited),
            (2, 2, 0, 4, 1)
        );
    }

    #[test]
    fn a_failed_read_is_not_retried_within_its_slot() {
        let mut g = GattReads::new(SLOT, 4);
        assert_eq!(g.sighting("a", -60, at(0)), GattAction::Read);
        assert_eq!(g.finished("a", Err("timed out".into())), None);
        assert_eq!(g.sighting("a", -60, at(300)), GattAction::Wait);
        assert_eq!(g.sighting("a", -60, at(SLOT)), GattAction::Read);
        // A value that is not 12 bytes is a failure too.
        assert_eq!(g.finished("a", Ok(vec![1; 11])), None);
        assert_eq!(g.stats().failed, 2);
        // A result nobody asked for changes nothing.
        assert_eq!(g.finished("b", Ok(vec![1; 12])), None);
        assert_eq!(g.finished("a", Ok(vec![1; 12])), None);
    }

    #[test]
    fn reads_in_flight_and_devices_are_bounded() {
        let mut g = GattReads::new(SLOT, 2);
        assert_eq!(g.sighting("a", -60, at(0)), GattAction::Read);
        assert_eq!(g.sighting("b", -60, at(0)), GattAction::Read);
        assert_eq!(g.sighting("c", -60, at(0)), GattAction::Wait);
        g.finished("a", Ok(vec![1; 12]));
        assert_eq!(g.sighting("c", -60, at(1)), GattAction::Read);
        g.cancel_in_flight();
        assert_eq!(g.sighting("b", -60, at(2)), GattAction::Read);
        // Many devices: memory stays at MAX_DEVICES; old slots are forgotten first.
        let mut g = GattReads::new(SLOT, usize::MAX);
        for i in 0..MAX_DEVICES {
            let d = format!("d{i}");
            assert_eq!(g.sighting(&d, -60, at(0)), GattAction::Read);
            g.finished(&d, Ok(vec![3; 12]));
        }
        assert_eq!(g.sighting("new", -60, at(1)), GattAction::Wait);
        assert_eq!(g.sighting("new", -60, at(SLOT)), GattAction::Read);
        assert!(g.devices.len() <= MAX_DEVICES);
    }
}
