//! Checked time, as a property: a tracer driven by arbitrary sequences of inputs at arbitrary
//! times — huge, in milliseconds, before 2000, jumping back and forth — never panics, never
//! asks to be woken before its clock, and a refused input leaves the clock, the stored keys
//! and the log byte-identical.

#[path = "support/host.rs"]
mod host;

use proptest::prelude::*;
use proxtrace::bluezone::BluezoneId;
use proxtrace::identifier::{GaenPayload, Identifier};
use proxtrace::time::{EARLIEST, LATEST_EXCLUSIVE, UnixTime};
use proxtrace::tracer::{Input, RadioData, Received, Schemes, Tracer, TracerConfig};
use rand::SeedableRng;

const T0: u64 = 1_763_800_000;

#[derive(Debug, Clone)]
enum Step {
    Timeout(u64),
    Hear(u64, u8, bool),
    Raw(u64, Vec<u8>),
    Report(u64, u64),
    Flush,
}

fn time() -> impl Strategy<Value = u64> {
    prop_oneof![
        4 => (0u64..7 * 86_400).prop_map(|d| T0 + d),           // plausible, moving on
        2 => (0u64..3600).prop_map(|d| T0 - d),                // a little behind
        1 => (0u64..1000).prop_map(|d| (T0 + d) * 1000),       // milliseconds
        1 => Just(u64::MAX),
        1 => Just(u64::MAX - 10),
        1 => Just(0u64),
        1 => any::<u64>(),
        1 => (0u64..10).prop_map(|d| T0 + 3 * 86_400 * d),     // big jumps
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => time().prop_map(Step::Timeout),
        4 => (time(), any::<u8>(), any::<bool>()).prop_map(|(t, b, g)| Step::Hear(t, b, g)),
        1 => (time(), prop::collection::vec(any::<u8>(), 0..70)).prop_map(|(t, v)| Step::Raw(t, v)),
        1 => (any::<u64>(), time()).prop_map(|(f, t)| Step::Report(f, t)),
        1 => Just(Step::Flush),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_times_never_panic_and_refusals_change_nothing(
        seed in any::<u64>(),
        steps in prop::collection::vec(step(), 1..60),
    ) {
        let config = TracerConfig {
            schemes: Schemes { gaen: true, bluezone: true },
            log_capacity_bytes: 256 << 10,
            ..TracerConfig::default()
        };
        let mut rng = rand::rngs::ChaCha20Rng::seed_from_u64(seed);
        let mut t = Tracer::in_memory(config, &mut rng).unwrap();
        for s in steps {
            let before_clock = t.clock();
            let before_keys = t.key_storage().bytes().map(<[u8]>::to_vec);
            let before_log = t.log().backend().as_bytes().to_vec();
            let before_ad = t.advertisement().cloned();
            let gaen_id;
            let r = match &s {
                Step::Timeout(at) => t.handle_input(Input::Timeout(UnixTime::from_secs(*at))),
                Step::Hear(at, b, g) => {
                    gaen_id = if *g {
                        Identifier::Gaen(GaenPayload::from_bytes(&[*b; 20]))
                    } else {
                        Identifier::Bluezone(BluezoneId::from_bytes([*b; 12]))
                    };
                    t.handle_input(Input::Received(Received::new(
                        RadioData::Identifier(gaen_id),
                        -(*b as i8 & 0x7F),
                        UnixTime::from_secs(*at),
                    )))
                }
                Step::Raw(at, bytes) => t.handle_input(Input::Received(Received::new(
                    RadioData::AdvertisingData(bytes),
                    -60,
                    UnixTime::from_secs(*at),
                ))),
                Step::Report(from, to) => t
                    .diagnosis_keys(UnixTime::from_secs(*from), UnixTime::from_secs(*to))
                    .map(drop),
                Step::Flush => t.flush(),
            };
            let input_time = match &s {
                Step::Timeout(at) | Step::Hear(at, ..) | Step::Raw(at, _) => Some(*at),
                _ => None,
            };
            if let Some(at) = input_time {
                let in_range = (EARLIEST.as_secs()..LATEST_EXCLUSIVE.as_secs()).contains(&at);
                let near = before_clock.is_none_or(|c| c.as_secs().abs_diff(at) <= 86_400);
                prop_assert_eq!(r.is_ok(), in_range && near, "{:?} at clock {:?}: {:?}", s, before_clock, r);
            }
            if let Some(c) = t.clock() {
                prop_assert!(c >= EARLIEST && c < LATEST_EXCLUSIVE);
            }
            if r.is_err() && !matches!(s, Step::Report(..) | Step::Flush) {
                prop_assert_eq!(t.clock(), before_clock, "{:?}", s);
                prop_assert_eq!(t.key_storage().bytes().map(<[u8]>::to_vec), before_keys);
                prop_assert_eq!(t.log().backend().as_bytes().to_vec(), before_log);
                prop_assert_eq!(t.advertisement().cloned(), before_ad);
            }
            let p = host::poll(&mut t);
            if let Some(clock) = t.clock() {
                prop_assert!(p.timeout.unwrap() >= clock);
            }
            if let Some(a) = t.advertisement() {
                prop_assert!(a.payloads.len() == 2);
            }
        }
    }
}
