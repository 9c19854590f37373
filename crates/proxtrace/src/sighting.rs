//! What a radio hears ([`Sighting`]) and what the log keeps of it ([`ScanAggregate`]).

use crate::identifier::Identifier;
use crate::time::UnixTime;

/// One report of a proximity advertisement by a radio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sighting {
    /// The identifier heard.
    pub identifier: Identifier,
    /// Received signal strength in dBm (after any calibration offset).
    pub rssi: i8,
    /// The TX power level the sender advertised, if any (dBm).
    pub tx_power: Option<i8>,
    /// When it was heard.
    pub time: UnixTime,
}

/// A scan-instance aggregate: every sighting of one identifier within one scan window.
///
/// This is the record the encounter log stores and the matcher reads. It keeps what GAEN v2
/// exposure windows need (typical attenuation from the mean, minimum attenuation from the
/// strongest signal, scan time) and what Bluezone's slot check needs (the times).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ScanAggregate {
    /// The identifier heard.
    pub identifier: Identifier,
    /// Time of the first sighting in the window.
    pub first_seen: UnixTime,
    /// Time of the last sighting in the window (≥ `first_seen`).
    pub last_seen: UnixTime,
    /// Number of sightings aggregated (≥ 1).
    pub count: u32,
    /// The strongest RSSI in the window, dBm. Minimum attenuation is `TX − max_rssi`: the
    /// "min RSSI" of the attenuation, i.e. the sighting with the least path loss.
    pub max_rssi: i8,
    /// The mean RSSI of the window, dBm, rounded to nearest (ties away from zero).
    /// Typical attenuation is `TX − mean_rssi`.
    pub mean_rssi: i8,
    /// The TX power level advertised alongside, if any (dBm).
    pub tx_power: Option<i8>,
}

/// When a scan instance ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AggregatorConfig {
    /// An identifier not heard for more than this many seconds closes its scan instance (a
    /// phone's 4-second scan every 5 minutes yields one instance per scan).
    pub max_gap_secs: u32,
    /// A scan instance spans at most this many seconds from its first sighting (continuous
    /// scanning on a laptop yields one instance per 5 minutes).
    pub max_window_secs: u32,
}

impl Default for AggregatorConfig {
    fn default() -> Self {
        Self {
            max_gap_secs: 60,
            max_window_secs: 300,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Open {
    first: UnixTime,
    last: UnixTime,
    count: u32,
    max_rssi: i8,
    sum_rssi: i64,
    tx_power: Option<i8>,
}

impl Open {
    fn new(s: &Sighting) -> Self {
        Self {
            first: s.time,
            last: s.time,
            count: 1,
            max_rssi: s.rssi,
            sum_rssi: i64::from(s.rssi),
            tx_power: s.tx_power,
        }
    }

    fn close(&self, identifier: Identifier) -> ScanAggregate {
        let n = i64::from(self.count.max(1));
        // Round half away from zero, in integers (deterministic on every platform).
        let mean = if self.sum_rssi >= 0 {
            (self.sum_rssi + n / 2) / n
        } else {
            -((-self.sum_rssi + n / 2) / n)
        };
        ScanAggregate {
            identifier,
            first_seen: self.first,
            last_seen: self.last,
            count: self.count,
            max_rssi: self.max_rssi,
            mean_rssi: mean.clamp(i64::from(i8::MIN), i64::from(i8::MAX)) as i8,
            tx_power: self.tx_power,
        }
    }
}

/// Turns sightings into [`ScanAggregate`]s: one per identifier per scan window. Sans-IO and
/// deterministic: time is an input.
///
/// Aggregates come out in non-decreasing `first_seen` order (the order the encounter log
/// requires): a closed aggregate is held back while an open one started earlier.
///
/// ```
/// use proxtrace::bluezone::BluezoneId;
/// use proxtrace::identifier::Identifier;
/// use proxtrace::sighting::{Aggregator, Sighting};
/// use proxtrace::time::UnixTime;
///
/// let id = Identifier::Bluezone(BluezoneId::from_bytes([1; 12]));
/// let mut agg = Aggregator::default();
/// for (t, rssi) in [(100, -60), (101, -70), (103, -65)] {
///     agg.observe(&Sighting { identifier: id, rssi, tx_power: None, time: UnixTime::from_secs(t) });
/// }
/// assert!(agg.poll_closed(UnixTime::from_secs(150)).is_empty()); // still within the gap
/// let done = agg.poll_closed(UnixTime::from_secs(200));
/// assert_eq!((done[0].count, done[0].max_rssi, done[0].mean_rssi), (3, -60, -65));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Aggregator {
    config: AggregatorConfig,
    open: std::collections::HashMap<Identifier, Open>,
    closed: Vec<ScanAggregate>,
}

impl Aggregator {
    /// An aggregator with this configuration.
    pub fn new(config: AggregatorConfig) -> Self {
        Self {
            config,
            ..Self::default()
        }
    }

    /// The configuration.
    pub fn config(&self) -> &AggregatorConfig {
        &self.config
    }

    fn ends(&self, o: &Open, t: UnixTime) -> bool {
        t.saturating_secs_since(o.last) > u64::from(self.config.max_gap_secs)
            || t.saturating_secs_since(o.first) >= u64::from(self.config.max_window_secs)
    }

    /// Add one sighting. A sighting older than its identifier's open window is folded into it
    /// (radios deliver reports slightly out of order).
    pub fn observe(&mut self, s: &Sighting) {
        match self.open.get(&s.identifier).copied() {
            Some(o) if self.ends(&o, s.time) => {
                self.closed.push(o.close(s.identifier));
                self.open.insert(s.identifier, Open::new(s));
            }
            Some(mut o) => {
                o.first = o.first.min(s.time);
                o.last = o.last.max(s.time);
                o.count = o.count.saturating_add(1);
                o.max_rssi = o.max_rssi.max(s.rssi);
                o.sum_rssi += i64::from(s.rssi);
                if s.tx_power.is_some() {
                    o.tx_power = s.tx_power;
                }
                self.open.insert(s.identifier, o);
            }
            None => {
                self.open.insert(s.identifier, Open::new(s));
            }
        }
    }

    /// Close every window that has ended by `now` and return the aggregates that are ready,
    /// in `(first_seen, identifier)` order.
    pub fn poll_closed(&mut self, now: UnixTime) -> Vec<ScanAggregate> {
        let ended: Vec<Identifier> = self
            .open
            .iter()
            .filter(|(_, o)| self.ends(o, now))
            .map(|(id, _)| *id)
            .collect();
        for id in ended {
            if let Some(o) = self.open.remove(&id) {
                self.closed.push(o.close(id));
            }
        }
        let hold_from = self.open.values().map(|o| o.first).min();
        self.release(hold_from)
    }

    /// Close every window now (scanning stopped, or shutting down) and return everything.
    pub fn flush(&mut self) -> Vec<ScanAggregate> {
        for (id, o) in std::mem::take(&mut self.open) {
            self.closed.push(o.close(id));
        }
        self.release(None)
    }

    fn release(&mut self, hold_from: Option<UnixTime>) -> Vec<ScanAggregate> {
        self.closed
            .sort_unstable_by_key(|a| (a.first_seen, a.identifier, a.last_seen));
        let n = match hold_from {
            Some(t) => self.closed.partition_point(|a| a.first_seen <= t),
            None => self.closed.len(),
        };
        self.closed.drain(..n).collect()
    }

    /// When the next open window ends, if any is open.
    pub fn next_deadline(&self) -> Option<UnixTime> {
        self.open
            .values()
            .filter_map(|o| {
                let gap = o
                    .last
                    .checked_add_secs(u64::from(self.config.max_gap_secs) + 1)?;
                let window = o
                    .first
                    .checked_add_secs(u64::from(self.config.max_window_secs))?;
                Some(gap.min(window))
            })
            .min()
    }

    /// Everything not yet released — closed and still open windows — without changing
    /// anything (a match that must also see the last few minutes).
    pub fn snapshot(&self) -> Vec<ScanAggregate> {
        let mut all = self.closed.clone();
        all.extend(self.open.iter().map(|(id, o)| o.close(*id)));
        all.sort_unstable_by_key(|a| (a.first_seen, a.identifier, a.last_seen));
        all
    }

    /// The earliest `first_seen` not yet released (open, or closed and held back), if any.
    pub fn earliest_unreleased(&self) -> Option<UnixTime> {
        self.open
            .values()
            .map(|o| o.first)
            .chain(self.closed.iter().map(|a| a.first_seen))
            .min()
    }

    /// Number of identifiers with an open window.
    pub fn open_windows(&self) -> usize {
        self.open.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bluezone::BluezoneId;
    use proptest::prelude::*;

    fn sighting(id: u8, t: u64, rssi: i8) -> Sighting {
        Sighting {
            identifier: Identifier::Bluezone(BluezoneId::from_bytes([id; 12])),
            rssi,
            tx_power: None,
            time: UnixTime::from_secs(t),
        }
    }

    #[test]
    fn windows_close_on_gap_and_on_span() {
        let mut a = Aggregator::default();
        // A phone-style scan: 4 s, then nothing for 5 minutes, then another scan.
        for t in 1000..1004 {
            a.observe(&sighting(1, t, -60));
        }
        for t in 1300..1304 {
            a.observe(&sighting(1, t, -62));
        }
        // The first window closed when the second began (gap 296 s > 60 s).
        let out = a.poll_closed(UnixTime::from_secs(1304));
        assert_eq!(out.len(), 1);
        assert_eq!(
            (
                out[0].first_seen.as_secs(),
                out[0].last_seen.as_secs(),
                out[0].count
            ),
            (1000, 1003, 4)
        );
        // Continuous sightings split every 300 s.
        let mut a = Aggregator::default();
        for t in 0..650 {
            a.observe(&sighting(2, 5000 + t, -50));
        }
        let all = a.flush();
        let spans: Vec<(u64, u64)> = all
            .iter()
            .map(|x| (x.first_seen.as_secs(), x.last_seen.as_secs()))
            .collect();
        assert_eq!(spans, vec![(5000, 5299), (5300, 5599), (5600, 5649)]);
    }

    #[test]
    fn mean_rounds_half_away_from_zero() {
        let mut a = Aggregator::default();
        a.observe(&sighting(3, 10, -60));
        a.observe(&sighting(3, 11, -61));
        let x = a.flush().remove(0);
        assert_eq!((x.mean_rssi, x.max_rssi), (-61, -60)); // −60.5 → −61
    }

    #[test]
    fn output_is_held_back_until_earlier_windows_close() {
        let mut a = Aggregator::default();
        a.observe(&sighting(1, 100, -60)); // long-lived: open until 400
        for t in 100..400 {
            a.observe(&sighting(1, t, -60));
        }
        a.observe(&sighting(2, 150, -70)); // short: its gap ends at 211
        let early = a.poll_closed(UnixTime::from_secs(250));
        assert!(
            early.is_empty(),
            "id 2 (first 150) waits for id 1 (first 100)"
        );
        assert_eq!(a.next_deadline(), Some(UnixTime::from_secs(400)));
        let out = a.poll_closed(UnixTime::from_secs(400));
        let firsts: Vec<u64> = out.iter().map(|x| x.first_seen.as_secs()).collect();
        assert_eq!(firsts, vec![100, 150]);
    }

    proptest! {
        #[test]
        fn output_is_ordered_and_counts_every_sighting(
            events in prop::collection::vec((0u8..5, 0u64..2000, -100i8..0), 1..200),
            polls in prop::collection::vec(0u64..2500, 0..20),
        ) {
            let mut events = events;
            events.sort_by_key(|e| e.1);
            let mut polls = polls;
            polls.sort_unstable();
            let mut a = Aggregator::default();
            let mut out = Vec::new();
            let mut p = polls.into_iter().peekable();
            for (id, t, rssi) in &events {
                while let Some(&pt) = p.peek() {
                    if pt > *t { break; }
                    out.extend(a.poll_closed(UnixTime::from_secs(pt)));
                    p.next();
                }
                a.observe(&sighting(*id, *t, *rssi));
            }
            out.extend(a.flush());
            prop_assert!(out.windows(2).all(|w| w[0].first_seen <= w[1].first_seen));
            prop_assert_eq!(out.iter().map(|x| u64::from(x.count)).sum::<u64>(), events.len() as u64);
            for x in &out {
                prop_assert!(x.first_seen <= x.last_seen);
                prop_assert!(x.last_seen.as_secs() - x.first_seen.as_secs() < 300);
                prop_assert!(x.mean_rssi <= x.max_rssi);
            }
        }
    }
}
