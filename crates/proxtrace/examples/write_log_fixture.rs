//! Writes `tests/data/log-v1.ptlog`, the encounter log fixture that every later version of
//! proxtrace must still read (see `tests/log.rs`). Run once per format version:
//! `cargo run --example write_log_fixture -- tests/data/log-v1.ptlog
//! tests/data/log-v1-evicted.ptlog` (the second file: a ring that evicted records inside
//! the retention, so it carries an eviction tally record).

#[path = "../tests/support/log_fixture.rs"]
mod log_fixture;

use log_fixture::{evicted_fixture_records, fixture_records};
use proxtrace::log::{EncounterLog, LogOptions, MemoryBackend};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .ok_or("usage: write_log_fixture OUTPUT")?;
    let opts = || LogOptions {
        capacity_bytes: 4 * 512,
        page_size: 512,
        retention_days: 100_000,
        ..LogOptions::default()
    };
    let mut log = EncounterLog::create(MemoryBackend::new(), opts())?;
    for (i, r) in fixture_records().iter().enumerate() {
        log.append(r)?;
        if i % 7 == 6 {
            log.sync()?;
        }
    }
    log.sync()?;
    std::fs::write(&out, log.backend().as_bytes())?;
    println!("wrote {} bytes to {out}", log.backend().as_bytes().len());
    if let Some(out) = std::env::args().nth(2) {
        let mut log = EncounterLog::create(MemoryBackend::new(), opts())?;
        for (i, r) in evicted_fixture_records().iter().enumerate() {
            log.append(r)?;
            if i % 10 == 9 {
                log.sync()?;
            }
        }
        log.sync()?;
        std::fs::write(&out, log.backend().as_bytes())?;
        println!(
            "wrote {} bytes to {out} ({} records evicted inside the retention)",
            log.backend().as_bytes().len(),
            log.evicted_before_retention()
        );
    }
    Ok(())
}
