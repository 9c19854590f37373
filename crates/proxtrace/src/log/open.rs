//! Creating and opening: the file header, the key check, the page-header scan, the head's
//! recovery, and the rollback of an interrupted import. Opening never expires anything.

use std::collections::HashSet;
use std::path::Path;

use super::crypto::ChunkCipher;
use super::format::{
    EvictionTally, FILE_HEADER_LEN, FLAG_ENCRYPTED, FORMAT_VERSION, FileHeader, PAGE_HEADER_LEN,
    PageHeader, TALLY_LEN, TALLY_SLOTS, TXN_LEN, TXN_SLOTS, TxnRecord, TxnState,
};
use super::record::WriteDict;
use super::{
    EncounterLog, FileBackend, Head, LOG_FILE, LogError, LogOptions, MAX_CAPACITY, Mode, PageInfo,
    StorageBackend,
};

impl<B: StorageBackend> EncounterLog<B> {
    /// Create a new log on `backend`, which is overwritten: its space is reserved first
    /// ([`StorageBackend::allocate`]), so a full disk fails here ([`LogError::NoSpace`]) and
    /// not in the middle of a run.
    pub fn create(mut backend: B, options: LogOptions) -> Result<Self, LogError> {
        let pages = options.check_create()?;
        let mut header = FileHeader {
            version: FORMAT_VERSION,
            flags: 0,
            page_size: options.page_size,
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
        // Zero-filled, reserved pages, then the header: a crash before the header is written
        // leaves a file that is not a log, never a log with garbage pages.
        let bytes = header.file_len();
        backend
            .allocate(bytes)
            .map_err(|source| LogError::NoSpace { bytes, source })?;
        backend.sync()?;
        backend.write(0, &header.encode())?;
        backend.sync()?;
        Ok(Self::empty(
            backend,
            header,
            cipher,
            &options,
            Mode::ReadWrite,
        ))
    }

    /// A log with no pages known yet (a new file, or one whose pages are still to be scanned).
    fn empty(
        backend: B,
        header: FileHeader,
        cipher: Option<ChunkCipher>,
        options: &LogOptions,
        mode: Mode,
    ) -> Self {
        Self {
            backend,
            header,
            cipher,
            mode,
            retention_days: options.retention_days,
            min_day: 0,
            pages: Vec::new(),
            garbage: Vec::new(),
            head: None,
            pending: Vec::new(),
            newest: None,
            next_seq: 1,
            txn: None,
            cut: None,
            importing: None,
            poisoned: false,
            tally: EvictionTally::default(),
        }
    }

    /// Open an existing log for writing: check the header and key, scan the page headers,
    /// recover the head, and roll back an import that was interrupted (the only write an
    /// open makes). Nothing expires: writers call [`expire`](Self::expire).
    /// `options.capacity_bytes` and `page_size` are ignored (the file says).
    pub fn open(backend: B, options: LogOptions) -> Result<Self, LogError> {
        Self::open_mode(backend, options, Mode::ReadWrite)
    }

    /// Open an existing log for reading only: nothing is ever written (an interrupted import
    /// is left out of what is shown, not rolled back), and
    /// [`append`](Self::append), [`sync`](Self::sync), [`expire`](Self::expire) and
    /// [`begin_import`](Self::begin_import) are [`LogError::ReadOnly`]. Use
    /// [`hide_expired`](Self::hide_expired) for the retained view.
    pub fn open_read_only(backend: B, options: LogOptions) -> Result<Self, LogError> {
        Self::open_mode(backend, options, Mode::ReadOnly)
    }

    fn open_mode(backend: B, options: LogOptions, mode: Mode) -> Result<Self, LogError> {
        options.check_retention()?;
        let mut hdr = [0u8; FILE_HEADER_LEN];
        let len = backend.len()?;
        if len < FILE_HEADER_LEN as u64 {
            return Err(LogError::NotALog);
        }
        backend.read(0, &mut hdr)?;
        let header = FileHeader::decode(&hdr)?;
        if header.file_len() > MAX_CAPACITY {
            return Err(LogError::CapacityTooLarge {
                capacity_bytes: header.file_len(),
                max: MAX_CAPACITY,
            });
        }
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
        let mut log = Self::empty(backend, header, cipher, &options, mode);
        let (mut a, mut b) = ([0u8; TXN_LEN], [0u8; TXN_LEN]);
        log.backend.read(TXN_SLOTS[0], &mut a)?;
        log.backend.read(TXN_SLOTS[1], &mut b)?;
        log.txn = TxnRecord::current([&a, &b]);
        let (mut a, mut b) = ([0u8; TALLY_LEN], [0u8; TALLY_LEN]);
        log.backend.read(TALLY_SLOTS[0], &mut a)?;
        log.backend.read(TALLY_SLOTS[1], &mut b)?;
        log.tally = EvictionTally::current([&a, &b]);
        log.scan_headers()?;
        if let Some(t) = log.txn.filter(|t| t.state == TxnState::Pending) {
            match mode {
                Mode::ReadWrite => log.roll_back(t)?,
                Mode::ReadOnly => {
                    log.pages.retain(|p| p.seq < t.next_seq);
                    log.cut = Some((t.head_seq, t.head_offset as usize));
                    log.next_seq = t.next_seq;
                }
            }
        }
        log.recover_head()?;
        // The tally's last page counted matters only while that page is still live (a crash
        // between the tally's sync and the page's overwrite); otherwise forget it, so that a
        // later page with that sequence number (after a rollback, or a forged tally) is
        // counted when it goes.
        if !log.pages.iter().any(|p| p.seq == log.tally.last_seq) {
            log.tally.last_seq = 0;
        }
        Ok(log)
    }

    /// Open the log if `backend` holds one, else create it. A file whose header was never
    /// written (empty, or zeros where the header goes: a creation that was cut short) is
    /// created anew.
    pub fn open_or_create(backend: B, options: LogOptions) -> Result<Self, LogError> {
        let len = backend.len()?;
        let mut hdr = [0u8; FILE_HEADER_LEN];
        if len >= FILE_HEADER_LEN as u64 {
            backend.read(0, &mut hdr)?;
        }
        if hdr.iter().all(|&b| b == 0) {
            Self::create(backend, options)
        } else {
            Self::open(backend, options)
        }
    }

    pub(super) fn scan_headers(&mut self) -> Result<(), LogError> {
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

    pub(super) fn recover_head(&mut self) -> Result<(), LogError> {
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
            // A read-only view with an import cut out of its head page is never appended to.
            sealed: d.damage > 0 || self.cut.is_some_and(|(s, _)| s == last.seq),
        });
        Ok(())
    }

    /// Undo an interrupted import: zero the pages it started and any debris, cut its chunks
    /// out of the page it began in, then clear the record — each step durable before the
    /// next, so a crash here only means rolling back again at the next open. The in-memory
    /// state is rebuilt from the file (the caller recovers the head).
    pub(super) fn roll_back(&mut self, t: TxnRecord) -> Result<(), LogError> {
        self.pages.clear();
        self.garbage.clear();
        self.head = None;
        self.pending.clear();
        self.newest = None;
        self.importing = None;
        self.scan_headers()?;
        let page_size = self.page_size();
        let zeros = vec![0u8; page_size];
        let doomed: Vec<u32> = self
            .pages
            .iter()
            .filter(|p| p.seq >= t.next_seq)
            .map(|p| p.slot)
            .chain(self.garbage.iter().copied())
            .collect();
        for slot in doomed {
            self.backend.write(self.header.page_offset(slot), &zeros)?;
        }
        if let Some(p) = self.pages.iter().find(|p| p.seq == t.head_seq).copied() {
            let from = (t.head_offset as usize).max(PAGE_HEADER_LEN);
            if from < page_size {
                self.backend.write(
                    self.header.page_offset(p.slot) + from as u64,
                    &zeros[from..],
                )?;
            }
        }
        self.backend.sync()?;
        // Zeroing the pending record makes the one before it (if any, in the other slot)
        // current again: it names the last import that did commit.
        self.backend.write(t.offset(), &[0u8; TXN_LEN])?;
        self.backend.sync()?;
        let mut other = [0u8; TXN_LEN];
        self.backend
            .read(TXN_SLOTS[((t.counter + 1) % 2) as usize], &mut other)?;
        self.txn = TxnRecord::decode(&other).filter(|r| r.counter < t.counter);
        self.pages.clear();
        self.garbage.clear();
        self.scan_headers()
    }
}

impl EncounterLog<FileBackend> {
    /// Open the log [`LOG_FILE`] in `dir` for writing (exclusive lock: a second writer or any
    /// reader is [`LogError::Busy`]), creating the directory and the log if missing (with
    /// `options.capacity_bytes`, reserved on disk).
    pub fn open_dir(dir: &Path, options: LogOptions) -> Result<Self, LogError> {
        std::fs::create_dir_all(dir).map_err(|source| LogError::Open {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = dir.join(LOG_FILE);
        let existed = path.exists();
        let backend = FileBackend::open(&path)?;
        let r = Self::open_or_create(backend, options);
        if r.is_err() && !existed {
            // Do not leave a file that is not a log behind.
            let _ = std::fs::remove_file(&path);
        }
        r
    }

    /// Open the existing log [`LOG_FILE`] in `dir` read-only (shared lock: a writer is
    /// [`LogError::Busy`]). Nothing is created or written; a missing log is
    /// [`LogError::NotFound`].
    pub fn open_dir_read_only(dir: &Path, options: LogOptions) -> Result<Self, LogError> {
        let backend = FileBackend::open_read_only(&dir.join(LOG_FILE))?;
        Self::open_read_only(backend, options)
    }
}
