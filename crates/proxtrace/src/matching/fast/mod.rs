//! The fast inner loop: same hits as the reference loop wherever the semantics could count
//! them, several times faster.
//!
//! Per GAEN key: skip it outright unless its validity meets an interval that has logged
//! sightings within the tolerance; otherwise one specialised HKDF (six SHA-256 compressions),
//! one AES key schedule, a batched AES over plaintext blocks built once per match run, and a
//! seeded-table probe per RPI that usually stops at a prefilter bit. Per Bluezone key: the
//! slot-key chain on the raw compression function, only up to the last slot that could meet
//! a logged sighting. Keys are spread over the engine's rayon pool; results are concatenated
//! in key order, so any thread count gives the single-thread answer.
//!
//! Duplicates are derived once: of all the entries of one key (the same TEK, or the same
//! Bluezone daily key) only the last can yield a window (see `windows::effective_keys`), so
//! only the last is derived. Time and memory go with the unique keys, not the list length.

mod sha256;
#[allow(unsafe_code)]
mod simd;
mod table;

/// One AES block.
type Block = [u8; 16];
use rayon::prelude::*;

use crate::gaen::{PaddedData, RPIK_INFO};
use crate::published::{BluezoneDiagnosisKey, GaenDiagnosisKey};
use crate::time::{BluezoneSlot, EN_INTERVAL_SECONDS, EnIntervalNumber};

use super::MatchError;
use super::config::MatchConfig;
use super::index::EncounterIndex;
use super::windows::Hit;
use sha256::ZeroSaltHkdf;
use table::{IdTable, Seed, halves12, halves16};

pub(crate) use simd::Backend;
pub(crate) use table::Seed as HashSeed;

/// Settings of one fast run.
#[derive(Clone, Copy)]
pub(crate) struct Options<'a> {
    /// The engine's pool; `None` runs on the calling thread.
    pub(crate) pool: Option<&'a rayon::ThreadPool>,
    pub(crate) seed: Seed,
    pub(crate) backend: Backend,
}

/// Keys per parallel work item: large enough to amortise scheduling, small enough to balance.
const CHUNK: usize = 1024;

/// Run `f` over the key indices `keys` in chunks on the pool (or this thread), concatenating
/// the chunks' hits in key order and summing their derived-key counts.
fn par_hits(
    keys: &[u32],
    pool: Option<&rayon::ThreadPool>,
    f: impl Fn(&[u32]) -> (Vec<Hit>, usize) + Sync + Send,
) -> (Vec<Hit>, usize) {
    let join = |parts: Vec<(Vec<Hit>, usize)>| {
        let n = parts.iter().map(|p| p.1).sum();
        let hits = parts.into_iter().flat_map(|p| p.0).collect();
        (hits, n)
    };
    match pool {
        None => join(keys.chunks(CHUNK).map(f).collect()),
        Some(pool) => join(pool.install(|| keys.par_chunks(CHUNK).map(f).collect())),
    }
}

/// The indices, ascending, of the last entry of each distinct `identity` among `keys` that
/// `keep` accepts: the only entries whose hits can count (a later entry of a key supersedes
/// the earlier ones). 16 bytes per listed key: `(first 8 identity bytes, index, keep)` sorted
/// as integers; only entries sharing a prefix (duplicates, or a 2^-64 coincidence) are then
/// compared whole.
fn last_of_each<K: Sync>(
    keys: &[K],
    pool: Option<&rayon::ThreadPool>,
    identity: impl Fn(&K) -> &[u8] + Sync,
    keep: impl Fn(&K) -> bool + Sync,
) -> Vec<u32> {
    let prefix = |k: &K| {
        let id = identity(k);
        let mut b = [0u8; 8];
        let n = id.len().min(8);
        b[..n].copy_from_slice(&id[..n]);
        u64::from_be_bytes(b)
    };
    // (prefix, index, keep) packed so that integer order is (prefix, index) order; `keep` is
    // read here, in key order, not later in prefix order (a cache miss per key).
    let pack = |(i, k): (usize, &K)| {
        (u128::from(prefix(k)) << 64) | ((i as u128) << 1) | u128::from(keep(k))
    };
    // On the engine's pool when it has one: this pass reads every listed key and would
    // otherwise be the serial part of a multi-threaded match.
    let order: Vec<u128> = match pool {
        None => {
            let mut o: Vec<u128> = keys.iter().enumerate().map(pack).collect();
            o.sort_unstable();
            o
        }
        Some(pool) => pool.install(|| {
            let mut o: Vec<u128> = keys.par_iter().enumerate().map(pack).collect();
            o.par_sort_unstable();
            o
        }),
    };
    let index_of = |x: u128| (x >> 1) as u32;
    let mut last: Vec<u32> = Vec::new();
    let mut group: Vec<u128> = Vec::new();
    let mut rest = &order[..];
    while let Some(&first) = rest.first() {
        let n = rest.partition_point(|&x| x >> 64 == first >> 64);
        let (same, tail) = rest.split_at(n);
        rest = tail;
        if let [only] = same {
            if only & 1 == 1 {
                last.push(index_of(*only));
            }
            continue;
        }
        // Entries sharing a prefix: by whole identity, then index; the last of each run.
        group.clear();
        group.extend_from_slice(same);
        let id = |x: u128| identity(&keys[index_of(x) as usize]);
        group.sort_by(|&a, &b| id(a).cmp(id(b)).then(a.cmp(&b)));
        for (m, &x) in group.iter().enumerate() {
            let superseded = group.get(m + 1).is_some_and(|&next| id(next) == id(x));
            if !superseded && x & 1 == 1 {
                last.push(index_of(x));
            }
        }
    }
    last.sort_unstable();
    last
}

/// Intervals worth deriving: every *j* with a logged sighting in `[j − before, j + after]`,
/// as disjoint sorted ranges, with the padded plaintext blocks of all of them laid out once.
struct Coverage {
    /// `(first j, end j exclusive, offset into plain)`.
    ranges: Vec<(u64, u64, usize)>,
    plain: Vec<Block>,
}

impl Coverage {
    fn new(index: &EncounterIndex, config: &MatchConfig) -> Self {
        let mut seen: Vec<u64> = index
            .gaen
            .iter()
            .map(|e| u64::from(e.first) / EN_INTERVAL_SECONDS)
            .collect();
        seen.sort_unstable();
        seen.dedup();
        // A sighting in interval r counts for RPI j when j − before ≤ r ≤ j + after, that is
        // for j ∈ [r − after, r + before].
        let (before, after) = (
            u64::from(config.gaen.intervals_before),
            u64::from(config.gaen.intervals_after),
        );
        let mut ranges: Vec<(u64, u64, usize)> = Vec::new();
        let mut plain = Vec::new();
        for r in seen {
            let lo = r.saturating_sub(after);
            let hi = (r + before + 1).min(u64::from(u32::MAX) + 1);
            match ranges.last_mut() {
                Some(last) if lo <= last.1 => last.1 = last.1.max(hi),
                _ => ranges.push((lo, hi, 0)),
            }
        }
        for range in &mut ranges {
            range.2 = plain.len();
            plain.extend(
                (range.0..range.1)
                    .map(|j| PaddedData::new(EnIntervalNumber::new(j as u32)).to_bytes()),
            );
        }
        Self { ranges, plain }
    }
}

/// GAEN hits with the fast loop.
pub(crate) fn gaen_hits(
    index: &EncounterIndex,
    keys: &[GaenDiagnosisKey],
    config: &MatchConfig,
    opts: Options<'_>,
) -> Result<(Vec<Hit>, usize), MatchError> {
    if index.gaen.is_empty() || keys.is_empty() {
        return Ok((Vec::new(), 0));
    }
    // A revoked last entry cancels its key: nothing of it can count.
    let unique = last_of_each(
        keys,
        opts.pool,
        |k| &k.key.expose_secret()[..],
        |k| k.report_type != crate::published::ReportType::Revoked,
    );
    let coverage = Coverage::new(index, config);
    let table = {
        let groups: Vec<u32> = (0..index.gaen.len() as u32)
            .filter(|&i| i == 0 || index.gaen[i as usize - 1].rpi != index.gaen[i as usize].rpi)
            .collect();
        IdTable::build(opts.seed, &groups, |i| {
            halves16(&index.gaen[i as usize].rpi)
        })
    };
    let filter = table.filter();
    let hkdf = ZeroSaltHkdf::new(RPIK_INFO);
    let probe = |k: usize, rpik: &[u8; 16], out: &mut [Block; 144], hits: &mut Vec<Hit>| {
        let key = &keys[k];
        let start = u64::from(key.rolling_start.get());
        let end = (start + u64::from(key.rolling_period)).min(u64::from(u32::MAX) + 1);
        let cipher = opts.backend.aes128(rpik);
        let mut r = coverage.ranges.partition_point(|c| c.1 <= start);
        while let Some(&(a, b, off)) = coverage.ranges.get(r) {
            if a >= end {
                break;
            }
            let (lo, hi) = (a.max(start), b.min(end));
            let mut j = lo;
            while j < hi {
                let n = ((hi - j) as usize).min(out.len());
                let from = off + (j - a) as usize;
                cipher.encrypt(&coverage.plain[from..from + n], &mut out[..n]);
                let mut mask = [0u64; 144usize.div_ceil(64)];
                opts.backend.filter_mask(filter, &out[..n], &mut mask);
                let candidates = mask.iter().enumerate().flat_map(|(w, &m)| {
                    let mut m = m;
                    std::iter::from_fn(move || {
                        let bit = m.trailing_zeros();
                        (m != 0).then(|| {
                            m &= m - 1;
                            64 * w + bit as usize
                        })
                    })
                });
                for i in candidates {
                    let rpi = &out[i];
                    let (l, h) = halves16(rpi);
                    if let Some(first) = table.find(l, h, |e| index.gaen[e as usize].rpi == *rpi) {
                        let mut e = first as usize;
                        while e < index.gaen.len() && index.gaen[e].rpi == *rpi {
                            hits.push(Hit {
                                key: k as u32,
                                when: j + i as u64,
                                entry: e as u32,
                            });
                            e += 1;
                        }
                    }
                }
                j += n as u64;
            }
            r += 1;
        }
    };
    let meets_coverage = |key: &GaenDiagnosisKey| {
        let start = u64::from(key.rolling_start.get());
        let end = start + u64::from(key.rolling_period);
        let r = coverage.ranges.partition_point(|c| c.1 <= start);
        coverage.ranges.get(r).is_some_and(|c| c.0 < end)
    };
    Ok(par_hits(&unique, opts.pool, |chunk| {
        let mut hits = Vec::new();
        let mut derived = 0;
        let mut batch = [0usize; 4];
        let mut n = 0;
        let mut out = [[0u8; 16]; 144];
        let mut flush = |batch: &[usize; 4], n: usize, hits: &mut Vec<Hit>| {
            let teks = batch.map(|k| keys[k].key.expose_secret());
            let rpiks = hkdf.derive_x4(teks, opts.backend);
            for (k, rpik) in batch.iter().zip(&rpiks).take(n) {
                probe(*k, rpik, &mut out, hits);
            }
        };
        for &k in chunk {
            if !meets_coverage(&keys[k as usize]) {
                continue;
            }
            derived += 1;
            batch[n] = k as usize;
            n += 1;
            if n == 4 {
                flush(&batch, 4, &mut hits);
                n = 0;
            }
        }
        if n > 0 {
            // Fill the idle lanes with a repeat of the first key; their output is unused.
            for l in n..4 {
                batch[l] = batch[0];
            }
            flush(&batch, n, &mut hits);
        }
        (hits, derived)
    }))
}

/// One day of one key's Bluezone walk: the slot keys of `day` from index 0 to `last`, of which
/// indices `first..=last` are looked up.
struct Segment {
    key: u32,
    day_start: u64,
    slot_seconds: u64,
    /// `sk_0` as SHA-256 state words.
    first_state: [u32; 8],
    first: u32,
    last: u32,
}

/// Bluezone hits with the fast loop.
pub(crate) fn bluezone_hits(
    index: &EncounterIndex,
    keys: &[BluezoneDiagnosisKey],
    config: &MatchConfig,
    opts: Options<'_>,
) -> Result<(Vec<Hit>, usize), MatchError> {
    if index.bluezone.is_empty() || keys.is_empty() {
        return Ok((Vec::new(), 0));
    }
    // Fail on the same keys the reference loop fails on.
    for key in keys {
        BluezoneSlot::containing(key.time_start, key.slots_per_day)?;
        BluezoneSlot::containing(key.time_end, key.slots_per_day)?;
    }
    let unique = last_of_each(
        keys,
        opts.pool,
        |k| &k.daily_key.expose_secret()[..],
        |_| true,
    );
    let log_first = index
        .bluezone
        .iter()
        .map(|e| u64::from(e.first))
        .min()
        .unwrap_or(0);
    let log_last = index
        .bluezone
        .iter()
        .map(|e| u64::from(e.last))
        .max()
        .unwrap_or(0);
    let table = {
        let groups: Vec<u32> = (0..index.bluezone.len() as u32)
            .filter(|&i| {
                i == 0 || index.bluezone[i as usize - 1].id != index.bluezone[i as usize].id
            })
            .collect();
        IdTable::build(opts.seed, &groups, |i| {
            halves12(&index.bluezone[i as usize].id)
        })
    };
    let drift = u64::from(config.bluezone.drift_tolerance_slots);
    // The walk of one key, one segment per day: the slots whose (drift-widened, inclusive)
    // window can meet a logged sighting, i.e. start ≥ log_first − (drift + 1)·s and
    // start ≤ log_last + drift·s, clipped in slot space (the key's range may begin or end
    // inside a slot). A daily key dated after the range start walks from its own day.
    let segments = |k: usize, out: &mut Vec<Segment>| {
        let key = &keys[k];
        let spd = key.slots_per_day;
        let s = spd.slot_seconds();
        let slot_of =
            |t: u64| BluezoneSlot::containing(crate::time::UnixTime::from_secs(t), spd).ok();
        let bounds = (|| {
            let own_day = BluezoneSlot::new(key.daily_key.day(), 0, spd).ok()?;
            let first = slot_of(key.time_start.as_secs())?
                .max(slot_of(log_first.saturating_sub(s * (drift + 1)))?)
                .max(own_day);
            let last = slot_of(key.time_end.as_secs())?.min(slot_of(log_last + s * drift)?);
            (first <= last).then_some((first, last))
        })();
        let Some((first, last)) = bounds else { return };
        let mut dk = key.daily_key.clone();
        loop {
            if dk.day() >= first.day() {
                out.push(Segment {
                    key: k as u32,
                    day_start: dk.day().start().as_secs(),
                    slot_seconds: s,
                    first_state: sha256::first_slot_state(dk.expose_secret()),
                    first: if dk.day() == first.day() {
                        first.index()
                    } else {
                        0
                    },
                    last: if dk.day() == last.day() {
                        last.index()
                    } else {
                        spd.get() - 1
                    },
                });
            }
            if dk.day() >= last.day() {
                break;
            }
            match dk.next() {
                Ok(next) => dk = next,
                Err(_) => break,
            }
        }
    };
    Ok(par_hits(&unique, opts.pool, |chunk| {
        let mut hits = Vec::new();
        let mut derived = 0;
        let mut segs = Vec::new();
        let mut steps_a = Vec::new();
        let mut steps_b = Vec::new();
        // Segments of 64 keys at a time: scratch memory stays a few KiB whatever the key count.
        let lookup = |seg: &Segment, index_in_day: u32, state: &[u32; 8], hits: &mut Vec<Hit>| {
            let id = sha256::bluezone_id(state);
            let (lo, hi) = halves12(&id);
            if !table.may_contain(lo) {
                return;
            }
            if let Some(first) = table.find(lo, hi, |e| index.bluezone[e as usize].id == id) {
                let when = seg.day_start + u64::from(index_in_day) * seg.slot_seconds;
                let mut e = first as usize;
                while e < index.bluezone.len() && index.bluezone[e].id == id {
                    hits.push(Hit {
                        key: seg.key,
                        when,
                        entry: e as u32,
                    });
                    e += 1;
                }
            }
        };
        for sub in chunk.chunks(64) {
            segs.clear();
            for &k in sub {
                let before = segs.len();
                segments(k as usize, &mut segs);
                derived += usize::from(segs.len() > before);
            }
            // Two segments at a time through the two-lane chain kernel. Slot 0's key is the
            // segment's first state; slot i's is chain step i − 1.
            for pair in segs.chunks(2) {
                let (a, b) = (&pair[0], pair.get(1).unwrap_or(&pair[0]));
                let n = a.last.max(b.last) as usize;
                steps_a.resize(n, [0u32; 8]);
                steps_b.resize(n, [0u32; 8]);
                opts.backend
                    .chain_x2(a.first_state, b.first_state, &mut steps_a, &mut steps_b);
                for (seg, steps) in [(a, &steps_a)]
                    .into_iter()
                    .chain((pair.len() == 2).then_some((b, &steps_b)))
                {
                    for i in seg.first..=seg.last {
                        let state = if i == 0 {
                            &seg.first_state
                        } else {
                            &steps[i as usize - 1]
                        };
                        lookup(seg, i, state, &mut hits);
                    }
                }
            }
        }
        hits.sort_unstable();
        (hits, derived)
    }))
}

/// Heap bytes of the lookup structures a fast match builds for `index` (for the memory
/// budget report).
pub(crate) fn lookup_bytes(index: &EncounterIndex, config: &MatchConfig) -> usize {
    let seed = Seed([0; 4]);
    let g: Vec<u32> = (0..index.gaen.len() as u32).collect();
    let b: Vec<u32> = (0..index.bluezone.len() as u32).collect();
    let coverage = Coverage::new(index, config);
    IdTable::build(seed, &g, |i| halves16(&index.gaen[i as usize].rpi)).heap_bytes()
        + IdTable::build(seed, &b, |i| halves12(&index.bluezone[i as usize].id)).heap_bytes()
        + coverage.plain.capacity() * 16
        + coverage.ranges.capacity() * 24
        + g.capacity() * 4
}
