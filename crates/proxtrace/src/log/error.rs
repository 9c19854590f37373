//! What can go wrong with the encounter log.

use std::io;
use std::path::PathBuf;

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
    /// A retention below one day would delete today's records as they are written.
    #[error("retention_days must be at least 1 (got {retention_days})")]
    InvalidRetention {
        /// The retention given.
        retention_days: u32,
    },
    /// A capacity above [`MAX_CAPACITY`](super::MAX_CAPACITY), asked for at creation or declared
    /// by a file's header.
    #[error(
        "an encounter log of {capacity_bytes} bytes is above the maximum of {max} bytes; \
         choose a smaller capacity_bytes"
    )]
    CapacityTooLarge {
        /// The capacity asked for or declared.
        capacity_bytes: u64,
        /// The maximum.
        max: u64,
    },
    /// The space for a new log could not be reserved.
    #[error(
        "could not reserve {bytes} bytes for the encounter log: free some disk space or choose \
         a smaller capacity_bytes"
    )]
    NoSpace {
        /// Bytes asked for.
        bytes: u64,
        /// What the file system said.
        #[source]
        source: io::Error,
    },
    /// No log file where one was expected (read-only opens never create one).
    #[error("no encounter log at {}: check the path (opening to read never creates a log)", path.display())]
    NotFound {
        /// The path tried.
        path: PathBuf,
    },
    /// The log file could not be opened.
    #[error("cannot open the encounter log {}", path.display())]
    Open {
        /// The path tried.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// Another handle (in this process or another) holds the log: a writer excludes every
    /// other open, a reader excludes writers.
    #[error(
        "the encounter log {} is in use by another program or handle; close it (or wait for it \
         to finish) and try again",
        path.display()
    )]
    Busy {
        /// The log file.
        path: PathBuf,
    },
    /// A write on a log opened read-only.
    #[error("this encounter log was opened read-only; open it for writing to change it")]
    ReadOnly,
    /// An import needs more pages than the ring has: it would evict its own records.
    #[error(
        "the import does not fit in the encounter log ({pages} pages of {page_size} bytes); \
         nothing was imported: use a log with a larger capacity_bytes or split the file"
    )]
    ImportTooLarge {
        /// Data pages in the log.
        pages: u32,
        /// Page size.
        page_size: u32,
    },
    /// An earlier import on this handle failed and could not be rolled back in place.
    #[error(
        "an import on this encounter log handle failed and could not be rolled back; reopen \
         the log, which completes the rollback"
    )]
    Poisoned,
    /// A failed import could not be rolled back in place; the next open rolls it back.
    #[error(
        "an interrupted import could not be rolled back; nothing was imported: reopen the log, \
         which completes the rollback"
    )]
    RollbackPending {
        /// Why the rollback failed.
        #[source]
        source: Box<LogError>,
    },
}
