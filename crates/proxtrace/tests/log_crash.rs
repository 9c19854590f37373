//! Crash consistency of the encounter log, redb style: a backend keeps the *written* image
//! apart from the *durable* one, and every scenario is cut at every write and sync point, with
//! the unsynced writes applied not at all, completely, torn, or as a random subset of 512-byte
//! sectors. Also: flipped bits, a crash in the middle of expiry, and I/O that starts failing.
//!
//! The guarantees checked: after `sync` returns, those records survive any crash; a crash
//! loses at most the records written since the last sync; what comes back is always a
//! subsequence of what was appended — never a corrupted record.

use std::cell::RefCell;
use std::io;
use std::rc::Rc;

use proxtrace::bluezone::BluezoneId;
use proxtrace::identifier::{GaenPayload, Identifier};
use proxtrace::log::{EncounterLog, LogOptions, MemoryBackend, StorageBackend};
use proxtrace::sighting::ScanAggregate;
use proxtrace::time::{UnixTime, UtcDay};
use rand::rngs::ChaCha20Rng;
use rand::{RngExt, SeedableRng};

const DAY: u32 = 19_000;

#[derive(Debug, Clone)]
enum Op {
    Write { offset: u64, data: Vec<u8> },
    Sync,
}

/// Records every write and sync; reads see everything written.
#[derive(Clone)]
struct Recording {
    image: Vec<u8>,
    ops: Rc<RefCell<Vec<Op>>>,
    /// Fail every write after this many (simulated I/O failure).
    fail_after: Option<usize>,
}

impl StorageBackend for Recording {
    fn len(&self) -> io::Result<u64> {
        Ok(self.image.len() as u64)
    }
    fn read(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let o = offset as usize;
        buf.copy_from_slice(
            self.image
                .get(o..o + buf.len())
                .ok_or(io::ErrorKind::UnexpectedEof)?,
        );
        Ok(())
    }
    fn write(&mut self, offset: u64, data: &[u8]) -> io::Result<()> {
        let mut ops = self.ops.borrow_mut();
        if let Some(n) = self.fail_after
            && ops.iter().filter(|o| matches!(o, Op::Write { .. })).count() >= n
        {
            return Err(io::Error::other("injected I/O failure"));
        }
        let o = offset as usize;
        self.image[o..o + data.len()].copy_from_slice(data);
        ops.push(Op::Write {
            offset,
            data: data.to_vec(),
        });
        Ok(())
    }
    fn set_len(&mut self, len: u64) -> io::Result<()> {
        self.image.resize(len as usize, 0);
        Ok(())
    }
    fn sync(&mut self) -> io::Result<()> {
        self.ops.borrow_mut().push(Op::Sync);
        Ok(())
    }
}

fn opts(retention_days: u32) -> LogOptions {
    LogOptions {
        capacity_bytes: 64 * 512,
        page_size: 512,
        retention_days,
        ..LogOptions::default()
    }
}

fn at(day: u32, secs: u64) -> UnixTime {
    UnixTime::from_secs(UtcDay::new(day).start().as_secs() + secs)
}

fn record(i: u32, t: UnixTime) -> ScanAggregate {
    let identifier = if i.is_multiple_of(3) {
        Identifier::Bluezone(BluezoneId::from_bytes([(i % 11) as u8; 12]))
    } else {
        let mut b = [0x33u8; 20];
        b[0] = (i % 13) as u8;
        b[5] = (i / 13) as u8;
        Identifier::Gaen(GaenPayload::from_bytes(&b))
    };
    ScanAggregate {
        identifier,
        first_seen: t,
        last_seen: UnixTime::from_secs(t.as_secs() + u64::from(i % 5)),
        count: 1 + i % 20,
        max_rssi: -50 - (i % 30) as i8,
        mean_rssi: -52 - (i % 30) as i8,
        tx_power: i.is_multiple_of(7).then_some(-3),
    }
}

/// What happened in a scenario: the ops, and after each sync op, how many records were
/// acknowledged durable.
struct Trace {
    base: Vec<u8>,
    ops: Vec<Op>,
    appended: Vec<ScanAggregate>,
    /// `(op index of a completed sync, records acknowledged by then)`.
    acked: Vec<(usize, usize)>,
}

/// A created, synced, empty log image, and that log opened on a backend that records every
/// write and sync from there on.
fn recording_log() -> (Vec<u8>, Rc<RefCell<Vec<Op>>>, EncounterLog<Recording>) {
    let base = EncounterLog::create(MemoryBackend::new(), opts(30))
        .unwrap()
        .into_backend()
        .as_bytes()
        .to_vec();
    let ops = Rc::new(RefCell::new(Vec::new()));
    let backend = Recording {
        image: base.clone(),
        ops: ops.clone(),
        fail_after: None,
    };
    let log = EncounterLog::open(backend, opts(30)).unwrap();
    (base, ops, log)
}

/// A created, synced, empty log image, then `n` records with a sync every few (two UTC days,
/// several pages, no ring wrap).
fn scenario(n: u32, seed: u64) -> Trace {
    let (base, ops, mut log) = recording_log();
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut appended = Vec::new();
    let mut acked = Vec::new();
    let mut t = at(DAY, 80_000).as_secs();
    for i in 0..n {
        t += rng.random_range(0..200);
        let r = record(i, UnixTime::from_secs(t));
        log.append(&r).unwrap();
        appended.push(r);
        if rng.random_range(0..5) == 0 || i + 1 == n {
            log.sync().unwrap();
            acked.push((ops.borrow().len() - 1, appended.len()));
        }
    }
    let ops = ops.borrow().clone();
    Trace {
        base,
        ops,
        appended,
        acked,
    }
}

fn apply(image: &mut [u8], offset: u64, data: &[u8]) {
    let o = offset as usize;
    image[o..o + data.len()].copy_from_slice(data);
}

/// Check a recovered log: every acknowledged record, then only appended records, in order.
fn check(image: Vec<u8>, t: &Trace, acked: usize, label: &str) {
    let log = EncounterLog::open(MemoryBackend::from_bytes(image), opts(30))
        .unwrap_or_else(|e| panic!("{label}: reopen failed: {e}"));
    let got: Vec<ScanAggregate> = log.iter().collect::<Result<_, _>>().unwrap();
    assert!(
        got.len() >= acked,
        "{label}: {} records back, {acked} were acknowledged",
        got.len()
    );
    assert_eq!(
        got[..acked],
        t.appended[..acked],
        "{label}: acknowledged records changed"
    );
    // The rest must be a subsequence of what was appended after them.
    let mut rest = t.appended[acked..].iter();
    for r in &got[acked..] {
        assert!(
            rest.any(|a| a == r),
            "{label}: a record that was never appended came back"
        );
    }
    // And the recovered log takes new records.
    let mut log = log;
    let next = record(
        999,
        UnixTime::from_secs(t.appended.last().unwrap().first_seen.as_secs() + 1),
    );
    log.append(&next).unwrap();
    log.sync().unwrap();
    let again: Vec<ScanAggregate> = log.iter().collect::<Result<_, _>>().unwrap();
    assert_eq!(again.last(), Some(&next), "{label}");
}

#[test]
fn a_crash_at_any_write_or_sync_point_keeps_every_synced_record() {
    let mut rng = ChaCha20Rng::seed_from_u64(42);
    for seed in 0..3 {
        let t = scenario(120, seed);
        assert!(t.acked.len() > 10, "the scenario syncs often");
        for cut in 0..=t.ops.len() {
            // Durable = base + all writes up to the last sync before the cut.
            let last_sync = t.ops[..cut].iter().rposition(|o| matches!(o, Op::Sync));
            let mut durable = t.base.clone();
            for op in &t.ops[..last_sync.map_or(0, |s| s + 1)] {
                if let Op::Write { offset, data } = op {
                    apply(&mut durable, *offset, data);
                }
            }
            let acked = t
                .acked
                .iter()
                .filter(|(op, _)| {
                    Some(*op) <= last_sync.map(|s| s as isize).map(|s| s as usize)
                        && last_sync.is_some()
                })
                .map(|(_, n)| *n)
                .max()
                .unwrap_or(0);
            let unsynced: Vec<(u64, &Vec<u8>)> = t.ops[last_sync.map_or(0, |s| s + 1)..cut]
                .iter()
                .filter_map(|o| match o {
                    Op::Write { offset, data } => Some((*offset, data)),
                    Op::Sync => None,
                })
                .collect();
            // None of the unsynced writes.
            check(
                durable.clone(),
                &t,
                acked,
                &format!("seed {seed} cut {cut} none"),
            );
            // All of them.
            let mut all = durable.clone();
            for (o, d) in &unsynced {
                apply(&mut all, *o, d);
            }
            check(all, &t, acked, &format!("seed {seed} cut {cut} all"));
            // All but the last, which is torn at a random byte.
            if let Some(((o, d), before)) = unsynced.split_last() {
                let mut torn = durable.clone();
                for (o, d) in before {
                    apply(&mut torn, *o, d);
                }
                let keep = rng.random_range(0..d.len());
                apply(&mut torn, *o, &d[..keep]);
                check(
                    torn,
                    &t,
                    acked,
                    &format!("seed {seed} cut {cut} torn at {keep}"),
                );
            }
            // A random subset of 512-byte sectors of every unsynced write (any order).
            for trial in 0..3 {
                let mut sectors = durable.clone();
                for (o, d) in &unsynced {
                    for (k, sector) in d.chunks(512).enumerate() {
                        if rng.random_range(0..2) == 0 {
                            apply(&mut sectors, o + 512 * k as u64, sector);
                        }
                    }
                }
                check(
                    sectors,
                    &t,
                    acked,
                    &format!("seed {seed} cut {cut} sectors #{trial}"),
                );
            }
        }
    }
}

/// Issue 16: a ring that wraps inside its retention, cut at every write and sync point (none,
/// all, torn, random sectors of the unsynced writes): what comes back is always a
/// subsequence of what was appended, and every acknowledged record is either still there or
/// counted in `evicted_before_retention` — never gone uncounted — while the count never
/// exceeds what the writer counted.
#[test]
fn a_crash_while_the_ring_evicts_never_loses_a_record_uncounted() {
    let mut rng = ChaCha20Rng::seed_from_u64(16);
    let (base, ops, mut log) = recording_log();
    let mut appended = Vec::new();
    let mut acked = Vec::new();
    let mut t = at(DAY, 1000).as_secs();
    // About three times what 63 pages of 512 bytes hold, one UTC day.
    for i in 0..3_000u32 {
        t += rng.random_range(1..20);
        let r = record(i, UnixTime::from_secs(t));
        log.append(&r).unwrap();
        appended.push(r);
        if rng.random_range(0..8) == 0 {
            log.sync().unwrap();
            acked.push((ops.borrow().len() - 1, appended.len()));
        }
    }
    log.sync().unwrap();
    acked.push((ops.borrow().len() - 1, appended.len()));
    let counted = log.evicted_before_retention();
    assert!(counted > 1_000, "the ring wrapped: {counted} evicted");
    let ops = ops.borrow().clone();
    let check = |image: Vec<u8>, acked: usize, label: &str| {
        let log = EncounterLog::open(MemoryBackend::from_bytes(image), opts(30))
            .unwrap_or_else(|e| panic!("{label}: reopen failed: {e}"));
        let got: Vec<ScanAggregate> = log.iter().collect::<Result<_, _>>().unwrap();
        let mut rest = appended.iter();
        for r in &got {
            assert!(rest.any(|a| a == r), "{label}: not a subsequence");
        }
        let kept = got.iter().filter(|r| appended[..acked].contains(r)).count() as u64;
        let tally = log.evicted_before_retention();
        assert!(
            kept + tally >= acked as u64,
            "{label}: {acked} acknowledged, {kept} back, {tally} counted"
        );
        assert!(
            tally <= counted,
            "{label}: {tally} counted, the writer counted {counted}"
        );
    };
    // Every sync point of the eviction-heavy second half, and the writes around it.
    let syncs: Vec<usize> = ops
        .iter()
        .enumerate()
        .filter(|(_, o)| matches!(o, Op::Sync))
        .map(|(i, _)| i)
        .collect();
    let from = syncs[syncs.len() / 2];
    for cut in (from..=ops.len()).step_by(3) {
        let last_sync = ops[..cut].iter().rposition(|o| matches!(o, Op::Sync));
        let mut durable = base.clone();
        for op in &ops[..last_sync.map_or(0, |s| s + 1)] {
            if let Op::Write { offset, data } = op {
                apply(&mut durable, *offset, data);
            }
        }
        let acked_n = acked
            .iter()
            .filter(|(op, _)| last_sync.is_some_and(|s| *op <= s))
            .map(|(_, n)| *n)
            .max()
            .unwrap_or(0);
        let unsynced: Vec<(u64, &Vec<u8>)> = ops[last_sync.map_or(0, |s| s + 1)..cut]
            .iter()
            .filter_map(|o| match o {
                Op::Write { offset, data } => Some((*offset, data)),
                Op::Sync => None,
            })
            .collect();
        check(durable.clone(), acked_n, &format!("cut {cut} none"));
        let mut all = durable.clone();
        for (o, d) in &unsynced {
            apply(&mut all, *o, d);
        }
        check(all, acked_n, &format!("cut {cut} all"));
        let mut sectors = durable.clone();
        for (o, d) in &unsynced {
            for (k, sector) in d.chunks(512).enumerate() {
                if rng.random_range(0..2) == 0 {
                    apply(&mut sectors, o + 512 * k as u64, sector);
                }
            }
        }
        check(sectors, acked_n, &format!("cut {cut} sectors"));
        if let Some(((o, d), before)) = unsynced.split_last() {
            let mut torn = durable;
            for (o, d) in before {
                apply(&mut torn, *o, d);
            }
            let keep = rng.random_range(0..d.len());
            apply(&mut torn, *o, &d[..keep]);
            check(torn, acked_n, &format!("cut {cut} torn at {keep}"));
        }
    }
}

#[test]
fn flipped_bits_are_detected_and_skipped_never_returned() {
    let t = scenario(150, 7);
    let mut image = t.base.clone();
    for op in &t.ops {
        if let Op::Write { offset, data } = op {
            apply(&mut image, *offset, data);
        }
    }
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let mut lost_total = 0;
    for trial in 0..300 {
        let mut bad = image.clone();
        for _ in 0..rng.random_range(1..6) {
            // Bits in the data pages (the file header is write-once and fails loudly instead).
            let pos = rng.random_range(512..bad.len());
            bad[pos] ^= 1 << rng.random_range(0..8);
        }
        let log = match EncounterLog::open(MemoryBackend::from_bytes(bad), opts(30)) {
            Ok(l) => l,
            Err(e) => {
                panic!("trial {trial}: a flipped data bit must not make the log unopenable: {e}")
            }
        };
        let got: Vec<ScanAggregate> = log.iter().collect::<Result<_, _>>().unwrap();
        let mut rest = t.appended.iter();
        for r in &got {
            assert!(
                rest.any(|a| a == r),
                "trial {trial}: a corrupted record was returned"
            );
        }
        lost_total += t.appended.len() - got.len();
    }
    // Damage costs records, but only around it: on average most records survive.
    assert!(
        lost_total < 300 * t.appended.len() / 4,
        "lost {lost_total} in 300 trials"
    );
}

#[test]
fn a_flipped_bit_in_the_file_header_is_a_clear_error() {
    let t = scenario(10, 1);
    let mut image = t.base.clone();
    image[10] ^= 4;
    let e = EncounterLog::open(MemoryBackend::from_bytes(image), opts(30)).unwrap_err();
    assert!(e.to_string().contains("corrupt"), "{e}");
}

#[test]
fn a_crash_during_expiry_never_brings_expired_records_back() {
    // Three days of records, then expiry cuts the first day; crash at each of its writes.
    let mut log = EncounterLog::create(MemoryBackend::new(), opts(1)).unwrap();
    let mut appended = Vec::new();
    for d in 0..3 {
        for i in 0..30 {
            let r = record(i, at(DAY + d, u64::from(i) * 100));
            log.append(&r).unwrap();
            appended.push(r);
        }
        log.sync().unwrap();
    }
    let base = log.into_backend().as_bytes().to_vec();
    let ops = Rc::new(RefCell::new(Vec::new()));
    let backend = Recording {
        image: base.clone(),
        ops: ops.clone(),
        fail_after: None,
    };
    // Expiring on day DAY+2 with retention 1 deletes day DAY; opening alone writes nothing.
    let mut log = EncounterLog::open(backend, opts(1)).unwrap();
    assert!(ops.borrow().is_empty(), "opening wrote");
    log.expire(at(DAY + 2, 0)).unwrap();
    drop(log);
    let ops = ops.borrow().clone();
    assert!(
        ops.iter().any(|o| matches!(o, Op::Write { .. })),
        "expiry wrote"
    );
    let kept: Vec<ScanAggregate> = appended[30..].to_vec();
    for cut in 0..=ops.len() {
        let mut image = base.clone();
        for op in &ops[..cut] {
            if let Op::Write { offset, data } = op {
                apply(&mut image, *offset, data);
            }
        }
        let mut log = EncounterLog::open(MemoryBackend::from_bytes(image), opts(1)).unwrap();
        // Before the writer expires again: never a corrupted record.
        let before: Vec<ScanAggregate> = log.iter().collect::<Result<_, _>>().unwrap();
        let mut rest = appended.iter();
        assert!(before.iter().all(|r| rest.any(|a| a == r)), "cut {cut}");
        // The writer's next expiry finishes the job.
        log.expire(at(DAY + 2, 0)).unwrap();
        let got: Vec<ScanAggregate> = log.iter().collect::<Result<_, _>>().unwrap();
        assert_eq!(got, kept, "cut {cut}");
    }
}

#[test]
fn failing_io_is_an_error_and_the_durable_image_stays_consistent() {
    let t = scenario(60, 3);
    let writes = t
        .ops
        .iter()
        .filter(|o| matches!(o, Op::Write { .. }))
        .count();
    for fail_after in 0..writes {
        let ops = Rc::new(RefCell::new(Vec::new()));
        let backend = Recording {
            image: t.base.clone(),
            ops: ops.clone(),
            fail_after: Some(fail_after),
        };
        let mut log = EncounterLog::open(backend, opts(30)).unwrap();
        let mut acked = 0;
        let mut failed = false;
        for (i, r) in t.appended.iter().enumerate() {
            log.append(r).unwrap();
            if i % 4 == 3 {
                match log.sync() {
                    Ok(()) => acked = i + 1,
                    Err(e) => {
                        assert!(e.to_string().contains("injected"), "{e}");
                        failed = true;
                        break;
                    }
                }
            }
        }
        assert!(failed || acked == 60);
        // Rebuild the durable image (everything up to the last sync) and check it.
        let ops = ops.borrow().clone();
        let last_sync = ops.iter().rposition(|o| matches!(o, Op::Sync));
        let mut durable = t.base.clone();
        for op in &ops[..last_sync.map_or(0, |s| s + 1)] {
            if let Op::Write { offset, data } = op {
                apply(&mut durable, *offset, data);
            }
        }
        check(
            durable,
            &t,
            acked,
            &format!("fail after {fail_after} writes"),
        );
    }
}
