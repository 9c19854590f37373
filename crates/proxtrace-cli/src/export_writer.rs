//! Writing and signing GAEN export files: what a health authority's key server does. The
//! core crate only reads and verifies them (`proxtrace::published::export`).
//!
//! ```
//! use proxtrace::published::export::{Verification, read_export};
//! use proxtrace_cli::export_writer::{ExportMeta, Signer, write_export_zip};
//! # use proxtrace::gaen::TemporaryExposureKey;
//! # use proxtrace::published::{GaenDiagnosisKey, ReportType};
//! # use proxtrace::time::EnIntervalNumber;
//! let rng = ring::rand::SystemRandom::new();
//! let signer = Signer::from_pkcs8(&Signer::generate_pkcs8(&rng)?, "310", "v1", &rng)?;
//! let key = GaenDiagnosisKey {
//!     key: TemporaryExposureKey::from_bytes([7; 16]),
//!     rolling_start: EnIntervalNumber::new(2_650_000 / 144 * 144),
//!     rolling_period: 144,
//!     report_type: ReportType::ConfirmedTest,
//!     days_since_onset_of_symptoms: Some(1),
//!     transmission_risk_level: None,
//! };
//! let zip = write_export_zip(&ExportMeta::covering(&[key.clone()], "VN"), &[key], &[], &signer, &rng)?;
//! let file = read_export(&zip, &Verification::trusting([signer.trusted_key()]))?;
//! assert_eq!(file.keys.len(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::io::Cursor;

use prost::Message;
use proxtrace::published::GaenDiagnosisKey;
use proxtrace::published::export::proto::{
    SignatureInfo, TEKSignature, TEKSignatureList, TemporaryExposureKeyExport,
};
use proxtrace::published::export::{
    ECDSA_P256_SHA256_OID, EXPORT_BIN, EXPORT_HEADER, EXPORT_SIG, ExportError, TrustedKey,
    tek_message, validate_key,
};
use proxtrace::time::EN_INTERVAL_SECONDS;
use ring::rand::SecureRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};

/// Why an export file could not be written or signed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// A key breaks the rules every reader applies (it could not be read back).
    #[error("cannot write this key: {0}")]
    InvalidKey(#[source] ExportError),
    /// A signing key that cannot be used.
    #[error("bad signing key: {0}")]
    BadKey(String),
    /// The signature could not be made (the random generator or the key failed).
    #[error("signing failed")]
    Signing(#[source] ring::error::Unspecified),
    /// Encoding the protobuf failed.
    #[error("encoding export.bin failed")]
    Encode(#[source] prost::EncodeError),
    /// Writing the zip failed.
    #[error("writing the export zip failed")]
    Zip(#[source] zip::result::ZipError),
    /// Writing a zip entry failed.
    #[error("writing the export zip failed")]
    Io(#[from] std::io::Error),
}

/// Header fields of an export to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportMeta {
    /// `start_timestamp`, unix seconds.
    pub start_timestamp: u64,
    /// `end_timestamp`, unix seconds.
    pub end_timestamp: u64,
    /// `region` (e.g. an ISO country code).
    pub region: String,
    /// `batch_num` (1-based).
    pub batch_num: i32,
    /// `batch_size`.
    pub batch_size: i32,
}

impl ExportMeta {
    /// A single-batch export whose time range covers the keys' validity.
    pub fn covering(keys: &[GaenDiagnosisKey], region: &str) -> Self {
        let start = keys
            .iter()
            .map(|k| k.rolling_start.get())
            .min()
            .unwrap_or(0);
        let end = keys
            .iter()
            .map(|k| k.rolling_start.get().saturating_add(k.rolling_period))
            .max()
            .unwrap_or(0);
        Self {
            start_timestamp: u64::from(start) * EN_INTERVAL_SECONDS,
            end_timestamp: u64::from(end) * EN_INTERVAL_SECONDS,
            region: region.to_owned(),
            batch_num: 1,
            batch_size: 1,
        }
    }
}

fn info_message(signer: &Signer) -> SignatureInfo {
    SignatureInfo {
        verification_key_version: Some(signer.key_version().to_owned()),
        verification_key_id: Some(signer.key_id().to_owned()),
        signature_algorithm: Some(signer.algorithm.clone()),
    }
}

/// `export.bin`: header, then the protobuf with `signer`'s signature info (if any).
pub fn write_export_bin(
    meta: &ExportMeta,
    keys: &[GaenDiagnosisKey],
    revised_keys: &[GaenDiagnosisKey],
    signer: Option<&Signer>,
) -> Result<Vec<u8>, WriteError> {
    for (index, k) in keys.iter().chain(revised_keys).enumerate() {
        validate_key(k, index).map_err(WriteError::InvalidKey)?;
    }
    let header = TemporaryExposureKeyExport {
        start_timestamp: Some(meta.start_timestamp),
        end_timestamp: Some(meta.end_timestamp),
        region: Some(meta.region.clone()),
        batch_num: Some(meta.batch_num),
        batch_size: Some(meta.batch_size),
        signature_infos: signer.map(info_message).into_iter().collect(),
    };
    let mut out = Vec::with_capacity(64 + 32 * (keys.len() + revised_keys.len()));
    out.extend_from_slice(EXPORT_HEADER);
    header.encode(&mut out).map_err(WriteError::Encode)?;
    for (tag, list) in [(7, keys), (8, revised_keys)] {
        for k in list {
            prost::encoding::message::encode(tag, &tek_message(k), &mut out);
        }
    }
    Ok(out)
}

/// `export.sig` for an `export.bin`.
pub fn write_export_sig(
    bin: &[u8],
    meta: &ExportMeta,
    signer: &Signer,
    rng: &dyn SecureRandom,
) -> Result<Vec<u8>, WriteError> {
    let list = TEKSignatureList {
        signatures: vec![TEKSignature {
            signature_info: Some(info_message(signer)),
            batch_num: Some(meta.batch_num),
            batch_size: Some(meta.batch_size),
            signature: Some(signer.sign(bin, rng)?),
        }],
    };
    Ok(list.encode_to_vec())
}

/// A signed export zip (`export.bin` deflated, `export.sig`).
pub fn write_export_zip(
    meta: &ExportMeta,
    keys: &[GaenDiagnosisKey],
    revised_keys: &[GaenDiagnosisKey],
    signer: &Signer,
    rng: &dyn SecureRandom,
) -> Result<Vec<u8>, WriteError> {
    let bin = write_export_bin(meta, keys, revised_keys, Some(signer))?;
    let sig = write_export_sig(&bin, meta, signer, rng)?;
    zip_entries(&[(EXPORT_BIN, &bin), (EXPORT_SIG, &sig)])
}

/// A zip of these entries (deflated), in this order.
pub fn zip_entries(entries: &[(&str, &[u8])]) -> Result<Vec<u8>, WriteError> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(
            entries
                .iter()
                .any(|(_, d)| d.len() as u64 >= u64::from(u32::MAX)),
        );
    for (name, data) in entries {
        w.start_file(*name, options).map_err(WriteError::Zip)?;
        w.write_all(data)?;
    }
    let out = w.finish().map_err(WriteError::Zip)?;
    Ok(out.into_inner())
}

/// A server's signing key (PKCS#8 P-256) with the key id and version it signs as.
pub struct Signer {
    pair: EcdsaKeyPair,
    public: TrustedKey,
    key_id: String,
    key_version: String,
    algorithm: String,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("key_id", &self.key_id)
            .field("key_version", &self.key_version)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// From a PKCS#8 private key (DER, or PEM `PRIVATE KEY`).
    pub fn from_pkcs8(
        bytes: &[u8],
        key_id: impl Into<String>,
        key_version: impl Into<String>,
        rng: &dyn SecureRandom,
    ) -> Result<Self, WriteError> {
        let der;
        let der_bytes = if bytes.starts_with(b"-----") {
            let p = pem::parse(bytes).map_err(|e| WriteError::BadKey(format!("PEM: {e}")))?;
            if p.tag() != "PRIVATE KEY" {
                return Err(WriteError::BadKey(format!(
                    "expected a PEM PRIVATE KEY (PKCS#8), got {}",
                    p.tag()
                )));
            }
            der = p.into_contents();
            &der[..]
        } else {
            bytes
        };
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, der_bytes, rng)
            .map_err(|e| WriteError::BadKey(format!("not a P-256 PKCS#8 private key: {e}")))?;
        let (key_id, key_version) = (key_id.into(), key_version.into());
        let public = TrustedKey::from_uncompressed_point(pair.public_key().as_ref())
            .map_err(|e| WriteError::BadKey(e.to_string()))?
            .bound_to(key_id.clone(), key_version.clone());
        Ok(Self {
            pair,
            public,
            key_id,
            key_version,
            algorithm: ECDSA_P256_SHA256_OID.to_owned(),
        })
    }

    /// Name the algorithm `name` in `signature_algorithm` instead of the OID
    /// `1.2.840.10045.4.3.2` (the signature is ECDSA P-256 / SHA-256 either way): to
    /// reproduce files that use a legacy name such as `ECDSA p-256 SHA-256`.
    pub fn with_algorithm_name(mut self, name: impl Into<String>) -> Self {
        self.algorithm = name.into();
        self
    }

    /// A new random P-256 key pair as PKCS#8 DER (for tests and new deployments).
    pub fn generate_pkcs8(rng: &dyn SecureRandom) -> Result<Vec<u8>, WriteError> {
        EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, rng)
            .map(|d| d.as_ref().to_vec())
            .map_err(WriteError::Signing)
    }

    /// The public key, trusted for this signer's key id and version.
    pub fn trusted_key(&self) -> TrustedKey {
        self.public.clone()
    }

    /// `verification_key_id`.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// `verification_key_version`.
    pub fn key_version(&self) -> &str {
        &self.key_version
    }

    fn sign(&self, message: &[u8], rng: &dyn SecureRandom) -> Result<Vec<u8>, WriteError> {
        self.pair
            .sign(rng, message)
            .map(|s| s.as_ref().to_vec())
            .map_err(WriteError::Signing)
    }
}
