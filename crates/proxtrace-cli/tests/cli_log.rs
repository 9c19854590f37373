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
