//! `proxtrace simulate`: a town of phones on a virtual clock, scored against ground truth.

use std::io::{self, IsTerminal, Write};
use std::time::Instant;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use proxtrace::identifier::Scheme;
use proxtrace_cli::sim::{self, SimConfig};

use crate::cli::CliError;

#[derive(Debug, Args)]
pub(crate) struct SimulateArgs {
    /// People in the town, one phone each.
    #[arg(long, default_value_t = 200)]
    phones: usize,
    /// Days to simulate (1–14); positives report at the end of the last one.
    #[arg(long, default_value_t = 3)]
    days: u32,
    /// Seed: the same seed prints the same figures.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// `gaen` or `bluezone`.
    #[arg(long, default_value = "gaen", value_parser = parse_scheme)]
    scheme: Scheme,
    /// Fraction of people who test positive.
    #[arg(long, default_value_t = 0.05)]
    positive_fraction: f64,
    /// Print one JSON object instead of `key: value` lines.
    #[arg(long)]
    json: bool,
}

fn parse_scheme(s: &str) -> Result<Scheme, String> {
    s.parse()
        .map_err(|e: proxtrace::identifier::UnknownScheme| e.to_string())
}

pub(crate) fn run(a: SimulateArgs) -> Result<(), CliError> {
    let config = SimConfig {
        phones: a.phones,
        days: a.days,
        seed: a.seed,
        scheme: a.scheme,
        positive_fraction: a.positive_fraction,
        ..SimConfig::default()
    };
    let bar = io::stderr().is_terminal().then(|| {
        let b = ProgressBar::new(u64::from(a.days) * 1440);
        b.set_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {percent}% {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        b.set_message("simulating");
        b
    });
    let started = Instant::now();
    let report = sim::run(&config, &mut |done, _| {
        if let Some(b) = &bar
            && done % 60 == 0
        {
            b.set_position(done);
        }
    })
    .map_err(|e| match e {
        sim::SimError::Config(m) => CliError::usage("simulate", m),
        other => CliError::failure(other),
    })?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut out = io::stdout().lock();
    if a.json {
        let mut v = serde_json::to_value(&report).map_err(|e| CliError::failure(e.to_string()))?;
        v["elapsed_seconds"] = serde_json::json!(elapsed);
        writeln!(out, "{v}")?;
        return Ok(());
    }
    let r = &report;
    let ratio = |a: usize, b: usize| {
        if b == 0 {
            "-".to_owned()
        } else {
            format!("{:.3}", a as f64 / b as f64)
        }
    };
    writeln!(out, "scheme: {}", r.scheme)?;
    writeln!(out, "phones: {}", r.phones)?;
    writeln!(out, "days: {}", r.days)?;
    writeln!(out, "seed: {}", r.seed)?;
    writeln!(out, "positives: {}", r.positives)?;
    writeln!(out, "published_keys: {}", r.published_keys)?;
    writeln!(out, "published_bytes: {}", r.published_bytes)?;
    writeln!(out, "advertisements_heard: {}", r.advertisements_heard)?;
    writeln!(out, "scan_instances: {}", r.scan_instances)?;
    writeln!(
        out,
        "log_bytes_per_scan_instance: {:.2}",
        r.log_bytes_per_scan_instance
    )?;
    writeln!(out, "exposed_ground_truth: {}", r.exposed)?;
    writeln!(out, "notified: {}", r.notified)?;
    writeln!(out, "true_positives: {}", r.true_positives)?;
    writeln!(out, "false_positives: {}", r.false_positives)?;
    writeln!(out, "false_negatives: {}", r.false_negatives)?;
    writeln!(out, "true_negatives: {}", r.true_negatives)?;
    writeln!(out, "precision: {}", ratio(r.true_positives, r.notified))?;
    writeln!(out, "recall: {}", ratio(r.true_positives, r.exposed))?;
    writeln!(out, "elapsed_seconds: {elapsed:.1}")?;
    Ok(())
}
