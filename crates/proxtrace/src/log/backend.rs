//! Where the log's bytes live: a narrow, redb-style storage interface, a file backend and a
//! memory backend. Tests add a backend that simulates crashes.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// Random-access storage for the encounter log.
///
/// The log only ever writes whole regions it owns and calls `sync` at its durability points;
/// after `sync` returns, everything written before must survive a power cut.
#[allow(clippy::len_without_is_empty)] // `len` is the storage size, as `File::set_len`
pub trait StorageBackend {
    /// Current length in bytes.
    fn len(&self) -> io::Result<u64>;
    /// Fill `buf` from `offset`. Reading past the end is an error.
    fn read(&self, offset: u64, buf: &mut [u8]) -> io::Result<()>;
    /// Write `data` at `offset` (within the current length).
    fn write(&mut self, offset: u64, data: &[u8]) -> io::Result<()>;
    /// Grow or shrink to `len` bytes (new bytes read as zero).
    fn set_len(&mut self, len: u64) -> io::Result<()>;
    /// Make every write so far durable.
    fn sync(&mut self) -> io::Result<()>;
}

/// The log in a file.
#[derive(Debug)]
pub struct FileBackend {
    file: File,
}

impl FileBackend {
    /// Open (or create, with mode 0600 on Unix) the file at `path` for reading and writing.
    pub fn open(path: &Path) -> io::Result<Self> {
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(path)?;
        Ok(Self { file })
    }

    /// Use an already open file.
    pub fn from_file(file: File) -> Self {
        Self { file }
    }
}

#[cfg(unix)]
fn read_at(f: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(f, buf, offset)
}

#[cfg(unix)]
fn write_at(f: &File, data: &[u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(f, data, offset)
}

#[cfg(windows)]
fn read_at(f: &File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
    while !buf.is_empty() {
        match std::os::windows::fs::FileExt::seek_read(f, buf, offset)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
        }
    }
    Ok(())
}

#[cfg(windows)]
fn write_at(f: &File, mut data: &[u8], mut offset: u64) -> io::Result<()> {
    while !data.is_empty() {
        match std::os::windows::fs::FileExt::seek_write(f, data, offset)? {
            0 => return Err(io::ErrorKind::WriteZero.into()),
            n => {
                data = &data[n..];
                offset += n as u64;
            }
        }
    }
    Ok(())
}

impl StorageBackend for FileBackend {
    fn len(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }

    fn read(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        read_at(&self.file, buf, offset)
    }

    fn write(&mut self, offset: u64, data: &[u8]) -> io::Result<()> {
        write_at(&self.file, data, offset)
    }

    fn set_len(&mut self, len: u64) -> io::Result<()> {
        self.file.set_len(len)
    }

    fn sync(&mut self) -> io::Result<()> {
        self.file.sync_data()
    }
}

/// The log in memory (simulations, tests, and hosts that persist the bytes themselves).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryBackend {
    bytes: Vec<u8>,
}

impl MemoryBackend {
    /// An empty backend.
    pub fn new() -> Self {
        Self::default()
    }

    /// A backend holding these bytes (e.g. a file image).
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self { bytes }
    }

    /// The stored bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
}

fn range(len: usize, offset: u64, n: usize) -> io::Result<std::ops::Range<usize>> {
    let start =
        usize::try_from(offset).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    let end = start.checked_add(n).filter(|&e| e <= len).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "access past the end of the log",
        )
    })?;
    Ok(start..end)
}

impl StorageBackend for MemoryBackend {
    fn len(&self) -> io::Result<u64> {
        Ok(self.bytes.len() as u64)
    }

    fn read(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let r = range(self.bytes.len(), offset, buf.len())?;
        buf.copy_from_slice(&self.bytes[r]);
        Ok(())
    }

    fn write(&mut self, offset: u64, data: &[u8]) -> io::Result<()> {
        let r = range(self.bytes.len(), offset, data.len())?;
        self.bytes[r].copy_from_slice(data);
        Ok(())
    }

    fn set_len(&mut self, len: u64) -> io::Result<()> {
        let len = usize::try_from(len).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        self.bytes.resize(len, 0);
        Ok(())
    }

    fn sync(&mut self) -> io::Result<()> {
        Ok(())
    }
}
