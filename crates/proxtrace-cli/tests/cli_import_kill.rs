//! `proxtrace log import` killed with SIGKILL at random moments, over and over (≥ 100 kills):
//! after every kill the log holds none or all of the file's records — never a part — and
//! the same command, run again, completes the import. One log is reused across trials, so
//! each recovery is what the next import appends after.
//!
//! `harness = false`: a plain `main` that drives the real binary.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use proxtrace::log::{EncounterLog, LogError, LogOptions};
use proxtrace::sighting::{AggregatorConfig, ScanAggregate};
use proxtrace::time::UnixTime;
use proxtrace_cli::import::{self, Format};
use rand::{RngExt, SeedableRng, rngs::ChaCha20Rng};

const KILLS: u32 = 100;
const MAX_TRIALS: u32 = 400;
const ROWS: u64 = 3000;
/// 2025-11-22T00:00:00Z.
const BASE: u64 = 1_763_769_600;
const NOW: &str = "1800000000";

fn file_start(k: u32) -> u64 {
    BASE + u64::from(k) * 30_000
}

fn write_file(path: &Path, k: u32) {
    let mut text = String::from("unix_time,scheme,id,aem,rssi\n");
    let start = file_start(k);
    for i in 0..ROWS {
        let (scheme, id, aem) = if i % 3 == 0 {
            (
                "bluezone",
                format!("{:024x}", u64::from(k) << 32 | (i % 40)),
                "",
            )
        } else {
            (
                "gaen",
                format!("{:032x}", u64::from(k) << 32 | (i % 60)),
                "0a0b0c0d",
            )
        };
        text.push_str(&format!(
            "{},{scheme},{id},{aem},-{}\n",
            start + 9 * i,
            40 + i % 50
        ));
    }
    std::fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

fn expected(path: &Path) -> Vec<ScanAggregate> {
    let mut out = Vec::new();
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("open: {e}"));
    import::run(Format::Csv, f, AggregatorConfig::default(), |r| {
        out.push(*r);
        Ok::<(), ()>(())
    })
    .unwrap_or_else(|e| panic!("the test file does not parse: {e:?}"));
    out
}

fn command(log: &Path, file: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_proxtrace"));
    c.args(["log", "import", "--log"])
        .arg(log)
        .args([
            "--format",
            "csv",
            "--retention-days",
            "100000",
            "--now",
            NOW,
        ])
        .arg(file)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

/// The records of file `k` in the log, and (every tenth trial, as it reads everything) the
/// total.
fn read(log: &Path, k: u32) -> (Vec<ScanAggregate>, Option<usize>) {
    let options = LogOptions {
        retention_days: 100_000,
        ..LogOptions::default()
    };
    let l = match EncounterLog::open_dir_read_only(log, options) {
        Ok(l) => l,
        // Killed before (or while) the very first import created the log.
        Err(LogError::NotFound { .. } | LogError::NotALog) if k == 0 => {
            return (Vec::new(), Some(0));
        }
        Err(e) => panic!("opening the log after a kill failed: {e}"),
    };
    let from = UnixTime::from_secs(file_start(k));
    let to = UnixTime::from_secs(file_start(k + 1) - 1);
    let mine = l
        .range(from, to)
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("reading the log failed: {e}"));
    let total = k.is_multiple_of(10).then(|| l.iter().count());
    (mine, total)
}

fn main() {
    // In memory when the machine has /dev/shm: a SIGKILL keeps the page cache, so this tests
    // the same thing, without waiting on fsync.
    let shm = Path::new("/dev/shm");
    let tmp = if shm.is_dir() {
        tempfile::tempdir_in(shm)
    } else {
        tempfile::tempdir()
    }
    .unwrap_or_else(|e| panic!("tempdir: {e}"));
    let log = tmp.path().join("log");
    let mut rng = ChaCha20Rng::seed_from_u64(0x1a7e);
    let (mut kills, mut committed, mut rolled_back, mut finished) = (0u32, 0u32, 0u32, 0u32);
    let mut total = 0usize;
    // Start with an estimate; then the time an unkilled import takes.
    let mut typical = Duration::from_millis(200);
    let mut k = 0;
    while kills < KILLS {
        assert!(k < MAX_TRIALS, "only {kills} kills in {k} trials");
        let file = tmp.path().join(format!("f{k}.csv"));
        write_file(&file, k);
        let want = expected(&file);
        assert!(want.len() > 1000, "{} records", want.len());
        let mut child = command(&log, &file)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn: {e}"));
        // Anywhere in the run, and one time in three near its end (around the commit).
        let delay = if rng.random_range(0..3) == 0 {
            typical.mul_f64(rng.random_range(0.85..1.1))
        } else {
            typical.mul_f64(rng.random_range(0.0..1.1))
        };
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
        let status = child.wait().unwrap_or_else(|e| panic!("wait: {e}"));
        let killed = !status.success();
        if killed {
            kills += 1;
        } else {
            finished += 1;
            assert!(
                status.success(),
                "trial {k}: import failed on its own: {status}"
            );
        }
        let (mine, n) = read(&log, k);
        if mine.is_empty() {
            rolled_back += u32::from(killed);
            assert!(
                n.is_none_or(|n| n == total),
                "trial {k}: other records changed"
            );
        } else {
            committed += u32::from(killed);
            assert_eq!(mine, want, "trial {k}: a partial import is visible");
            assert!(n.is_none_or(|n| n == total + want.len()), "trial {k}");
        }
        // The same command again completes it (or sees it is done).
        let started = Instant::now();
        let out = command(&log, &file)
            .output()
            .unwrap_or_else(|e| panic!("retry: {e}"));
        assert!(
            out.status.success(),
            "trial {k}: the retry failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        typical = (typical + started.elapsed()) / 2;
        let (mine, n) = read(&log, k);
        assert_eq!(mine, want, "trial {k}: after the retry");
        total += want.len();
        assert!(n.is_none_or(|n| n == total), "trial {k}: after the retry");
        k += 1;
    }
    // The window between the commit and the exit is narrow: kills rarely land in it.
    assert!(
        rolled_back > KILLS / 2,
        "most kills interrupt an import ({rolled_back})"
    );
    println!(
        "cli_import_kill: {kills} SIGKILLs during imports ({rolled_back} rolled back, {committed} \
         already committed; {finished} imports finished before their kill), {total} records, \
         every retry complete"
    );
}
