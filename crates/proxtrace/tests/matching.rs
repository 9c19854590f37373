//! Matching semantics, end to end through the public API: planted matches are found and
//! nothing else; every tolerance edge; the 20-minute rule; REVOKED; rolling periods 1 and 144;
//! a key straddling the log's start; TX bounds; windows and scores; Bluezone slot windows.

use proxtrace::bluezone::{BluezoneId, DailyKey};
use proxtrace::gaen::{Metadata, TemporaryExposureKey};
use proxtrace::identifier::{GaenPayload, Identifier};
use proxtrace::matching::{EncounterIndex, Engine, MatchConfig, MatchResult, Matcher};
use proxtrace::published::{BluezoneDiagnosisKey, GaenDiagnosisKey, ReportType};
use proxtrace::sighting::ScanAggregate;
use proxtrace::time::{BluezoneSlot, EnIntervalNumber, SlotsPerDay, UnixTime, UtcDay};

/// A day start well inside the 32-bit range: 2020-08-08.
const DAY: u32 = 18_482;

fn day_start_interval() -> EnIntervalNumber {
    UtcDay::new(DAY).first_interval().unwrap()
}

fn tek(seed: u8) -> TemporaryExposureKey {
    TemporaryExposureKey::from_bytes([seed; 16])
}

fn gaen_key(seed: u8, start: EnIntervalNumber, period: u32) -> GaenDiagnosisKey {
    GaenDiagnosisKey {
        key: tek(seed),
        rolling_start: start,
        rolling_period: period,
        report_type: ReportType::ConfirmedTest,
        days_since_onset_of_symptoms: Some(0),
        transmission_risk_level: None,
    }
}

/// What a receiver logs when it hears `seed`'s RPI of interval `j` at `t`.
fn heard(seed: u8, j: EnIntervalNumber, t: u64, tx: i8, rssi: i8) -> ScanAggregate {
    let k = tek(seed);
    let rpi = k
        .rolling_proximity_identifier_key()
        .rolling_proximity_identifier(j);
    let aem = k
        .associated_encrypted_metadata_key()
        .encrypt(&rpi, &Metadata::v1_0(tx));
    ScanAggregate {
        identifier: Identifier::Gaen(GaenPayload { rpi, aem }),
        first_seen: UnixTime::from_secs(t),
        last_seen: UnixTime::from_secs(t + 4),
        count: 8,
        max_rssi: rssi + 3,
        mean_rssi: rssi,
        tx_power: None,
    }
}

fn noise(n: usize) -> Vec<ScanAggregate> {
    // Deterministic unrelated identifiers spread over the day.
    (0..n)
        .map(|i| {
            let mut b = [0u8; 20];
            b[..8].copy_from_slice(&(i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15).to_le_bytes());
            b[8] = 0xEE;
            let t = day_start_interval().start().as_secs() + (i as u64 * 37) % 86_400;
            ScanAggregate {
                identifier: Identifier::Gaen(GaenPayload::from_bytes(&b)),
                first_seen: UnixTime::from_secs(t),
                last_seen: UnixTime::from_secs(t),
                count: 1,
                max_rssi: -70,
                mean_rssi: -70,
                tx_power: None,
            }
        })
        .collect()
}

fn run(
    records: &[ScanAggregate],
    gaen: &[GaenDiagnosisKey],
    bz: &[BluezoneDiagnosisKey],
) -> MatchResult {
    run_with(MatchConfig::default(), records, gaen, bz)
}

fn run_with(
    config: MatchConfig,
    records: &[ScanAggregate],
    gaen: &[GaenDiagnosisKey],
    bz: &[BluezoneDiagnosisKey],
) -> MatchResult {
    let index = EncounterIndex::from_records(records).unwrap();
    // `Matcher::new` runs the fast engine; every semantic test also holds on the reference.
    let fast = Matcher::new(config.clone())
        .unwrap()
        .run(&index, gaen, bz)
        .unwrap();
    let reference = Matcher::new(config)
        .unwrap()
        .with_engine(Engine::Reference)
        .run(&index, gaen, bz)
        .unwrap();
    assert_eq!(fast, reference, "fast and reference engines disagree");
    fast
}

fn instance_count(r: &MatchResult) -> usize {
    r.exposure_windows
        .iter()
        .map(|w| w.scan_instances.len())
        .sum()
}

#[test]
fn planted_matches_are_found_and_nothing_else() {
    let d = day_start_interval();
    let mut records = noise(5_000);
    // Person 1 near us for three scans in interval 40; person 2 once in interval 100.
    for s in 0..3 {
        records.push(heard(
            1,
            d.checked_add(40).unwrap(),
            d.checked_add(40).unwrap().start().as_secs() + s * 180,
            -5,
            -60,
        ));
    }
    records.push(heard(
        2,
        d.checked_add(100).unwrap(),
        d.checked_add(100).unwrap().start().as_secs() + 30,
        0,
        -70,
    ));
    // Person 3 was logged but never published; person 4 published but never met.
    records.push(heard(
        3,
        d.checked_add(50).unwrap(),
        d.checked_add(50).unwrap().start().as_secs(),
        0,
        -50,
    ));
    records.sort_by_key(|r| r.first_seen);
    let keys = [
        gaen_key(1, d, 144),
        gaen_key(2, d, 144),
        gaen_key(4, d, 144),
    ];
    let r = run(&records, &keys, &[]);
    let matched: Vec<usize> = r
        .exposure_windows
        .iter()
        .map(|w| w.diagnosis_key_index)
        .collect();
    assert_eq!(matched, vec![0, 1]);
    assert_eq!(instance_count(&r), 4);
    assert_eq!(r.exposure_windows[0].scan_instances.len(), 3);
    // Nothing without published keys.
    assert!(run(&records, &[], &[]).exposure_windows.is_empty());
}

#[test]
fn tolerance_edges() {
    let d = day_start_interval();
    let j = d.checked_add(70).unwrap();
    let at = |n: i64, end_of_interval: bool| {
        let i = EnIntervalNumber::new((i64::from(j.get()) + n) as u32);
        let t = i.start().as_secs() + if end_of_interval { 599 - 4 } else { 0 };
        heard(9, j, t, 0, -60)
    };
    let key = [gaen_key(9, j, 1)];
    let one = |rec: ScanAggregate| instance_count(&run(&[rec], &key, &[]));
    assert_eq!(one(at(-12, false)), 1, "j − 12 is in");
    assert_eq!(
        one(at(-13, true)),
        0,
        "j − 13 is out (even its last second)"
    );
    assert_eq!(one(at(12, true)), 1, "j + 12 is in (to its last second)");
    assert_eq!(one(at(13, false)), 0, "j + 13 is out");
    assert_eq!(one(at(0, false)), 1);
}

#[test]
fn strict_windows_accept_rpis_within_minutes_and_need_fifteen_minutes_per_key() {
    let d = day_start_interval();
    let j = d.checked_add(70).unwrap();
    let strict = MatchConfig::default().with_strict_windows();
    // RPI acceptance: j − 1 … j + 3 instead of j − 12 … j + 12.
    let at = |n: i64| {
        let i = EnIntervalNumber::new((i64::from(j.get()) + n) as u32);
        heard(9, j, i.start().as_secs(), 0, -60)
    };
    // One sighting scores 120 s; lift the duration rule to look at acceptance alone.
    let mut acceptance = strict.clone();
    acceptance.windows.min_key_daily_duration_secs = 0;
    let key = [gaen_key(9, j, 1)];
    let n = |c: &MatchConfig, n: i64| instance_count(&run_with(c.clone(), &[at(n)], &key, &[]));
    assert_eq!((n(&acceptance, -1), n(&acceptance, 3)), (1, 1));
    assert_eq!((n(&acceptance, -2), n(&acceptance, 4)), (0, 0));
    assert_eq!(
        (
            n(&MatchConfig::default(), -2),
            n(&MatchConfig::default(), 4)
        ),
        (1, 1)
    );
    // Duration rule: 3 scans 5 minutes apart at NEAR (weight 1) are 120 + 300 + 300 = 720 s
    // of one key: dropped; a fourth scan makes 1,020 s: kept. The defaults keep both.
    let t0 = j.start().as_secs();
    let scans = |k: u64| -> Vec<ScanAggregate> {
        (0..k).map(|i| heard(5, j, t0 + 300 * i, 0, -60)).collect()
    };
    let five = [gaen_key(5, d, 144)];
    assert_eq!(
        instance_count(&run_with(strict.clone(), &scans(3), &five, &[])),
        0
    );
    assert_eq!(
        instance_count(&run_with(strict.clone(), &scans(4), &five, &[])),
        4
    );
    assert_eq!(instance_count(&run(&scans(3), &five, &[])), 3);
    // Two keys of 720 s each: the defaults add them up to a notification, strict does not.
    let mut both = scans(3);
    both.extend((0..3).map(|i| heard(6, j, t0 + 300 * i + 30, 0, -60)));
    let keys = [gaen_key(5, d, 144), gaen_key(6, d, 144)];
    assert!(run(&both, &keys, &[]).exposed);
    assert!(!run_with(strict, &both, &keys, &[]).exposed);
}

#[test]
fn sightings_past_20_minutes_after_the_first_are_ignored() {
    let d = day_start_interval();
    let j = d.checked_add(10).unwrap();
    let t0 = j.start().as_secs();
    let records = vec![
        heard(5, j, t0, 0, -60),
        heard(5, j, t0 + 600, 0, -60),
        heard(5, j, t0 + 1200, 0, -60), // exactly 20 minutes: kept
        heard(5, j, t0 + 1201, 0, -60), // a replay later: ignored
        heard(5, j, t0 + 5000, 0, -60),
    ];
    let r = run(&records, &[gaen_key(5, d, 144)], &[]);
    assert_eq!(instance_count(&r), 3);
    let mut c = MatchConfig::default();
    c.gaen.max_rpi_span_secs = 6000;
    assert_eq!(
        instance_count(&run_with(c, &records, &[gaen_key(5, d, 144)], &[])),
        5
    );
}

#[test]
fn revoked_cancels_earlier_matches_and_revisions_supersede() {
    let d = day_start_interval();
    let j = d.checked_add(20).unwrap();
    let records = vec![heard(6, j, j.start().as_secs(), 0, -60)];
    let mut revoked = gaen_key(6, d, 144);
    revoked.report_type = ReportType::Revoked;
    assert!(
        run(&records, &[gaen_key(6, d, 144), revoked.clone()], &[])
            .exposure_windows
            .is_empty()
    );
    // A revocation before a re-publication does not cancel the later entry.
    assert_eq!(
        run(&records, &[revoked, gaen_key(6, d, 144)], &[])
            .exposure_windows
            .len(),
        1
    );
    // A revision changes the report type; the key is not counted twice.
    let mut revised = gaen_key(6, d, 144);
    revised.report_type = ReportType::SelfReport;
    let r = run(&records, &[gaen_key(6, d, 144), revised], &[]);
    assert_eq!(r.exposure_windows.len(), 1);
    assert_eq!(r.exposure_windows[0].report_type, ReportType::SelfReport);
    assert_eq!(r.exposure_windows[0].diagnosis_key_index, 1);
}

#[test]
fn rolling_period_1_and_144() {
    let d = day_start_interval();
    let records: Vec<_> = [0u32, 1, 143]
        .iter()
        .map(|&n| {
            let j = d.checked_add(n).unwrap();
            heard(7, j, j.start().as_secs() + 1, 0, -60)
        })
        .collect();
    // Period 1: only interval 0's RPI exists for this key.
    assert_eq!(instance_count(&run(&records, &[gaen_key(7, d, 1)], &[])), 1);
    // Period 144: all three.
    assert_eq!(
        instance_count(&run(&records, &[gaen_key(7, d, 144)], &[])),
        3
    );
    // A same-day key released at interval 2 with period 2 covers intervals 0 and 1 only.
    assert_eq!(instance_count(&run(&records, &[gaen_key(7, d, 2)], &[])), 2);
}

#[test]
fn key_whose_day_straddles_the_log_start() {
    // The log starts at 18:00 on the key's day: earlier RPIs simply find nothing, later ones do.
    let d = day_start_interval();
    let j = d.checked_add(108).unwrap(); // 18:00
    let records = vec![
        heard(8, j, j.start().as_secs() + 10, 0, -60),
        heard(
            8,
            d.checked_add(143).unwrap(),
            d.checked_add(143).unwrap().start().as_secs(),
            0,
            -60,
        ),
    ];
    let r = run(&records, &[gaen_key(8, d, 144)], &[]);
    assert_eq!(instance_count(&r), 2);
    // And a key of the previous day whose last RPIs are seen just after midnight (within the
    // 2 h tolerance) still matches.
    let prev = d.checked_sub(144).unwrap();
    let late = d.checked_sub(1).unwrap();
    let rec = heard(10, late, d.start().as_secs() + 300, 0, -60);
    assert_eq!(
        instance_count(&run(&[rec], &[gaen_key(10, prev, 144)], &[])),
        1
    );
}

#[test]
fn tx_power_outside_bounds_is_dropped() {
    let d = day_start_interval();
    let j = d.checked_add(3).unwrap();
    let t = j.start().as_secs();
    let records = vec![
        heard(11, j, t, 21, -60),
        heard(11, j, t + 100, -51, -60),
        heard(11, j, t + 200, 20, -60),
        heard(11, j, t + 300, -50, -90),
    ];
    let r = run(&records, &[gaen_key(11, d, 144)], &[]);
    let atts: Vec<u8> = r.exposure_windows[0]
        .scan_instances
        .iter()
        .map(|s| s.typical_attenuation_db)
        .collect();
    assert_eq!(atts, vec![80, 40]);
    // Minimum attenuation comes from the strongest RSSI (mean + 3 in `heard`).
    assert_eq!(
        r.exposure_windows[0].scan_instances[0].min_attenuation_db,
        77
    );
}

#[test]
fn windows_are_cut_at_30_minutes_and_scored() {
    let d = day_start_interval();
    let base = d.checked_add(60).unwrap();
    // Seen every 5 minutes for 50 minutes (RPI rotates every 10-minute interval).
    let records: Vec<_> = (0..11)
        .map(|s| {
            let t = base.start().as_secs() + s * 300;
            heard(12, EnIntervalNumber::new((t / 600) as u32), t, 0, -60)
        })
        .collect();
    let r = run(&records, &[gaen_key(12, d, 144)], &[]);
    let sizes: Vec<usize> = r
        .exposure_windows
        .iter()
        .map(|w| w.scan_instances.len())
        .collect();
    assert_eq!(
        sizes,
        vec![6, 5],
        "30-minute windows: [0, 1800) then the rest"
    );
    let w = &r.exposure_windows[0];
    let gaps: Vec<u32> = w
        .scan_instances
        .iter()
        .map(|s| s.seconds_since_last_scan)
        .collect();
    assert_eq!(gaps, vec![120, 300, 300, 300, 300, 300]);
    // Attenuation 60 dB: NEAR (55 < 60 ≤ 63), weight 1.0; days since onset 0: HIGH, 1.5.
    assert_eq!(w.weighted_duration_secs, 1620.0);
    assert_eq!(w.score, 1620.0 * 1.5);
    assert_eq!(r.daily_summaries.len(), 1);
    let s = &r.daily_summaries[0];
    assert_eq!(s.windows, 2);
    assert_eq!(s.score_sum, (1620.0 + 1320.0) * 1.5);
    assert_eq!(s.maximum_score, 1620.0 * 1.5);
    assert_eq!(s.date.as_deref(), Some("2020-08-08"));
    assert!(r.exposed);
    // A minimum window score above both windows empties the summaries and the exposure.
    let mut c = MatchConfig::default();
    c.scoring.minimum_window_score = 5000.0;
    let r = run_with(c, &records, &[gaen_key(12, d, 144)], &[]);
    assert_eq!(r.exposure_windows.len(), 2, "windows are still reported");
    assert!(r.daily_summaries.is_empty());
    assert!(!r.exposed);
}

#[test]
fn non_infectious_days_produce_no_window() {
    let d = day_start_interval();
    let j = d.checked_add(1).unwrap();
    let records = vec![heard(13, j, j.start().as_secs(), 0, -60)];
    let mut key = gaen_key(13, d, 144);
    key.days_since_onset_of_symptoms = Some(-10);
    assert!(run(&records, &[key], &[]).exposure_windows.is_empty());
}

#[test]
fn json_has_the_documented_top_level() {
    let d = day_start_interval();
    let j = d.checked_add(1).unwrap();
    let records = vec![heard(14, j, j.start().as_secs(), 0, -60)];
    let r = run(&records, &[gaen_key(14, d, 144)], &[]);
    let v: serde_json::Value = serde_json::to_value(&r).unwrap();
    assert!(v["exposure_windows"].is_array());
    assert!(v["daily_summaries"].is_array());
    assert_eq!(v["exposure_windows"][0]["report_type"], "CONFIRMED_TEST");
    assert_eq!(v["exposure_windows"][0]["scheme"], "gaen");
    let back: MatchResult = serde_json::from_value(v).unwrap();
    assert_eq!(back, r);
}

// --- Bluezone -------------------------------------------------------------------------------

fn bz_heard(id: BluezoneId, first: u64, last: u64, rssi: i8) -> ScanAggregate {
    ScanAggregate {
        identifier: Identifier::Bluezone(id),
        first_seen: UnixTime::from_secs(first),
        last_seen: UnixTime::from_secs(last),
        count: 2,
        max_rssi: rssi,
        mean_rssi: rssi,
        tx_power: None,
    }
}

fn bz_key(dk: &DailyKey, from: u64, to: u64) -> BluezoneDiagnosisKey {
    BluezoneDiagnosisKey {
        daily_key: dk.clone(),
        time_start: UnixTime::from_secs(from),
        time_end: UnixTime::from_secs(to),
        slots_per_day: SlotsPerDay::DEFAULT,
    }
}

#[test]
fn bluezone_slot_windows_are_inclusive_at_both_ends() {
    let spd = SlotsPerDay::DEFAULT;
    let dk = DailyKey::from_bytes([0x42; 32], UtcDay::new(DAY));
    let ids = dk.bluezone_ids(spd);
    let slot = BluezoneSlot::new(UtcDay::new(DAY), 10, spd).unwrap();
    let s = slot.start(spd).as_secs();
    let key = [bz_key(
        &dk,
        UtcDay::new(DAY).start().as_secs(),
        UtcDay::new(DAY).end().as_secs() - 1,
    )];
    let one = |first: u64, last: u64| {
        instance_count(&run(&[bz_heard(ids[10], first, last, -60)], &[], &key))
    };
    assert_eq!(one(s, s), 1, "slot start");
    assert_eq!(
        one(s + 900, s + 900),
        1,
        "slot end is inclusive (= next slot's start)"
    );
    assert_eq!(one(s + 901, s + 910), 0, "after the slot");
    assert_eq!(one(s - 10, s - 1), 0, "before the slot");
    assert_eq!(one(s - 10, s), 1, "an aggregate overlapping the start");
    // A drift tolerance of one slot widens the window by 900 s on both sides.
    let mut c = MatchConfig::default();
    c.bluezone.drift_tolerance_slots = 1;
    let r = run_with(c, &[bz_heard(ids[10], s + 1500, s + 1500, -60)], &[], &key);
    assert_eq!(instance_count(&r), 1);
}

#[test]
fn bluezone_walk_rolls_the_daily_key_and_respects_the_time_range() {
    let spd = SlotsPerDay::DEFAULT;
    let dk = DailyKey::from_bytes([0x43; 32], UtcDay::new(DAY));
    let next = dk.next().unwrap();
    let day0 = dk.bluezone_ids(spd);
    let day1 = next.bluezone_ids(spd);
    let d0 = UtcDay::new(DAY).start().as_secs();
    let d1 = UtcDay::new(DAY + 1).start().as_secs();
    let records = vec![
        bz_heard(day0[3], d0 + 3 * 900 + 5, d0 + 3 * 900 + 9, -60), // before time_start
        bz_heard(day0[50], d0 + 50 * 900 + 5, d0 + 50 * 900 + 9, -60),
        bz_heard(day1[2], d1 + 2 * 900 + 5, d1 + 2 * 900 + 9, -60), // next day, rolled key
        bz_heard(day1[40], d1 + 40 * 900, d1 + 40 * 900, -60),      // after time_end
    ];
    let key = [bz_key(&dk, d0 + 10 * 900, d1 + 20 * 900)];
    let r = run(&records, &[], &key);
    assert_eq!(instance_count(&r), 2);
    assert!(
        r.exposure_windows
            .iter()
            .all(|w| w.scheme == proxtrace::identifier::Scheme::Bluezone)
    );
    let starts: Vec<u64> = r
        .exposure_windows
        .iter()
        .map(|w| w.start.as_secs())
        .collect();
    assert_eq!(starts, vec![d0 + 50 * 900 + 5, d1 + 2 * 900 + 5]);
    // Attenuation uses the default Bluezone TX power of 0 dBm.
    assert_eq!(
        r.exposure_windows[0].scan_instances[0].typical_attenuation_db,
        60
    );
}

#[test]
fn bad_records_are_errors_not_panics() {
    let mut r = heard(
        1,
        day_start_interval(),
        day_start_interval().start().as_secs(),
        0,
        -60,
    );
    r.last_seen = UnixTime::from_secs(r.first_seen.as_secs() - 1);
    assert!(EncounterIndex::from_records([&r]).is_err());
    r.first_seen = UnixTime::from_secs(u64::from(u32::MAX) + 1);
    r.last_seen = r.first_seen;
    assert!(EncounterIndex::from_records([&r]).is_err());
}

#[test]
fn identifiers_of_a_different_key_or_interval_do_not_match() {
    // The RPI of interval j under another TEK, and this TEK's RPI of a non-published interval.
    let d = day_start_interval();
    let j = d.checked_add(30).unwrap();
    let other = heard(99, j, j.start().as_secs(), 0, -60);
    let outside = heard(
        15,
        d.checked_add(144).unwrap(),
        d.checked_add(144).unwrap().start().as_secs(),
        0,
        -60,
    );
    let r = run(&[other, outside], &[gaen_key(15, d, 144)], &[]);
    assert!(r.exposure_windows.is_empty());
}

/// A configuration value that sizes the matcher's tables cannot make it allocate without
/// bound: huge windows are a typed configuration error before anything is allocated (they
/// used to abort the process with a 64 GiB allocation).
#[test]
fn configurations_that_size_memory_are_bounded() {
    use proxtrace::matching::{MAX_INTERVAL_TOLERANCE, MatchConfig, MatchError, Matcher};
    let mut huge = MatchConfig::default();
    huge.gaen.intervals_before = u32::MAX;
    huge.gaen.intervals_after = u32::MAX;
    let e = Matcher::new(huge).unwrap_err();
    assert!(matches!(e, MatchError::Config(_)), "{e}");
    assert!(e.to_string().contains("gaen.intervals_before"), "{e}");
    let mut edge = MatchConfig::default();
    edge.gaen.intervals_before = MAX_INTERVAL_TOLERANCE;
    edge.gaen.intervals_after = MAX_INTERVAL_TOLERANCE;
    Matcher::new(edge).unwrap();
    for set in [
        |c: &mut MatchConfig| c.gaen.max_rpi_span_secs = u32::MAX,
        |c: &mut MatchConfig| c.bluezone.drift_tolerance_slots = u32::MAX,
        |c: &mut MatchConfig| c.windows.max_window_secs = u32::MAX,
        |c: &mut MatchConfig| c.windows.max_scan_gap_secs = u32::MAX,
        |c: &mut MatchConfig| c.windows.unknown_scan_gap_secs = u32::MAX,
    ] {
        let mut c = MatchConfig::default();
        set(&mut c);
        assert!(matches!(Matcher::new(c), Err(MatchError::Config(_))));
    }
}

/// A published file that repeats one key many times (a flood of copies in an export or an
/// unsigned F0 payload) matches exactly like the key published once: the matcher derives each
/// distinct key once (it used to hold ≈ 22 KB per copy, so 10^6 copies exhausted 8 GB), and
/// the last copy is the one a window names.
#[test]
fn copies_of_one_key_match_as_one_and_the_last_copy_counts() {
    let d = day_start_interval();
    let j = d.checked_add(30).unwrap();
    let records = [
        heard(21, j, j.start().as_secs() + 60, -5, -60),
        heard(21, j, j.start().as_secs() + 400, -5, -60),
    ];
    let once = run(&records, &[gaen_key(21, d, 144)], &[]);
    assert_eq!(once.exposure_windows.len(), 1);
    let copies = 200_000;
    let mut many = vec![gaen_key(21, d, 144); copies];
    many.insert(0, gaen_key(22, d, 144));
    let index = EncounterIndex::from_records(&records).unwrap();
    let r = Matcher::new(MatchConfig::default())
        .unwrap()
        .run(&index, &many, &[])
        .unwrap();
    assert_eq!(r.exposure_windows.len(), 1);
    assert_eq!(r.exposure_windows[0].diagnosis_key_index, copies);
    let mut w = r.exposure_windows[0].clone();
    w.diagnosis_key_index = 0;
    assert_eq!(w, once.exposure_windows[0]);

    // Bluezone: the same for a daily key repeated in a payload.
    let spd = SlotsPerDay::DEFAULT;
    let dk = DailyKey::from_bytes([0x43; 32], UtcDay::new(DAY));
    let ids = dk.bluezone_ids(spd);
    let s0 = BluezoneSlot::new(UtcDay::new(DAY), 20, spd)
        .unwrap()
        .start(spd)
        .as_secs();
    let heard = [bz_heard(ids[20], s0 + 10, s0 + 300, -60)];
    let day = (
        UtcDay::new(DAY).start().as_secs(),
        UtcDay::new(DAY).end().as_secs() - 1,
    );
    let once = run(&heard, &[], &[bz_key(&dk, day.0, day.1)]);
    assert_eq!(once.exposure_windows.len(), 1);
    let many = vec![bz_key(&dk, day.0, day.1); copies];
    let index = EncounterIndex::from_records(&heard).unwrap();
    let r = Matcher::new(MatchConfig::default())
        .unwrap()
        .run(&index, &[], &many)
        .unwrap();
    assert_eq!(r.exposure_windows.len(), 1);
    assert_eq!(r.exposure_windows[0].diagnosis_key_index, copies - 1);
}
