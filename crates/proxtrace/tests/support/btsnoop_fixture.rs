//! A tiny BTSnoop writer (test support only: the library reads, it never writes) and the
//! content of `tests/data/synthetic-v1.btsnoop`, written by `examples/write_btsnoop_fixture.rs`
//! and checked by `tests/btsnoop.rs` — one source, so file and expectations cannot drift.
//! Every byte here is made up by the project; none comes from a real capture.

#![allow(dead_code)]

use proxtrace::btsnoop::{
    AddressType, AdvertisingReport, BdAddr, DataOperation, EventType, ExtendedReportFields,
    OwnAdvertisingData, OwnCommand, OwnDataKind, OwnRandomAddress, ReportFormat, SnoopItem,
    SnoopTime, UNIX_EPOCH_SNOOP_MICROS,
};

/// Record flags: host → controller data, controller → host data, command, event.
pub(crate) const SENT_DATA: u32 = 0;
pub(crate) const RECEIVED_DATA: u32 = 1;
pub(crate) const SENT_COMMAND: u32 = 2;
pub(crate) const RECEIVED_EVENT: u32 = 3;

/// Builds a BTSnoop v1 file.
pub(crate) struct Writer {
    out: Vec<u8>,
    count: u64,
}

impl Writer {
    pub(crate) fn new(datalink: u32) -> Self {
        let mut out = b"btsnoop\0".to_vec();
        out.extend_from_slice(&1u32.to_be_bytes());
        out.extend_from_slice(&datalink.to_be_bytes());
        Self { out, count: 0 }
    }

    /// Records written so far.
    pub(crate) fn count(&self) -> u64 {
        self.count
    }

    /// A record holding the whole packet.
    pub(crate) fn record(&mut self, flags: u32, drops: u32, time: u64, packet: &[u8]) {
        self.record_cut(packet.len() as u32, flags, drops, time, packet);
    }

    /// A record of a packet of `original_len` bytes of which only `included` was kept.
    pub(crate) fn record_cut(
        &mut self,
        original_len: u32,
        flags: u32,
        drops: u32,
        time: u64,
        included: &[u8],
    ) {
        for v in [original_len, included.len() as u32, flags, drops] {
            self.out.extend_from_slice(&v.to_be_bytes());
        }
        self.out.extend_from_slice(&time.to_be_bytes());
        self.out.extend_from_slice(included);
        self.count += 1;
    }

    pub(crate) fn finish(self) -> Vec<u8> {
        self.out
    }
}

/// An H4 command packet.
pub(crate) fn command(opcode: u16, params: &[u8]) -> Vec<u8> {
    let mut p = vec![0x01];
    p.extend_from_slice(&opcode.to_le_bytes());
    p.push(params.len() as u8);
    p.extend_from_slice(params);
    p
}

/// An H4 event packet.
pub(crate) fn event(code: u8, params: &[u8]) -> Vec<u8> {
    let mut p = vec![0x04, code, params.len() as u8];
    p.extend_from_slice(params);
    p
}

/// One report of an LE Advertising Report event, as raw field values.
#[derive(Clone, Debug)]
pub(crate) struct Legacy {
    pub(crate) event_type: u8,
    pub(crate) address_type: u8,
    pub(crate) address: [u8; 6],
    pub(crate) data: Vec<u8>,
    pub(crate) rssi: i8,
}

/// An LE Meta event with an LE Advertising Report subevent.
pub(crate) fn legacy_event(reports: &[Legacy]) -> Vec<u8> {
    let mut params = vec![0x02, reports.len() as u8];
    for r in reports {
        params.push(r.event_type);
        params.push(r.address_type);
        params.extend_from_slice(&r.address);
        params.push(r.data.len() as u8);
        params.extend_from_slice(&r.data);
        params.push(r.rssi as u8);
    }
    event(0x3E, &params)
}

/// One report of an LE Extended Advertising Report event, as raw field values.
#[derive(Clone, Debug)]
pub(crate) struct Extended {
    pub(crate) event_type: u16,
    pub(crate) address_type: u8,
    pub(crate) address: [u8; 6],
    pub(crate) primary_phy: u8,
    pub(crate) secondary_phy: u8,
    pub(crate) sid: u8,
    pub(crate) tx_power: i8,
    pub(crate) rssi: i8,
    pub(crate) interval: u16,
    pub(crate) data: Vec<u8>,
}

/// An LE Meta event with an LE Extended Advertising Report subevent.
pub(crate) fn extended_event(reports: &[Extended]) -> Vec<u8> {
    let mut params = vec![0x0D, reports.len() as u8];
    for r in reports {
        params.extend_from_slice(&r.event_type.to_le_bytes());
        params.push(r.address_type);
        params.extend_from_slice(&r.address);
        params.extend_from_slice(&[r.primary_phy, r.secondary_phy, r.sid]);
        params.extend_from_slice(&[r.tx_power as u8, r.rssi as u8]);
        params.extend_from_slice(&r.interval.to_le_bytes());
        params.extend_from_slice(&[0x00, 0, 0, 0, 0, 0, 0]); // direct address type, address
        params.push(r.data.len() as u8);
        params.extend_from_slice(&r.data);
    }
    event(0x3E, &params)
}

/// `data` followed by zeros up to `len` bytes.
pub(crate) fn padded(data: &[u8], len: usize) -> Vec<u8> {
    let mut v = data.to_vec();
    v.resize(len, 0);
    v
}

/// GAEN advertising data as Android sends it non-connectable: 16-bit UUID list and service
/// data, no flags (28 bytes). The RPI and AEM are made up from `seed`.
pub(crate) fn gaen_data(seed: u8) -> Vec<u8> {
    let mut d = vec![0x03, 0x03, 0x6F, 0xFD, 0x17, 0x16, 0x6F, 0xFD];
    d.extend((0..20u8).map(|i| seed.wrapping_mul(31).wrapping_add(i)));
    d
}

/// GAEN advertising data with the flags structure in front (31 bytes).
pub(crate) fn gaen_data_with_flags(seed: u8) -> Vec<u8> {
    let mut d = vec![0x02, 0x01, 0x1A];
    d.extend(gaen_data(seed));
    d
}

/// Bluezone (Android) advertising data: flags, UUID 0x4E56, manufacturer data (23 bytes).
pub(crate) fn bluezone_data(seed: u8) -> Vec<u8> {
    let mut d = vec![
        0x02, 0x01, 0x1A, 0x03, 0x03, 0x56, 0x4E, 0x0F, 0xFF, 0xB5, 0x22,
    ];
    d.extend((0..12u8).map(|i| seed ^ i));
    d
}

pub(crate) const ADDR_A: [u8; 6] = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66];
pub(crate) const ADDR_B: [u8; 6] = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06];
pub(crate) const ADDR_C: [u8; 6] = [0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0x46];
pub(crate) const ADDR_D: [u8; 6] = [0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0x56];
pub(crate) const ADDR_E: [u8; 6] = [0xE1, 0xE2, 0xE3, 0xE4, 0xE5, 0xC6];
pub(crate) const OWN_1: [u8; 6] = [0x71, 0x72, 0x73, 0x74, 0x75, 0x76];
pub(crate) const OWN_2: [u8; 6] = [0x81, 0x82, 0x83, 0x84, 0x85, 0x46];
pub(crate) const OWN_3: [u8; 6] = [0x91, 0x92, 0x93, 0x94, 0x95, 0x56];

/// The fixture's phone clock: local time on UTC+2. Record `i` is 250 ms after record `i − 1`,
/// from 2024-05-01T10:00:00Z (12:00 local).
pub(crate) const FIXTURE_UTC_OFFSET: i64 = 7200;
pub(crate) const FIXTURE_START_UNIX: u64 = 1_714_557_600;

pub(crate) fn fixture_time(i: u64) -> u64 {
    UNIX_EPOCH_SNOOP_MICROS
        + (FIXTURE_START_UNIX + FIXTURE_UTC_OFFSET as u64) * 1_000_000
        + i * 250_000
}

/// The synthetic fixture: its bytes and the items a parser must find in it.
pub(crate) struct Fixture {
    pub(crate) bytes: Vec<u8>,
    pub(crate) items: Vec<SnoopItem>,
}

/// The expected report of record `i`: an extended report when `extended` is given.
fn report(
    i: u64,
    event_type: u16,
    address_type: AddressType,
    address: [u8; 6],
    (rssi, tx_power): (Option<i8>, Option<i8>),
    extended: Option<ExtendedReportFields>,
    data: Vec<u8>,
) -> SnoopItem {
    SnoopItem::AdvertisingReport(AdvertisingReport {
        time: SnoopTime::from_micros(fixture_time(i)),
        record: i,
        format: if extended.is_some() {
            ReportFormat::Extended
        } else {
            ReportFormat::Legacy
        },
        event_type: EventType(event_type),
        address_type,
        address: BdAddr(address),
        rssi,
        tx_power,
        extended,
        data,
    })
}

fn own_data(
    i: u64,
    kind: OwnDataKind,
    command: OwnCommand,
    handle: Option<u8>,
    data: Vec<u8>,
) -> SnoopItem {
    SnoopItem::OwnAdvertisingData(OwnAdvertisingData {
        time: SnoopTime::from_micros(fixture_time(i)),
        record: i,
        kind,
        command,
        handle,
        operation: DataOperation::Complete,
        data,
    })
}

fn own_address(i: u64, command: OwnCommand, handle: Option<u8>, address: [u8; 6]) -> SnoopItem {
    SnoopItem::OwnRandomAddress(OwnRandomAddress {
        time: SnoopTime::from_micros(fixture_time(i)),
        record: i,
        command,
        handle,
        address: BdAddr(address),
    })
}

/// The fixture, record by record (the index is the record number).
pub(crate) fn fixture() -> Fixture {
    use AddressType::{Public, Random};
    use OwnCommand::*;
    use OwnDataKind::{Advertising, ScanResponse};

    let mut w = Writer::new(1002);
    let mut items = Vec::new();
    let rec = |w: &mut Writer, flags: u32, drops: u32, packet: &[u8]| {
        let n = w.count();
        w.record(flags, drops, fixture_time(n), packet);
        n
    };

    // 0–1: HCI Reset and its Command Complete: not decoded.
    rec(&mut w, SENT_COMMAND, 0, &command(0x0C03, &[]));
    rec(
        &mut w,
        RECEIVED_EVENT,
        0,
        &event(0x0E, &[0x01, 0x03, 0x0C, 0x00]),
    );
    // 2: LE Set Random Address.
    let n = rec(&mut w, SENT_COMMAND, 0, &command(0x2005, &OWN_1));
    items.push(own_address(n, LeSetRandomAddress, None, OWN_1));
    // 3: LE Set Advertising Data: 31 significant bytes in the 31-byte field.
    let mut p = vec![31];
    p.extend(gaen_data_with_flags(1));
    let n = rec(&mut w, SENT_COMMAND, 0, &command(0x2008, &p));
    items.push(own_data(
        n,
        Advertising,
        LeSetAdvertisingData,
        None,
        gaen_data_with_flags(1),
    ));
    // 4: LE Set Scan Response Data: empty (length 0, 31 zero bytes).
    let n = rec(&mut w, SENT_COMMAND, 0, &command(0x2009, &[0; 32]));
    items.push(own_data(
        n,
        ScanResponse,
        LeSetScanResponseData,
        None,
        vec![],
    ));
    // 5: LE Set Advertising Set Random Address, handle 1.
    let mut p = vec![1];
    p.extend_from_slice(&OWN_2);
    let n = rec(&mut w, SENT_COMMAND, 0, &command(0x2035, &p));
    items.push(own_address(
        n,
        LeSetAdvertisingSetRandomAddress,
        Some(1),
        OWN_2,
    ));
    // 6: LE Set Extended Advertising Data, handle 1, complete, 28 bytes.
    let mut p = vec![1, 3, 1, 28];
    p.extend(gaen_data(2));
    let n = rec(&mut w, SENT_COMMAND, 0, &command(0x2037, &p));
    items.push(own_data(
        n,
        Advertising,
        LeSetExtendedAdvertisingData,
        Some(1),
        gaen_data(2),
    ));
    // 7: vendor multi-advertising, set random address of instance 2.
    let mut p = vec![4];
    p.extend_from_slice(&OWN_3);
    p.push(2);
    let n = rec(&mut w, SENT_COMMAND, 0, &command(0xFD54, &p));
    items.push(own_address(n, VendorMultiAdvertising, Some(2), OWN_3));
    // 8: vendor multi-advertising, write advertising data of instance 2 (28 of 31 bytes).
    let mut p = vec![2, 28];
    p.extend(padded(&gaen_data(3), 31));
    p.push(2);
    let n = rec(&mut w, SENT_COMMAND, 0, &command(0xFD54, &p));
    items.push(own_data(
        n,
        Advertising,
        VendorMultiAdvertising,
        Some(2),
        gaen_data(3),
    ));
    // 9: vendor multi-advertising, set parameters: not decoded.
    rec(&mut w, SENT_COMMAND, 0, &command(0xFD54, &padded(&[1], 24)));
    // 10: LE Advertising Report with two reports: GAEN (ADV_SCAN_IND) and Bluezone (ADV_IND).
    let reports = [
        Legacy {
            event_type: 2,
            address_type: 1,
            address: ADDR_A,
            data: gaen_data(10),
            rssi: -70,
        },
        Legacy {
            event_type: 0,
            address_type: 0,
            address: ADDR_B,
            data: bluezone_data(11),
            rssi: -55,
        },
    ];
    let n = rec(&mut w, RECEIVED_EVENT, 0, &legacy_event(&reports));
    items.push(report(
        n,
        0x12,
        Random,
        ADDR_A,
        (Some(-70), None),
        None,
        gaen_data(10),
    ));
    items.push(report(
        n,
        0x13,
        Public,
        ADDR_B,
        (Some(-55), None),
        None,
        bluezone_data(11),
    ));
    // 11: the empty scan response of A.
    let sr = Legacy {
        event_type: 4,
        address_type: 1,
        address: ADDR_A,
        data: vec![],
        rssi: -71,
    };
    let n = rec(&mut w, RECEIVED_EVENT, 0, &legacy_event(&[sr]));
    items.push(report(
        n,
        0x1B,
        Random,
        ADDR_A,
        (Some(-71), None),
        None,
        vec![],
    ));
    // 12: ADV_NONCONN_IND with RSSI unavailable (127).
    let r = Legacy {
        event_type: 3,
        address_type: 1,
        address: ADDR_C,
        data: gaen_data_with_flags(12),
        rssi: 127,
    };
    let n = rec(&mut w, RECEIVED_EVENT, 0, &legacy_event(&[r]));
    items.push(report(
        n,
        0x10,
        Random,
        ADDR_C,
        (None, None),
        None,
        gaen_data_with_flags(12),
    ));
    // 13: extended report of a legacy ADV_SCAN_IND, TX power unavailable, no SID.
    let r = Extended {
        event_type: 0x12,
        address_type: 1,
        address: ADDR_D,
        primary_phy: 1,
        secondary_phy: 0,
        sid: 0xFF,
        tx_power: 127,
        rssi: -80,
        interval: 0,
        data: gaen_data(13),
    };
    let n = rec(&mut w, RECEIVED_EVENT, 0, &extended_event(&[r]));
    let fields = |primary_phy, secondary_phy, advertising_sid| {
        Some(ExtendedReportFields {
            primary_phy,
            secondary_phy,
            advertising_sid,
            periodic_interval: 0,
            direct_address_type: 0,
            direct_address: BdAddr([0; 6]),
        })
    };
    items.push(report(
        n,
        0x12,
        Random,
        ADDR_D,
        (Some(-80), None),
        fields(1, 0, None),
        gaen_data(13),
    ));
    // 14: two extended (non-legacy) reports in one event: 40 bytes of manufacturer data and
    // an incomplete fragment (data status 0b01).
    let long: Vec<u8> = [vec![39, 0xFF, 0x34, 0x12], (0..37).collect()].concat();
    let reports = [
        Extended {
            event_type: 0x0000,
            address_type: 1,
            address: ADDR_E,
            primary_phy: 1,
            secondary_phy: 2,
            sid: 3,
            tx_power: -7,
            rssi: -60,
            interval: 0,
            data: long.clone(),
        },
        Extended {
            event_type: 0x0020,
            address_type: 1,
            address: ADDR_E,
            primary_phy: 1,
            secondary_phy: 2,
            sid: 3,
            tx_power: -7,
            rssi: -61,
            interval: 0,
            data: long[..10].to_vec(),
        },
    ];
    let n = rec(&mut w, RECEIVED_EVENT, 0, &extended_event(&reports));
    items.push(report(
        n,
        0x0000,
        Random,
        ADDR_E,
        (Some(-60), Some(-7)),
        fields(1, 2, Some(3)),
        long.clone(),
    ));
    items.push(report(
        n,
        0x0020,
        Random,
        ADDR_E,
        (Some(-61), Some(-7)),
        fields(1, 2, Some(3)),
        long[..10].to_vec(),
    ));
    // 15–16: ACL data both ways: not decoded.
    rec(&mut w, SENT_DATA, 0, &[0x02, 0x40, 0x00, 0x01, 0x00, 0xAA]);
    rec(
        &mut w,
        RECEIVED_DATA,
        0,
        &[0x02, 0x40, 0x20, 0x01, 0x00, 0xBB],
    );
    // 17: vendor event: not decoded.
    rec(&mut w, RECEIVED_EVENT, 0, &event(0xFF, &[0x54, 0x01, 0x02]));
    // 18: malformed: legacy report declaring 40 data bytes.
    let bad = legacy_event(&[Legacy {
        event_type: 3,
        address_type: 1,
        address: ADDR_C,
        data: vec![0; 40],
        rssi: -40,
    }]);
    rec(&mut w, RECEIVED_EVENT, 0, &bad);
    // 19: malformed: extended report event whose reports end early (one byte missing).
    let mut bad = extended_event(&[Extended {
        event_type: 0x10,
        address_type: 1,
        address: ADDR_D,
        primary_phy: 1,
        secondary_phy: 0,
        sid: 0xFF,
        tx_power: 127,
        rssi: -50,
        interval: 0,
        data: gaen_data(19),
    }]);
    bad.pop();
    bad[2] -= 1;
    rec(&mut w, RECEIVED_EVENT, 0, &bad);
    // 20: unknown H4 packet type; 21: an empty record.
    rec(&mut w, RECEIVED_EVENT, 0, &[0x09, 0x01, 0x02]);
    rec(&mut w, RECEIVED_EVENT, 0, &[]);
    // 22: a report event the writer cut to 20 of its bytes: malformed, and counted as cut.
    let full = legacy_event(&[Legacy {
        event_type: 3,
        address_type: 1,
        address: ADDR_C,
        data: gaen_data(22),
        rssi: -45,
    }]);
    let n = w.count();
    w.record_cut(
        full.len() as u32,
        RECEIVED_EVENT,
        0,
        fixture_time(n),
        &full[..20],
    );
    // 23: LE Set Extended Scan Response Data, handle 1, empty.
    let n = rec(&mut w, SENT_COMMAND, 2, &command(0x2038, &[1, 3, 1, 0]));
    items.push(own_data(
        n,
        ScanResponse,
        LeSetExtendedScanResponseData,
        Some(1),
        vec![],
    ));
    // 24: a set-data command logged as received: malformed (wrong direction).
    let mut p = vec![31];
    p.extend(gaen_data_with_flags(24));
    rec(&mut w, RECEIVED_EVENT, 2, &command(0x2008, &p));
    assert_eq!(w.count(), FIXTURE_RECORDS);
    Fixture {
        bytes: w.finish(),
        items,
    }
}

/// Records in the fixture.
pub(crate) const FIXTURE_RECORDS: u64 = 25;
