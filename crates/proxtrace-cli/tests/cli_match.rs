//! The whole published-keys path from the command line: `export keygen`, `export create`,
//! `export inspect`, `log import` and `match`, for GAEN export files and Bluezone F0 payloads.

use std::path::Path;
use std::process::{Command, Output};

use proxtrace::bluezone::DailyKey;
use proxtrace::gaen::{Metadata, TemporaryExposureKey};
use proxtrace::time::{BluezoneSlot, EnIntervalNumber, SlotsPerDay, UtcDay};

const DAY: u32 = 20_759;

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_proxtrace"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run proxtrace")
}

fn ok(o: Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

fn now_arg() -> String {
    (u64::from(DAY + 2) * 86_400).to_string()
}

#[test]
fn gaen_export_create_inspect_and_match() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tek = TemporaryExposureKey::from_bytes([0x42; 16]);
    let rpik = tek.rolling_proximity_identifier_key();
    let aemk = tek.associated_encrypted_metadata_key();
    // 25 minutes near the key's owner from 09:00: one sighting per 5-minute scan, 3 packets.
    let mut csv = String::from("unix_time,scheme,id,aem,rssi\n");
    let start = u64::from(DAY) * 86_400 + 9 * 3600;
    for scan in 0..6 {
        for p in 0..3 {
            let t = start + scan * 300 + p;
            let j = EnIntervalNumber::new((t / 600) as u32);
            let rpi = rpik.rolling_proximity_identifier(j);
            let aem = aemk.encrypt(&rpi, &Metadata::v1_0(-10));
            csv += &format!("{t},gaen,{},{},-60\n", rpi.to_hex(), aem.to_hex());
        }
    }
    std::fs::write(d.join("sightings.csv"), csv).unwrap();
    let now = now_arg();
    ok(run(
        d,
        &[
            "log",
            "import",
            "--log",
            "log",
            "--format",
            "csv",
            "--now",
            &now,
            "sightings.csv",
        ],
    ));
    ok(run(
        d,
        &[
            "export",
            "keygen",
            "--private-key",
            "key.p8",
            "--public-key",
            "pub.pem",
        ],
    ));
    let other = tempfile::tempdir().unwrap();
    ok(run(
        other.path(),
        &[
            "export",
            "keygen",
            "--private-key",
            "k.p8",
            "--public-key",
            "other.pem",
        ],
    ));
    std::fs::write(
        d.join("keys.csv"),
        format!(
            "key_data,rolling_start_interval_number,rolling_period,report_type,days_since_onset\n\
             {},{},144,CONFIRMED_TEST,1\n\
             {},{},144,1,\n",
            hex::encode([0x42; 16]),
            DAY * 144,
            hex::encode([0x17; 16]),
            DAY * 144
        ),
    )
    .unwrap();
    let out = ok(run(
        d,
        &[
            "export",
            "create",
            "--keys",
            "keys.csv",
            "--signing-key",
            "key.p8",
            "--key-id",
            "310",
            "--key-version",
            "v1",
            "-o",
            "export.zip",
        ],
    ));
    assert!(out.contains("keys: 2"), "{out}");
    let out = ok(run(
        d,
        &["export", "inspect", "export.zip", "--public-key", "pub.pem"],
    ));
    assert!(
        out.contains("signature: verified (key id 310 version v1)"),
        "{out}"
    );
    assert!(out.contains("keys: 2"), "{out}");

    let m = |extra: &[&str]| {
        let mut args = vec![
            "match",
            "--log",
            "log",
            "--now",
            &now,
            "--export",
            "export.zip",
        ];
        args.extend_from_slice(extra);
        run(d, &args)
    };
    let out = ok(m(&["--public-key", "pub.pem"]));
    assert!(out.contains("exposed: yes"), "{out}");
    assert!(out.contains("exposure_windows: 1"), "{out}");
    let out = ok(m(&["--public-key", "310:v1:pub.pem", "--json"]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["exposure_windows"].as_array().unwrap().len(), 1);
    assert_eq!(v["daily_summaries"].as_array().unwrap().len(), 1);
    assert_eq!(
        v["exposure_windows"][0]["scan_instances"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
    // Unknown key id, wrong key, no key: exit 1 (2 for the missing argument), one line.
    for (extra, code) in [
        (&["--public-key", "999:v1:pub.pem"][..], 1),
        (
            &[
                "--public-key",
                other.path().join("other.pem").to_str().unwrap(),
            ][..],
            1,
        ),
        (&[][..], 2),
    ] {
        let o = m(extra);
        assert_eq!(o.status.code(), Some(code), "{extra:?}");
        assert_eq!(String::from_utf8_lossy(&o.stderr).lines().count(), 1);
    }
    // A flipped bit in export.bin's compressed bytes (after its 30-byte local header and
    // 10-byte name): rejected.
    let mut zip = std::fs::read(d.join("export.zip")).unwrap();
    zip[50] ^= 1;
    std::fs::write(d.join("export.zip"), zip).unwrap();
    assert_eq!(m(&["--public-key", "pub.pem"]).status.code(), Some(1));
    // No exposure is exit status 0 too.
    std::fs::write(
        d.join("keys2.csv"),
        format!("key_data,rolling_start_interval_number,rolling_period,report_type,days_since_onset\n{},{},144,1,\n", hex::encode([9; 16]), DAY * 144),
    )
    .unwrap();
    ok(run(
        d,
        &[
            "export",
            "create",
            "--keys",
            "keys2.csv",
            "--signing-key",
            "key.p8",
            "--key-id",
            "310",
            "--key-version",
            "v1",
            "-o",
            "none.zip",
        ],
    ));
    let out = ok(run(
        d,
        &[
            "match",
            "--log",
            "log",
            "--now",
            &now,
            "--export",
            "none.zip",
            "--public-key",
            "pub.pem",
        ],
    ));
    assert!(out.contains("exposed: no"), "{out}");
    // A bad row in keys.csv: file:line.
    std::fs::write(d.join("bad.csv"), "key_data,rolling_start_interval_number,rolling_period,report_type,days_since_onset\n00,1,144,1,\n").unwrap();
    let o = run(
        d,
        &[
            "export",
            "create",
            "--keys",
            "bad.csv",
            "--signing-key",
            "key.p8",
            "--key-id",
            "1",
            "--key-version",
            "v1",
            "-o",
            "x.zip",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("bad.csv:2: "));
}

#[test]
fn bluezone_f0_match() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let dk = DailyKey::from_bytes([0x33; 32], UtcDay::new(DAY));
    let spd = SlotsPerDay::DEFAULT;
    let own = "aabbccddeeff001122334455";
    let mut tsv = String::new();
    let start = u64::from(DAY) * 86_400 + 14 * 3600;
    for scan in 0..5 {
        for p in 0..2 {
            let t = start + scan * 300 + p;
            let slot =
                BluezoneSlot::containing(proxtrace::time::UnixTime::from_secs(t), spd).unwrap();
            let id = dk.bluezone_id(slot).unwrap();
            tsv += &format!("{own}\t{}\t-58\t{}\n", id.to_hex(), t * 1000);
        }
    }
    std::fs::write(d.join("data_trace.txt"), tsv).unwrap();
    let now = now_arg();
    let out = ok(run(
        d,
        &[
            "log",
            "import",
            "--log",
            "log",
            "--format",
            "bluezone-tsv",
            "--now",
            &now,
            "data_trace.txt",
        ],
    ));
    assert!(out.contains("timestamps: milliseconds"), "{out}");
    let day_start = u64::from(DAY) * 86_400;
    std::fs::write(
        d.join("f0.json"),
        format!(
            r#"{{"data":[{{"daily_key":"{}","time_start":{day_start},"max":96,"time_end":{}}}]}}"#,
            hex::encode([0x33; 32]),
            day_start + 86_399
        ),
    )
    .unwrap();
    let out = ok(run(
        d,
        &["match", "--log", "log", "--now", &now, "--f0", "f0.json"],
    ));
    assert!(out.contains("exposed: yes"), "{out}");
    std::fs::write(
        d.join("bad.json"),
        r#"{"data":[{"daily_key":"00","time_start":1,"max":96,"time_end":2}]}"#,
    )
    .unwrap();
    let o = run(
        d,
        &["match", "--log", "log", "--now", &now, "--f0", "bad.json"],
    );
    assert_eq!(o.status.code(), Some(1));
}

/// Android's `checkContactF` walk, stepped literally (SHA-256 chain of slot keys from
/// `time_start`, the daily key rolled every `max` slots): `(slot start in ms, id hex)`.
fn client_ids(daily_key: [u8; 32], time_start: u64, max: u64, time_end: u64) -> Vec<(u64, String)> {
    use sha2::{Digest, Sha256};
    let mut dk = daily_key.to_vec();
    let mut sk = [dk.as_slice(), b"bluzonesubkey"].concat();
    let (mut t, end, delta) = (time_start * 1000, time_end * 1000, 86_400_000 / max);
    let mut out = Vec::new();
    let mut i = 0;
    while t <= end {
        sk = Sha256::digest(&sk).to_vec();
        let id: Vec<u8> = (0..12)
            .map(|k| sk[if k > 3 { (k - 4) * 2 + 16 } else { k * 4 }])
            .collect();
        out.push((t, hex::encode_upper(id)));
        t += delta;
        i += 1;
        if i == max {
            dk = Sha256::digest(&dk).to_vec();
            sk = [dk.as_slice(), b"bluzonesubkey"].concat();
            i = 0;
        }
    }
    out
}

#[test]
fn a_multi_day_f0_entry_matches_a_sighting_on_its_second_day() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let dk = [0x5a; 32];
    let day0 = u64::from(DAY) * 86_400;
    let end = day0 + 2 * 86_400 + 3600; // into the third day
    let walk = client_ids(dk, day0, 96, end);
    assert_eq!(
        walk.len(),
        2 * 96 + 5,
        "slots up to and including the one at time_end"
    );
    // Day 2 (the key's second day), slot 40: five sightings inside the slot.
    let (start_ms, id) = walk[96 + 40].clone();
    assert_eq!(start_ms, (day0 + 86_400 + 40 * 900) * 1000);
    let tsv: String = (0..5)
        .map(|n| {
            format!(
                "aabbccddeeff001122334455\t{id}\t-60\t{}\n",
                start_ms + 10_000 + n * 60_000
            )
        })
        .collect();
    std::fs::write(d.join("day2.txt"), tsv).unwrap();
    // The same ID seen on day 1 at the same time of day: not a match (another day's key).
    let wrong: String = (0..5)
        .map(|n| {
            format!(
                "aabbccddeeff001122334455\t{id}\t-60\t{}\n",
                start_ms - 86_400_000 + 10_000 + n * 60_000
            )
        })
        .collect();
    std::fs::write(d.join("day1.txt"), wrong).unwrap();
    let now = (day0 + 4 * 86_400).to_string();
    for (log, file) in [("log2", "day2.txt"), ("log1", "day1.txt")] {
        ok(run(
            d,
            &[
                "log",
                "import",
                "--log",
                log,
                "--format",
                "bluezone-tsv",
                "--now",
                &now,
                file,
            ],
        ));
    }
    // One entry over three days, as the server sends it: in its push message.
    let info = format!(
        r#"{{"data":[{{"daily_key":"{}","time_start":{day0},"max":96,"time_end":{end}}}]}}"#,
        hex::encode(dk)
    );
    let push = serde_json::json!({"FindGUID": "1", "InfoF": info}).to_string();
    std::fs::write(d.join("f0.json"), push).unwrap();
    let out = ok(run(
        d,
        &[
            "match", "--log", "log2", "--now", &now, "--f0", "f0.json", "--json",
        ],
    ));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let w = v["exposure_windows"].as_array().unwrap();
    assert_eq!(w.len(), 1, "{out}");
    assert_eq!(w[0]["day"], DAY + 1);
    assert_eq!(w[0]["diagnosis_key_index"], 1, "day 2's key");
    let out = ok(run(
        d,
        &["match", "--log", "log2", "--now", &now, "--f0", "f0.json"],
    ));
    assert!(out.contains("bluezone_keys: 3"), "{out}");
    let out = ok(run(
        d,
        &["match", "--log", "log1", "--now", &now, "--f0", "f0.json"],
    ));
    assert!(out.contains("exposure_windows: 0"), "{out}");
    // A span past the cap, and a push message of another command: clear errors.
    let long = format!(
        r#"{{"data":[{{"daily_key":"{}","time_start":{day0},"max":96,"time_end":{}}}]}}"#,
        hex::encode(dk),
        day0 + 100 * 86_400
    );
    std::fs::write(d.join("long.json"), long).unwrap();
    let o = run(
        d,
        &["match", "--log", "log2", "--now", &now, "--f0", "long.json"],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("long.json") && err.contains("101 UTC days"),
        "{err}"
    );
    std::fs::write(
        d.join("history.json"),
        r#"{"Type":"YeuCauGuiLichSu","DataContent":"{}"}"#,
    )
    .unwrap();
    let o = run(
        d,
        &[
            "match",
            "--log",
            "log2",
            "--now",
            &now,
            "--f0",
            "history.json",
        ],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("YeuCauGuiLichSu"), "{err}");
}
