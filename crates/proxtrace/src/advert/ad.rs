//! Bluetooth LE advertising data: a sequence of AD structures `len ‖ type ‖ data[len − 1]`
//! (Core Specification, Vol 3, Part C, §11).

use super::AdvertError;

/// AD type: flags.
pub const AD_FLAGS: u8 = 0x01;
/// AD type: incomplete list of 16-bit service UUIDs.
pub const AD_INCOMPLETE_UUID16: u8 = 0x02;
/// AD type: complete list of 16-bit service UUIDs.
pub const AD_COMPLETE_UUID16: u8 = 0x03;
/// AD type: incomplete list of 128-bit service UUIDs.
pub const AD_INCOMPLETE_UUID128: u8 = 0x06;
/// AD type: complete list of 128-bit service UUIDs.
pub const AD_COMPLETE_UUID128: u8 = 0x07;
/// AD type: TX power level (signed dBm).
pub const AD_TX_POWER_LEVEL: u8 = 0x0A;
/// AD type: service data for a 16-bit UUID.
pub const AD_SERVICE_DATA_UUID16: u8 = 0x16;
/// AD type: manufacturer-specific data (16-bit company id, little-endian, then data).
pub const AD_MANUFACTURER_DATA: u8 = 0xFF;

/// Flags value both schemes send: LE General Discoverable, BR/EDR not supported,
/// simultaneous LE and BR/EDR (controller and host) — `0x1A`.
pub const FLAGS_VALUE: u8 = 0x1A;

/// Maximum length of legacy advertising data or scan response data.
pub const LEGACY_MAX_LEN: usize = 31;

/// Maximum length of a legacy scan record (advertising data and scan response together).
pub const SCAN_RECORD_LEN: usize = 62;

/// Maximum length of extended advertising data in one advertising report (and of anything
/// [`super::decode_advertising_data`] accepts).
pub const EXTENDED_MAX_LEN: usize = 254;

/// One AD structure: its type and data (the length byte is implied by `data`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdStructure<'a> {
    /// The AD type byte.
    pub ad_type: u8,
    /// The data after the type byte.
    pub data: &'a [u8],
}

/// Iterator over the AD structures of advertising data (legacy, scan record or extended).
///
/// A zero length byte ends the data early (what follows is padding). A structure whose length
/// runs past the end yields [`AdvertError::Truncated`] and ends the iteration.
#[derive(Debug, Clone)]
pub struct AdStructures<'a> {
    bytes: &'a [u8],
    offset: usize,
    done: bool,
}

/// Iterate over the AD structures in `bytes`.
///
/// ```
/// use proxtrace::advert::ad::{ad_structures, AD_FLAGS};
/// let mut it = ad_structures(&[0x02, 0x01, 0x1A, 0x00, 0x00]);
/// let first = it.next().unwrap().unwrap();
/// assert_eq!((first.ad_type, first.data), (AD_FLAGS, &[0x1A][..]));
/// assert!(it.next().is_none()); // zero length: early end, padding follows
/// ```
pub fn ad_structures(bytes: &[u8]) -> AdStructures<'_> {
    AdStructures {
        bytes,
        offset: 0,
        done: false,
    }
}

impl<'a> Iterator for AdStructures<'a> {
    type Item = Result<AdStructure<'a>, AdvertError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let rest = self.bytes.get(self.offset..).unwrap_or_default();
        let Some((&len, after)) = rest.split_first() else {
            self.done = true;
            return None;
        };
        if len == 0 {
            self.done = true;
            return None;
        }
        let len = usize::from(len);
        if after.len() < len {
            self.done = true;
            return Some(Err(AdvertError::Truncated {
                offset: self.offset,
                declared: len,
                available: after.len(),
            }));
        }
        self.offset += 1 + len;
        Some(Ok(AdStructure {
            ad_type: after[0],
            data: &after[1..len],
        }))
    }
}

/// Append one AD structure to `out` (internal encoder helper; lengths are known to fit).
pub(crate) fn push_ad(out: &mut Vec<u8>, ad_type: u8, parts: &[&[u8]]) {
    let len: usize = 1 + parts.iter().map(|p| p.len()).sum::<usize>();
    debug_assert!(len < LEGACY_MAX_LEN);
    out.push(len as u8);
    out.push(ad_type);
    for p in parts {
        out.extend_from_slice(p);
    }
}
