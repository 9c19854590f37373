//! All-or-nothing imports: a transaction record in the header page marks an import as
//! pending while its records are written, and as committed once they are durable. Until then
//! readers do not see them and the next open for writing rolls them back, so after a crash or
//! a full disk the log holds none or all of an import, and the same import can be retried.

use std::fmt;

use crate::sighting::ScanAggregate;

use super::format::{TxnRecord, TxnState};
use super::{Appended, EncounterLog, LogError, StorageBackend};

/// Records queued in memory before an import writes them out (not yet durable): bounds an
/// import's memory whatever its size.
const IMPORT_FLUSH_RECORDS: usize = 1024;

/// The caller's name for an import, stored with it: e.g. the SHA-256 of the imported file,
/// so that a retry after a crash that came just after the commit can tell it is done.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ImportId(pub [u8; 32]);

impl fmt::Debug for ImportId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ImportId(")?;
        for b in &self.0[..8] {
            write!(f, "{b:02x}")?;
        }
        write!(f, "…)")
    }
}

/// An import in progress (from [`EncounterLog::begin_import`]). Its records are invisible
/// until [`commit`](Self::commit); dropping it without committing rolls it back.
pub struct Import<'a, B: StorageBackend> {
    log: &'a mut EncounterLog<B>,
    record: TxnRecord,
    stored: u64,
    expired: u64,
    done: bool,
}

impl<B: StorageBackend> fmt::Debug for Import<'_, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Import")
            .field("stored", &self.stored)
            .field("expired", &self.expired)
            .finish_non_exhaustive()
    }
}

impl<B: StorageBackend> EncounterLog<B> {
    /// The id of the last import committed to this log, if its record is still there (the
    /// next import replaces it).
    pub fn last_import(&self) -> Option<ImportId> {
        self.txn
            .filter(|t| t.state == TxnState::Committed)
            .map(|t| ImportId(t.import_id))
    }

    /// Begin an all-or-nothing import named `id`: records queued so far are made durable,
    /// then a pending transaction record is. An import may fill at most `pages − 1` pages
    /// ([`LogError::ImportTooLarge`] otherwise, and nothing is imported).
    pub fn begin_import(&mut self, id: ImportId) -> Result<Import<'_, B>, LogError> {
        self.check_writable()?;
        self.sync()?;
        let page_size = self.page_size();
        let (head_seq, head_offset) = match &self.head {
            // A fresh head exists only in memory; a sealed one gets nothing more.
            Some(h) if !h.fresh && !h.sealed => (h.seq, h.used),
            Some(h) if !h.fresh => (h.seq, page_size),
            _ => (0, page_size),
        };
        let record = TxnRecord {
            state: TxnState::Pending,
            counter: self.txn.map_or(0, |t| t.counter + 1),
            next_seq: self.next_seq,
            head_seq,
            head_offset: head_offset as u32,
            import_id: id.0,
        };
        self.backend.write(record.offset(), &record.encode())?;
        self.backend.sync()?;
        self.txn = Some(record);
        self.importing = Some(0);
        Ok(Import {
            log: self,
            record,
            stored: 0,
            expired: 0,
            done: false,
        })
    }
}

impl<B: StorageBackend> Import<'_, B> {
    /// Add a record (same rules as [`EncounterLog::append`]). Not durable, and not visible to
    /// other handles, until [`commit`](Self::commit).
    pub fn append(&mut self, r: &ScanAggregate) -> Result<Appended, LogError> {
        let a = self.log.append(r)?;
        match a {
            Appended::Stored => self.stored += 1,
            Appended::Expired => self.expired += 1,
        }
        if self.log.pending.len() >= IMPORT_FLUSH_RECORDS {
            self.log.write_pending()?;
        }
        Ok(a)
    }

    /// Records stored so far (records already past the retention are counted apart).
    pub fn stored(&self) -> u64 {
        self.stored
    }

    /// Records dropped so far because they were past the retention.
    pub fn expired(&self) -> u64 {
        self.expired
    }

    /// Make every record of the import durable, then mark it committed. On error the import
    /// is rolled back (or, if even that fails, rolled back at the next open).
    pub fn commit(mut self) -> Result<(), LogError> {
        let r = self.try_commit();
        if r.is_ok() {
            self.done = true;
        }
        r
    }

    fn try_commit(&mut self) -> Result<(), LogError> {
        self.log.write_pending()?;
        self.log.backend.sync()?;
        // Into the other slot: a torn write leaves the pending record, and a rollback.
        let committed = TxnRecord {
            state: TxnState::Committed,
            counter: self.record.counter + 1,
            ..self.record
        };
        self.log
            .backend
            .write(committed.offset(), &committed.encode())?;
        self.log.backend.sync()?;
        self.log.txn = Some(committed);
        self.log.importing = None;
        Ok(())
    }

    /// Undo everything the import wrote.
    pub fn rollback(mut self) -> Result<(), LogError> {
        self.done = true;
        self.log.abort_import(self.record)
    }
}

impl<B: StorageBackend> Drop for Import<'_, B> {
    fn drop(&mut self) {
        if !self.done {
            // Errors are kept: the handle is poisoned and the next open rolls back.
            let _ = self.log.abort_import(self.record);
        }
    }
}

impl<B: StorageBackend> EncounterLog<B> {
    fn abort_import(&mut self, record: TxnRecord) -> Result<(), LogError> {
        let r = self.roll_back(record).and_then(|()| self.recover_head());
        self.importing = None;
        if let Err(e) = r {
            self.poisoned = true;
            return Err(LogError::RollbackPending {
                source: Box::new(e),
            });
        }
        Ok(())
    }
}
