//! H4/HCI packets of a BTSnoop record, decoded into typed items: LE advertising reports
//! received, and the commands that set the phone's own advertising data and address. HCI
//! integers are **little-endian**; addresses are 6 bytes, least significant first.

use std::collections::VecDeque;

use super::framing::{Datalink, Direction, Record};
use super::items::{
    AddressType, AdvertisingReport, BdAddr, DataOperation, EventType, ExtendedReportFields,
    OwnAdvertisingData, OwnCommand, OwnDataKind, OwnRandomAddress, ReportFormat, SnoopItem,
};

/// The H4 packet type indicator (first byte of every datalink-1002 packet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketType {
    /// 0x01, HCI command (host → controller).
    Command,
    /// 0x02, ACL data.
    AclData,
    /// 0x03, SCO data.
    ScoData,
    /// 0x04, HCI event (controller → host).
    Event,
    /// 0x05, ISO data.
    IsoData,
    /// Any other indicator (or an empty record).
    Unknown(u8),
}

impl PacketType {
    /// The packet type of an H4 indicator byte.
    pub const fn from_h4(b: u8) -> Self {
        match b {
            1 => Self::Command,
            2 => Self::AclData,
            3 => Self::ScoData,
            4 => Self::Event,
            5 => Self::IsoData,
            other => Self::Unknown(other),
        }
    }
}

/// What became of one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Disposition {
    /// At least one item came out of it.
    Decoded,
    /// A well-formed packet of a kind not decoded (other events, commands, data).
    Uninteresting,
    /// A packet of a decoded kind whose lengths do not add up (or in the wrong direction).
    Malformed,
    /// An empty record or an unknown H4 type.
    Unknown,
}

/// Bounds-checked little-endian reader; every read returns `None` past the end.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_le_bytes([b[0], b[1]]))
    }
    fn addr(&mut self) -> Option<BdAddr> {
        let b = self.take(6)?;
        let mut a = [0u8; 6];
        a.copy_from_slice(b);
        Some(BdAddr(a))
    }
}

fn signed_or_none(b: u8) -> Option<i8> {
    (b != 127).then_some(b as i8)
}

/// The packet type and HCI bytes (without the H4 indicator) of a record.
pub(crate) fn packet<'a>(datalink: Datalink, rec: &Record<'a>) -> (PacketType, &'a [u8]) {
    match datalink {
        Datalink::H1 => {
            let t = match (rec.flags.is_command_or_event(), rec.flags.direction()) {
                (true, Direction::HostToController) => PacketType::Command,
                (true, Direction::ControllerToHost) => PacketType::Event,
                // Un-encapsulated data: ACL and SCO cannot be told apart; ACL is the norm.
                (false, _) => PacketType::AclData,
            };
            (t, rec.data)
        }
        _ => match rec.data.split_first() {
            Some((&t, rest)) => (PacketType::from_h4(t), rest),
            None => (PacketType::Unknown(0), rec.data),
        },
    }
}

/// Decode one record, appending its items to `out`.
pub(crate) fn decode(
    datalink: Datalink,
    rec: &Record<'_>,
    out: &mut VecDeque<SnoopItem>,
) -> (PacketType, Disposition) {
    let (ptype, body) = packet(datalink, rec);
    if datalink != Datalink::H1 && rec.data.is_empty() {
        return (ptype, Disposition::Unknown);
    }
    let disposition = match ptype {
        PacketType::Event => decode_event(rec, body, out),
        PacketType::Command => decode_command(rec, body, out),
        PacketType::AclData | PacketType::ScoData | PacketType::IsoData => {
            Disposition::Uninteresting
        }
        PacketType::Unknown(_) => Disposition::Unknown,
    };
    (ptype, disposition)
}

fn outcome(parsed: Option<bool>) -> Disposition {
    match parsed {
        Some(true) => Disposition::Decoded,
        Some(false) => Disposition::Uninteresting,
        None => Disposition::Malformed,
    }
}

fn decode_event(rec: &Record<'_>, body: &[u8], out: &mut VecDeque<SnoopItem>) -> Disposition {
    let mut c = Cursor(body);
    let parsed = (|| {
        let code = c.u8()?;
        let len = c.u8()?;
        let params = c.take(usize::from(len))?;
        if code != 0x3E {
            return Some(false);
        }
        let (&sub, rest) = params.split_first()?;
        if !matches!(sub, 0x02 | 0x0D) {
            return Some(false);
        }
        if rec.flags.direction() != Direction::ControllerToHost {
            return None;
        }
        let reports = if sub == 0x02 {
            legacy_reports(rec, rest)?
        } else {
            extended_reports(rec, rest)?
        };
        out.extend(reports.into_iter().map(SnoopItem::AdvertisingReport));
        Some(true)
    })();
    outcome(parsed)
}

fn legacy_reports(rec: &Record<'_>, params: &[u8]) -> Option<Vec<AdvertisingReport>> {
    let mut c = Cursor(params);
    let n = c.u8()?;
    if n == 0 {
        return None;
    }
    let mut reports = Vec::with_capacity(usize::from(n));
    for _ in 0..n {
        let event_type = EventType::from_legacy(c.u8()?)?;
        let address_type = AddressType::from_code(c.u8()?);
        let address = c.addr()?;
        let len = c.u8()?;
        if len > 31 {
            return None;
        }
        let data = c.take(usize::from(len))?.to_vec();
        let rssi = signed_or_none(c.u8()?);
        reports.push(AdvertisingReport {
            time: rec.time,
            record: rec.index,
            format: ReportFormat::Legacy,
            event_type,
            address_type,
            address,
            rssi,
            tx_power: None,
            extended: None,
            data,
        });
    }
    c.0.is_empty().then_some(reports)
}

fn extended_reports(rec: &Record<'_>, params: &[u8]) -> Option<Vec<AdvertisingReport>> {
    let mut c = Cursor(params);
    let n = c.u8()?;
    if n == 0 {
        return None;
    }
    let mut reports = Vec::with_capacity(usize::from(n));
    for _ in 0..n {
        let event_type = EventType(c.u16()?);
        let address_type = AddressType::from_code(c.u8()?);
        let address = c.addr()?;
        let primary_phy = c.u8()?;
        let secondary_phy = c.u8()?;
        let sid = c.u8()?;
        let tx_power = signed_or_none(c.u8()?);
        let rssi = signed_or_none(c.u8()?);
        let periodic_interval = c.u16()?;
        let direct_address_type = c.u8()?;
        let direct_address = c.addr()?;
        let len = c.u8()?;
        if len > 229 {
            return None;
        }
        let data = c.take(usize::from(len))?.to_vec();
        reports.push(AdvertisingReport {
            time: rec.time,
            record: rec.index,
            format: ReportFormat::Extended,
            event_type,
            address_type,
            address,
            rssi,
            tx_power,
            extended: Some(ExtendedReportFields {
                primary_phy,
                secondary_phy,
                advertising_sid: (sid != 0xFF).then_some(sid),
                periodic_interval,
                direct_address_type,
                direct_address,
            }),
            data,
        });
    }
    c.0.is_empty().then_some(reports)
}

fn decode_command(rec: &Record<'_>, body: &[u8], out: &mut VecDeque<SnoopItem>) -> Disposition {
    let mut c = Cursor(body);
    let parsed = (|| {
        let opcode = c.u16()?;
        let len = c.u8()?;
        let params = c.take(usize::from(len))?;
        let item = match opcode {
            0x2005 | 0x2008 | 0x2009 | 0x2035 | 0x2037 | 0x2038 | 0xFD54 => {
                if rec.flags.direction() != Direction::HostToController {
                    return None;
                }
                own_item(rec, opcode, params)?
            }
            _ => return Some(false),
        };
        if let Some(item) = item {
            out.push_back(item);
            Some(true)
        } else {
            Some(false)
        }
    })();
    outcome(parsed)
}

/// The item of an own-data or own-address command: `Some(None)` for a vendor sub-command
/// that is neither, `None` when malformed.
fn own_item(rec: &Record<'_>, opcode: u16, params: &[u8]) -> Option<Option<SnoopItem>> {
    let mut c = Cursor(params);
    let data = |command, kind, handle, operation, data: &[u8]| {
        SnoopItem::OwnAdvertisingData(OwnAdvertisingData {
            time: rec.time,
            record: rec.index,
            kind,
            command,
            handle,
            operation,
            data: data.to_vec(),
        })
    };
    let address = |command, handle, address| {
        SnoopItem::OwnRandomAddress(OwnRandomAddress {
            time: rec.time,
            record: rec.index,
            command,
            handle,
            address,
        })
    };
    let item = match opcode {
        0x2005 => address(OwnCommand::LeSetRandomAddress, None, c.addr()?),
        0x2035 => {
            let handle = c.u8()?;
            address(
                OwnCommand::LeSetAdvertisingSetRandomAddress,
                Some(handle),
                c.addr()?,
            )
        }
        0x2008 | 0x2009 => {
            let (command, kind) = if opcode == 0x2008 {
                (OwnCommand::LeSetAdvertisingData, OwnDataKind::Advertising)
            } else {
                (OwnCommand::LeSetScanResponseData, OwnDataKind::ScanResponse)
            };
            let len = c.u8()?;
            if len > 31 {
                return None;
            }
            data(
                command,
                kind,
                None,
                DataOperation::Complete,
                c.take(usize::from(len))?,
            )
        }
        0x2037 | 0x2038 => {
            let (command, kind) = if opcode == 0x2037 {
                (
                    OwnCommand::LeSetExtendedAdvertisingData,
                    OwnDataKind::Advertising,
                )
            } else {
                (
                    OwnCommand::LeSetExtendedScanResponseData,
                    OwnDataKind::ScanResponse,
                )
            };
            let handle = c.u8()?;
            let operation = DataOperation::from_code(c.u8()?);
            let _fragment_preference = c.u8()?;
            let len = c.u8()?;
            if len > 251 {
                return None;
            }
            data(
                command,
                kind,
                Some(handle),
                operation,
                c.take(usize::from(len))?,
            )
        }
        // 0xFD54: sub-command, then its parameters.
        _ => match c.u8()? {
            // Write advertising / scan response data: length, 31 data bytes, instance.
            sub @ (2 | 3) => {
                let len = c.u8()?;
                let block = c.take(31)?;
                let instance = c.u8()?;
                if len > 31 {
                    return None;
                }
                let kind = if sub == 2 {
                    OwnDataKind::Advertising
                } else {
                    OwnDataKind::ScanResponse
                };
                data(
                    OwnCommand::VendorMultiAdvertising,
                    kind,
                    Some(instance),
                    DataOperation::Complete,
                    &block[..usize::from(len)],
                )
            }
            // Set random address: address, instance.
            4 => {
                let a = c.addr()?;
                address(OwnCommand::VendorMultiAdvertising, Some(c.u8()?), a)
            }
            _ => return Some(None),
        },
    };
    Some(Some(item))
}
