//! Format version 1, read only: the "PTKS" frame around the payload proxtrace ≤ 0.1 wrote
//! with bincode 2 (serde, standard configuration), decoded by hand so that the unmaintained
//! bincode crate (RUSTSEC-2025-0141) is no longer a dependency.
//!
//! bincode's standard configuration writes `u8` as one byte, `bool` as one byte 0 or 1, a
//! fixed-size array as its elements, a struct as its fields in order, a `Vec` as a `u64`
//! length then its elements, and every wider unsigned integer as a *varint*: a value up to 250
//! is the byte itself; 251, 252 and 253 announce a little-endian `u16`, `u32` or `u64`. (254,
//! `u128`, and 255 never occur here and are refused, as is a wider form than the type, as
//! bincode does.) Like bincode, a longer form than needed is accepted.

use super::records::{RecordKind, StoredDailyKey, StoredKeys, StoredTek, check_count};
use super::{HEADER_LEN, KeyStoreError, MAX_FILE_LEN};

/// The smallest encodings of a record (every varint one byte): counts larger than the bytes
/// left can hold are refused before allocating.
const MIN_TEK_LEN: usize = 1 + 1 + 16 + 1;
const MIN_DAILY_KEY_LEN: usize = 1 + 1 + 1 + 32 + 1;

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

fn short(what: &str) -> KeyStoreError {
    KeyStoreError::Decode(format!("the version-1 payload ends inside {what}"))
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], KeyStoreError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| short(what))?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn remaining(&self) -> usize {
        self.bytes.len() - self.at
    }

    fn u8(&mut self, what: &str) -> Result<u8, KeyStoreError> {
        Ok(self.take(1, what)?[0])
    }

    fn bool(&mut self, what: &str) -> Result<bool, KeyStoreError> {
        match self.u8(what)? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(KeyStoreError::Decode(format!(
                "{what} is {b}, not a boolean (0 or 1)"
            ))),
        }
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], KeyStoreError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    /// A varint of at most `max_tag` width (252: `u32`, 253: `u64`).
    fn varint(&mut self, max_tag: u8, what: &str) -> Result<u64, KeyStoreError> {
        let tag = self.u8(what)?;
        let value = match tag {
            0..=250 => u64::from(tag),
            251 => u64::from(u16::from_le_bytes(self.array(what)?)),
            252 if max_tag >= 252 => u64::from(u32::from_le_bytes(self.array(what)?)),
            253 if max_tag >= 253 => u64::from_le_bytes(self.array(what)?),
            _ => {
                return Err(KeyStoreError::Decode(format!(
                    "{what} has varint tag {tag}, too wide for its type"
                )));
            }
        };
        Ok(value)
    }

    fn u32(&mut self, what: &str) -> Result<u32, KeyStoreError> {
        // A tag of at most 252 holds at most a u32.
        self.varint(252, what).map(|v| v as u32)
    }

    fn u64(&mut self, what: &str) -> Result<u64, KeyStoreError> {
        self.varint(253, what)
    }

    /// A `Vec` length, refused if above the limit or if the bytes left cannot hold that many
    /// records of `min_len` bytes.
    fn count(&mut self, kind: RecordKind, min_len: usize) -> Result<usize, KeyStoreError> {
        let n = check_count(kind, self.u64("a list length")?)?;
        if n.saturating_mul(min_len) > self.remaining() {
            return Err(KeyStoreError::Decode(format!(
                "the version-1 payload announces {n} {kind} records but has only {} bytes left",
                self.remaining()
            )));
        }
        Ok(n)
    }
}

fn payload(p: &[u8]) -> Result<StoredKeys, KeyStoreError> {
    let mut r = Reader { bytes: p, at: 0 };
    let teks = r.count(RecordKind::Tek, MIN_TEK_LEN)?;
    let mut keys = StoredKeys {
        gaen: Vec::with_capacity(teks),
        bluezone: Vec::new(),
    };
    for index in 0..teks {
        let t = StoredTek {
            rolling_start: r.u32("rolling_start")?,
            rolling_period: r.u32("rolling_period")?,
            key: r.array("a GAEN key")?,
            published: r.bool("published")?,
        };
        t.check(index)?;
        keys.gaen.push(t);
    }
    let daily = r.count(RecordKind::DailyKey, MIN_DAILY_KEY_LEN)?;
    keys.bluezone.reserve_exact(daily);
    for index in 0..daily {
        let k = StoredDailyKey {
            day: r.u32("day")?,
            valid_from: r.u64("valid_from")?,
            valid_until: r.u64("valid_until")?,
            key: r.array("a daily key")?,
            published: r.bool("published")?,
        };
        k.check(index)?;
        keys.bluezone.push(k);
    }
    if r.remaining() != 0 {
        return Err(KeyStoreError::Decode(format!(
            "{} trailing bytes after the keys",
            r.remaining()
        )));
    }
    Ok(keys)
}

/// Decode a version-1 store (magic and version already checked, at least the header there).
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 4 | magic `"PTKS"` |
/// | 4 | 2 | version, u16 LE: 1 |
/// | 6 | 2 | reserved, 0 |
/// | 8 | 4 | payload length *n*, u32 LE |
/// | 12 | 4 | CRC32C of the payload, u32 LE |
/// | 16 | *n* | payload (bincode 2, standard configuration) |
pub(super) fn decode(bytes: &[u8]) -> Result<StoredKeys, KeyStoreError> {
    // Not covered by the checksum; every writer wrote zeros.
    if bytes[6..8] != [0, 0] {
        return Err(KeyStoreError::Decode(
            "the version-1 header's reserved bytes are not zero".into(),
        ));
    }
    let len = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    if len as usize > MAX_FILE_LEN - HEADER_LEN {
        return Err(KeyStoreError::TooLarge {
            announced: HEADER_LEN as u64 + u64::from(len),
        });
    }
    let expected = HEADER_LEN + len as usize;
    if bytes.len() < expected {
        return Err(KeyStoreError::Truncated {
            expected,
            actual: bytes.len(),
        });
    }
    if bytes.len() > expected {
        return Err(KeyStoreError::TrailingBytes {
            expected,
            actual: bytes.len(),
        });
    }
    let crc = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]);
    let p = &bytes[HEADER_LEN..];
    if crc32c::crc32c(p) != crc {
        return Err(KeyStoreError::Checksum);
    }
    payload(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(p: &[u8]) -> Vec<u8> {
        let mut f = b"PTKS\x01\x00\x00\x00".to_vec();
        f.extend_from_slice(&(p.len() as u32).to_le_bytes());
        f.extend_from_slice(&crc32c::crc32c(p).to_le_bytes());
        f.extend_from_slice(p);
        f
    }

    fn tek(start: &[u8], period: &[u8], published: u8) -> Vec<u8> {
        let mut v = start.to_vec();
        v.extend_from_slice(period);
        v.extend_from_slice(&[0x5a; 16]);
        v.push(published);
        v
    }

    #[test]
    fn varint_widths_and_long_forms() {
        // rolling_start as u32 form, period as a one-byte value; then the same values in
        // longer-than-needed forms (bincode accepts those too).
        let mut p = vec![2];
        p.extend(tek(&[252, 0x20, 0x54, 0x28, 0x00], &[144], 1));
        p.extend(tek(&[252, 0x20, 0x54, 0x28, 0x00], &[251, 144, 0], 0));
        p.push(0);
        let keys = decode(&frame(&p)).unwrap();
        assert_eq!(keys.gaen.len(), 2);
        for t in &keys.gaen {
            assert_eq!((t.rolling_start, t.rolling_period), (2_642_976, 144));
            assert_eq!(t.key, [0x5a; 16]);
        }
        assert!(keys.gaen[0].published && !keys.gaen[1].published);
    }

    #[test]
    fn a_list_length_in_the_u16_form() {
        // 300 TEKs: the length is 251 followed by 300 as u16.
        let mut p = vec![251, 0x2c, 0x01];
        for i in 0..300u32 {
            let start = 2_642_976 + 144 * i;
            let mut s = vec![252];
            s.extend_from_slice(&start.to_le_bytes());
            p.extend(tek(&s, &[144], 0));
        }
        p.push(0);
        let keys = decode(&frame(&p)).unwrap();
        assert_eq!(keys.gaen.len(), 300);
        assert_eq!(keys.gaen[299].rolling_start, 2_642_976 + 144 * 299);
    }

    #[test]
    fn too_wide_forms_bad_booleans_and_trailing_bytes_are_errors() {
        let wide = [253, 1, 0, 0, 0, 0, 0, 0, 0];
        let mut p = vec![1];
        p.extend(tek(&wide, &[144], 0));
        p.push(0);
        assert!(matches!(decode(&frame(&p)), Err(KeyStoreError::Decode(_))));
        let mut p = vec![1];
        p.extend(tek(&[7], &[144], 2));
        p.push(0);
        let e = decode(&frame(&p)).unwrap_err();
        assert!(
            e.to_string().contains("published is 2, not a boolean"),
            "{e}"
        );
        // No keys, then one byte too many.
        let mut p = vec![0, 0, 0];
        assert!(matches!(decode(&frame(&p)), Err(KeyStoreError::Decode(_))));
        p.truncate(2);
        assert!(decode(&frame(&p)).unwrap().gaen.is_empty());
        for tag in [254u8, 255] {
            assert!(decode(&frame(&[tag, 0, 0])).is_err(), "tag {tag}");
        }
    }

    #[test]
    fn absurd_counts_are_refused_before_allocating() {
        // 2^64 − 1 records announced in a 12-byte payload.
        let mut p = vec![253];
        p.extend_from_slice(&u64::MAX.to_le_bytes());
        p.push(0);
        assert!(matches!(
            decode(&frame(&p)),
            Err(KeyStoreError::TooManyKeys {
                count: u64::MAX,
                ..
            })
        ));
        // Under the limit, but more than the bytes left can hold.
        let p = [251, 0, 1, 0];
        let e = decode(&frame(&p)).unwrap_err();
        assert!(e.to_string().contains("256"), "{e}");
    }

    #[test]
    fn records_the_tracer_could_not_use_are_refused() {
        let mut p = vec![1];
        p.extend(tek(&[7], &[0], 0));
        p.push(0);
        assert!(matches!(
            decode(&frame(&p)),
            Err(KeyStoreError::InvalidRecord { index: 0, .. })
        ));
        let mut p = vec![1];
        p.extend(tek(&[252, 0xff, 0xff, 0xff, 0xff], &[1], 0));
        p.push(0);
        assert!(matches!(
            decode(&frame(&p)),
            Err(KeyStoreError::InvalidRecord { .. })
        ));
    }
}
