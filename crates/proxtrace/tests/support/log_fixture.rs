//! The records of `tests/data/log-v1.ptlog` and `tests/data/log-v1-evicted.ptlog`: written by `examples/write_log_fixture.rs`,
//! checked by `tests/log.rs` (one source, so the two cannot drift apart).

use proxtrace::bluezone::BluezoneId;
use proxtrace::identifier::{GaenPayload, Identifier};
use proxtrace::sighting::ScanAggregate;
use proxtrace::time::UnixTime;

/// The 40 records of the version-1 fixture.
pub(crate) fn fixture_records() -> Vec<ScanAggregate> {
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

/// The 150 records written to the eviction-tally fixture (three 512-byte pages, so the ring
/// evicts records still inside the retention and the file carries an eviction tally record).
#[allow(dead_code)]
pub(crate) fn evicted_fixture_records() -> Vec<ScanAggregate> {
    (0u32..150)
        .map(|i| {
            let t = UnixTime::from_secs(1_700_000_000 + u64::from(i) * 31);
            let mut b = [0u8; 20];
            b[..4].copy_from_slice(&i.to_le_bytes());
            b[19] = 0xEF;
            ScanAggregate {
                identifier: Identifier::Gaen(GaenPayload::from_bytes(&b)),
                first_seen: t,
                last_seen: t,
                count: 1,
                max_rssi: -70,
                mean_rssi: -70,
                tx_power: None,
            }
        })
        .collect()
}
