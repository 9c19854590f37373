//! The run loop: a virtual clock in one-minute steps; every phone woken at its own timeouts.
//!
//! Each minute: everyone's position, people per place (a counting sort), the ground truth,
//! then the phones. A phone is handled when the time of its last `Output::Timeout` falls in
//! the minute; while its `Output::Scan` says it listens, it hears the phones of its own place
//! that are within [`RANGE_METRES`] (a grid of range-sized cells in big places, so only phones
//! in range are paired). Places do not interact within a minute, so they run in parallel
//! (rayon), each in its own time order; every random draw is keyed by who and when, so the
//! result does not depend on the thread count.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use proxtrace::time::{SECONDS_PER_DAY, UnixTime};
use proxtrace::tracer::{DiagnosisKeys, TracerConfig, TracerError};
use rayon::prelude::*;

use super::SimError;
use super::config::SimConfig;
use super::mobility::{Plans, Position};
use super::phone::{Phone, PhoneKind};
use super::population::{NOWHERE, PlaceId, Town};
use super::radio::{PhoneRadio, RANGE_METRES, Scan, Stream, TX_POWER_DBM};
use super::relay::{ActiveRelay, Captured};
use super::truth::{PlaceIndex, Truth};

/// No phone for this person.
pub(crate) const NO_PHONE: u32 = u32::MAX;

/// Places with more phones than this are searched through a grid.
const GRID_MIN: usize = 24;

/// Logical capacity of each phone's log: 4 MiB is 14 days of a phone hearing 100 others in
/// every scan; only what is written takes memory (`SparseBackend`).
const LOG_CAPACITY_BYTES: u64 = 4 << 20;

/// What one simulation needs.
pub(crate) struct Setup<'a> {
    pub(crate) config: &'a SimConfig,
    pub(crate) town: &'a Town,
    /// People who test positive, sorted.
    pub(crate) positives: &'a [u32],
    /// Who carries a phone running the app in this simulation.
    pub(crate) has_phone: &'a [bool],
    pub(crate) kinds: &'a [PhoneKind],
    /// A relay: from, to, delay.
    pub(crate) relay: Option<(PlaceId, PlaceId, u32)>,
}

/// A simulated town after its last day.
pub(crate) struct World {
    pub(crate) phones: Vec<Phone>,
    /// Person → index into `phones`, or [`NO_PHONE`].
    pub(crate) phone_of: Vec<u32>,
    /// Close contacts, `(positive, other)`, sorted.
    pub(crate) close_pairs: Vec<(u32, u32)>,
    pub(crate) advertisements_heard: u64,
    pub(crate) relayed_packets: u64,
    /// Keys of the positives with a phone, in person order.
    pub(crate) published: Vec<(u32, DiagnosisKeys)>,
    pub(crate) scan_instances: u64,
    pub(crate) log_bytes: u64,
    /// Logs that filled up (and so may have lost their oldest records).
    pub(crate) full_logs: usize,
    pub(crate) gatt_reads: u64,
}

/// The tracer configuration every simulated phone starts from (schemes are set per phone).
pub(crate) fn tracer_config() -> TracerConfig {
    TracerConfig {
        tx_power_dbm: TX_POWER_DBM,
        // The simulated radio reports calibrated RSSI already: no correction, and the
        // simulated phones are calibrated by construction.
        rssi_correction_db: 0,
        calibration_confidence: proxtrace::gaen::CalibrationConfidence::HIGH,
        log_capacity_bytes: LOG_CAPACITY_BYTES,
        ..TracerConfig::default()
    }
}

/// Counts of one place-minute.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    heard: u64,
    relayed: u64,
}

impl std::ops::Add for Tally {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        Self {
            heard: self.heard + o.heard,
            relayed: self.relayed + o.relayed,
        }
    }
}

/// What every place needs to know about the current minute.
struct Minute<'a> {
    seed: u64,
    t0: u64,
    positions: &'a [Position],
    relay: Option<(PlaceId, Position, &'a [Captured])>,
}

/// Simulate `setup.config.days` days. `tick` is called once per simulated minute.
pub(crate) fn simulate(setup: &Setup<'_>, tick: &mut dyn FnMut()) -> Result<World, SimError> {
    let config = setup.config;
    let town = setup.town;
    let n = town.people.len();
    let seed = config.seed;
    let tcfg = tracer_config();
    let mut phone_of = vec![NO_PHONE; n];
    let mut phones = Vec::new();
    for i in (0..n).filter(|&i| setup.has_phone[i]) {
        phone_of[i] = phones.len() as u32;
        phones.push(Phone::new(i as u32, setup.kinds[i], &tcfg, seed)?);
    }
    let mut relay = setup
        .relay
        .map(|(from, to, delay)| ActiveRelay::new(town, from, to, delay));
    let start = config.start_day.start().as_secs();
    let mut plans = Plans::default();
    let mut positions = vec![Position::NOWHERE; n];
    let mut index = PlaceIndex::default();
    let mut truth = Truth::default();
    let mut active = vec![false; town.places.len() + 1];
    let mut tally = Tally::default();
    for day in 0..config.days {
        plans.plan(town, seed, day);
        for minute in 0..1440u32 {
            let t0 = start + u64::from(day) * SECONDS_PER_DAY + u64::from(minute) * 60;
            positions
                .par_iter_mut()
                .enumerate()
                .with_min_len(1024)
                .for_each(|(i, p)| *p = plans.position(town, seed, i, minute * 60));
            index.build(&positions, town.places.len());
            truth.observe(day, setup.positives, &positions, &index);
            let minute_no = u64::from(day) * 1440 + u64::from(minute);
            if let Some(r) = relay.as_mut() {
                r.capture(seed, minute_no, &positions, &index, &phone_of, &phones);
            }
            // Places with a phone due this minute (the last slot: phones nowhere).
            active.iter_mut().for_each(|a| *a = false);
            let t_end = t0 + 60;
            let nowhere = town.places.len();
            for p in &phones {
                if p.wake < t_end {
                    let place = positions[p.person as usize].place;
                    active[if place == NOWHERE {
                        nowhere
                    } else {
                        place as usize
                    }] = true;
                }
            }
            let mut slots: Vec<Option<&mut Phone>> = phones.iter_mut().map(Some).collect();
            let mut work: Vec<(PlaceId, &mut Phone)> = Vec::new();
            for place in (0..town.places.len()).filter(|&p| active[p]) {
                for &person in index.members(place as PlaceId) {
                    let k = phone_of[person as usize];
                    if let Some(phone) = slots.get_mut(k as usize).and_then(Option::take) {
                        work.push((place as PlaceId, phone));
                    }
                }
            }
            if active[nowhere] {
                for slot in &mut slots {
                    if slot
                        .as_ref()
                        .is_some_and(|p| positions[p.person as usize].place == NOWHERE)
                        && let Some(phone) = slot.take()
                    {
                        work.push((NOWHERE, phone));
                    }
                }
            }
            let m = Minute {
                seed,
                t0,
                positions: &positions,
                relay: relay.as_ref().map(|r| (r.to, r.transmitter, r.on_air())),
            };
            let t = work
                .par_chunk_by_mut(|a, b| a.0 == b.0)
                .map_init(Scratch::default, |scratch, group| {
                    run_place(group, &m, scratch)
                })
                .try_reduce(Tally::default, |a, b| Ok(a + b))?;
            tally = tally + t;
            tick();
        }
    }
    if let Some(r) = relay.as_mut() {
        r.delivered = tally.relayed;
    }
    finish(setup, phones, phone_of, truth.close_pairs(), tally)
}

/// The end of the last day: everyone flushes, positives' keys are taken.
fn finish(
    setup: &Setup<'_>,
    mut phones: Vec<Phone>,
    phone_of: Vec<u32>,
    close_pairs: Vec<(u32, u32)>,
    tally: Tally,
) -> Result<World, SimError> {
    let config = setup.config;
    let start = config.start_day.start();
    let end = UnixTime::from_secs(start.as_secs() + u64::from(config.days) * SECONDS_PER_DAY - 1);
    let stats: Vec<(u64, u64, bool)> = phones
        .par_iter_mut()
        .map(|p| {
            p.wake_up(end)?;
            p.tracer.flush()?;
            let s = p.tracer.log().stats().map_err(TracerError::from)?;
            let full = s.live_pages * u64::from(s.page_size) + 2 * u64::from(s.page_size)
                >= s.capacity_bytes;
            Ok((s.records, s.bytes_used, full))
        })
        .collect::<Result<_, TracerError>>()?;
    let mut published = Vec::new();
    for &p in setup.positives {
        if let Some(phone) = phones.get_mut(phone_of[p as usize] as usize) {
            published.push((p, phone.tracer.diagnosis_keys(start, end)?));
        }
    }
    Ok(World {
        gatt_reads: phones.iter().map(|p| u64::from(p.gatt_reads)).sum(),
        phones,
        phone_of,
        close_pairs,
        advertisements_heard: tally.heard,
        relayed_packets: tally.relayed,
        published,
        scan_instances: stats.iter().map(|s| s.0).sum(),
        log_bytes: stats.iter().map(|s| s.1).sum(),
        full_logs: stats.iter().filter(|s| s.2).count(),
    })
}

/// Phones of one place by range-sized cells.
struct Grid {
    cols: usize,
    rows: usize,
    start: Vec<u32>,
    items: Vec<u32>,
    cell: Vec<(usize, usize)>,
}

impl Grid {
    fn new(points: impl ExactSizeIterator<Item = Position>) -> Self {
        let pts: Vec<Position> = points.collect();
        let (w, h) = pts
            .iter()
            .fold((0f32, 0f32), |(w, h), p| (w.max(p.x), h.max(p.y)));
        let cols = (w / RANGE_METRES) as usize + 1;
        let rows = (h / RANGE_METRES) as usize + 1;
        let cell: Vec<(usize, usize)> = pts
            .iter()
            .map(|p| {
                (
                    ((p.x / RANGE_METRES) as usize).min(cols - 1),
                    ((p.y / RANGE_METRES) as usize).min(rows - 1),
                )
            })
            .collect();
        let mut start = vec![0u32; cols * rows + 1];
        for &(cx, cy) in &cell {
            start[cy * cols + cx + 1] += 1;
        }
        for k in 1..start.len() {
            start[k] += start[k - 1];
        }
        let mut fill = start.clone();
        let mut items = vec![0u32; pts.len()];
        for (i, &(cx, cy)) in cell.iter().enumerate() {
            let c = cy * cols + cx;
            items[fill[c] as usize] = i as u32;
            fill[c] += 1;
        }
        Self {
            cols,
            rows,
            start,
            items,
            cell,
        }
    }

    /// Members of the 3 × 3 cells around member `k`'s.
    fn near(&self, k: usize, out: &mut Vec<usize>) {
        out.clear();
        let (cx, cy) = self.cell[k];
        for y in cy.saturating_sub(1)..=(cy + 1).min(self.rows - 1) {
            for x in cx.saturating_sub(1)..=(cx + 1).min(self.cols - 1) {
                let c = y * self.cols + x;
                let range = self.start[c] as usize..self.start[c + 1] as usize;
                out.extend(self.items[range].iter().map(|&i| i as usize));
            }
        }
        out.sort_unstable();
    }
}

/// Two distinct phones of a group, one mutable.
fn pair<'a>(
    group: &'a mut [(PlaceId, &mut Phone)],
    i: usize,
    j: usize,
) -> (&'a mut Phone, &'a Phone) {
    if i < j {
        let (a, b) = group.split_at_mut(j);
        (&mut *a[i].1, &*b[0].1)
    } else {
        let (a, b) = group.split_at_mut(i);
        (&mut *b[0].1, &*a[j].1)
    }
}

/// Buffers a worker thread reuses from place to place.
#[derive(Default)]
struct Scratch {
    due: BinaryHeap<Reverse<(u64, usize)>>,
    near: Vec<usize>,
    packets: Vec<Packet>,
}

/// Where a packet comes from.
#[derive(Debug, Clone, Copy)]
enum Source {
    /// Advertisement `ad` of the group's phone `phone`.
    Phone { phone: usize, ad: usize },
    /// The relay's capture `k`.
    Relay(usize),
}

/// One packet a scan will receive.
#[derive(Debug, Clone, Copy)]
struct Packet {
    offset: u8,
    source: Source,
    rssi: i8,
}

/// One place for one minute: its due phones in time order; each scan hears the place's
/// phones in range (and the relay's transmitter, if it stands here).
fn run_place(
    group: &mut [(PlaceId, &mut Phone)],
    m: &Minute<'_>,
    scratch: &mut Scratch,
) -> Result<Tally, TracerError> {
    let place = group[0].0;
    let t_end = m.t0 + 60;
    let Scratch { due, near, packets } = scratch;
    due.clear();
    due.extend(
        group
            .iter()
            .enumerate()
            .filter(|(_, (_, p))| p.wake < t_end)
            .map(|(k, (_, p))| Reverse((p.wake.max(m.t0), k))),
    );
    let pos = |g: &[(PlaceId, &mut Phone)], k: usize| m.positions[g[k].1.person as usize];
    let grid = (place != NOWHERE && group.len() > GRID_MIN)
        .then(|| Grid::new((0..group.len()).map(|k| pos(group, k))));
    let mut tally = Tally::default();
    while let Some(Reverse((s, k))) = due.pop() {
        let scan = group[k].1.wake_up(UnixTime::from_secs(s))?;
        if let Some(until) = scan.filter(|_| place != NOWHERE) {
            let window = until.as_secs().saturating_sub(s).max(1);
            let me = pos(group, k);
            match &grid {
                Some(g) => g.near(k, near),
                None => {
                    near.clear();
                    near.extend(0..group.len());
                }
            }
            packets.clear();
            for &j in near.iter().filter(|&&j| j != k) {
                let d = me.distance(&pos(group, j));
                if d <= RANGE_METRES {
                    let (rx, tx) = pair(group, k, j);
                    draw_phone(rx, tx, j, d, s, window, m.seed, packets);
                }
            }
            if let Some((to, transmitter, on_air)) = m.relay
                && to == place
            {
                let d = me.distance(&transmitter);
                if d <= RANGE_METRES {
                    draw_relay(&*group[k].1, on_air, d, s, window, m.seed, packets);
                }
            }
            let t = deliver(group, k, packets, s, m.relay.map_or(&[], |r| r.2))?;
            tally = tally + t;
        }
        let wake = group[k].1.wake;
        if wake < t_end {
            due.push(Reverse((wake, k)));
        }
    }
    Ok(tally)
}

/// The packets `rx` will receive from `tx` (group member `j`, `d` metres away) in the scan
/// starting at `s`: one channel draw, packets per advertisement the app listens for.
#[allow(clippy::too_many_arguments)]
fn draw_phone(
    rx: &Phone,
    tx: &Phone,
    j: usize,
    d: f32,
    s: u64,
    window: u64,
    seed: u64,
    out: &mut Vec<Packet>,
) {
    let mut draw: Option<Option<Scan>> = None;
    for (ad, a) in tx.ads().enumerate() {
        if !rx.can_hear(a, tx) {
            continue;
        }
        let scan = draw.get_or_insert_with(|| {
            let key = Stream::new(&[
                seed,
                0x7363_616e,
                u64::from(rx.person),
                u64::from(tx.person),
                s,
            ]);
            Scan::draw(key, d, rx.radio, tx.radio)
        });
        let Some(scan) = scan.as_mut() else { return };
        for &(offset, rssi) in scan.packets(window).as_slice() {
            out.push(Packet {
                offset,
                source: Source::Phone { phone: j, ad },
                rssi,
            });
        }
    }
}

/// The packets `rx` will receive from the relay's transmitter `d` metres away.
fn draw_relay(
    rx: &Phone,
    on_air: &[Captured],
    d: f32,
    s: u64,
    window: u64,
    seed: u64,
    out: &mut Vec<Packet>,
) {
    for (k, c) in on_air.iter().enumerate() {
        if !rx.kind_speaks(c.ad.scheme) {
            continue;
        }
        let key = Stream::new(&[
            seed,
            0x7265_6c79,
            u64::from(rx.person),
            u64::from(c.person),
            s,
        ]);
        if let Some(mut scan) = Scan::draw(key, d, rx.radio, PhoneRadio::default()) {
            for &(offset, rssi) in scan.packets(window).as_slice() {
                out.push(Packet {
                    offset,
                    source: Source::Relay(k),
                    rssi,
                });
            }
        }
    }
}

/// Hand group member `k` its scan's packets second by second, waking it first whenever its
/// own timeout comes before a packet (a reception never pushes its clock past a timeout it
/// asked for).
fn deliver(
    group: &mut [(PlaceId, &mut Phone)],
    k: usize,
    packets: &mut [Packet],
    s: u64,
    on_air: &[Captured],
) -> Result<Tally, TracerError> {
    packets.sort_by_key(|p| p.offset);
    let mut tally = Tally::default();
    for batch in packets.chunk_by(|a, b| a.offset == b.offset) {
        let at = s + u64::from(batch[0].offset);
        while group[k].1.wake <= at {
            let w = group[k].1.wake;
            group[k].1.wake_up(UnixTime::from_secs(w))?;
        }
        let t = UnixTime::from_secs(at);
        for p in batch {
            match p.source {
                Source::Phone { phone, ad } => {
                    let (rx, tx) = pair(group, k, phone);
                    if let Some(a) = tx.ad(ad) {
                        rx.receive(tx, a, p.rssi, t)?;
                        tally.heard += 1;
                    }
                }
                Source::Relay(c) => {
                    if let Some(c) = on_air.get(c) {
                        group[k].1.receive_relayed(&c.ad, p.rssi, t)?;
                        tally.relayed += 1;
                    }
                }
            }
        }
        group[k].1.drain(t);
    }
    Ok(tally)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::phone::PhoneKind;
    use crate::sim::scoring::{matcher, scoring};

    /// Share of `trials` receivers notified after `minutes` at `metres` from one positive
    /// sender, through the real tracers, radio model and matcher.
    fn notified_share(metres: f32, minutes: u64, trials: u32) -> f64 {
        let kind = PhoneKind {
            ios: false,
            gaen: true,
            bluezone: false,
        };
        let cfg = tracer_config();
        let m = matcher(scoring(), 1).unwrap();
        let start = super::super::DEFAULT_START_DAY.start().as_secs() + 9 * 3600;
        let mut notified = 0;
        for trial in 0..trials {
            let mut tx = Phone::new(2 * trial, kind, &cfg, 5).unwrap();
            let mut rx = Phone::new(2 * trial + 1, kind, &cfg, 5).unwrap();
            let end = start + minutes * 60;
            let mut t = start;
            while t < end {
                while tx.wake <= t {
                    tx.wake_up(UnixTime::from_secs(tx.wake.max(start))).unwrap();
                }
                if rx.wake <= t {
                    let w = rx.wake.max(start);
                    if let Some(until) = rx.wake_up(UnixTime::from_secs(w)).unwrap() {
                        let mut packets = Vec::new();
                        let mut group = [(0, &mut rx), (0, &mut tx)];
                        let (r, s) = pair(&mut group, 0, 1);
                        draw_phone(r, s, 1, metres, w, until.as_secs() - w, 9, &mut packets);
                        deliver(&mut group, 0, &mut packets, w, &[]).unwrap();
                    }
                }
                t = rx.wake.min(tx.wake).max(t + 1);
            }
            let end = UnixTime::from_secs(end);
            tx.wake_up(end).unwrap();
            rx.wake_up(end).unwrap();
            let keys = tx
                .tracer
                .diagnosis_keys(UnixTime::from_secs(start - 3600), end)
                .unwrap();
            let r = rx
                .tracer
                .match_with(&keys.gaen, &keys.bluezone, &m)
                .unwrap();
            notified += u32::from(r.exposed);
        }
        f64::from(notified) / f64::from(trials)
    }

    #[test]
    fn notices_by_distance_and_duration() {
        for (metres, minutes) in [(1.0, 15), (1.0, 30), (3.0, 60), (3.0, 480), (8.0, 480)] {
            eprintln!(
                "{metres} m {minutes} min: {}",
                notified_share(metres, minutes, 40)
            );
        }
    }
}
