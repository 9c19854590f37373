//! The fast inner loop returns exactly the reference matcher's results — on random logs and
//! key sets built around tolerance edges, revoked and re-published keys, rolling periods below
//! 144 and Bluezone slot edges with drift — and any thread count returns the single-thread
//! result. Published lists with exact and near duplicates (the fast loop derives each key once)
//! agree too.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proxtrace::bluezone::DailyKey;
use proxtrace::gaen::{Metadata, TemporaryExposureKey};
use proxtrace::identifier::{GaenPayload, Identifier, Scheme};
use proxtrace::matching::{EncounterIndex, Engine, FastEngine, MatchConfig, MatchResult, Matcher};
use proxtrace::published::{BluezoneDiagnosisKey, GaenDiagnosisKey, ReportType};
use proxtrace::sighting::ScanAggregate;
use proxtrace::time::{EnIntervalNumber, SlotsPerDay, UnixTime, UtcDay};
use proxtrace_cli::workload::matching::{Workload, WorkloadSpec};
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;

const DAY: u32 = 19_000;

fn engines(seed: u64) -> [Engine; 4] {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    [
        Engine::Reference,
        Engine::Fast(FastEngine::new(1, &mut rng).unwrap()),
        Engine::Fast(FastEngine::new(3, &mut rng).unwrap()),
        // The portable SHA-256 fallback, whatever this CPU supports.
        Engine::Fast(FastEngine::new(2, &mut rng).unwrap().portable()),
    ]
}

fn all_agree(
    config: &MatchConfig,
    records: &[ScanAggregate],
    gaen: &[GaenDiagnosisKey],
    bz: &[BluezoneDiagnosisKey],
    seed: u64,
) -> Result<MatchResult, TestCaseError> {
    let index = EncounterIndex::from_records(records).unwrap();
    let mut results = engines(seed).into_iter().map(|e| {
        Matcher::new(config.clone())
            .unwrap()
            .with_engine(e)
            .run(&index, gaen, bz)
            .unwrap()
    });
    let reference = results.next().unwrap();
    for (n, r) in results.enumerate() {
        prop_assert_eq!(
            &r,
            &reference,
            "engine {} differs from the reference",
            n + 1
        );
    }
    Ok(reference)
}

#[derive(Debug, Clone)]
struct GaenCase {
    keys: Vec<(u8, i64, u32, u8, Option<i32>)>,
    records: Vec<(u8, i64, i64, i8, i8)>,
    noise: usize,
}

fn report_type(n: u8) -> ReportType {
    ReportType::from_i32(i32::from(n % 6)).unwrap()
}

fn gaen_case() -> impl Strategy<Value = GaenCase> {
    (
        // (tek seed, rolling start offset in intervals from DAY, period, report type, onset)
        prop::collection::vec(
            (
                0u8..4,
                -144i64..288,
                1u32..=144,
                0u8..6,
                prop::option::of(-3i32..8),
            ),
            0..8,
        ),
        // (tek seed, interval offset j from DAY, seconds offset of the sighting from j's start
        //  (covering j − 13 … j + 13), tx power, rssi)
        prop::collection::vec(
            (
                0u8..4,
                -24i64..300,
                -13 * 600i64..14 * 600,
                -60i8..30,
                -100i8..-30,
            ),
            0..30,
        ),
        0usize..50,
    )
        .prop_map(|(keys, records, noise)| GaenCase {
            keys,
            records,
            noise,
        })
}

fn build_gaen(c: &GaenCase) -> (Vec<ScanAggregate>, Vec<GaenDiagnosisKey>) {
    let base = i64::from(UtcDay::new(DAY).first_interval().unwrap().get());
    let mut records: Vec<ScanAggregate> = c
        .records
        .iter()
        .map(|&(seed, j, dt, tx, rssi)| {
            let tek = TemporaryExposureKey::from_bytes([seed; 16]);
            let j = EnIntervalNumber::new((base + j) as u32);
            let rpi = tek
                .rolling_proximity_identifier_key()
                .rolling_proximity_identifier(j);
            let aem = tek
                .associated_encrypted_metadata_key()
                .encrypt(&rpi, &Metadata::v1_0(tx));
            let t = (j.start().as_secs() as i64 + dt) as u64;
            ScanAggregate {
                identifier: Identifier::Gaen(GaenPayload { rpi, aem }),
                first_seen: UnixTime::from_secs(t),
                last_seen: UnixTime::from_secs(t + (dt.unsigned_abs() % 7)),
                count: 3,
                max_rssi: rssi.saturating_add(2),
                mean_rssi: rssi,
                tx_power: None,
            }
        })
        .collect();
    let w = Workload::generate(&WorkloadSpec {
        keys: 0,
        sightings: c.noise,
        days: 3,
        last_day: UtcDay::new(DAY + 1),
        planted: 0,
        seed: c.noise as u64,
        ..WorkloadSpec::new(Scheme::Gaen)
    });
    records.extend(w.records);
    let keys = c
        .keys
        .iter()
        .map(|&(seed, start, period, rt, onset)| GaenDiagnosisKey {
            key: TemporaryExposureKey::from_bytes([seed; 16]),
            rolling_start: EnIntervalNumber::new((base + start) as u32),
            rolling_period: period,
            report_type: report_type(rt),
            days_since_onset_of_symptoms: onset,
            transmission_risk_level: None,
        })
        .collect();
    (records, keys)
}

/// A Bluezone chain: key seed and variant (its bytes) and the day offset of its daily key.
type Chain = (u8, u8, i64);

#[derive(Debug, Clone)]
struct BluezoneCase {
    /// (chain, range start day relative to the key's day, start offset in s, range length in s)
    keys: Vec<(Chain, i64, u64, u64)>,
    /// (chain, days stepped along the chain, slot, seconds from the slot start, duration, rssi)
    records: Vec<(Chain, u32, u32, i64, u64, i8)>,
    drift: u32,
    slots: u32,
}

fn chain() -> impl Strategy<Value = Chain> {
    (0u8..2, 0u8..2, -1i64..=1)
}

fn bluezone_case() -> impl Strategy<Value = BluezoneCase> {
    (
        prop::collection::vec(
            (
                chain(),
                prop::sample::select(vec![0i64, 0, 0, -1, 1]),
                0u64..86_400,
                0u64..2 * 86_400,
            ),
            0..5,
        ),
        prop::collection::vec(
            (
                chain(),
                0u32..2,
                0u32..144,
                -2000i64..3000,
                0u64..30,
                -100i8..-30,
            ),
            0..30,
        ),
        0u32..3,
        prop::sample::select(vec![24u32, 96, 144]),
    )
        .prop_map(|(keys, records, drift, slots)| BluezoneCase {
            keys,
            records,
            drift,
            slots,
        })
}

fn daily_key((seed, variant, day_off): Chain) -> DailyKey {
    DailyKey::from_bytes(
        [seed ^ (0x55 * variant); 32],
        UtcDay::new((i64::from(DAY) + day_off) as u32),
    )
}

fn build_bluezone(c: &BluezoneCase) -> (Vec<ScanAggregate>, Vec<BluezoneDiagnosisKey>) {
    let spd = SlotsPerDay::new(c.slots).unwrap();
    let records = c
        .records
        .iter()
        .map(|&(ch, steps, slot, dt, dur, rssi)| {
            let mut dk = daily_key(ch);
            for _ in 0..steps {
                dk = dk.next().unwrap();
            }
            let slot = slot % spd.get();
            let id = dk.bluezone_ids(spd)[slot as usize];
            let t = (dk.day().start().as_secs() as i64
                + i64::from(slot) * spd.slot_seconds() as i64
                + dt) as u64;
            ScanAggregate {
                identifier: Identifier::Bluezone(id),
                first_seen: UnixTime::from_secs(t),
                last_seen: UnixTime::from_secs(t + dur),
                count: 2,
                max_rssi: rssi,
                mean_rssi: rssi,
                tx_power: (dur % 2 == 0).then_some(-4),
            }
        })
        .collect();
    let keys = c
        .keys
        .iter()
        .map(|&(ch, start_day, start, len)| {
            let dk = daily_key(ch);
            // The range usually starts on the key's own day; sometimes a day before or after,
            // to exercise the walk's edge rules.
            let day = UtcDay::new((i64::from(dk.day().get()) + start_day) as u32);
            let from = day.start().as_secs() + start;
            BluezoneDiagnosisKey {
                daily_key: dk,
                time_start: UnixTime::from_secs(from),
                time_end: UnixTime::from_secs(from + len),
                slots_per_day: spd,
            }
        })
        .collect();
    (records, keys)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn gaen_fast_equals_reference(c in gaen_case(), seed in any::<u64>()) {
        let (records, keys) = build_gaen(&c);
        all_agree(&MatchConfig::default(), &records, &keys, &[], seed)?;
    }

    #[test]
    fn gaen_fast_equals_reference_with_other_tolerances(
        c in gaen_case(), before in 0u32..20, after in 0u32..20, span in 0u32..3000, seed in any::<u64>(),
    ) {
        let (records, keys) = build_gaen(&c);
        let mut config = MatchConfig::default();
        config.gaen.intervals_before = before;
        config.gaen.intervals_after = after;
        config.gaen.max_rpi_span_secs = span;
        all_agree(&config, &records, &keys, &[], seed)?;
    }

    #[test]
    fn bluezone_fast_equals_reference(c in bluezone_case(), seed in any::<u64>()) {
        let (records, keys) = build_bluezone(&c);
        let mut config = MatchConfig::default();
        config.bluezone.drift_tolerance_slots = c.drift;
        all_agree(&config, &records, &[], &keys, seed)?;
    }
}

/// `keys` with copies of some entries inserted: `(which, where)` inserts a copy of entry
/// `which % len` before position `where % (len + 1)`.
fn with_duplicates<K: Clone>(keys: &[K], dups: &[(usize, usize)]) -> Vec<K> {
    let mut out = keys.to_vec();
    for &(which, at) in dups {
        if out.is_empty() {
            break;
        }
        let copy = out[which % out.len()].clone();
        let at = at % (out.len() + 1);
        out.insert(at, copy);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn duplicated_gaen_keys_fast_equals_reference(
        c in gaen_case(),
        dups in prop::collection::vec((any::<usize>(), any::<usize>()), 1..12),
        seed in any::<u64>(),
    ) {
        let (records, keys) = build_gaen(&c);
        let keys = with_duplicates(&keys, &dups);
        all_agree(&MatchConfig::default(), &records, &keys, &[], seed)?;
    }

    #[test]
    fn duplicated_bluezone_keys_fast_equals_reference(
        c in bluezone_case(),
        dups in prop::collection::vec((any::<usize>(), any::<usize>()), 1..12),
        seed in any::<u64>(),
    ) {
        let (records, keys) = build_bluezone(&c);
        let keys = with_duplicates(&keys, &dups);
        let mut config = MatchConfig::default();
        config.bluezone.drift_tolerance_slots = c.drift;
        all_agree(&config, &records, &[], &keys, seed)?;
    }
}

#[test]
fn generated_cases_do_exercise_matches() {
    // Guard against a vacuous property: the case generators must produce real matches.
    let mut found = 0;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    for _ in 0..64 {
        let c = gaen_case().new_tree(&mut runner).unwrap().current();
        let (records, keys) = build_gaen(&c);
        let r = all_agree(&MatchConfig::default(), &records, &keys, &[], 7).unwrap();
        found += r.exposure_windows.len();
    }
    assert!(found > 10, "only {found} windows in 64 GAEN cases");
    let mut found = 0;
    for _ in 0..64 {
        let c = bluezone_case().new_tree(&mut runner).unwrap().current();
        let (records, keys) = build_bluezone(&c);
        let r = all_agree(&MatchConfig::default(), &records, &[], &keys, 7).unwrap();
        found += r.exposure_windows.len();
    }
    assert!(found > 10, "only {found} windows in 64 Bluezone cases");
}

#[test]
fn planted_workload_matches_agree_and_are_found() {
    for scheme in [Scheme::Gaen, Scheme::Bluezone] {
        let w = Workload::generate(&WorkloadSpec {
            keys: 3_000,
            sightings: 2_000,
            ..WorkloadSpec::new(scheme)
        });
        let r = all_agree(
            &MatchConfig::default(),
            &w.records,
            &w.gaen_keys,
            &w.bluezone_keys,
            3,
        )
        .unwrap();
        assert_eq!(r.exposure_windows.len(), w.planted, "{scheme}");
        assert!(
            r.exposure_windows
                .iter()
                .all(|x| x.scan_instances.len() == 3)
        );
    }
}
