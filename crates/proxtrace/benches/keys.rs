//! Key schedule costs: one TEK → 144 RPIs, one daily key → 96 Bluezone IDs.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use proxtrace::bluezone::{BluezoneId, DailyKey};
use proxtrace::gaen::{RollingProximityIdentifier, TemporaryExposureKey};
use proxtrace::time::{EnIntervalNumber, UtcDay};

fn gaen(c: &mut Criterion) {
    let mut g = c.benchmark_group("keys/gaen");
    g.throughput(Throughput::Elements(144));
    let tek = TemporaryExposureKey::from_bytes([0x75; 16]);
    let first = EnIntervalNumber::new(2_642_976);
    g.bench_function("tek_to_144_rpis_batched", |b| {
        let mut out = [RollingProximityIdentifier::default(); 144];
        b.iter(|| {
            let rpik = black_box(&tek).rolling_proximity_identifier_key();
            rpik.derive_rpis(first, &mut out).ok();
            black_box(&out);
        })
    });
    g.bench_function("tek_to_144_rpis_one_by_one", |b| {
        b.iter(|| {
            let rpik = black_box(&tek).rolling_proximity_identifier_key();
            for i in 0..144 {
                black_box(
                    rpik.rolling_proximity_identifier(EnIntervalNumber::new(first.get() + i)),
                );
            }
        })
    });
    g.finish();
}

fn bluezone(c: &mut Criterion) {
    let mut g = c.benchmark_group("keys/bluezone");
    g.throughput(Throughput::Elements(96));
    let dk = DailyKey::from_bytes([0x4C; 32], UtcDay::new(18_482));
    g.bench_function("daily_key_to_96_ids", |b| {
        let mut out = [BluezoneId::default(); 96];
        b.iter(|| {
            black_box(&dk).derive_ids(&mut out);
            black_box(&out);
        })
    });
    g.finish();
}

criterion_group!(benches, gaen, bluezone);
criterion_main!(benches);
