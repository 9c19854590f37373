//! The log's size on realistic workloads (the workload generators live in the CLI crate).

use proxtrace::identifier::Scheme;
use proxtrace::log::{EncounterLog, LogOptions, MemoryBackend};
use proxtrace::time::UtcDay;
use proxtrace_cli::workload::log::commuter_day;

const DAY: u32 = 19_000;

#[test]
fn stats_report_sizes() {
    let day = commuter_day(UtcDay::new(DAY), Scheme::Gaen, 7);
    let mut log = EncounterLog::create(MemoryBackend::new(), LogOptions::default()).unwrap();
    let mut last = None;
    for r in &day {
        // Sync every 15 minutes of record time: the tracer's default policy.
        let slot = r.first_seen.as_secs() / 900;
        if last.is_some_and(|l| l != slot) {
            log.sync().unwrap();
        }
        last = Some(slot);
        log.append(r).unwrap();
    }
    log.sync().unwrap();
    let s = log.stats().unwrap();
    assert_eq!(s.records, day.len() as u64);
    assert_eq!(s.corrupt_skipped, 0);
    assert!(
        (250..=400).contains(&s.distinct_identifiers),
        "{}",
        s.distinct_identifiers
    );
    let per = s.bytes_per_scan_instance.unwrap();
    assert!(
        per <= 16.0,
        "{per:.2} bytes per scan instance on a commuter day"
    );
    assert_eq!(s.capacity_bytes, 16 << 20);
    assert_eq!(s.first_seen, day.first().map(|r| r.first_seen));
}
