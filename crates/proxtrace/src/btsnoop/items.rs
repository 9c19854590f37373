//! The typed items of a snoop log and their parts: what a parser hands out.

use std::fmt;

use super::clock::SnoopTime;

/// A Bluetooth device address, kept in HCI (wire) order: `bytes[0]` is the least significant
/// byte. [`Display`](fmt::Display) writes it the usual way, most significant first.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct BdAddr(pub [u8; 6]);

impl BdAddr {
    /// The two top bits of a random address: `0b01` marks a resolvable private address (what
    /// phones rotate), `0b11` a static one, `0b00` a non-resolvable private one.
    pub const fn random_subtype(&self) -> u8 {
        self.0[5] >> 6
    }
}

impl fmt::Display for BdAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        write!(
            f,
            "{:02X}:{:02X}:{:02X}:{:02X}:{:02X}:{:02X}",
            b[5], b[4], b[3], b[2], b[1], b[0]
        )
    }
}

impl fmt::Debug for BdAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BdAddr({self})")
    }
}

/// The address type of an advertiser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressType {
    /// 0x00, public device address.
    Public,
    /// 0x01, random device address (phones: a rotating resolvable private address).
    Random,
    /// 0x02, public identity address (resolved by the controller).
    PublicIdentity,
    /// 0x03, random (static) identity address (resolved by the controller).
    RandomIdentity,
    /// 0xFF, no address (anonymous extended advertising).
    Anonymous,
    /// Any other code.
    Other(u8),
}

impl AddressType {
    /// The address type of a code.
    pub const fn from_code(code: u8) -> Self {
        match code {
            0 => Self::Public,
            1 => Self::Random,
            2 => Self::PublicIdentity,
            3 => Self::RandomIdentity,
            0xFF => Self::Anonymous,
            other => Self::Other(other),
        }
    }

    /// The code.
    pub const fn code(self) -> u8 {
        match self {
            Self::Public => 0,
            Self::Random => 1,
            Self::PublicIdentity => 2,
            Self::RandomIdentity => 3,
            Self::Anonymous => 0xFF,
            Self::Other(c) => c,
        }
    }
}

/// Which HCI subevent a report came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportFormat {
    /// LE Advertising Report (subevent 0x02): legacy advertising PDUs only.
    Legacy,
    /// LE Extended Advertising Report (subevent 0x0D): legacy or extended PDUs.
    Extended,
}

/// A legacy advertising PDU type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LegacyPdu {
    /// Connectable and scannable undirected (legacy code 0x00).
    AdvInd,
    /// Connectable directed (0x01).
    AdvDirectInd,
    /// Scannable undirected (0x02): what Android's GAEN sends.
    AdvScanInd,
    /// Non-connectable undirected (0x03).
    AdvNonconnInd,
    /// A scan response (0x04).
    ScanRsp,
}

/// The data status of an extended report (bits 5–6 of its event type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataStatus {
    /// 0b00: the data is complete.
    Complete,
    /// 0b01: incomplete, more reports with the rest follow.
    Incomplete,
    /// 0b10: incomplete and truncated, no more data comes.
    Truncated,
    /// 0b11: reserved.
    Reserved,
}

/// The event type of a report in the extended-report bit layout (legacy codes are mapped as
/// Android maps them: 0x00 → 0x13, 0x01 → 0x15, 0x02 → 0x12, 0x03 → 0x10, 0x04 → 0x1B).
///
/// Bits: 0 connectable, 1 scannable, 2 directed, 3 scan response, 4 legacy PDU, 5–6 data
/// status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventType(pub u16);

impl EventType {
    /// The event type of a legacy LE Advertising Report code, `None` for codes above 4.
    pub const fn from_legacy(code: u8) -> Option<Self> {
        match code {
            0 => Some(Self(0x13)),
            1 => Some(Self(0x15)),
            2 => Some(Self(0x12)),
            3 => Some(Self(0x10)),
            4 => Some(Self(0x1B)),
            _ => None,
        }
    }

    /// Connectable advertising.
    pub const fn is_connectable(self) -> bool {
        self.0 & 0x01 != 0
    }
    /// Scannable advertising.
    pub const fn is_scannable(self) -> bool {
        self.0 & 0x02 != 0
    }
    /// Directed advertising.
    pub const fn is_directed(self) -> bool {
        self.0 & 0x04 != 0
    }
    /// A scan response.
    pub const fn is_scan_response(self) -> bool {
        self.0 & 0x08 != 0
    }
    /// A legacy advertising PDU.
    pub const fn is_legacy(self) -> bool {
        self.0 & 0x10 != 0
    }

    /// The data status.
    pub const fn data_status(self) -> DataStatus {
        match (self.0 >> 5) & 3 {
            0 => DataStatus::Complete,
            1 => DataStatus::Incomplete,
            2 => DataStatus::Truncated,
            _ => DataStatus::Reserved,
        }
    }

    /// The legacy PDU this event type stands for, if it is one of the five the
    /// specification allows for legacy PDUs.
    pub const fn legacy_pdu(self) -> Option<LegacyPdu> {
        match self.0 & 0x1F {
            0x13 => Some(LegacyPdu::AdvInd),
            0x15 => Some(LegacyPdu::AdvDirectInd),
            0x12 => Some(LegacyPdu::AdvScanInd),
            0x10 => Some(LegacyPdu::AdvNonconnInd),
            0x1B | 0x1A => Some(LegacyPdu::ScanRsp),
            _ => None,
        }
    }
}

/// The fields only an LE Extended Advertising Report carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExtendedReportFields {
    /// Primary PHY (1 = LE 1M, 3 = LE Coded).
    pub primary_phy: u8,
    /// Secondary PHY (0 = none, 1 = LE 1M, 2 = LE 2M, 3 = LE Coded).
    pub secondary_phy: u8,
    /// Advertising SID, `None` for 0xFF (no ADI field).
    pub advertising_sid: Option<u8>,
    /// Periodic advertising interval in 1.25 ms units (0 = none).
    pub periodic_interval: u16,
    /// Direct address type (for directed advertising).
    pub direct_address_type: u8,
    /// Direct address (for directed advertising).
    pub direct_address: BdAddr,
}

/// One LE advertising report the phone's controller delivered.
#[derive(Clone, PartialEq, Eq)]
pub struct AdvertisingReport {
    /// When the phone logged it (its local clock).
    pub time: SnoopTime,
    /// Index of the BTSnoop record it came in.
    pub record: u64,
    /// Legacy or extended report event.
    pub format: ReportFormat,
    /// Event type, in the extended-report bit layout.
    pub event_type: EventType,
    /// The advertiser's address type.
    pub address_type: AddressType,
    /// The advertiser's address.
    pub address: BdAddr,
    /// RSSI in dBm; `None` when the controller reported 127 (not available).
    pub rssi: Option<i8>,
    /// TX power in dBm from an extended report; `None` for legacy reports and for 127.
    pub tx_power: Option<i8>,
    /// The extended-report fields; `None` for a legacy report.
    pub extended: Option<ExtendedReportFields>,
    /// The advertising data (or scan response data) bytes exactly as reported: at most 31
    /// bytes in a legacy report, 229 in an extended one.
    pub data: Vec<u8>,
}

impl fmt::Debug for AdvertisingReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdvertisingReport")
            .field("time", &self.time)
            .field("record", &self.record)
            .field("format", &self.format)
            .field("event_type", &self.event_type)
            .field("address_type", &self.address_type)
            .field("address", &self.address)
            .field("rssi", &self.rssi)
            .field("tx_power", &self.tx_power)
            .field("extended", &self.extended)
            .field("data", &Redacted(self.data.len()))
            .finish()
    }
}

/// Whether own data is advertising data or scan response data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OwnDataKind {
    /// Advertising data.
    Advertising,
    /// Scan response data.
    ScanResponse,
}

/// The HCI command an own-data or own-address item came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OwnCommand {
    /// LE Set Advertising Data, opcode 0x2008.
    LeSetAdvertisingData,
    /// LE Set Scan Response Data, 0x2009.
    LeSetScanResponseData,
    /// LE Set Extended Advertising Data, 0x2037.
    LeSetExtendedAdvertisingData,
    /// LE Set Extended Scan Response Data, 0x2038.
    LeSetExtendedScanResponseData,
    /// Android's vendor-specific multi-advertising command, 0xFD54 (OGF 0x3F, OCF 0x154),
    /// used on controllers without LE extended advertising.
    VendorMultiAdvertising,
    /// LE Set Random Address, 0x2005.
    LeSetRandomAddress,
    /// LE Set Advertising Set Random Address, 0x2035.
    LeSetAdvertisingSetRandomAddress,
}

impl OwnCommand {
    /// The HCI opcode.
    pub const fn opcode(self) -> u16 {
        match self {
            Self::LeSetAdvertisingData => 0x2008,
            Self::LeSetScanResponseData => 0x2009,
            Self::LeSetExtendedAdvertisingData => 0x2037,
            Self::LeSetExtendedScanResponseData => 0x2038,
            Self::VendorMultiAdvertising => 0xFD54,
            Self::LeSetRandomAddress => 0x2005,
            Self::LeSetAdvertisingSetRandomAddress => 0x2035,
        }
    }
}

/// Which part of the data an extended data command carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataOperation {
    /// 0: an intermediate fragment.
    Intermediate,
    /// 1: the first fragment.
    First,
    /// 2: the last fragment.
    Last,
    /// 3: the complete data (also every legacy and vendor command).
    Complete,
    /// 4: unchanged data, new advertising DID only (no data).
    Unchanged,
    /// Any other code.
    Other(u8),
}

impl DataOperation {
    pub(crate) const fn from_code(code: u8) -> Self {
        match code {
            0 => Self::Intermediate,
            1 => Self::First,
            2 => Self::Last,
            3 => Self::Complete,
            4 => Self::Unchanged,
            other => Self::Other(other),
        }
    }
}

/// Advertising (or scan response) data the phone told its own controller to send: for a
/// GAEN phone, its own RPI and metadata.
#[derive(Clone, PartialEq, Eq)]
pub struct OwnAdvertisingData {
    /// When the phone logged the command.
    pub time: SnoopTime,
    /// Index of the BTSnoop record.
    pub record: u64,
    /// Advertising or scan response data.
    pub kind: OwnDataKind,
    /// The command it came from.
    pub command: OwnCommand,
    /// The advertising set handle (extended) or instance (vendor); `None` for legacy.
    pub handle: Option<u8>,
    /// Fragment operation (extended commands); `Complete` for the others.
    pub operation: DataOperation,
    /// The significant data bytes (the command's length field applied; no padding).
    pub data: Vec<u8>,
}

impl fmt::Debug for OwnAdvertisingData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnAdvertisingData")
            .field("time", &self.time)
            .field("record", &self.record)
            .field("kind", &self.kind)
            .field("command", &self.command)
            .field("handle", &self.handle)
            .field("operation", &self.operation)
            .field("data", &Redacted(self.data.len()))
            .finish()
    }
}

/// A random address the phone set for its own advertising (a rotation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OwnRandomAddress {
    /// When the phone logged the command.
    pub time: SnoopTime,
    /// Index of the BTSnoop record.
    pub record: u64,
    /// The command it came from.
    pub command: OwnCommand,
    /// The advertising set handle (extended) or instance (vendor); `None` for legacy.
    pub handle: Option<u8>,
    /// The address.
    pub address: BdAddr,
}

/// One typed item of a snoop log.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SnoopItem {
    /// An LE advertising report received.
    AdvertisingReport(AdvertisingReport),
    /// Own advertising or scan response data set.
    OwnAdvertisingData(OwnAdvertisingData),
    /// Own random address set.
    OwnRandomAddress(OwnRandomAddress),
}

impl SnoopItem {
    /// When the phone logged it.
    pub const fn time(&self) -> SnoopTime {
        match self {
            Self::AdvertisingReport(r) => r.time,
            Self::OwnAdvertisingData(d) => d.time,
            Self::OwnRandomAddress(a) => a.time,
        }
    }

    /// Index of the BTSnoop record it came from.
    pub const fn record(&self) -> u64 {
        match self {
            Self::AdvertisingReport(r) => r.record,
            Self::OwnAdvertisingData(d) => d.record,
            Self::OwnRandomAddress(a) => a.record,
        }
    }
}

struct Redacted(usize);

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} bytes>", self.0)
    }
}
