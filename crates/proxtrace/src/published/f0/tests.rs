//! The parser against the real client's loop, stepped literally.

use proptest::prelude::*;
use sha2::{Digest, Sha256};

use super::*;
use crate::time::BluezoneSlot;

const DK: &str = "4C5224B397F8AB3896781D5AA0F3119F280513F1B592CA280EBDED6357E21084";
/// 2020-08-08, the day of `DK` in thaidn/bluezone's capture.
const DAY0: u64 = 1_596_844_800;

fn sha(b: &[u8]) -> Vec<u8> {
    Sha256::digest(b).to_vec()
}

/// Android's `checkContactF` loop, step by step: `(slot start ms, slot end ms, id)` for every
/// slot it checks.
fn client_walk(
    daily_key: &[u8],
    time_dk: u64,
    max: u64,
    time_te: u64,
) -> Vec<(u64, u64, [u8; 12])> {
    let (time_dk, time_te) = (time_dk * 1000, time_te * 1000);
    let mut first = daily_key.to_vec();
    let mut sub = [first.as_slice(), b"bluzonesubkey"].concat();
    let mut next = time_dk;
    let delta = 86_400_000 / max;
    let mut i = 0;
    let mut out = Vec::new();
    while next <= time_te {
        sub = sha(&sub);
        let mut id = [0u8; 12];
        for (k, b) in id.iter_mut().enumerate() {
            *b = sub[if k > 3 { (k - 4) * 2 + 16 } else { k * 4 }];
        }
        let start = next;
        next += delta;
        out.push((start, next, id));
        i += 1;
        if i == max {
            first = sha(&first);
            sub = [first.as_slice(), b"bluzonesubkey"].concat();
            i = 0;
        }
    }
    out
}

/// What the parsed keys say the matcher checks: every slot of each key from the slot holding
/// `time_start` to the slot holding `time_end`.
fn parsed_walk(keys: &[BluezoneDiagnosisKey]) -> Vec<(u64, u64, [u8; 12])> {
    let mut out = Vec::new();
    for k in keys {
        let spd = k.slots_per_day;
        let first = BluezoneSlot::containing(k.time_start, spd).unwrap();
        let last = BluezoneSlot::containing(k.time_end, spd).unwrap();
        assert_eq!(first.day(), k.daily_key.day());
        assert_eq!(last.day(), k.daily_key.day());
        let ids = k.daily_key.bluezone_ids(spd);
        for i in first.index()..=last.index() {
            let slot = BluezoneSlot::new(k.daily_key.day(), i, spd).unwrap();
            let start = slot.start(spd).as_secs() * 1000;
            out.push((
                start,
                start + spd.slot_seconds() * 1000,
                *ids[i as usize].as_bytes(),
            ));
        }
    }
    out
}

fn payload(key: &str, start: u64, max: u32, end: u64) -> String {
    format!(
        r#"{{"data":[{{"daily_key":"{key}","time_start":{start},"max":{max},"time_end":{end}}}]}}"#
    )
}

fn bytes(hex_key: &str) -> Vec<u8> {
    hex::decode(hex_key).unwrap()
}

#[test]
fn a_multi_day_entry_is_the_clients_walk() {
    // Ends inside a slot, exactly on a slot start (inclusive), exactly at midnight, and one
    // slot long; 15-minute, 1-hour and 10-minute slots.
    let cases = [
        (96, DAY0 + 2 * 86_400 + 4000),
        (96, DAY0 + 86_400 + 5 * 900),
        (96, DAY0 + 3 * 86_400),
        (96, DAY0),
        (24, DAY0 + 86_400 + 3600 * 7),
        (144, DAY0 + 4 * 86_400 - 1),
    ];
    for (max, end) in cases {
        let keys = parse_f0(payload(DK, DAY0, max, end).as_bytes()).unwrap();
        let days = (end - DAY0) / 86_400 + 1;
        assert_eq!(keys.len() as u64, days, "{max} {end}");
        assert_eq!(
            parsed_walk(&keys),
            client_walk(&bytes(DK), DAY0, u64::from(max), end),
            "{max} {end}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn any_span_from_a_midnight_is_the_clients_walk(
        key in any::<[u8; 32]>(),
        day in 18_000u64..30_000,
        len in 0u64..5 * 86_400,
        max in prop::sample::select(vec![24u32, 48, 96, 144]),
    ) {
        let start = day * 86_400;
        let keys = parse_f0(payload(&hex::encode(key), start, max, start + len).as_bytes()).unwrap();
        prop_assert_eq!(
            parsed_walk(&keys),
            client_walk(&key, start, u64::from(max), start + len)
        );
    }
}

#[test]
fn the_payload_of_the_public_write_up_reads_as_37_days() {
    // thaidn/bluezone notify.py: the payload rides in a push message, InfoF as a JSON string.
    let info = payload(DK, 1_596_844_800, 96, 1_600_000_000);
    let push = serde_json::json!({"FindGUID": "123456", "InfoF": info}).to_string();
    let keys = parse_f0(push.as_bytes()).unwrap();
    assert_eq!(keys.len(), 37);
    assert_eq!(keys[0].daily_key.day().get(), 18_482);
    assert_eq!(keys[36].daily_key.day().get(), 18_518);
    assert_eq!(keys[36].time_end.as_secs(), 1_600_000_000);
    // Day 2's key is SHA-256 of day 1's.
    assert_eq!(
        keys[1].daily_key.expose_secret().to_vec(),
        sha(keys[0].daily_key.expose_secret())
    );
    // The FCM data message around it, and InfoF as an object, unwrap too.
    let fcm = serde_json::json!({"Type": "KiemTraLichSuTiepXuc", "DataContent": push}).to_string();
    assert_eq!(parse_f0(fcm.as_bytes()).unwrap().len(), 37);
    let obj = format!(r#"{{"FindGUID":"1","InfoF":{info}}}"#);
    assert_eq!(parse_f0(obj.as_bytes()).unwrap().len(), 37);
}

#[test]
fn push_messages_without_a_payload_say_so() {
    let history = r#"{"Type":"YeuCauGuiLichSu","DataContent":"{\"OTP\":\"123456\"}"}"#;
    let e = parse_f0(history.as_bytes()).unwrap_err();
    assert!(matches!(e, F0Error::Push { .. }), "{e}");
    assert!(e.to_string().contains("YeuCauGuiLichSu"), "{e}");
    let e = parse_f0(br#"{"FindGUID":"1"}"#).unwrap_err();
    assert!(e.to_string().contains("no InfoF"), "{e}");
    let e = parse_f0(br#"{"FindGUID":"1","InfoF":"{\"x\":1}"}"#).unwrap_err();
    assert!(matches!(e, F0Error::Wrapped { what: "InfoF", .. }), "{e}");
    assert!(e.to_string().contains("InfoF"), "{e}");
    let e = parse_f0(br#"{"FindGUID":"1","InfoF":7}"#).unwrap_err();
    assert!(matches!(e, F0Error::Push { .. }), "{e}");
    // Nested three deep: refused, not recursed.
    let deep = serde_json::json!({"InfoF": {"InfoF": {"InfoF": {"data": []}}}}).to_string();
    assert!(parse_f0(deep.as_bytes()).is_err());
    assert!(matches!(parse_f0(b"{}"), Err(F0Error::NotAPayload)));
}

#[test]
fn spans_and_totals_are_capped() {
    let limit = F0Limits::default().max_span_days;
    let ok = payload(DK, DAY0, 96, DAY0 + u64::from(limit) * 86_400 - 1);
    assert_eq!(parse_f0(ok.as_bytes()).unwrap().len(), limit as usize);
    let long = payload(DK, DAY0, 96, DAY0 + u64::from(limit) * 86_400);
    let e = parse_f0(long.as_bytes()).unwrap_err();
    assert!(
        matches!(
            e,
            F0Error::InvalidEntry {
                index: 0,
                problem: EntryProblem::SpanTooLong { .. }
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("max_span_days"), "{e}");
    let two = format!(
        r#"{{"data":[{{"daily_key":"{DK}","time_start":{DAY0},"max":96,"time_end":{}}},{{"daily_key":"{DK}","time_start":{DAY0},"max":96,"time_end":{}}}]}}"#,
        DAY0 + 86_400 * 2,
        DAY0 + 86_400 * 2
    );
    let tight = F0Limits {
        max_keys: 5,
        ..F0Limits::default()
    };
    assert!(matches!(
        parse_f0_with(two.as_bytes(), &tight),
        Err(F0Error::TooManyKeys { max: 5 })
    ));
    assert_eq!(parse_f0(two.as_bytes()).unwrap().len(), 6);
}

#[test]
fn a_mid_day_start_keeps_the_day_and_the_utc_slot_grid() {
    let start = DAY0 + 12 * 3600 + 100;
    let keys = parse_f0(payload(DK, start, 96, DAY0 + 86_400 + 60).as_bytes()).unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0].time_start.as_secs(), start);
    assert_eq!(keys[0].time_end.as_secs(), DAY0 + 86_399);
    assert_eq!(keys[1].time_start.as_secs(), DAY0 + 86_400);
    let walk = parsed_walk(&keys);
    // Slot 48 of the key's own day, then the whole rest of the day and slot 0 of the next.
    assert_eq!(walk.len(), 48 + 1);
    let dk = DailyKey::from_bytes(bytes(DK).try_into().unwrap(), UtcDay::new(18_482));
    assert_eq!(
        walk[0].2,
        dk.bluezone_ids(SlotsPerDay::DEFAULT)[48]
            .as_bytes()
            .to_owned()
    );
}

#[test]
fn units_and_malformed_entries_are_typed_errors() {
    // Milliseconds (the data_trace.txt unit) are tolerated when the whole payload uses them.
    let ms = payload(DK, DAY0 * 1000, 96, (DAY0 + 100) * 1000);
    assert_eq!(
        parse_f0(ms.as_bytes()).unwrap()[0].time_end.as_secs(),
        DAY0 + 100
    );
    let bad = |json: String| match parse_f0(json.as_bytes()) {
        Err(F0Error::InvalidEntry { index: 0, problem }) => problem,
        other => panic!("{json}: {other:?}"),
    };
    assert_eq!(
        bad(payload(&DK[2..], DAY0, 96, DAY0)),
        EntryProblem::DailyKeyLength(62)
    );
    assert!(matches!(
        bad(payload(&format!("{}zz", &DK[2..]), DAY0, 96, DAY0)),
        EntryProblem::DailyKeyHex(_)
    ));
    assert_eq!(bad(payload(DK, DAY0, 7, DAY0)), EntryProblem::Max(7));
    assert_eq!(bad(payload(DK, DAY0, 0, DAY0)), EntryProblem::Max(0));
    assert_eq!(
        bad(payload(DK, DAY0 + 1, 96, DAY0)),
        EntryProblem::StartAfterEnd {
            start: DAY0 + 1,
            end: DAY0
        }
    );
    assert_eq!(
        bad(payload(DK, DAY0, 96, DAY0 * 1000)),
        EntryProblem::MixedUnits
    );
    assert!(matches!(
        bad(payload(DK, u64::MAX, 96, u64::MAX)),
        EntryProblem::TimeOutOfRange(_)
    ));
    assert!(matches!(
        parse_f0(b"{\"data\":[{}]}"),
        Err(F0Error::Json(_))
    ));
    assert!(matches!(parse_f0(b"[1,2]"), Err(F0Error::Json(_))));
    // Unknown fields are ignored.
    let extra = payload(DK, DAY0, 96, DAY0).replace("\"max\"", "\"extra\":1,\"max\"");
    assert_eq!(parse_f0(extra.as_bytes()).unwrap().len(), 1);
}

#[test]
fn written_payloads_read_back_key_for_key() {
    let keys = parse_f0(payload(DK, DAY0 + 5000, 96, DAY0 + 3 * 86_400 + 7).as_bytes()).unwrap();
    let again = parse_f0(write_f0(&keys).as_bytes()).unwrap();
    assert_eq!(again.len(), keys.len());
    for (a, b) in keys.iter().zip(&again) {
        assert_eq!(a.daily_key.expose_secret(), b.daily_key.expose_secret());
        assert_eq!(a.daily_key.day(), b.daily_key.day());
        assert_eq!((a.time_start, a.time_end), (b.time_start, b.time_end));
    }
}
