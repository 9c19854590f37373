//! Where the log's bytes live: a narrow, redb-style storage interface and a memory backend
//! (the file backend is in `file.rs`). Tests add backends that simulate crashes and full
//! disks.

use std::io;

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
    /// Become `len` bytes of zeros with the space reserved, so that later writes within it
    /// cannot fail for lack of space. The default truncates and then writes the zeros; a
    /// file backend asks the file system to allocate instead.
    fn allocate(&mut self, len: u64) -> io::Result<()> {
        self.set_len(0)?;
        self.set_len(len)?;
        write_zeros(self, 0, len)
    }
}

/// Write `len` zero bytes from `offset`, a block at a time.
pub(crate) fn write_zeros<B: StorageBackend + ?Sized>(
    b: &mut B,
    offset: u64,
    len: u64,
) -> io::Result<()> {
    const BLOCK: u64 = 1 << 20;
    let zeros = vec![0u8; BLOCK.min(len) as usize];
    let mut done = 0;
    while done < len {
        let n = BLOCK.min(len - done);
        b.write(offset + done, &zeros[..n as usize])?;
        done += n;
    }
    Ok(())
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

    fn allocate(&mut self, len: u64) -> io::Result<()> {
        // Memory is reserved by resizing.
        self.bytes.clear();
        self.set_len(len)
    }
}
