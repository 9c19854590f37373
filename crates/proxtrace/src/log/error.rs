//! What can go wrong with the encounter log.

use std::io;

use crate::time::UnixTime;

/// An encounter log error. Bad input never corrupts what is already stored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LogError {
    /// Reading or writing the storage failed.
    #[error("encounter log I/O error: {0}")]
    Io(#[from] io::Error),
    /// The file is not an encounter log.
    #[error("not a proxtrace encounter log (bad magic); refusing to touch it")]
    NotALog,
    /// The file header fails its checksum or holds impossible values.
    #[error("the encounter log's file header is corrupt; move the file away to start a new log")]
    CorruptHeader,
    /// Written by a newer format version.
    #[error(
        "encounter log format version {0} is newer than this proxtrace reads (1); upgrade proxtrace"
    )]
    UnsupportedVersion(u8),
    /// The file is shorter than its header says.
    #[error(
        "the encounter log file is {actual} bytes but its header says {expected}; it was truncated"
    )]
    Truncated {
        /// Length from the header.
        expected: u64,
        /// Actual length.
        actual: u64,
    },
    /// The log is encrypted and no key was given.
    #[error("the encounter log is encrypted: pass its 32-byte key")]
    KeyRequired,
    /// A key was given for a log that is not encrypted.
    #[error("a key was given but this encounter log is not encrypted; open it without a key")]
    NotEncrypted,
    /// The key does not match the log's key check.
    #[error("wrong key for this encrypted encounter log (nothing was read or changed)")]
    WrongKey,
    /// The AEAD refused an operation.
    #[error("encryption failure: {0}")]
    Crypto(&'static str),
    /// A record older than the newest one stored.
    #[error(
        "records must be appended in time order: this one starts at {given}, the log's newest starts at {newest}"
    )]
    OutOfOrder {
        /// `first_seen` of the newest record in the log.
        newest: UnixTime,
        /// `first_seen` of the rejected record.
        given: UnixTime,
    },
    /// A record whose fields contradict each other.
    #[error("invalid record: {0}")]
    InvalidRecord(String),
    /// Creation options that cannot work.
    #[error("invalid log options: {0}")]
    InvalidOptions(String),
}
