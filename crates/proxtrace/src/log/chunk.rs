//! Chunk framing: sealing a body into a chunk (length, length check, CRC32C or AEAD, bound
//! to page sequence and offset), checking one, and walking a page's chunks with
//! resynchronisation after damage.

use crate::sighting::ScanAggregate;
use crate::time::UtcDay;

use super::format::{self, PAGE_HEADER_LEN, SEALED_CHUNK_HEADER, TAG_LEN, chunk_binding};
use super::record::{self, ReadDict};
use super::{EncounterLog, LogError, StorageBackend};

/// What decoding a page found.
pub(super) struct PageDecode {
    pub(super) records: Vec<ScanAggregate>,
    pub(super) defs: ReadDict,
    /// End of the last chunk.
    pub(super) used: usize,
    /// Corrupt chunks or records skipped.
    pub(super) damage: usize,
}

impl<B: StorageBackend> EncounterLog<B> {
    /// Frame `body` as the chunk at offset `off` of page `seq` (sealing it if encrypted).
    pub(super) fn seal_chunk(
        &mut self,
        seq: u64,
        off: usize,
        mut body: Vec<u8>,
    ) -> Result<Vec<u8>, LogError> {
        let bind = chunk_binding(seq, off as u32);
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
        Ok(chunk)
    }

    /// Check a chunk at `off` and return its body (decrypted) and size, or `None`.
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
                aad.extend_from_slice(&len16.to_le_bytes());
                let mut sealed = body.to_vec();
                c.open(nonce, &aad, &mut sealed)
                    .map(|plain| (plain.to_vec(), hl + len))
            }
        }
    }

    /// Walk the chunks of page `seq` (day `day`) and decode their records. Chunks of an
    /// interrupted import (see `cut`) are not part of the page.
    pub(super) fn decode_page(&self, seq: u64, day: u32, page: &[u8]) -> PageDecode {
        let page = match self.cut {
            Some((s, off)) if s == seq => &page[..off.clamp(PAGE_HEADER_LEN, page.len())],
            _ => page,
        };
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
}
