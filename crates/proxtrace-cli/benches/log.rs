//! Encounter log throughput and size: append (memory and file backend, synced every 1 000
//! records), iteration, and bytes per scan-instance on realistic days (printed before the
//! timings; `proxtrace bench log` prints the same figures beside a bincode baseline).

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use proxtrace::identifier::Scheme;
use proxtrace::log::{EncounterLog, FileBackend, LogOptions, MemoryBackend};
use proxtrace::sighting::ScanAggregate;
use proxtrace::time::UtcDay;
use proxtrace_cli::workload::log::{commuter_day, crowded_day};

const DAY0: u32 = 20_400;

fn fortnight(scheme: Scheme) -> Vec<ScanAggregate> {
    (0..14)
        .flat_map(|d| commuter_day(UtcDay::new(DAY0 + d), scheme, u64::from(d)))
        .collect()
}

fn options() -> LogOptions {
    LogOptions {
        capacity_bytes: 64 << 20,
        ..LogOptions::default()
    }
}

fn fill<B: proxtrace::log::StorageBackend>(log: &mut EncounterLog<B>, records: &[ScanAggregate]) {
    for (i, r) in records.iter().enumerate() {
        log.append(r).unwrap();
        if i % 1000 == 999 {
            log.sync().unwrap();
        }
    }
    log.sync().unwrap();
}

fn sizes() {
    for scheme in [Scheme::Gaen, Scheme::Bluezone] {
        for (name, day) in [
            ("commuter", commuter_day(UtcDay::new(DAY0), scheme, 1)),
            ("crowded", crowded_day(UtcDay::new(DAY0), scheme, 1)),
        ] {
            let mut log = EncounterLog::create(MemoryBackend::new(), options()).unwrap();
            fill(&mut log, &day);
            let s = log.stats().unwrap();
            println!(
                "log/size/{scheme}/{name}: {} records, {:.2} bytes per scan-instance (sync every 1000)",
                s.records,
                s.bytes_per_scan_instance.unwrap_or(f64::NAN)
            );
        }
    }
}

fn log(c: &mut Criterion) {
    sizes();
    let records = fortnight(Scheme::Gaen);
    let mut g = c.benchmark_group("log");
    g.throughput(Throughput::Elements(records.len() as u64));
    g.sample_size(10);
    g.bench_function("append/memory", |b| {
        b.iter_batched(
            || EncounterLog::create(MemoryBackend::new(), options()).unwrap(),
            |mut log| {
                fill(&mut log, &records);
                log
            },
            BatchSize::LargeInput,
        )
    });
    let dir = tempfile::tempdir().unwrap();
    g.bench_function("append/file_synced_every_1000", |b| {
        b.iter_batched(
            || {
                let path = dir.path().join("bench.ptlog");
                let _ = std::fs::remove_file(&path);
                let backend = FileBackend::open(&path).unwrap();
                EncounterLog::create(backend, options()).unwrap()
            },
            |mut log| {
                fill(&mut log, &records);
                log
            },
            BatchSize::LargeInput,
        )
    });
    let mut full = EncounterLog::create(MemoryBackend::new(), options()).unwrap();
    fill(&mut full, &records);
    g.bench_function("iterate/memory", |b| {
        b.iter(|| {
            let mut n = 0u64;
            for r in full.iter() {
                n += u64::from(black_box(r.unwrap()).count);
            }
            n
        })
    });
    g.finish();
}

criterion_group!(benches, log);
criterion_main!(benches);
