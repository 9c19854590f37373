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
//! let mut log = EncounterLog::create(MemoryBackend::new(), opts, now)?;
//! log.append(&ScanAggregate {
//!     identifier: Identifier::Bluezone(BluezoneId::from_bytes([7; 12])),
//!     first_seen: now, last_seen: now, count: 4, max_rssi: -58, mean_rssi: -63, tx_power: None,
//! })?;
//! log.sync()?; // durable from here on
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

mod backend;
mod crypto;
mod error;
mod format;
mod record;

use std::collections::HashSet;
use std::fmt;
use std::path::Path;

use rand::TryCryptoRng;
use serde::Serialize;
use zeroize::Zeroizing;

pub use backend::{FileBackend, MemoryBackend, StorageBackend};
pub use error::LogError;

use crate::identifier::Identifier;
use crate::sighting::ScanAggregate;
use crate::time::{SECONDS_PER_DAY, UnixTime, UtcDay};
use crypto::ChunkCipher;
use format::{
    FILE_HEADER_LEN, FLAG_ENCRYPTED, FORMAT_VERSION, FileHeader, MAX_PAGE_SIZE, MIN_PAGE_SIZE,
    MIN_PAGES, PAGE_HEADER_LEN, PLAIN_CHUNK_HEADER, PageHeader, SEALED_CHUNK_HEADER, TAG_LEN,
    chunk_binding,
};
use record::{ChunkEncoder, ReadDict, WriteDict};

/// Log file name inside a directory (see [`EncounterLog::open_dir`]).
pub const LOG_FILE: &str = "encounters.ptlog";

/// Default capacity: 16 MiB.
pub const DEFAULT_CAPACITY: u64 = 16 << 20;

/// How to create or open a log.
pub struct LogOptions {
    /// Size of the file, fixed at creation (rounded down to whole pages). Default 16 MiB.
    pub capacity_bytes: u64,
    /// Page size, fixed at creation: a power of two from 512 to 65 536. Default 4096.
    pub page_size: u32,
    /// Records of a UTC day *d* are kept while `today − d ≤ retention_days`. Default 14.
    pub retention_days: u32,
    /// Encrypt at rest (see [`LogOptions::with_encryption`]). Default: no encryption.
    pub encryption: Option<LogEncryption>,
}

/// An encryption key for the log and the seed of this open's chunk nonces.
pub struct LogEncryption {
    key: Zeroizing<[u8; 32]>,
    seed: Zeroizing<[u8; 32]>,
}

impl LogEncryption {
    /// Encrypt with this 32-byte key (from Android Keystore / iOS Keychain). `rng` seeds the
    /// per-chunk nonces (and a new log's salt); it must be a CSPRNG such as
    /// `rand::rngs::SysRng`, drawn from afresh for every open.
    pub fn new<R: TryCryptoRng + ?Sized>(key: [u8; 32], rng: &mut R) -> Result<Self, LogError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        rng.try_fill_bytes(&mut seed[..])
            .map_err(|_| LogError::Crypto("the random generator failed"))?;
        Ok(Self {
            key: Zeroizing::new(key),
            seed,
        })
    }
}

impl fmt::Debug for LogEncryption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LogEncryption(<redacted>)")
    }
}

impl Default for LogOptions {
    fn default() -> Self {
        Self {
            capacity_bytes: DEFAULT_CAPACITY,
            page_size: 4096,
            retention_days: 14,
            encryption: None,
        }
    }
}

impl fmt::Debug for LogOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogOptions")
            .field("capacity_bytes", &self.capacity_bytes)
            .field("page_size", &self.page_size)
            .field("retention_days", &self.retention_days)
            .field("encrypted", &self.encryption.is_some())
            .finish()
    }
}

impl LogOptions {
    /// Encrypt the log at rest with this 32-byte key (from Android Keystore / iOS Keychain).
    /// `rng` seeds the per-chunk nonces (and a new log's salt); it must be a CSPRNG such as
    /// `rand::rngs::SysRng`, drawn from afresh for every open.
    pub fn with_encryption<R: TryCryptoRng + ?Sized>(
        mut self,
        key: [u8; 32],
        rng: &mut R,
    ) -> Result<Self, LogError> {
        self.encryption = Some(LogEncryption::new(key, rng)?);
        Ok(self)
    }
}

/// What [`EncounterLog::append`] did with a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    /// Queued; durable after the next [`EncounterLog::sync`].
    Stored,
    /// Older than the retention period: dropped, as it would be deleted at once.
    Expired,
}

/// Figures about a log (`proxtrace log stats`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogStats {
    /// Scan-instance records retained.
    pub records: u64,
    /// Distinct identifiers among them.
    pub distinct_identifiers: u64,
    /// Earliest `first_seen`.
    pub first_seen: Option<UnixTime>,
    /// Latest `last_seen`.
    pub last_seen: Option<UnixTime>,
    /// Bytes of live pages in use: page headers, chunk headers, checksums, identifiers.
    pub bytes_used: u64,
    /// File size.
    pub capacity_bytes: u64,
    /// `bytes_used / records`.
    pub bytes_per_scan_instance: Option<f64>,
    /// Pages holding retained records.
    pub live_pages: u64,
    /// Page size.
    pub page_size: u32,
    /// Whether chunks are encrypted.
    pub encrypted: bool,
    /// Chunks or records found corrupt (torn writes, flipped bits) and skipped.
    pub corrupt_skipped: u64,
}

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

/// What decoding a page found.
struct PageDecode {
    records: Vec<ScanAggregate>,
    defs: ReadDict,
    /// End of the last chunk.
    used: usize,
    /// Corrupt chunks or records skipped.
    damage: usize,
}

/// The encounter log.
pub struct EncounterLog<B: StorageBackend> {
    backend: B,
    header: FileHeader,
    cipher: Option<ChunkCipher>,
    retention_days: u32,
    /// Records of days before this are expired.
    min_day: u32,
    /// Live pages, oldest first.
    pages: Vec<PageInfo>,
    /// Slots holding bytes that are not a live page (torn writes, torn zeroing).
    garbage: Vec<u32>,
    head: Option<Head>,
    pending: Vec<ScanAggregate>,
    newest: Option<UnixTime>,
    next_seq: u64,
}

impl<B: StorageBackend> fmt::Debug for EncounterLog<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncounterLog")
            .field("page_size", &self.header.page_size)
            .field("pages", &self.header.pages)
            .field("live_pages", &self.pages.len())
            .field("pending", &self.pending.len())
            .field("encrypted", &self.cipher.is_some())
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
    /// Create a new log on `backend` (which is resized to the capacity and overwritten).
    pub fn create(mut backend: B, options: LogOptions, now: UnixTime) -> Result<Self, LogError> {
        let page_size = options.page_size;
        if !(MIN_PAGE_SIZE..=MAX_PAGE_SIZE).contains(&page_size) || !page_size.is_power_of_two() {
            return Err(LogError::InvalidOptions(format!(
                "page size {page_size} must be a power of two from {MIN_PAGE_SIZE} to {MAX_PAGE_SIZE}"
            )));
        }
        let pages = (options.capacity_bytes / u64::from(page_size)).saturating_sub(1);
        let pages = u32::try_from(pages).unwrap_or(u32::MAX);
        if pages < MIN_PAGES {
            return Err(LogError::InvalidOptions(format!(
                "capacity {} bytes is too small: at least {} bytes with {page_size}-byte pages",
                options.capacity_bytes,
                u64::from(MIN_PAGES + 1) * u64::from(page_size)
            )));
        }
        let mut header = FileHeader {
            version: FORMAT_VERSION,
            flags: 0,
            page_size,
            pages,
            salt: [0; 16],
            key_check: [0; 16],
        };
        let cipher = match &options.encryption {
            Some(e) => {
                use rand::{Rng, SeedableRng};
                let mut rng = rand::rngs::ChaCha20Rng::from_seed(*e.seed);
                rng.fill_bytes(&mut header.salt);
                let mut nonce_seed = [0u8; 32];
                rng.fill_bytes(&mut nonce_seed);
                let c = ChunkCipher::new(&e.key, &header.salt, nonce_seed)?;
                header.flags |= FLAG_ENCRYPTED;
                header.key_check = c.key_check()?;
                Some(c)
            }
            None => None,
        };
        // Zero-filled pages, then the header: a crash before the header is written leaves a
        // file that is not a log, never a log with garbage pages.
        backend.set_len(0)?;
        backend.set_len(header.file_len())?;
        backend.sync()?;
        backend.write(0, &header.encode())?;
        backend.sync()?;
        Ok(Self::empty(backend, header, cipher, &options, now))
    }

    /// A log with no pages known yet (a new file, or one whose pages are still to be scanned).
    fn empty(
        backend: B,
        header: FileHeader,
        cipher: Option<ChunkCipher>,
        options: &LogOptions,
        now: UnixTime,
    ) -> Self {
        Self {
            backend,
            header,
            cipher,
            retention_days: options.retention_days,
            min_day: min_day(now, options.retention_days),
            pages: Vec::new(),
            garbage: Vec::new(),
            head: None,
            pending: Vec::new(),
            newest: None,
            next_seq: 1,
        }
    }

    /// Open an existing log, recovering the head by scanning page headers, and expire what
    /// is older than the retention at `now`.
    pub fn open(backend: B, options: LogOptions, now: UnixTime) -> Result<Self, LogError> {
        let mut hdr = [0u8; FILE_HEADER_LEN];
        let len = backend.len()?;
        if len < FILE_HEADER_LEN as u64 {
            return Err(LogError::NotALog);
        }
        backend.read(0, &mut hdr)?;
        let header = FileHeader::decode(&hdr)?;
        if len < header.file_len() {
            return Err(LogError::Truncated {
                expected: header.file_len(),
                actual: len,
            });
        }
        let cipher = match (header.encrypted(), &options.encryption) {
            (true, None) => return Err(LogError::KeyRequired),
            (false, Some(_)) => return Err(LogError::NotEncrypted),
            (false, None) => None,
            (true, Some(e)) => {
                let c = ChunkCipher::new(&e.key, &header.salt, *e.seed)?;
                if !c.verify_key_check(&header.key_check) {
                    return Err(LogError::WrongKey);
                }
                Some(c)
            }
        };
        let mut log = Self::empty(backend, header, cipher, &options, now);
        log.scan_headers()?;
        log.recover_head()?;
        log.expire(now)?;
        Ok(log)
    }

    /// Open the log if `backend` holds one, else create it.
    pub fn open_or_create(
        backend: B,
        options: LogOptions,
        now: UnixTime,
    ) -> Result<Self, LogError> {
        if backend.len()? == 0 {
            Self::create(backend, options, now)
        } else {
            Self::open(backend, options, now)
        }
    }

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

    fn scan_headers(&mut self) -> Result<(), LogError> {
        let mut seen = HashSet::new();
        let mut h = [0u8; PAGE_HEADER_LEN];
        for slot in 0..self.header.pages {
            self.backend.read(self.header.page_offset(slot), &mut h)?;
            match PageHeader::decode(&h) {
                Some(p) if seen.insert(p.seq) => self.pages.push(PageInfo {
                    slot,
                    seq: p.seq,
                    day: p.day,
                }),
                _ if h.iter().any(|&b| b != 0) => self.garbage.push(slot),
                _ => {}
            }
        }
        self.pages.sort_unstable_by_key(|p| p.seq);
        self.next_seq = self.pages.last().map_or(1, |p| p.seq + 1);
        Ok(())
    }

    fn recover_head(&mut self) -> Result<(), LogError> {
        let Some(last) = self.pages.last().copied() else {
            return Ok(());
        };
        let page = self.read_page(last.slot)?;
        let d = self.decode_page(last.seq, last.day, &page);
        self.newest = d.records.last().map(|r| r.first_seen);
        // Older pages only matter for `newest` when the head page holds nothing readable.
        for p in self.pages.iter().rev().skip(1) {
            if self.newest.is_some() {
                break;
            }
            let page = self.read_page(p.slot)?;
            self.newest = self
                .decode_page(p.seq, p.day, &page)
                .records
                .last()
                .map(|r| r.first_seen);
        }
        self.head = Some(Head {
            slot: last.slot,
            seq: last.seq,
            day: last.day,
            used: d.used,
            dict: WriteDict::from_defs(&d.defs.defs),
            fresh: false,
            sealed: d.damage > 0,
        });
        Ok(())
    }

    /// Check a chunk at `off` and return its body (decrypted), or `None`.
    fn chunk_body(&self, seq: u64, page: &[u8], off: usize) -> Option<(Vec<u8>, usize)> {
        let hl = self.chunk_header_len();
        let hdr = page.get(off..off + hl)?;
        let len16 = u16::from_le_bytes([hdr[0], hdr[1]]);
        let len = usize::from(len16);
        if len == 0 || hdr[2] != format::len_check(len16) {
            return None;
        }
        let body = page.get(off + hl..off + hl + len)?;
        let bind = chunk_binding(seq, off as u32);
        match &self.cipher {
            None => {
                let crc = crc32c::crc32c_append(crc32c::crc32c(&bind), body);
                (crc == format::u32_le(&hdr[3..7])).then(|| (body.to_vec(), hl + len))
            }
            Some(c) => {
                let mut nonce = [0u8; 12];
                nonce.copy_from_slice(&hdr[3..15]);
                let mut aad = bind.to_vec();
                aad.extend_from_slice(&(len as u16).to_le_bytes());
                let mut sealed = body.to_vec();
                c.open(nonce, &aad, &mut sealed)
                    .map(|plain| (plain.to_vec(), hl + len))
            }
        }
    }

    fn decode_page(&self, seq: u64, day: u32, page: &[u8]) -> PageDecode {
        let mut d = PageDecode {
            records: Vec::new(),
            defs: ReadDict::default(),
            used: PAGE_HEADER_LEN,
            damage: 0,
        };
        let day_start = UtcDay::new(day).start();
        let hl = self.chunk_header_len();
        let mut off = PAGE_HEADER_LEN;
        while off + hl <= page.len() {
            if page[off..off + 3] == [0, 0, 0] {
                break; // never written: the end of the page's chunks
            }
            match self.chunk_body(seq, page, off) {
                Some((body, size)) => {
                    d.damage +=
                        record::decode_body(&body, day_start, &mut d.defs, &mut d.records).skipped;
                    off += size;
                    d.used = off;
                }
                None => {
                    // Damaged (torn, flipped): look for the next chunk that checks out. The
                    // length byte check and the checksum (or AEAD tag) make a false start
                    // vanishingly unlikely.
                    d.damage += 1;
                    let next = (off + 1..page.len().saturating_sub(hl))
                        .find(|&o| self.chunk_body(seq, page, o).is_some());
                    match next {
                        Some(n) => off = n,
                        None => break,
                    }
                    d.used = d.used.max(off.min(page.len()));
                }
            }
        }
        d
    }

    /// Queue a record. Records must come in non-decreasing `first_seen` order; they are
    /// durable after the next [`sync`](Self::sync).
    pub fn append(&mut self, r: &ScanAggregate) -> Result<Appended, LogError> {
        if r.last_seen < r.first_seen {
            return Err(LogError::InvalidRecord(format!(
                "last_seen {} is before first_seen {}",
                r.last_seen, r.first_seen
            )));
        }
        if r.count == 0 {
            return Err(LogError::InvalidRecord("count is 0".into()));
        }
        if r.mean_rssi > r.max_rssi {
            return Err(LogError::InvalidRecord(format!(
                "mean RSSI {} is above the strongest RSSI {}",
                r.mean_rssi, r.max_rssi
            )));
        }
        if r.first_seen.utc_day().is_err() {
            return Err(LogError::InvalidRecord(format!(
                "time {} is out of range",
                r.first_seen
            )));
        }
        if let Some(newest) = self.newest
            && r.first_seen < newest
        {
            return Err(LogError::OutOfOrder {
                newest,
                given: r.first_seen,
            });
        }
        if day_of(r.first_seen) < self.min_day {
            return Ok(Appended::Expired);
        }
        self.newest = Some(r.first_seen);
        self.pending.push(*r);
        Ok(Appended::Stored)
    }

    /// Records queued but not yet durable.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// `first_seen` of the newest record (durable or queued).
    pub fn newest(&self) -> Option<UnixTime> {
        self.newest
    }

    /// Write every queued record and make it durable.
    pub fn sync(&mut self) -> Result<(), LogError> {
        let pending = std::mem::take(&mut self.pending);
        let result = self.write_records(&pending);
        if result.is_err() {
            // Nothing is acknowledged; keep the records queued for a retry.
            self.pending = pending;
            return result;
        }
        self.backend.sync()?;
        Ok(())
    }

    fn write_records(&mut self, records: &[ScanAggregate]) -> Result<(), LogError> {
        let mut scratch = Vec::with_capacity(64);
        let mut enc: Option<ChunkEncoder> = None;
        let tag = if self.cipher.is_some() { TAG_LEN } else { 0 };
        let overhead = self.chunk_header_len() + tag;
        for r in records {
            let day = day_of(r.first_seen);
            if day < self.min_day {
                continue;
            }
            loop {
                let needs_page = match &self.head {
                    None => true,
                    Some(h) => h.sealed || h.day != day,
                };
                if needs_page {
                    if let Some(e) = enc.take() {
                        self.write_chunk(e)?;
                    }
                    self.start_page(day);
                }
                let Some(head) = &self.head else {
                    return Err(LogError::InvalidOptions("no page to append to".into()));
                };
                let e = enc.get_or_insert_with(|| ChunkEncoder::new(&head.dict));
                let day_start = UtcDay::new(day).start();
                e.encode(r, day_start, &head.dict, &mut scratch);
                let room = self.page_size() - head.used;
                if overhead + e.body.len() + scratch.len() <= room {
                    e.commit(r, day_start, &scratch);
                    break;
                }
                // Does not fit: write what the chunk has, then try again (in a new page if
                // this one is full).
                let had_records = !e.is_empty();
                if let Some(e) = enc.take()
                    && had_records
                {
                    self.write_chunk(e)?;
                }
                if !had_records && let Some(h) = &mut self.head {
                    h.sealed = true;
                }
            }
        }
        if let Some(e) = enc.take()
            && !e.is_empty()
        {
            self.write_chunk(e)?;
        }
        Ok(())
    }

    fn start_page(&mut self, day: u32) {
        let slot = match self.pages.last() {
            Some(p) => (p.slot + 1) % self.header.pages,
            None => self
                .head
                .as_ref()
                .map_or(0, |h| (h.slot + 1) % self.header.pages),
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        self.head = Some(Head {
            slot,
            seq,
            day,
            used: PAGE_HEADER_LEN,
            dict: WriteDict::default(),
            fresh: true,
            sealed: false,
        });
    }

    fn write_chunk(&mut self, enc: ChunkEncoder) -> Result<(), LogError> {
        let page_size = self.page_size();
        let Some(head) = self.head.as_mut() else {
            return Ok(());
        };
        let mut body = enc.finish(&mut head.dict);
        let off = head.used;
        let bind = chunk_binding(head.seq, off as u32);
        let mut chunk = Vec::with_capacity(SEALED_CHUNK_HEADER + body.len() + TAG_LEN);
        match &mut self.cipher {
            None => {
                let crc = crc32c::crc32c_append(crc32c::crc32c(&bind), &body);
                let len = body.len() as u16;
                chunk.extend_from_slice(&len.to_le_bytes());
                chunk.push(format::len_check(len));
                chunk.extend_from_slice(&crc.to_le_bytes());
            }
            Some(c) => {
                let len = (body.len() + TAG_LEN) as u16;
                let mut aad = bind.to_vec();
                aad.extend_from_slice(&len.to_le_bytes());
                let nonce = c.seal(&aad, &mut body)?;
                chunk.extend_from_slice(&len.to_le_bytes());
                chunk.push(format::len_check(len));
                chunk.extend_from_slice(&nonce);
            }
        }
        chunk.extend_from_slice(&body);
        let page_off = self.header.page_offset(head.slot);
        if head.fresh {
            // A new page: header, first chunk and zeros in one write, which also wipes the
            // page being evicted from this slot.
            let mut page = vec![0u8; page_size];
            page[..PAGE_HEADER_LEN].copy_from_slice(
                &PageHeader {
                    seq: head.seq,
                    day: head.day,
                }
                .encode(),
            );
            page[off..off + chunk.len()].copy_from_slice(&chunk);
            let slot = head.slot;
            self.pages.retain(|p| p.slot != slot);
            self.garbage.retain(|&g| g != slot);
            self.backend.write(page_off, &page)?;
            let Some(head) = self.head.as_mut() else {
                return Err(LogError::InvalidOptions("no page to append to".into()));
            };
            head.fresh = false;
            head.used = off + chunk.len();
            self.pages.push(PageInfo {
                slot,
                seq: head.seq,
                day: head.day,
            });
        } else {
            self.backend.write(page_off + off as u64, &chunk)?;
            head.used = off + chunk.len();
        }
        Ok(())
    }

    /// Zero every page whose day is past the retention at `now` (and any debris of torn
    /// writes); returns the number of pages zeroed. Expired records are never returned even
    /// before this runs.
    pub fn expire(&mut self, now: UnixTime) -> Result<usize, LogError> {
        self.min_day = self.min_day.max(min_day(now, self.retention_days));
        let min_day = self.min_day;
        let expired: Vec<u32> = self
            .pages
            .iter()
            .filter(|p| p.day < min_day)
            .map(|p| p.slot)
            .chain(self.garbage.iter().copied())
            .collect();
        self.pending.retain(|r| day_of(r.first_seen) >= min_day);
        if expired.is_empty() {
            return Ok(0);
        }
        // Bodies first, then headers: a crash in between leaves empty pages, never readable
        // pages with their records half gone.
        let zeros = vec![0u8; self.page_size() - PAGE_HEADER_LEN];
        for &slot in &expired {
            self.backend.write(
                self.header.page_offset(slot) + PAGE_HEADER_LEN as u64,
                &zeros,
            )?;
        }
        self.backend.sync()?;
        for &slot in &expired {
            self.backend
                .write(self.header.page_offset(slot), &[0u8; PAGE_HEADER_LEN])?;
        }
        self.backend.sync()?;
        self.pages.retain(|p| !expired.contains(&p.slot));
        self.garbage.clear();
        if self
            .head
            .as_ref()
            .is_some_and(|h| expired.contains(&h.slot))
        {
            // Keep the ring position: the next page goes after the expired head's slot.
            if let Some(h) = self.head.as_mut() {
                h.sealed = true;
            }
        }
        Ok(expired.len())
    }

    /// Every retained record, oldest first (durable and queued). Corrupt chunks and records are
    /// skipped, never returned.
    pub fn iter(&self) -> LogIter<'_, B> {
        self.range(UnixTime::EPOCH, UnixTime::from_secs(u64::MAX))
    }

    /// Retained records with `from ≤ first_seen ≤ to`, oldest first.
    pub fn range(&self, from: UnixTime, to: UnixTime) -> LogIter<'_, B> {
        LogIter {
            log: self,
            from,
            to,
            page: 0,
            buf: Vec::new(),
            pos: 0,
            pending_done: false,
        }
    }

    /// Count, size and span figures (reads the whole log).
    pub fn stats(&self) -> Result<LogStats, LogError> {
        let mut records = 0u64;
        let mut ids: HashSet<Identifier> = HashSet::new();
        let (mut first, mut last) = (None, None);
        let mut bytes_used = 0u64;
        let mut damage = 0u64;
        let mut live = 0u64;
        for p in self.pages.iter().filter(|p| p.day >= self.min_day) {
            let page = self.read_page(p.slot)?;
            let d = self.decode_page(p.seq, p.day, &page);
            live += 1;
            bytes_used += d.used as u64;
            damage += d.damage as u64;
            for r in &d.records {
                records += 1;
                ids.insert(r.identifier);
                first = Some(first.map_or(r.first_seen, |f: UnixTime| f.min(r.first_seen)));
                last = Some(last.map_or(r.last_seen, |l: UnixTime| l.max(r.last_seen)));
            }
        }
        Ok(LogStats {
            records,
            distinct_identifiers: ids.len() as u64,
            first_seen: first,
            last_seen: last,
            bytes_used,
            capacity_bytes: self.header.file_len(),
            bytes_per_scan_instance: (records > 0).then(|| bytes_used as f64 / records as f64),
            live_pages: live,
            page_size: self.header.page_size,
            encrypted: self.cipher.is_some(),
            corrupt_skipped: damage,
        })
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

impl EncounterLog<FileBackend> {
    /// Open the log [`LOG_FILE`] in `dir`, creating the directory and the log if missing
    /// (with `options.capacity_bytes`).
    pub fn open_dir(dir: &Path, options: LogOptions, now: UnixTime) -> Result<Self, LogError> {
        std::fs::create_dir_all(dir)?;
        let backend = FileBackend::open(&dir.join(LOG_FILE))?;
        Self::open_or_create(backend, options, now)
    }
}

/// Streaming iterator over a log's records: one page is decoded at a time.
pub struct LogIter<'a, B: StorageBackend> {
    log: &'a EncounterLog<B>,
    from: UnixTime,
    to: UnixTime,
    page: usize,
    buf: Vec<ScanAggregate>,
    pos: usize,
    pending_done: bool,
}

impl<B: StorageBackend> fmt::Debug for LogIter<'_, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogIter").field("page", &self.page).finish()
    }
}

impl<B: StorageBackend> Iterator for LogIter<'_, B> {
    type Item = Result<ScanAggregate, LogError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            while let Some(r) = self.buf.get(self.pos) {
                self.pos += 1;
                if r.first_seen >= self.from && r.first_seen <= self.to {
                    return Some(Ok(*r));
                }
            }
            self.buf.clear();
            self.pos = 0;
            let log = self.log;
            if let Some(p) = log.pages.get(self.page) {
                self.page += 1;
                let (from_day, to_day) = (day_of(self.from), day_of(self.to));
                if p.day < log.min_day || p.day < from_day || p.day > to_day {
                    continue;
                }
                match log.read_page(p.slot) {
                    Ok(page) => self.buf = log.decode_page(p.seq, p.day, &page).records,
                    Err(e) => return Some(Err(e)),
                }
                continue;
            }
            if !self.pending_done {
                self.pending_done = true;
                self.buf = log.pending.clone();
                continue;
            }
            return None;
        }
    }
}
