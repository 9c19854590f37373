//! Arbitrary bytes as an encounter log file, and arbitrary damage to a valid one: opening
//! (read-only: never writes; for writing: rolls back an interrupted import) never panics,
//! returns only well-formed records (a damaged valid log only records that were written),
//! and the recovered log accepts appends and imports.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxtrace::bluezone::BluezoneId;
use proxtrace::identifier::Identifier;
use proxtrace::log::{EncounterLog, LogOptions, MemoryBackend};
use proxtrace::sighting::ScanAggregate;
use proxtrace::time::UnixTime;

const NOW: u64 = 1_763_769_600;

fn options() -> LogOptions {
    LogOptions {
        capacity_bytes: 8 * 512,
        page_size: 512,
        retention_days: 14,
        encryption: None,
    }
}

fn record(i: u64) -> ScanAggregate {
    let mut id = [0u8; 12];
    id[..8].copy_from_slice(&(i / 3).wrapping_mul(0x9E37_79B9_7F4A_7C15).to_le_bytes());
    ScanAggregate {
        identifier: Identifier::Bluezone(BluezoneId::from_bytes(id)),
        first_seen: UnixTime::from_secs(NOW - 86_400 + 40 * i),
        last_seen: UnixTime::from_secs(NOW - 86_400 + 40 * i + i % 7),
        count: 1 + (i % 5) as u32,
        max_rssi: -50,
        mean_rssi: -55 - (i % 3) as i8,
        tx_power: None,
    }
}

fn valid_image() -> (Vec<u8>, Vec<ScanAggregate>) {
    let mut log = EncounterLog::create(MemoryBackend::new(), options()).expect("create");
    let records: Vec<_> = (0..120).map(record).collect();
    for (i, r) in records.iter().enumerate() {
        log.append(r).expect("append");
        if i % 10 == 9 {
            log.sync().expect("sync");
        }
    }
    log.sync().expect("sync");
    (log.into_backend().as_bytes().to_vec(), records)
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let (image, written) = if mode & 1 == 0 {
        (rest.to_vec(), None)
    } else {
        // Damage a valid log: (offset u16 LE, xor byte) triples.
        let (mut image, written) = valid_image();
        for t in rest.chunks_exact(3) {
            let off = usize::from(u16::from_le_bytes([t[0], t[1]])) % image.len();
            image[off] ^= t[2];
        }
        (image, Some(written))
    };
    // A reader writes nothing, whatever the bytes (an interrupted import included).
    if let Ok(reader) =
        EncounterLog::open_read_only(MemoryBackend::from_bytes(image.clone()), options())
    {
        for r in reader.iter().flatten() {
            assert!(r.first_seen <= r.last_seen && r.count > 0 && r.mean_rssi <= r.max_rssi);
        }
        let _ = reader.stats();
        assert_eq!(
            reader.backend().as_bytes(),
            &image[..],
            "a read-only open wrote"
        );
    }
    let Ok(mut log) = EncounterLog::open(MemoryBackend::from_bytes(image), options()) else {
        return;
    };
    let mut newest = None;
    for r in log.iter() {
        let Ok(r) = r else { continue };
        assert!(r.first_seen <= r.last_seen && r.count > 0 && r.mean_rssi <= r.max_rssi);
        if let Some(written) = &written {
            assert!(
                written.contains(&r),
                "a record that was never written came back"
            );
        }
        newest = newest.max(Some(r.first_seen));
    }
    let _ = log.stats();
    let mut next = record(200);
    if let Some(n) = newest {
        next.first_seen = next.first_seen.max(n);
        next.last_seen = next.first_seen;
    }
    if log.append(&next).is_ok() {
        let _ = log.sync();
    }
    // Wrap the ring inside the retention (7 pages of 512 bytes): the eviction tally only
    // grows, and what is left plus what was counted covers what this handle wrote.
    if mode & 2 != 0 {
        let before = log.evicted_before_retention();
        let mut more = Vec::new();
        for i in 0..150u64 {
            let mut r = record(300 + i);
            r.first_seen = UnixTime::from_secs(next.first_seen.as_secs() + 1 + i);
            r.last_seen = r.first_seen;
            if log.append(&r).is_err() {
                break;
            }
            more.push(r);
        }
        if log.sync().is_ok() {
            let after = log.evicted_before_retention();
            assert!(after >= before, "the eviction tally went down");
            let kept = log.iter().flatten().filter(|r| more.contains(r)).count() as u64;
            assert!(
                kept + (after - before) >= more.len() as u64,
                "records evicted uncounted"
            );
        }
    }
    // And an import on the recovered log, rolled back by dropping it.
    if let Ok(mut txn) = log.begin_import(proxtrace::log::ImportId([1; 32])) {
        let mut later = next;
        later.first_seen = UnixTime::from_secs(later.first_seen.as_secs() + 60);
        later.last_seen = later.first_seen;
        let _ = txn.append(&later);
    }
});
