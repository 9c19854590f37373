//! Matching throughput: the reference inner loop against the fast one, per scheme, on the
//! synthetic workload of `proxtrace bench match` (keys over 14 days, a 10 000-record log).
//! `proxtrace bench match` prints the same comparison as ratios in one run.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use proxtrace::identifier::Scheme;
use proxtrace::matching::{EncounterIndex, Engine, FastEngine, MatchConfig, Matcher};
use proxtrace_cli::workload::matching::{Workload, WorkloadSpec};
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;

fn matching(c: &mut Criterion) {
    for (scheme, keys) in [(Scheme::Gaen, 20_000), (Scheme::Bluezone, 5_000)] {
        let w = Workload::generate(&WorkloadSpec {
            keys,
            ..WorkloadSpec::new(scheme)
        });
        let index = EncounterIndex::from_records(&w.records).unwrap();
        let mut g = c.benchmark_group(format!("matching/{scheme}"));
        g.throughput(Throughput::Elements(keys as u64));
        g.sample_size(10);
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let engines = [
            ("reference", Engine::Reference),
            (
                "fast_1_thread",
                Engine::Fast(FastEngine::new(1, &mut rng).unwrap()),
            ),
            (
                "fast_2_threads",
                Engine::Fast(FastEngine::new(2, &mut rng).unwrap()),
            ),
            (
                "fast_1_thread_portable_sha256",
                Engine::Fast(FastEngine::new(1, &mut rng).unwrap().portable()),
            ),
        ];
        for (name, engine) in engines {
            let m = Matcher::new(MatchConfig::default())
                .unwrap()
                .with_engine(engine);
            g.bench_function(name, |b| {
                b.iter(|| black_box(m.run(&index, &w.gaen_keys, &w.bluezone_keys).unwrap()))
            });
        }
        g.finish();
    }
}

criterion_group!(benches, matching);
criterion_main!(benches);
