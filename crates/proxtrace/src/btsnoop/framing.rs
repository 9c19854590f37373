//! BTSnoop version 1 framing: a 16-byte file header, then records of a 24-byte header and the
//! packet bytes. Every integer is **big-endian** (the format's choice, not proxtrace's).

use super::BtsnoopError;
use super::clock::SnoopTime;

/// The 8 magic bytes every BTSnoop file starts with.
pub const MAGIC: [u8; 8] = *b"btsnoop\0";
/// The only BTSnoop version.
pub const VERSION: u32 = 1;
/// Datalink 1001: un-encapsulated HCI (the packet type follows from the record flags).
pub const DATALINK_H1: u32 = 1001;
/// Datalink 1002: HCI UART (H4): every packet starts with its H4 type byte. Android's choice.
pub const DATALINK_H4: u32 = 1002;
/// Length of the file header.
pub const FILE_HEADER_LEN: usize = 16;
/// Length of a record header.
pub const RECORD_HEADER_LEN: usize = 24;
/// The largest included length a record may declare: an H4 type byte, a 4-byte ACL header
/// and 65 535 bytes of ACL data — the largest HCI packet there is. A longer record means a
/// corrupt file ([`BtsnoopError::RecordTooLong`]); it also bounds the decoder's buffer.
pub const MAX_RECORD_LEN: u32 = 1 + 4 + 65_535;
/// What the BTSnoop file header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileHeader {
    /// Always [`VERSION`].
    pub version: u32,
    /// How the packets are framed.
    pub datalink: Datalink,
}

/// The BTSnoop datalink type of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Datalink {
    /// 1001, un-encapsulated HCI.
    H1,
    /// 1002, HCI UART (H4).
    H4,
    /// 1003, HCI BSCP.
    Bscp,
    /// 1004, HCI serial (H5).
    H5,
    /// 2001, the Linux monitor format of `btmon`.
    LinuxMonitor,
    /// Any other code.
    Other(u32),
}

impl Datalink {
    /// The datalink of a numeric code.
    pub const fn from_code(code: u32) -> Self {
        match code {
            DATALINK_H1 => Self::H1,
            DATALINK_H4 => Self::H4,
            1003 => Self::Bscp,
            1004 => Self::H5,
            2001 => Self::LinuxMonitor,
            other => Self::Other(other),
        }
    }

    /// The numeric code.
    pub const fn code(self) -> u32 {
        match self {
            Self::H1 => DATALINK_H1,
            Self::H4 => DATALINK_H4,
            Self::Bscp => 1003,
            Self::H5 => 1004,
            Self::LinuxMonitor => 2001,
            Self::Other(c) => c,
        }
    }
}

/// Which way a packet went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Sent by the host to the controller (commands, outgoing data); flag bit 0 clear.
    HostToController,
    /// Received by the host from the controller (events, incoming data); flag bit 0 set.
    ControllerToHost,
}

/// The 32-bit flags of a record: bit 0 direction, bit 1 command/event (vs data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RecordFlags(pub u32);

impl RecordFlags {
    /// Which way the packet went.
    pub const fn direction(self) -> Direction {
        if self.0 & 1 == 0 {
            Direction::HostToController
        } else {
            Direction::ControllerToHost
        }
    }

    /// Whether the packet is a command or an event (bit 1), not data.
    pub const fn is_command_or_event(self) -> bool {
        self.0 & 2 != 0
    }
}

/// One BTSnoop record, borrowing its packet bytes from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// Index in the file (0 = the first record after the file header).
    pub index: u64,
    /// File offset of the record header.
    pub offset: u64,
    /// Length of the packet on the wire; more than `data.len()` when the writer cut it.
    pub original_len: u32,
    /// Direction and command/event flags.
    pub flags: RecordFlags,
    /// Packets the writer lost since the capture began (cumulative).
    pub cumulative_drops: u32,
    /// When the writer logged the packet.
    pub time: SnoopTime,
    /// The packet bytes included in the file (for datalink 1002, starting with the H4 type).
    pub data: &'a [u8],
}

impl Record<'_> {
    /// Whether the writer kept only part of the packet (`data` shorter than `original_len`).
    pub fn is_cut(&self) -> bool {
        (self.data.len() as u64) < u64::from(self.original_len)
    }
}

fn be32(b: &[u8], at: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[at..at + 4]);
    u32::from_be_bytes(w)
}

/// Parse the 16-byte file header at the start of `bytes` (at least 16 bytes long).
fn parse_file_header(bytes: &[u8]) -> Result<FileHeader, BtsnoopError> {
    if bytes.len() < FILE_HEADER_LEN {
        let magic_part = &bytes[..bytes.len().min(MAGIC.len())];
        return Err(if MAGIC.starts_with(magic_part) {
            BtsnoopError::TruncatedFileHeader {
                available: bytes.len(),
            }
        } else {
            BtsnoopError::NotBtsnoop
        });
    }
    if bytes[..8] != MAGIC {
        return Err(BtsnoopError::NotBtsnoop);
    }
    let version = be32(bytes, 8);
    if version != VERSION {
        return Err(BtsnoopError::UnsupportedVersion(version));
    }
    Ok(FileHeader {
        version,
        datalink: Datalink::from_code(be32(bytes, 12)),
    })
}

/// The fixed fields of a record header, checked. `bytes` holds at least 24 bytes.
struct RecordHeader {
    original_len: u32,
    included_len: u32,
    flags: u32,
    drops: u32,
    time: u64,
}

fn parse_record_header(
    bytes: &[u8],
    index: u64,
    offset: u64,
) -> Result<RecordHeader, BtsnoopError> {
    let mut t = [0u8; 8];
    t.copy_from_slice(&bytes[16..24]);
    let h = RecordHeader {
        original_len: be32(bytes, 0),
        included_len: be32(bytes, 4),
        flags: be32(bytes, 8),
        drops: be32(bytes, 12),
        time: u64::from_be_bytes(t),
    };
    if h.included_len > MAX_RECORD_LEN {
        return Err(BtsnoopError::RecordTooLong {
            index,
            offset,
            included_len: h.included_len,
            max: MAX_RECORD_LEN,
        });
    }
    if h.included_len > h.original_len {
        return Err(BtsnoopError::IncludedExceedsOriginal {
            index,
            offset,
            included_len: h.included_len,
            original_len: h.original_len,
        });
    }
    Ok(h)
}

/// Measure the record at the start of `bytes`: its checked header and total length, or
/// `Ok(None)` when `bytes` holds only part of it.
fn peek_record(
    bytes: &[u8],
    index: u64,
    offset: u64,
) -> Result<Option<(RecordHeader, usize)>, BtsnoopError> {
    if bytes.len() < RECORD_HEADER_LEN {
        return Ok(None);
    }
    let h = parse_record_header(bytes, index, offset)?;
    let total = RECORD_HEADER_LEN + h.included_len as usize;
    Ok((bytes.len() >= total).then_some((h, total)))
}

/// The record whose header is `h`, from `bytes` (the whole record, header included).
fn make_record<'a>(bytes: &'a [u8], h: &RecordHeader, index: u64, offset: u64) -> Record<'a> {
    Record {
        index,
        offset,
        original_len: h.original_len,
        flags: RecordFlags(h.flags),
        cumulative_drops: h.drops,
        time: SnoopTime::from_micros(h.time),
        data: &bytes[RECORD_HEADER_LEN..],
    }
}

/// The error for `rest`, the incomplete bytes left at the end of the input.
fn truncation(rest: &[u8], index: u64, offset: u64) -> BtsnoopError {
    let needed = if rest.len() < RECORD_HEADER_LEN {
        RECORD_HEADER_LEN
    } else {
        RECORD_HEADER_LEN + be32(rest, 4) as usize
    };
    BtsnoopError::TruncatedRecord {
        index,
        offset,
        needed,
        available: rest.len(),
    }
}

/// Iterate over the records of a whole BTSnoop file held in memory (zero-copy).
///
/// Fails at once on a bad file header. The iterator yields each record; a framing error, or
/// an input that ends inside a record ([`BtsnoopError::TruncatedRecord`]), is its last item.
pub fn records(bytes: &[u8]) -> Result<Records<'_>, BtsnoopError> {
    let header = parse_file_header(bytes)?;
    Ok(Records {
        header,
        bytes,
        pos: FILE_HEADER_LEN,
        index: 0,
        done: false,
    })
}

/// Iterator over the records of a BTSnoop file in memory; see [`records`].
#[derive(Debug, Clone)]
pub struct Records<'a> {
    header: FileHeader,
    bytes: &'a [u8],
    pos: usize,
    index: u64,
    done: bool,
}

impl Records<'_> {
    /// The file header.
    pub const fn header(&self) -> FileHeader {
        self.header
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<Record<'a>, BtsnoopError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        if rest.is_empty() {
            self.done = true;
            return None;
        }
        let offset = self.pos as u64;
        match peek_record(rest, self.index, offset) {
            Ok(Some((h, len))) => {
                let record = make_record(&rest[..len], &h, self.index, offset);
                self.pos += len;
                self.index += 1;
                Some(Ok(record))
            }
            Ok(None) => {
                self.done = true;
                Some(Err(truncation(rest, self.index, offset)))
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

impl std::iter::FusedIterator for Records<'_> {}

/// Incremental BTSnoop record decoder over chunks of any size.
///
/// [`push`](Self::push) a chunk, then call [`next_record`](Self::next_record) until it
/// returns `Ok(None)`; repeat; call [`finish`](Self::finish) at the end of the input. The
/// decoder keeps only the bytes not yet returned: with every record drained before the next
/// push, that is at most the last chunk plus one incomplete record (below
/// `24 + MAX_RECORD_LEN` bytes). A framing error is sticky: every later call returns it.
#[derive(Debug, Default, Clone)]
pub struct RecordDecoder {
    buf: Vec<u8>,
    start: usize,
    /// File offset of `buf[start]`.
    offset: u64,
    header: Option<FileHeader>,
    index: u64,
    failed: Option<BtsnoopError>,
}

impl RecordDecoder {
    /// A decoder at the start of a file.
    pub fn new() -> Self {
        Self::default()
    }

    /// Append the next bytes of the file.
    pub fn push(&mut self, chunk: &[u8]) {
        if self.failed.is_some() {
            return;
        }
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(chunk);
    }

    /// The file header, once its 16 bytes have been decoded.
    pub const fn header(&self) -> Option<FileHeader> {
        self.header
    }

    /// Bytes pushed and not yet returned as records.
    pub fn pending_len(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Decode the file header once its 16 bytes are in: `Ok(None)` until then.
    pub fn read_header(&mut self) -> Result<Option<FileHeader>, BtsnoopError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if self.header.is_none() {
            let rest = &self.buf[self.start..];
            match parse_file_header(&rest[..rest.len().min(FILE_HEADER_LEN)]) {
                Ok(h) => {
                    self.header = Some(h);
                    self.start += FILE_HEADER_LEN;
                    self.offset += FILE_HEADER_LEN as u64;
                }
                Err(BtsnoopError::TruncatedFileHeader { .. }) => return Ok(None),
                Err(e) => return Err(self.fail(e)),
            }
        }
        Ok(self.header)
    }

    /// The next complete record, `Ok(None)` when more input is needed.
    pub fn next_record(&mut self) -> Result<Option<Record<'_>>, BtsnoopError> {
        if self.read_header()?.is_none() {
            return Ok(None);
        }
        let rest = &self.buf[self.start..];
        match peek_record(rest, self.index, self.offset) {
            Ok(Some((h, len))) => {
                let (at, index, offset) = (self.start, self.index, self.offset);
                self.start += len;
                self.offset += len as u64;
                self.index += 1;
                Ok(Some(make_record(
                    &self.buf[at..at + len],
                    &h,
                    index,
                    offset,
                )))
            }
            Ok(None) => Ok(None),
            Err(e) => Err(self.fail(e)),
        }
    }

    fn fail(&mut self, e: BtsnoopError) -> BtsnoopError {
        self.failed = Some(e.clone());
        e
    }

    /// Declare the end of the input: `Ok` when it ended exactly after a record (or after the
    /// file header); otherwise the typed error of what is missing.
    pub fn finish(&self) -> Result<(), BtsnoopError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let rest = &self.buf[self.start..];
        if self.header.is_none() {
            return parse_file_header(rest).map(|_| ());
        }
        if rest.is_empty() {
            Ok(())
        } else {
            Err(truncation(rest, self.index, self.offset))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(records: &[(u32, &[u8])]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&1u32.to_be_bytes());
        out.extend_from_slice(&1002u32.to_be_bytes());
        for (i, (flags, data)) in records.iter().enumerate() {
            let len = data.len() as u32;
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(&flags.to_be_bytes());
            out.extend_from_slice(&0u32.to_be_bytes());
            out.extend_from_slice(&(1_000_000 + i as u64).to_be_bytes());
            out.extend_from_slice(data);
        }
        out
    }

    #[test]
    fn header_errors() {
        assert_eq!(
            records(b"btsno").err(),
            Some(BtsnoopError::TruncatedFileHeader { available: 5 })
        );
        assert_eq!(records(b"PK\x03\x04").err(), Some(BtsnoopError::NotBtsnoop));
        assert_eq!(
            records(b"").err(),
            Some(BtsnoopError::TruncatedFileHeader { available: 0 })
        );
        let mut f = file(&[]);
        f[11] = 2;
        assert_eq!(records(&f).err(), Some(BtsnoopError::UnsupportedVersion(2)));
        let f = file(&[]);
        assert_eq!(records(&f).unwrap().header().datalink, Datalink::H4);
        assert_eq!(records(&f).unwrap().count(), 0);
    }

    #[test]
    fn records_and_truncation() {
        let f = file(&[(2, &[1, 3, 0x0C, 0]), (3, &[4, 0x0E, 1, 0])]);
        let all: Vec<_> = records(&f).unwrap().collect();
        assert_eq!(all.len(), 2);
        let r1 = all[1].as_ref().unwrap();
        assert_eq!((r1.index, r1.offset), (1, 16 + 24 + 4));
        assert_eq!(r1.flags.direction(), Direction::ControllerToHost);
        assert!(r1.flags.is_command_or_event());
        assert_eq!(r1.data, &[4, 0x0E, 1, 0]);
        for cut in 1..28 {
            let short = &f[..f.len() - cut];
            let last = records(short).unwrap().last().unwrap();
            let e = last.unwrap_err();
            assert!(e.is_truncation(), "{e}");
            let mut d = RecordDecoder::new();
            d.push(short);
            let mut n = 0;
            while d.next_record().unwrap().is_some() {
                n += 1;
            }
            assert_eq!(n, 1);
            assert_eq!(d.finish().unwrap_err(), e);
        }
    }

    #[test]
    fn corrupt_lengths_are_sticky_errors() {
        let mut f = file(&[(2, &[1, 3, 0x0C, 0])]);
        f[16 + 4..16 + 8].copy_from_slice(&(MAX_RECORD_LEN + 1).to_be_bytes());
        let e = records(&f).unwrap().next().unwrap().unwrap_err();
        assert!(matches!(
            e,
            BtsnoopError::RecordTooLong {
                index: 0,
                offset: 16,
                ..
            }
        ));
        let mut d = RecordDecoder::new();
        d.push(&f);
        assert_eq!(d.next_record().unwrap_err(), e);
        assert_eq!(d.next_record().unwrap_err(), e);
        assert_eq!(d.finish().unwrap_err(), e);

        let mut f = file(&[(2, &[1, 3, 0x0C, 0])]);
        f[16..20].copy_from_slice(&3u32.to_be_bytes());
        assert!(matches!(
            records(&f).unwrap().next().unwrap(),
            Err(BtsnoopError::IncludedExceedsOriginal {
                included_len: 4,
                original_len: 3,
                ..
            })
        ));
    }

    #[test]
    fn byte_at_a_time_equals_whole() {
        let f = file(&[(2, &[1, 3, 0x0C, 0]), (3, &[]), (3, &[4, 0x0E, 1, 0, 9])]);
        let whole: Vec<(u64, Vec<u8>)> = records(&f)
            .unwrap()
            .map(|r| r.map(|r| (r.time.as_micros(), r.data.to_vec())).unwrap())
            .collect();
        let mut d = RecordDecoder::new();
        let mut got = Vec::new();
        for b in &f {
            d.push(std::slice::from_ref(b));
            while let Some(r) = d.next_record().unwrap() {
                got.push((r.time.as_micros(), r.data.to_vec()));
            }
            assert!(d.pending_len() < RECORD_HEADER_LEN + 6);
        }
        d.finish().unwrap();
        assert_eq!(got, whole);
        assert_eq!(d.header().map(|h| h.datalink.code()), Some(1002));
    }
}
