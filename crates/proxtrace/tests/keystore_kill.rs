//! Key store crash safety with real kills: a child process keeps rolling its tracer to a new
//! UTC day (each roll stores the key store: temporary file, fsync, rename, directory fsync) and
//! reports every day whose keys were stored; the parent kills it with SIGKILL at random
//! moments — including between the write and the rename — and reopens. The store must always
//! open (never corrupt, never silently replaced) and hold every reported day's keys.
//!
//! `harness = false`: the binary is both the test and the child (`PROXTRACE_KEYSTORE_CHILD`).

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use proxtrace::time::UnixTime;
use proxtrace::tracer::{Input, Schemes, Tracer, TracerConfig};
use rand::{RngExt, SeedableRng, rngs::ChaCha20Rng};

const CHILD_ENV: &str = "PROXTRACE_KEYSTORE_CHILD";
const TRIALS: u32 = 50;
const DAY0: u64 = 20_000;

fn config() -> TracerConfig {
    TracerConfig {
        schemes: Schemes {
            gaen: true,
            bluezone: true,
        },
        retention_days: 100_000,
        log_capacity_bytes: 64 << 10,
        ..TracerConfig::default()
    }
}

fn at(day: u64) -> UnixTime {
    UnixTime::from_secs(day * 86_400 + 3600)
}

fn open(
    dir: &Path,
    day: u64,
) -> Tracer<proxtrace::log::FileBackend, proxtrace::tracer::FileKeyStorage> {
    let mut t = Tracer::open_dir(dir, config(), &mut ChaCha20Rng::seed_from_u64(day))
        .unwrap_or_else(|e| panic!("reopening after a kill failed: {e}"));
    t.handle_input(Input::Timeout(at(day)))
        .unwrap_or_else(|e| panic!("first timeout after a kill failed: {e}"));
    t
}

/// Days with keys in the store, oldest first.
fn stored_days(dir: &Path, day: u64) -> Vec<u32> {
    let mut t = open(dir, day);
    let keys = t.diagnosis_keys(at(DAY0), at(day)).unwrap();
    let mut days: Vec<u32> = keys
        .gaen
        .iter()
        .map(|k| k.rolling_start.utc_day().get())
        .collect();
    days.sort_unstable();
    days.dedup();
    let mut bz: Vec<u32> = keys
        .bluezone
        .iter()
        .map(|k| k.daily_key.day().get())
        .collect();
    // A report re-keys mid-day (two keys that day), and the probe may run at a day before
    // one the child stored but had not yet reported.
    bz.sort_unstable();
    bz.dedup();
    assert_eq!(days, bz, "both schemes' keys are stored together");
    days
}

fn child(dir: &Path, first_day: u64) {
    let mut out = std::io::stdout().lock();
    let mut day = first_day;
    let mut t = open(dir, day);
    loop {
        // Rolling to a new day makes and stores that day's keys before returning.
        t.handle_input(Input::Timeout(at(day)))
            .unwrap_or_else(|e| panic!("{e}"));
        let _ = writeln!(out, "stored {day}");
        let _ = out.flush();
        day += 1;
    }
}

fn main() {
    if let Some(spec) = std::env::var_os(CHILD_ENV) {
        let spec = spec.to_string_lossy().into_owned();
        let (dir, day) = spec
            .split_once('|')
            .unwrap_or_else(|| panic!("bad child spec"));
        child(
            Path::new(dir),
            day.parse().unwrap_or_else(|_| panic!("bad day")),
        );
        return;
    }
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = tmp.path().join("tracer");
    let mut rng = ChaCha20Rng::seed_from_u64(0x6b73);
    let mut next_day = DAY0;
    let mut reported_total = 0u64;
    for n in 0..TRIALS {
        let exe = std::env::current_exe().unwrap_or_else(|e| panic!("{e}"));
        let mut c = Command::new(exe)
            .env(CHILD_ENV, format!("{}|{next_day}", dir.display()))
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn: {e}"));
        let last = Arc::new(AtomicU64::new(0));
        let stdout = c.stdout.take().unwrap_or_else(|| panic!("stdout"));
        let reader = {
            let last = Arc::clone(&last);
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if let Some(d) = line.strip_prefix("stored ").and_then(|d| d.parse().ok()) {
                        last.fetch_max(d, Ordering::SeqCst);
                    }
                }
            })
        };
        std::thread::sleep(Duration::from_millis(rng.random_range(20..120)));
        c.kill().unwrap_or_else(|e| panic!("kill: {e}"));
        let _ = c.wait();
        reader.join().unwrap_or_else(|_| panic!("reader"));
        let last = last.load(Ordering::SeqCst);
        let probe = last.max(next_day);
        let days = stored_days(&dir, probe);
        // Every day the child reported is there, none missing in between.
        if last >= next_day {
            reported_total += last - next_day + 1;
            for d in DAY0..=last {
                assert!(
                    days.contains(&(d as u32)),
                    "trial {n}: day {d} was reported stored but is missing"
                );
            }
        }
        assert!(
            days.windows(2).all(|w| w[1] == w[0] + 1),
            "trial {n}: a gap in the stored days: {days:?} (last {last}, next {next_day})"
        );
        next_day = u64::from(*days.last().unwrap_or(&(DAY0 as u32))) + 1;
        // The probe above published the keys; the next child goes on from the next day.
        next_day = next_day.max(probe + 1);
    }
    assert!(
        reported_total > u64::from(TRIALS),
        "the child rarely got to store ({reported_total} days)"
    );
    println!("keystore_kill: {TRIALS} SIGKILL trials, {reported_total} reported days all present");
}
