//! GAEN diagnosis key export files: read, verify and inspect. (Writing and signing are a
//! health authority's job: the `proxtrace-cli` crate does them.)
//!
//! An export is a zip of `export.bin` (the 16-byte header `"EK Export v1    "` and a
//! `TemporaryExposureKeyExport` protobuf) and `export.sig` (a `TEKSignatureList` of ECDSA
//! P-256 / SHA-256 signatures over the whole `export.bin`). Byte tables:
//! `docs/export-format.md`.
//!
//! The reader takes what the field publishes: a key entry that cannot be used (wrong
//! `key_data` length, `rolling_period` out of range…) in an otherwise valid file is skipped
//! and counted in [`ExportFile::skipped`], as the phones' own readers do; a strict reader
//! ([`Verification::strict`]) refuses the file instead. Whether a key's days are plausible is
//! not a reading concern: a key far from the log's days simply cannot match.
//!
//! ```
//! use proxtrace::published::export::{ExportError, Verification, read_export};
//! // A bare export.bin (header, empty protobuf) carries no signature: accepted only when the
//! // caller allows unsigned files.
//! let bare = b"EK Export v1    ";
//! assert_eq!(read_export(bare, &Verification::allow_unsigned())?.keys.len(), 0);
//! assert!(matches!(read_export(bare, &Verification::default()), Err(ExportError::Unsigned)));
//! # Ok::<(), ExportError>(())
//! ```

mod batch;
mod container;
mod decode;
mod error;
mod inspect;
pub mod proto;
mod verify;

use std::fmt;
use std::io::{Cursor, Read, Seek};

use prost::Message;
use serde::Serialize;

pub use batch::{BatchSet, batch_sets};
pub use container::Container;
pub use decode::{MAX_SKIPPED_EXAMPLES, SkippedKey, SkippedKeys};
pub use error::{ExportError, KeyProblem, PublicKeyError};
pub use inspect::{ExportReport, KeyStats, MAX_KEY_AGE_DAYS, inspect_export};
pub use verify::{
    AlgorithmName, ECDSA_P256_SHA256_ALIASES, ECDSA_P256_SHA256_OID, SignatureCheck,
    SignatureVerdict, TrustedKey,
};

use super::GaenDiagnosisKey;
use proto::{SignatureInfo as SignatureInfoMessage, TEKSignatureList};

/// The first 16 bytes of every `export.bin`.
pub const EXPORT_HEADER: &[u8; 16] = b"EK Export v1    ";
/// Name of the key file in the zip.
pub const EXPORT_BIN: &str = "export.bin";
/// Name of the signature file in the zip.
pub const EXPORT_SIG: &str = "export.sig";
/// 2020-01-01 as an interval number. GAEN began in 2020, so an earlier key is suspicious (the
/// inspector reports it); the reader accepts it (Google's own test file has 98 such keys).
pub const MIN_ROLLING_START: u32 = 2_629_584;

/// Bounds that protect a reader from zip bombs and absurd files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportLimits {
    /// Largest `export.bin` accepted, bytes (default 256 MiB ≈ 8 M keys).
    pub max_export_bin_bytes: u64,
    /// Largest `export.sig` accepted, bytes (default 64 KiB).
    pub max_export_sig_bytes: u64,
    /// Largest ratio of uncompressed to compressed size for entries over 1 MiB (default
    /// 50; keys are random, so real exports barely compress).
    pub max_compression_ratio: u64,
    /// Most entries in the zip (default 16).
    pub max_entries: usize,
}

impl Default for ExportLimits {
    fn default() -> Self {
        Self {
            max_export_bin_bytes: 256 << 20,
            max_export_sig_bytes: 64 << 10,
            max_compression_ratio: 50,
            max_entries: 16,
        }
    }
}

/// How a reader treats a file: which public keys it trusts, whether unsigned files and
/// unusable keys are acceptable, and its size limits.
#[derive(Debug, Clone, Default)]
pub struct Verification {
    /// Keys trusted to sign (each for any key id or bound to one id and version).
    pub trusted_keys: Vec<TrustedKey>,
    /// Accept files without a signature from a trusted key. Off by default; a signature by a
    /// trusted key that fails to verify is rejected even when this is on.
    pub allow_unsigned: bool,
    /// Refuse a file in which any key entry cannot be used ([`ExportError::InvalidKey`]),
    /// instead of skipping and counting such keys. Off by default, as phones read files.
    pub strict: bool,
    /// Size limits.
    pub limits: ExportLimits,
}

impl Verification {
    /// Trust these keys; unsigned files are rejected.
    pub fn trusting(keys: impl IntoIterator<Item = TrustedKey>) -> Self {
        Self {
            trusted_keys: keys.into_iter().collect(),
            ..Self::default()
        }
    }

    /// Accept any file, signed or not (testing, or files whose origin is checked elsewhere).
    pub fn allow_unsigned() -> Self {
        Self {
            allow_unsigned: true,
            ..Self::default()
        }
    }
}

/// One `SignatureInfo` of the header or of a signature.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SignatureInfo {
    /// `verification_key_id`.
    pub key_id: String,
    /// `verification_key_version`.
    pub key_version: String,
    /// `signature_algorithm` (an OID, or a legacy name: [`AlgorithmName`]).
    pub algorithm: String,
}

/// The header fields of an export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportHeader {
    /// `start_timestamp`, unix seconds.
    pub start_timestamp: u64,
    /// `end_timestamp`, unix seconds.
    pub end_timestamp: u64,
    /// `region`.
    pub region: String,
    /// `batch_num` (1-based).
    pub batch_num: i32,
    /// `batch_size`.
    pub batch_size: i32,
    /// `signature_infos`.
    pub signature_infos: Vec<SignatureInfo>,
}

/// What the signature check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SignatureStatus {
    /// A signature by a trusted key verified.
    Verified {
        /// `verification_key_id`.
        key_id: String,
        /// `verification_key_version`.
        key_version: String,
    },
    /// Not verified (no trusted key signed it, or no signature), accepted because the
    /// caller allows unsigned files.
    NotVerified,
}

/// Which list of the export a key came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyList {
    /// `keys` (field 7).
    Keys,
    /// `revised_keys` (field 8).
    RevisedKeys,
}

impl fmt::Display for KeyList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Keys => "keys",
            Self::RevisedKeys => "revised_keys",
        })
    }
}

/// A whole export file.
#[derive(Debug, Clone)]
pub struct ExportFile {
    /// Header fields.
    pub header: ExportHeader,
    /// `keys`, in file order.
    pub keys: Vec<GaenDiagnosisKey>,
    /// `revised_keys`, in file order (they supersede earlier entries of the same key).
    pub revised_keys: Vec<GaenDiagnosisKey>,
    /// Key entries that could not be used (none in a strict reader).
    pub skipped: SkippedKeys,
    /// The signature check.
    pub signature: SignatureStatus,
}

impl ExportFile {
    /// Keys in publication order for the matcher: `keys`, then `revised_keys`.
    pub fn diagnosis_keys(&self) -> Vec<GaenDiagnosisKey> {
        self.keys
            .iter()
            .chain(&self.revised_keys)
            .cloned()
            .collect()
    }
}

/// What [`visit_export`] found besides the keys.
#[derive(Debug, Clone)]
pub struct ExportSummary {
    /// Header fields.
    pub header: ExportHeader,
    /// The signature check.
    pub signature: SignatureStatus,
    /// Key entries that could not be used.
    pub skipped: SkippedKeys,
    /// The container the file came in.
    pub container: Container,
}

/// Read and verify an export from bytes: a zip, or a bare `export.bin` (which has no
/// signature, so it is accepted only when unsigned files are allowed).
pub fn read_export(bytes: &[u8], verification: &Verification) -> Result<ExportFile, ExportError> {
    read_export_from(Cursor::new(bytes), verification)
}

/// [`read_export`] from a reader (a file): the zip is read entry by entry, and only the
/// decompressed `export.bin` is held in memory.
pub fn read_export_from<R: Read + Seek>(
    reader: R,
    verification: &Verification,
) -> Result<ExportFile, ExportError> {
    let mut keys = Vec::new();
    let mut revised_keys = Vec::new();
    let s = visit_export(reader, verification, |list, k| match list {
        KeyList::Keys => keys.push(k),
        KeyList::RevisedKeys => revised_keys.push(k),
    })?;
    Ok(ExportFile {
        header: s.header,
        keys,
        revised_keys,
        skipped: s.skipped,
        signature: s.signature,
    })
}

/// Stream an export's keys to `visit` one at a time, after the signature has verified
/// (nothing reaches `visit` from a file whose signature fails). A structural error later in a
/// (trusted or allowed-unsigned) file, or an unusable key in a strict reader, is an error
/// after earlier keys were visited: discard what was visited when this returns an error.
/// Memory: the decompressed `export.bin` once, plus one key.
pub fn visit_export<R: Read + Seek>(
    reader: R,
    verification: &Verification,
    mut visit: impl FnMut(KeyList, GaenDiagnosisKey),
) -> Result<ExportSummary, ExportError> {
    let loaded = container::load(reader, &verification.limits)?;
    // The signature covers the bytes: check it before anything is decoded.
    let list = signature_list(loaded.sig.as_deref())?;
    let checks = verify::check_signatures(&loaded.bin, &list, &verification.trusted_keys);
    let signature = verify::decide(&checks, verification.allow_unsigned)?;
    let (header, skipped) = decode::decode(&loaded.bin, verification.strict, &mut visit)?;
    Ok(ExportSummary {
        header,
        signature,
        skipped,
        container: loaded.container,
    })
}

fn signature_list(sig: Option<&[u8]>) -> Result<TEKSignatureList, ExportError> {
    match sig {
        Some(s) => TEKSignatureList::decode(s).map_err(|source| ExportError::Protobuf {
            what: "TEKSignatureList (export.sig)",
            source,
        }),
        None => Ok(TEKSignatureList::default()),
    }
}

fn info_from(m: SignatureInfoMessage) -> SignatureInfo {
    SignatureInfo {
        key_id: m.verification_key_id.unwrap_or_default(),
        key_version: m.verification_key_version.unwrap_or_default(),
        algorithm: m.signature_algorithm.unwrap_or_default(),
    }
}

/// Bytes for a message: quoted text when printable ASCII, else hex.
fn printable(bytes: &[u8]) -> String {
    if !bytes.is_empty() && bytes.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        format!("{:?}", String::from_utf8_lossy(bytes))
    } else {
        format!("bytes {}", hex::encode(bytes))
    }
}

/// The wire message of a key (what a writer encodes).
pub fn tek_message(k: &GaenDiagnosisKey) -> proto::TemporaryExposureKey {
    proto::TemporaryExposureKey {
        key_data: Some(k.key.expose_secret().to_vec()),
        transmission_risk_level: k.transmission_risk_level,
        rolling_start_interval_number: Some(i32::try_from(k.rolling_start.get()).unwrap_or(-1)),
        rolling_period: Some(i32::try_from(k.rolling_period).unwrap_or(0)),
        report_type: Some(k.report_type.to_i32()),
        days_since_onset_of_symptoms: k.days_since_onset_of_symptoms,
    }
}

/// Check a key against the rules a reader applies ([`ExportError::InvalidKey`] naming
/// `index` in `keys` otherwise), so that nothing is written that a reader would skip.
pub fn validate_key(key: &GaenDiagnosisKey, index: usize) -> Result<(), ExportError> {
    decode::check_key(&tek_message(key))
        .map(drop)
        .map_err(|problem| ExportError::InvalidKey {
            index,
            list: KeyList::Keys,
            problem,
        })
}
