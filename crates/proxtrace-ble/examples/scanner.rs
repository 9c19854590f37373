//! Hear GAEN and Bluezone phones on a Linux laptop and log them.
//!
//! `cargo run --release -p proxtrace-ble --example scanner -- [--log DIR] [--seconds N]`
//!
//! A live table (scheme, short ID, RSSI, times seen, last seen) refreshes in place; every
//! reception goes through a tracer (its run loop: `handle_input` / `poll_output`) into the
//! encounter log in DIR (default `./proxtrace-scan`). Bluezone iOS phones are read over GATT
//! (once per device per slot, beside the scan). With no adapter or no BlueZ it says so in
//! one line and exits with status 1. See `docs/ble.md`.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use proxtrace::identifier::Identifier;
use proxtrace::tracer::{Input, Output, RadioData, Schemes, Tracer, TracerConfig, TracerEvent};
use proxtrace_ble::{Scanner, now};

/// Hear GAEN and Bluezone phones and log them in an encounter log.
#[derive(Debug, Parser)]
#[command(name = "scanner", version, about)]
struct Args {
    /// The tracer directory (key store and encounter log).
    #[arg(long, default_value = "proxtrace-scan")]
    log: PathBuf,
    /// Stop after this many seconds (default: until Ctrl-C).
    #[arg(long)]
    seconds: Option<u64>,
}

struct Row {
    scheme: &'static str,
    rssi: i8,
    seen: u64,
    last: u64,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let config = TracerConfig {
        schemes: Schemes {
            gaen: true,
            bluezone: true,
        },
        ..TracerConfig::default()
    };
    let mut tracer = match Tracer::open_dir(&args.log, config, &mut rand::rngs::SysRng) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {}: {e}", args.log.display());
            std::process::exit(1);
        }
    };
    if let Err(e) = tracer.handle_input(Input::Timeout(now())) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
    let slot_secs = 86_400 / u64::from(tracer.config().bluezone_slots_per_day);
    let mut scanner = match Scanner::new(60).await {
        // Bluezone iOS phones: one GATT read per device per slot, beside the scan.
        Ok(s) => s.with_gatt_reads(slot_secs, proxtrace_ble::GATT_READ_TIMEOUT, 2),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    let tty = std::io::stdout().is_terminal();
    let mut table: BTreeMap<String, Row> = BTreeMap::new();
    let recorded = std::cell::Cell::new(0u64);
    let mut failure = None;
    let result = {
        let tracer = std::cell::RefCell::new(&mut tracer);
        let table = std::cell::RefCell::new(&mut table);
        let failure = std::cell::RefCell::new(&mut failure);
        let drain = |t: &mut Tracer<_, _>| loop {
            match t.poll_output() {
                Output::Event(TracerEvent::Recorded(_)) => recorded.set(recorded.get() + 1),
                Output::Timeout(_) => break,
                _ => {}
            }
        };
        scanner
            .run(
                args.seconds.map(Duration::from_secs),
                |h| {
                    let r = h.received;
                    let mut t = tracer.borrow_mut();
                    if let Err(e) = t.handle_input(Input::Received(r)) {
                        **failure.borrow_mut() = Some(e);
                        return;
                    }
                    drain(&mut t);
                    let (scheme, id) = match r.data {
                        RadioData::Identifier(Identifier::Gaen(g)) => ("gaen", g.rpi.to_hex()),
                        RadioData::Identifier(Identifier::Bluezone(b)) => ("bluezone", b.to_hex()),
                        _ => ("bluezone-ios", format!("{:<8}", h.device)),
                    };
                    let mut t = table.borrow_mut();
                    let row = t.entry(id[..8].to_owned()).or_insert(Row {
                        scheme,
                        rssi: r.rssi,
                        seen: 0,
                        last: 0,
                    });
                    row.rssi = r.rssi;
                    row.seen += 1;
                    row.last = r.time.as_secs();
                },
                |now| {
                    let mut t = tracer.borrow_mut();
                    if let Err(e) = t.handle_input(Input::Timeout(now)) {
                        **failure.borrow_mut() = Some(e);
                    }
                    drain(&mut t);
                    let table = table.borrow();
                    let mut out = std::io::stdout().lock();
                    if tty {
                        let _ = write!(out, "\x1b[H\x1b[2J");
                    }
                    let _ = writeln!(
                        out,
                        "{:<12} {:<9} {:>5} {:>6} {:>10}",
                        "scheme", "id", "rssi", "seen", "last seen"
                    );
                    for (id, r) in table.iter() {
                        let _ = writeln!(
                            out,
                            "{:<12} {:<9} {:>5} {:>6} {:>10}",
                            r.scheme, id, r.rssi, r.seen, r.last
                        );
                    }
                    let _ = out.flush();
                },
            )
            .await
    };
    let _ = tracer.flush();
    if let Some(e) = failure {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
    let records = tracer.log().stats().map(|s| s.records).unwrap_or(0);
    let g = scanner.gatt_stats();
    println!(
        "gatt_reads: {} started, {} read, {} failed, {} cached",
        g.started, g.succeeded, g.failed, g.cached
    );
    println!("sightings: {}", recorded.get());
    println!("log_records: {records}");
}
