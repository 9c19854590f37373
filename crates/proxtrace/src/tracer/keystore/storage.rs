//! Where the key store's bytes live: a file replaced atomically, or memory.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::{KEY_STORE_FILE, MAX_FILE_LEN};

/// Where the key store's bytes live. `store` must replace the old contents atomically: after
/// a crash at any point, `load` returns either the old or the new bytes, whole.
pub trait KeyStorage {
    /// The stored bytes, or `None` if nothing was ever stored.
    fn load(&mut self) -> io::Result<Option<Zeroizing<Vec<u8>>>>;
    /// Replace the stored bytes atomically and durably.
    fn store(&mut self, bytes: &[u8]) -> io::Result<()>;
}

/// The temporary file [`FileKeyStorage`] writes before renaming it over the store.
pub const KEY_STORE_TEMP_FILE: &str = "keys.ptks.tmp";

/// A key store file in a directory: write a temporary file (mode 0600 on Unix), fsync it,
/// rename it over [`KEY_STORE_FILE`], fsync the directory.
///
/// A crash before the rename leaves the old store and a stale [`KEY_STORE_TEMP_FILE`], which
/// the next store replaces; a crash after it leaves the new store. Reading refuses files over
/// [`MAX_FILE_LEN`] bytes without reading them.
pub struct FileKeyStorage {
    path: PathBuf,
    tmp: PathBuf,
}

impl FileKeyStorage {
    /// The store [`KEY_STORE_FILE`] in `dir` (the directory must exist).
    pub fn new(dir: &Path) -> Self {
        Self {
            path: dir.join(KEY_STORE_FILE),
            tmp: dir.join(KEY_STORE_TEMP_FILE),
        }
    }

    /// Path of the store file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Path of the temporary file (present only while a store is in progress, or after a
    /// crash during one).
    pub fn temporary_path(&self) -> &Path {
        &self.tmp
    }

    /// Write the temporary file and make it durable, without publishing it.
    fn write_temporary(&self, bytes: &[u8]) -> io::Result<()> {
        // A stale temporary file (a crash, or an older proxtrace that created it 0644) is
        // removed, so the new one is always created here with mode 0600.
        match fs::remove_file(&self.tmp) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut f = options.open(&self.tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    }

    /// Publish the temporary file.
    fn publish_temporary(&self) -> io::Result<()> {
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

fn too_large(path: &Path, len: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "{}: {len} bytes, larger than any key store ({MAX_FILE_LEN} bytes at most); it is not a key store or it is corrupt",
            path.display()
        ),
    )
}

impl KeyStorage for FileKeyStorage {
    fn load(&mut self) -> io::Result<Option<Zeroizing<Vec<u8>>>> {
        let f = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let len = f.metadata()?.len();
        if len > MAX_FILE_LEN as u64 {
            return Err(too_large(&self.path, len));
        }
        // Sized up front so that the buffer holding the keys is never reallocated (which
        // would leave copies behind that are not zeroized).
        let mut bytes = Zeroizing::new(Vec::with_capacity(len as usize + 1));
        f.take(MAX_FILE_LEN as u64 + 1).read_to_end(&mut bytes)?;
        if bytes.len() > MAX_FILE_LEN {
            return Err(too_large(&self.path, bytes.len() as u64));
        }
        Ok(Some(bytes))
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
    fn load(&mut self) -> io::Result<Option<Zeroizing<Vec<u8>>>> {
        Ok(self.bytes.as_ref().map(|b| Zeroizing::new(b.to_vec())))
    }

    fn store(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.bytes = Some(Zeroizing::new(bytes.to_vec()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            **FileKeyStorage::new(dir.path()).load().unwrap().unwrap(),
            *b"old"
        );
        // A crash in the middle of writing the temporary file: same.
        fs::write(s.temporary_path(), b"ne").unwrap();
        assert_eq!(
            **FileKeyStorage::new(dir.path()).load().unwrap().unwrap(),
            *b"old"
        );
        // The next store replaces everything and leaves no temporary file.
        s.store(b"newer").unwrap();
        assert_eq!(
            **FileKeyStorage::new(dir.path()).load().unwrap().unwrap(),
            *b"newer"
        );
        assert!(!s.temporary_path().exists());
    }

    #[test]
    fn files_larger_than_any_store_are_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = FileKeyStorage::new(dir.path());
        let f = File::create(s.path()).unwrap();
        f.set_len(MAX_FILE_LEN as u64 + 1).unwrap();
        let e = s.load().unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert!(e.to_string().contains("larger than any key store"), "{e}");
        f.set_len(MAX_FILE_LEN as u64).unwrap();
        assert_eq!(s.load().unwrap().unwrap().len(), MAX_FILE_LEN);
    }
}
