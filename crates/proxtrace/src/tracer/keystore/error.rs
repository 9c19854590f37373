//! What can go wrong with the key store. Decoding never changes anything: every error leaves
//! the stored bytes as they were (they may be the only copy of what an infected user must
//! publish).

use std::io;

use super::records::RecordKind;
use super::{FORMAT_VERSION, MAX_FILE_LEN};

/// Why a key store could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyStoreError {
    /// Reading or writing the store failed.
    #[error("key store I/O error: {0}")]
    Io(#[from] io::Error),
    /// The file does not start with the key store magic.
    #[error(
        "not a proxtrace key store (bad magic); refusing to overwrite it — move it away if it is not needed"
    )]
    BadMagic,
    /// Written by a newer proxtrace.
    #[error(
        "key store format version {0} is newer than this proxtrace understands (1…{FORMAT_VERSION}); upgrade proxtrace"
    )]
    UnsupportedVersion(u16),
    /// Flag bits this version does not know: written by a newer proxtrace.
    #[error(
        "key store flags {0:#06x} include bits this proxtrace does not know; upgrade proxtrace"
    )]
    UnsupportedFlags(u16),
    /// Shorter than its header says.
    #[error(
        "key store is truncated ({actual} of {expected} bytes); restore it from a backup — it is not replaced automatically"
    )]
    Truncated {
        /// Bytes the header announces.
        expected: usize,
        /// Bytes present.
        actual: usize,
    },
    /// Longer than its header says.
    #[error(
        "key store has {actual} bytes but its header announces {expected}; restore it from a backup — it is not replaced automatically"
    )]
    TrailingBytes {
        /// Bytes the header announces.
        expected: usize,
        /// Bytes present.
        actual: usize,
    },
    /// The header announces more bytes than any key store can hold.
    #[error(
        "key store announces {announced} bytes, more than the {MAX_FILE_LEN}-byte limit; the file is corrupt or not a key store"
    )]
    TooLarge {
        /// Bytes announced.
        announced: u64,
    },
    /// The checksum does not match.
    #[error(
        "key store checksum mismatch (the file is corrupt); restore it from a backup — it is not replaced automatically"
    )]
    Checksum,
    /// More records of one kind than the format allows.
    #[error("key store holds {count} {kind} records; at most {max} are allowed")]
    TooManyKeys {
        /// Which list.
        kind: RecordKind,
        /// Records announced (or given to `encode`).
        count: u64,
        /// The limit, [`MAX_KEYS_PER_SCHEME`](super::MAX_KEYS_PER_SCHEME).
        max: usize,
    },
    /// A record breaks the format's rules.
    #[error("key store {kind} record {index} is invalid: {reason}")]
    InvalidRecord {
        /// Which list.
        kind: RecordKind,
        /// Position in the list (0-based).
        index: usize,
        /// The rule it breaks.
        reason: &'static str,
    },
    /// The payload does not decode.
    #[error("key store payload does not decode ({0}); restore it from a backup")]
    Decode(String),
    /// The store is sealed and no storage key was given.
    #[error(
        "the key store is sealed with a storage key: pass it as storage_key (nothing was read or changed)"
    )]
    KeyRequired,
    /// The storage key given is not the one the store was sealed with.
    #[error(
        "wrong storage_key for this sealed key store (nothing was read or changed); pass the key it was sealed with"
    )]
    WrongKey,
    /// The checksum and key check match but the sealed payload fails authentication: the file
    /// was changed by someone who could recompute the checksum.
    #[error(
        "the sealed key store fails authentication although its checksum and key check match: it was tampered with; restore it from a backup"
    )]
    Tampered,
    /// The AEAD or the key derivation refused an operation.
    #[error("key store encryption failure: {0}")]
    Crypto(&'static str),
    /// The random generator failed (sealing needs a fresh salt and nonce).
    #[error("the random generator failed while sealing the key store; nothing was written")]
    Random(#[source] Box<dyn std::error::Error + Send + Sync>),
}
