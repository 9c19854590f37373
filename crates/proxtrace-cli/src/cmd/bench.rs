//! `proxtrace bench`: measure the optimised code beside its straightforward baseline in one
//! run, and print ratios (machines are shared and noisy; absolute times are not the point).

use std::hint::black_box;
use std::io::{self, Write};
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use proxtrace::identifier::Scheme;
use proxtrace::matching::{
    EncounterIndex, Engine, FastEngine, MatchConfig, MatchResult, Matcher, fast_lookup_bytes,
};
use proxtrace_cli::workload::matching::{Workload, WorkloadSpec};

use proxtrace::log::{EncounterLog, LogOptions, MemoryBackend};
use proxtrace::sighting::ScanAggregate;
use proxtrace::time::UtcDay;
use proxtrace_cli::workload::log::{commuter_day, crowded_day};

use crate::cli::CliError;

#[derive(Debug, Subcommand)]
pub(crate) enum BenchCommand {
    /// Reference matcher vs fast matcher on a synthetic workload; last line `speedup: X`.
    Match(MatchArgs),
    /// Encounter log bytes per scan-instance on realistic days, beside a fixed-size record.
    Log(LogArgs),
}

#[derive(Debug, Args)]
pub(crate) struct LogArgs {
    /// Days of records (each generated from its own seed).
    #[arg(long, default_value_t = 14)]
    days: u32,
    /// Workload generator seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

#[derive(Debug, Args)]
pub(crate) struct MatchArgs {
    /// Published keys, spread over 14 days (at most 10 000 000).
    #[arg(long, default_value_t = 100_000)]
    keys: usize,
    /// Logged scan instances over the same 14 days (plus a few planted encounters; at most
    /// 10 000 000).
    #[arg(long, default_value_t = 10_000)]
    sightings: usize,
    /// Threads for the fast matcher (the reference matcher is single-threaded; at most cores × 4).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// `gaen` or `bluezone`.
    #[arg(long, default_value = "gaen", value_parser = parse_scheme)]
    scheme: Scheme,
    /// Runs of each matcher, interleaved; the fastest of each counts.
    #[arg(long, default_value_t = 3)]
    repeat: u32,
    /// Workload generator seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

fn parse_scheme(s: &str) -> Result<Scheme, String> {
    s.parse()
        .map_err(|e: proxtrace::identifier::UnknownScheme| e.to_string())
}

pub(crate) fn run(cmd: BenchCommand) -> Result<(), CliError> {
    match cmd {
        BenchCommand::Match(a) => bench_match(&a),
        BenchCommand::Log(a) => bench_log(&a),
    }
}

fn timed(
    f: impl FnOnce() -> Result<MatchResult, CliError>,
) -> Result<(Duration, MatchResult), CliError> {
    let t = Instant::now();
    let r = f()?;
    Ok((t.elapsed(), black_box(r)))
}

/// The most `--keys` `bench match` generates (the workload and the reference matcher's set grow
/// with it; 10 million keys is about 1 GB).
pub(crate) const MAX_BENCH_KEYS: usize = 10_000_000;
/// The most `--sightings` `bench match` generates.
pub(crate) const MAX_BENCH_SIGHTINGS: usize = 10_000_000;

fn bench_match(a: &MatchArgs) -> Result<(), CliError> {
    if a.threads == 0 {
        return Err(CliError::usage("--threads", "must be at least 1"));
    }
    crate::cli::check_threads(a.threads)?;
    if a.keys > MAX_BENCH_KEYS {
        return Err(CliError::usage(
            "--keys",
            format!("at most {MAX_BENCH_KEYS}"),
        ));
    }
    if a.sightings > MAX_BENCH_SIGHTINGS {
        return Err(CliError::usage(
            "--sightings",
            format!("at most {MAX_BENCH_SIGHTINGS}"),
        ));
    }
    if a.repeat == 0 {
        return Err(CliError::usage("--repeat", "must be at least 1"));
    }
    let mut out = io::stdout().lock();
    let spec = WorkloadSpec {
        keys: a.keys,
        sightings: a.sightings,
        seed: a.seed,
        ..WorkloadSpec::new(a.scheme)
    };
    let w = Workload::generate(&spec);
    let config = MatchConfig::default();
    let t = Instant::now();
    let index = EncounterIndex::from_records(&w.records).map_err(CliError::failure)?;
    let index_time = t.elapsed();
    let bytes = index.heap_bytes() + fast_lookup_bytes(&index, &config);

    let mut rng = rand::rngs::SysRng;
    let matcher = |engine: Engine| {
        Matcher::new(config.clone())
            .map(|m| m.with_engine(engine))
            .map_err(CliError::failure)
    };
    let reference = matcher(Engine::Reference)?;
    let mut fast_engine = |threads| {
        FastEngine::new(threads, &mut rng)
            .map(Engine::Fast)
            .map_err(CliError::failure)
    };
    let fast1 = matcher(fast_engine(1)?)?;
    let fast_n = matcher(fast_engine(a.threads)?)?;
    let run = |m: &Matcher| {
        timed(|| {
            m.run(&index, &w.gaen_keys, &w.bluezone_keys)
                .map_err(CliError::failure)
        })
    };

    let (mut best_ref, mut best_fast1, mut best_fast_n) =
        (Duration::MAX, Duration::MAX, Duration::MAX);
    let mut results = Vec::new();
    for _ in 0..a.repeat {
        let (d, r) = run(&reference)?;
        best_ref = best_ref.min(d);
        results.push(r);
        let (d, r) = run(&fast1)?;
        best_fast1 = best_fast1.min(d);
        results.push(r);
        if a.threads > 1 {
            let (d, r) = run(&fast_n)?;
            best_fast_n = best_fast_n.min(d);
            results.push(r);
        }
    }
    let identical = results.windows(2).all(|p| p[0] == p[1]);
    let windows = results.first().map_or(0, |r| r.exposure_windows.len());
    let per_sec = |d: Duration| a.keys as f64 / d.as_secs_f64().max(1e-9);

    writeln!(out, "scheme: {}", a.scheme)?;
    writeln!(out, "keys: {}", a.keys)?;
    writeln!(out, "sightings: {}", w.records.len())?;
    writeln!(out, "planted_encounters: {}", w.planted)?;
    writeln!(out, "exposure_windows: {windows}")?;
    writeln!(out, "results_identical: {identical}")?;
    writeln!(out, "threads: {}", a.threads)?;
    writeln!(out, "index_build_ms: {:.1}", index_time.as_secs_f64() * 1e3)?;
    writeln!(
        out,
        "match_memory_bytes_per_scan_instance: {:.1}",
        bytes as f64 / w.records.len().max(1) as f64
    )?;
    writeln!(out, "reference_keys_per_sec: {:.0}", per_sec(best_ref))?;
    writeln!(
        out,
        "reference_ns_per_key: {:.0}",
        best_ref.as_nanos() as f64 / a.keys.max(1) as f64
    )?;
    writeln!(
        out,
        "fast_1_thread_keys_per_sec: {:.0}",
        per_sec(best_fast1)
    )?;
    writeln!(
        out,
        "fast_1_thread_ns_per_key: {:.0}",
        best_fast1.as_nanos() as f64 / a.keys.max(1) as f64
    )?;
    let best = if a.threads > 1 {
        writeln!(
            out,
            "fast_{}_threads_keys_per_sec: {:.0}",
            a.threads,
            per_sec(best_fast_n)
        )?;
        writeln!(
            out,
            "thread_scaling: {:.2}",
            best_fast1.as_secs_f64() / best_fast_n.as_secs_f64().max(1e-12)
        )?;
        best_fast_n
    } else {
        best_fast1
    };
    writeln!(
        out,
        "speedup: {:.2}",
        best_ref.as_secs_f64() / best.as_secs_f64().max(1e-12)
    )?;
    if !identical {
        return Err(CliError::failure(
            "the fast matcher's results differ from the reference matcher's (a bug: please report it)",
        ));
    }
    Ok(())
}

/// Bytes of a straightforward fixed-size record: identifier, first and last seen (u64 each),
/// count (u32), two RSSIs, TX power and a CRC32.
fn fixed_record_bytes(r: &ScanAggregate) -> usize {
    let id = match r.identifier.scheme() {
        Scheme::Gaen => 20,
        Scheme::Bluezone => 12,
    };
    id + 8 + 8 + 4 + 3 + 4
}

fn bench_log(a: &LogArgs) -> Result<(), CliError> {
    if a.days == 0 {
        return Err(CliError::usage("--days", "must be at least 1"));
    }
    let mut out = io::stdout().lock();
    let day0 = 20_400u32;
    let now = UtcDay::new(day0 + a.days).start();
    writeln!(out, "days: {}", a.days)?;
    let mut iter_rate = 0.0f64;
    for scheme in [Scheme::Gaen, Scheme::Bluezone] {
        for (name, make) in [
            (
                "commuter",
                commuter_day as fn(UtcDay, Scheme, u64) -> Vec<ScanAggregate>,
            ),
            ("crowded", crowded_day),
        ] {
            let records: Vec<ScanAggregate> = (0..a.days)
                .flat_map(|d| make(UtcDay::new(day0 + d), scheme, a.seed + u64::from(d)))
                .collect();
            let fixed: usize = records.iter().map(fixed_record_bytes).sum();
            let per = |x: f64| x / records.len().max(1) as f64;
            writeln!(
                out,
                "{scheme}_{name}_scan_instances_per_day: {}",
                records.len() / a.days as usize
            )?;
            writeln!(
                out,
                "{scheme}_{name}_fixed_record_bytes_per_scan_instance: {:.2}",
                per(fixed as f64)
            )?;
            for (policy, every) in [
                ("every_scan", 300u64),
                ("every_15_min", 900),
                ("every_1000_records", 0),
            ] {
                let opts = LogOptions {
                    capacity_bytes: 256 << 20,
                    ..LogOptions::default()
                };
                let mut log = EncounterLog::create(MemoryBackend::new(), opts)
                    .map_err(|e| CliError::failure(e.to_string()))?;
                // As a phone that expired on `now`: older days are dropped on append.
                log.hide_expired(now);
                let mut last_sync_period = None;
                for (i, r) in records.iter().enumerate() {
                    let boundary = match r.first_seen.as_secs().checked_div(every) {
                        None => i % 1000 == 0,
                        Some(p) => {
                            let b = last_sync_period.is_some_and(|l| l != p);
                            last_sync_period = Some(p);
                            b
                        }
                    };
                    if boundary && i > 0 {
                        log.sync().map_err(|e| CliError::failure(e.to_string()))?;
                    }
                    log.append(r)
                        .map_err(|e| CliError::failure(e.to_string()))?;
                }
                log.sync().map_err(|e| CliError::failure(e.to_string()))?;
                let st = log.stats().map_err(|e| CliError::failure(e.to_string()))?;
                let b = st.bytes_per_scan_instance.unwrap_or(f64::NAN);
                writeln!(
                    out,
                    "{scheme}_{name}_log_bytes_per_scan_instance_sync_{policy}: {b:.2}"
                )?;
                if policy == "every_1000_records" && name == "commuter" && scheme == Scheme::Gaen {
                    let t = Instant::now();
                    let mut n = 0u64;
                    for _ in 0..5 {
                        for r in log.iter() {
                            let r = r.map_err(|e| CliError::failure(e.to_string()))?;
                            n += u64::from(black_box(r).count > 0);
                        }
                    }
                    iter_rate = n as f64 / t.elapsed().as_secs_f64().max(1e-9);
                }
            }
        }
    }
    writeln!(out, "iteration_scan_instances_per_sec: {iter_rate:.0}")?;
    Ok(())
}
