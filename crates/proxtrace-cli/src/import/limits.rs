//! The limits every import file is read under, enforced as the bytes stream in: a maximum
//! line length and a maximum file size, so that memory and time stay bounded whatever the
//! input (`/dev/zero` included). The reader also hashes what it reads: the import's id.

use std::fmt;
use std::io::{self, Read};

use sha2::{Digest, Sha256};

/// Longest line accepted, in bytes (a sighting row is under 100).
pub const MAX_LINE_BYTES: usize = 4096;

/// Largest file accepted, in bytes: 1 GiB (about 12 million CSV sightings).
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// A limit that a file broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitExceeded {
    /// A line longer than [`MAX_LINE_BYTES`] (1-based line number).
    LineTooLong {
        /// The line.
        line: u64,
    },
    /// More than [`MAX_FILE_BYTES`].
    FileTooLarge,
}

impl fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LineTooLong { .. } => write!(
                f,
                "the line is longer than {MAX_LINE_BYTES} bytes; is this a sighting file?"
            ),
            Self::FileTooLarge => write!(
                f,
                "the file is larger than {MAX_FILE_BYTES} bytes; split it and import the parts in time order"
            ),
        }
    }
}

impl std::error::Error for LimitExceeded {}

impl LimitExceeded {
    /// The limit error carried by an I/O error from a [`Limited`] reader, if it is one.
    pub fn from_io(e: &io::Error) -> Option<Self> {
        e.get_ref()
            .and_then(|inner| inner.downcast_ref::<Self>())
            .copied()
    }
}

/// A reader that enforces [`MAX_LINE_BYTES`] and [`MAX_FILE_BYTES`] and hashes the bytes.
pub struct Limited<R> {
    inner: R,
    total: u64,
    line: u64,
    line_len: usize,
    max_line: usize,
    max_total: u64,
    hash: Sha256,
}

impl<R> fmt::Debug for Limited<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Limited")
            .field("total", &self.total)
            .field("line", &self.line)
            .finish_non_exhaustive()
    }
}

impl<R: Read> Limited<R> {
    /// Wrap `inner` with the documented limits.
    pub fn new(inner: R) -> Self {
        Self::with_limits(inner, MAX_LINE_BYTES, MAX_FILE_BYTES)
    }

    /// Wrap a binary input: the file size is limited, lines are not counted.
    pub fn binary(inner: R) -> Self {
        Self::with_limits(inner, usize::MAX, MAX_FILE_BYTES)
    }

    /// Wrap `inner` with other limits (tests).
    pub fn with_limits(inner: R, max_line: usize, max_total: u64) -> Self {
        Self {
            inner,
            total: 0,
            line: 1,
            line_len: 0,
            max_line,
            max_total,
            hash: Sha256::new(),
        }
    }

    /// SHA-256 of everything read so far.
    pub fn digest(&self) -> [u8; 32] {
        self.hash.clone().finalize().into()
    }

    /// Bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.total
    }
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let data = &buf[..n];
        self.total += n as u64;
        if self.total > self.max_total {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                LimitExceeded::FileTooLarge,
            ));
        }
        for &b in data {
            if b == b'\n' {
                self.line += 1;
                self.line_len = 0;
            } else {
                self.line_len += 1;
                if self.line_len > self.max_line {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        LimitExceeded::LineTooLong { line: self.line },
                    ));
                }
            }
        }
        self.hash.update(data);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_and_large_files_are_refused_as_they_stream() {
        let mut sink = Vec::new();
        let mut r = Limited::with_limits(&b"ab\ncdef\n"[..], 3, 100);
        let e = r.read_to_end(&mut sink).unwrap_err();
        assert_eq!(
            LimitExceeded::from_io(&e),
            Some(LimitExceeded::LineTooLong { line: 2 })
        );
        let mut r = Limited::with_limits(io::repeat(b'\n'), 10, 1000);
        let e = r.read_to_end(&mut sink).unwrap_err();
        assert_eq!(
            LimitExceeded::from_io(&e),
            Some(LimitExceeded::FileTooLarge)
        );
        let mut r = Limited::new(&b"abc\n"[..]);
        sink.clear();
        r.read_to_end(&mut sink).unwrap();
        assert_eq!(r.digest(), <[u8; 32]>::from(Sha256::digest(b"abc\n")));
    }
}
