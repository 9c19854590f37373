//! The tracer's key store: its own GAEN keys and Bluezone daily keys, in a versioned,
//! checksummed, little-endian file, optionally sealed with the host's [`StorageKey`], replaced
//! atomically (temporary file, fsync, rename, directory fsync). Byte tables and rules:
//! `docs/keystore-format.md`.
//!
//! ```
//! use proxtrace::storage_key::StorageKey;
//! use proxtrace::tracer::keystore::{self, StoredKeys, StoredTek, KeyStoreError};
//! use rand::SeedableRng;
//!
//! let mut rng = rand::rngs::ChaCha20Rng::seed_from_u64(1); // the OS CSPRNG in real use
//! let keys = StoredKeys {
//!     gaen: vec![StoredTek { rolling_start: 2_642_976, rolling_period: 144, key: [7; 16], published: false }],
//!     bluezone: vec![],
//! };
//! let key = StorageKey::from_bytes([0x42; 32]);
//! let sealed = keystore::encode(&keys, Some(&key), &mut rng)?;
//! assert!(!sealed.windows(16).any(|w| w == [7; 16])); // no key in plaintext
//! assert_eq!(keystore::decode(&sealed, Some(&key))?.keys, keys);
//! assert!(matches!(keystore::decode(&sealed, None), Err(KeyStoreError::KeyRequired)));
//! let other = StorageKey::from_bytes([0x43; 32]);
//! assert!(matches!(keystore::decode(&sealed, Some(&other)), Err(KeyStoreError::WrongKey)));
//! # Ok::<(), KeyStoreError>(())
//! ```
//!
//! Which file opens with which key:
//!
//! | file | no key | a key |
//! |---|---|---|
//! | version 1 (legacy) | read, [`Decoded::needs_rewrite`] | read, `needs_rewrite` (sealed at the rewrite) |
//! | version 2, plain | read | read, `needs_rewrite` (sealed at the rewrite) |
//! | version 2, sealed | [`KeyStoreError::KeyRequired`] | read, or [`KeyStoreError::WrongKey`] |
//!
//! A missing file is an empty store. A file that is truncated, has another magic, an unknown
//! version or flag, a wrong checksum, an impossible count or record, or fails authentication
//! is an error: it is never silently replaced (its keys might be the only copy of what an
//! infected user must publish), and decoding never changes it.

mod error;
mod format;
mod legacy;
mod records;
mod seal;
mod storage;

use rand::TryCryptoRng;
use zeroize::Zeroizing;

pub use error::KeyStoreError;
pub use records::{MAX_KEYS_PER_SCHEME, RecordKind, StoredDailyKey, StoredKeys, StoredTek};
pub use storage::{FileKeyStorage, KEY_STORE_TEMP_FILE, KeyStorage, MemoryKeyStorage};

use crate::storage_key::StorageKey;

/// Key store file name inside a tracer directory.
pub const KEY_STORE_FILE: &str = "keys.ptks";

/// The format version [`encode`] writes. Every version ever written stays readable.
pub const FORMAT_VERSION: u16 = format::VERSION;

/// No key store file is larger (8 MiB; a full store of [`MAX_KEYS_PER_SCHEME`] keys of each
/// kind is about 5 MiB). Larger files are refused before they are read.
pub const MAX_FILE_LEN: usize = 8 << 20;

const MAGIC: &[u8; 4] = b"PTKS";
/// Magic, version, flags, length, CRC: the same 16 bytes in every version.
const HEADER_LEN: usize = 16;

/// A decoded key store.
#[derive(Debug)]
#[non_exhaustive]
pub struct Decoded {
    /// The keys.
    pub keys: StoredKeys,
    /// The format version the file was written in.
    pub version: u16,
    /// Whether the file was sealed with a storage key.
    pub sealed: bool,
    /// Written in a format older than [`FORMAT_VERSION`].
    pub legacy: bool,
    /// The store should be written again now, with [`encode`] and the same key: it is
    /// `legacy`, or a key was given for a plain file (the rewrite seals it).
    pub needs_rewrite: bool,
}

/// Encode `keys` in the current format: sealed with ChaCha20-Poly1305 under `key` when one is
/// given (`rng`, a CSPRNG, draws a fresh salt and nonce for every call), plain otherwise.
/// Counts and records are checked first, so what is written can always be read back.
pub fn encode<R>(
    keys: &StoredKeys,
    key: Option<&StorageKey>,
    rng: &mut R,
) -> Result<Zeroizing<Vec<u8>>, KeyStoreError>
where
    R: TryCryptoRng + ?Sized,
    R::Error: Send + Sync + 'static,
{
    keys.check()?;
    format::encode(keys, key, rng)
}

/// Check and decode a key store of any version. `key` is the host's storage key, if it has
/// one (see the table in the [module documentation](self)). Never changes anything.
pub fn decode(bytes: &[u8], key: Option<&StorageKey>) -> Result<Decoded, KeyStoreError> {
    if bytes.len() >= MAGIC.len() && &bytes[..MAGIC.len()] != MAGIC {
        return Err(KeyStoreError::BadMagic);
    }
    if bytes.len() < HEADER_LEN {
        return Err(KeyStoreError::Truncated {
            expected: HEADER_LEN,
            actual: bytes.len(),
        });
    }
    let version = u16::from_le_bytes([bytes[4], bytes[5]]);
    let (keys, sealed) = match version {
        1 => (legacy::decode(bytes)?, false),
        format::VERSION => format::decode(bytes, key)?,
        v => return Err(KeyStoreError::UnsupportedVersion(v)),
    };
    let legacy = version < FORMAT_VERSION;
    Ok(Decoded {
        keys,
        version,
        sealed,
        legacy,
        needs_rewrite: legacy || (key.is_some() && !sealed),
    })
}

/// Check that stored bytes decode with `key`, without keeping the keys.
pub fn check(bytes: &[u8], key: Option<&StorageKey>) -> Result<(), KeyStoreError> {
    decode(bytes, key).map(drop)
}

#[cfg(test)]
mod tests;
