//! The post-report guarantee through the C ABI, for every retry pattern a host uses: nothing
//! the phone broadcast after the report can be derived from what a retry publishes. Each
//! pattern reports, lets time move while the phone keeps broadcasting its fresh keys, then
//! retries; every RPI and Bluezone ID derivable from the published keys is computed and
//! checked against what was on air before (all derivable: the check can fail) and after
//! (none derivable).

mod support;

use std::collections::HashSet;

use base64::Engine as _;
use proxtrace::gaen::TemporaryExposureKey;
use proxtrace::published::f0::parse_f0;
use proxtrace::time::EnIntervalNumber;
use proxtrace_ffi::{pt_event_kind, pt_result};
use support::{BOTH, Handle, START, open};

/// Everything derivable from a report: RPIs of every published TEK over its validity and
/// Bluezone IDs of every published daily key's day.
fn derivable(report: &str) -> HashSet<Vec<u8>> {
    let v: serde_json::Value = serde_json::from_str(report).unwrap();
    let mut out = HashSet::new();
    for k in v["gaen"].as_array().unwrap() {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(k["key_data"].as_str().unwrap())
            .unwrap();
        let tek = TemporaryExposureKey::from_slice(&bytes).unwrap();
        let rpik = tek.rolling_proximity_identifier_key();
        let start = k["rolling_start_interval_number"].as_u64().unwrap() as u32;
        let period = k["rolling_period"].as_u64().unwrap() as u32;
        for j in start..start + period {
            let rpi = rpik.rolling_proximity_identifier(EnIntervalNumber::new(j));
            out.insert(rpi.as_bytes().to_vec());
        }
    }
    let f0 = serde_json::to_vec(&v["f0"]).unwrap();
    for k in parse_f0(&f0).unwrap() {
        for id in k.daily_key.bluezone_ids(k.slots_per_day) {
            out.insert(id.as_bytes().to_vec());
        }
    }
    out
}

/// What was on air at `now` (RPI and Bluezone ID).
fn on_air(t: &Handle, now: u64) -> Vec<Vec<u8>> {
    assert_eq!(t.timeout(now), pt_result::PT_OK);
    let a = t.advertisement(now);
    vec![a.gaen.unwrap()[..16].to_vec(), a.bluezone.unwrap().to_vec()]
}

/// Run one pattern: broadcast for two hours, report at `R` with `first`, keep broadcasting
/// for two hours, retry with `retry` at `R + 2 h`. Returns the two reports.
fn pattern(
    first: impl FnOnce(&Handle, u64) -> Option<String>,
    retry: impl FnOnce(&Handle, u64, u64) -> String,
) -> (Option<String>, String) {
    let dir = tempfile::tempdir().unwrap();
    let t = open(dir.path(), BOTH).unwrap();
    let mut before = Vec::new();
    for s in (0..2 * 3600).step_by(300) {
        before.extend(on_air(&t, START + s));
    }
    let r = START + 2 * 3600;
    assert_eq!(t.timeout(r), pt_result::PT_OK);
    let first = first(&t, r);
    assert!(
        t.events()
            .iter()
            .any(|e| e.kind == pt_event_kind::PT_EVENT_ADVERTISE),
        "the report rotates the advertisement"
    );
    let mut after = Vec::new();
    for s in (0..2 * 3600).step_by(300) {
        after.extend(on_air(&t, r + s));
    }
    let later = r + 2 * 3600;
    assert_eq!(t.timeout(later), pt_result::PT_OK);
    let retried = retry(&t, r, later);
    let d = derivable(&retried);
    for b in &before {
        assert!(d.contains(b), "a pre-report broadcast is not in the report");
    }
    for a in &after {
        assert!(
            !d.contains(a),
            "the retry publishes a key broadcast after the report"
        );
    }
    (first, retried)
}

const DAY_AGO: u64 = 86_400;

#[test]
fn too_small_then_time_moves_then_a_retry_up_to_now() {
    pattern(
        |t, r| {
            let (code, _, needed) = t.diagnosis_keys_into(0, r, 8);
            assert_eq!(code, pt_result::PT_BUFFER_TOO_SMALL);
            assert!(needed > 8);
            None
        },
        |t, _, later| t.diagnosis_keys(later - DAY_AGO, later).unwrap(),
    );
}

#[test]
fn a_null_sizing_call_then_time_moves_then_the_real_call() {
    pattern(
        |t, r| {
            let (code, _, needed) = t.diagnosis_keys_into(r - DAY_AGO, u64::MAX, 0);
            assert_eq!(code, pt_result::PT_BUFFER_TOO_SMALL);
            assert!(needed > 0);
            None
        },
        |t, _, _| t.diagnosis_keys(0, u64::MAX).unwrap(),
    );
}

#[test]
fn delivered_then_the_upload_fails_and_a_retry_recomputes_its_window() {
    let (first, retried) = pattern(
        |t, r| Some(t.diagnosis_keys(r - DAY_AGO, r).unwrap()),
        |t, _, later| t.diagnosis_keys(later - DAY_AGO, later).unwrap(),
    );
    assert_eq!(
        first.unwrap(),
        retried,
        "the retry returns the report itself"
    );
}

#[test]
fn delivered_then_the_same_arguments_again() {
    let (first, retried) = pattern(
        |t, r| Some(t.diagnosis_keys(0, r).unwrap()),
        |t, r, _| t.diagnosis_keys(0, r).unwrap(),
    );
    assert_eq!(first.unwrap(), retried);
}

#[test]
fn a_later_report_from_the_report_time_is_a_new_report() {
    let dir = tempfile::tempdir().unwrap();
    let t = open(dir.path(), BOTH).unwrap();
    on_air(&t, START);
    let r = START + 3600;
    assert_eq!(t.timeout(r), pt_result::PT_OK);
    let first = t.diagnosis_keys(0, u64::MAX).unwrap();
    let v: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(v["report_time"], r);
    let fresh = on_air(&t, r + 600);
    // A new report (e.g. a second positive test) starts at the previous report's time.
    assert_eq!(t.timeout(r + 7200), pt_result::PT_OK);
    let second = t.diagnosis_keys(r, u64::MAX).unwrap();
    assert_ne!(first, second);
    let d = derivable(&second);
    assert!(
        fresh.iter().all(|f| d.contains(f)),
        "the new report covers the fresh keys"
    );
}
