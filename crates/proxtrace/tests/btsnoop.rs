//! The BTSnoop / HCI snoop-log reader through the public API: the committed synthetic
//! fixture (bytes, items, counts), truncation, bad headers, both datalinks, Android's scan
//! record form, chunked against whole-buffer parsing (proptest), and — when present — every
//! real Android snoop log of DP-3T experiment 34, checked against an independent parse.

#[path = "support/btsnoop_fixture.rs"]
mod btsnoop_fixture;
#[path = "support/btsnoop_parse.rs"]
mod btsnoop_parse;

use btsnoop_fixture::*;
use btsnoop_parse::*;
use proptest::prelude::*;
use proxtrace::advert::ad::ad_structures;
use proxtrace::advert::{Beacon, decode_advertisement, decode_advertising_data};
use proxtrace::btsnoop::{
    AdvertisingReport, AndroidScanRecord, BdAddr, BtsnoopError, Datalink, OwnDataKind,
    PAIRER_CAPACITY, RecordDecoder, ReportFormat, ScanRecordError, ScanResponsePairer, SnoopItem,
    SnoopStats, SnoopTime, UtcOffset, records,
};
use proxtrace::identifier::{GaenPayload, Identifier};

const FIXTURE: &[u8] = include_bytes!("data/synthetic-v1.btsnoop");

#[test]
fn committed_fixture_is_what_the_writer_writes() {
    assert_eq!(
        FIXTURE,
        fixture().bytes.as_slice(),
        "tests/data/synthetic-v1.btsnoop differs from tests/support/btsnoop_fixture.rs: \
         regenerate it with examples/write_btsnoop_fixture.rs"
    );
}

#[test]
fn fixture_known_bytes() {
    // File header: magic, version 1, datalink 1002 (big-endian).
    assert_eq!(&FIXTURE[..16], b"btsnoop\0\x00\x00\x00\x01\x00\x00\x03\xea");
    // Record 0: lengths 4/4, flags 2 (sent command), drops 0, then HCI Reset `01 03 0C 00`.
    assert_eq!(
        &FIXTURE[16..32],
        &[0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 2, 0, 0, 0, 0]
    );
    assert_eq!(&FIXTURE[40..44], &[0x01, 0x03, 0x0C, 0x00]);
    // Its timestamp, 0x00E2F5164908B000 µs, is 12:00 local on UTC+2 = 10:00 UTC.
    let raw = u64::from_be_bytes(FIXTURE[32..40].try_into().unwrap());
    assert_eq!(raw, 0x00E2_F516_4908_B000);
    let t = SnoopTime::from_micros(raw);
    let plus2 = UtcOffset::from_secs(FIXTURE_UTC_OFFSET).unwrap();
    assert_eq!(t.to_unix_time(plus2).unwrap().as_secs(), 1_714_557_600);
    assert_eq!(
        t.to_unix_time(UtcOffset::UTC).unwrap().as_secs(),
        1_714_564_800
    );
}

#[test]
fn fixture_parses_to_its_items_and_counts() {
    let expected = fixture().items;
    let whole = parse_whole(FIXTURE);
    assert_eq!(ok_items(&whole), expected);
    let (_, summary) = &whole;
    assert_eq!(summary.header.map(|h| h.datalink), Some(Datalink::H4));
    summary.check_complete().unwrap();
    let s = summary.stats;
    check_identities(&s);
    let want = SnoopStats {
        records: 25,
        commands: 11,
        events: 10,
        acl_packets: 2,
        sco_packets: 0,
        iso_packets: 0,
        unknown_packets: 2,
        decoded_records: 13,
        uninteresting_records: 6,
        malformed_records: 4,
        cut_records: 1,
        advertising_report_events: 5,
        advertising_reports: 7,
        own_data_commands: 5,
        own_address_commands: 3,
        cumulative_drops: 2,
        min_time: Some(SnoopTime::from_micros(fixture_time(0))),
        max_time: Some(SnoopTime::from_micros(fixture_time(24))),
    };
    assert_eq!(s, want);
    // Every record index is accounted for by the framing layer too.
    let n = records(FIXTURE).unwrap().map(|r| r.unwrap().index).last();
    assert_eq!(n, Some(FIXTURE_RECORDS - 1));
}

#[test]
fn every_chunking_of_the_fixture_gives_the_same_items() {
    let whole = parse_whole(FIXTURE);
    for size in [1, 2, 3, 7, 16, 23, 24, 25, 100, 4096] {
        assert_eq!(parse_chunked(FIXTURE, &[size]), whole, "chunk size {size}");
    }
}

#[test]
fn a_log_cut_anywhere_ends_cleanly_with_a_flag() {
    let full = ok_items(&parse_whole(FIXTURE));
    let boundaries: Vec<usize> = records(FIXTURE)
        .unwrap()
        .map(|r| {
            let r = r.unwrap();
            r.offset as usize + 24 + r.data.len()
        })
        .collect();
    for len in 0..FIXTURE.len() {
        let cut = &FIXTURE[..len];
        let (got, summary) = parse_whole(cut);
        let got: Vec<SnoopItem> = got.into_iter().map(Result::unwrap).collect();
        assert!(full.starts_with(&got), "cut at {len}");
        let at_boundary = len == 16 || boundaries.contains(&len);
        assert_eq!(
            summary.truncated_tail.is_none(),
            at_boundary,
            "cut at {len}"
        );
        let err = summary.check_complete().err();
        assert_eq!(err.is_none(), at_boundary, "cut at {len}");
        if let Some(e) = err {
            assert!(e.is_truncation());
            let mut d = RecordDecoder::new();
            d.push(cut);
            while d.next_record().unwrap().is_some() {}
            assert_eq!(d.finish().unwrap_err(), e);
        }
        // Items are whole: no report of a cut record appears.
        if let Some(t) = summary.truncated_tail {
            assert!(got.iter().all(|i| i.record() < t.index.max(1)));
        }
        assert_eq!(parse_chunked(cut, &[5]), parse_whole(cut), "cut at {len}");
    }
}

#[test]
fn bad_headers_are_typed_errors() {
    let (out, _) = parse_whole(b"PK\x03\x04 not a snoop log");
    assert_eq!(out, vec![Err(BtsnoopError::NotBtsnoop)]);
    let mut v2 = FIXTURE.to_vec();
    v2[11] = 2;
    assert_eq!(
        parse_whole(&v2).0,
        vec![Err(BtsnoopError::UnsupportedVersion(2))]
    );
    let mut monitor = Writer::new(2001);
    monitor.record(0, 0, fixture_time(0), &[1, 2, 3]);
    let monitor = monitor.finish();
    let e = Err(BtsnoopError::UnsupportedDatalink(2001));
    assert_eq!(parse_whole(&monitor).0, vec![e]);
    for size in [1, 3, 16, 100] {
        assert_eq!(parse_chunked(&monitor, &[size]), parse_whole(&monitor));
        let mut cut = monitor.clone();
        cut.pop();
        assert_eq!(parse_chunked(&cut, &[size]), parse_whole(&cut));
    }
    // The framing layer itself reads any datalink.
    assert_eq!(records(&monitor).unwrap().count(), 1);
    let msg = BtsnoopError::NotBtsnoop.to_string();
    assert!(msg.contains("btsnoop_hci.log"), "{msg}");
}

#[test]
fn datalink_1001_takes_the_packet_type_from_the_flags() {
    let mut w = Writer::new(1001);
    let r = Legacy {
        event_type: 3,
        address_type: 1,
        address: ADDR_C,
        data: gaen_data(5),
        rssi: -66,
    };
    w.record(RECEIVED_EVENT, 0, fixture_time(0), &legacy_event(&[r])[1..]);
    w.record(
        SENT_COMMAND,
        0,
        fixture_time(1),
        &command(0x2005, &OWN_1)[1..],
    );
    w.record(
        RECEIVED_DATA,
        0,
        fixture_time(2),
        &[0x40, 0x20, 0x01, 0x00, 0xBB],
    );
    let (out, summary) = parse_whole(&w.finish());
    let out: Vec<SnoopItem> = out.into_iter().map(Result::unwrap).collect();
    assert_eq!(out.len(), 2);
    let SnoopItem::AdvertisingReport(rep) = &out[0] else {
        panic!("{out:?}")
    };
    assert_eq!(
        (rep.address, rep.rssi, rep.data.clone()),
        (BdAddr(ADDR_C), Some(-66), gaen_data(5))
    );
    assert!(matches!(&out[1], SnoopItem::OwnRandomAddress(a) if a.address == BdAddr(OWN_1)));
    assert_eq!((summary.stats.acl_packets, summary.stats.records), (1, 3));
}

fn gaen_beacon(service_data: &[u8]) -> Beacon {
    Beacon::Identifier(Identifier::Gaen(GaenPayload::from_bytes(
        service_data.try_into().unwrap(),
    )))
}

#[test]
fn fixture_reports_pair_into_android_scan_records() {
    let (pairs, orphans) = pair_all(reports(&fixture().items));
    assert_eq!(orphans, 0);
    // A with its scan response (which came after B's report) as soon as it arrives; the
    // non-scannable C and E at once; the scannable B and D, never answered, at the end.
    let order: Vec<BdAddr> = pairs.iter().map(|p| p.advertisement.address).collect();
    let want = [ADDR_A, ADDR_C, ADDR_E, ADDR_E, ADDR_B, ADDR_D].map(BdAddr);
    assert_eq!(order, want);
    assert_eq!(
        pairs[0].scan_response.as_ref().map(|s| s.rssi),
        Some(Some(-71))
    );
    assert!(pairs[1..].iter().all(|p| p.scan_response.is_none()));
    let rec = pairs[0].scan_record().unwrap();
    assert_eq!(rec.content(), gaen_data(10).as_slice());
    assert_eq!(&rec.as_bytes()[..28], gaen_data(10).as_slice());
    assert!(rec.as_bytes()[28..].iter().all(|&b| b == 0));
    // The advert codecs read both forms: the unpadded bytes and the 62-byte record.
    let want = gaen_beacon(&gaen_data(10)[8..]);
    assert_eq!(
        decode_advertisement(rec.content(), None).unwrap().beacon,
        want
    );
    assert_eq!(
        decode_advertising_data(rec.as_bytes()).unwrap().beacon,
        want
    );
    // B is an ADV_IND without a scan response in the log: advertising data alone.
    assert_eq!(
        pairs[4].scan_record().unwrap().content(),
        bluezone_data(11).as_slice()
    );
    // D came in an extended report, as a legacy PDU: still a legacy scan record.
    assert_eq!(pairs[5].advertisement.format, ReportFormat::Extended);
    assert_eq!(
        pairs[5].scan_record().unwrap().content(),
        gaen_data(13).as_slice()
    );
    // E is an extended PDU.
    assert_eq!(pairs[2].scan_record(), Err(ScanRecordError::NotLegacy));
}

#[test]
fn pairer_is_bounded_and_replaces_like_androids_cache() {
    let f = reports(&fixture().items);
    let (a, b, sr) = (&f[0], &f[1], &f[2]);
    // A scan response with nothing of its address waiting is an orphan.
    let (pairs, orphans) = pair_all(vec![b.clone(), sr.clone()]);
    assert_eq!((pairs.len(), orphans), (1, 1));
    // A second advertisement of A before the scan response: the first goes out alone.
    let mut a2 = a.clone();
    a2.rssi = Some(-90);
    let (pairs, _) = pair_all(vec![a.clone(), a2, sr.clone()]);
    assert_eq!(pairs.len(), 2);
    assert_eq!(
        (
            pairs[0].advertisement.rssi,
            pairs[0].scan_response.is_none()
        ),
        (Some(-70), true)
    );
    assert_eq!(
        (
            pairs[1].advertisement.rssi,
            pairs[1].scan_response.is_some()
        ),
        (Some(-90), true)
    );
    // More than PAIRER_CAPACITY waiting: the oldest goes out alone, in order.
    let many: Vec<AdvertisingReport> = (0..PAIRER_CAPACITY as u8 + 3)
        .map(|k| {
            let mut r = a.clone();
            r.address = BdAddr([k, 0, 0, 0, 0, 0x40]);
            r
        })
        .collect();
    let mut p = ScanResponsePairer::new();
    for r in &many {
        p.push(r.clone());
    }
    let early: Vec<_> = std::iter::from_fn(|| p.pop()).collect();
    assert_eq!(early.len(), 3);
    assert_eq!(early[0].advertisement.address, many[0].address);
}

#[test]
fn scan_record_rules() {
    // Padding after a zero length byte is dropped in each part; the scan response follows.
    let adv = padded(&[0x02, 0x01, 0x06], 31);
    let sr = padded(&[0x03, 0x19, 0x00, 0x80], 31);
    let rec = AndroidScanRecord::from_parts(&adv, Some(&sr)).unwrap();
    assert_eq!(rec.content(), &[0x02, 0x01, 0x06, 0x03, 0x19, 0x00, 0x80]);
    // Two full parts fill all 62 bytes.
    let full = gaen_data_with_flags(1);
    let rec = AndroidScanRecord::from_parts(&full, Some(&full)).unwrap();
    assert_eq!(rec.content().len(), 62);
    assert_eq!(
        rec.as_bytes().as_slice(),
        [full.clone(), full.clone()].concat().as_slice()
    );
    // Over-long and malformed parts.
    assert!(matches!(
        AndroidScanRecord::from_parts(&[0; 32], None),
        Err(ScanRecordError::TooLong { len: 32, .. })
    ));
    assert!(matches!(
        AndroidScanRecord::from_parts(&[0x02, 0x01, 0x06], Some(&[0x05, 0x16, 0x6F])),
        Err(ScanRecordError::Malformed {
            part: "scan response",
            ..
        })
    ));
    // Reports must pair properly.
    let f = reports(&fixture().items);
    let (a, b, sr) = (&f[0], &f[1], &f[2]);
    assert_eq!(
        AndroidScanRecord::from_reports(sr, None),
        Err(ScanRecordError::ScanResponseFirst)
    );
    assert_eq!(
        AndroidScanRecord::from_reports(a, Some(b)),
        Err(ScanRecordError::NotScanResponse)
    );
    let mut wrong = sr.clone();
    wrong.address = BdAddr(ADDR_B);
    assert!(matches!(
        AndroidScanRecord::from_reports(a, Some(&wrong)),
        Err(ScanRecordError::AddressMismatch { .. })
    ));
}

#[test]
fn debug_output_hides_payload_bytes() {
    for item in fixture().items {
        let shown = format!("{item:?}");
        let data = match &item {
            SnoopItem::AdvertisingReport(r) => r.data.clone(),
            SnoopItem::OwnAdvertisingData(d) => d.data.clone(),
            _ => continue,
        };
        assert!(
            shown.contains(&format!("<{} bytes>", data.len())),
            "{shown}"
        );
        if !data.is_empty() {
            assert!(!shown.contains(&format!("{data:?}")), "{shown}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn chunked_parsing_equals_whole_buffer_parsing(
        bytes in arb_file(),
        sizes in prop::collection::vec(1usize..200, 1..8),
    ) {
        let whole = parse_whole(&bytes);
        check_identities(&whole.1.stats);
        prop_assert_eq!(parse_chunked(&bytes, &sizes), whole);
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_agree(
        mut bytes in prop::collection::vec(any::<u8>(), 0..400),
        header in any::<bool>(),
        sizes in prop::collection::vec(1usize..64, 1..4),
    ) {
        if header {
            bytes.splice(0..0, FIXTURE[..16].iter().copied());
        }
        let whole = parse_whole(&bytes);
        prop_assert_eq!(parse_chunked(&bytes, &sizes), whole.clone());
        for item in whole.0.into_iter().flatten() {
            if let SnoopItem::AdvertisingReport(r) = item {
                let _ = AndroidScanRecord::from_reports(&r, None);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Real Android snoop logs: DP-3T experiment 34 (third-party data, read in place, never copied).

#[path = "support/btsnoop_independent.rs"]
mod independent;

fn exp34_btsnoop_dir() -> Option<std::path::PathBuf> {
    let base = std::env::var_os("PROXTRACE_FIELDDATA_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fielddata")
        });
    let dir = base.join("dp3t-exp34/btsnoop");
    dir.is_dir().then_some(dir)
}

fn rpi_of(ad: &[u8]) -> Option<[u8; 16]> {
    ad_structures(ad)
        .map_while(Result::ok)
        .find_map(|s| match s.data {
            [0x6F, 0xFD, rest @ ..] if s.ad_type == 0x16 && rest.len() >= 16 => {
                Some(rest[..16].try_into().unwrap())
            }
            _ => None,
        })
}

/// 2020-07-30, the day of the experiment, in days since 1970-01-01.
const EXP34_UTC_DAY: u64 = 18_473;

#[test]
fn real_android_snoop_logs_of_dp3t_experiment_34() {
    let Some(dir) = exp34_btsnoop_dir() else {
        eprintln!(
            "skipping: ../shared/fielddata/dp3t-exp34/btsnoop not found \
             (set PROXTRACE_FIELDDATA_DIR to the fielddata folder)"
        );
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "btsnoop"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .btsnoop file in {}", dir.display());
    let plus2 = UtcOffset::from_secs(7200).unwrap();
    let mut own: Vec<(String, std::collections::BTreeSet<[u8; 16]>)> = Vec::new();
    let mut received: Vec<std::collections::BTreeSet<[u8; 16]>> = Vec::new();
    let mut received_reports: Vec<Vec<[u8; 16]>> = Vec::new();
    let mut totals = [0u64; 6];
    for path in &files {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(path).unwrap();
        let plain = independent::count(&bytes);
        let whole = parse_whole(&bytes);
        let (out, summary) = &whole;
        summary.check_complete().unwrap();
        let s = summary.stats;
        check_identities(&s);
        assert_eq!(s.records, plain.records, "{name}");
        assert_eq!(
            s.commands,
            plain.h4_types.get(&1).copied().unwrap_or(0),
            "{name}"
        );
        assert_eq!(
            s.events,
            plain.h4_types.get(&4).copied().unwrap_or(0),
            "{name}"
        );
        assert_eq!(
            (s.malformed_records, s.unknown_packets, s.cut_records),
            (0, 0, 0),
            "{name}"
        );
        assert_eq!(s.advertising_reports, plain.adv_reports, "{name}");
        assert_eq!(s.own_data_commands, plain.own_data_commands, "{name}");
        assert_eq!(s.own_address_commands, plain.own_address_commands, "{name}");
        assert_eq!(
            (s.min_time, s.max_time),
            (
                Some(SnoopTime::from_micros(plain.min_ts)),
                Some(SnoopTime::from_micros(plain.max_ts))
            )
        );
        // Streaming in 4 KiB chunks gives exactly the same.
        assert!(
            parse_chunked(&bytes, &[4096]) == whole,
            "{name}: chunked differs"
        );

        let items: Vec<SnoopItem> = out.iter().map(|r| r.clone().unwrap()).collect();
        let mut gaen = std::collections::BTreeMap::new();
        let mut rx = std::collections::BTreeSet::new();
        let mut rx_reports = Vec::new();
        let mut own_rpis = std::collections::BTreeSet::new();
        let mut adv_reports = Vec::new();
        for item in &items {
            match item {
                SnoopItem::AdvertisingReport(r) => {
                    if let Some(rpi) = rpi_of(&r.data) {
                        *gaen
                            .entry((r.address_type.code(), r.address.0))
                            .or_insert(0u64) += 1;
                        rx.insert(rpi);
                        rx_reports.push(rpi);
                    }
                    adv_reports.push(r.clone());
                }
                SnoopItem::OwnAdvertisingData(d) if d.kind == OwnDataKind::Advertising => {
                    own_rpis.extend(rpi_of(&d.data));
                }
                _ => {}
            }
        }
        let (pairs, orphans) = pair_all(adv_reports);
        assert_eq!(
            orphans, 0,
            "{name}: scan responses without their advertisement"
        );
        assert_eq!(
            gaen, plain.gaen_by_transmitter,
            "{name}: GAEN reports per transmitter"
        );
        assert_eq!(rx, plain.received_rpis, "{name}");
        assert_eq!(own_rpis, plain.own_rpis, "{name}");
        assert!(
            !own_rpis.is_empty(),
            "{name}: the phone's own RPIs are missing"
        );

        // Every GAEN report, as the scan record Android builds, still carries its payload.
        let gaen_reports: u64 = gaen.values().sum();
        let mut in_pairs = 0u64;
        for p in &pairs {
            let adv_rpi = rpi_of(&p.advertisement.data);
            let sr_rpi = p.scan_response.as_ref().and_then(|s| rpi_of(&s.data));
            in_pairs += u64::from(adv_rpi.is_some()) + u64::from(sr_rpi.is_some());
            let Some(rpi) = adv_rpi else { continue };
            let rec = p.scan_record().unwrap();
            assert_eq!(rec.as_bytes().len(), 62);
            assert_eq!(rpi_of(rec.as_bytes()), Some(rpi));
            assert_eq!(rpi_of(rec.content()), Some(rpi));
            // proxtrace's advert codecs find the same RPI in the parts and in the record.
            let sr = p.scan_response.as_ref().map(|s| s.data.as_slice());
            for decoded in [
                decode_advertisement(&p.advertisement.data, sr),
                decode_advertising_data(rec.as_bytes()),
            ] {
                let Beacon::Identifier(Identifier::Gaen(g)) = decoded.unwrap().beacon else {
                    panic!("{name}: not GAEN")
                };
                assert_eq!(*g.rpi.as_bytes(), rpi);
            }
        }
        assert_eq!(
            in_pairs, gaen_reports,
            "{name}: a GAEN report was lost in pairing"
        );

        // The log is local time on UTC+2: every record falls on 2020-07-30 in UTC.
        let first = s.min_time.unwrap().to_unix_time(plus2).unwrap();
        let last = s.max_time.unwrap().to_unix_time(plus2).unwrap();
        assert_eq!(first.as_secs() / 86_400, EXP34_UTC_DAY, "{name}");
        assert_eq!(last.as_secs() / 86_400, EXP34_UTC_DAY, "{name}");
        let hms = |t: u64| {
            format!(
                "{:02}:{:02}:{:02}",
                t % 86_400 / 3600,
                t % 3600 / 60,
                t % 60
            )
        };
        let legacy = reports(&items)
            .iter()
            .filter(|r| r.format == ReportFormat::Legacy)
            .count();
        eprintln!(
            "{name}: records {} | adv reports {} ({}) | GAEN reports {} from {} addresses | \
             own data cmds {} ({} RPIs) | own address cmds {} | scan responses paired {} | \
             UTC {}–{}",
            s.records,
            s.advertising_reports,
            if legacy > 0 { "legacy" } else { "extended" },
            gaen_reports,
            gaen.len(),
            s.own_data_commands,
            own_rpis.len(),
            s.own_address_commands,
            pairs.iter().filter(|p| p.scan_response.is_some()).count(),
            hms(first.as_secs()),
            hms(last.as_secs()),
        );
        for (t, v) in totals.iter_mut().zip([
            s.records,
            s.advertising_reports,
            gaen_reports,
            s.own_data_commands,
            own_rpis.len() as u64,
            s.own_address_commands,
        ]) {
            *t += v;
        }
        own.push((name, own_rpis));
        received.push(rx);
        received_reports.push(rx_reports);
    }
    // Whose RPI is whose: each phone's own RPIs are heard by the other phones.
    let all_own: std::collections::BTreeSet<[u8; 16]> =
        own.iter().flat_map(|(_, s)| s.iter().copied()).collect();
    for (i, (name, mine)) in own.iter().enumerate() {
        let heard = mine
            .iter()
            .filter(|rpi| {
                received
                    .iter()
                    .enumerate()
                    .any(|(j, r)| j != i && r.contains(*rpi))
            })
            .count();
        eprintln!(
            "{name}: {heard} of its {} own RPIs heard by another phone",
            mine.len()
        );
        assert!(
            heard > 0,
            "{name}: none of its own RPIs was heard by another phone"
        );
    }
    // GAEN reports whose RPI one of the logged phones set as its own advertising data.
    for ((name, _), reps) in own.iter().zip(&received_reports) {
        let attributed = reps.iter().filter(|r| all_own.contains(*r)).count();
        eprintln!(
            "{name}: {attributed} of {} GAEN reports carry a logged phone's own RPI",
            reps.len()
        );
        assert!(attributed > 0, "{name}: no report from a logged phone");
    }
    let rx_all: std::collections::BTreeSet<[u8; 16]> = received.iter().flatten().copied().collect();
    eprintln!(
        "total: {} files, records {}, adv reports {}, GAEN reports {}, own data cmds {}, own RPIs {} \
         ({} distinct), own address cmds {}; distinct RPIs received {}, of them own RPIs of a logged phone {}",
        files.len(),
        totals[0],
        totals[1],
        totals[2],
        totals[3],
        totals[4],
        all_own.len(),
        totals[5],
        rx_all.len(),
        rx_all.intersection(&all_own).count(),
    );
}
