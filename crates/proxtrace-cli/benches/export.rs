//! Export files: parse + verify throughput for a 100 000-key signed export, and the whole
//! path a phone runs (parse + verify + match against a 10 000-record log, fast matcher).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use proxtrace::identifier::Scheme;
use proxtrace::matching::{EncounterIndex, Engine, FastEngine, MatchConfig, Matcher};
use proxtrace::published::export::{Verification, read_export};
use proxtrace_cli::export_writer::{ExportMeta, Signer, write_export_zip};
use proxtrace_cli::workload::matching::{Workload, WorkloadSpec};
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;
use ring::rand::SystemRandom;

fn export(c: &mut Criterion) {
    let w = Workload::generate(&WorkloadSpec {
        keys: 100_000,
        ..WorkloadSpec::new(Scheme::Gaen)
    });
    let rng = SystemRandom::new();
    let signer =
        Signer::from_pkcs8(&Signer::generate_pkcs8(&rng).unwrap(), "1", "v1", &rng).unwrap();
    let zip = write_export_zip(
        &ExportMeta::covering(&w.gaen_keys, "X"),
        &w.gaen_keys,
        &[],
        &signer,
        &rng,
    )
    .unwrap();
    let trust = Verification::trusting([signer.trusted_key()]);
    let index = EncounterIndex::from_records(&w.records).unwrap();
    let matcher = Matcher::new(MatchConfig::default())
        .unwrap()
        .with_engine(Engine::Fast(
            FastEngine::new(1, &mut ChaCha20Rng::seed_from_u64(1)).unwrap(),
        ));
    let mut g = c.benchmark_group("export");
    g.throughput(Throughput::Elements(w.gaen_keys.len() as u64));
    g.sample_size(10);
    g.bench_function("parse_verify_100k_keys", |b| {
        b.iter(|| black_box(read_export(&zip, &trust).unwrap().keys.len()))
    });
    g.bench_function("parse_verify_match_100k_keys_1_thread", |b| {
        b.iter(|| {
            let f = read_export(&zip, &trust).unwrap();
            black_box(
                matcher
                    .run(&index, &f.keys, &[])
                    .unwrap()
                    .exposure_windows
                    .len(),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, export);
criterion_main!(benches);
