//! GAEN diagnosis key export files: read and verify. (Writing and signing are a health
//! authority's job: the `proxtrace-cli` crate does them.)
//!
//! An export is a zip of `export.bin` (the 16-byte header `"EK Export v1    "` and a
//! `TemporaryExposureKeyExport` protobuf) and `export.sig` (a `TEKSignatureList` of ECDSA
//! P-256 / SHA-256 signatures over the whole `export.bin`). Byte tables:
//! `docs/export-format.md`.
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

mod error;
pub mod proto;
mod verify;

use std::io::{Cursor, Read, Seek};

use prost::Message;
use prost::encoding::{WireType, decode_key, decode_varint, skip_field};
use serde::Serialize;

pub use error::ExportError;
pub use verify::{ECDSA_P256_SHA256_OID, TrustedKey};

use crate::gaen::TemporaryExposureKey;
use crate::time::EnIntervalNumber;

use super::{GaenDiagnosisKey, ReportType};
use proto::{ExportHeaderMessage, SignatureInfoMessage, SignatureListMessage, TekMessage};

/// The first 16 bytes of every `export.bin`.
pub const EXPORT_HEADER: &[u8; 16] = b"EK Export v1    ";
/// Name of the key file in the zip.
pub const EXPORT_BIN: &str = "export.bin";
/// Name of the signature file in the zip.
pub const EXPORT_SIG: &str = "export.sig";
/// The earliest plausible rolling start: 2020-01-01 (GAEN started in 2020).
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

/// Which public keys a reader trusts, and whether unsigned files are acceptable.
#[derive(Debug, Clone, Default)]
pub struct Verification {
    /// Keys trusted to sign (each for any key id or bound to one id and version).
    pub trusted_keys: Vec<TrustedKey>,
    /// Accept files without a signature from a trusted key. Off by default; a signature by a
    /// trusted key that fails to verify is rejected even when this is on.
    pub allow_unsigned: bool,
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

/// One `SignatureInfo` of the header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignatureInfo {
    /// `verification_key_id`.
    pub key_id: String,
    /// `verification_key_version`.
    pub key_version: String,
    /// `signature_algorithm` (an OID).
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyList {
    /// `keys` (field 7).
    Keys,
    /// `revised_keys` (field 8).
    RevisedKeys,
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
    let (header, signature) = visit_export(reader, verification, |list, k| match list {
        KeyList::Keys => keys.push(k),
        KeyList::RevisedKeys => revised_keys.push(k),
    })?;
    Ok(ExportFile {
        header,
        keys,
        revised_keys,
        signature,
    })
}

/// Stream an export's keys to `visit` one at a time, after the signature has verified
/// (nothing reaches `visit` from a file whose signature fails). A malformed key later in a
/// (trusted or allowed-unsigned) file is an error after earlier keys were visited: discard
/// what was visited when this returns an error. Memory: the decompressed `export.bin` once,
/// plus one key.
pub fn visit_export<R: Read + Seek>(
    mut reader: R,
    verification: &Verification,
    mut visit: impl FnMut(KeyList, GaenDiagnosisKey),
) -> Result<(ExportHeader, SignatureStatus), ExportError> {
    let mut magic = [0u8; 16];
    let n = read_up_to(&mut reader, &mut magic)?;
    reader.rewind()?;
    let (bin, sig) = if n == 16 && &magic == EXPORT_HEADER {
        let mut bin = Vec::new();
        // At most one byte past the limit: enough to tell that it was exceeded.
        (&mut reader)
            .take(verification.limits.max_export_bin_bytes.saturating_add(1))
            .read_to_end(&mut bin)?;
        check_len(
            bin.len(),
            verification.limits.max_export_bin_bytes,
            EXPORT_BIN,
        )?;
        (bin, None)
    } else {
        unzip(reader, &verification.limits)?
    };
    // The signature covers the bytes: check it before anything is decoded.
    if !bin.starts_with(EXPORT_HEADER) {
        return Err(ExportError::BadHeader);
    }
    let status = verify(&bin, sig.as_deref(), verification)?;
    let header = decode(&bin, &mut visit)?;
    Ok((header, status))
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> Result<usize, ExportError> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

fn check_len(len: usize, limit: u64, what: &str) -> Result<(), ExportError> {
    if len as u64 > limit {
        return Err(ExportError::TooLarge {
            entry: what.to_owned(),
            reason: format!("more than {limit} bytes"),
        });
    }
    Ok(())
}

fn unzip<R: Read + Seek>(
    reader: R,
    limits: &ExportLimits,
) -> Result<(Vec<u8>, Option<Vec<u8>>), ExportError> {
    let mut zip = zip::ZipArchive::new(reader).map_err(|e| ExportError::Zip(e.to_string()))?;
    if zip.has_duplicate_names() {
        return Err(ExportError::DuplicateEntry("an entry name".into()));
    }
    if zip.len() > limits.max_entries {
        return Err(ExportError::TooLarge {
            entry: "the zip".into(),
            reason: format!("{} entries, more than {}", zip.len(), limits.max_entries),
        });
    }
    let mut bin = None;
    let mut sig = None;
    for i in 0..zip.len() {
        let entry = zip
            .by_index(i)
            .map_err(|e| ExportError::Zip(e.to_string()))?;
        let name = entry
            .name()
            .map_err(|e| ExportError::Zip(e.to_string()))?
            .into_owned();
        let (slot, limit) = match name.as_str() {
            EXPORT_BIN => (&mut bin, limits.max_export_bin_bytes),
            EXPORT_SIG => (&mut sig, limits.max_export_sig_bytes),
            _ => continue, // other entries are ignored
        };
        if slot.is_some() {
            return Err(ExportError::DuplicateEntry(name));
        }
        if entry.size() > limit {
            return Err(ExportError::TooLarge {
                entry: name,
                reason: format!("{} bytes declared, limit {limit}", entry.size()),
            });
        }
        if entry.size() > 1 << 20
            && entry.size() / entry.compressed_size().max(1) > limits.max_compression_ratio
        {
            return Err(ExportError::TooLarge {
                entry: name,
                reason: format!(
                    "compressed {}:1, limit {}:1",
                    entry.size() / entry.compressed_size().max(1),
                    limits.max_compression_ratio
                ),
            });
        }
        // The declared size may lie: read at most limit + 1 bytes and check.
        let mut data = Vec::with_capacity(entry.size().min(limit) as usize);
        entry
            .take(limit.saturating_add(1))
            .read_to_end(&mut data)
            .map_err(|e| ExportError::Zip(format!("{name}: {e}")))?;
        check_len(data.len(), limit, &name)?;
        *slot = Some(data);
    }
    let bin = bin.ok_or(ExportError::MissingEntry(EXPORT_BIN))?;
    Ok((bin, sig))
}

fn proto_err(what: &'static str) -> impl Fn(prost::DecodeError) -> ExportError {
    move |e| ExportError::Protobuf {
        what,
        reason: e.to_string(),
    }
}

/// Walk `export.bin`: header fields are collected, keys are decoded and checked one by one.
fn decode(
    bin: &[u8],
    visit: &mut dyn FnMut(KeyList, GaenDiagnosisKey),
) -> Result<ExportHeader, ExportError> {
    let body = bin
        .strip_prefix(&EXPORT_HEADER[..])
        .ok_or(ExportError::BadHeader)?;
    let mut buf = body;
    let mut header_fields = Vec::new();
    let mut index = 0usize;
    while !buf.is_empty() {
        let start = body.len() - buf.len();
        let (tag, wire) = decode_key(&mut buf).map_err(proto_err("TemporaryExposureKeyExport"))?;
        if (tag == 7 || tag == 8) && wire == WireType::LengthDelimited {
            let len = decode_varint(&mut buf).map_err(proto_err("TemporaryExposureKey"))?;
            let len = usize::try_from(len).unwrap_or(usize::MAX);
            if len > buf.len() {
                return Err(ExportError::Protobuf {
                    what: "TemporaryExposureKey",
                    reason: "truncated".into(),
                });
            }
            let (msg, rest) = buf.split_at(len);
            buf = rest;
            let m = TekMessage::decode(msg).map_err(proto_err("TemporaryExposureKey"))?;
            let key = check_key(&m, index)?;
            index += 1;
            visit(
                if tag == 7 {
                    KeyList::Keys
                } else {
                    KeyList::RevisedKeys
                },
                key,
            );
        } else {
            skip_field(wire, tag, &mut buf, Default::default())
                .map_err(proto_err("TemporaryExposureKeyExport"))?;
            header_fields.extend_from_slice(&body[start..body.len() - buf.len()]);
        }
    }
    let h = ExportHeaderMessage::decode(&header_fields[..])
        .map_err(proto_err("TemporaryExposureKeyExport"))?;
    Ok(ExportHeader {
        start_timestamp: h.start_timestamp.unwrap_or(0),
        end_timestamp: h.end_timestamp.unwrap_or(0),
        region: h.region.unwrap_or_default(),
        batch_num: h.batch_num.unwrap_or(1),
        batch_size: h.batch_size.unwrap_or(1),
        signature_infos: h.signature_infos.into_iter().map(info_from).collect(),
    })
}

fn info_from(m: SignatureInfoMessage) -> SignatureInfo {
    SignatureInfo {
        key_id: m.verification_key_id.unwrap_or_default(),
        key_version: m.verification_key_version.unwrap_or_default(),
        algorithm: m.signature_algorithm.unwrap_or_default(),
    }
}

fn check_key(m: &TekMessage, index: usize) -> Result<GaenDiagnosisKey, ExportError> {
    let bad = |reason: String| ExportError::InvalidKey { index, reason };
    let data = m
        .key_data
        .as_deref()
        .ok_or_else(|| bad("key_data is missing".into()))?;
    let key = TemporaryExposureKey::from_slice(data)
        .map_err(|_| bad(format!("key_data is {} bytes, not 16", data.len())))?;
    let start = m
        .rolling_start_interval_number
        .ok_or_else(|| bad("rolling_start_interval_number is missing".into()))?;
    let period = m.rolling_period.unwrap_or(144);
    if !(1..=144).contains(&period) {
        return Err(bad(format!("rolling_period {period} is outside 1…144")));
    }
    let max_start = i32::MAX - 144;
    if !(MIN_ROLLING_START as i32..=max_start).contains(&start) {
        return Err(bad(format!(
            "rolling_start_interval_number {start} is implausible (before 2020 or past year 42000)"
        )));
    }
    let report_type = match m.report_type {
        None => ReportType::Unknown,
        Some(v) => {
            ReportType::from_i32(v).ok_or_else(|| bad(format!("report_type {v} is not defined")))?
        }
    };
    if let Some(d) = m.days_since_onset_of_symptoms
        && !(-14..=14).contains(&d)
    {
        return Err(bad(format!(
            "days_since_onset_of_symptoms {d} is outside −14…14"
        )));
    }
    Ok(GaenDiagnosisKey {
        key,
        rolling_start: EnIntervalNumber::new(start as u32),
        rolling_period: period as u32,
        report_type,
        days_since_onset_of_symptoms: m.days_since_onset_of_symptoms,
        transmission_risk_level: m.transmission_risk_level,
    })
}

fn verify(
    bin: &[u8],
    sig: Option<&[u8]>,
    v: &Verification,
) -> Result<SignatureStatus, ExportError> {
    let list = match sig {
        Some(s) => SignatureListMessage::decode(s).map_err(proto_err("TEKSignatureList"))?,
        None => SignatureListMessage::default(),
    };
    let mut seen = Vec::new();
    for s in &list.signatures {
        let info = s
            .signature_info
            .clone()
            .map(info_from)
            .unwrap_or(SignatureInfo {
                key_id: String::new(),
                key_version: String::new(),
                algorithm: String::new(),
            });
        seen.push(format!("{}:{}", info.key_id, info.key_version));
        let candidates: Vec<&TrustedKey> = v
            .trusted_keys
            .iter()
            .filter(|k| k.accepts(&info.key_id, &info.key_version))
            .collect();
        if candidates.is_empty() {
            continue;
        }
        if info.algorithm != ECDSA_P256_SHA256_OID {
            return Err(ExportError::UnsupportedAlgorithm(info.algorithm));
        }
        let signature = s.signature.as_deref().unwrap_or_default();
        if candidates.iter().any(|k| k.verify(bin, signature)) {
            return Ok(SignatureStatus::Verified {
                key_id: info.key_id,
                key_version: info.key_version,
            });
        }
        return Err(ExportError::BadSignature {
            key_id: info.key_id,
            key_version: info.key_version,
        });
    }
    if v.allow_unsigned {
        return Ok(SignatureStatus::NotVerified);
    }
    if list.signatures.is_empty() {
        Err(ExportError::Unsigned)
    } else {
        Err(ExportError::NoTrustedSignature(seen.join(", ")))
    }
}

/// The wire message of a key (what a writer encodes).
pub fn tek_message(k: &GaenDiagnosisKey) -> TekMessage {
    TekMessage {
        key_data: Some(k.key.expose_secret().to_vec()),
        transmission_risk_level: k.transmission_risk_level,
        rolling_start_interval_number: Some(k.rolling_start.get() as i32),
        rolling_period: Some(k.rolling_period as i32),
        report_type: Some(k.report_type.to_i32()),
        days_since_onset_of_symptoms: k.days_since_onset_of_symptoms,
    }
}

/// Check a key against the rules a reader applies (`ExportError::InvalidKey` naming `index`
/// otherwise), so that nothing is written that could not be read back.
pub fn validate_key(key: &GaenDiagnosisKey, index: usize) -> Result<(), ExportError> {
    check_key(&tek_message(key), index).map(drop)
}
