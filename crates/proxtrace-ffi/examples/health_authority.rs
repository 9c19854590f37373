//! A stand-in health authority for the C and Java tests: turn the keys a phone reported
//! (the JSON of `pt_tracer_diagnosis_keys`) into a day's batch set of signed GAEN export
//! files, as a key server publishes them.
//!
//! `cargo run -p proxtrace-ffi --example health_authority -- KEYS_JSON OUT_DIR BATCH_SIZE`
//!
//! Writes `OUT_DIR/export-1.zip` … `export-N.zip` (the reported keys spread over the files,
//! among 20 other people's random keys per file, each file signed with batch_num/batch_size)
//! and `OUT_DIR/match-config.json`, the `config_json` a phone passes to
//! `pt_tracer_match_exports` to trust the signing key. A fresh signing key every run.

use std::path::PathBuf;

use base64::Engine as _;
use proxtrace::gaen::TemporaryExposureKey;
use proxtrace::published::{GaenDiagnosisKey, ReportType};
use proxtrace::time::EnIntervalNumber;
use proxtrace_cli::export_writer::{ExportMeta, Signer, write_export_zip};
use ring::rand::{SecureRandom, SystemRandom};
use serde::Deserialize;

#[derive(Deserialize)]
struct Report {
    gaen: Vec<ReportedKey>,
}

#[derive(Deserialize)]
struct ReportedKey {
    key_data: String,
    rolling_start_interval_number: u32,
    rolling_period: u32,
}

fn fail(m: impl std::fmt::Display) -> ! {
    eprintln!("health_authority: {m}");
    std::process::exit(1)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [keys, out, batch] = args.as_slice() else {
        fail("usage: health_authority KEYS_JSON OUT_DIR BATCH_SIZE")
    };
    let batch: usize = match batch.parse() {
        Ok(n) if (1..=100).contains(&n) => n,
        _ => fail("BATCH_SIZE must be 1…100"),
    };
    let out = PathBuf::from(out);
    let json = std::fs::read(keys).unwrap_or_else(|e| fail(format!("{keys}: {e}")));
    let report: Report = serde_json::from_slice(&json).unwrap_or_else(|e| fail(e));
    let b64 = base64::engine::general_purpose::STANDARD;
    let key = |data: [u8; 16], start: u32, period: u32| GaenDiagnosisKey {
        key: TemporaryExposureKey::from_bytes(data),
        rolling_start: EnIntervalNumber::new(start),
        rolling_period: period,
        report_type: ReportType::ConfirmedTest,
        days_since_onset_of_symptoms: Some(0),
        transmission_risk_level: None,
    };
    let reported: Vec<GaenDiagnosisKey> = report
        .gaen
        .iter()
        .map(|k| {
            let bytes = b64
                .decode(&k.key_data)
                .unwrap_or_else(|e| fail(format!("key_data: {e}")));
            let data: [u8; 16] = bytes
                .try_into()
                .unwrap_or_else(|_| fail("key_data is not 16 bytes"));
            key(data, k.rolling_start_interval_number, k.rolling_period)
        })
        .collect();
    let rng = SystemRandom::new();
    let pkcs8 = Signer::generate_pkcs8(&rng).unwrap_or_else(|e| fail(e));
    let signer = Signer::from_pkcs8(&pkcs8, "310", "v1", &rng).unwrap_or_else(|e| fail(e));
    std::fs::create_dir_all(&out).unwrap_or_else(|e| fail(format!("{}: {e}", out.display())));
    let day = reported
        .first()
        .map_or(2_650_000 / 144 * 144, |k| k.rolling_start.get() / 144 * 144);
    for n in 0..batch {
        let mut keys: Vec<GaenDiagnosisKey> = (0..20)
            .map(|_| {
                let mut k = [0u8; 16];
                rng.fill(&mut k)
                    .unwrap_or_else(|_| fail("random generator"));
                key(k, day, 144)
            })
            .collect();
        keys.extend(reported.iter().skip(n).step_by(batch).cloned());
        let mut meta = ExportMeta::covering(&keys, "VN");
        meta.batch_num = i32::try_from(n + 1).unwrap_or(1);
        meta.batch_size = i32::try_from(batch).unwrap_or(1);
        let zip = write_export_zip(&meta, &keys, &[], &signer, &rng).unwrap_or_else(|e| fail(e));
        let path = out.join(format!("export-{}.zip", n + 1));
        std::fs::write(&path, zip).unwrap_or_else(|e| fail(format!("{}: {e}", path.display())));
    }
    let config = serde_json::json!({
        "public_keys": [{
            "pem": signer.trusted_key().to_pem(),
            "key_id": signer.key_id(),
            "key_version": signer.key_version(),
        }]
    });
    let path = out.join("match-config.json");
    std::fs::write(&path, config.to_string())
        .unwrap_or_else(|e| fail(format!("{}: {e}", path.display())));
}
