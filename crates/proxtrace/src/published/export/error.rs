//! What can be wrong with an export file, a key in it, or a public key.

use super::KeyList;

/// An export file that cannot be read or verified. Nothing is returned from a file with any
/// of these. Messages name the file's fields and the reader's settings (`Verification`,
/// `ExportLimits`), never a command-line flag: the caller adds the file name and its own
/// advice.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// Reading the file failed.
    #[error("reading the export file failed: {0}")]
    Io(#[from] std::io::Error),
    /// The file is empty.
    #[error("the file is empty: not a GAEN export file")]
    Empty,
    /// Neither a zip archive nor a bare `export.bin`.
    #[error(
        "not a GAEN export file: neither a zip archive nor a bare export.bin (it starts with {start})"
    )]
    NotAnExport {
        /// The first bytes, as text when printable, else hex.
        start: String,
        /// Why it is not a zip either.
        #[source]
        source: zip::result::ZipError,
    },
    /// A zip archive that cannot be read.
    #[error("{}", zip_problem(.0))]
    Zip(#[source] zip::result::ZipError),
    /// An entry of the zip cannot be decompressed.
    #[error("{entry} in the zip cannot be decompressed ({source}); the archive is damaged")]
    ZipEntry {
        /// Which entry.
        entry: String,
        /// What the decompressor said.
        #[source]
        source: std::io::Error,
    },
    /// A zip entry appears twice (an attacker could show one copy to the verifier and the
    /// other to the parser).
    #[error(
        "the zip holds {0} more than once; rejecting it (one copy could be shown to the verifier and another to the reader)"
    )]
    DuplicateEntry(String),
    /// A required zip entry is missing.
    #[error("the zip has no {0}: it is not a GAEN export file")]
    MissingEntry(&'static str),
    /// An entry is larger, or compressed more, than the configured limits allow.
    #[error(
        "{entry} is too large ({reason}); raise the matching ExportLimits field if this file is genuine"
    )]
    TooLarge {
        /// Which entry.
        entry: String,
        /// Which limit.
        reason: String,
    },
    /// `export.bin` does not start with `"EK Export v1    "`.
    #[error(
        "export.bin starts with {found}, not \"EK Export v1    \": not an export of a version this reader knows"
    )]
    BadHeader {
        /// The first (up to) 16 bytes found, quoted when printable, else hex.
        found: String,
    },
    /// The protobuf is malformed or truncated: the file's structure is broken, so no key in
    /// it can be trusted to be where it seems.
    #[error("export.bin is malformed: {what} cannot be decoded ({source})")]
    Protobuf {
        /// Which message.
        what: &'static str,
        /// What the decoder said.
        #[source]
        source: prost::DecodeError,
    },
    /// A message runs past the end of `export.bin`.
    #[error("export.bin is truncated: {0} runs past the end of the file; download the file again")]
    Truncated(&'static str),
    /// A key entry that cannot be used, in a reader configured to be strict
    /// (`Verification::strict`), or handed to a writer.
    #[error("{list} #{index}: {problem}")]
    InvalidKey {
        /// 0-based position in its list (`keys` or `revised_keys`).
        index: usize,
        /// Which list.
        list: KeyList,
        /// What is wrong.
        problem: KeyProblem,
    },
    /// The file is unsigned (a bare `export.bin`, no `export.sig`, or no signatures in it)
    /// and unsigned files are not allowed.
    #[error(
        "the export file carries no signature (a bare export.bin, or a zip without signatures in export.sig), so it cannot be verified; accept it only if its origin is checked another way (Verification.allow_unsigned)"
    )]
    Unsigned,
    /// No signature is by a configured key (by key id and version).
    #[error(
        "no signature in the file is by a configured public key (the file's signatures name key id:version {0}); configure the health authority's public key for one of them"
    )]
    NoTrustedSignature(String),
    /// A signature by a configured key does not verify. Which of the two causes it is cannot
    /// be known from the file.
    #[error(
        "the signature of key id {key_id:?} version {key_version:?} does not verify with the configured public key: either that is not the key that signed this file (check the health authority's published key for this id and version), or the file was changed after it was signed"
    )]
    BadSignature {
        /// `verification_key_id`.
        key_id: String,
        /// `verification_key_version`.
        key_version: String,
    },
    /// A signature names an algorithm other than ECDSA P-256 with SHA-256 (by its OID or a
    /// known alias).
    #[error(
        "unsupported signature_algorithm {0:?}: GAEN export files are signed with ECDSA P-256 / SHA-256 (1.2.840.10045.4.3.2)"
    )]
    UnsupportedAlgorithm(String),
}

fn zip_problem(e: &zip::result::ZipError) -> String {
    use zip::result::ZipError as Z;
    // The zip crate's own texts can name its internal types; say what it means instead and
    // keep the original as the source.
    match e {
        Z::Io(io) => format!("reading the zip archive failed: {io}"),
        Z::InvalidArchive(_) => {
            "the zip archive is damaged or truncated; download the file again".to_owned()
        }
        Z::UnsupportedArchive(_) | Z::CompressionMethodNotSupported(_) => {
            "the zip archive uses a feature this reader does not support (export files are plain deflate or stored zips)".to_owned()
        }
        Z::InvalidPassword => {
            "the zip archive is encrypted; export files are not".to_owned()
        }
        _ => "the zip archive cannot be read".to_owned(),
    }
}

/// Why one key entry of an export cannot be used. In a default reader the key is skipped and
/// counted ([`SkippedKeys`](super::SkippedKeys)); a strict reader refuses the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyProblem {
    /// The entry is not a valid `TemporaryExposureKey` message.
    #[error("not a valid TemporaryExposureKey message ({0})")]
    Malformed(prost::DecodeError),
    /// `key_data` is absent.
    #[error("key_data is missing")]
    KeyDataMissing,
    /// `key_data` is not 16 bytes.
    #[error("key_data is {0} bytes, not 16")]
    KeyDataLength(usize),
    /// `rolling_start_interval_number` is absent.
    #[error("rolling_start_interval_number is missing")]
    RollingStartMissing,
    /// `rolling_start_interval_number` is negative.
    #[error("rolling_start_interval_number {0} is negative")]
    RollingStartNegative(i32),
    /// `rolling_period` outside 1…144.
    #[error("rolling_period {0} is outside 1…144")]
    RollingPeriod(i32),
    /// `report_type` is not a value the protocol defines.
    #[error("report_type {0} is not defined (0…5)")]
    ReportType(i32),
    /// `days_since_onset_of_symptoms` outside −14…14.
    #[error("days_since_onset_of_symptoms {0} is outside −14…14")]
    DaysSinceOnset(i32),
}

impl KeyProblem {
    /// A stable snake_case name of the kind of problem (for counting and JSON).
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "malformed",
            Self::KeyDataMissing => "key_data_missing",
            Self::KeyDataLength(_) => "key_data_length",
            Self::RollingStartMissing => "rolling_start_missing",
            Self::RollingStartNegative(_) => "rolling_start_negative",
            Self::RollingPeriod(_) => "rolling_period",
            Self::ReportType(_) => "report_type",
            Self::DaysSinceOnset(_) => "days_since_onset",
        }
    }
}

/// A public key that cannot be trusted to verify export files.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublicKeyError {
    /// Looks like PEM but does not parse.
    #[error("not a readable PEM file ({0})")]
    Pem(#[source] pem::PemError),
    /// PEM of another kind (a private key, a certificate…).
    #[error("the PEM block is a {0:?}, not a \"PUBLIC KEY\" (SubjectPublicKeyInfo)")]
    PemLabel(String),
    /// Not a DER SubjectPublicKeyInfo.
    #[error("not a SubjectPublicKeyInfo (expected a PEM \"PUBLIC KEY\" or its DER bytes)")]
    NotSpki,
    /// Not an elliptic-curve key.
    #[error(
        "the key is not an elliptic-curve key (algorithm {0}); GAEN export files are signed with ECDSA P-256"
    )]
    NotEc(String),
    /// An elliptic-curve key on another curve than P-256.
    #[error(
        "the key is on curve {0}, not P-256 (prime256v1): GAEN export files are signed with ECDSA P-256, so this key cannot verify them; ask the health authority for its P-256 key"
    )]
    WrongCurve(String),
    /// A P-256 key whose point is compressed or malformed.
    #[error("the P-256 public point is not a 65-byte uncompressed point")]
    BadPoint,
}
