//! Memory during a match stays within 64 bytes per logged scan instance: the peak heap growth
//! while indexing the log and running the matcher, measured by a counting global allocator
//! (this test binary's only test, so nothing else allocates meanwhile).

use std::sync::atomic::Ordering::Relaxed;

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::{CURRENT, PEAK};

use proxtrace::identifier::Scheme;
use proxtrace::matching::{EncounterIndex, Engine, FastEngine, MatchConfig, Matcher};
use proxtrace_cli::workload::matching::{Workload, WorkloadSpec};
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;

#[test]
fn match_memory_is_at_most_64_bytes_per_scan_instance() {
    for scheme in [Scheme::Gaen, Scheme::Bluezone] {
        for sightings in [10_000, 60_000] {
            let w = Workload::generate(&WorkloadSpec {
                keys: 2_000,
                sightings,
                ..WorkloadSpec::new(scheme)
            });
            let n = w.records.len();
            for (name, engine) in [
                ("reference", Engine::Reference),
                (
                    "fast, 2 threads",
                    Engine::Fast(FastEngine::new(2, &mut ChaCha20Rng::seed_from_u64(1)).unwrap()),
                ),
            ] {
                let matcher = Matcher::new(MatchConfig::default())
                    .unwrap()
                    .with_engine(engine);
                let base = CURRENT.load(Relaxed);
                PEAK.store(base, Relaxed);
                let index = EncounterIndex::from_records(&w.records).unwrap();
                let result = matcher.run(&index, &w.gaen_keys, &w.bluezone_keys).unwrap();
                let per_instance = (PEAK.load(Relaxed) - base) as f64 / n as f64;
                assert_eq!(result.exposure_windows.len(), w.planted);
                drop((index, result));
                eprintln!(
                    "{scheme} {name}, {n} scan instances: {per_instance:.1} bytes each at peak"
                );
                assert!(
                    per_instance <= 64.0,
                    "{scheme} {name}: {per_instance:.1} bytes per scan instance"
                );
            }
        }
    }
}
