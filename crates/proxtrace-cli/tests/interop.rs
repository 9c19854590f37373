//! Every file of `../shared/interop` (other projects' published export files and Bluezone
//! captures; or the folder named by `PROXTRACE_INTEROP_DIR`) with what its own project says
//! about it (the folder's README). Skipped with a notice when the folder is absent: the files
//! are third-party data and never part of this repository.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use proxtrace::bluezone::BluezoneId;
use proxtrace::gaen::{Metadata, TemporaryExposureKey};
use proxtrace::published::export::{
    AlgorithmName, ExportError, ExportReport, PublicKeyError, SignatureStatus, SignatureVerdict,
    TrustedKey, Verification, inspect_export, read_export_from,
};
use proxtrace::published::f0::parse_f0;
use proxtrace::time::{BluezoneSlot, EnIntervalNumber, UnixTime};

fn interop_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("PROXTRACE_INTEROP_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/interop"),
        PathBuf::from,
    );
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "skipping: interop folder {} not found (set PROXTRACE_INTEROP_DIR)",
            dir.display()
        );
        None
    }
}

macro_rules! interop_dir {
    () => {
        match interop_dir() {
            Some(d) => d,
            None => return,
        }
    };
}

fn key(dir: &Path, pem: &str) -> TrustedKey {
    TrustedKey::from_pem_or_der(&std::fs::read(dir.join(pem)).unwrap()).unwrap()
}

fn inspect(dir: &Path, file: &str, keys: Vec<TrustedKey>) -> ExportReport {
    let v = Verification {
        allow_unsigned: keys.is_empty(),
        ..Verification::trusting(keys)
    };
    let f = File::open(dir.join(file)).unwrap();
    inspect_export(BufReader::new(f), &v).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn read(
    dir: &Path,
    file: &str,
    v: &Verification,
) -> Result<proxtrace::published::export::ExportFile, ExportError> {
    read_export_from(BufReader::new(File::open(dir.join(file)).unwrap()), v)
}

/// What a file's project says: keys, skipped keys, region, the signature's key id and version
/// and algorithm name, and the verdict with the PEM given for it.
struct Expect {
    file: &'static str,
    keys: usize,
    skipped: usize,
    region: &'static str,
    pem: Option<&'static str>,
    verdict: Option<SignatureVerdict>,
    id: (&'static str, &'static str),
    algorithm: AlgorithmName,
}

macro_rules! expect {
    ($file:literal, $keys:literal keys, $skipped:literal skipped, $region:literal, $pem:expr, $verdict:expr, $id:expr, $alg:ident) => {
        Expect {
            file: $file,
            keys: $keys,
            skipped: $skipped,
            region: $region,
            pem: $pem,
            verdict: $verdict,
            id: $id,
            algorithm: AlgorithmName::$alg,
        }
    };
}

const EXPORTS: [Expect; 9] = {
    use SignatureVerdict::{DoesNotVerify, Verified};
    [
        expect!("gi-sample_diagnosis_key_file.zip", 140 keys, 0 skipped, "US", Some("gi-pub310.pem"), Some(Verified), ("310", "v1"), Oid),
        expect!("gi-app-export.bin", 110 keys, 0 skipped, "US", None, None, ("", ""), Oid),
        expect!("gi-cpp-testdata-export.bin", 200 keys, 0 skipped, "US", None, None, ("", ""), Oid),
        expect!("gs-testExport-2-records-1-of-1.zip", 2 keys, 0 skipped, "US", Some("gs-public.pem"), Some(Verified), ("some_id", "1"), Oid),
        expect!("nl-eks-1a082a5e.zip", 150 keys, 0 skipped, "NL", None, None, ("204", "v10"), Oid),
        expect!("fi-batch_test_2.zip", 2 keys, 0 skipped, "FI", None, None, ("244", "v1"), Oid),
        // The pre-standard name is recognised, so a P-256 key gets to check the signature
        // (which key 310 did not make: its verdict is "does not verify", not "unsupported").
        expect!("xam-KeysExample-export.zip", 110 keys, 0 skipped, "US", Some("gi-pub310.pem"), Some(DoesNotVerify), ("", "v1"), LegacyAlias),
        expect!("it-empty.zip", 0 keys, 0 skipped, "IT", None, None, ("key", "v1"), LegacyAlias),
        expect!("it-legit.zip", 1 keys, 500 skipped, "IT", None, None, ("key", "v1"), LegacyAlias),
    ]
};

const OTHER_FILES: [&str; 5] = [
    "README.md",
    "bz-thaidn-data_trace-1.txt",
    "gi-pub310.pem",
    "gs-public.pem",
    "fi-test-secp256k1.pem",
];

#[test]
fn every_export_file_reads_as_its_project_says() {
    let dir = interop_dir!();
    let mut table = Vec::new();
    for x in &EXPORTS {
        let keys: Vec<TrustedKey> = x.pem.map(|p| key(&dir, p)).into_iter().collect();
        let r = inspect(&dir, x.file, keys.clone());
        assert_eq!(r.keys + r.revised_keys, x.keys, "{}", x.file);
        assert_eq!(r.skipped.count, x.skipped, "{}", x.file);
        assert_eq!(r.header.region, x.region, "{}", x.file);
        match x.verdict {
            Some(v) => {
                assert_eq!(r.signatures.len(), 1, "{}", x.file);
                let c = &r.signatures[0];
                assert_eq!(c.verdict, v, "{}", x.file);
                assert_eq!((c.info.key_id.as_str(), c.info.key_version.as_str()), x.id);
                assert_eq!(c.algorithm_name, x.algorithm, "{}", x.file);
            }
            None if x.file.ends_with(".bin") => assert!(r.signatures.is_empty()),
            None => {
                let c = &r.signatures[0];
                assert_eq!(c.verdict, SignatureVerdict::NoConfiguredKey, "{}", x.file);
                assert_eq!((c.info.key_id.as_str(), c.info.key_version.as_str()), x.id);
                assert_eq!(c.algorithm_name, x.algorithm, "{}", x.file);
            }
        }
        // The reader agrees with the inspector, and a verified file reads verified.
        let v = Verification {
            allow_unsigned: keys.is_empty(),
            ..Verification::trusting(keys)
        };
        match (read(&dir, x.file, &v), x.verdict) {
            (Ok(f), Some(SignatureVerdict::Verified)) => {
                assert!(matches!(f.signature, SignatureStatus::Verified { .. }));
                assert_eq!(f.keys.len() + f.revised_keys.len(), x.keys);
            }
            (Ok(f), None) => assert_eq!(f.signature, SignatureStatus::NotVerified),
            (Err(ExportError::BadSignature { .. }), Some(SignatureVerdict::DoesNotVerify)) => {}
            (other, _) => panic!("{}: {other:?}", x.file),
        }
        table.push(format!(
            "{} → keys {} / skipped {} / {:?}",
            x.file,
            r.keys + r.revised_keys,
            r.skipped.count,
            r.signatures.first().map(|c| c.verdict)
        ));
    }
    eprintln!("{}", table.join("\n"));
    // Every file of the folder has an expectation here.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            EXPORTS.iter().any(|x| x.file == name) || OTHER_FILES.contains(&name.as_str()),
            "interop file {name} has no expectation in tests/interop.rs"
        );
    }
}

#[test]
fn field_details_of_the_files() {
    let dir = interop_dir!();
    // Google's native test file: 98 keys start in 2019, and all 200 read.
    let r = inspect(&dir, "gi-cpp-testdata-export.bin", vec![]);
    assert_eq!((r.keys, r.stats.before_2020), (200, 98));
    assert!(
        r.problems
            .iter()
            .any(|p| p.contains("98 keys start before 2020")),
        "{:?}",
        r.problems
    );
    // The server's example: rolling periods 1 and 114.
    let r = inspect(&dir, "gs-testExport-2-records-1-of-1.zip", vec![]);
    assert_eq!(r.stats.rolling_periods, BTreeMap::from([(1, 1), (114, 1)]));
    // Immuni's legit.zip: the 500 bad keys are 96 bytes of key_data; a strict reader refuses.
    let r = inspect(&dir, "it-legit.zip", vec![]);
    assert_eq!(r.skipped.by_kind.get("key_data_length"), Some(&500));
    let strict = Verification {
        strict: true,
        ..Verification::allow_unsigned()
    };
    let e = read(&dir, "it-legit.zip", &strict).unwrap_err();
    assert!(
        e.to_string().contains("key_data is 96 bytes, not 16"),
        "{e}"
    );
    // NL's zip also holds content.sig (a CMS signature of its own): ignored.
    let r = inspect(&dir, "nl-eks-1a082a5e.zip", vec![]);
    assert_eq!(r.header.signature_infos[0].key_id, "204");
    // A key bound to NL's id and version that is not NL's key: no verdict of forgery.
    let wrong = key(&dir, "gi-pub310.pem").bound_to("204", "v10");
    let e = read(
        &dir,
        "nl-eks-1a082a5e.zip",
        &Verification::trusting([wrong]),
    )
    .unwrap_err();
    assert!(matches!(e, ExportError::BadSignature { .. }));
    assert!(!e.to_string().contains("forged"), "{e}");
}

#[test]
fn the_finnish_secp256k1_test_key_is_refused_by_name() {
    let dir = interop_dir!();
    let e = TrustedKey::from_pem_or_der(&std::fs::read(dir.join("fi-test-secp256k1.pem")).unwrap())
        .unwrap_err();
    assert!(matches!(e, PublicKeyError::WrongCurve(_)), "{e}");
    let t = tempfile::tempdir().unwrap();
    let o = proxtrace(
        t.path(),
        &[
            "match",
            "--log",
            "log",
            "--now",
            "1610000000",
            "--export",
            dir.join("fi-batch_test_2.zip").to_str().unwrap(),
            "--public-key",
            dir.join("fi-test-secp256k1.pem").to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("secp256k1") && err.contains("P-256"), "{err}");
    assert!(err.contains("fi-test-secp256k1.pem"), "{err}");
}

fn proxtrace(dir: &Path, args: &[&str]) -> Output {
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

/// Google's RoundTripTests: an RPI of key `2b714d3e…` at interval 2646801 gives exactly one
/// match.
#[test]
fn googles_round_trip_one_rpi_one_match() {
    let dir = interop_dir!();
    let file = read(&dir, "gi-app-export.bin", &Verification::allow_unsigned()).unwrap();
    let keys = file.diagnosis_keys();
    let (index, k) = keys
        .iter()
        .enumerate()
        .find(|(_, k)| hex::encode(k.key.expose_secret()).starts_with("2b714d3e"))
        .expect("key 2b714d3e… in the file");
    let tek = TemporaryExposureKey::from_bytes(*k.key.expose_secret());
    let j = EnIntervalNumber::new(2_646_801);
    let rpi = tek
        .rolling_proximity_identifier_key()
        .rolling_proximity_identifier(j);
    let aem = tek
        .associated_encrypted_metadata_key()
        .encrypt(&rpi, &Metadata::v1_0(-10));
    let t = u64::from(j.get()) * 600 + 120;
    let work = tempfile::tempdir().unwrap();
    let d = work.path();
    // The sighting, and one of an unrelated RPI.
    std::fs::write(
        d.join("s.csv"),
        format!(
            "unix_time,scheme,id,aem,rssi\n{t},gaen,{},{},-60\n{},gaen,{},{},-60\n",
            rpi.to_hex(),
            aem.to_hex(),
            t + 30,
            "00112233445566778899aabbccddeeff",
            aem.to_hex()
        ),
    )
    .unwrap();
    let now = (t + 86_400).to_string();
    ok(proxtrace(
        d,
        &[
            "log", "import", "--log", "log", "--format", "csv", "--now", &now, "s.csv",
        ],
    ));
    let out = ok(proxtrace(
        d,
        &[
            "match",
            "--log",
            "log",
            "--now",
            &now,
            "--export",
            dir.join("gi-app-export.bin").to_str().unwrap(),
            "--allow-unsigned",
            "--json",
        ],
    ));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let windows = v["exposure_windows"].as_array().unwrap();
    assert_eq!(windows.len(), 1, "{out}");
    assert_eq!(windows[0]["diagnosis_key_index"], index);
    assert_eq!(windows[0]["scan_instances"].as_array().unwrap().len(), 1);
}

/// thaidn/bluezone's `data_trace.txt` upload: 101 sightings, milliseconds. Its first column
/// is the uploading phone's own broadcast IDs — the phone whose daily key the write-up's F0
/// payload (`notify.py`, 37 days) names. A log that saw that phone matches the payload.
#[test]
fn the_bluezone_capture_and_the_write_ups_payload() {
    let dir = interop_dir!();
    let trace = dir.join("bz-thaidn-data_trace-1.txt");
    let work = tempfile::tempdir().unwrap();
    let d = work.path();
    let now = "1596931200"; // a day after the capture
    let out = ok(proxtrace(
        d,
        &[
            "log",
            "import",
            "--log",
            "a",
            "--format",
            "bluezone-tsv",
            "--now",
            now,
            trace.to_str().unwrap(),
        ],
    ));
    assert!(out.contains("timestamps: milliseconds"), "{out}");
    assert!(out.contains("sightings: 101"), "{out}");

    // The payload the write-up sent, in its push message.
    let info = r#"{"data":[{"daily_key":"4C5224B397F8AB3896781D5AA0F3119F280513F1B592CA280EBDED6357E21084","time_start":1596844800,"time_end":1600000000,"max":96}]}"#;
    let push = serde_json::json!({"FindGUID": "123456", "InfoF": info}).to_string();
    let keys = parse_f0(push.as_bytes()).unwrap();
    assert_eq!(keys.len(), 37);
    // Every row's own ID is that key's ID of the UTC slot of its timestamp.
    let text = std::fs::read_to_string(&trace).unwrap();
    let mut swapped = String::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        let t = UnixTime::from_secs(f[3].trim().parse::<u64>().unwrap() / 1000);
        let k = keys
            .iter()
            .find(|k| k.daily_key.day() == t.utc_day().unwrap())
            .unwrap();
        let slot = BluezoneSlot::containing(t, k.slots_per_day).unwrap();
        let id: BluezoneId = k.daily_key.bluezone_id(slot).unwrap();
        assert_eq!(id.to_hex(), f[0].to_uppercase(), "{line}");
        // The same sighting seen the other way round: a phone that heard the uploader.
        swapped += &format!("{}\t{}\t{}\t{}\n", f[1], f[0], f[2], f[3].trim());
    }
    std::fs::write(d.join("heard.txt"), swapped).unwrap();
    ok(proxtrace(
        d,
        &[
            "log",
            "import",
            "--log",
            "b",
            "--format",
            "bluezone-tsv",
            "--now",
            now,
            "heard.txt",
        ],
    ));
    std::fs::write(d.join("push.json"), &push).unwrap();
    let out = ok(proxtrace(
        d,
        &[
            "match",
            "--log",
            "b",
            "--now",
            now,
            "--f0",
            "push.json",
            "--json",
        ],
    ));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let windows = v["exposure_windows"].as_array().unwrap();
    assert!(!windows.is_empty(), "{out}");
    assert!(windows.iter().all(|w| w["date"] == "2020-08-08"), "{out}");
    // The log that holds only what the uploader heard (other phones' IDs) does not match.
    let out = ok(proxtrace(
        d,
        &["match", "--log", "a", "--now", now, "--f0", "push.json"],
    ));
    assert!(out.contains("exposure_windows: 0"), "{out}");
}
