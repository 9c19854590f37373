//! Publication as a health authority would do it, read back as every phone would.

use proxtrace::published::export::{Verification, read_export};
use proxtrace::published::f0::{parse_f0, write_f0};
use proxtrace::published::{BluezoneDiagnosisKey, GaenDiagnosisKey};

use super::SimError;
use crate::export_writer::{ExportMeta, Signer, write_export_bin, write_export_zip};

/// Through the wire formats and back: GAEN keys as a signed export file (verified with the
/// authority's public key), Bluezone keys as an F0 payload. Returns the keys as parsed and the
/// size of `export.bin` plus the F0 JSON.
pub(crate) fn round_trip(
    gaen: Vec<GaenDiagnosisKey>,
    bluezone: Vec<BluezoneDiagnosisKey>,
) -> Result<(Vec<GaenDiagnosisKey>, Vec<BluezoneDiagnosisKey>, usize), SimError> {
    let err = |e: &dyn std::fmt::Display| SimError::Publish(e.to_string());
    let mut size = 0;
    let gaen = if gaen.is_empty() {
        gaen
    } else {
        // The signature is random (ECDSA), so the reported size is export.bin's.
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = Signer::generate_pkcs8(&rng).map_err(|e| err(&e))?;
        let signer = Signer::from_pkcs8(&pkcs8, "sim", "v1", &rng).map_err(|e| err(&e))?;
        let meta = ExportMeta::covering(&gaen, "SIM");
        size += write_export_bin(&meta, &gaen, &[], Some(&signer))
            .map_err(|e| err(&e))?
            .len();
        let zip = write_export_zip(&meta, &gaen, &[], &signer, &rng).map_err(|e| err(&e))?;
        read_export(&zip, &Verification::trusting([signer.trusted_key()]))
            .map_err(|e| err(&e))?
            .diagnosis_keys()
    };
    let bluezone = if bluezone.is_empty() {
        bluezone
    } else {
        let json = write_f0(&bluezone);
        size += json.len();
        parse_f0(json.as_bytes()).map_err(|e| err(&e))?
    };
    Ok((gaen, bluezone, size))
}
