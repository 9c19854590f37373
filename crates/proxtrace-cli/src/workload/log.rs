//! Realistic days of scan-instance records, for the log's benchmarks and size figures.
//!
//! A phone scans for 4 s every 5 minutes; every person nearby broadcasts an identifier that
//! rotates every 15 minutes (at a random offset per person); a scan hears a nearby person with
//! probability 0.9, a few to sixteen times.
//!
//! * **Commuter**: home with two household members, a bus ride each way, an office with three
//!   colleagues, lunch in a café, a shop on the way home — about 300 distinct identifiers.
//! * **Crowded**: a market vendor meeting a stream of customers all day — about 5 000.
//!
//! ```
//! use proxtrace::identifier::Scheme;
//! use proxtrace_cli::workload::log::{commuter_day, distinct_identifiers};
//! use proxtrace::time::UtcDay;
//! let day = commuter_day(UtcDay::new(19_000), Scheme::Gaen, 1);
//! assert!((250..=400).contains(&distinct_identifiers(&day)));
//! ```

use std::collections::HashSet;

use rand::rngs::ChaCha20Rng;
use rand::{RngExt, SeedableRng};

use proxtrace::bluezone::BluezoneId;
use proxtrace::identifier::{GaenPayload, Identifier, Scheme};
use proxtrace::sighting::ScanAggregate;
use proxtrace::time::{UnixTime, UtcDay};

const SCAN_PERIOD: u64 = 300;
const ROTATION: u64 = 900;

/// A person near the phone from `from` to `to` (seconds into the day), at a typical RSSI.
struct Presence {
    person: u32,
    from: u64,
    to: u64,
    rssi: i8,
}

struct Day {
    rng: ChaCha20Rng,
    scheme: Scheme,
    presences: Vec<Presence>,
    next_person: u32,
}

impl Day {
    fn person(&mut self) -> u32 {
        self.next_person += 1;
        self.next_person
    }

    /// `n` people present together for `[from, to)` hours.
    fn group(&mut self, n: u32, from: f64, to: f64, rssi: (i8, i8)) {
        for _ in 0..n {
            let p = self.person();
            let r = self.rng.random_range(rssi.0..rssi.1);
            self.presences.push(Presence {
                person: p,
                from: (from * 3600.0) as u64,
                to: (to * 3600.0) as u64,
                rssi: r,
            });
        }
    }

    /// `n` passers-by arriving uniformly in `[from, to)` hours, staying `stay` minutes.
    fn stream(&mut self, n: u32, from: f64, to: f64, stay: (u64, u64), rssi: (i8, i8)) {
        for _ in 0..n {
            let p = self.person();
            let start = self
                .rng
                .random_range((from * 3600.0) as u64..(to * 3600.0) as u64);
            let len = self.rng.random_range(stay.0 * 60..stay.1 * 60);
            let r = self.rng.random_range(rssi.0..rssi.1);
            self.presences.push(Presence {
                person: p,
                from: start,
                to: (start + len).min(86_399),
                rssi: r,
            });
        }
    }

    fn identifier(&self, seed: u64, person: u32, period: u64) -> Identifier {
        let mut r = ChaCha20Rng::seed_from_u64(seed ^ (u64::from(person) << 32) ^ period);
        match self.scheme {
            Scheme::Gaen => Identifier::Gaen(GaenPayload::from_bytes(&r.random())),
            Scheme::Bluezone => Identifier::Bluezone(BluezoneId::from_bytes(r.random())),
        }
    }

    fn records(mut self, day: UtcDay, seed: u64) -> Vec<ScanAggregate> {
        let start = day.start().as_secs();
        let phase = self.rng.random_range(0..SCAN_PERIOD);
        let offsets: Vec<u64> = (0..=self.next_person)
            .map(|_| self.rng.random_range(0..ROTATION))
            .collect();
        let mut out = Vec::new();
        let mut scan = phase;
        while scan + 4 < 86_400 {
            let mut heard: Vec<ScanAggregate> = Vec::new();
            for p in self
                .presences
                .iter()
                .filter(|p| p.from <= scan && scan < p.to)
            {
                if self.rng.random_range(0..10) == 0 {
                    continue; // missed by this scan
                }
                let off = offsets[p.person as usize];
                let period = (scan + off) / ROTATION;
                let first = scan + self.rng.random_range(0..2);
                let dur = self.rng.random_range(0..3);
                let mean = p.rssi.saturating_add(self.rng.random_range(-4..5));
                heard.push(ScanAggregate {
                    identifier: self.identifier(seed, p.person, period),
                    first_seen: UnixTime::from_secs(start + first),
                    last_seen: UnixTime::from_secs(start + first + dur),
                    count: self.rng.random_range(3..17),
                    max_rssi: mean.saturating_add(self.rng.random_range(0..6)),
                    mean_rssi: mean,
                    tx_power: None,
                });
            }
            heard.sort_by_key(|r| (r.first_seen, r.identifier));
            out.extend(heard);
            scan += SCAN_PERIOD;
        }
        out
    }
}

fn new_day(scheme: Scheme, seed: u64) -> Day {
    Day {
        rng: ChaCha20Rng::seed_from_u64(seed),
        scheme,
        presences: Vec::new(),
        next_person: 0,
    }
}

/// A commuter's day (about 300 distinct identifiers), oldest record first.
pub fn commuter_day(day: UtcDay, scheme: Scheme, seed: u64) -> Vec<ScanAggregate> {
    let mut d = new_day(scheme, seed);
    d.group(2, 0.0, 7.0, (-70, -50)); // household, night
    d.stream(12, 7.0, 7.5, (15, 40), (-85, -60)); // bus to work
    d.group(3, 7.75, 12.0, (-75, -55)); // colleagues
    d.stream(8, 12.0, 12.5, (20, 45), (-80, -60)); // café
    d.group(3, 13.0, 17.25, (-75, -55));
    d.stream(12, 17.25, 17.75, (15, 40), (-85, -60)); // bus home
    d.stream(20, 17.75, 18.75, (5, 20), (-90, -65)); // shop
    d.group(2, 19.0, 24.0, (-70, -50)); // household, evening
    d.records(day, seed)
}

/// A crowded day: a market vendor (about 5 000 distinct identifiers), oldest record first.
pub fn crowded_day(day: UtcDay, scheme: Scheme, seed: u64) -> Vec<ScanAggregate> {
    let mut d = new_day(scheme, seed);
    d.group(2, 0.0, 6.0, (-70, -50));
    d.group(4, 6.0, 18.0, (-75, -55)); // neighbouring stalls
    d.stream(3_600, 6.0, 18.0, (3, 25), (-92, -55)); // customers and passers-by
    d.group(2, 19.0, 24.0, (-70, -50));
    d.records(day, seed)
}

/// Distinct identifiers among records.
pub fn distinct_identifiers(records: &[ScanAggregate]) -> usize {
    records
        .iter()
        .map(|r| r.identifier)
        .collect::<HashSet<_>>()
        .len()
}
