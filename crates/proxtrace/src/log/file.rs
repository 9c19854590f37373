//! The log in a file: positioned reads and writes, an advisory lock (one writer, or any
//! number of readers), and space reserved at creation.

use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::path::{Path, PathBuf};

use super::LogError;
use super::backend::{StorageBackend, write_zeros};

/// The log in a file.
///
/// [`FileBackend::open`] takes an exclusive lock and [`FileBackend::open_read_only`] a shared
/// one (`flock`-style, held until the backend is dropped): a writer excludes every other open
/// of the same file, in this process or another, and readers exclude writers. A refused lock
/// is [`LogError::Busy`] at once, never a wait.
#[derive(Debug)]
pub struct FileBackend {
    file: File,
    path: Option<PathBuf>,
}

fn lock_error(path: &Path, e: TryLockError) -> LogError {
    match e {
        TryLockError::WouldBlock => LogError::Busy {
            path: path.to_path_buf(),
        },
        TryLockError::Error(source) => LogError::Open {
            path: path.to_path_buf(),
            source,
        },
    }
}

fn open_error(path: &Path, source: io::Error) -> LogError {
    if source.kind() == io::ErrorKind::NotFound {
        LogError::NotFound {
            path: path.to_path_buf(),
        }
    } else {
        LogError::Open {
            path: path.to_path_buf(),
            source,
        }
    }
}

impl FileBackend {
    /// Open (or create, with mode 0600 on Unix) the file at `path` for reading and writing,
    /// with an exclusive lock.
    pub fn open(path: &Path) -> Result<Self, LogError> {
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(path).map_err(|e| open_error(path, e))?;
        file.try_lock().map_err(|e| lock_error(path, e))?;
        Ok(Self {
            file,
            path: Some(path.to_path_buf()),
        })
    }

    /// Open the existing file at `path` for reading only, with a shared lock. Works on
    /// read-only files and read-only mounts; a missing file is [`LogError::NotFound`].
    pub fn open_read_only(path: &Path) -> Result<Self, LogError> {
        let file = File::open(path).map_err(|e| open_error(path, e))?;
        file.try_lock_shared().map_err(|e| lock_error(path, e))?;
        Ok(Self {
            file,
            path: Some(path.to_path_buf()),
        })
    }

    /// Use an already open file. No lock is taken: the caller owns that.
    pub fn from_file(file: File) -> Self {
        Self { file, path: None }
    }

    /// The file's path, when opened by path.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
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

/// Ask the file system to allocate `len` bytes. `Ok(false)`: it cannot (not supported
/// here), so the caller writes zeros instead. Out of space is an error.
#[cfg(unix)]
fn fallocate(f: &File, len: u64) -> io::Result<bool> {
    use rustix::fs::FallocateFlags;
    match rustix::fs::fallocate(f, FallocateFlags::empty(), 0, len) {
        Ok(()) => Ok(true),
        Err(e)
            if e == rustix::io::Errno::OPNOTSUPP
                || e == rustix::io::Errno::NOSYS
                || e == rustix::io::Errno::INVAL =>
        {
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(unix))]
fn fallocate(_: &File, _: u64) -> io::Result<bool> {
    Ok(false)
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

    fn allocate(&mut self, len: u64) -> io::Result<()> {
        self.file.set_len(0)?;
        if fallocate(&self.file, len)? {
            return Ok(());
        }
        self.file.set_len(len)?;
        write_zeros(self, 0, len)
    }
}
