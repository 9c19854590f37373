//! Android HCI snoop logs (`btsnoop_hci.log`): BTSnoop version 1 files of H4 (UART) HCI
//! packets, decoded into what a proximity-tracing tool needs — every LE advertising report the
//! phone received (address, RSSI, TX power, AD bytes) and every HCI command that set the
//! phone's **own** advertising data or random address (its own RPIs, its address rotations).
//!
//! The parser is sans-IO: bytes in, typed items out. It never opens a file or reads a clock;
//! timestamps stay as the file wrote them ([`SnoopTime`]) until the caller converts them with
//! the UTC offset the phone was in ([`UtcOffset`]; Android writes local time).
//!
//! | layer | whole slice | chunks (streaming) |
//! |---|---|---|
//! | BTSnoop records ([`Record`]) | [`records`] | [`RecordDecoder`] |
//! | typed items ([`SnoopItem`]) | [`items`] | [`SnoopParser`] |
//!
//! ```
//! use proxtrace::btsnoop::{SnoopParser, SnoopItem, UtcOffset};
//!
//! # fn read_chunks() -> Vec<Vec<u8>> { vec![b"btsnoop\0\0\0\0\x01\0\0\x03\xea".to_vec()] }
//! let offset = UtcOffset::from_secs(7200)?; // the phone was on UTC+2
//! let mut parser = SnoopParser::new();
//! for chunk in read_chunks() {
//!     parser.push(&chunk);
//!     while let Some(item) = parser.poll()? {
//!         if let SnoopItem::AdvertisingReport(r) = item {
//!             println!("{} {} dBm at {}", r.address, r.rssi.unwrap_or(0), r.time.to_unix_time(offset)?);
//!         }
//!     }
//! }
//! let summary = parser.finish();
//! assert_eq!(summary.stats.records, 0);
//! summary.check_complete()?; // or accept a log cut mid-record: `summary.truncated_tail`
//! # Ok::<(), proxtrace::btsnoop::BtsnoopError>(())
//! ```
//!
//! What is decoded (byte tables in `docs/btsnoop.md`):
//!
//! * events: LE Meta (0x3E) subevents LE Advertising Report (0x02, any number of reports per
//!   event) and LE Extended Advertising Report (0x0D) → [`AdvertisingReport`];
//! * commands sent to the controller: LE Set Advertising Data (0x2008), LE Set Scan Response
//!   Data (0x2009), LE Set Extended Advertising Data (0x2037), LE Set Extended Scan Response
//!   Data (0x2038) and Android's vendor multi-advertising command (0xFD54, sub-commands 2 and 3)
//!   → [`OwnAdvertisingData`]; LE Set Random Address (0x2005), LE Set Advertising Set Random
//!   Address (0x2035) and the vendor sub-command 4 → [`OwnRandomAddress`].
//!
//! Everything else is skipped and counted in [`SnoopStats`], never an error. A packet of a
//! decoded kind whose lengths do not add up is skipped as malformed (counted). Only the
//! BTSnoop framing itself can fail ([`BtsnoopError`]): a file that is not BTSnoop, a record
//! longer than [`MAX_RECORD_LEN`], or inconsistent lengths. A record cut short at the end of
//! the input (a log copied while being written) ends the items cleanly and is reported in
//! [`SnoopSummary::truncated_tail`].
//!
//! [`AndroidScanRecord`] rebuilds the 62-byte scan record Android's `ScanRecord.getBytes()`
//! gives an app for a legacy advertisement, and [`ScanResponsePairer`] pairs each scannable
//! advertisement with the scan response that answers it.

mod clock;
mod framing;
mod hci;
mod items;
mod parser;
mod scan_record;

pub use clock::{SnoopTime, UNIX_EPOCH_SNOOP_MICROS, UtcOffset};
pub use framing::{
    DATALINK_H1, DATALINK_H4, Datalink, Direction, FILE_HEADER_LEN, FileHeader, MAGIC,
    MAX_RECORD_LEN, RECORD_HEADER_LEN, Record, RecordDecoder, RecordFlags, Records, VERSION,
    records,
};
pub use hci::PacketType;
pub use items::{
    AddressType, AdvertisingReport, BdAddr, DataOperation, DataStatus, EventType,
    ExtendedReportFields, LegacyPdu, OwnAdvertisingData, OwnCommand, OwnDataKind, OwnRandomAddress,
    ReportFormat, SnoopItem,
};
pub use parser::{SnoopItems, SnoopParser, SnoopStats, SnoopSummary, TruncatedTail, items};
pub use scan_record::{
    ANDROID_SCAN_RECORD_LEN, AndroidScanRecord, PAIRER_CAPACITY, PairedAdvertisement,
    ScanRecordError, ScanResponsePairer,
};

/// A BTSnoop file that cannot be read (only the framing fails; HCI packets never do).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BtsnoopError {
    /// The input does not start with the BTSnoop magic `btsnoop\0`.
    #[error(
        "not a BTSnoop file: it does not start with \"btsnoop\\0\"; pass an HCI snoop log \
         (Android's btsnoop_hci.log)"
    )]
    NotBtsnoop,
    /// Fewer than 16 bytes: the file header itself is incomplete.
    #[error(
        "the BTSnoop file header is cut short ({available} of 16 bytes): the file is empty or \
         was copied while being created"
    )]
    TruncatedFileHeader {
        /// Bytes present.
        available: usize,
    },
    /// A version other than 1.
    #[error("BTSnoop version {0} is not supported: only version 1 exists")]
    UnsupportedVersion(u32),
    /// A datalink whose packets cannot be decoded as HCI.
    #[error(
        "BTSnoop datalink {0} is not supported: HCI packets are decoded for datalink 1002 \
         (H4/UART, what Android writes) and 1001 (un-encapsulated HCI)"
    )]
    UnsupportedDatalink(u32),
    /// A record whose included length exceeds [`MAX_RECORD_LEN`].
    #[error(
        "record {index} at byte {offset} declares {included_len} bytes, more than the {max} a \
         record may hold: the file is corrupt from this record on"
    )]
    RecordTooLong {
        /// Index of the record (0 = first after the file header).
        index: u64,
        /// File offset of its record header.
        offset: u64,
        /// The included length it declares.
        included_len: u32,
        /// The limit, [`MAX_RECORD_LEN`].
        max: u32,
    },
    /// A record that includes more bytes than the packet had.
    #[error(
        "record {index} at byte {offset} includes {included_len} bytes of a {original_len}-byte \
         packet, which is impossible: the file is corrupt from this record on"
    )]
    IncludedExceedsOriginal {
        /// Index of the record.
        index: u64,
        /// File offset of its record header.
        offset: u64,
        /// Included length.
        included_len: u32,
        /// Original length.
        original_len: u32,
    },
    /// The input ends inside a record.
    #[error(
        "record {index} at byte {offset} is cut short ({available} of {needed} bytes): the log \
         ends mid-record; treat the records before it as the whole log, or copy the file again \
         once the capture is stopped"
    )]
    TruncatedRecord {
        /// Index of the incomplete record.
        index: u64,
        /// File offset of its record header.
        offset: u64,
        /// Bytes the record needs (header and data).
        needed: usize,
        /// Bytes present.
        available: usize,
    },
    /// A UTC offset beyond ±18 hours.
    #[error(
        "UTC offset of {0} s is out of range: give the phone's offset from UTC in seconds, \
         within ±18 hours (64 800 s), e.g. 7200 for UTC+2"
    )]
    UtcOffsetOutOfRange(i64),
    /// A timestamp that falls before 1970-01-01 UTC once the offset is removed.
    #[error(
        "BTSnoop timestamp {micros} µs (since year 0) is before 1970 in UTC with offset \
         {offset_secs} s: the record's clock was unset, or the offset is wrong"
    )]
    BeforeUnixEpoch {
        /// The raw timestamp.
        micros: u64,
        /// The offset used.
        offset_secs: i32,
    },
}

impl BtsnoopError {
    /// Whether the error only says the input ends early (mid-header or mid-record): the
    /// records before it are sound.
    pub const fn is_truncation(&self) -> bool {
        matches!(
            self,
            Self::TruncatedRecord { .. } | Self::TruncatedFileHeader { .. }
        )
    }
}
