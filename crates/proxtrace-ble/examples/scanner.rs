//! Hear GAEN and Bluezone phones on a Linux laptop and log them.
//!
//! `cargo run --release --features ble --example scanner -- [--log DIR] [--seconds N]`
//!
//! A live table (scheme, short ID, RSSI, times seen, last seen) refreshes in place; sightings
//! go through a tracer into the encounter log in DIR (default `./proxtrace-scan`). With no
//! adapter or no BlueZ it says so in one line and exits with status 1. See `docs/ble.md`.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use proxtrace::advert::Payload;
use proxtrace::tracer::{Schemes, Tracer, TracerConfig};
use proxtrace_ble::{Scanner, now};

struct Row {
    scheme: &'static str,
    rssi: i8,
    seen: u64,
    last: u64,
}

fn args() -> Result<(PathBuf, Option<u64>), String> {
    let mut dir = PathBuf::from("proxtrace-scan");
    let mut seconds = None;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--log" => dir = it.next().ok_or("--log needs a directory")?.into(),
            "--seconds" => {
                let v = it.next().ok_or("--seconds needs a number")?;
                seconds = Some(
                    v.parse()
                        .map_err(|_| format!("--seconds: {v:?} is not a number"))?,
                );
            }
            other => {
                return Err(format!(
                    "unknown argument {other:?} (use --log DIR, --seconds N)"
                ));
            }
        }
    }
    Ok((dir, seconds))
}

#[tokio::main]
async fn main() {
    let (dir, seconds) = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let config = TracerConfig {
        schemes: Schemes {
            gaen: true,
            bluezone: true,
        },
        ..TracerConfig::default()
    };
    let mut tracer = match Tracer::open_dir(&dir, config, now(), &mut rand::rngs::SysRng) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {}: {e}", dir.display());
            std::process::exit(1);
        }
    };
    let mut scanner = match Scanner::new(60).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    let tty = std::io::stdout().is_terminal();
    let mut table: BTreeMap<String, Row> = BTreeMap::new();
    let mut logged = 0u64;
    let result = {
        let tracer = std::cell::RefCell::new(&mut tracer);
        let table = std::cell::RefCell::new(&mut table);
        scanner
            .run(
                seconds.map(Duration::from_secs),
                |h| {
                    let (scheme, id) = match h.payload {
                        Payload::Gaen(g) => ("gaen", g.rpi.to_hex()),
                        Payload::Bluezone(b) => ("bluezone", b.to_hex()),
                        Payload::BluezoneGattService => return,
                    };
                    if tracer
                        .borrow_mut()
                        .handle_payload(h.payload, h.rssi, h.tx_power, h.time)
                        .is_ok()
                    {
                        logged += 1;
                    }
                    let mut t = table.borrow_mut();
                    let row = t.entry(id[..8].to_owned()).or_insert(Row {
                        scheme,
                        rssi: h.rssi,
                        seen: 0,
                        last: 0,
                    });
                    row.rssi = h.rssi;
                    row.seen += 1;
                    row.last = h.time.as_secs();
                },
                |t| {
                    let _ = tracer.borrow_mut().handle_timeout(t);
                    let t = table.borrow();
                    let mut out = std::io::stdout().lock();
                    if tty {
                        let _ = write!(out, "\x1b[H\x1b[2J");
                    }
                    let _ = writeln!(
                        out,
                        "{:<9} {:<9} {:>5} {:>6} {:>10}",
                        "scheme", "id", "rssi", "seen", "last seen"
                    );
                    for (id, r) in t.iter() {
                        let _ = writeln!(
                            out,
                            "{:<9} {:<9} {:>5} {:>6} {:>10}",
                            r.scheme, id, r.rssi, r.seen, r.last
                        );
                    }
                    let _ = out.flush();
                },
            )
            .await
    };
    let end = now();
    let _ = tracer.flush(end);
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
    let records = tracer.log().stats().map(|s| s.records).unwrap_or(0);
    println!("sightings: {logged}");
    println!("log_records: {records}");
}
