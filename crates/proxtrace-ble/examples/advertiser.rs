//! Broadcast rotating identifiers from a Linux laptop until Ctrl-C.
//!
//! `cargo run --release -p proxtrace-ble --example advertiser -- [--scheme gaen|bluezone] [--dir DIR] [--seconds N] [--no-gatt]`
//!
//! Keys live in DIR (default `./proxtrace-adv`). The tracer's run loop drives it: at every
//! `Output::Advertise` the old advertisement is unregistered and the new one registered, so
//! BlueZ changes the random address with the identifiers.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use proxtrace::tracer::{Input, Output, Schemes, Tracer, TracerConfig};
use proxtrace_ble::{Advertiser, now};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Scheme {
    Gaen,
    Bluezone,
}

/// Broadcast rotating GAEN or Bluezone identifiers.
#[derive(Debug, Parser)]
#[command(name = "advertiser", version, about)]
struct Args {
    /// Which scheme to broadcast.
    #[arg(long, value_enum, default_value = "gaen")]
    scheme: Scheme,
    /// The tracer directory (key store and encounter log).
    #[arg(long, default_value = "proxtrace-adv")]
    dir: PathBuf,
    /// Stop after this many seconds (default: until Ctrl-C).
    #[arg(long)]
    seconds: Option<u64>,
    /// With Bluezone, do not serve the Bluezone iOS GATT service (and its connectable
    /// advertisement) from which iPhones read the identifier.
    #[arg(long)]
    no_gatt: bool,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let gaen = args.scheme == Scheme::Gaen;
    let config = TracerConfig {
        schemes: Schemes {
            gaen,
            bluezone: !gaen,
        },
        ..TracerConfig::default()
    };
    let fail = |e: &dyn std::fmt::Display| -> ! {
        eprintln!("error: {e}");
        std::process::exit(1)
    };
    let mut tracer =
        Tracer::open_dir(&args.dir, config, &mut rand::rngs::SysRng).unwrap_or_else(|e| fail(&e));
    let mut adv = Advertiser::new().await.unwrap_or_else(|e| fail(&e));
    adv.serve_bluezone_gatt(!args.no_gatt);
    let stop = args
        .seconds
        .map(|s| tokio::time::Instant::now() + Duration::from_secs(s));
    loop {
        tracer
            .handle_input(Input::Timeout(now()))
            .unwrap_or_else(|e| fail(&e));
        let wake = loop {
            match tracer.poll_output() {
                Output::Advertise(a) => {
                    adv.register(&a).await.unwrap_or_else(|e| fail(&e));
                    println!(
                        "advertising {} payload(s) until {}",
                        a.payloads.len(),
                        a.next_change
                    );
                }
                Output::Timeout(t) => break t,
                _ => {}
            }
        };
        let wait = Duration::from_secs(wake.as_secs().saturating_sub(now().as_secs()).max(1));
        let until = stop.map_or(tokio::time::Instant::now() + wait, |s| {
            s.min(tokio::time::Instant::now() + wait)
        });
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = tokio::time::sleep_until(until) => {}
        }
        if stop.is_some_and(|s| tokio::time::Instant::now() >= s) {
            break;
        }
    }
    let _ = tracer.flush();
    println!("stopped");
}
