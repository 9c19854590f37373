//! `proxtrace export inspect` over several files (batch sets, skipped keys, problems) and
//! `match` over batch sets, and what export errors say on the command line.

use std::path::Path;
use std::process::{Command, Output};

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

/// An empty encounter log in `d/log` (`match` reads a log; it never creates one).
fn empty_log(d: &Path) {
    proxtrace::log::EncounterLog::open_dir(&d.join("log"), proxtrace::log::LogOptions::default())
        .unwrap();
}

fn now_arg() -> String {
    (u64::from(DAY + 2) * 86_400).to_string()
}

fn keys_csv(d: &Path, name: &str, key: u8, start: u32) {
    std::fs::write(
        d.join(name),
        format!(
            "key_data,rolling_start_interval_number,rolling_period,report_type,days_since_onset\n{},{start},144,1,\n",
            hex::encode([key; 16])
        ),
    )
    .unwrap();
}

fn create(d: &Path, csv: &str, out: &str, num: &str, size: &str) {
    ok(run(
        d,
        &[
            "export",
            "create",
            "--keys",
            csv,
            "--signing-key",
            "key.p8",
            "--key-id",
            "310",
            "--key-version",
            "v1",
            "-o",
            out,
            "--region",
            "VN",
            "--batch-num",
            num,
            "--batch-size",
            size,
        ],
    ));
}

#[test]
fn batch_sets_are_inspected_and_match_refuses_an_incomplete_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    empty_log(d);
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
    for n in 1..=3u8 {
        keys_csv(d, &format!("k{n}.csv"), n, DAY * 144);
        create(
            d,
            &format!("k{n}.csv"),
            &format!("b{n}.zip"),
            &n.to_string(),
            "3",
        );
    }
    let out = ok(run(
        d,
        &[
            "export",
            "inspect",
            "b1.zip",
            "b2.zip",
            "b3.zip",
            "--public-key",
            "pub.pem",
            "--json",
        ],
    ));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["files"].as_array().unwrap().len(), 3);
    assert_eq!(v["batch_sets"][0]["complete"], true, "{out}");
    assert_eq!(v["files"][1]["signature"]["status"], "verified");
    assert_eq!(v["files"][0]["keys"], 1);
    assert_eq!(v["files"][0]["rolling_periods"]["144"], 1);
    assert_eq!(v["problems"].as_array().unwrap().len(), 0);
    let out = ok(run(d, &["export", "inspect", "b1.zip", "b3.zip"]));
    assert!(out.contains("present=1,3 missing=1 complete=no"), "{out}");
    assert!(out.contains("problem: batch set region=\"VN\""), "{out}");
    assert!(out.contains("batch 2 of 3 missing"), "{out}");
    // Text output keeps its lines, file by file.
    assert_eq!(out.matches("file: ").count(), 2);
    assert_eq!(
        out.matches("signature: not checked (pass --public-key to verify)")
            .count(),
        2
    );

    let now = now_arg();
    let m = |extra: &[&str]| {
        let mut args = vec![
            "match",
            "--log",
            "log",
            "--now",
            &now,
            "--public-key",
            "pub.pem",
            "--export",
        ];
        args.extend_from_slice(extra);
        run(d, &args)
    };
    let o = m(&["b1.zip", "b3.zip"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("batch 2 of 3 missing") && err.contains("--allow-incomplete-batch"),
        "{err}"
    );
    let out = ok(m(&["b1.zip", "b3.zip", "--allow-incomplete-batch"]));
    assert!(out.contains("gaen_keys: 2"), "{out}");
    let out = ok(m(&["b1.zip", "b2.zip", "b3.zip"]));
    assert!(
        out.contains("gaen_keys: 3") && out.contains("skipped_keys: 0"),
        "{out}"
    );
}

#[test]
fn skipped_keys_are_reported_and_strict_refuses() {
    use proxtrace::published::export::{EXPORT_BIN, EXPORT_SIG};
    use proxtrace_cli::export_writer::{
        ExportMeta, Signer, write_export_bin, write_export_sig, zip_entries,
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    empty_log(d);
    let rng = ring::rand::SystemRandom::new();
    let s = Signer::from_pkcs8(&Signer::generate_pkcs8(&rng).unwrap(), "key", "v1", &rng).unwrap();
    std::fs::write(d.join("pub.pem"), s.trusted_key().to_pem()).unwrap();
    // Immuni-like: three keys of 96 bytes, then one good key, signed.
    let meta = ExportMeta {
        start_timestamp: u64::from(DAY) * 86_400,
        end_timestamp: u64::from(DAY + 1) * 86_400,
        region: "IT".into(),
        batch_num: 1,
        batch_size: 1,
    };
    let mut bin = write_export_bin(&meta, &[], &[], Some(&s)).unwrap();
    let tek = |len: usize, fill: u8| {
        let mut f = vec![0x0a, len as u8];
        f.extend(std::iter::repeat_n(fill, len));
        f.extend([0x18, 0x80, 0xa6, 0xb6, 0x01]); // rolling_start_interval_number, a varint
        let mut m = vec![0x3a, f.len() as u8];
        m.extend(f);
        m
    };
    for _ in 0..3 {
        bin.extend(tek(96, 1));
    }
    bin.extend(tek(16, 2));
    let sig = write_export_sig(&bin, &meta, &s, &rng).unwrap();
    std::fs::write(
        d.join("legit.zip"),
        zip_entries(&[(EXPORT_BIN, &bin), (EXPORT_SIG, &sig)]).unwrap(),
    )
    .unwrap();
    let out = ok(run(
        d,
        &["export", "inspect", "legit.zip", "--public-key", "pub.pem"],
    ));
    assert!(
        out.contains("signature: verified (key id key version v1)"),
        "{out}"
    );
    assert!(out.contains("keys: 1\n"), "{out}");
    assert!(out.contains("skipped_keys: 3\n"), "{out}");
    assert!(
        out.contains(
            "skipped: kind=key_data_length count=3 first=\"keys #0: key_data is 96 bytes, not 16\""
        ),
        "{out}"
    );
    let o = run(d, &["export", "inspect", "legit.zip", "--strict"]);
    assert_eq!(o.status.code(), Some(1));
    let now = now_arg();
    let o = run(
        d,
        &[
            "match",
            "--log",
            "log",
            "--now",
            &now,
            "--export",
            "legit.zip",
            "--public-key",
            "pub.pem",
            "--json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&ok(o)).unwrap();
    assert_eq!(v["skipped_keys"], 3);
    assert_eq!(v["skipped"][0]["kind"], "key_data_length");
    let o = run(
        d,
        &[
            "match",
            "--log",
            "log",
            "--now",
            &now,
            "--export",
            "legit.zip",
            "--public-key",
            "pub.pem",
            "--strict",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("legit.zip: keys #0: key_data is 96 bytes, not 16"),
        "{err}"
    );
}

#[test]
fn export_errors_name_the_file_and_say_what_is_known() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    empty_log(d);
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
    keys_csv(d, "k.csv", 7, DAY * 144);
    create(d, "k.csv", "e.zip", "1", "1");
    let stderr = |o: Output| {
        assert_eq!(o.status.code(), Some(1));
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    // A bare export.bin with the wrong header.
    std::fs::write(d.join("export.bin"), b"EK Export v2    \x0a\x00").unwrap();
    let e = stderr(run(d, &["export", "inspect", "export.bin"]));
    assert!(
        e.contains("export.bin: export.bin starts with \"EK Export v2    \""),
        "{e}"
    );
    assert!(!e.contains("EOCD"), "{e}");
    // Unsigned, inspected with a key: says so.
    std::fs::write(d.join("bare.bin"), b"EK Export v1    ").unwrap();
    let e = stderr(run(
        d,
        &["export", "inspect", "bare.bin", "--public-key", "pub.pem"],
    ));
    assert!(e.contains("bare.bin: the file carries no signature"), "{e}");
    assert!(!e.contains("pass a public key"), "{e}");
    // A wrong key: both causes, no verdict.
    let other_pem = other.path().join("other.pem");
    let e = stderr(run(
        d,
        &[
            "export",
            "inspect",
            "e.zip",
            "--public-key",
            other_pem.to_str().unwrap(),
        ],
    ));
    assert!(
        e.contains("e.zip: ") && e.contains("either that is not the key"),
        "{e}"
    );
    assert!(!e.contains("forged"), "{e}");
    // A truncated zip: no internal type names.
    let z = std::fs::read(d.join("e.zip")).unwrap();
    std::fs::write(d.join("cut.zip"), &z[..z.len() - 10]).unwrap();
    let e = stderr(run(d, &["export", "inspect", "cut.zip"]));
    assert!(
        e.contains("cut.zip: the zip archive is damaged or truncated"),
        "{e}"
    );
    assert!(!e.contains("::"), "{e}");
    let now = now_arg();
    let e = stderr(run(
        d,
        &[
            "match",
            "--log",
            "log",
            "--now",
            &now,
            "--export",
            "bare.bin",
            "--public-key",
            "pub.pem",
        ],
    ));
    assert!(e.contains("--allow-unsigned"), "{e}");
    assert_eq!(e.lines().count(), 1, "{e}");
}
