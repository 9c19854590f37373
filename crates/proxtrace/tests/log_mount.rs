//! The log on a read-only bind mount opens read-only and refuses a writer. A binary of its
//! own: a process forked for `mount` briefly inherits the descriptors of its parent, and with
//! them the locks of logs other tests in the same binary hold.

use std::path::Path;

use proxtrace::identifier::{GaenPayload, Identifier};
use proxtrace::log::{EncounterLog, FileBackend, LogError, LogOptions};
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

/// `mount --bind -o ro` needs root (CI runs as root); skipped with a notice otherwise.
#[cfg(target_os = "linux")]
#[test]
fn a_read_only_mount_opens() {
    use std::process::Command;
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    let ro = tmp.path().join("ro");
    write_log(&src, 25);
    std::fs::create_dir(&ro).unwrap();
    let mounted = Command::new("mount")
        .args(["--bind", "-o", "ro"])
        .arg(&src)
        .arg(&ro)
        .output()
        .is_ok_and(|o| o.status.success());
    if !mounted {
        eprintln!("skipping: cannot make a read-only bind mount here (needs root)");
        return;
    }
    let _guard = Unmount(ro.clone());
    if std::fs::write(ro.join("probe"), b"x").is_ok() {
        eprintln!("skipping: the bind mount is writable");
        return;
    }
    let log = EncounterLog::open_dir_read_only(&ro, opts()).unwrap();
    assert_eq!(count(&log), 25);
    let e = EncounterLog::open_dir(&ro, opts()).unwrap_err();
    assert!(matches!(e, LogError::Open { .. }), "{e}");
}
