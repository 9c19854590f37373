//! `proxtrace log import | stats | export`: imports are all or nothing, bad rows are reported
//! as `file:line: reason` with exit status 1, Bluezone timestamps are detected per file.

use std::path::Path;
use std::process::{Command, Output};

const NOW: &str = "1763900000";

fn proxtrace(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_proxtrace"))
        .args(args)
        .output()
        .expect("run proxtrace")
}

fn stdout(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn field(text: &str, key: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}: ")))
        .unwrap_or_else(|| panic!("no {key} in {text}"))
        .to_owned()
}

fn stats(log: &Path) -> String {
    stdout(&proxtrace(&[
        "log",
        "stats",
        "--log",
        log.to_str().unwrap(),
        "--now",
        NOW,
    ]))
}

#[test]
fn csv_import_stats_export_and_an_all_or_nothing_failure() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let good = dir.path().join("good.csv");
    // Unsorted rows, columns in another order, an optional tx_power column.
    std::fs::write(
        &good,
        "rssi,unix_time,scheme,id,aem,tx_power\n\
         -71,1763800050,gaen,00112233445566778899aabbccddeeff,01020304,-8\n\
         -60,1763800000,gaen,00112233445566778899aabbccddeeff,01020304,-8\n\
         -50,1763800020,bluezone,00112233445566778899aabb,,\n",
    )
    .unwrap();
    let args = |f: &Path| {
        vec![
            "log".to_owned(),
            "import".into(),
            "--log".into(),
            log.to_str().unwrap().into(),
            "--format".into(),
            "csv".into(),
            "--now".into(),
            NOW.into(),
            f.to_str().unwrap().into(),
        ]
    };
    let a = args(&good);
    let out = stdout(&proxtrace(
        &a.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    assert_eq!(field(&out, "sightings"), "3");
    assert_eq!(field(&out, "stored"), "2");
    let s = stats(&log);
    assert_eq!(field(&s, "records"), "2");
    assert_eq!(field(&s, "distinct_identifiers"), "2");
    assert_eq!(field(&s, "capacity_bytes"), (16u64 << 20).to_string());
    assert_eq!(field(&s, "time_span_seconds"), "50");

    // A bad row on line 3 after a good one: exit 1, file:line, nothing applied.
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "unix_time,scheme,id,aem,rssi\n\
         1763800100,gaen,ffeeddccbbaa99887766554433221100,01020304,-60\n\
         1763800200,gaen,ffeeddccbbaa99887766554433221100,0102,-60\n",
    )
    .unwrap();
    let b = args(&bad);
    let o = proxtrace(&b.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(&format!("{}:3: ", bad.display())), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(field(&stats(&log), "records"), "2");

    let json = stdout(&proxtrace(&[
        "log",
        "stats",
        "--log",
        log.to_str().unwrap(),
        "--now",
        NOW,
        "--json",
    ]));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["records"], 2);
    assert_eq!(v["evicted_before_retention"], 0);
    assert_eq!(field(&stats(&log), "evicted_before_retention"), "0");

    let csv = stdout(&proxtrace(&[
        "log",
        "export",
        "--log",
        log.to_str().unwrap(),
        "--now",
        NOW,
        "--csv",
    ]));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "first_seen,last_seen,scheme,id,aem,count,max_rssi,mean_rssi,tx_power"
    );
    assert_eq!(
        lines[1],
        "1763800000,1763800050,gaen,00112233445566778899aabbccddeeff,01020304,2,-60,-66,-8"
    );
    assert_eq!(
        lines[2],
        "1763800020,1763800020,bluezone,00112233445566778899aabb,,1,-50,-50,"
    );
    assert_eq!(lines.len(), 3);
}

#[test]
fn bluezone_tsv_detects_the_unit_and_rejects_mixed_files() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let own = "aabbccddeeff001122334455";
    let ms = dir.path().join("ms.txt");
    std::fs::write(
        &ms,
        format!(
            "{own}\t00112233445566778899aabb\t-61\t1763800000000\n{own}\t00112233445566778899aabb\t-65\t1763800004000\n"
        ),
    )
    .unwrap();
    let run = |f: &Path| {
        proxtrace(&[
            "log",
            "import",
            "--log",
            log.to_str().unwrap(),
            "--format",
            "bluezone-tsv",
            "--now",
            NOW,
            f.to_str().unwrap(),
        ])
    };
    let out = stdout(&run(&ms));
    assert_eq!(field(&out, "timestamps"), "milliseconds");
    assert_eq!(field(&out, "scan_instances"), "1");
    let mixed = dir.path().join("mixed.txt");
    std::fs::write(
        &mixed,
        format!(
            "{own}\t00112233445566778899aabb\t-61\t1763800100\n{own}\t00112233445566778899aabb\t-65\t1763800104000\n"
        ),
    )
    .unwrap();
    let o = run(&mixed);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("mixed.txt:2: ") && err.contains("seconds"),
        "{err}"
    );
    assert_eq!(field(&stats(&log), "records"), "1");
}

fn write_csv(path: &Path, start: u64, rows: u64) {
    let mut text = String::from("unix_time,scheme,id,aem,rssi\n");
    for i in 0..rows {
        text.push_str(&format!(
            "{},gaen,{:032x},01020304,-{}\n",
            start + 7 * i,
            i % 50,
            40 + i % 40
        ));
    }
    std::fs::write(path, text).unwrap();
}

fn import(log: &Path, file: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "log",
        "import",
        "--log",
        log.to_str().unwrap(),
        "--format",
        "csv",
        "--now",
        NOW,
    ];
    args.extend_from_slice(extra);
    args.push(file.to_str().unwrap());
    proxtrace(&args)
}

fn fails_with(o: &Output, status: i32, words: &[&str]) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(status), "{err}");
    for w in words {
        assert!(err.contains(w), "{w:?} not in {err}");
    }
}

#[test]
fn read_commands_never_write_and_never_expire() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let csv = dir.path().join("s.csv");
    write_csv(&csv, 1_763_800_000, 300);
    stdout(&import(&log, &csv, &[]));
    let file = log.join("encounters.ptlog");
    let bytes = std::fs::read(&file).unwrap();
    // Years later, without --now and with the shortest retention: nothing is zeroed.
    for args in [
        vec!["log", "stats", "--log", log.to_str().unwrap()],
        vec![
            "log",
            "stats",
            "--log",
            log.to_str().unwrap(),
            "--retention-days",
            "1",
        ],
        vec!["log", "export", "--log", log.to_str().unwrap(), "--csv"],
    ] {
        let out = stdout(&proxtrace(&args));
        if args[1] == "stats" {
            assert_ne!(field(&out, "records"), "0", "{out}");
        }
    }
    // --now hides what is past the retention, and still deletes nothing.
    let later = (1_763_800_000u64 + 30 * 86_400).to_string();
    let out = stdout(&proxtrace(&[
        "log",
        "stats",
        "--log",
        log.to_str().unwrap(),
        "--now",
        &later,
    ]));
    assert_eq!(field(&out, "records"), "0");
    assert_eq!(std::fs::read(&file).unwrap(), bytes, "a read command wrote");
    // Read-only file, and --log naming the file itself.
    let mut perms = std::fs::metadata(&file).unwrap().permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&file, perms).unwrap();
    let out = stdout(&proxtrace(&[
        "log",
        "stats",
        "--log",
        file.to_str().unwrap(),
    ]));
    assert_ne!(field(&out, "records"), "0");
    assert_eq!(std::fs::read(&file).unwrap(), bytes);
}

#[test]
fn a_missing_log_is_an_error_and_is_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("lgo");
    let f0 = dir.path().join("f0.json");
    std::fs::write(&f0, r#"{"data":[]}"#).unwrap();
    for args in [
        vec!["log", "stats", "--log", typo.to_str().unwrap()],
        vec!["log", "export", "--log", typo.to_str().unwrap(), "--csv"],
        vec![
            "match",
            "--log",
            typo.to_str().unwrap(),
            "--f0",
            f0.to_str().unwrap(),
        ],
    ] {
        fails_with(&proxtrace(&args), 1, &["no encounter log", "lgo"]);
    }
    assert!(!typo.exists(), "a read command created the log");
}

#[test]
fn retention_below_one_day_is_refused_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let csv = dir.path().join("s.csv");
    write_csv(&csv, 1_763_800_000, 10);
    let l = log.to_str().unwrap();
    for args in [
        vec!["log", "stats", "--log", l, "--retention-days", "0"],
        vec![
            "log",
            "export",
            "--log",
            l,
            "--csv",
            "--retention-days",
            "0",
        ],
        vec![
            "log",
            "import",
            "--log",
            l,
            "--format",
            "csv",
            "--retention-days",
            "0",
            csv.to_str().unwrap(),
        ],
        vec![
            "match",
            "--log",
            l,
            "--f0",
            csv.to_str().unwrap(),
            "--retention-days",
            "0",
        ],
    ] {
        fails_with(&proxtrace(&args), 2, &["retention-days"]);
    }
    assert!(!log.exists());
}

#[test]
fn a_log_held_by_another_process_is_busy() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let csv = dir.path().join("s.csv");
    write_csv(&csv, 1_763_800_000, 10);
    stdout(&import(&log, &csv, &[]));
    let held = proxtrace::log::EncounterLog::open_dir(&log, proxtrace::log::LogOptions::default())
        .unwrap();
    let later = dir.path().join("later.csv");
    write_csv(&later, 1_763_810_000, 10);
    fails_with(
        &import(&log, &later, &[]),
        1,
        &["in use", "encounters.ptlog"],
    );
    fails_with(
        &proxtrace(&["log", "stats", "--log", log.to_str().unwrap()]),
        1,
        &["in use"],
    );
    drop(held);
    // A reader in this process excludes the writer in the other.
    let reader = proxtrace::log::EncounterLog::open_dir_read_only(
        &log,
        proxtrace::log::LogOptions::default(),
    )
    .unwrap();
    fails_with(&import(&log, &later, &[]), 1, &["in use"]);
    stdout(&proxtrace(&[
        "log",
        "stats",
        "--log",
        log.to_str().unwrap(),
    ]));
    drop(reader);
    stdout(&import(&log, &later, &[]));
}

#[test]
fn an_interrupted_import_is_retried_and_a_repeated_one_is_recognised() {
    use proxtrace::log::{EncounterLog, ImportId, LogOptions};
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let csv = dir.path().join("s.csv");
    write_csv(&csv, 1_763_800_000, 5000);
    // An import that died half-way (as a killed `log import` leaves it).
    {
        let mut l = EncounterLog::open_dir(&log, LogOptions::default()).unwrap();
        let mut txn = l.begin_import(ImportId([9; 32])).unwrap();
        let rows = proxtrace_cli::import::parse_csv(std::fs::File::open(&csv).unwrap()).unwrap();
        for r in proxtrace_cli::import::aggregate(rows, Default::default()) {
            txn.append(&r).unwrap();
        }
        std::mem::forget(txn);
    }
    assert_eq!(
        field(&stats(&log), "records"),
        "0",
        "an uncommitted import is invisible"
    );
    let out = stdout(&import(&log, &csv, &[]));
    let stored = field(&out, "stored");
    assert_eq!(field(&stats(&log), "records"), stored);
    // Run again (e.g. after a kill just after the commit): recognised, nothing added.
    let again = stdout(&import(&log, &csv, &[]));
    assert_eq!(field(&again, "already_imported"), "true");
    assert_eq!(field(&stats(&log), "records"), stored);
}

#[test]
fn import_limits_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let long = dir.path().join("long.csv");
    std::fs::write(
        &long,
        format!(
            "unix_time,scheme,id,aem,rssi\n1763800000,gaen,{},01020304,-60\n",
            "a".repeat(5000)
        ),
    )
    .unwrap();
    fails_with(
        &import(&log, &long, &[]),
        1,
        &["long.csv:2:", "longer than 4096 bytes"],
    );
    #[cfg(unix)]
    fails_with(
        &import(&log, Path::new("/dev/zero"), &[]),
        1,
        &["/dev/zero:1:", "longer than 4096 bytes"],
    );
    assert!(!log.exists(), "a bad file touched nothing");
    let csv = dir.path().join("s.csv");
    write_csv(&csv, 1_763_800_000, 10);
    fails_with(
        &import(&log, &csv, &["--capacity-bytes", "107374182400"]),
        2,
        &["capacity-bytes", "268435456"],
    );
    assert!(
        !log.exists() || !log.join("encounters.ptlog").exists(),
        "nothing left behind"
    );
}

/// A tiny tmpfs (root only; skipped otherwise): a log larger than the free space fails at
/// creation, and a created log keeps working when the disk fills up afterwards.
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_fails_at_creation_not_mid_run() {
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let ok = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"])
        .arg(&mnt)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("skipping: cannot mount a tmpfs here (needs root)");
        return;
    }
    let _guard = Unmount(mnt.clone());
    let csv = dir.path().join("s.csv");
    write_csv(&csv, 1_763_800_000, 2000);
    let big = mnt.join("big");
    fails_with(
        &import(&big, &csv, &["--capacity-bytes", "8388608"]),
        1,
        &["could not reserve 8388608 bytes", "free some disk space"],
    );
    assert!(
        !big.join("encounters.ptlog").exists(),
        "no half-made log is left"
    );
    let log = mnt.join("log");
    stdout(&import(&log, &csv, &["--capacity-bytes", "2097152"]));
    // Fill the rest of the disk; the log's space was reserved, so imports still work.
    let filler = std::fs::File::create(mnt.join("filler")).unwrap();
    let mut w = std::io::BufWriter::new(filler);
    let block = vec![0xFFu8; 64 * 1024];
    while std::io::Write::write_all(&mut w, &block).is_ok() {}
    drop(w);
    let later = dir.path().join("later.csv");
    write_csv(&later, 1_763_900_000, 2000);
    let out = stdout(&import(&log, &later, &[]));
    assert_ne!(field(&out, "stored"), "0");
}

/// `--storage-key-file` seals the log: no identifier appears in the file's bytes, the same
/// key reads it back, no key or the wrong key is a clear error (exit 1) that changes nothing.
#[test]
fn a_storage_key_file_seals_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let key = dir.path().join("key.hex");
    std::fs::write(&key, format!("{}\n", "42".repeat(32))).unwrap();
    let wrong = dir.path().join("wrong.hex");
    std::fs::write(&wrong, "17".repeat(32)).unwrap();
    let rpi = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
    let csv = dir.path().join("s.csv");
    std::fs::write(
        &csv,
        format!("unix_time,scheme,id,aem,rssi\n1763890000,gaen,{rpi},0a0b0c0d,-60\n"),
    )
    .unwrap();
    let (log_s, key_s) = (log.to_str().unwrap(), key.to_str().unwrap());
    stdout(&proxtrace(&[
        "log",
        "import",
        "--log",
        log_s,
        "--now",
        NOW,
        "--storage-key-file",
        key_s,
        "--format",
        "csv",
        csv.to_str().unwrap(),
    ]));
    let bytes = std::fs::read(log.join("encounters.ptlog")).unwrap();
    let raw = hex::decode(rpi).unwrap();
    assert!(
        !bytes.windows(6).any(|w| raw.windows(6).any(|r| r == w)),
        "identifier bytes in the sealed log"
    );
    let out = stdout(&proxtrace(&[
        "log",
        "stats",
        "--log",
        log_s,
        "--storage-key-file",
        key_s,
    ]));
    assert_eq!(field(&out, "records"), "1");
    assert_eq!(field(&out, "encrypted"), "true");
    for extra in [vec![], vec!["--storage-key-file", wrong.to_str().unwrap()]] {
        let mut args = vec!["log", "stats", "--log", log_s];
        args.extend(extra);
        let o = proxtrace(&args);
        assert_eq!(
            o.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(!String::from_utf8_lossy(&o.stderr).is_empty());
    }
    assert_eq!(std::fs::read(log.join("encounters.ptlog")).unwrap(), bytes);
    // A key file that is not 64 hex digits: exit 2.
    std::fs::write(&wrong, "not hex").unwrap();
    let o = proxtrace(&[
        "log",
        "stats",
        "--log",
        log_s,
        "--storage-key-file",
        wrong.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
}

/// Issue 16: records the ring pushes out before their retention ends are reported by
/// `log stats` (text and JSON), also after the log was closed and reopened.
#[test]
fn log_stats_reports_evictions_before_the_retention() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    // Three 4 KiB data pages; each import fills about two of them.
    for part in 0..2u64 {
        let csv = dir.path().join(format!("part{part}.csv"));
        let mut text = String::from("unix_time,scheme,id,aem,rssi\n");
        for i in 0..300u64 {
            let n = part * 1000 + i;
            text.push_str(&format!(
                "{},gaen,{n:032x},01020304,-60\n",
                1_763_850_000 + part * 10_000 + i * 5
            ));
        }
        std::fs::write(&csv, text).unwrap();
        stdout(&proxtrace(&[
            "log",
            "import",
            "--log",
            log.to_str().unwrap(),
            "--capacity-bytes",
            "16384",
            "--format",
            "csv",
            "--now",
            NOW,
            csv.to_str().unwrap(),
        ]));
    }
    let s = stats(&log);
    let records: u64 = field(&s, "records").parse().unwrap();
    let evicted: u64 = field(&s, "evicted_before_retention").parse().unwrap();
    assert!(records < 600, "{s}");
    assert_eq!(evicted, 600 - records, "{s}");
    let json = stdout(&proxtrace(&[
        "log",
        "stats",
        "--log",
        log.to_str().unwrap(),
        "--json",
    ]));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["evicted_before_retention"], evicted);
}
