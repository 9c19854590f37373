//! Encounter log behaviour through the public API: round trips, ring semantics, retention
//! with physical deletion, ordering rules, encryption, statistics and the committed fixture.

#[path = "support/log_fixture.rs"]
mod log_fixture;

use proxtrace::bluezone::BluezoneId;
use proxtrace::identifier::{GaenPayload, Identifier};
use proxtrace::log::{Appended, EncounterLog, LogError, LogOptions, MemoryBackend, StorageBackend};
use proxtrace::sighting::ScanAggregate;
use proxtrace::time::{UnixTime, UtcDay};
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;

const DAY: u32 = 19_000;

fn at(day: u32, secs: u64) -> UnixTime {
    UnixTime::from_secs(UtcDay::new(day).start().as_secs() + secs)
}

fn small() -> LogOptions {
    LogOptions {
        capacity_bytes: 64 * 1024,
        page_size: 1024,
        ..LogOptions::default()
    }
}

fn gaen(n: u32, t: UnixTime) -> ScanAggregate {
    let mut b = [0u8; 20];
    b[..4].copy_from_slice(&n.to_le_bytes());
    b[4] = 0xA7;
    ScanAggregate {
        identifier: Identifier::Gaen(GaenPayload::from_bytes(&b)),
        first_seen: t,
        last_seen: t,
        count: 1 + n % 40,
        max_rssi: -40 - (n % 50) as i8,
        mean_rssi: -45 - (n % 50) as i8,
        tx_power: n.is_multiple_of(3).then_some(-8),
    }
}

fn all(log: &EncounterLog<impl StorageBackend>) -> Vec<ScanAggregate> {
    log.iter().collect::<Result<_, _>>().unwrap()
}

#[test]
fn records_round_trip_exactly_across_reopen() {
    let mut log = EncounterLog::create(MemoryBackend::new(), small()).unwrap();
    let mut recs = Vec::new();
    for i in 0..200u32 {
        let mut r = gaen(i % 37, at(DAY, u64::from(i) * 7));
        if i % 11 == 0 {
            // Long durations and large counts take the unpacked encoding.
            r.last_seen = UnixTime::from_secs(r.first_seen.as_secs() + 250);
            r.count = 100_000;
        }
        if i % 5 == 0 {
            r.identifier = Identifier::Bluezone(BluezoneId::from_bytes([i as u8; 12]));
        }
        recs.push(r);
        assert_eq!(log.append(&r).unwrap(), Appended::Stored);
        if i % 9 == 0 {
            log.sync().unwrap();
        }
    }
    // Queued records are visible before the sync.
    assert_eq!(all(&log), recs);
    log.sync().unwrap();
    let log = EncounterLog::open(log.into_backend(), small()).unwrap();
    assert_eq!(all(&log), recs);
    assert_eq!(log.newest(), Some(recs.last().unwrap().first_seen));
    // Time ranges.
    let mid: Vec<_> = log
        .range(at(DAY, 700), at(DAY, 900))
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    assert_eq!(
        mid,
        recs.iter()
            .copied()
            .filter(|r| (700..=900).contains(&(r.first_seen.as_secs() - at(DAY, 0).as_secs())))
            .collect::<Vec<_>>()
    );
}

#[test]
fn appending_continues_after_reopen() {
    let mut log = EncounterLog::create(MemoryBackend::new(), small()).unwrap();
    log.append(&gaen(1, at(DAY, 10))).unwrap();
    log.sync().unwrap();
    let mut log = EncounterLog::open(log.into_backend(), small()).unwrap();
    // An identifier defined before the reopen is referenced after it.
    log.append(&gaen(1, at(DAY, 20))).unwrap();
    log.append(&gaen(2, at(DAY, 30))).unwrap();
    log.sync().unwrap();
    let log = EncounterLog::open(log.into_backend(), small()).unwrap();
    assert_eq!(
        all(&log),
        vec![
            gaen(1, at(DAY, 10)),
            gaen(1, at(DAY, 20)),
            gaen(2, at(DAY, 30))
        ]
    );
}

#[test]
fn the_file_never_grows_and_the_oldest_data_goes_first() {
    let opts = || LogOptions {
        capacity_bytes: 8 * 1024,
        page_size: 1024,
        retention_days: 10_000,
        ..LogOptions::default()
    };
    let mut log = EncounterLog::create(MemoryBackend::new(), opts()).unwrap();
    let len = log.backend().len().unwrap();
    let mut recs = Vec::new();
    for i in 0..3_000u32 {
        let r = gaen(i, at(DAY, u64::from(i)));
        log.append(&r).unwrap();
        recs.push(r);
        if i % 50 == 0 {
            log.sync().unwrap();
        }
    }
    log.sync().unwrap();
    assert_eq!(log.backend().len().unwrap(), len, "the ring never grows");
    let kept = all(&log);
    assert!(kept.len() > 100 && kept.len() < recs.len());
    // What is kept is exactly the newest records, in order.
    assert_eq!(kept, recs[recs.len() - kept.len()..]);
    let log = EncounterLog::open(log.into_backend(), opts()).unwrap();
    assert_eq!(all(&log), kept);
}

/// Issue 16: what the ring pushes out while it is still inside the retention is counted, the
/// count survives a reopen (and a read-only open), and pages past the retention are not
/// counted when they go.
#[test]
fn evictions_before_the_retention_are_counted_and_survive_a_reopen() {
    let opts = |retention_days| LogOptions {
        capacity_bytes: 8 * 1024,
        page_size: 1024,
        retention_days,
        ..LogOptions::default()
    };
    let mut log = EncounterLog::create(MemoryBackend::new(), opts(14)).unwrap();
    let mut written = 0u64;
    for i in 0..3_000u32 {
        log.append(&gaen(i, at(DAY, u64::from(i)))).unwrap();
        written += 1;
        if i % 50 == 0 {
            log.sync().unwrap();
        }
    }
    log.sync().unwrap();
    let kept = all(&log).len() as u64;
    let s = log.stats().unwrap();
    assert_eq!(
        s.evicted_before_retention,
        written - kept,
        "every lost record is counted"
    );
    assert_eq!(log.evicted_before_retention(), written - kept);
    let log = EncounterLog::open(log.into_backend(), opts(14)).unwrap();
    assert_eq!(
        log.stats().unwrap().evicted_before_retention,
        written - kept
    );
    let bytes = log.into_backend().as_bytes().to_vec();
    let ro =
        EncounterLog::open_read_only(MemoryBackend::from_bytes(bytes.clone()), opts(14)).unwrap();
    assert_eq!(ro.stats().unwrap().evicted_before_retention, written - kept);

    // Past the retention: a one-day log writing day DAY + 5 over day DAY's pages counts nothing.
    let mut log = EncounterLog::create(MemoryBackend::new(), opts(1)).unwrap();
    for i in 0..200u32 {
        log.append(&gaen(i, at(DAY, u64::from(i)))).unwrap();
    }
    log.sync().unwrap();
    for i in 0..100u32 {
        log.append(&gaen(i, at(DAY + 5, u64::from(i)))).unwrap();
    }
    log.sync().unwrap();
    let kept = all(&log);
    assert!(kept.len() < 300, "part of day DAY is gone");
    let newer = kept.iter().filter(|r| r.first_seen >= at(DAY + 5, 0));
    assert_eq!(newer.count(), 100);
    assert_eq!(log.stats().unwrap().evicted_before_retention, 0);
}

#[test]
fn retention_hides_then_physically_deletes_old_days() {
    let opts = || LogOptions {
        retention_days: 2,
        ..small()
    };
    let mut log = EncounterLog::create(MemoryBackend::new(), opts()).unwrap();
    let marker = |d: u32| {
        let mut b = [0x5Cu8; 20];
        b[0] = d as u8;
        Identifier::Gaen(GaenPayload::from_bytes(&b))
    };
    for d in 0..5 {
        for s in 0..10 {
            let mut r = gaen(s, at(DAY + d, u64::from(s) * 60));
            r.identifier = marker(d);
            log.append(&r).unwrap();
        }
        log.sync().unwrap();
    }
    assert_eq!(all(&log).len(), 50);
    // Day DAY+4 is today: days DAY+2..=DAY+4 are kept (today − d ≤ 2).
    let zeroed = log.expire(at(DAY + 4, 100)).unwrap();
    assert_eq!(zeroed, 2);
    let kept = all(&log);
    assert_eq!(kept.len(), 30);
    assert!(kept.iter().all(|r| r.first_seen >= at(DAY + 2, 0)));
    // The deleted encounters' identifier bytes are gone from the file.
    let image = log.backend().as_bytes().to_vec();
    for d in 0..2u8 {
        let mut needle = [0x5Cu8; 20];
        needle[0] = d;
        assert!(
            !image.windows(20).any(|w| w == needle),
            "day {d} is still in the file"
        );
    }
    let mut needle = [0x5Cu8; 20];
    needle[0] = 4;
    assert!(
        image.windows(20).any(|w| w == needle),
        "today's data is there"
    );
    assert_eq!(
        log.append(&gaen(1, at(DAY + 4, 600))).unwrap(),
        Appended::Stored
    );
    log.sync().unwrap();
    let image = log.into_backend();
    let mut log = EncounterLog::open(image.clone(), opts()).unwrap();
    assert_eq!(all(&log).len(), 31, "opening never expires");
    assert_eq!(log.backend(), &image, "opening never writes");
    // A reader can hide what is past the retention without deleting it.
    let mut reader = EncounterLog::open_read_only(image.clone(), opts()).unwrap();
    reader.hide_expired(at(DAY + 9, 0));
    assert!(all(&reader).is_empty());
    assert!(matches!(
        reader.expire(at(DAY + 9, 0)),
        Err(LogError::ReadOnly)
    ));
    assert_eq!(reader.backend(), &image);
    log.expire(at(DAY + 9, 0)).unwrap();
    assert!(
        all(&log).is_empty(),
        "expiring days later deletes everything"
    );
    assert!(
        log.backend().as_bytes()[1024..].iter().all(|&b| b == 0),
        "every page zeroed"
    );
    // A record already older than the retention is dropped on append, not stored.
    let mut fresh = EncounterLog::create(MemoryBackend::new(), opts()).unwrap();
    fresh.expire(at(DAY + 9, 0)).unwrap();
    assert_eq!(
        fresh.append(&gaen(2, at(DAY + 1, 0))).unwrap(),
        Appended::Expired
    );
    assert_eq!(
        fresh.append(&gaen(2, at(DAY + 8, 0))).unwrap(),
        Appended::Stored
    );
    assert_eq!(all(&fresh).len(), 1);
}

#[test]
fn bad_records_are_rejected_and_change_nothing() {
    let mut log = EncounterLog::create(MemoryBackend::new(), small()).unwrap();
    log.append(&gaen(1, at(DAY, 100))).unwrap();
    log.sync().unwrap();
    let before = log.backend().clone();
    assert!(matches!(
        log.append(&gaen(2, at(DAY, 99))),
        Err(LogError::OutOfOrder { .. })
    ));
    let mut r = gaen(3, at(DAY, 200));
    r.last_seen = at(DAY, 199);
    assert!(matches!(log.append(&r), Err(LogError::InvalidRecord(_))));
    let mut r = gaen(3, at(DAY, 200));
    r.count = 0;
    assert!(matches!(log.append(&r), Err(LogError::InvalidRecord(_))));
    let mut r = gaen(3, at(DAY, 200));
    r.mean_rssi = r.max_rssi + 1;
    assert!(matches!(log.append(&r), Err(LogError::InvalidRecord(_))));
    log.sync().unwrap();
    assert_eq!(log.backend(), &before);
    assert_eq!(all(&log).len(), 1);
}

#[test]
fn bad_options_and_foreign_files_are_errors() {
    let tiny = LogOptions {
        capacity_bytes: 2048,
        page_size: 1024,
        ..LogOptions::default()
    };
    assert!(matches!(
        EncounterLog::create(MemoryBackend::new(), tiny),
        Err(LogError::InvalidOptions(_))
    ));
    let odd = LogOptions {
        page_size: 1000,
        ..LogOptions::default()
    };
    assert!(matches!(
        EncounterLog::create(MemoryBackend::new(), odd),
        Err(LogError::InvalidOptions(_))
    ));
    let foreign = MemoryBackend::from_bytes(b"this is a photo, not a log".repeat(100));
    assert!(matches!(
        EncounterLog::open(foreign, small()),
        Err(LogError::NotALog)
    ));
    let log = EncounterLog::create(MemoryBackend::new(), small()).unwrap();
    let mut bytes = log.into_backend().as_bytes().to_vec();
    bytes.truncate(bytes.len() - 1);
    assert!(matches!(
        EncounterLog::open(MemoryBackend::from_bytes(bytes), small()),
        Err(LogError::Truncated { .. })
    ));
}

#[test]
fn encryption_round_trips_and_a_wrong_key_destroys_nothing() {
    let key = [0x42; 32];
    let enc = |k: [u8; 32], seed: u64| {
        small()
            .with_encryption(k, &mut ChaCha20Rng::seed_from_u64(seed))
            .unwrap()
    };
    let mut log = EncounterLog::create(MemoryBackend::new(), enc(key, 1)).unwrap();
    let recs: Vec<_> = (0..50)
        .map(|i| gaen(i % 7, at(DAY, u64::from(i) * 30)))
        .collect();
    for (i, r) in recs.iter().enumerate() {
        log.append(r).unwrap();
        if i % 4 == 0 {
            log.sync().unwrap();
        }
    }
    log.sync().unwrap();
    let image = log.into_backend();
    // No identifier appears in clear.
    let mut rpi = [0u8; 4];
    rpi.copy_from_slice(&[0, 0, 0, 0]);
    let Identifier::Gaen(p) = recs[3].identifier else {
        unreachable!()
    };
    assert!(!image.as_bytes().windows(16).any(|w| w == p.rpi.as_bytes()));
    // Wrong key, no key, key for a plain log: clear errors, and the bytes are unchanged.
    assert!(matches!(
        EncounterLog::open(image.clone(), enc([0x43; 32], 2)),
        Err(LogError::WrongKey)
    ));
    assert!(matches!(
        EncounterLog::open(image.clone(), small()),
        Err(LogError::KeyRequired)
    ));
    let log = EncounterLog::open(image.clone(), enc(key, 3)).unwrap();
    assert_eq!(all(&log), recs);
    let plain = EncounterLog::create(MemoryBackend::new(), small())
        .unwrap()
        .into_backend();
    assert!(matches!(
        EncounterLog::open(plain, enc(key, 4)),
        Err(LogError::NotEncrypted)
    ));
    // Appending after reopen with a fresh nonce seed keeps everything readable.
    let mut log = log;
    log.append(&gaen(9, at(DAY, 5000))).unwrap();
    log.sync().unwrap();
    let log = EncounterLog::open(log.into_backend(), enc(key, 5)).unwrap();
    assert_eq!(all(&log).len(), recs.len() + 1);
}

/// The fixture was written by format version 1 (`cargo run --example write_log_fixture`);
/// every later version must read it.
#[test]
fn version_1_fixture_still_reads() {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/log-v1.ptlog"
    ))
    .unwrap();
    let opts = LogOptions {
        retention_days: 100_000,
        ..LogOptions::default()
    };
    let log = EncounterLog::open(MemoryBackend::from_bytes(bytes), opts).unwrap();
    let recs = all(&log);
    assert_eq!(recs.len(), 40);
    let expected: Vec<ScanAggregate> = log_fixture::fixture_records();
    assert_eq!(recs, expected);
}

/// The eviction-tally fixture (`cargo run --example write_log_fixture -- OUT
/// tests/data/log-v1-evicted.ptlog`): a version-1 file whose ring evicted 108 of its 150
/// records inside the retention. Its tally record (page 0, offsets 208/248) reads back, and
/// what is kept is exactly the newest records.
#[test]
fn version_1_eviction_tally_fixture_reads() {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/log-v1-evicted.ptlog"
    ))
    .unwrap();
    let opts = || LogOptions {
        retention_days: 100_000,
        ..LogOptions::default()
    };
    let log =
        EncounterLog::open_read_only(MemoryBackend::from_bytes(bytes.clone()), opts()).unwrap();
    let recs = all(&log);
    let expected = log_fixture::evicted_fixture_records();
    assert_eq!(recs.len(), 42);
    assert_eq!(recs, expected[expected.len() - recs.len()..]);
    assert_eq!(log.stats().unwrap().evicted_before_retention, 108);
    // The first tally slot was written last (an even counter) and checks out.
    assert_eq!(&bytes[208..212], b"PTEV");
    let mut log = EncounterLog::open(MemoryBackend::from_bytes(bytes), opts()).unwrap();
    let more = gaen(1, UnixTime::from_secs(1_700_100_000));
    for _ in 0..40 {
        log.append(&more).unwrap();
    }
    log.sync().unwrap();
    assert!(
        log.evicted_before_retention() > 108,
        "a writer keeps counting"
    );
}
