//! Flood control between the aggregator and the log: per scan window, at most
//! [`TracerConfig::max_new_identifiers_per_scan`](super::TracerConfig) identifiers that were
//! not heard in an earlier scan (one-offs) are stored — the strongest ones — while identifiers
//! heard again (repeated) are always stored. An attacker cycling fresh identifiers therefore
//! fills the log at a bounded rate, and a genuine encounter (heard in every scan, usually
//! close) keeps its place. Sans-IO: scan windows are given by the caller.

use std::collections::HashMap;

use crate::identifier::Identifier;
use crate::sighting::ScanAggregate;

/// How long an identifier counts as "heard before", seconds: longer than any rotation (GAEN
/// rotates at most every 20 minutes by default, Bluezone every slot).
pub(super) const REPEAT_MEMORY_SECS: u64 = 3600;

/// Most identifiers remembered for the repeat check; the oldest are forgotten first.
pub(super) const MAX_REMEMBERED: usize = 32_768;

#[derive(Debug)]
struct Held {
    record: ScanAggregate,
    repeated: bool,
}

/// One scan window's decisions.
#[derive(Debug)]
struct Window {
    /// Start of the scan window (unix seconds).
    start: u64,
    held: Vec<Held>,
    /// One-offs among `held`.
    held_new: u32,
    /// Decided already (the window's deadline passed): later records are judged at once.
    released: bool,
    /// One-offs admitted so far.
    admitted_new: u32,
}

/// Rank of a one-off: the strongest first, then the most sightings.
fn rank(r: &ScanAggregate) -> (i8, u32) {
    (r.max_rssi, r.count)
}

/// The per-scan cap on one-off identifiers.
#[derive(Debug)]
pub(super) struct Admission {
    cap: u32,
    window: Option<Window>,
    /// Identifier → start of the last scan window it was heard in.
    seen: HashMap<Identifier, u64>,
    /// One-offs not stored because the cap was reached.
    dropped: u64,
}

impl Admission {
    pub(super) fn new(cap: u32) -> Self {
        Self {
            cap,
            window: None,
            seen: HashMap::new(),
            dropped: 0,
        }
    }

    /// One-offs not stored because a scan window already had its share.
    pub(super) fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Take in a closed record of the scan window starting at `window_start`; whatever is
    /// decided comes out in `out` (in the order records came in).
    pub(super) fn push(
        &mut self,
        r: ScanAggregate,
        window_start: u64,
        out: &mut Vec<ScanAggregate>,
    ) {
        if self.window.as_ref().is_none_or(|w| window_start > w.start) {
            self.release(out);
            self.forget(window_start);
            self.window = Some(Window {
                start: window_start,
                held: Vec::new(),
                held_new: 0,
                released: false,
                admitted_new: 0,
            });
        }
        let Some(w) = self.window.as_mut() else {
            return;
        };
        let repeated = self.seen.get(&r.identifier).is_some_and(|&s| {
            s < w.start || w.held.iter().any(|h| h.record.identifier == r.identifier)
        });
        self.seen.insert(r.identifier, w.start);
        if w.released {
            if repeated || w.admitted_new < self.cap {
                w.admitted_new += u32::from(!repeated);
                out.push(r);
            } else {
                self.dropped += 1;
            }
            return;
        }
        if !repeated && w.held_new >= self.cap {
            // Full: the weakest one-off held so far (or this one) is not stored.
            let weakest = w
                .held
                .iter()
                .enumerate()
                .filter(|(_, h)| !h.repeated)
                .min_by_key(|(_, h)| rank(&h.record))
                .map(|(i, h)| (i, rank(&h.record)));
            self.dropped += 1;
            match weakest {
                Some((i, k)) if k < rank(&r) => {
                    w.held.remove(i);
                    w.held_new -= 1;
                }
                _ => return,
            }
        }
        w.held_new += u32::from(!repeated);
        w.held.push(Held {
            record: r,
            repeated,
        });
    }

    /// Decide the open window now (its deadline passed, or the tracer flushes).
    pub(super) fn release(&mut self, out: &mut Vec<ScanAggregate>) {
        if let Some(w) = self.window.as_mut()
            && !w.released
        {
            w.released = true;
            w.admitted_new = w.held_new;
            out.extend(w.held.drain(..).map(|h| h.record));
            w.held_new = 0;
        }
    }

    /// Start of the window still being decided, if any.
    pub(super) fn open_window(&self) -> Option<u64> {
        self.window
            .as_ref()
            .filter(|w| !w.released)
            .map(|w| w.start)
    }

    /// Records held, not yet decided (matching sees them as it sees open scan instances).
    pub(super) fn held(&self) -> impl Iterator<Item = &ScanAggregate> {
        self.window
            .iter()
            .flat_map(|w| w.held.iter().map(|h| &h.record))
    }

    /// Forget identifiers last heard longer ago than the repeat memory (and the oldest when
    /// too many are remembered).
    fn forget(&mut self, now: u64) {
        let horizon = now.saturating_sub(REPEAT_MEMORY_SECS);
        self.seen.retain(|_, &mut s| s >= horizon);
        if self.seen.len() > MAX_REMEMBERED {
            let mut starts: Vec<u64> = self.seen.values().copied().collect();
            starts.sort_unstable();
            let cut = starts[starts.len() - MAX_REMEMBERED];
            self.seen.retain(|_, &mut s| s > cut);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bluezone::BluezoneId;
    use crate::time::UnixTime;

    fn rec(n: u8, t: u64, rssi: i8) -> ScanAggregate {
        ScanAggregate {
            identifier: Identifier::Bluezone(BluezoneId::from_bytes([n; 12])),
            first_seen: UnixTime::from_secs(t),
            last_seen: UnixTime::from_secs(t),
            count: 1,
            max_rssi: rssi,
            mean_rssi: rssi,
            tx_power: None,
        }
    }

    #[test]
    fn keeps_the_strongest_one_offs_and_every_repeat() {
        let mut a = Admission::new(2);
        let mut out = Vec::new();
        for (n, rssi) in [(1, -80), (2, -50), (3, -90), (4, -60)] {
            a.push(rec(n, 1000, rssi), 1000, &mut out);
        }
        a.release(&mut out);
        let ids: Vec<_> = out.iter().map(|r| r.max_rssi).collect();
        assert_eq!(ids, vec![-50, -60], "in arrival order, the two strongest");
        assert_eq!(a.dropped(), 2);
        // Next scan: all four again (repeats, even those not stored) plus three new ones.
        out.clear();
        for (n, rssi) in [
            (1, -80),
            (2, -50),
            (3, -90),
            (4, -60),
            (5, -99),
            (6, -98),
            (7, -97),
        ] {
            a.push(rec(n, 1300, rssi), 1300, &mut out);
        }
        a.release(&mut out);
        assert_eq!(out.len(), 6, "four repeats and the two strongest new ones");
        // After the window was decided, late one-offs only get what is left.
        a.push(rec(8, 1310, -10), 1300, &mut out);
        assert_eq!(out.len(), 6);
        assert_eq!(a.dropped(), 4);
    }

    #[test]
    fn memory_is_bounded() {
        let mut a = Admission::new(1);
        let mut out = Vec::new();
        for w in 0..400u64 {
            for n in 0..200u32 {
                let mut b = [0u8; 12];
                b[..8].copy_from_slice(&(w * 1000 + u64::from(n)).to_le_bytes());
                let r = ScanAggregate {
                    identifier: Identifier::Bluezone(BluezoneId::from_bytes(b)),
                    ..rec(0, w * 300, -60)
                };
                a.push(r, w * 300, &mut out);
            }
        }
        assert!(a.seen.len() <= MAX_REMEMBERED);
        assert!(a.seen.len() <= 13 * 200, "{} remembered", a.seen.len());
        assert!(a.held().count() <= 1);
    }
}
