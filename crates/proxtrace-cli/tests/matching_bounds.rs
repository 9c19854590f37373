//! The matcher's resources follow what it is given, not what an attacker can inflate: a
//! published list of one key a million times derives one key, thread counts are bounded by
//! the machine, and a multi-threaded engine starts its pool once, not once per match.

use std::process::Command;

use proxtrace::identifier::Scheme;
use proxtrace::matching::{
    EncounterIndex, Engine, FastEngine, MatchConfig, MatchError, Matcher, max_threads,
    thread_pools_started,
};
use proxtrace_cli::workload::matching::{Workload, WorkloadSpec};
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;

const COPIES: usize = 1_000_000;

fn one_planted_key(scheme: Scheme) -> Workload {
    Workload::generate(&WorkloadSpec {
        keys: 1,
        sightings: 1_000,
        days: 1,
        planted: 1,
        ..WorkloadSpec::new(scheme)
    })
}

fn fast(threads: usize) -> Engine {
    Engine::Fast(FastEngine::new(threads, &mut ChaCha20Rng::seed_from_u64(9)).unwrap())
}

#[test]
fn a_million_copies_of_one_gaen_key_derive_it_once() {
    let w = one_planted_key(Scheme::Gaen);
    let keys = vec![w.gaen_keys[0].clone(); COPIES];
    let index = EncounterIndex::from_records(&w.records).unwrap();
    let matcher = Matcher::new(MatchConfig::default())
        .unwrap()
        .with_engine(fast(1));
    let (result, stats) = matcher.run_with_stats(&index, &keys, &[]).unwrap();
    assert_eq!(stats.gaen_keys_derived, 1);
    // The last copy supersedes the others: one window, attributed to it.
    assert_eq!(result.exposure_windows.len(), 1);
    assert_eq!(result.exposure_windows[0].diagnosis_key_index, COPIES - 1);
}

#[test]
fn a_million_copies_of_one_bluezone_daily_key_walk_it_once() {
    let w = one_planted_key(Scheme::Bluezone);
    let keys = vec![w.bluezone_keys[0].clone(); COPIES];
    let index = EncounterIndex::from_records(&w.records).unwrap();
    let matcher = Matcher::new(MatchConfig::default())
        .unwrap()
        .with_engine(fast(1));
    let (result, stats) = matcher.run_with_stats(&index, &[], &keys).unwrap();
    assert_eq!(stats.bluezone_keys_derived, 1);
    assert_eq!(result.exposure_windows.len(), 1);
    assert_eq!(result.exposure_windows[0].diagnosis_key_index, COPIES - 1);
}

#[test]
fn thread_counts_are_bounded_and_the_pool_is_started_once() {
    // The only test here that builds multi-threaded engines, so the pool counter is its own.
    let limit = max_threads();
    match FastEngine::new(limit + 1, &mut ChaCha20Rng::seed_from_u64(1)) {
        Err(MatchError::TooManyThreads {
            requested,
            limit: l,
        }) => {
            assert_eq!((requested, l), (limit + 1, limit));
        }
        other => panic!("expected TooManyThreads, got {other:?}"),
    }
    assert!(FastEngine::new(usize::MAX, &mut ChaCha20Rng::seed_from_u64(1)).is_err());

    let w = Workload::generate(&WorkloadSpec {
        keys: 3_000,
        sightings: 1_000,
        ..WorkloadSpec::new(Scheme::Gaen)
    });
    let index = EncounterIndex::from_records(&w.records).unwrap();
    let before = thread_pools_started();
    let matcher = Matcher::new(MatchConfig::default())
        .unwrap()
        .with_engine(fast(2));
    let first = matcher.run(&index, &w.gaen_keys, &[]).unwrap();
    for _ in 0..5 {
        assert_eq!(matcher.run(&index, &w.gaen_keys, &[]).unwrap(), first);
    }
    let clone = matcher.clone();
    assert_eq!(clone.run(&index, &w.gaen_keys, &[]).unwrap(), first);
    assert_eq!(thread_pools_started() - before, 1);
    assert_eq!(first.exposure_windows.len(), w.planted);
}

fn bench(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_proxtrace"))
        .args(["bench", "match"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn cli_rejects_too_many_threads_and_oversized_benches() {
    let too_many = (max_threads() + 1).to_string();
    let (code, err) = bench(&["--threads", &too_many]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&format!("at most {}", max_threads())), "{err}");
    let (code, err) = bench(&["--keys", "10000001"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("at most 10000000"), "{err}");
    let (code, err) = bench(&["--sightings", "10000001"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("at most 10000000"), "{err}");
    // `match` checks its --threads before it reads a file: a missing log is not reached.
    let d = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_proxtrace"))
        .current_dir(d.path())
        .args(["match", "--log", "missing.ptlog", "--f0", "missing.json"])
        .args(["--threads", &too_many])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(&format!("at most {}", max_threads())), "{err}");
}
