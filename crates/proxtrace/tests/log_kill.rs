//! A real kill test: a child process appends and syncs in a loop and reports each sync on
//! stdout; the parent kills it with SIGKILL at random moments, reopens the log and checks that
//! every record the child reported as synced is present and intact. The same log is reused
//! across trials, so recovery from one kill is what the next trial appends after.
//!
//! `harness = false`: the binary is both the test (no arguments) and the child (environment
//! variable `PROXTRACE_KILL_CHILD` = log directory).

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use proxtrace::bluezone::BluezoneId;
use proxtrace::gaen::{AssociatedEncryptedMetadata, RollingProximityIdentifier};
use proxtrace::identifier::{GaenPayload, Identifier};
use proxtrace::log::{EncounterLog, FileBackend, LogOptions};
use proxtrace::sighting::ScanAggregate;
use proxtrace::time::UnixTime;
use rand::{RngExt, SeedableRng, rngs::ChaCha20Rng};

const CHILD_ENV: &str = "PROXTRACE_KILL_CHILD";
const TRIALS: u32 = 60;
/// 2025-11-22T00:00:00Z; records are 3 s apart so they stay within a few days.
const BASE: u64 = 1_763_769_600;
/// The child stops here so the ring never wraps (which would rightly drop the oldest).
const MAX_RECORDS: u64 = 200_000;

fn options() -> LogOptions {
    LogOptions {
        capacity_bytes: 8 << 20,
        page_size: 4096,
        retention_days: 14,
        encryption: None,
    }
}

/// Record `i` of the deterministic stream.
fn record(i: u64) -> ScanAggregate {
    let h = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let first = UnixTime::from_secs(BASE + 3 * i);
    let identifier = if i.is_multiple_of(4) {
        let mut b = [0u8; 12];
        b[..8].copy_from_slice(&h.to_le_bytes());
        Identifier::Bluezone(BluezoneId::from_bytes(b))
    } else {
        let mut rpi = [0u8; 16];
        // A few identifiers repeat, as real rotation periods do.
        rpi[..8].copy_from_slice(&(i / 7).wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
        Identifier::Gaen(GaenPayload {
            rpi: RollingProximityIdentifier::from_bytes(rpi),
            aem: AssociatedEncryptedMetadata::from_bytes([(i % 251) as u8, 1, 2, 3]),
        })
    };
    let rssi = -40 - (h % 50) as i8;
    ScanAggregate {
        identifier,
        first_seen: first,
        last_seen: UnixTime::from_secs(first.as_secs() + h % 3),
        count: 1 + (h % 9) as u32,
        max_rssi: rssi,
        mean_rssi: rssi - (h % 5) as i8,
        tx_power: i.is_multiple_of(5).then_some(-7),
    }
}

fn open(dir: &Path) -> EncounterLog<FileBackend> {
    match EncounterLog::open_dir(dir, options()) {
        Ok(log) => log,
        Err(e) => panic!("reopening the log after a kill failed: {e}"),
    }
}

fn read_all(log: &EncounterLog<FileBackend>) -> Vec<ScanAggregate> {
    log.iter()
        .collect::<Result<Vec<_>, _>>()
        .unwrap_or_else(|e| panic!("reading the log failed: {e}"))
}

/// The child: resume after what the log holds, append, sync at random points, report.
fn child(dir: &Path) {
    let mut log = open(dir);
    let mut next = read_all(&log).len() as u64;
    let mut rng = ChaCha20Rng::seed_from_u64(next);
    let mut out = std::io::stdout().lock();
    while next < MAX_RECORDS {
        let burst = rng.random_range(1..40);
        for _ in 0..burst {
            log.append(&record(next))
                .unwrap_or_else(|e| panic!("append: {e}"));
            next += 1;
        }
        log.sync().unwrap_or_else(|e| panic!("sync: {e}"));
        // Reported only after `sync` returned: these records must survive.
        let _ = writeln!(out, "synced {next}");
        let _ = out.flush();
    }
    // Park until killed, so the parent's kill is always a kill.
    std::thread::sleep(Duration::from_secs(3600));
}

fn trial(dir: &Path, rng: &mut ChaCha20Rng, n: u32) -> u64 {
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("current_exe: {e}"));
    let mut child = Command::new(exe)
        .env(CHILD_ENV, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn: {e}"));
    let synced = Arc::new(AtomicU64::new(0));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let reader = {
        let synced = Arc::clone(&synced);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(v) = line.strip_prefix("synced ").and_then(|v| v.parse().ok()) {
                    synced.fetch_max(v, Ordering::SeqCst);
                }
            }
        })
    };
    std::thread::sleep(Duration::from_millis(rng.random_range(3..60)));
    child.kill().unwrap_or_else(|e| panic!("kill: {e}")); // SIGKILL on Unix
    let status = child.wait().unwrap_or_else(|e| panic!("wait: {e}"));
    assert!(
        !status.success(),
        "trial {n}: the child exited on its own: {status}"
    );
    reader.join().unwrap_or_else(|_| panic!("reader thread"));
    let acked = synced.load(Ordering::SeqCst);

    let log = open(dir);
    let got = read_all(&log);
    assert!(
        got.len() as u64 >= acked,
        "trial {n}: {} records after the kill, {acked} were reported synced",
        got.len()
    );
    for (i, r) in got.iter().enumerate() {
        assert_eq!(*r, record(i as u64), "trial {n}: record {i} differs");
    }
    acked
}

fn main() {
    if let Some(dir) = std::env::var_os(CHILD_ENV) {
        child(Path::new(&dir));
        return;
    }
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let dir = tmp.path().join("log");
    let mut rng = ChaCha20Rng::seed_from_u64(0x5eed);
    let mut last = 0;
    let mut grew = 0;
    for n in 0..TRIALS {
        let acked = trial(&dir, &mut rng, n);
        if acked > last {
            grew += 1;
        }
        last = last.max(acked);
    }
    assert!(
        grew > TRIALS / 4,
        "the child rarely got to sync ({grew} of {TRIALS} trials)"
    );
    println!(
        "log_kill: {TRIALS} SIGKILL trials, {last} synced records all intact ({grew} trials made progress)"
    );
}
