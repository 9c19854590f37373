//! Flood control between the aggregator and the log: a budget per scan window.
//!
//! Each scan window stores at most [`TracerConfig::max_records_per_scan`] records, of which
//! at most [`TracerConfig::max_new_identifiers_per_scan`] are *one-offs* (identifiers not
//! heard in any scan of the last hour). When a window has more, what is kept is, in order:
//! identifiers *continuing* an encounter already stored (stored in an earlier scan),
//! identifiers *heard again* (heard before, not stored then), then one-offs — and within each
//! class the strongest (highest RSSI, then most sightings). A genuine encounter is heard in
//! every scan and is usually close; an attacker cycling fresh identifiers only produces
//! one-offs. Since the budget bounds what a scan can add, a log sized for
//! `max_records_per_scan` records per scan over the retention never evicts before the
//! retention ends (`docs/performance.md`, "Log under a flood"). Sans-IO: scan windows are
//! given by the caller.
//!
//! [`TracerConfig::max_records_per_scan`]: super::TracerConfig::max_records_per_scan
//! [`TracerConfig::max_new_identifiers_per_scan`]: super::TracerConfig::max_new_identifiers_per_scan

use std::collections::HashMap;

use crate::identifier::Identifier;
use crate::sighting::ScanAggregate;

/// How long an identifier counts as "heard before", seconds: longer than any rotation (GAEN
/// rotates at most every 20 minutes by default, Bluezone every slot).
pub(super) const REPEAT_MEMORY_SECS: u64 = 3600;

/// Most identifiers remembered for the repeat check; those heard longest ago are forgotten
/// first.
pub(super) const MAX_REMEMBERED: usize = 32_768;

/// What a record is to the budget, lowest priority first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    /// Not heard in any scan of the last hour.
    OneOff,
    /// Heard in an earlier scan, not stored then.
    HeardAgain,
    /// Stored in an earlier scan (or earlier in this one).
    Continuing,
}

#[derive(Debug)]
struct Held {
    record: ScanAggregate,
    class: Class,
}

impl Held {
    /// Priority: class, then strength, then sightings.
    fn priority(&self) -> (Class, i8, u32) {
        (self.class, self.record.max_rssi, self.record.count)
    }
}

/// One scan window's decisions.
#[derive(Debug)]
struct Window {
    /// Start of the scan window (unix seconds).
    start: u64,
    held: Vec<Held>,
    /// One-offs among `held`.
    held_one_offs: u32,
    /// Decided already (the window's deadline passed): later records are judged at once.
    released: bool,
    /// Records stored so far (after release), and one-offs among them.
    stored: u32,
    stored_one_offs: u32,
}

/// What the tracer remembers of an identifier.
#[derive(Debug, Clone, Copy)]
struct Seen {
    /// Start of the last scan window it was heard in.
    window: u64,
    /// Whether any of its records was stored.
    stored: bool,
}

/// The per-scan budget.
#[derive(Debug)]
pub(super) struct Admission {
    max_records: u32,
    max_one_offs: u32,
    window: Option<Window>,
    seen: HashMap<Identifier, Seen>,
    /// Records not stored because their scan window's budget was spent.
    dropped: u64,
}

impl Admission {
    /// A budget of `max_records` per scan window, `max_one_offs` of them one-offs.
    pub(super) fn new(max_records: u32, max_one_offs: u32) -> Self {
        Self {
            max_records,
            max_one_offs: max_one_offs.min(max_records),
            window: None,
            seen: HashMap::new(),
            dropped: 0,
        }
    }

    /// Records not stored because a scan window's budget was spent.
    pub(super) fn dropped(&self) -> u64 {
        self.dropped
    }

    fn class(&self, id: &Identifier) -> Class {
        match self.seen.get(id) {
            Some(s) if s.stored => Class::Continuing,
            // Heard in an earlier scan, or earlier in this one as another scan instance.
            Some(_) => Class::HeardAgain,
            None => Class::OneOff,
        }
    }

    /// Take in a closed record of the scan window starting at `window_start` (records come
    /// in non-decreasing `first_seen` order); whatever is decided comes out in `out`, in the
    /// order the records came in.
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
                held_one_offs: 0,
                released: false,
                stored: 0,
                stored_one_offs: 0,
            });
        }
        let Some(w) = self.window.take() else {
            return;
        };
        let class = self.class(&r.identifier);
        let window = w.start;
        let (w, stored) = self.take_in(w, Held { record: r, class }, out);
        let entry = self.seen.entry(r.identifier).or_insert(Seen {
            window,
            stored: false,
        });
        entry.window = window;
        entry.stored |= stored;
        self.window = Some(w);
    }

    /// Hold a record (or, in a decided window, store or drop it at once: then `true` when
    /// stored).
    fn take_in(&mut self, mut w: Window, h: Held, out: &mut Vec<ScanAggregate>) -> (Window, bool) {
        if w.released {
            let one_off = h.class == Class::OneOff;
            let fits =
                w.stored < self.max_records && (!one_off || w.stored_one_offs < self.max_one_offs);
            if fits {
                w.stored += 1;
                w.stored_one_offs += u32::from(one_off);
                out.push(h.record);
            } else {
                self.dropped += 1;
            }
            return (w, fits);
        }
        w.held_one_offs += u32::from(h.class == Class::OneOff);
        w.held.push(h);
        // Keep what is held within the budget: drop the lowest-priority record when over.
        let over_one_offs = w.held_one_offs > self.max_one_offs;
        if over_one_offs || w.held.len() > self.max_records as usize {
            let victim = w
                .held
                .iter()
                .enumerate()
                .filter(|(_, h)| !over_one_offs || h.class == Class::OneOff)
                .min_by_key(|(_, h)| h.priority())
                .map(|(i, _)| i);
            if let Some(i) = victim {
                let gone = w.held.remove(i);
                w.held_one_offs -= u32::from(gone.class == Class::OneOff);
                self.dropped += 1;
            }
        }
        (w, false)
    }

    /// Decide the open window now (it is over, or the tracer flushes).
    pub(super) fn release(&mut self, out: &mut Vec<ScanAggregate>) {
        let Some(w) = self.window.as_mut() else {
            return;
        };
        if w.released {
            return;
        }
        w.released = true;
        w.held_one_offs = 0;
        for h in w.held.drain(..) {
            w.stored += 1;
            w.stored_one_offs += u32::from(h.class == Class::OneOff);
            if let Some(s) = self.seen.get_mut(&h.record.identifier) {
                s.stored = true;
            }
            out.push(h.record);
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

    /// Forget identifiers last heard longer ago than the repeat memory (and those heard
    /// longest ago when too many are remembered).
    fn forget(&mut self, now: u64) {
        let horizon = now.saturating_sub(REPEAT_MEMORY_SECS);
        self.seen.retain(|_, s| s.window >= horizon);
        if self.seen.len() > MAX_REMEMBERED {
            let mut starts: Vec<u64> = self.seen.values().map(|s| s.window).collect();
            starts.sort_unstable();
            let cut = starts[starts.len() - MAX_REMEMBERED];
            self.seen.retain(|_, s| s.window > cut);
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

    fn ids(out: &[ScanAggregate]) -> Vec<u8> {
        out.iter()
            .map(|r| match r.identifier {
                Identifier::Bluezone(b) => b.as_bytes()[0],
                Identifier::Gaen(_) => 0,
            })
            .collect()
    }

    #[test]
    fn one_offs_are_capped_strongest_first_and_repeats_come_first() {
        let mut a = Admission::new(4, 2);
        let mut out = Vec::new();
        for (n, rssi) in [(1, -80), (2, -50), (3, -90), (4, -60)] {
            a.push(rec(n, 1000, rssi), 1000, &mut out);
        }
        a.release(&mut out);
        assert_eq!(ids(&out), vec![2, 4], "in arrival order, the two strongest");
        assert_eq!(a.dropped(), 2);
        // Next scan: all four again, then three new ones. 2 and 4 continue (stored before),
        // 1 and 3 are heard again: four records fill the budget before any one-off.
        out.clear();
        for (n, rssi) in [(5, -10), (1, -80), (2, -50), (3, -90), (4, -60), (6, -11)] {
            a.push(rec(n, 1300, rssi), 1300, &mut out);
        }
        a.release(&mut out);
        assert_eq!(ids(&out), vec![1, 2, 3, 4]);
        // After the window was decided, late records only get what is left (nothing).
        a.push(rec(8, 1310, -10), 1300, &mut out);
        assert_eq!(out.len(), 4);
        assert_eq!(a.dropped(), 5);
    }

    #[test]
    fn a_late_record_of_a_decided_window_gets_what_is_left() {
        let mut a = Admission::new(3, 1);
        let mut out = Vec::new();
        a.push(rec(1, 1000, -50), 1000, &mut out);
        a.release(&mut out);
        a.push(rec(2, 1001, -50), 1000, &mut out);
        assert_eq!(ids(&out), vec![1], "the one-off share is spent");
        a.push(rec(1, 1002, -50), 1000, &mut out);
        assert_eq!(ids(&out), vec![1, 1], "a continuing record still fits");
    }

    #[test]
    fn memory_is_bounded() {
        let mut a = Admission::new(8, 1);
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
        assert_eq!(out.len(), 399, "one one-off per decided window");
    }
}
