//! Turn Android HCI snoop logs into the record file the C and Java btsnoop tests read: every LE
//! advertising report carrying GAEN service data (0xFD6F), as the 62-byte scan record Android
//! hands an app (`ScanRecord.getBytes()`), and, for comparison, the GAEN reports per
//! transmitter that a plain second reading of the same log counts.
//!
//! `cargo run -p proxtrace-ffi --example btsnoop_records -- OUT LOG.btsnoop...`
//!
//! The file is text, one item per line (the logs are other people's data: the file is
//! written under the target directory, never into the repository):
//!
//! ```text
//! L <name>                                 a log: one receiving phone, its records follow
//! R <unix secs> <rssi> <transmitter> <62 bytes hex>   one report, in time order
//! E <transmitter> <count>                  the plain reading's GAEN reports of a transmitter
//! ```
//!
//! `transmitter` is the address type and address in wire order, 14 hex digits. Times are UTC
//! (the exp34 logs are written on UTC+2). Exits 1, naming the report, if a GAEN report cannot
//! be turned into a scan record.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use proxtrace::btsnoop::{ScanResponsePairer, SnoopItem, UtcOffset, items};

#[allow(dead_code)]
#[path = "../../proxtrace/tests/support/btsnoop_independent.rs"]
mod independent;

/// One log's reports as scan records, and the plain reading's counts.
pub(crate) struct Converted {
    /// `(unix secs, rssi, transmitter, scan record)`, in time order.
    pub(crate) records: Vec<(u64, i8, String, [u8; 62])>,
    /// GAEN reports per transmitter, by the plain reading.
    pub(crate) expected: BTreeMap<String, u64>,
}

fn transmitter(address_type: u8, address: &[u8; 6]) -> String {
    format!("{address_type:02x}{}", hex::encode(address))
}

/// Convert one BTSnoop log (the exp34 phones wrote local time, UTC+2).
pub(crate) fn convert(bytes: &[u8], utc_offset_secs: i64) -> Result<Converted, String> {
    let offset = UtcOffset::from_secs(utc_offset_secs).map_err(|e| e.to_string())?;
    let mut pairer = ScanResponsePairer::new();
    for item in items(bytes) {
        if let SnoopItem::AdvertisingReport(r) = item.map_err(|e| e.to_string())? {
            pairer.push(r);
        }
    }
    pairer.finish();
    let mut records = Vec::new();
    while let Some(p) = pairer.pop() {
        let in_adv = independent::gaen_rpi(&p.advertisement.data).is_some();
        let in_sr = p
            .scan_response
            .as_ref()
            .is_some_and(|s| independent::gaen_rpi(&s.data).is_some());
        if !in_adv && !in_sr {
            continue;
        }
        if in_adv && in_sr {
            return Err(format!(
                "record {}: GAEN data in both the advertisement and its scan response",
                p.advertisement.record
            ));
        }
        let a = &p.advertisement;
        let rec = p
            .scan_record()
            .map_err(|e| format!("record {}: no scan record: {e}", a.record))?;
        let t = a.time.to_unix_time(offset).map_err(|e| e.to_string())?;
        records.push((
            t.as_secs(),
            a.rssi.unwrap_or(i8::MAX),
            transmitter(a.address_type.code(), &a.address.0),
            *rec.as_bytes(),
        ));
    }
    records.sort_by_key(|r| r.0);
    let expected = independent::count(bytes)
        .gaen_by_transmitter
        .into_iter()
        .map(|((at, addr), n)| (transmitter(at, &addr), n))
        .collect();
    Ok(Converted { records, expected })
}

/// The text of the record file for these logs.
pub(crate) fn record_file(logs: &[(String, Converted)]) -> String {
    let mut out = String::from("# proxtrace btsnoop records v1\n");
    for (name, c) in logs {
        let _ = writeln!(out, "L {name}");
        for (t, rssi, tx, rec) in &c.records {
            let _ = writeln!(out, "R {t} {rssi} {tx} {}", hex::encode(rec));
        }
        for (tx, n) in &c.expected {
            let _ = writeln!(out, "E {tx} {n}");
        }
    }
    out
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((out, logs)) = args.split_first().filter(|(_, l)| !l.is_empty()) else {
        eprintln!("usage: btsnoop_records OUT LOG.btsnoop...");
        std::process::exit(2)
    };
    let mut converted = Vec::new();
    for log in logs {
        let path = Path::new(log);
        let bytes = std::fs::read(path).unwrap_or_else(|e| {
            eprintln!("btsnoop_records: {log}: {e}");
            std::process::exit(1)
        });
        let c = convert(&bytes, 7200).unwrap_or_else(|e| {
            eprintln!("btsnoop_records: {log}: {e}");
            std::process::exit(1)
        });
        let name = path
            .file_stem()
            .map_or_else(|| log.clone(), |s| s.to_string_lossy().into_owned());
        converted.push((name, c));
    }
    if let Err(e) = std::fs::write(out, record_file(&converted)) {
        eprintln!("btsnoop_records: {out}: {e}");
        std::process::exit(1)
    }
}
