//! The host's storage key: 32 secret bytes that seal everything a tracer keeps at rest — the
//! key store ([`crate::tracer::keystore`]) and the encounter log ([`crate::log`]).
//!
//! The host keeps it where the platform keeps secrets (Android Keystore wrapping, iOS
//! Keychain) and hands it in as 64 hexadecimal digits, e.g. the tracer configuration's
//! `"storage_key"`:
//!
//! ```
//! use proxtrace::storage_key::StorageKey;
//!
//! let key: StorageKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f".parse()?;
//! assert_eq!(format!("{key:?}"), "StorageKey(<redacted>)");
//! assert!(StorageKey::from_hex("00ff").is_err()); // 4 digits, not 64
//! # Ok::<(), proxtrace::storage_key::StorageKeyError>(())
//! ```
//!
//! Each file derives its own cipher key from the storage key with HKDF-SHA256 and a label of
//! its own (`"proxtrace key store v2"`, `"proxtrace encounter log v1"`) and a random salt, so
//! one storage key can seal both without the two ever sharing a cipher key.

use std::fmt;
use std::str::FromStr;

use rand::TryCryptoRng;
use serde::de::{self, Deserialize, Deserializer, Visitor};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::log::{LogEncryption, LogError};

/// Bytes in a storage key.
pub const STORAGE_KEY_LEN: usize = 32;

/// A 32-byte storage key. Not `Copy`, redacted in `Debug`, zeroized on drop; deserialises
/// from a string of 64 hexadecimal digits and is deliberately not `Serialize` (a key written
/// back into a configuration file would no longer be a secret).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct StorageKey {
    bytes: [u8; STORAGE_KEY_LEN],
}

/// Why a storage key was refused. Nothing of the key is ever repeated in the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StorageKeyError {
    /// Not 64 characters.
    #[error(
        "storage_key must be 64 hexadecimal digits (32 bytes), got {digits} characters; generate it with a CSPRNG and keep it in the platform's key store"
    )]
    Length {
        /// Characters given (after trimming surrounding whitespace).
        digits: usize,
    },
    /// A character that is not a hexadecimal digit.
    #[error(
        "storage_key must be hexadecimal (0-9, a-f, A-F); the character at position {index} is not"
    )]
    NotHex {
        /// Position of the first offending character (0-based, in characters).
        index: usize,
    },
}

impl StorageKey {
    /// A key from its raw bytes (e.g. unwrapped from Android Keystore).
    pub fn from_bytes(bytes: [u8; STORAGE_KEY_LEN]) -> Self {
        Self { bytes }
    }

    /// A key from 64 hexadecimal digits, upper or lower case; whitespace around them (a
    /// trailing newline in a key file) is ignored.
    pub fn from_hex(hex_digits: &str) -> Result<Self, StorageKeyError> {
        let s = hex_digits.trim();
        let digits = s.chars().count();
        if digits != 2 * STORAGE_KEY_LEN {
            return Err(StorageKeyError::Length { digits });
        }
        if let Some(index) = s.chars().position(|c| !c.is_ascii_hexdigit()) {
            return Err(StorageKeyError::NotHex { index });
        }
        let mut key = Self {
            bytes: [0; STORAGE_KEY_LEN],
        };
        // 64 ASCII hex digits: cannot fail, but never panic on input.
        hex::decode_to_slice(s, &mut key.bytes)
            .map_err(|_| StorageKeyError::NotHex { index: 0 })?;
        Ok(key)
    }

    /// The raw bytes (for the file formats' key derivation).
    pub(crate) fn as_bytes(&self) -> &[u8; STORAGE_KEY_LEN] {
        &self.bytes
    }

    /// The encounter log's encryption with this key (see [`LogEncryption::new`]): `rng` must
    /// be a CSPRNG, drawn from afresh for every open.
    pub fn log_encryption<R: TryCryptoRng + ?Sized>(
        &self,
        rng: &mut R,
    ) -> Result<LogEncryption, LogError> {
        LogEncryption::new(self.bytes, rng)
    }
}

impl PartialEq for StorageKey {
    /// Compares every byte, whatever the first difference (no early exit on a secret).
    fn eq(&self, other: &Self) -> bool {
        let diff = self
            .bytes
            .iter()
            .zip(other.bytes.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        std::hint::black_box(diff) == 0
    }
}

impl Eq for StorageKey {}

impl fmt::Debug for StorageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StorageKey(<redacted>)")
    }
}

impl FromStr for StorageKey {
    type Err = StorageKeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_hex(s)
    }
}

impl<'de> Deserialize<'de> for StorageKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct HexKey;

        impl Visitor<'_> for HexKey {
            type Value = StorageKey;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string of 64 hexadecimal digits (a 32-byte storage key)")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<StorageKey, E> {
                StorageKey::from_hex(v).map_err(E::custom)
            }

            fn visit_string<E: de::Error>(self, mut v: String) -> Result<StorageKey, E> {
                let key = StorageKey::from_hex(&v).map_err(E::custom);
                v.zeroize();
                key
            }
        }

        deserializer.deserialize_str(HexKey)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf";

    #[test]
    fn hex_round_trip_and_case() {
        let k = StorageKey::from_hex(HEX).unwrap();
        let want: [u8; 32] = std::array::from_fn(|i| 0xc0 + i as u8);
        assert_eq!(k.as_bytes(), &want);
        assert_eq!(StorageKey::from_hex(&HEX.to_uppercase()).unwrap(), k);
        assert_eq!(StorageKey::from_hex(&format!("  {HEX}\n")).unwrap(), k);
        assert_ne!(StorageKey::from_bytes([0; 32]), k);
    }

    #[test]
    fn bad_keys_are_clear_errors_that_do_not_repeat_the_key() {
        assert_eq!(
            StorageKey::from_hex(&HEX[..62]),
            Err(StorageKeyError::Length { digits: 62 })
        );
        assert_eq!(
            StorageKey::from_hex(&format!("{HEX}00")),
            Err(StorageKeyError::Length { digits: 66 })
        );
        let mut bad = HEX.to_owned();
        bad.replace_range(10..11, "z");
        let e = StorageKey::from_hex(&bad).unwrap_err();
        assert_eq!(e, StorageKeyError::NotHex { index: 10 });
        let text = e.to_string();
        assert!(
            text.contains("storage_key") && !text.contains('z'),
            "{text}"
        );
        // A multi-byte character counts as one character, and is not hex.
        let mut uni = HEX[..63].to_owned();
        uni.push('é');
        assert_eq!(
            StorageKey::from_hex(&uni),
            Err(StorageKeyError::NotHex { index: 63 })
        );
    }

    #[test]
    fn deserialises_from_json_strings_only() {
        let k: StorageKey = serde_json::from_str(&format!("\"{HEX}\"")).unwrap();
        assert_eq!(k, StorageKey::from_hex(HEX).unwrap());
        // An escaped string goes through the owned-string path.
        let escaped = format!("\"\\u0063{}\"", &HEX[1..]);
        let k2: StorageKey = serde_json::from_str(&escaped).unwrap();
        assert_eq!(k2, k);
        let e = serde_json::from_str::<StorageKey>("\"abcd\"").unwrap_err();
        assert!(e.to_string().contains("64 hexadecimal digits"), "{e}");
        assert!(serde_json::from_str::<StorageKey>("[1,2,3]").is_err());
    }

    #[test]
    fn debug_is_redacted() {
        let k = StorageKey::from_hex(HEX).unwrap();
        let text = format!("{k:?} {k:#?}");
        assert!(!text.contains("c0") && !text.contains("192"), "{text}");
    }
}
