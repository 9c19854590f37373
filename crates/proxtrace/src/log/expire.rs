//! Retention: hiding records past it (any handle) and deleting them (writers, explicitly).

use crate::time::UnixTime;

use super::format::PAGE_HEADER_LEN;
use super::{EncounterLog, LogError, StorageBackend, day_of, min_day};

impl<B: StorageBackend> EncounterLog<B> {
    /// Hide records of days past the retention at `now` from iteration and statistics,
    /// without changing anything on disk (readers that want the retained view).
    pub fn hide_expired(&mut self, now: UnixTime) {
        self.min_day = self.min_day.max(min_day(now, self.retention_days));
    }

    /// Zero every page whose day is past the retention at `now` (and any debris of torn
    /// writes); returns the number of pages zeroed. Only writers call this (the tracer once a
    /// day, `log import` before importing): opening never expires anything. Expired records
    /// are hidden from then on even if zeroing fails half-way.
    pub fn expire(&mut self, now: UnixTime) -> Result<usize, LogError> {
        self.check_writable()?;
        self.hide_expired(now);
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
}
