//! A 1 M-key export file streams: reading it from disk holds the decompressed `export.bin`
//! once, never the zip twice and never a million decoded keys at once. Measured by a counting
//! global allocator (this test binary's only test, so nothing else allocates meanwhile).

use std::sync::atomic::Ordering::Relaxed;

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::{CURRENT, PEAK};

use proxtrace::gaen::TemporaryExposureKey;
use proxtrace::published::export::{Verification, visit_export};
use proxtrace::published::{GaenDiagnosisKey, ReportType};
use proxtrace::time::EnIntervalNumber;
use proxtrace_cli::export_writer::{ExportMeta, Signer, write_export_zip};
use ring::rand::SystemRandom;

#[test]
fn a_million_key_export_streams_in_one_copy_of_export_bin() {
    const N: u32 = 1_000_000;
    let rng = SystemRandom::new();
    let signer =
        Signer::from_pkcs8(&Signer::generate_pkcs8(&rng).unwrap(), "1", "v1", &rng).unwrap();
    let keys: Vec<GaenDiagnosisKey> = (0..N)
        .map(|i| {
            let mut k = [0u8; 16];
            k[..4].copy_from_slice(&i.to_le_bytes());
            k[4..8].copy_from_slice(&i.wrapping_mul(2_654_435_761).to_le_bytes());
            GaenDiagnosisKey {
                key: TemporaryExposureKey::from_bytes(k),
                rolling_start: EnIntervalNumber::new(2_989_440 + 144 * (i % 14)),
                rolling_period: 144,
                report_type: ReportType::ConfirmedTest,
                days_since_onset_of_symptoms: Some((i % 7) as i32),
                transmission_risk_level: None,
            }
        })
        .collect();
    let bin_len = proxtrace_cli::export_writer::write_export_bin(
        &ExportMeta::covering(&keys, "VN"),
        &keys,
        &[],
        Some(&signer),
    )
    .unwrap()
    .len();
    let zip = write_export_zip(
        &ExportMeta::covering(&keys, "VN"),
        &keys,
        &[],
        &signer,
        &rng,
    )
    .unwrap();
    drop(keys);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.zip");
    std::fs::write(&path, &zip).unwrap();
    let file_len = zip.len();
    drop(zip);

    let base = CURRENT.load(Relaxed);
    PEAK.store(base, Relaxed);
    let file = std::io::BufReader::new(std::fs::File::open(&path).unwrap());
    let mut count = 0u32;
    let mut checksum = 0u64;
    visit_export(
        file,
        &Verification::trusting([signer.trusted_key()]),
        |_, k| {
            count += 1;
            checksum += u64::from(k.key.expose_secret()[0]);
        },
    )
    .unwrap();
    let peak = PEAK.load(Relaxed) - base;
    assert_eq!(count, N);
    assert!(checksum > 0);
    println!(
        "1M-key export: zip {file_len} bytes, export.bin {bin_len} bytes, peak heap while streaming {peak} bytes"
    );
    // One copy of export.bin plus buffers: never the zip in memory, never two copies, never
    // the decoded keys.
    assert!(
        peak < bin_len + bin_len / 16 + (1 << 20),
        "peak {peak} bytes for a {bin_len}-byte export.bin"
    );
}
