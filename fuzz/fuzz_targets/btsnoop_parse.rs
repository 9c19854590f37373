//! Arbitrary bytes as an HCI snoop log: the parser never panics, streaming it in chunks gives
//! exactly what parsing the whole buffer gives, the counts account for every record, and every
//! advertising report it yields can be offered to the Android scan-record builder.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxtrace::btsnoop::{AndroidScanRecord, ScanResponsePairer, SnoopItem, SnoopParser, items};

fuzz_target!(|data: &[u8]| {
    // The first byte picks the chunk size; the rest is the file. Half the inputs get a valid
    // header so the fuzzer spends its time on records.
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let mut file = Vec::with_capacity(body.len() + 16);
    if pick & 0x80 != 0 {
        file.extend_from_slice(b"btsnoop\0\0\0\0\x01\0\0\x03\xea");
    }
    file.extend_from_slice(body);
    let chunk = usize::from(pick & 0x7F) + 1;

    let mut whole = items(&file);
    let expected: Vec<_> = whole.by_ref().collect();
    let summary = whole.summary();
    let s = summary.stats;
    assert_eq!(
        s.records,
        s.commands + s.events + s.acl_packets + s.sco_packets + s.iso_packets + s.unknown_packets
    );
    assert_eq!(
        s.records,
        s.decoded_records + s.uninteresting_records + s.malformed_records + s.unknown_packets
    );

    let mut parser = SnoopParser::new();
    let mut got = Vec::new();
    let mut failed = false;
    for c in file.chunks(chunk) {
        parser.push(c);
        loop {
            match parser.poll() {
                Ok(Some(item)) => got.push(Ok(item)),
                Ok(None) => break,
                Err(e) => {
                    got.push(Err(e));
                    failed = true;
                    break;
                }
            }
        }
        if failed {
            break;
        }
    }
    if !failed {
        if let Err(e) = parser.poll() {
            got.push(Err(e));
        }
    }
    assert_eq!(got, expected);
    assert_eq!(parser.finish(), summary);

    let mut pairer = ScanResponsePairer::new();
    for item in expected.into_iter().flatten() {
        if let SnoopItem::AdvertisingReport(r) = item {
            let _ = AndroidScanRecord::from_reports(&r, None);
            pairer.push(r);
            while let Some(p) = pairer.pop() {
                if let Ok(rec) = p.scan_record() {
                    assert!(rec.content().len() <= rec.as_bytes().len());
                }
            }
        }
    }
});
