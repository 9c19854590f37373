//! What can be wrong with an export file.

/// An export file that cannot be read, verified or written. Nothing is returned from a file
/// with any of these.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// Reading the file failed.
    #[error("I/O error reading the export file: {0}")]
    Io(#[from] std::io::Error),
    /// Not a zip, or a damaged one.
    #[error("not a valid export zip: {0}")]
    Zip(String),
    /// A zip entry appears twice (an attacker could show one copy to the verifier and the
    /// other to the parser).
    #[error("the zip holds {0} more than once; rejecting it")]
    DuplicateEntry(String),
    /// A required zip entry is missing.
    #[error("the zip has no {0}")]
    MissingEntry(&'static str),
    /// An entry is larger, or compressed more, than the configured limits allow.
    #[error("{entry} is too large ({reason}); raise ExportLimits if this file is genuine")]
    TooLarge {
        /// Which entry.
        entry: String,
        /// Which limit.
        reason: String,
    },
    /// `export.bin` does not start with `"EK Export v1    "`.
    #[error("export.bin does not start with the header \"EK Export v1    \"")]
    BadHeader,
    /// The protobuf is malformed or truncated.
    #[error("malformed protobuf in {what}: {reason}")]
    Protobuf {
        /// Which message.
        what: &'static str,
        /// What the decoder said.
        reason: String,
    },
    /// A key entry breaks the protocol's rules.
    #[error("key #{index}: {reason}")]
    InvalidKey {
        /// 0-based position among `keys` then `revised_keys`.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// The file is unsigned (a bare `export.bin`, or no signatures) and unsigned files are
    /// not allowed.
    #[error("the export file is not signed; pass a public key, or allow unsigned files explicitly")]
    Unsigned,
    /// No signature is by a configured key (by id and version).
    #[error(
        "no signature in the file is from a configured key (file has: {0}); configure the health authority's key"
    )]
    NoTrustedSignature(String),
    /// A signature by a configured key does not verify: the file was altered or forged.
    #[error(
        "the signature by key {key_id} version {key_version} does not verify: the file was altered or is forged"
    )]
    BadSignature {
        /// `verification_key_id`.
        key_id: String,
        /// `verification_key_version`.
        key_version: String,
    },
    /// A signature uses an algorithm other than ECDSA P-256 with SHA-256.
    #[error(
        "unsupported signature algorithm {0:?} (only 1.2.840.10045.4.3.2, ECDSA P-256 SHA-256)"
    )]
    UnsupportedAlgorithm(String),
    /// A public or private key that cannot be used.
    #[error("bad key: {0}")]
    BadKey(String),
    /// Signing failed.
    #[error("signing failed: {0}")]
    Signing(String),
}
