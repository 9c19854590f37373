//! All-or-nothing imports, redb style: every write and sync of an import is recorded, the
//! import is cut at every point (unsynced writes applied not at all, completely or torn),
//! and a backend runs out of space after every possible number of bytes. In every case a
//! reader sees none or all of the import, a writer's open rolls a partial one back, and the
//! same import can be retried. Also: imports that do not fit, and the v1 fixture under the
//! import code.

use std::cell::RefCell;
use std::io;
use std::rc::Rc;

use proxtrace::bluezone::BluezoneId;
use proxtrace::identifier::{GaenPayload, Identifier};
use proxtrace::log::{EncounterLog, ImportId, LogError, LogOptions, MemoryBackend, StorageBackend};
use proxtrace::sighting::ScanAggregate;
use proxtrace::time::{UnixTime, UtcDay};

const DAY: u32 = 19_000;
const ID: ImportId = ImportId([0xAB; 32]);

fn at(day: u32, secs: u64) -> UnixTime {
    UnixTime::from_secs(UtcDay::new(day).start().as_secs() + secs)
}

fn opts() -> LogOptions {
    LogOptions {
        capacity_bytes: 64 * 512,
        page_size: 512,
        retention_days: 10_000,
        ..LogOptions::default()
    }
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

/// Records already in the log, then the import's (over two UTC days, several pages).
fn before() -> Vec<ScanAggregate> {
    (0..40)
        .map(|i| record(i, at(DAY, 100 * u64::from(i))))
        .collect()
}

fn imported() -> Vec<ScanAggregate> {
    (0..150)
        .map(|i| record(1000 + i, at(DAY, 80_000 + 70 * u64::from(i))))
        .collect()
}

fn base_image() -> Vec<u8> {
    let mut log = EncounterLog::create(MemoryBackend::new(), opts()).unwrap();
    for r in before() {
        log.append(&r).unwrap();
    }
    log.sync().unwrap();
    log.into_backend().as_bytes().to_vec()
}

fn all(log: &EncounterLog<impl StorageBackend>) -> Vec<ScanAggregate> {
    log.iter().collect::<Result<_, _>>().unwrap()
}

#[derive(Debug, Clone)]
enum Op {
    Write { offset: u64, data: Vec<u8> },
    Sync,
}

/// Records every write and sync; after `space` bytes, writes fail as on a full disk.
#[derive(Clone)]
struct Recording {
    image: Vec<u8>,
    ops: Rc<RefCell<Vec<Op>>>,
    space: Option<usize>,
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
        let o = offset as usize;
        if let Some(space) = &mut self.space {
            if *space < data.len() {
                // A short write, then the error, as a full disk does.
                let n = *space;
                self.image[o..o + n].copy_from_slice(&data[..n]);
                *space = 0;
                return Err(io::Error::new(
                    io::ErrorKind::StorageFull,
                    "injected: no space left",
                ));
            }
            *space -= data.len();
        }
        self.image[o..o + data.len()].copy_from_slice(data);
        self.ops.borrow_mut().push(Op::Write {
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

fn import_all(log: &mut EncounterLog<impl StorageBackend>) -> Result<(), LogError> {
    let mut txn = log.begin_import(ID)?;
    for r in imported() {
        txn.append(&r)?;
    }
    txn.commit()
}

/// A recovered image holds none or all of the import: for a reader (which writes nothing),
/// for a writer (which rolls back), and the import can be retried to give all of it.
fn check(image: Vec<u8>, label: &str) -> bool {
    let before = before();
    let mut with = before.clone();
    with.extend(imported());
    let reader = EncounterLog::open_read_only(MemoryBackend::from_bytes(image.clone()), opts())
        .unwrap_or_else(|e| panic!("{label}: read-only open failed: {e}"));
    let seen = all(&reader);
    assert_eq!(
        reader.backend().as_bytes(),
        &image[..],
        "{label}: reader wrote"
    );
    let committed = seen == with;
    assert!(
        committed || seen == before,
        "{label}: a reader saw {} records, not {} or {}",
        seen.len(),
        before.len(),
        with.len()
    );
    let mut writer = EncounterLog::open(MemoryBackend::from_bytes(image), opts())
        .unwrap_or_else(|e| panic!("{label}: open failed: {e}"));
    assert_eq!(all(&writer), seen, "{label}: writer and reader disagree");
    assert_eq!(writer.last_import() == Some(ID), committed, "{label}");
    if !committed {
        import_all(&mut writer).unwrap_or_else(|e| panic!("{label}: retry failed: {e}"));
        assert_eq!(all(&writer), with, "{label}: after the retry");
        let again = EncounterLog::open(writer.into_backend(), opts()).unwrap();
        assert_eq!(all(&again), with, "{label}: after the retry and a reopen");
    }
    committed
}

fn apply(image: &mut [u8], offset: u64, data: &[u8]) {
    let o = offset as usize;
    image[o..o + data.len()].copy_from_slice(data);
}

#[test]
fn a_crash_at_any_point_of_an_import_leaves_none_or_all_of_it() {
    let base = base_image();
    let ops = Rc::new(RefCell::new(Vec::new()));
    let mut log = EncounterLog::open(
        Recording {
            image: base.clone(),
            ops: ops.clone(),
            space: None,
        },
        opts(),
    )
    .unwrap();
    import_all(&mut log).unwrap();
    let ops = ops.borrow().clone();
    let pages_written = ops
        .iter()
        .filter(|o| matches!(o, Op::Write { data, .. } if data.len() == 512))
        .count();
    assert!(pages_written >= 3, "the import spans pages");
    let (mut none, mut whole) = (0, 0);
    for cut in 0..=ops.len() {
        let last_sync = ops[..cut].iter().rposition(|o| matches!(o, Op::Sync));
        let durable_end = last_sync.map_or(0, |s| s + 1);
        let mut durable = base.clone();
        for op in &ops[..durable_end] {
            if let Op::Write { offset, data } = op {
                apply(&mut durable, *offset, data);
            }
        }
        let unsynced: Vec<(u64, &Vec<u8>)> = ops[durable_end..cut]
            .iter()
            .filter_map(|o| match o {
                Op::Write { offset, data } => Some((*offset, data)),
                Op::Sync => None,
            })
            .collect();
        let mut variants = vec![(durable.clone(), "none")];
        let mut every = durable.clone();
        for (o, d) in &unsynced {
            apply(&mut every, *o, d);
        }
        variants.push((every, "all"));
        if let Some(((o, d), rest)) = unsynced.split_last() {
            let mut torn = durable.clone();
            for (o, d) in rest {
                apply(&mut torn, *o, d);
            }
            apply(&mut torn, *o, &d[..d.len() / 2]);
            variants.push((torn, "torn"));
        }
        for (image, how) in variants {
            if check(image, &format!("cut {cut} ({how})")) {
                whole += 1;
            } else {
                none += 1;
            }
        }
    }
    assert!(
        none > 0 && whole > 0,
        "both outcomes occur: {none} / {whole}"
    );
}

#[test]
fn a_full_disk_at_every_byte_of_an_import_leaves_none_or_all_of_it() {
    let base = base_image();
    // How many bytes a whole import writes.
    let ops = Rc::new(RefCell::new(Vec::new()));
    let mut log = EncounterLog::open(
        Recording {
            image: base.clone(),
            ops: ops.clone(),
            space: None,
        },
        opts(),
    )
    .unwrap();
    import_all(&mut log).unwrap();
    let total: usize = ops
        .borrow()
        .iter()
        .map(|o| match o {
            Op::Write { data, .. } => data.len(),
            Op::Sync => 0,
        })
        .sum();
    let mut failed = 0;
    for space in 0..=total {
        let backend = Recording {
            image: base.clone(),
            ops: Rc::new(RefCell::new(Vec::new())),
            space: Some(space),
        };
        let mut log = EncounterLog::open(backend, opts()).unwrap();
        let result = import_all(&mut log);
        if let Err(e) = &result {
            failed += 1;
            let text = e.to_string();
            assert!(
                text.contains("no space") || text.contains("rolled back"),
                "space {space}: {text}"
            );
        }
        // Whatever the disk holds now (the handle may have rolled back or be poisoned).
        let image = match &result {
            Ok(()) => log.into_backend().image,
            Err(_) => {
                let b = log.into_backend();
                b.image
            }
        };
        let committed = check(image, &format!("space {space}"));
        assert_eq!(committed, result.is_ok(), "space {space}");
    }
    assert_eq!(failed, total, "every shortfall fails the import");
}

#[test]
fn an_import_is_invisible_until_committed_and_a_failed_one_can_be_retried() {
    let mut log = EncounterLog::open(MemoryBackend::from_bytes(base_image()), opts()).unwrap();
    {
        let mut txn = log.begin_import(ID).unwrap();
        for r in imported() {
            txn.append(&r).unwrap();
        }
        // Dropped: rolled back.
    }
    assert_eq!(all(&log), before());
    assert_eq!(log.last_import(), None);
    // Out of order inside an import: the import fails and nothing of it stays.
    {
        let mut txn = log.begin_import(ID).unwrap();
        txn.append(&imported()[5]).unwrap();
        assert!(matches!(
            txn.append(&imported()[0]),
            Err(LogError::OutOfOrder { .. })
        ));
        txn.rollback().unwrap();
    }
    assert_eq!(all(&log), before());
    import_all(&mut log).unwrap();
    assert_eq!(log.last_import(), Some(ID));
    let mut with = before();
    with.extend(imported());
    assert_eq!(all(&log), with);
    // Appending after an import works and keeps the import's id.
    let next = record(7, at(DAY + 2, 0));
    log.append(&next).unwrap();
    log.sync().unwrap();
    let log = EncounterLog::open(log.into_backend(), opts()).unwrap();
    with.push(next);
    assert_eq!(all(&log), with);
    assert_eq!(log.last_import(), Some(ID));
}

#[test]
fn an_import_larger_than_the_ring_is_refused_and_leaves_nothing_of_itself() {
    let mut log = EncounterLog::open(MemoryBackend::from_bytes(base_image()), opts()).unwrap();
    let mut txn = log.begin_import(ID).unwrap();
    let mut result = Ok(());
    for i in 0..20_000u32 {
        result = txn
            .append(&record(i, at(DAY + 1, u64::from(i))))
            .map(|_| ());
        if result.is_err() {
            break;
        }
    }
    let result = result.and_then(|()| txn.commit());
    assert!(
        matches!(result, Err(LogError::ImportTooLarge { pages: 63, .. })),
        "{result:?}"
    );
    // None of the import is left; what the ring evicted to make room for it (the oldest
    // records, as any write into a full ring does) stays evicted.
    let left = all(&log);
    let before = before();
    assert!(
        !left.is_empty() && before.ends_with(&left),
        "{} left",
        left.len()
    );
    // And the log takes a smaller import afterwards.
    import_all(&mut log).unwrap();
    assert_eq!(all(&log).len(), left.len() + imported().len());
}

#[test]
fn bad_options_are_typed_errors() {
    let image = MemoryBackend::from_bytes(base_image());
    let zero = || LogOptions {
        retention_days: 0,
        ..opts()
    };
    for r in [
        EncounterLog::open(image.clone(), zero()).map(|_| ()),
        EncounterLog::open_read_only(image.clone(), zero()).map(|_| ()),
        EncounterLog::create(MemoryBackend::new(), zero()).map(|_| ()),
    ] {
        assert!(
            matches!(r, Err(LogError::InvalidRetention { retention_days: 0 })),
            "{r:?}"
        );
    }
    let huge = LogOptions {
        capacity_bytes: 100 << 30,
        ..LogOptions::default()
    };
    let e = EncounterLog::create(MemoryBackend::new(), huge).unwrap_err();
    assert!(
        matches!(e, LogError::CapacityTooLarge { max, .. } if max == 256 << 20),
        "{e}"
    );
    // A read-only handle refuses every write and changes nothing.
    let mut ro = EncounterLog::open_read_only(image.clone(), opts()).unwrap();
    assert!(matches!(
        ro.append(&record(1, at(DAY + 2, 0))),
        Err(LogError::ReadOnly)
    ));
    assert!(matches!(ro.sync(), Err(LogError::ReadOnly)));
    assert!(matches!(ro.begin_import(ID), Err(LogError::ReadOnly)));
    assert_eq!(ro.backend(), &image);
}

/// A backend whose disk is too small for the log.
struct Small(MemoryBackend);

impl StorageBackend for Small {
    fn len(&self) -> io::Result<u64> {
        self.0.len()
    }
    fn read(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        self.0.read(offset, buf)
    }
    fn write(&mut self, offset: u64, data: &[u8]) -> io::Result<()> {
        self.0.write(offset, data)
    }
    fn set_len(&mut self, len: u64) -> io::Result<()> {
        self.0.set_len(len)
    }
    fn sync(&mut self) -> io::Result<()> {
        Ok(())
    }
    fn allocate(&mut self, _: u64) -> io::Result<()> {
        Err(io::Error::new(io::ErrorKind::StorageFull, "no space left"))
    }
}

#[test]
fn a_log_that_does_not_fit_fails_at_creation() {
    let e = EncounterLog::create(Small(MemoryBackend::new()), opts()).unwrap_err();
    assert!(matches!(e, LogError::NoSpace { bytes: 32768, .. }), "{e}");
    assert!(std::error::Error::source(&e).is_some(), "the cause is kept");
    assert!(e.to_string().contains("free some disk space"), "{e}");
}

#[test]
fn an_encrypted_log_imports_all_or_nothing_too() {
    use rand::SeedableRng;
    let enc = |seed: u64| {
        opts()
            .with_encryption([7; 32], &mut rand::rngs::ChaCha20Rng::seed_from_u64(seed))
            .unwrap()
    };
    let mut log = EncounterLog::create(MemoryBackend::new(), enc(1)).unwrap();
    for r in before() {
        log.append(&r).unwrap();
    }
    log.sync().unwrap();
    // Interrupted: the handle goes away without a commit or a rollback.
    let mut txn = log.begin_import(ID).unwrap();
    for r in imported() {
        txn.append(&r).unwrap();
    }
    std::mem::forget(txn);
    let image = log.into_backend();
    let reader = EncounterLog::open_read_only(image.clone(), enc(2)).unwrap();
    assert_eq!(all(&reader), before());
    let mut writer = EncounterLog::open(image, enc(3)).unwrap();
    assert_eq!(all(&writer), before());
    import_all(&mut writer).unwrap();
    let mut with = before();
    with.extend(imported());
    let again = EncounterLog::open(writer.into_backend(), enc(4)).unwrap();
    assert_eq!(all(&again), with);
    assert_eq!(again.last_import(), Some(ID));
}
