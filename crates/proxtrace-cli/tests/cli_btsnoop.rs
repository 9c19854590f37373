//! `proxtrace log import --format btsnoop`: Android HCI snoop logs into an encounter log, on
//! the project's own synthetic log and — when `../shared/fielddata` is present — on the
//! DP-3T experiment's real phone logs, each checked against an independent count made with
//! the core's parser and decoder.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use proxtrace::advert::{Beacon, decode_advertising_data};
use proxtrace::btsnoop::{SnoopItem, items};

fn proxtrace(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_proxtrace"))
        .args(args)
        .output()
        .expect("run proxtrace")
}

fn line<'a>(out: &'a str, key: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(": "))
        .unwrap_or_else(|| panic!("no {key} line in {out}"))
}

/// Reports carrying a GAEN or Bluezone identifier with an RSSI, counted straight from the
/// parser's items.
fn expected_sightings(bytes: &[u8]) -> u64 {
    let mut n = 0;
    for item in items(bytes) {
        if let Ok(SnoopItem::AdvertisingReport(r)) = item
            && r.rssi.is_some()
            && matches!(
                decode_advertising_data(&r.data).map(|d| d.beacon),
                Ok(Beacon::Identifier(_))
            )
        {
            n += 1;
        }
    }
    n
}

fn import(log: &Path, file: &Path, offset: &str) -> String {
    let out = proxtrace(&[
        "log",
        "import",
        "--log",
        log.to_str().unwrap(),
        "--now",
        "4000000000",
        "--retention-days",
        "36500",
        "--format",
        "btsnoop",
        "--utc-offset",
        offset,
        file.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_synthetic_log_imports_every_proximity_report() {
    let file = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../proxtrace/tests/data/synthetic-v1.btsnoop"
    ));
    let bytes = std::fs::read(&file).unwrap();
    let want = expected_sightings(&bytes);
    assert!(want >= 3, "the fixture has GAEN and Bluezone reports");
    let dir = tempfile::tempdir().unwrap();
    let out = import(&dir.path().join("log"), &file, "+02:00");
    assert_eq!(line(&out, "sightings"), want.to_string(), "{out}");
    // The offset moves every time: the same file at UTC+0 is two hours later.
    let utc = import(&dir.path().join("utc"), &file, "0");
    let stats = |d: &str| {
        let o = proxtrace(&["log", "stats", "--log", d, "--json"]);
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    let a = stats(dir.path().join("log").to_str().unwrap());
    let b = stats(dir.path().join("utc").to_str().unwrap());
    assert_eq!(line(&utc, "sightings"), want.to_string());
    assert_eq!(
        b["first_seen"].as_u64().unwrap(),
        a["first_seen"].as_u64().unwrap() + 7200
    );
    // Without an offset, or with a bad one: exit 2, nothing created.
    let missing = dir.path().join("missing");
    let out = proxtrace(&[
        "log",
        "import",
        "--log",
        missing.to_str().unwrap(),
        "--format",
        "btsnoop",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--utc-offset"));
    assert!(!missing.exists());
    // Not a snoop log: exit 1, a clear message.
    let junk = dir.path().join("junk.btsnoop");
    std::fs::write(&junk, b"unix_time,scheme\n").unwrap();
    let out = proxtrace(&[
        "log",
        "import",
        "--log",
        missing.to_str().unwrap(),
        "--format",
        "btsnoop",
        "--utc-offset",
        "0",
        junk.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("BTSnoop"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_dp3t_phone_logs_import_every_proximity_report() {
    let dir = std::env::var_os("PROXTRACE_FIELDDATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/fielddata"
            ))
        })
        .join("dp3t-exp34/btsnoop");
    if !dir.is_dir() {
        eprintln!(
            "skipping: {} not found (set PROXTRACE_FIELDDATA_DIR)",
            dir.display()
        );
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    for name in ["01.btsnoop", "13.btsnoop"] {
        let file = dir.join(name);
        let want = expected_sightings(&std::fs::read(&file).unwrap());
        let out = import(&tmp.path().join(name), &file, "+02:00");
        assert_eq!(line(&out, "sightings"), want.to_string(), "{name}: {out}");
        // The experiment ran on 2020-07-30 (UTC), local time UTC+2.
        let stats = proxtrace(&[
            "log",
            "stats",
            "--log",
            tmp.path().join(name).to_str().unwrap(),
            "--json",
        ]);
        let v: serde_json::Value = serde_json::from_slice(&stats.stdout).unwrap();
        let first = v["first_seen"].as_u64().unwrap();
        assert_eq!(
            first / 86_400,
            18_473,
            "{name}: first sighting on 2020-07-30"
        );
        assert!(v["records"].as_u64().unwrap() > 100);
    }
}
