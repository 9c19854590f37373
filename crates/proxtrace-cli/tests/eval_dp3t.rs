//! `proxtrace eval dp3t` end to end on a small synthetic experiment the test writes itself
//! (three phones, one half-hour scenario: HCI snoop logs, a scenario database, camera tracks,
//! GAEN backend checks), and — when present — on DP-3T experiment 34, whose figures the
//! research before this command established.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

const SNOOP_EPOCH: u64 = 0x00DC_DDB3_0F2F_8000;
const LOCAL: u64 = 7200;
/// 2020-07-30 12:00:00 UTC (14:00 local).
const START: u64 = 1_596_110_400;
const MODELS: [(u8, &str); 3] = [(1, "SM-G973F"), (2, "SM-A405FN"), (3, "SM-G981B/DS")];

fn record(out: &mut Vec<u8>, flags: u32, unix_us: u64, packet: &[u8]) {
    let n = packet.len() as u32;
    out.extend(n.to_be_bytes());
    out.extend(n.to_be_bytes());
    out.extend(flags.to_be_bytes());
    out.extend(0u32.to_be_bytes());
    out.extend((unix_us + SNOOP_EPOCH + LOCAL * 1_000_000).to_be_bytes());
    out.extend(packet);
}

fn ad(rpi: &[u8; 16]) -> Vec<u8> {
    let mut a = vec![0x03, 0x03, 0x6F, 0xFD, 0x17, 0x16, 0x6F, 0xFD];
    a.extend(rpi);
    a.extend([0x40, 0xE8, 0, 0]);
    a
}

fn rpi(phone: u8, k: u8) -> [u8; 16] {
    let mut r = [0xA5; 16];
    r[0] = phone;
    r[1] = k;
    r
}

/// RSSI phone `rx` hears from `tx` with: 1 and 2 sit 1 m apart, 3 is 8 m away.
fn rssi(rx: u8, tx: u8) -> i8 {
    if rx == 3 || tx == 3 { -110 } else { -75 }
}

/// Scan starts: every 250 s from 10 s into the scenario.
fn scans() -> Vec<u64> {
    (0..8).map(|n| START + 10 + 250 * n).collect()
}

/// Own RPIs rotate every 12 minutes from 11:50.
fn rotation_time(k: u8) -> u64 {
    START - 600 + 720 * u64::from(k)
}

fn rpi_at(phone: u8, t: u64) -> [u8; 16] {
    let k = (0..4u8).rev().find(|&k| rotation_time(k) <= t).unwrap_or(0);
    rpi(phone, k)
}

fn write_snoop(dir: &Path, phone: u8) {
    let mut b = b"btsnoop\0".to_vec();
    b.extend(1u32.to_be_bytes());
    b.extend(1002u32.to_be_bytes());
    let mut events: Vec<(u64, u32, Vec<u8>)> = Vec::new();
    for k in 0..4u8 {
        let data = ad(&rpi(phone, k));
        let mut p = vec![
            0x01,
            0x37,
            0x20,
            (4 + data.len()) as u8,
            0,
            3,
            1,
            data.len() as u8,
        ];
        p.extend(&data);
        events.push((rotation_time(k) * 1_000_000, 2, p));
    }
    for s in scans() {
        for (tx, _) in MODELS {
            if tx == phone {
                continue;
            }
            for i in 0..6u64 {
                let t = s * 1_000_000 + i * 500_000 + u64::from(tx) * 1000;
                let data = ad(&rpi_at(tx, t / 1_000_000));
                let mut p = vec![0x04, 0x3E, (12 + data.len()) as u8, 0x02, 1, 0x02, 1];
                p.extend([tx, 0, 0, 0, 0, 0x40]);
                p.push(data.len() as u8);
                p.extend(&data);
                p.push(rssi(phone, tx) as u8);
                events.push((t, 3, p));
            }
        }
    }
    events.sort_by_key(|e| e.0);
    for (t, f, p) in events {
        record(&mut b, f, t, &p);
    }
    std::fs::write(dir.join(format!("btsnoop/{phone:02}.btsnoop")), b).unwrap();
}

fn write_database(dir: &Path) {
    let c = rusqlite::Connection::open(dir.join("scenario01-test.sqlite")).unwrap();
    c.execute_batch(
        "CREATE TABLE results(db_id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, receiver_id TEXT \
         NOT NULL, receiver_model TEXT NOT NULL, transmitter_id TEXT NOT NULL, transmitter_model \
         TEXT NOT NULL, timestamp REAL NOT NULL, rssi INTEGER NOT NULL, tx_power INTEGER, \
         ground_truth_distance REAL)",
    )
    .unwrap();
    for (rx, model) in MODELS {
        for s in scans() {
            for (tx, _) in MODELS {
                if tx == rx {
                    continue;
                }
                for i in 0..6u64 {
                    let t = s as f64 + i as f64 * 0.5 + f64::from(tx) * 0.001;
                    c.execute(
                        "INSERT INTO results(receiver_id, receiver_model, transmitter_id, \
                         transmitter_model, timestamp, rssi, tx_power) VALUES (?1, ?2, ?3, 'x', \
                         ?4, ?5, 0)",
                        rusqlite::params![rx.to_string(), model, tx.to_string(), t, rssi(rx, tx)],
                    )
                    .unwrap();
                }
            }
        }
    }
}

fn write_camera(dir: &Path) {
    let frames = 1801;
    let mut j = String::from("{\"datetime\": [");
    for k in 0..frames {
        let t = START + LOCAL + k;
        let (h, m, s) = (t / 3600 % 24, t / 60 % 60, t % 60);
        j.push_str(&format!(
            "{}\"2020-07-30 {h:02}:{m:02}:{s:02}.000000\"",
            if k > 0 { ", " } else { "" }
        ));
    }
    j.push(']');
    for (p, x) in [(1u8, 0.0), (2, 1.0), (3, 8.0)] {
        j.push_str(&format!(", \"{p}\": ["));
        for k in 0..frames {
            j.push_str(&format!("{}[{x}, 0.0, 0]", if k > 0 { ", " } else { "" }));
        }
        j.push(']');
    }
    j.push('}');
    let f = std::fs::File::create(dir.join("computer-vision/0_test.zip")).unwrap();
    let mut z = zip::ZipWriter::new(f);
    let o = zip::write::SimpleFileOptions::default();
    z.start_file("0_test/homography.json", o).unwrap();
    z.write_all(b"{\"H\": [[1,0,0],[0,1,0],[0,0,1]]}").unwrap();
    z.start_file("0_test/test.json", o).unwrap();
    z.write_all(j.as_bytes()).unwrap();
    z.finish().unwrap();
}

/// What GAEN on receivers 1 and 2 reported: one window of the eight scans of the other
/// (attenuation −21 − RSSI = 54 dB). Receiver 3 has no file.
fn write_backend(dir: &Path) {
    for (sender, receiver) in [(2u8, 1u8), (1, 2)] {
        let inst: Vec<String> = (0..8)
            .map(|n| {
                format!(
                    "{{\"minAttenuationDb\":54,\"typicalAttenuationDb\":54,\"secondsSinceLastScan\":{}}}",
                    if n == 0 { 300 } else { 240 }
                )
            })
            .collect();
        let w = format!(
            "{{\"experiment_x_{sender:02}\":[{{\"dateMillisSinceEpoch\":1596067200000,\"reportType\":1,\"scanInstances\":[{}]}}]}}",
            inst.join(",")
        );
        std::fs::write(
            dir.join(format!(
                "backend-checks/{sender:02}-check{receiver:02}.json"
            )),
            w,
        )
        .unwrap();
    }
}

fn synthetic() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for sub in ["btsnoop", "computer-vision", "backend-checks"] {
        std::fs::create_dir(d.path().join(sub)).unwrap();
    }
    for (p, _) in MODELS {
        write_snoop(d.path(), p);
    }
    write_database(d.path());
    write_camera(d.path());
    write_backend(d.path());
    d
}

fn eval(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_proxtrace"))
        .args(["eval", "dp3t"])
        .args(args)
        .output()
        .unwrap()
}

fn field(text: &str, key: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}: ")))
        .unwrap_or_else(|| panic!("no {key} in {text}"))
        .to_owned()
}

#[test]
fn synthetic_experiment_end_to_end() {
    let d = synthetic();
    let dir = d.path().to_str().unwrap();
    let table = d.path().join("table.csv");
    std::fs::write(
        &table,
        "oem,model,rssi correction,tx,has direct measurement\nsamsung,SM-G973F,2,-29,yes\n\
         samsung,SM-A405FN,2,-23,yes\nsamsung,SM-G981B,5,-25,yes\n",
    )
    .unwrap();
    let plot = d.path().join("out.svg");
    for source in ["btsnoop", "database"] {
        let o = eval(&[
            dir,
            "--source",
            source,
            "--gaen-backend",
            "--resamples",
            "200",
            "--plot",
            plot.to_str().unwrap(),
        ]);
        let text = String::from_utf8(o.stdout).unwrap();
        assert!(
            o.status.success(),
            "{text}{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(field(&text, "source"), source);
        assert_eq!(field(&text, "contacts"), "6");
        assert_eq!(field(&text, "close_contacts"), "2");
        for k in [
            "contact_precision",
            "contact_recall",
            "contact_f1",
            "scan_auc",
        ] {
            assert_eq!(field(&text, k), "1.0000", "{k}: {text}");
        }
        assert_eq!(field(&text, "false_positives"), "0");
        assert_eq!(field(&text, "gaen_contacts"), "4");
        assert_eq!(field(&text, "gaen_windows_placed"), "2");
        assert_eq!(field(&text, "gaen_contact_f1"), "1.0000");
        assert_eq!(field(&text, "conformance_within_1db"), "1.0000");
        assert_eq!(field(&text, "contact_f1_minus_gaen"), "0.0000");
        assert_eq!(field(&text, "unmatched_scan_instances"), "0");
        // 8 scans × 2 directions of each of the 3 pairs.
        assert_eq!(field(&text, "scan_instances"), "48");
        assert!(std::fs::read_to_string(&plot).unwrap().starts_with("<svg"));
    }
    // With the table, the phones are calibrated (the S20's /DS suffix bridged) and the JSON
    // carries the interface keys.
    let o = eval(&[dir, "--calibration", table.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for k in [
        "source",
        "scan_auc",
        "contact_precision",
        "contact_recall",
        "contact_f1",
        "contact_f1_ci_low",
        "contact_f1_ci_high",
        "contacts",
        "close_contacts",
    ] {
        assert!(v.get(k).is_some(), "no {k} in {v}");
    }
    let s20 = &v["phones"][2];
    assert_eq!(s20["basis"], "model_variant");
    assert_eq!(s20["calibration"]["tx_power_dbm"], -25);
    assert_eq!(s20["calibration"]["confidence"], "high");
    // The far phone stays past every bucket (e.g. TX −29 − (−110 + 5) = 76 dB); the near
    // pair is notified.
    assert_eq!(v["contact_f1"], 1.0);
    // The fitted offset is chosen leave-one-scenario-out: with one scenario there is nothing
    // to fit on, so the smallest offset (0) is used.
    let o = eval(&[dir, "--fit-offset"]);
    assert!(o.status.success());
    assert_eq!(
        field(&String::from_utf8(o.stdout).unwrap(), "fitted_offsets_db"),
        "0"
    );
}

#[test]
fn bad_arguments_are_usage_errors() {
    let d = synthetic();
    let dir = d.path().to_str().unwrap();
    let o = eval(&[dir, "--calibration", "/nonexistent.csv"]);
    assert_eq!(o.status.code(), Some(2));
    let bad = d.path().join("bad.csv");
    std::fs::write(&bad, "a,b\n").unwrap();
    let o = eval(&[dir, "--calibration", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("header"));
    let cfg = d.path().join("m.json");
    std::fs::write(&cfg, r#"{"attenuation": {"offset_db": 99}}"#).unwrap();
    let o = eval(&[dir, "--match-config", cfg.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let o = eval(&["/nonexistent-folder"]);
    assert_eq!(o.status.code(), Some(2));
    let empty = tempfile::tempdir().unwrap();
    let o = eval(&[empty.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a DP-3T experiment folder"));
}

fn exp34() -> Option<PathBuf> {
    let base = std::env::var_os("PROXTRACE_FIELDDATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fielddata"));
    let d = base.join("dp3t-exp34");
    d.is_dir().then_some(d)
}

/// The figures of DP-3T experiment 34 (the research's exact counts) through the real path.
#[test]
fn dp3t_experiment_34() {
    let Some(dir) = exp34() else {
        eprintln!(
            "skipping: ../shared/fielddata/dp3t-exp34 not found (set PROXTRACE_FIELDDATA_DIR to \
             the fielddata folder)"
        );
        return;
    };
    let dec = dir.join("../google-en-calibration/en-calibration-2020-12-14-experiment-models.csv");
    let dir = dir.to_str().unwrap();
    let o = eval(&[dir, "--resamples", "100", "--gaen-backend"]);
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    eprintln!("{text}");
    assert_eq!(field(&text, "contacts"), "1462");
    assert_eq!(field(&text, "close_contacts"), "240");
    assert_eq!(field(&text, "sightings"), "84456");
    // Uncalibrated defaults (−24/−3 = GAEN's own values here): 93 TP, F1 0.40.
    assert_eq!(field(&text, "true_positives"), "93");
    assert!(field(&text, "contact_f1").parse::<f64>().unwrap() >= 0.40);
    assert_eq!(field(&text, "gaen_windows"), "1810");
    assert!(field(&text, "gaen_windows_placed").parse::<u32>().unwrap() >= 1775);
    assert!(
        field(&text, "conformance_within_1db")
            .parse::<f64>()
            .unwrap()
            >= 0.75
    );
    if dec.is_file() {
        let cfg = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(cfg.path(), r#"{"attenuation": {"self_calibration": {}}}"#).unwrap();
        let o = eval(&[
            dir,
            "--resamples",
            "100",
            "--calibration",
            dec.to_str().unwrap(),
            "--match-config",
            cfg.path().to_str().unwrap(),
        ]);
        let text = String::from_utf8(o.stdout).unwrap();
        assert!(o.status.success());
        eprintln!("{text}");
        assert!(field(&text, "scan_auc").parse::<f64>().unwrap() >= 0.76);
    }
}
