//! The encounter log's byte layout (see `docs/log-format.md` for the tables and the
//! recovery rules). Little-endian throughout.

use super::LogError;

/// File magic.
pub(crate) const FILE_MAGIC: &[u8; 6] = b"PTELOG";
/// Format version written by this proxtrace.
pub(crate) const FORMAT_VERSION: u8 = 1;
/// File header flag: chunks are sealed with an AEAD.
pub(crate) const FLAG_ENCRYPTED: u8 = 1;
/// Bytes of the file header that carry data (the header occupies a whole page).
pub(crate) const FILE_HEADER_LEN: usize = 64;

/// Page magic.
pub(crate) const PAGE_MAGIC: &[u8; 4] = b"PTPG";
/// Page header length; chunks start here.
pub(crate) const PAGE_HEADER_LEN: usize = 20;
/// Plain chunk header: length, length check, CRC32C.
pub(crate) const PLAIN_CHUNK_HEADER: usize = 7;
/// Encrypted chunk header: length, length check, 96-bit nonce.
pub(crate) const SEALED_CHUNK_HEADER: usize = 15;

/// The check byte that guards a chunk length against bit flips (and makes a random position
/// unlikely to look like a chunk start when resynchronising after damage).
pub(crate) fn len_check(len: u16) -> u8 {
    let [lo, hi] = len.to_le_bytes();
    lo ^ hi ^ 0xA5
}
/// AEAD tag length.
pub(crate) const TAG_LEN: usize = 16;

/// Smallest and largest page sizes.
pub(crate) const MIN_PAGE_SIZE: u32 = 512;
pub(crate) const MAX_PAGE_SIZE: u32 = 65_536;
/// Fewest data pages a log may have (the head page, one to fill, one being evicted).
pub(crate) const MIN_PAGES: u32 = 3;

/// The decoded file header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileHeader {
    pub(crate) version: u8,
    pub(crate) flags: u8,
    pub(crate) page_size: u32,
    pub(crate) pages: u32,
    pub(crate) salt: [u8; 16],
    pub(crate) key_check: [u8; 16],
}

impl FileHeader {
    pub(crate) fn encode(&self) -> [u8; FILE_HEADER_LEN] {
        let mut b = [0u8; FILE_HEADER_LEN];
        b[..6].copy_from_slice(FILE_MAGIC);
        b[6] = self.version;
        b[7] = self.flags;
        b[8..12].copy_from_slice(&self.page_size.to_le_bytes());
        b[12..16].copy_from_slice(&self.pages.to_le_bytes());
        b[16..32].copy_from_slice(&self.salt);
        b[32..48].copy_from_slice(&self.key_check);
        let crc = crc32c::crc32c(&b[..60]);
        b[60..].copy_from_slice(&crc.to_le_bytes());
        b
    }

    pub(crate) fn decode(b: &[u8]) -> Result<Self, LogError> {
        if b.len() < FILE_HEADER_LEN || &b[..6] != FILE_MAGIC {
            return Err(LogError::NotALog);
        }
        if crc32c::crc32c(&b[..60]) != u32_le(&b[60..64]) {
            return Err(LogError::CorruptHeader);
        }
        let version = b[6];
        if version != FORMAT_VERSION {
            return Err(LogError::UnsupportedVersion(version));
        }
        let mut salt = [0u8; 16];
        salt.copy_from_slice(&b[16..32]);
        let mut key_check = [0u8; 16];
        key_check.copy_from_slice(&b[32..48]);
        let h = Self {
            version,
            flags: b[7],
            page_size: u32_le(&b[8..12]),
            pages: u32_le(&b[12..16]),
            salt,
            key_check,
        };
        if !(MIN_PAGE_SIZE..=MAX_PAGE_SIZE).contains(&h.page_size)
            || !h.page_size.is_power_of_two()
            || h.pages < MIN_PAGES
        {
            return Err(LogError::CorruptHeader);
        }
        Ok(h)
    }

    pub(crate) fn encrypted(&self) -> bool {
        self.flags & FLAG_ENCRYPTED != 0
    }

    /// Byte offset of data page `slot`.
    pub(crate) fn page_offset(&self, slot: u32) -> u64 {
        (u64::from(slot) + 1) * u64::from(self.page_size)
    }

    /// Total file length.
    pub(crate) fn file_len(&self) -> u64 {
        (u64::from(self.pages) + 1) * u64::from(self.page_size)
    }
}

/// A page header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PageHeader {
    pub(crate) seq: u64,
    pub(crate) day: u32,
}

impl PageHeader {
    pub(crate) fn encode(&self) -> [u8; PAGE_HEADER_LEN] {
        let mut b = [0u8; PAGE_HEADER_LEN];
        b[..4].copy_from_slice(PAGE_MAGIC);
        b[4..12].copy_from_slice(&self.seq.to_le_bytes());
        b[12..16].copy_from_slice(&self.day.to_le_bytes());
        let crc = crc32c::crc32c(&b[..16]);
        b[16..].copy_from_slice(&crc.to_le_bytes());
        b
    }

    /// `None` unless the magic and checksum are right and the sequence number is non-zero.
    pub(crate) fn decode(b: &[u8]) -> Option<Self> {
        if b.len() < PAGE_HEADER_LEN || &b[..4] != PAGE_MAGIC {
            return None;
        }
        if crc32c::crc32c(&b[..16]) != u32_le(&b[16..20]) {
            return None;
        }
        let seq = u64_le(&b[4..12]);
        (seq != 0).then_some(Self {
            seq,
            day: u32_le(&b[12..16]),
        })
    }
}

/// Where the two import transaction record slots live: in the file header page, after the
/// header. Records alternate between them, so writing one never tears the other.
pub(crate) const TXN_SLOTS: [u64; 2] = [FILE_HEADER_LEN as u64, FILE_HEADER_LEN as u64 + 72];
/// Import transaction record length.
pub(crate) const TXN_LEN: usize = 72;
/// Import transaction record magic.
pub(crate) const TXN_MAGIC: &[u8; 4] = b"PTTX";

/// The state of the last import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TxnState {
    /// Begun, not committed: what it wrote is invisible and is rolled back at the next open
    /// for writing.
    Pending,
    /// Committed: everything it wrote is part of the log.
    Committed,
}

/// An import transaction record (see `docs/log-format.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TxnRecord {
    pub(crate) state: TxnState,
    /// Increases by one per record written; the valid record with the highest counter is the
    /// current one. Record `c` lives in slot `c % 2`.
    pub(crate) counter: u64,
    /// Pages with a sequence number at or above this were started by the import.
    pub(crate) next_seq: u64,
    /// The head page when the import began (0: none).
    pub(crate) head_seq: u64,
    /// In that page, chunks at or after this offset belong to the import.
    pub(crate) head_offset: u32,
    /// The caller's name for what was imported (e.g. the SHA-256 of the file).
    pub(crate) import_id: [u8; 32],
}

impl TxnRecord {
    /// Its slot's offset.
    pub(crate) fn offset(&self) -> u64 {
        TXN_SLOTS[(self.counter % 2) as usize]
    }

    pub(crate) fn encode(&self) -> [u8; TXN_LEN] {
        let mut b = [0u8; TXN_LEN];
        b[..4].copy_from_slice(TXN_MAGIC);
        b[4] = match self.state {
            TxnState::Pending => 1,
            TxnState::Committed => 2,
        };
        b[8..16].copy_from_slice(&self.counter.to_le_bytes());
        b[16..24].copy_from_slice(&self.next_seq.to_le_bytes());
        b[24..32].copy_from_slice(&self.head_seq.to_le_bytes());
        b[32..36].copy_from_slice(&self.head_offset.to_le_bytes());
        b[36..68].copy_from_slice(&self.import_id);
        let crc = crc32c::crc32c(&b[..68]);
        b[68..].copy_from_slice(&crc.to_le_bytes());
        b
    }

    /// `None` for zeros, a torn write or anything else that does not check out.
    pub(crate) fn decode(b: &[u8]) -> Option<Self> {
        if b.len() < TXN_LEN || &b[..4] != TXN_MAGIC {
            return None;
        }
        if crc32c::crc32c(&b[..68]) != u32_le(&b[68..72]) {
            return None;
        }
        let state = match b[4] {
            1 => TxnState::Pending,
            2 => TxnState::Committed,
            _ => return None,
        };
        let mut import_id = [0u8; 32];
        import_id.copy_from_slice(&b[36..68]);
        Some(Self {
            state,
            counter: u64_le(&b[8..16]),
            next_seq: u64_le(&b[16..24]),
            head_seq: u64_le(&b[24..32]),
            head_offset: u32_le(&b[32..36]),
            import_id,
        })
    }

    /// The current record of two slots: the valid one with the highest counter (a record
    /// found in the wrong slot is not valid).
    pub(crate) fn current(slots: [&[u8]; 2]) -> Option<Self> {
        slots
            .iter()
            .enumerate()
            .filter_map(|(i, b)| Self::decode(b).filter(|r| (r.counter % 2) as usize == i))
            .max_by_key(|r| r.counter)
    }
}

/// Eviction tally record length.
pub(crate) const TALLY_LEN: usize = 40;
/// Where the two eviction tally slots live: in the file header page, after the import
/// transaction records. Like those, records alternate between the slots.
pub(crate) const TALLY_SLOTS: [u64; 2] = [
    TXN_SLOTS[1] + TXN_LEN as u64,
    TXN_SLOTS[1] + TXN_LEN as u64 + TALLY_LEN as u64,
];
/// Eviction tally record magic.
pub(crate) const TALLY_MAGIC: &[u8; 4] = b"PTEV";

/// What the ring evicted while it was still inside the retention (see `docs/log-format.md`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct EvictionTally {
    /// Increases by one per record written (0: none written yet); record `c` lives in slot
    /// `c % 2`.
    pub(crate) counter: u64,
    /// Records evicted before their retention ended, since the log was created.
    pub(crate) records: u64,
    /// Pages evicted before their retention ended.
    pub(crate) pages: u32,
    /// Sequence number of the last page counted (0: none), so that a page counted just
    /// before a crash is not counted again when it is evicted after it.
    pub(crate) last_seq: u64,
}

impl EvictionTally {
    /// Its slot's offset.
    pub(crate) fn offset(&self) -> u64 {
        TALLY_SLOTS[(self.counter % 2) as usize]
    }

    pub(crate) fn encode(&self) -> [u8; TALLY_LEN] {
        let mut b = [0u8; TALLY_LEN];
        b[..4].copy_from_slice(TALLY_MAGIC);
        b[4..8].copy_from_slice(&self.pages.to_le_bytes());
        b[8..16].copy_from_slice(&self.counter.to_le_bytes());
        b[16..24].copy_from_slice(&self.records.to_le_bytes());
        b[24..32].copy_from_slice(&self.last_seq.to_le_bytes());
        let crc = crc32c::crc32c(&b[..32]);
        b[32..36].copy_from_slice(&crc.to_le_bytes());
        b
    }

    /// `None` for zeros, a torn write or anything else that does not check out.
    pub(crate) fn decode(b: &[u8]) -> Option<Self> {
        if b.len() < TALLY_LEN || &b[..4] != TALLY_MAGIC || b[36..40] != [0; 4] {
            return None;
        }
        if crc32c::crc32c(&b[..32]) != u32_le(&b[32..36]) {
            return None;
        }
        Some(Self {
            pages: u32_le(&b[4..8]),
            counter: u64_le(&b[8..16]),
            records: u64_le(&b[16..24]),
            last_seq: u64_le(&b[24..32]),
        })
    }

    /// The current record of two slots (the valid one, in its own slot, with the highest
    /// counter), or zeros when there is none.
    pub(crate) fn current(slots: [&[u8]; 2]) -> Self {
        slots
            .iter()
            .enumerate()
            .filter_map(|(i, b)| Self::decode(b).filter(|r| (r.counter % 2) as usize == i))
            .max_by_key(|r| r.counter)
            .unwrap_or_default()
    }
}

/// The associated bytes that bind a chunk to its place: page sequence and offset.
pub(crate) fn chunk_binding(seq: u64, offset: u32) -> [u8; 12] {
    let mut b = [0u8; 12];
    b[..8].copy_from_slice(&seq.to_le_bytes());
    b[8..].copy_from_slice(&offset.to_le_bytes());
    b
}

pub(crate) fn u32_le(b: &[u8]) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[..4]);
    u32::from_le_bytes(a)
}

pub(crate) fn u64_le(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_le_bytes(a)
}

/// Append an unsigned LEB128 varint.
pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Read an unsigned LEB128 varint at `*pos`, advancing it. `None` if truncated or longer
/// than 10 bytes.
pub(crate) fn get_varint(b: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v: u64 = 0;
    for shift in (0..70).step_by(7) {
        let byte = *b.get(*pos)?;
        *pos += 1;
        let part = u64::from(byte & 0x7f);
        if shift == 63 && part > 1 {
            return None;
        }
        v |= part << shift;
        if byte & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn varint_round_trip(v in any::<u64>()) {
            let mut b = Vec::new();
            put_varint(&mut b, v);
            let mut pos = 0;
            prop_assert_eq!(get_varint(&b, &mut pos), Some(v));
            prop_assert_eq!(pos, b.len());
            for cut in 0..b.len() {
                let mut p = 0;
                prop_assert_eq!(get_varint(&b[..cut], &mut p), None);
            }
        }

        #[test]
        fn headers_round_trip(seq in 1u64.., day in any::<u32>()) {
            let h = PageHeader { seq, day };
            prop_assert_eq!(PageHeader::decode(&h.encode()), Some(h));
        }

        #[test]
        fn txn_records_round_trip_and_torn_ones_are_absent(
            pending in any::<bool>(), next_seq in any::<u64>(), head_seq in any::<u64>(),
            head_offset in any::<u32>(), id in any::<[u8; 32]>(), cut in 0usize..TXN_LEN,
            counter in any::<u64>(),
        ) {
            let r = TxnRecord {
                state: if pending { TxnState::Pending } else { TxnState::Committed },
                counter, next_seq, head_seq, head_offset, import_id: id,
            };
            let b = r.encode();
            prop_assert_eq!(TxnRecord::decode(&b), Some(r));
            let mut torn = [0u8; TXN_LEN];
            torn[..cut].copy_from_slice(&b[..cut]);
            if torn != b {
                prop_assert_eq!(TxnRecord::decode(&torn), None);
            }
        }
    }

    #[test]
    fn overlong_varints_are_rejected() {
        let mut pos = 0;
        assert_eq!(get_varint(&[0xff; 11], &mut pos), None);
        let mut pos = 0;
        assert_eq!(
            get_varint(
                &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02],
                &mut pos
            ),
            None
        );
    }

    #[test]
    fn file_header_round_trip_and_checks() {
        let h = FileHeader {
            version: FORMAT_VERSION,
            flags: FLAG_ENCRYPTED,
            page_size: 4096,
            pages: 10,
            salt: [3; 16],
            key_check: [4; 16],
        };
        let b = h.encode();
        assert_eq!(FileHeader::decode(&b).unwrap(), h);
        let mut bad = b;
        bad[9] ^= 1;
        assert!(matches!(
            FileHeader::decode(&bad),
            Err(LogError::CorruptHeader)
        ));
        let mut other = b;
        other[0] = b'X';
        assert!(matches!(FileHeader::decode(&other), Err(LogError::NotALog)));
    }
}
