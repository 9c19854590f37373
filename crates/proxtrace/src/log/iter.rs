//! Reading records back: a streaming iterator that decodes one page at a time.

use std::fmt;

use crate::sighting::ScanAggregate;
use crate::time::UnixTime;

use super::{EncounterLog, LogError, StorageBackend, day_of};

impl<B: StorageBackend> EncounterLog<B> {
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
