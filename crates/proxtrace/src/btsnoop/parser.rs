//! From records to typed items, over a whole slice ([`items`]) or over chunks
//! ([`SnoopParser`]), with the counts that account for every record ([`SnoopStats`]).

use std::collections::VecDeque;

use super::BtsnoopError;
use super::clock::SnoopTime;
use super::framing::{Datalink, FileHeader, Record, RecordDecoder, Records, records};
use super::hci::{self, Disposition, PacketType};
use super::items::SnoopItem;

/// Counts over the records decoded so far. Every record is counted once by packet type and
/// once by what became of it:
///
/// * `records == commands + events + acl_packets + sco_packets + iso_packets + unknown_packets`
/// * `records == decoded_records + uninteresting_records + malformed_records + unknown_packets`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SnoopStats {
    /// Records read.
    pub records: u64,
    /// HCI command packets.
    pub commands: u64,
    /// HCI event packets.
    pub events: u64,
    /// ACL data packets.
    pub acl_packets: u64,
    /// SCO data packets.
    pub sco_packets: u64,
    /// ISO data packets.
    pub iso_packets: u64,
    /// Empty records and unknown H4 packet types (skipped).
    pub unknown_packets: u64,
    /// Records that gave at least one item.
    pub decoded_records: u64,
    /// Well-formed packets of kinds not decoded (skipped).
    pub uninteresting_records: u64,
    /// Packets of a decoded kind whose lengths do not add up, or sent the wrong way (skipped).
    pub malformed_records: u64,
    /// Records the writer cut short (`included < original` length).
    pub cut_records: u64,
    /// LE Advertising Report and LE Extended Advertising Report events decoded.
    pub advertising_report_events: u64,
    /// Advertising reports in them.
    pub advertising_reports: u64,
    /// Own advertising / scan response data commands decoded.
    pub own_data_commands: u64,
    /// Own random address commands decoded.
    pub own_address_commands: u64,
    /// The cumulative drop count of the last record (packets the writer lost).
    pub cumulative_drops: u32,
    /// Earliest record timestamp.
    pub min_time: Option<SnoopTime>,
    /// Latest record timestamp.
    pub max_time: Option<SnoopTime>,
}

/// Where the input ended inside a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TruncatedTail {
    /// Index the incomplete record would have had.
    pub index: u64,
    /// File offset of its record header.
    pub offset: u64,
    /// Bytes it needs (record header and data).
    pub needed: usize,
    /// Bytes present.
    pub available: usize,
}

/// The end of a parse: what the header said, the counts, and whether the input ended
/// inside a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnoopSummary {
    /// The file header (`None` if the input ended before it).
    pub header: Option<FileHeader>,
    /// Counts over every record.
    pub stats: SnoopStats,
    /// `Some` when the input ended inside a record (or inside the file header): the items
    /// before it are complete.
    pub truncated_tail: Option<TruncatedTail>,
}

impl SnoopSummary {
    /// `Ok` when the input ended exactly after a record; otherwise the typed error of the
    /// cut (for callers that refuse a log copied mid-write).
    pub fn check_complete(&self) -> Result<(), BtsnoopError> {
        match (self.header, self.truncated_tail) {
            (None, _) => Err(BtsnoopError::TruncatedFileHeader {
                available: self.truncated_tail.map_or(0, |t| t.available),
            }),
            (Some(_), Some(t)) => Err(BtsnoopError::TruncatedRecord {
                index: t.index,
                offset: t.offset,
                needed: t.needed,
                available: t.available,
            }),
            (Some(_), None) => Ok(()),
        }
    }
}

fn tail_of(e: &BtsnoopError) -> Option<TruncatedTail> {
    match *e {
        BtsnoopError::TruncatedRecord {
            index,
            offset,
            needed,
            available,
        } => Some(TruncatedTail {
            index,
            offset,
            needed,
            available,
        }),
        BtsnoopError::TruncatedFileHeader { available } => Some(TruncatedTail {
            index: 0,
            offset: 0,
            needed: super::FILE_HEADER_LEN,
            available,
        }),
        _ => None,
    }
}

/// Turns records into items and counts them. At most one event's reports are queued.
#[derive(Debug, Default, Clone)]
struct Interpreter {
    stats: SnoopStats,
    queue: VecDeque<SnoopItem>,
}

impl Interpreter {
    fn check_datalink(header: FileHeader) -> Result<Datalink, BtsnoopError> {
        match header.datalink {
            d @ (Datalink::H1 | Datalink::H4) => Ok(d),
            other => Err(BtsnoopError::UnsupportedDatalink(other.code())),
        }
    }

    fn record(&mut self, datalink: Datalink, rec: &Record<'_>) {
        let before = self.queue.len();
        let (ptype, disposition) = hci::decode(datalink, rec, &mut self.queue);
        let s = &mut self.stats;
        s.records += 1;
        s.cut_records += u64::from(rec.is_cut());
        s.cumulative_drops = rec.cumulative_drops;
        s.min_time = Some(s.min_time.map_or(rec.time, |t| t.min(rec.time)));
        s.max_time = Some(s.max_time.map_or(rec.time, |t| t.max(rec.time)));
        match ptype {
            PacketType::Command => s.commands += 1,
            PacketType::Event => s.events += 1,
            PacketType::AclData => s.acl_packets += 1,
            PacketType::ScoData => s.sco_packets += 1,
            PacketType::IsoData => s.iso_packets += 1,
            PacketType::Unknown(_) => {}
        }
        match disposition {
            Disposition::Decoded => s.decoded_records += 1,
            Disposition::Uninteresting => s.uninteresting_records += 1,
            Disposition::Malformed => s.malformed_records += 1,
            Disposition::Unknown => s.unknown_packets += 1,
        }
        // One record gives reports of one event, or one own-data/own-address item.
        let added = (self.queue.len() - before) as u64;
        match self.queue.get(before) {
            Some(SnoopItem::AdvertisingReport(_)) => {
                s.advertising_report_events += 1;
                s.advertising_reports += added;
            }
            Some(SnoopItem::OwnAdvertisingData(_)) => s.own_data_commands += 1,
            Some(SnoopItem::OwnRandomAddress(_)) => s.own_address_commands += 1,
            None => {}
        }
    }
}

/// Iterate over the items of a whole snoop log in memory.
///
/// Yields a [`BtsnoopError`] (then ends) for a file that is not BTSnoop v1 with datalink 1001
/// or 1002, or corrupt framing. An input that ends inside a record ends the items cleanly;
/// [`SnoopItems::summary`] reports it.
///
/// ```
/// # let bytes = b"btsnoop\0\0\0\0\x01\0\0\x03\xea";
/// let mut it = proxtrace::btsnoop::items(bytes);
/// let reports = it.by_ref().filter_map(Result::ok).count();
/// assert_eq!((reports, it.summary().stats.records), (0, 0));
/// ```
pub fn items(bytes: &[u8]) -> SnoopItems<'_> {
    let (state, header) = match records(bytes) {
        Ok(r) => {
            let header = r.header();
            match Interpreter::check_datalink(header) {
                Ok(d) => (ItemsState::Records(r, d), Some(header)),
                Err(e) => (ItemsState::Failed(Some(e)), Some(header)),
            }
        }
        Err(e) if e.is_truncation() => {
            let tail = tail_of(&e);
            (ItemsState::Done(tail), None)
        }
        Err(e) => (ItemsState::Failed(Some(e)), None),
    };
    SnoopItems {
        state,
        header,
        interp: Interpreter::default(),
    }
}

#[derive(Debug, Clone)]
enum ItemsState<'a> {
    Records(Records<'a>, Datalink),
    Failed(Option<BtsnoopError>),
    Done(Option<TruncatedTail>),
}

/// Iterator over the items of a snoop log in memory; see [`items`].
#[derive(Debug, Clone)]
pub struct SnoopItems<'a> {
    state: ItemsState<'a>,
    header: Option<FileHeader>,
    interp: Interpreter,
}

impl SnoopItems<'_> {
    /// Counts over the records read so far.
    pub const fn stats(&self) -> &SnoopStats {
        &self.interp.stats
    }

    /// The summary so far (complete once the iterator has returned `None`).
    pub fn summary(&self) -> SnoopSummary {
        SnoopSummary {
            header: self.header,
            stats: self.interp.stats,
            truncated_tail: match self.state {
                ItemsState::Done(t) => t,
                _ => None,
            },
        }
    }
}

impl Iterator for SnoopItems<'_> {
    type Item = Result<SnoopItem, BtsnoopError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.interp.queue.pop_front() {
                return Some(Ok(item));
            }
            match &mut self.state {
                ItemsState::Records(recs, datalink) => {
                    let datalink = *datalink;
                    match recs.next() {
                        Some(Ok(rec)) => self.interp.record(datalink, &rec),
                        Some(Err(e)) if e.is_truncation() => {
                            self.state = ItemsState::Done(tail_of(&e));
                        }
                        Some(Err(e)) => {
                            self.state = ItemsState::Failed(None);
                            return Some(Err(e));
                        }
                        None => self.state = ItemsState::Done(None),
                    }
                }
                ItemsState::Failed(e) => return e.take().map(Err),
                ItemsState::Done(_) => return None,
            }
        }
    }
}

/// Incremental snoop-log parser over chunks of any size: [`push`](Self::push) bytes, drain
/// [`poll`](Self::poll) until `Ok(None)`, repeat, then [`finish`](Self::finish).
///
/// Memory: the bytes of at most one incomplete record plus the last chunk (see
/// [`RecordDecoder`]), and the reports of one HCI event. Errors are sticky.
#[derive(Debug, Default, Clone)]
pub struct SnoopParser {
    decoder: RecordDecoder,
    datalink: Option<Datalink>,
    interp: Interpreter,
    failed: Option<BtsnoopError>,
}

impl SnoopParser {
    /// A parser at the start of a file.
    pub fn new() -> Self {
        Self::default()
    }

    /// Append the next bytes of the file.
    pub fn push(&mut self, chunk: &[u8]) {
        self.decoder.push(chunk);
    }

    /// The next item, `Ok(None)` when more input is needed.
    pub fn poll(&mut self) -> Result<Option<SnoopItem>, BtsnoopError> {
        loop {
            if let Some(item) = self.interp.queue.pop_front() {
                return Ok(Some(item));
            }
            if let Some(e) = &self.failed {
                return Err(e.clone());
            }
            let datalink = match self.datalink {
                Some(d) => d,
                None => match self.decoder.read_header()? {
                    None => return Ok(None),
                    Some(h) => match Interpreter::check_datalink(h) {
                        Ok(d) => *self.datalink.insert(d),
                        Err(e) => {
                            self.failed = Some(e.clone());
                            return Err(e);
                        }
                    },
                },
            };
            match self.decoder.next_record()? {
                Some(rec) => self.interp.record(datalink, &rec),
                None => return Ok(None),
            }
        }
    }

    /// The file header, once read.
    pub const fn header(&self) -> Option<FileHeader> {
        self.decoder.header()
    }

    /// Counts over the records read so far.
    pub const fn stats(&self) -> &SnoopStats {
        &self.interp.stats
    }

    /// End of input. Items still queued are dropped: drain [`poll`](Self::poll) first.
    /// A framing error already returned by `poll` is not repeated here.
    pub fn finish(&self) -> SnoopSummary {
        let truncated_tail = match self.decoder.finish() {
            Err(e) if self.failed.is_none() => tail_of(&e),
            _ => None,
        };
        SnoopSummary {
            header: self.decoder.header(),
            stats: self.interp.stats,
            truncated_tail,
        }
    }
}
