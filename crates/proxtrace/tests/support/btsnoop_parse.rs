//! Parsing helpers and proptest strategies shared by `tests/btsnoop.rs`: whole-buffer and
//! chunked parses to compare, the count identities, report pairing, and random snoop logs
//! built with the fixture writer.

use proptest::prelude::*;
use proxtrace::btsnoop::{
    AdvertisingReport, BtsnoopError, PairedAdvertisement, ScanResponsePairer, SnoopItem,
    SnoopParser, SnoopStats, SnoopSummary, items,
};

use crate::btsnoop_fixture::{
    Extended, Legacy, RECEIVED_EVENT, SENT_COMMAND, Writer, command, extended_event, fixture_time,
    legacy_event,
};

pub(crate) type Parsed = (Vec<Result<SnoopItem, BtsnoopError>>, SnoopSummary);

pub(crate) fn parse_whole(bytes: &[u8]) -> Parsed {
    let mut it = items(bytes);
    let out: Vec<_> = it.by_ref().collect();
    (out, it.summary())
}

/// Push `bytes` in chunks of the given sizes (cycled), draining after each push.
pub(crate) fn parse_chunked(bytes: &[u8], sizes: &[usize]) -> Parsed {
    let mut p = SnoopParser::new();
    let mut out = Vec::new();
    let mut rest = bytes;
    let mut k = 0;
    let mut failed = false;
    while !rest.is_empty() && !failed {
        let n = sizes[k % sizes.len()].clamp(1, rest.len());
        k += 1;
        p.push(&rest[..n]);
        rest = &rest[n..];
        loop {
            match p.poll() {
                Ok(Some(item)) => out.push(Ok(item)),
                Ok(None) => break,
                Err(e) => {
                    out.push(Err(e));
                    failed = true;
                    break;
                }
            }
        }
    }
    if !failed {
        // An input too short to show its header is only an error at the end.
        if let Err(e) = p.poll() {
            out.push(Err(e));
        }
    }
    (out, p.finish())
}

pub(crate) fn ok_items(parsed: &Parsed) -> Vec<SnoopItem> {
    parsed.0.iter().map(|r| r.clone().unwrap()).collect()
}

pub(crate) fn check_identities(s: &SnoopStats) {
    assert_eq!(
        s.records,
        s.commands + s.events + s.acl_packets + s.sco_packets + s.iso_packets + s.unknown_packets
    );
    assert_eq!(
        s.records,
        s.decoded_records + s.uninteresting_records + s.malformed_records + s.unknown_packets
    );
}

pub(crate) fn reports(items: &[SnoopItem]) -> Vec<AdvertisingReport> {
    items
        .iter()
        .filter_map(|i| match i {
            SnoopItem::AdvertisingReport(r) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

pub(crate) fn pair_all(reports: Vec<AdvertisingReport>) -> (Vec<PairedAdvertisement>, u64) {
    let mut pairer = ScanResponsePairer::new();
    let mut pairs = Vec::new();
    for r in reports {
        pairer.push(r);
        pairs.extend(std::iter::from_fn(|| pairer.pop()));
    }
    pairer.finish();
    pairs.extend(std::iter::from_fn(|| pairer.pop()));
    (pairs, pairer.orphan_scan_responses())
}

pub(crate) fn arb_packet() -> impl Strategy<Value = (u32, Vec<u8>)> {
    let legacy = (
        0u8..6,
        0u8..4,
        any::<[u8; 6]>(),
        prop::collection::vec(any::<u8>(), 0..34),
        any::<i8>(),
    )
        .prop_map(|(event_type, address_type, address, data, rssi)| Legacy {
            event_type,
            address_type,
            address,
            data,
            rssi,
        });
    let extended = (
        any::<u16>(),
        any::<[u8; 6]>(),
        any::<i8>(),
        any::<i8>(),
        prop::collection::vec(any::<u8>(), 0..60),
    )
        .prop_map(|(event_type, address, tx_power, rssi, data)| Extended {
            event_type,
            address_type: 1,
            address,
            primary_phy: 1,
            secondary_phy: 0,
            sid: 0xFF,
            tx_power,
            rssi,
            interval: 0,
            data,
        });
    let opcodes = prop::sample::select(vec![
        0x2005u16, 0x2008, 0x2009, 0x2035, 0x2037, 0x2038, 0xFD54, 0x0C03,
    ]);
    prop_oneof![
        (0u32..4, prop::collection::vec(any::<u8>(), 0..48)),
        prop::collection::vec(legacy, 1..4).prop_map(|r| (RECEIVED_EVENT, legacy_event(&r))),
        prop::collection::vec(extended, 1..4).prop_map(|r| (RECEIVED_EVENT, extended_event(&r))),
        (opcodes, 0u8..6, prop::collection::vec(any::<u8>(), 0..40)).prop_map(
            |(op, first, mut p)| {
                p.insert(0, first);
                (SENT_COMMAND, command(op, &p))
            }
        ),
    ]
}

pub(crate) fn arb_file() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec((arb_packet(), any::<u32>()), 0..24),
        0usize..30,
    )
        .prop_map(|(packets, cut)| {
            let mut w = Writer::new(1002);
            for (i, ((flags, p), t)) in packets.iter().enumerate() {
                w.record(*flags, i as u32, fixture_time(0) + u64::from(*t), p);
            }
            let mut bytes = w.finish();
            bytes.truncate(bytes.len().saturating_sub(cut));
            bytes
        })
}
