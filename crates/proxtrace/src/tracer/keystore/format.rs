//! Format version 2: a 16-byte header, an optional seal block, and a payload of two counted
//! lists of fixed-size little-endian records. Byte tables: `docs/keystore-format.md`.

use rand::TryCryptoRng;
use zeroize::Zeroizing;

use super::records::{RecordKind, StoredDailyKey, StoredKeys, StoredTek, check_count};
use super::seal::{CHECK_NONCE, KEY_CHECK_LEN, SALT_LEN, SEAL_NONCE_LEN, StoreCipher, TAG_LEN};
use super::{HEADER_LEN, KeyStoreError, MAGIC, MAX_FILE_LEN};
use crate::storage_key::StorageKey;

/// The version this module writes.
pub(super) const VERSION: u16 = 2;
/// Header flag: the payload is sealed with a storage key.
pub(super) const FLAG_SEALED: u16 = 1;
/// Record flag: the key was handed out for publication.
const RECORD_PUBLISHED: u8 = 1;

/// Salt, nonce and key check, right after the header of a sealed store.
pub(super) const SEAL_LEN: usize = SALT_LEN + SEAL_NONCE_LEN + KEY_CHECK_LEN;
const COUNTS_LEN: usize = 8;
pub(super) const TEK_RECORD_LEN: usize = 4 + 4 + 16 + 1;
pub(super) const DAILY_KEY_RECORD_LEN: usize = 4 + 8 + 8 + 32 + 1;

/// Header bytes covered by the checksum and, with the seal block, by the AEAD: everything
/// before the CRC field.
const CRC_OFFSET: usize = 12;

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut x = [0u8; 4];
    x.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(x)
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(x)
}

fn crc(file: &[u8]) -> u32 {
    crc32c::crc32c_append(crc32c::crc32c(&file[..CRC_OFFSET]), &file[HEADER_LEN..])
}

/// The associated data of a sealed store: the header without its CRC, and the seal block.
fn aad(file: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut a = Zeroizing::new(Vec::with_capacity(CRC_OFFSET + SEAL_LEN));
    a.extend_from_slice(&file[..CRC_OFFSET]);
    a.extend_from_slice(&file[HEADER_LEN..HEADER_LEN + SEAL_LEN]);
    a
}

fn encode_payload(keys: &StoredKeys) -> Zeroizing<Vec<u8>> {
    let mut p = Zeroizing::new(Vec::with_capacity(
        COUNTS_LEN + keys.gaen.len() * TEK_RECORD_LEN + keys.bluezone.len() * DAILY_KEY_RECORD_LEN,
    ));
    // Counts were checked against MAX_KEYS_PER_SCHEME, far below u32::MAX.
    p.extend_from_slice(&(keys.gaen.len() as u32).to_le_bytes());
    p.extend_from_slice(&(keys.bluezone.len() as u32).to_le_bytes());
    for t in &keys.gaen {
        p.extend_from_slice(&t.rolling_start.to_le_bytes());
        p.extend_from_slice(&t.rolling_period.to_le_bytes());
        p.extend_from_slice(&t.key);
        p.push(if t.published { RECORD_PUBLISHED } else { 0 });
    }
    for k in &keys.bluezone {
        p.extend_from_slice(&k.day.to_le_bytes());
        p.extend_from_slice(&k.valid_from.to_le_bytes());
        p.extend_from_slice(&k.valid_until.to_le_bytes());
        p.extend_from_slice(&k.key);
        p.push(if k.published { RECORD_PUBLISHED } else { 0 });
    }
    p
}

fn record_flags(kind: RecordKind, index: usize, flags: u8) -> Result<bool, KeyStoreError> {
    if flags & !RECORD_PUBLISHED != 0 {
        return Err(KeyStoreError::InvalidRecord {
            kind,
            index,
            reason: "unknown record flag bits (written by a newer proxtrace?)",
        });
    }
    Ok(flags & RECORD_PUBLISHED != 0)
}

fn decode_payload(p: &[u8]) -> Result<StoredKeys, KeyStoreError> {
    if p.len() < COUNTS_LEN {
        return Err(KeyStoreError::Decode(format!(
            "the payload is {} bytes, shorter than its two counts",
            p.len()
        )));
    }
    let teks = check_count(RecordKind::Tek, u64::from(u32_at(p, 0)))?;
    let daily = check_count(RecordKind::DailyKey, u64::from(u32_at(p, 4)))?;
    // Both counts are at most MAX_KEYS_PER_SCHEME: no overflow.
    let need = COUNTS_LEN + teks * TEK_RECORD_LEN + daily * DAILY_KEY_RECORD_LEN;
    if p.len() != need {
        return Err(KeyStoreError::Decode(format!(
            "the payload is {} bytes but its counts ({teks} GAEN keys, {daily} daily keys) need {need}",
            p.len()
        )));
    }
    let mut keys = StoredKeys {
        gaen: Vec::with_capacity(teks),
        bluezone: Vec::with_capacity(daily),
    };
    let mut at = COUNTS_LEN;
    for index in 0..teks {
        let r = &p[at..at + TEK_RECORD_LEN];
        let mut t = StoredTek {
            rolling_start: u32_at(r, 0),
            rolling_period: u32_at(r, 4),
            key: [0; 16],
            published: record_flags(RecordKind::Tek, index, r[24])?,
        };
        t.key.copy_from_slice(&r[8..24]);
        t.check(index)?;
        keys.gaen.push(t);
        at += TEK_RECORD_LEN;
    }
    for index in 0..daily {
        let r = &p[at..at + DAILY_KEY_RECORD_LEN];
        let mut k = StoredDailyKey {
            day: u32_at(r, 0),
            valid_from: u64_at(r, 4),
            valid_until: u64_at(r, 12),
            key: [0; 32],
            published: record_flags(RecordKind::DailyKey, index, r[52])?,
        };
        k.key.copy_from_slice(&r[20..52]);
        k.check(index)?;
        keys.bluezone.push(k);
        at += DAILY_KEY_RECORD_LEN;
    }
    Ok(keys)
}

fn random<R>(rng: &mut R, out: &mut [u8]) -> Result<(), KeyStoreError>
where
    R: TryCryptoRng + ?Sized,
    R::Error: Send + Sync + 'static,
{
    rng.try_fill_bytes(out)
        .map_err(|e| KeyStoreError::Random(Box::new(e)))
}

/// Encode `keys` (already checked) in version 2, sealed when `key` is given.
pub(super) fn encode<R>(
    keys: &StoredKeys,
    key: Option<&StorageKey>,
    rng: &mut R,
) -> Result<Zeroizing<Vec<u8>>, KeyStoreError>
where
    R: TryCryptoRng + ?Sized,
    R::Error: Send + Sync + 'static,
{
    let mut payload = encode_payload(keys);
    let body_len = match key {
        Some(_) => SEAL_LEN + payload.len() + TAG_LEN,
        None => payload.len(),
    };
    let mut out = Zeroizing::new(Vec::with_capacity(HEADER_LEN + body_len));
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    let flags = if key.is_some() { FLAG_SEALED } else { 0 };
    out.extend_from_slice(&flags.to_le_bytes());
    // At most MAX_FILE_LEN (8 MiB): fits in u32.
    out.extend_from_slice(&(body_len as u32).to_le_bytes());
    out.extend_from_slice(&[0; 4]); // CRC, filled in last
    match key {
        None => out.extend_from_slice(&payload),
        Some(key) => {
            let mut salt = [0u8; SALT_LEN];
            random(rng, &mut salt)?;
            // The all-ones nonce is reserved for the key check. A CSPRNG returns it once in
            // 2^96 draws; a generator that keeps returning it is broken.
            let mut nonce = CHECK_NONCE;
            for _ in 0..4 {
                random(rng, &mut nonce)?;
                if nonce != CHECK_NONCE {
                    break;
                }
            }
            let cipher = StoreCipher::new(key, &salt)?;
            out.extend_from_slice(&salt);
            out.extend_from_slice(&nonce);
            out.extend_from_slice(&cipher.key_check()?);
            cipher.seal(nonce, &aad(&out), &mut payload)?;
            out.extend_from_slice(&payload);
        }
    }
    debug_assert_eq!(out.len(), HEADER_LEN + body_len);
    let c = crc(&out);
    out[CRC_OFFSET..HEADER_LEN].copy_from_slice(&c.to_le_bytes());
    Ok(out)
}

/// Decode a version-2 store (magic and version already checked, at least the header there).
/// Returns the keys and whether the store was sealed.
pub(super) fn decode(
    bytes: &[u8],
    key: Option<&StorageKey>,
) -> Result<(StoredKeys, bool), KeyStoreError> {
    let flags = u16::from_le_bytes([bytes[6], bytes[7]]);
    if flags & !FLAG_SEALED != 0 {
        return Err(KeyStoreError::UnsupportedFlags(flags));
    }
    let sealed = flags & FLAG_SEALED != 0;
    let body_len = u32_at(bytes, 8);
    if body_len as usize > MAX_FILE_LEN - HEADER_LEN {
        return Err(KeyStoreError::TooLarge {
            announced: HEADER_LEN as u64 + u64::from(body_len),
        });
    }
    let expected = HEADER_LEN + body_len as usize;
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
    if crc(bytes) != u32_at(bytes, CRC_OFFSET) {
        return Err(KeyStoreError::Checksum);
    }
    if !sealed {
        return Ok((decode_payload(&bytes[HEADER_LEN..])?, false));
    }
    if (body_len as usize) < SEAL_LEN + COUNTS_LEN + TAG_LEN {
        return Err(KeyStoreError::Decode(format!(
            "a sealed store needs at least {} bytes after the header, this one has {body_len}",
            SEAL_LEN + COUNTS_LEN + TAG_LEN
        )));
    }
    let key = key.ok_or(KeyStoreError::KeyRequired)?;
    let seal = &bytes[HEADER_LEN..HEADER_LEN + SEAL_LEN];
    let mut salt = [0u8; SALT_LEN];
    salt.copy_from_slice(&seal[..SALT_LEN]);
    let mut nonce = [0u8; SEAL_NONCE_LEN];
    nonce.copy_from_slice(&seal[SALT_LEN..SALT_LEN + SEAL_NONCE_LEN]);
    let mut check = [0u8; KEY_CHECK_LEN];
    check.copy_from_slice(&seal[SALT_LEN + SEAL_NONCE_LEN..]);
    let cipher = StoreCipher::new(key, &salt)?;
    if !cipher.verify_key_check(&check) {
        return Err(KeyStoreError::WrongKey);
    }
    let mut sealed_payload = Zeroizing::new(bytes[HEADER_LEN + SEAL_LEN..].to_vec());
    let payload = cipher
        .open(nonce, &aad(bytes), &mut sealed_payload)
        .ok_or(KeyStoreError::Tampered)?;
    Ok((decode_payload(payload)?, true))
}
