//! The encounter log: a compact, bounded, crash-safe ring of scan-instance records.
//!
//! ```
//! use proxtrace::bluezone::BluezoneId;
//! use proxtrace::identifier::Identifier;
//! use proxtrace::log::{EncounterLog, LogOptions, MemoryBackend};
//! use proxtrace::sighting::ScanAggregate;
//! use proxtrace::time::UnixTime;
//!
//! let now = UnixTime::from_secs(1_700_000_000);
//! let opts = LogOptions { capacity_bytes: 64 * 1024, ..LogOptions::default() };
//! let mut log = EncounterLog::create(MemoryBackend::new(), opts)?;
//! log.append(&ScanAggregate {
//!     identifier: Identifier::Bluezone(BluezoneId::from_bytes([7; 12])),
//!     first_seen: now, last_seen: now, count: 4, max_rssi: -58, mean_rssi: -63, tx_power: None,
//! })?;
//! log.sync()?; // durable from here on
//! log.expire(now)?; // writers delete what is past the retention, explicitly
//! let records: Vec<_> = log.iter().collect::<Result<_, _>>()?;
//! assert_eq!(records.len(), 1);
//! # Ok::<(), proxtrace::log::LogError>(())
//! ```
//!
//! The file is a header page and a ring of fixed-size pages, each holding the records of one
//! UTC day as append-only *chunks* (one per [`EncounterLog::sync`]), every chunk checksummed
//! (or sealed) and bound to its page and offset. Bytes that were made durable are never
//! rewritten while their page is live, so a crash can only tear the chunk being written.
//! Layout and recovery rules: `docs/log-format.md`.
//!
//! Opening never writes: [`EncounterLog::open_read_only`] (readers, shared lock on files)
//! cannot, and [`EncounterLog::open`] (one writer, exclusive lock) writes only to roll back an
//! import that was interrupted. Time enters only through [`EncounterLog::expire`] (deletes)
//! and [`EncounterLog::hide_expired`] (hides). Imports are all or nothing
//! ([`EncounterLog::begin_import`]).

mod backend;
mod chunk;
mod crypto;
mod error;
mod expire;
mod file;
mod format;
mod import;
mod iter;
mod open;
mod options;
mod record;
mod stats;
mod write;

use std::fmt;

pub use backend::{MemoryBackend, StorageBackend};
pub use error::LogError;
pub use file::FileBackend;
pub use import::{Import, ImportId};
pub use iter::LogIter;
pub use options::{
    DEFAULT_CAPACITY, DEFAULT_RETENTION_DAYS, LogEncryption, LogOptions, MAX_CAPACITY,
};
pub use stats::LogStats;
pub use write::Appended;

use crate::sighting::ScanAggregate;
use crate::time::{SECONDS_PER_DAY, UnixTime};
use crypto::ChunkCipher;
use format::{EvictionTally, FileHeader, PLAIN_CHUNK_HEADER, SEALED_CHUNK_HEADER, TxnRecord};
use record::WriteDict;

/// Log file name inside a directory (see [`EncounterLog::open_dir`]).
pub const LOG_FILE: &str = "encounters.ptlog";

#[derive(Debug, Clone, Copy)]
struct PageInfo {
    slot: u32,
    seq: u64,
    day: u32,
}

/// The page records are appended to.
#[derive(Debug)]
struct Head {
    slot: u32,
    seq: u64,
    day: u32,
    /// Offset of the next chunk.
    used: usize,
    dict: WriteDict,
    /// Not yet on disk: its first chunk is written together with its header.
    fresh: bool,
    /// Damage was found in it at open: nothing more is appended to it.
    sealed: bool,
}

/// Whether this handle may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    ReadWrite,
    ReadOnly,
}

/// The encounter log.
pub struct EncounterLog<B: StorageBackend> {
    backend: B,
    header: FileHeader,
    cipher: Option<ChunkCipher>,
    mode: Mode,
    retention_days: u32,
    /// Records of days before this are hidden (and deleted by `expire`).
    min_day: u32,
    /// Live pages, oldest first.
    pages: Vec<PageInfo>,
    /// Slots holding bytes that are not a live page (torn writes, torn zeroing).
    garbage: Vec<u32>,
    head: Option<Head>,
    pending: Vec<ScanAggregate>,
    newest: Option<UnixTime>,
    next_seq: u64,
    /// The import transaction record as it is on disk.
    txn: Option<TxnRecord>,
    /// An interrupted import seen by a read-only handle: chunks of page `.0` at or after
    /// offset `.1` are not shown (its later pages were left out of `pages`).
    cut: Option<(u64, usize)>,
    /// An import running on this handle: pages it started.
    importing: Option<u32>,
    /// A failed import could not be rolled back: writes are refused until reopened.
    poisoned: bool,
    /// What the ring evicted before the retention ended (as on disk, or newer when written
    /// but not yet synced).
    tally: EvictionTally,
}

impl<B: StorageBackend> fmt::Debug for EncounterLog<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncounterLog")
            .field("page_size", &self.header.page_size)
            .field("pages", &self.header.pages)
            .field("live_pages", &self.pages.len())
            .field("pending", &self.pending.len())
            .field("encrypted", &self.cipher.is_some())
            .field("read_only", &(self.mode == Mode::ReadOnly))
            .finish()
    }
}

fn min_day(now: UnixTime, retention_days: u32) -> u32 {
    now.utc_day()
        .map_or(u32::MAX, |d| d.get())
        .saturating_sub(retention_days)
}

fn day_of(t: UnixTime) -> u32 {
    u32::try_from(t.as_secs() / SECONDS_PER_DAY).unwrap_or(u32::MAX)
}

impl<B: StorageBackend> EncounterLog<B> {
    fn page_size(&self) -> usize {
        self.header.page_size as usize
    }

    fn chunk_header_len(&self) -> usize {
        if self.cipher.is_some() {
            SEALED_CHUNK_HEADER
        } else {
            PLAIN_CHUNK_HEADER
        }
    }

    fn read_page(&self, slot: u32) -> Result<Vec<u8>, LogError> {
        let mut buf = vec![0u8; self.page_size()];
        self.backend.read(self.header.page_offset(slot), &mut buf)?;
        Ok(buf)
    }

    /// Refuse writes on a read-only or poisoned handle.
    fn check_writable(&self) -> Result<(), LogError> {
        if self.mode == Mode::ReadOnly {
            return Err(LogError::ReadOnly);
        }
        if self.poisoned {
            return Err(LogError::Poisoned);
        }
        Ok(())
    }

    /// Whether this handle was opened read-only.
    pub fn is_read_only(&self) -> bool {
        self.mode == Mode::ReadOnly
    }

    /// Records the ring evicted while they were still inside the retention (a flood, or a
    /// log too small for its traffic), since the log was created. Also in
    /// [`LogStats::evicted_before_retention`].
    pub fn evicted_before_retention(&self) -> u64 {
        self.tally.records
    }

    /// Records queued but not yet durable.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// `first_seen` of the newest record (durable or queued).
    pub fn newest(&self) -> Option<UnixTime> {
        self.newest
    }

    /// The retention in days this handle applies in [`expire`](Self::expire) and
    /// [`hide_expired`](Self::hide_expired).
    pub fn retention_days(&self) -> u32 {
        self.retention_days
    }

    /// The storage backend (e.g. to inspect a memory image).
    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// Give the backend back (queued records are dropped: sync first).
    pub fn into_backend(self) -> B {
        self.backend
    }
}
