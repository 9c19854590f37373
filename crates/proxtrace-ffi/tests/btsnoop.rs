//! Real radio bytes through the C ABI, every log: the GAEN reports of all the Samsung phones
//! of DP-3T experiment 34 (`../shared/fielddata/dp3t-exp34/btsnoop`, or
//! `$PROXTRACE_FIELDDATA_DIR/dp3t-exp34/btsnoop`; skipped with a notice when absent), as the
//! 62-byte scan records Android hands an app, one tracer per receiving phone: every report is
//! recorded and the recorded reports per transmitter equal the plain second reading's count.
//! (`tests/c/btsnoop.c` and `java/test/BtsnoopTest.java` do the same on two logs.)

mod support;

#[allow(dead_code)]
#[path = "../examples/btsnoop_records.rs"]
mod records;

use std::collections::BTreeMap;

use proxtrace_ffi::{pt_event_kind, pt_result, pt_scheme};

fn btsnoop_dir() -> Option<std::path::PathBuf> {
    let base = std::env::var_os("PROXTRACE_FIELDDATA_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fielddata")
        });
    let dir = base.join("dp3t-exp34/btsnoop");
    dir.is_dir().then_some(dir)
}

#[test]
fn every_gaen_report_of_every_exp34_log_is_recorded_through_the_c_abi() {
    let Some(dir) = btsnoop_dir() else {
        eprintln!(
            "skipping: ../shared/fielddata/dp3t-exp34/btsnoop not found \
             (set PROXTRACE_FIELDDATA_DIR to the fielddata folder)"
        );
        return;
    };
    let mut logs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "btsnoop"))
        .collect();
    logs.sort();
    assert!(logs.len() >= 2, "{} logs in {}", logs.len(), dir.display());
    let mut total = 0;
    for log in &logs {
        let c = records::convert(&std::fs::read(log).unwrap(), 7200).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let t = support::open(tmp.path(), "").unwrap();
        let mut next = 0;
        let mut recorded: BTreeMap<String, u64> = BTreeMap::new();
        for (now, rssi, tx, rec) in &c.records {
            if *now >= next {
                assert_eq!(t.timeout(*now), pt_result::PT_OK);
                next = now + 60;
            }
            let e = t.advertising_data(rec, *rssi, *now).unwrap();
            assert_eq!(
                (e.kind, e.scheme),
                (pt_event_kind::PT_EVENT_RECORDED, pt_scheme::PT_SCHEME_GAEN),
                "{}: a report from {tx} at {now}",
                log.display()
            );
            *recorded.entry(tx.clone()).or_default() += 1;
        }
        assert_eq!(recorded, c.expected, "{}: per transmitter", log.display());
        assert!(c.records.len() > 1000, "{}", log.display());
        assert_eq!(t.close(), pt_result::PT_OK);
        total += c.records.len();
    }
    eprintln!(
        "{} logs, {total} GAEN scan records, all recorded",
        logs.len()
    );
}
