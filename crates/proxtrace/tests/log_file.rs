//! The log in a real file: one writer or many readers (in-process here; across processes in
//! the CLI's tests), read-only opens that change nothing on read-only files and read-only
//! files, a clear error for a missing log, and space reserved at creation. (Read-only mounts
//! are in `log_mount.rs`: its `mount` child processes must not inherit this binary's locks.)

use std::path::Path;

use proxtrace::identifier::{GaenPayload, Identifier};
use proxtrace::log::{
    EncounterLog, FileBackend, ImportId, LOG_FILE, LogError, LogOptions, StorageBackend,
};
use proxtrace::sighting::ScanAggregate;
use proxtrace::time::UnixTime;

const T0: u64 = 1_763_769_600;

fn opts() -> LogOptions {
    LogOptions {
        capacity_bytes: 256 * 1024,
        ..LogOptions::default()
    }
}

fn record(i: u32) -> ScanAggregate {
    let mut b = [0x42u8; 20];
    b[..4].copy_from_slice(&i.to_le_bytes());
    let t = UnixTime::from_secs(T0 + 10 * u64::from(i));
    ScanAggregate {
        identifier: Identifier::Gaen(GaenPayload::from_bytes(&b)),
        first_seen: t,
        last_seen: t,
        count: 2,
        max_rssi: -60,
        mean_rssi: -62,
        tx_power: None,
    }
}

fn write_log(dir: &Path, n: u32) {
    let mut log = EncounterLog::open_dir(dir, opts()).unwrap();
    for i in 0..n {
        log.append(&record(i)).unwrap();
    }
    log.sync().unwrap();
}

fn count(log: &EncounterLog<FileBackend>) -> usize {
    log.iter().filter(|r| r.is_ok()).count()
}

#[test]
fn one_writer_or_many_readers() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("log");
    write_log(&dir, 10);
    let writer = EncounterLog::open_dir(&dir, opts()).unwrap();
    for e in [
        EncounterLog::open_dir(&dir, opts()).unwrap_err(),
        EncounterLog::open_dir_read_only(&dir, opts()).unwrap_err(),
    ] {
        let LogError::Busy { path } = &e else {
            panic!("expected Busy, got {e}")
        };
        assert_eq!(path, &dir.join(LOG_FILE));
        assert!(e.to_string().contains(LOG_FILE), "{e}");
    }
    drop(writer);
    let r1 = EncounterLog::open_dir_read_only(&dir, opts()).unwrap();
    let r2 = EncounterLog::open_dir_read_only(&dir, opts()).unwrap();
    assert_eq!((count(&r1), count(&r2)), (10, 10));
    assert!(matches!(
        EncounterLog::open_dir(&dir, opts()),
        Err(LogError::Busy { .. })
    ));
    drop((r1, r2));
    EncounterLog::open_dir(&dir, opts()).unwrap();
}

#[test]
fn a_missing_log_is_not_created_by_a_reader() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("typo");
    let e = EncounterLog::open_dir_read_only(&dir, opts()).unwrap_err();
    assert!(
        matches!(&e, LogError::NotFound { path } if path == &dir.join(LOG_FILE)),
        "{e}"
    );
    assert!(e.to_string().contains("never creates"), "{e}");
    assert!(!dir.exists(), "nothing was created");
}

fn snapshot(path: &Path) -> (Vec<u8>, std::time::SystemTime) {
    let m = std::fs::metadata(path).unwrap();
    (std::fs::read(path).unwrap(), m.modified().unwrap())
}

#[test]
fn a_read_only_file_opens_and_nothing_is_written_even_with_an_import_pending() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("log");
    write_log(&dir, 10);
    // An import interrupted before its commit (the handle is dropped without rollback, as
    // a killed process would leave it).
    {
        let mut log = EncounterLog::open_dir(&dir, opts()).unwrap();
        let mut txn = log.begin_import(ImportId([1; 32])).unwrap();
        for i in 10..3000 {
            txn.append(&record(i)).unwrap();
        }
        std::mem::forget(txn);
    }
    let file = dir.join(LOG_FILE);
    let mut perms = std::fs::metadata(&file).unwrap().permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&file, perms).unwrap();
    let before = snapshot(&file);
    let mut log = EncounterLog::open_dir_read_only(&dir, opts()).unwrap();
    assert_eq!(count(&log), 10, "the uncommitted import is not shown");
    log.hide_expired(UnixTime::from_secs(T0 + 100 * 86_400));
    assert_eq!(count(&log), 0);
    assert!(matches!(
        log.expire(UnixTime::from_secs(T0 + 100 * 86_400)),
        Err(LogError::ReadOnly)
    ));
    let _ = log.stats().unwrap();
    drop(log);
    assert_eq!(snapshot(&file), before, "a read-only open changed the file");
    // A writer rolls the import back (the file is made writable again first).
    let mut perms = std::fs::metadata(&file).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&file, perms).unwrap();
    let log = EncounterLog::open_dir(&dir, opts()).unwrap();
    assert_eq!(count(&log), 10);
    assert_eq!(log.last_import(), None);
}

#[cfg(unix)]
#[test]
fn creation_reserves_the_space() {
    use std::os::unix::fs::MetadataExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("log");
    let log = EncounterLog::open_dir(&dir, opts()).unwrap();
    let len = log.backend().len().unwrap();
    assert_eq!(len, 256 * 1024);
    let m = std::fs::metadata(dir.join(LOG_FILE)).unwrap();
    assert!(
        m.blocks() * 512 >= len,
        "{} bytes allocated for a {len}-byte log",
        m.blocks() * 512
    );
}
