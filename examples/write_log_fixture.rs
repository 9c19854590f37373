//! Writes `tests/data/log-v1.ptlog`, the encounter log fixture that every later version of
//! proxtrace must still read (see `tests/log.rs`). Run once per format version:
//! `cargo run --example write_log_fixture -- tests/data/log-v1.ptlog`.

use proxtrace::bluezone::BluezoneId;
use proxtrace::identifier::{GaenPayload, Identifier};
use proxtrace::log::{EncounterLog, LogOptions, MemoryBackend};
use proxtrace::sighting::ScanAggregate;
use proxtrace::time::UnixTime;

fn fixture_records() -> Vec<ScanAggregate> {
    (0u32..40)
        .map(|i| {
            let t = UnixTime::from_secs(1_700_000_000 + u64::from(i) * 97);
            let identifier = if i % 2 == 0 {
                let mut b = [0u8; 20];
                b[0] = (i % 6) as u8;
                b[19] = 0xEE;
                Identifier::Gaen(GaenPayload::from_bytes(&b))
            } else {
                Identifier::Bluezone(BluezoneId::from_bytes([(i % 5) as u8 + 1; 12]))
            };
            ScanAggregate {
                identifier,
                first_seen: t,
                last_seen: UnixTime::from_secs(t.as_secs() + u64::from(i % 4)),
                count: 1 + i,
                max_rssi: -50 - (i % 20) as i8,
                mean_rssi: -55 - (i % 20) as i8,
                tx_power: (i % 4 == 0).then_some(-10),
            }
        })
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .ok_or("usage: write_log_fixture OUTPUT")?;
    let opts = LogOptions {
        capacity_bytes: 4 * 512,
        page_size: 512,
        retention_days: 100_000,
        ..LogOptions::default()
    };
    let mut log = EncounterLog::create(
        MemoryBackend::new(),
        opts,
        UnixTime::from_secs(1_700_000_000),
    )?;
    for (i, r) in fixture_records().iter().enumerate() {
        log.append(r)?;
        if i % 7 == 6 {
            log.sync()?;
        }
    }
    log.sync()?;
    std::fs::write(&out, log.backend().as_bytes())?;
    println!("wrote {} bytes to {out}", log.backend().as_bytes().len());
    Ok(())
}
