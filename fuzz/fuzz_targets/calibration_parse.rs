//! Arbitrary bytes as an EN calibration table (CSV): never panics; what is accepted stays in
//! its documented ranges, and every lookup — of a row's own names or of arbitrary names —
//! gives values in range.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxtrace::calibration::{CalibrationTable, RSSI_CORRECTION_RANGE_DB, TX_POWER_RANGE_DBM};

fuzz_target!(|data: &[u8]| {
    let split = data.first().map_or(0, |&b| usize::from(b)).min(data.len());
    let (names, table) = data.split_at(split);
    let Ok(t) = CalibrationTable::parse(table) else {
        return;
    };
    let check = |m: &str, d: &str| {
        let l = t.lookup(m, d);
        assert!(TX_POWER_RANGE_DBM.contains(&l.calibration.tx_power_dbm));
        assert!(RSSI_CORRECTION_RANGE_DB.contains(&l.calibration.rssi_correction_db));
        assert!(l.calibration.confidence.get() <= 3);
    };
    for r in t.rows() {
        assert!(t.row(&r.oem, &r.model).is_some());
        check(&r.oem, &r.model);
    }
    let s = String::from_utf8_lossy(names);
    let cut = s
        .char_indices()
        .nth(s.chars().count() / 2)
        .map_or(s.len(), |(i, _)| i);
    let (a, b) = s.split_at(cut);
    check(a, b);
});
