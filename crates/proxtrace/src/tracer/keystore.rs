//! The tracer's key store on disk: a checksummed, versioned frame around a bincode payload,
//! replaced atomically (write a temporary file, fsync, rename, fsync the directory).
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 4 | magic `"PTKS"` |
//! | 4 | 2 | format version, u16 LE (currently 1) |
//! | 6 | 2 | reserved, 0 |
//! | 8 | 4 | payload length *n*, u32 LE |
//! | 12 | 4 | CRC32C of the payload, u32 LE |
//! | 16 | *n* | payload: bincode 2, standard configuration (little-endian, varint integers) |
//!
//! A missing file is an empty store. A file that is truncated, has another magic, an unknown
//! version, a wrong checksum or an undecodable payload is an error: it is never silently
//! replaced (its keys might be the only copy of what an infected user must publish).

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Key store file name inside a tracer directory.
pub const KEY_STORE_FILE: &str = "keys.ptks";

const MAGIC: &[u8; 4] = b"PTKS";
const VERSION: u16 = 1;
const HEADER_LEN: usize = 16;
/// Refuse absurd payload lengths before allocating (14 days of keys are a few KiB).
const MAX_PAYLOAD: usize = 16 << 20;

/// Why a key store could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyStoreError {
    /// Reading or writing the store failed.
    #[error("key store I/O error: {0}")]
    Io(#[from] io::Error),
    /// The file does not start with the key store magic.
    #[error(
        "not a proxtrace key store (bad magic); refusing to overwrite it — move it away if it is not needed"
    )]
    BadMagic,
    /// Written by a newer proxtrace.
    #[error(
        "key store format version {0} is newer than this proxtrace understands (1); upgrade proxtrace"
    )]
    UnsupportedVersion(u16),
    /// Shorter than its header says.
    #[error(
        "key store is truncated ({actual} of {expected} bytes); restore it from a backup — it is not replaced automatically"
    )]
    Truncated {
        /// Bytes the header announces.
        expected: usize,
        /// Bytes present.
        actual: usize,
    },
    /// The payload checksum does not match.
    #[error(
        "key store checksum mismatch (the file is corrupt); restore it from a backup — it is not replaced automatically"
    )]
    Checksum,
    /// The payload does not decode.
    #[error("key store payload does not decode ({0}); restore it from a backup")]
    Decode(String),
}

/// Where the key store's bytes live. `store` must replace the old contents atomically: after
/// a crash at any point, `load` returns either the old or the new bytes, whole.
pub trait KeyStorage {
    /// The stored bytes, or `None` if nothing was ever stored.
    fn load(&mut self) -> io::Result<Option<Vec<u8>>>;
    /// Replace the stored bytes atomically and durably.
    fn store(&mut self, bytes: &[u8]) -> io::Result<()>;
}

/// A key store file in a directory: temporary file, fsync, rename, directory fsync.
pub struct FileKeyStorage {
    path: PathBuf,
    tmp: PathBuf,
}

impl FileKeyStorage {
    /// The store [`KEY_STORE_FILE`] in `dir` (the directory must exist).
    pub fn new(dir: &Path) -> Self {
        Self {
            path: dir.join(KEY_STORE_FILE),
            tmp: dir.join(format!("{KEY_STORE_FILE}.tmp")),
        }
    }

    /// Path of the store file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Write the temporary file and make it durable, without publishing it (the first half of
    /// [`KeyStorage::store`]; public so crash tests can stop between the halves).
    #[doc(hidden)]
    pub fn write_temporary(&self, bytes: &[u8]) -> io::Result<()> {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&self.tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    }

    /// Publish the temporary file (the second half of [`KeyStorage::store`]).
    #[doc(hidden)]
    pub fn publish_temporary(&self) -> io::Result<()> {
        fs::rename(&self.tmp, &self.path)?;
        if let Some(dir) = self.path.parent() {
            // Make the rename itself durable. Directories cannot be opened on every platform;
            // where they cannot, the rename is as durable as the platform makes it.
            if let Ok(d) = File::open(dir) {
                d.sync_all()?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for FileKeyStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileKeyStorage")
            .field("path", &self.path)
            .finish()
    }
}

impl KeyStorage for FileKeyStorage {
    fn load(&mut self) -> io::Result<Option<Vec<u8>>> {
        match fs::read(&self.path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn store(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.write_temporary(bytes)?;
        self.publish_temporary()
    }
}

/// A key store in memory (simulations and tests).
#[derive(Default)]
pub struct MemoryKeyStorage {
    bytes: Option<Zeroizing<Vec<u8>>>,
}

impl MemoryKeyStorage {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The stored bytes (what a file would hold), if anything was stored.
    pub fn bytes(&self) -> Option<&[u8]> {
        self.bytes.as_deref().map(Vec::as_slice)
    }
}

impl fmt::Debug for MemoryKeyStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryKeyStorage")
            .field("bytes", &self.bytes.as_ref().map(|b| b.len()))
            .finish()
    }
}

impl KeyStorage for MemoryKeyStorage {
    fn load(&mut self) -> io::Result<Option<Vec<u8>>> {
        Ok(self.bytes.as_ref().map(|b| b.to_vec()))
    }

    fn store(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.bytes = Some(Zeroizing::new(bytes.to_vec()));
        Ok(())
    }
}

/// One stored GAEN key.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub(crate) struct StoredTek {
    pub(crate) rolling_start: u32,
    pub(crate) rolling_period: u32,
    pub(crate) key: [u8; 16],
    /// Handed out by `diagnosis_keys`: never broadcast again.
    pub(crate) published: bool,
}

/// One stored Bluezone daily key.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub(crate) struct StoredDailyKey {
    pub(crate) day: u32,
    /// Broadcast from this unix second (midnight, or the moment of a re-key after a report).
    pub(crate) valid_from: u64,
    /// Broadcast until this unix second, exclusive (midnight, or a report).
    pub(crate) valid_until: u64,
    pub(crate) key: [u8; 32],
    pub(crate) published: bool,
}

/// Everything the key store persists (version 1).
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub(crate) struct StoredKeys {
    pub(crate) gaen: Vec<StoredTek>,
    pub(crate) bluezone: Vec<StoredDailyKey>,
}

impl fmt::Debug for StoredKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "StoredKeys({} TEKs, {} daily keys, <redacted>)",
            self.gaen.len(),
            self.bluezone.len()
        )
    }
}

/// Frame and serialise the keys.
pub(crate) fn encode(keys: &StoredKeys) -> Result<Zeroizing<Vec<u8>>, KeyStoreError> {
    let payload = Zeroizing::new(
        bincode::serde::encode_to_vec(keys, bincode::config::standard())
            .map_err(|e| KeyStoreError::Decode(e.to_string()))?,
    );
    let len = u32::try_from(payload.len())
        .map_err(|_| KeyStoreError::Decode("key store larger than 4 GiB".into()))?;
    let mut out = Zeroizing::new(Vec::with_capacity(HEADER_LEN + payload.len()));
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&crc32c::crc32c(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    Ok(out)
}

/// Check that stored bytes decode, without keeping the keys.
pub fn check(bytes: &[u8]) -> Result<(), KeyStoreError> {
    decode(bytes).map(drop)
}

/// Check the frame and deserialise the keys.
pub(crate) fn decode(bytes: &[u8]) -> Result<StoredKeys, KeyStoreError> {
    if bytes.len() < HEADER_LEN {
        return Err(if bytes.len() >= 4 && &bytes[..4] != MAGIC {
            KeyStoreError::BadMagic
        } else {
            KeyStoreError::Truncated {
                expected: HEADER_LEN,
                actual: bytes.len(),
            }
        });
    }
    if &bytes[..4] != MAGIC {
        return Err(KeyStoreError::BadMagic);
    }
    let version = u16::from_le_bytes([bytes[4], bytes[5]]);
    if version != VERSION {
        return Err(KeyStoreError::UnsupportedVersion(version));
    }
    let len = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize;
    let crc = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]);
    let expected = HEADER_LEN.saturating_add(len);
    if len > MAX_PAYLOAD || bytes.len() != expected {
        return Err(KeyStoreError::Truncated {
            expected,
            actual: bytes.len(),
        });
    }
    let payload = &bytes[HEADER_LEN..];
    if crc32c::crc32c(payload) != crc {
        return Err(KeyStoreError::Checksum);
    }
    let (keys, used): (StoredKeys, usize) =
        bincode::serde::decode_from_slice(payload, bincode::config::standard())
            .map_err(|e| KeyStoreError::Decode(e.to_string()))?;
    if used != payload.len() {
        return Err(KeyStoreError::Decode(format!(
            "{} trailing bytes after the keys",
            payload.len() - used
        )));
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> StoredKeys {
        StoredKeys {
            gaen: vec![StoredTek {
                rolling_start: 2_642_976,
                rolling_period: 144,
                key: [7; 16],
                published: false,
            }],
            bluezone: vec![StoredDailyKey {
                day: 18_482,
                valid_from: 1_596_844_800,
                valid_until: 1_596_931_200,
                key: [9; 32],
                published: true,
            }],
        }
    }

    #[test]
    fn round_trip() {
        let bytes = encode(&sample()).unwrap();
        assert_eq!(&bytes[..4], b"PTKS");
        assert_eq!(decode(&bytes).unwrap(), sample());
    }

    #[test]
    fn every_corruption_is_a_clear_error() {
        let bytes = encode(&sample()).unwrap().to_vec();
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err(), "truncated at {cut}");
        }
        let mut bad = bytes.clone();
        bad[0] = b'X';
        assert!(matches!(decode(&bad), Err(KeyStoreError::BadMagic)));
        let mut bad = bytes.clone();
        bad[4] = 2;
        assert!(matches!(
            decode(&bad),
            Err(KeyStoreError::UnsupportedVersion(2))
        ));
        let mut bad = bytes.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(matches!(decode(&bad), Err(KeyStoreError::Checksum)));
        let mut long = bytes.clone();
        long.push(0);
        assert!(matches!(
            decode(&long),
            Err(KeyStoreError::Truncated { .. })
        ));
    }

    #[test]
    fn debug_redacts_keys() {
        let text = format!("{:?}", sample());
        assert!(!text.contains("7, 7") && !text.contains('9'), "{text}");
    }

    proptest! {
        #[test]
        fn decoding_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode(&bytes);
            let mut framed = b"PTKS\x01\x00\x00\x00".to_vec();
            framed.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            framed.extend_from_slice(&crc32c::crc32c(&bytes).to_le_bytes());
            framed.extend_from_slice(&bytes);
            let _ = decode(&framed);
        }
    }

    #[test]
    fn file_storage_is_atomic_at_the_rename() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = FileKeyStorage::new(dir.path());
        assert_eq!(s.load().unwrap(), None);
        s.store(b"old").unwrap();
        // A crash after the temporary file is durable but before the rename: the old bytes
        // are still what loads, and the stale temporary file is harmless.
        s.write_temporary(b"new").unwrap();
        assert_eq!(
            FileKeyStorage::new(dir.path()).load().unwrap().unwrap(),
            b"old"
        );
        // A crash in the middle of writing the temporary file: same.
        fs::write(dir.path().join(format!("{KEY_STORE_FILE}.tmp")), b"ne").unwrap();
        assert_eq!(
            FileKeyStorage::new(dir.path()).load().unwrap().unwrap(),
            b"old"
        );
        // The next store replaces everything.
        s.store(b"newer").unwrap();
        assert_eq!(
            FileKeyStorage::new(dir.path()).load().unwrap().unwrap(),
            b"newer"
        );
    }
}
