//! Appending: records are queued, then written as chunks into the head page (a new page per
//! UTC day or when one fills) and made durable by `sync`.

use crate::sighting::ScanAggregate;
use crate::time::UtcDay;

use super::format::{EvictionTally, PAGE_HEADER_LEN, PageHeader, TAG_LEN};
use super::record::{ChunkEncoder, WriteDict};
use super::{EncounterLog, Head, LogError, PageInfo, StorageBackend, day_of};

/// What [`EncounterLog::append`] did with a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    /// Queued; durable after the next [`EncounterLog::sync`].
    Stored,
    /// Older than the retention period: dropped, as it would be deleted at once.
    Expired,
}

impl<B: StorageBackend> EncounterLog<B> {
    /// Queue a record. Records must come in non-decreasing `first_seen` order; they are
    /// durable after the next [`sync`](Self::sync). A record of a day already past the
    /// retention (as last applied by [`expire`](Self::expire)) is dropped.
    pub fn append(&mut self, r: &ScanAggregate) -> Result<Appended, LogError> {
        self.check_writable()?;
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

    /// Write every queued record and make it durable.
    pub fn sync(&mut self) -> Result<(), LogError> {
        self.check_writable()?;
        self.write_pending()?;
        self.backend.sync()?;
        Ok(())
    }

    /// Write the queued records (not yet durable). On failure they stay queued.
    pub(super) fn write_pending(&mut self) -> Result<(), LogError> {
        let pending = std::mem::take(&mut self.pending);
        let result = self.write_records(&pending);
        if result.is_err() {
            // Nothing is acknowledged; keep the records queued for a retry.
            self.pending = pending;
        }
        result
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
                    self.start_page(day)?;
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

    fn start_page(&mut self, day: u32) -> Result<(), LogError> {
        if let Some(started) = self.importing {
            // An import may not wrap the ring onto its own first page: it would evict its own
            // records (or the page it started in).
            if started + 1 >= self.header.pages {
                return Err(LogError::ImportTooLarge {
                    pages: self.header.pages,
                    page_size: self.header.page_size,
                });
            }
            self.importing = Some(started + 1);
        }
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
        Ok(())
    }

    fn write_chunk(&mut self, enc: ChunkEncoder) -> Result<(), LogError> {
        let page_size = self.page_size();
        let Some(head) = self.head.as_mut() else {
            return Ok(());
        };
        let body = enc.finish(&mut head.dict);
        let (seq, off, slot, day, fresh) = (head.seq, head.used, head.slot, head.day, head.fresh);
        let chunk = self.seal_chunk(seq, off, body)?;
        let page_off = self.header.page_offset(slot);
        if fresh {
            // A new page: header, first chunk and zeros in one write, which also wipes the
            // page being evicted from this slot.
            let mut page = vec![0u8; page_size];
            page[..PAGE_HEADER_LEN].copy_from_slice(&PageHeader { seq, day }.encode());
            page[off..off + chunk.len()].copy_from_slice(&chunk);
            self.tally_eviction(slot, day)?;
            self.pages.retain(|p| p.slot != slot);
            self.garbage.retain(|&g| g != slot);
            self.write_or_seal(page_off, &page)?;
            self.pages.push(PageInfo { slot, seq, day });
        } else {
            self.write_or_seal(page_off + off as u64, &chunk)?;
        }
        if let Some(head) = self.head.as_mut() {
            head.fresh = false;
            head.used = off + chunk.len();
        }
        Ok(())
    }

    /// Before page `slot` is overwritten by a page of `day`: if the page there is still inside
    /// the retention (`day − its day ≤ retention_days`), count its records in the eviction
    /// tally, write the tally and sync, so that the page is never gone without being counted
    /// (a crash between the sync and the page write leaves the page, and the tally's
    /// `last_seq` keeps it from being counted twice). Costs a sync only when the ring evicts
    /// inside the retention.
    fn tally_eviction(&mut self, slot: u32, day: u32) -> Result<(), LogError> {
        let Some(victim) = self.pages.iter().find(|p| p.slot == slot).copied() else {
            return Ok(());
        };
        if day.saturating_sub(victim.day) > self.retention_days
            || victim.day < self.min_day
            || victim.seq == self.tally.last_seq
        {
            return Ok(());
        }
        let old = self.read_page(slot)?;
        let records = self.decode_page(victim.seq, victim.day, &old).records.len();
        let tally = EvictionTally {
            counter: self.tally.counter + 1,
            records: self.tally.records.saturating_add(records as u64),
            pages: self.tally.pages.saturating_add(1),
            last_seq: victim.seq,
        };
        self.write_or_seal(tally.offset(), &tally.encode())?;
        let synced = self.backend.sync();
        if synced.is_err()
            && let Some(h) = self.head.as_mut()
        {
            h.sealed = true;
        }
        synced?;
        self.tally = tally;
        Ok(())
    }

    /// Write, or on failure seal the head: its dictionary already counts the chunk's
    /// definitions, so a retry must start a fresh page rather than refer to them.
    fn write_or_seal(&mut self, offset: u64, data: &[u8]) -> Result<(), LogError> {
        let r = self.backend.write(offset, data);
        if r.is_err()
            && let Some(h) = self.head.as_mut()
        {
            h.sealed = true;
        }
        Ok(r?)
    }
}
