//! At rest, through the C ABI: with `storage_key` in the configuration no TEK, Bluezone daily
//! key, RPI or Bluezone ID appears in plaintext in any file of the directory (searched byte
//! by byte; the same search finds them without a key, so it can fail), every file is 0600
//! with or without a key, and a wrong or missing key is `PT_WRONG_KEY` and changes nothing.

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use proxtrace_ffi::{pt_event_kind, pt_result};
use support::{START, bluezone_scan_record, gaen_scan_record, open};

const KEY_A: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const KEY_B: &str = "f0e1d2c3b4a5968778695a4b3c2d1e0f00112233445566778899aabbccddeeff";

/// A small log (256 KiB) keeps the byte-by-byte search quick.
fn config(key: Option<&str>) -> String {
    let base = r#""schemes":{"gaen":true,"bluezone":true},"log_capacity_bytes":262144"#;
    match key {
        Some(k) => format!(r#"{{{base},"storage_key":"{k}"}}"#),
        None => format!("{{{base}}}"),
    }
}

/// Every file under `dir` (recursively), with its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.insert(p.display().to_string(), std::fs::read(&p).unwrap());
        }
    }
    out
}

/// The names of the secrets found anywhere in `bytes` (one pass per secret length).
fn found_in<'a>(bytes: &[u8], secrets: &'a [(String, Vec<u8>)]) -> Vec<&'a str> {
    let mut by_len: BTreeMap<usize, std::collections::HashMap<&[u8], &str>> = BTreeMap::new();
    for (name, s) in secrets {
        by_len.entry(s.len()).or_default().insert(s, name);
    }
    let mut out = Vec::new();
    for (len, set) in &by_len {
        for w in bytes.windows(*len) {
            if let Some(name) = set.get(w) {
                out.push(*name);
            }
        }
    }
    out
}

/// Two phones meet for 40 minutes, alice reports; returns every secret that was on air or
/// published: TEKs, daily keys, RPIs, Bluezone IDs (alice's, which bob logged, and bob's).
fn run(dirs: [&Path; 2], key: [Option<&str>; 2]) -> Vec<(String, Vec<u8>)> {
    let alice = open(dirs[0], &config(key[0])).unwrap();
    let bob = open(dirs[1], &config(key[1])).unwrap();
    let mut secrets = Vec::new();
    for s in (0..40 * 60).step_by(60) {
        let now = START + s;
        assert_eq!(alice.timeout(now), pt_result::PT_OK);
        assert_eq!(bob.timeout(now), pt_result::PT_OK);
        let a = alice.advertisement(now);
        let (g, b) = (a.gaen.unwrap(), a.bluezone.unwrap());
        let e = bob
            .advertising_data(&gaen_scan_record(&g), -60, now)
            .unwrap();
        assert_eq!(e.kind, pt_event_kind::PT_EVENT_RECORDED);
        let e = bob
            .advertising_data(&bluezone_scan_record(&b), -60, now)
            .unwrap();
        assert_eq!(e.kind, pt_event_kind::PT_EVENT_RECORDED);
        secrets.push(("alice's RPI".into(), g[..16].to_vec()));
        secrets.push(("alice's Bluezone ID".into(), b.to_vec()));
        let p = bob.advertisement(now);
        let (g, b) = (p.gaen.unwrap(), p.bluezone.unwrap());
        alice.service_data16(0xfd6f, &g, -60, now).unwrap();
        alice.manufacturer_data(0x22b5, &b, -60, now).unwrap();
        secrets.push(("bob's RPI".into(), g[..16].to_vec()));
        secrets.push(("bob's Bluezone ID".into(), b.to_vec()));
    }
    let end = START + 3600;
    assert_eq!(alice.flush(end), pt_result::PT_OK);
    assert_eq!(bob.flush(end), pt_result::PT_OK);
    for (name, t) in [("alice", &alice), ("bob", &bob)] {
        let report: serde_json::Value =
            serde_json::from_str(&t.diagnosis_keys(0, end).unwrap()).unwrap();
        for k in report["gaen"].as_array().unwrap() {
            let tek = base64::engine::general_purpose::STANDARD
                .decode(k["key_data"].as_str().unwrap())
                .unwrap();
            secrets.push((format!("{name}'s TEK"), tek));
        }
        for k in report["f0"]["data"].as_array().unwrap() {
            let dk = hex::decode(k["daily_key"].as_str().unwrap()).unwrap();
            secrets.push((format!("{name}'s daily key"), dk));
        }
        // The fresh keys after the report are stored too: advance so they are used.
        assert_eq!(t.timeout(end + 60), pt_result::PT_OK);
        let fresh = t.advertisement(end + 60);
        secrets.push((
            format!("{name}'s fresh RPI"),
            fresh.gaen.unwrap()[..16].to_vec(),
        ));
        secrets.push((
            format!("{name}'s fresh ID"),
            fresh.bluezone.unwrap().to_vec(),
        ));
        assert_eq!(t.flush(end + 60), pt_result::PT_OK);
    }
    assert_eq!(alice.close(), pt_result::PT_OK);
    assert_eq!(bob.close(), pt_result::PT_OK);
    secrets
}

#[test]
fn with_a_storage_key_nothing_secret_is_stored_in_plaintext() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let secrets = run([a.path(), b.path()], [Some(KEY_A), Some(KEY_B)]);
    assert!(secrets.iter().any(|(n, _)| n.contains("TEK")));
    assert!(secrets.iter().any(|(n, _)| n.contains("daily key")));
    let all: BTreeMap<String, Vec<u8>> =
        files(a.path()).into_iter().chain(files(b.path())).collect();
    assert!(all.len() >= 4, "{:?}", all.keys());
    for (path, bytes) in &all {
        let found = found_in(bytes, &secrets);
        assert!(found.is_empty(), "{found:?} in plaintext in {path}");
    }
    // The log says it is sealed.
    let alice = open(a.path(), &config(Some(KEY_A))).unwrap();
    assert_eq!(alice.log_stats()["encrypted"], true);
    assert!(alice.log_stats()["records"].as_u64().unwrap() > 0);
}

#[test]
fn without_a_key_the_same_search_finds_the_secrets() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let secrets = run([a.path(), b.path()], [None, None]);
    let all: Vec<Vec<u8>> = files(a.path())
        .into_values()
        .chain(files(b.path()).into_values())
        .collect();
    let names: Vec<&str> = all.iter().flat_map(|f| found_in(f, &secrets)).collect();
    let found = |what: &str| names.iter().any(|n| n.contains(what));
    for what in ["TEK", "daily key", "RPI", "Bluezone ID"] {
        assert!(
            found(what),
            "no plaintext {what} found: the search could not fail"
        );
    }
}

#[cfg(unix)]
#[test]
fn every_file_is_0600_with_or_without_a_key() {
    use std::os::unix::fs::PermissionsExt;
    for key in [None, Some(KEY_A)] {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        run([a.path(), b.path()], [key, key]);
        for path in files(a.path())
            .into_keys()
            .chain(files(b.path()).into_keys())
        {
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{path} with key {key:?}");
        }
    }
}

#[test]
fn a_wrong_or_missing_key_is_refused_and_changes_nothing() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    run([a.path(), b.path()], [Some(KEY_A), None]);
    let before = (files(a.path()), files(b.path()));
    for (dir, cfg, what) in [
        (a.path(), config(Some(KEY_B)), "wrong storage_key"),
        (a.path(), config(None), "sealed"),
        (b.path(), config(Some(KEY_A)), "without one"),
    ] {
        let (code, msg) = open(dir, &cfg).err().unwrap();
        assert_eq!(code, pt_result::PT_WRONG_KEY, "{msg}");
        assert!(msg.contains(what), "{msg}");
        assert!(
            msg.contains(dir.to_str().unwrap()),
            "the message names the directory: {msg}"
        );
        assert!(
            !msg.contains(KEY_A) && !msg.contains(KEY_B),
            "the key is never repeated"
        );
    }
    assert_eq!((files(a.path()), files(b.path())), before);
    // The right key still opens, and the log is intact.
    let t = open(a.path(), &config(Some(KEY_A))).unwrap();
    assert!(t.log_stats()["records"].as_u64().unwrap() > 0);
    drop(t);
    // A malformed key is a configuration error that does not echo the key.
    let (code, msg) = open(a.path(), &config(Some(&KEY_A[..63]))).err().unwrap();
    assert_eq!(code, pt_result::PT_BAD_CONFIG);
    assert!(
        msg.contains("storage_key") && !msg.contains(&KEY_A[..63]),
        "{msg}"
    );
}
