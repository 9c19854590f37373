//! Figures about a log (`proxtrace log stats`).

use std::collections::HashSet;

use serde::Serialize;

use crate::identifier::Identifier;
use crate::time::UnixTime;

use super::{EncounterLog, LogError, StorageBackend};

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
    /// Records the ring evicted while they were still inside the retention, since the log
    /// was created (0 while the log has room for its retention). Made durable before the
    /// page is overwritten, so nothing is evicted uncounted.
    pub evicted_before_retention: u64,
}

impl<B: StorageBackend> EncounterLog<B> {
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
            evicted_before_retention: self.tally.records,
        })
    }
}
