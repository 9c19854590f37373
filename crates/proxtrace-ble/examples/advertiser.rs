//! Broadcast rotating identifiers of one scheme from a Linux laptop until Ctrl-C.
//!
//! `cargo run --release --features ble --example advertiser -- [--scheme gaen|bluezone] [--dir DIR] [--seconds N]`
//!
//! Keys live in DIR (default `./proxtrace-adv`). Each rotation unregisters the old
//! advertisement and registers the new one, so BlueZ changes the random address with the ID.

use std::path::PathBuf;
use std::time::Duration;

use proxtrace::tracer::{Schemes, Tracer, TracerConfig};
use proxtrace_ble::{Advertiser, now};

fn args() -> Result<(bool, PathBuf, Option<u64>), String> {
    let (mut gaen, mut dir, mut seconds) = (true, PathBuf::from("proxtrace-adv"), None);
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--scheme" => match it.next().as_deref() {
                Some("gaen") => gaen = true,
                Some("bluezone") => gaen = false,
                other => {
                    return Err(format!(
                        "--scheme: expected gaen or bluezone, got {other:?}"
                    ));
                }
            },
            "--dir" => dir = it.next().ok_or("--dir needs a directory")?.into(),
            "--seconds" => {
                let v = it.next().ok_or("--seconds needs a number")?;
                seconds = Some(
                    v.parse()
                        .map_err(|_| format!("--seconds: {v:?} is not a number"))?,
                );
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok((gaen, dir, seconds))
}

#[tokio::main]
async fn main() {
    let (gaen, dir, seconds) = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
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
        Tracer::open_dir(&dir, config, now(), &mut rand::rngs::SysRng).unwrap_or_else(|e| fail(&e));
    let mut adv = Advertiser::new().await.unwrap_or_else(|e| fail(&e));
    let stop = seconds.map(|s| tokio::time::Instant::now() + Duration::from_secs(s));
    loop {
        let a = tracer
            .poll_advertisement(now())
            .unwrap_or_else(|e| fail(&e));
        adv.register(&a).await.unwrap_or_else(|e| fail(&e));
        println!(
            "advertising {} payload(s) until {}",
            a.payloads.len(),
            a.next_change
        );
        let wait = Duration::from_secs(
            a.next_change
                .as_secs()
                .saturating_sub(now().as_secs())
                .max(1),
        );
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
    let _ = tracer.flush(now());
    println!("stopped");
}
