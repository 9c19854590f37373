//! `proxtrace match`: match published keys (GAEN export files, Bluezone F0 payloads) against
//! an encounter log.

use std::fs::File;
use std::io::{self, BufReader, Write};
use std::path::PathBuf;

use clap::Args;
use proxtrace::matching::{EncounterIndex, Engine, FastEngine, MatchConfig, Matcher};
use proxtrace::published::export::{SkippedKeys, Verification, batch_sets, read_export_from};
use proxtrace::published::f0::parse_f0;
use serde_json::{Value, json};

use crate::cli::CliError;
use crate::export::{Command, batch_problem, export_error_message, trusted_key};
use crate::log::LogDir;

#[derive(Debug, Args)]
pub(crate) struct MatchArgs {
    #[command(flatten)]
    log: LogDir,
    /// GAEN export files (zip, or bare export.bin with --allow-unsigned), in publication order;
    /// repeatable, and several files may follow one flag (a whole batch set).
    #[arg(long = "export", value_name = "FILE", num_args = 1..)]
    exports: Vec<PathBuf>,
    /// Trusted public key: `FILE` (PEM/DER, any key id) or `ID:VERSION:FILE`. Repeatable.
    #[arg(long = "public-key", value_name = "[ID:VERSION:]FILE")]
    public_keys: Vec<String>,
    /// Accept export files without a signature from a trusted key.
    #[arg(long)]
    allow_unsigned: bool,
    /// Refuse an export file with any key entry that cannot be used (by default such keys
    /// are skipped and counted in `skipped_keys`).
    #[arg(long)]
    strict: bool,
    /// Match even when the export files given are not every batch of their batch set
    /// (batch_num 1…batch_size); by default an incomplete set is refused.
    #[arg(long)]
    allow_incomplete_batch: bool,
    /// Bluezone F0 payloads (JSON).
    #[arg(long = "f0", value_name = "FILE")]
    f0: Vec<PathBuf>,
    /// Matching and scoring configuration (JSON; unknown fields are an error).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Threads for the matcher (default: all cores; at most cores × 4).
    #[arg(long)]
    threads: Option<usize>,
    /// Print one JSON object (`exposed`, `exposure_windows`, `daily_summaries`).
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(a: MatchArgs) -> Result<(), CliError> {
    if a.exports.is_empty() && a.f0.is_empty() {
        return Err(CliError::usage(
            "match",
            "give at least one --export or --f0 file",
        ));
    }
    let threads = a
        .threads
        .unwrap_or_else(proxtrace::matching::available_cores)
        .max(1);
    crate::cli::check_threads(threads)?;
    if !a.exports.is_empty() && a.public_keys.is_empty() && !a.allow_unsigned {
        return Err(CliError::usage(
            "--public-key",
            "export files need --public-key (the health authority's key) or --allow-unsigned",
        ));
    }
    let config: MatchConfig = match &a.config {
        Some(p) => {
            let f =
                File::open(p).map_err(|e| CliError::failure(format!("{}: {e}", p.display())))?;
            serde_json::from_reader(BufReader::new(f))
                .map_err(|e| CliError::failure(format!("{}: {e}", p.display())))?
        }
        None => MatchConfig::default(),
    };
    let mut verification = Verification {
        allow_unsigned: a.allow_unsigned,
        strict: a.strict,
        ..Verification::default()
    };
    for spec in &a.public_keys {
        verification.trusted_keys.push(trusted_key(spec)?);
    }
    let mut gaen = Vec::new();
    let mut headers = Vec::new();
    let mut skipped: Vec<(String, SkippedKeys)> = Vec::new();
    for p in &a.exports {
        let f = File::open(p).map_err(|e| CliError::failure(format!("{}: {e}", p.display())))?;
        let file = read_export_from(BufReader::new(f), &verification).map_err(|e| {
            CliError::failure(format!(
                "{}: {}",
                p.display(),
                export_error_message(&e, Command::Match)
            ))
        })?;
        gaen.extend(file.keys);
        gaen.extend(file.revised_keys);
        headers.push(file.header);
        if file.skipped.count > 0 {
            skipped.push((p.display().to_string(), file.skipped));
        }
    }
    let header_refs: Vec<_> = headers.iter().collect();
    if !a.allow_incomplete_batch
        && let Some(p) = batch_sets(&header_refs).iter().find_map(batch_problem)
    {
        return Err(CliError::failure(format!(
            "{p}; pass every file of the batch set, or --allow-incomplete-batch to match what is there"
        )));
    }
    let skipped_total: usize = skipped.iter().map(|(_, s)| s.count).sum();
    let mut bluezone = Vec::new();
    for p in &a.f0 {
        let bytes =
            std::fs::read(p).map_err(|e| CliError::failure(format!("{}: {e}", p.display())))?;
        bluezone.extend(
            parse_f0(&bytes).map_err(|e| CliError::failure(format!("{}: {e}", p.display())))?,
        );
    }
    let log = a.log.open_read()?;
    let mut b = EncounterIndex::builder();
    for r in log.iter() {
        let r = r.map_err(|e| CliError::failure(e.to_string()))?;
        b.push(&r).map_err(|e| CliError::failure(e.to_string()))?;
    }
    let index = b.finish();
    let engine = FastEngine::new(threads, &mut rand::rngs::SysRng)
        .map_err(|e| CliError::failure(e.to_string()))?;
    let matcher = Matcher::new(config)
        .map_err(|e| CliError::failure(e.to_string()))?
        .with_engine(Engine::Fast(engine));
    let result = matcher
        .run(&index, &gaen, &bluezone)
        .map_err(|e| CliError::failure(e.to_string()))?;
    let mut out = io::stdout().lock();
    if a.json {
        let mut v = serde_json::to_value(&result).map_err(|e| CliError::failure(e.to_string()))?;
        if let Value::Object(m) = &mut v {
            m.insert("skipped_keys".into(), json!(skipped_total));
            m.insert("skipped".into(), skipped_json(&skipped));
        }
        writeln!(out, "{v}")?;
        return Ok(());
    }
    writeln!(out, "scan_instances: {}", index.len())?;
    writeln!(out, "gaen_keys: {}", gaen.len())?;
    writeln!(out, "skipped_keys: {skipped_total}")?;
    for (file, s) in &skipped {
        for (kind, n, first) in s.summary() {
            let example = first.map_or_else(String::new, |k| {
                format!(" first=\"{} #{}: {}\"", k.list, k.index, k.problem)
            });
            writeln!(out, "skipped: file={file} kind={kind} count={n}{example}")?;
        }
    }
    writeln!(out, "bluezone_keys: {}", bluezone.len())?;
    writeln!(out, "exposure_windows: {}", result.exposure_windows.len())?;
    for w in &result.exposure_windows {
        let secs: u32 = w
            .scan_instances
            .iter()
            .map(|s| s.seconds_since_last_scan)
            .sum();
        let min_att = w
            .scan_instances
            .iter()
            .map(|s| s.min_attenuation_db)
            .min()
            .unwrap_or(0);
        writeln!(
            out,
            "window: scheme={} date={} start={} end={} scan_instances={} seconds={secs} min_attenuation_db={min_att} weighted_seconds={:.0}",
            w.scheme,
            w.date.as_deref().unwrap_or("-"),
            w.start.as_secs(),
            w.end.as_secs(),
            w.scan_instances.len(),
            w.weighted_duration_secs,
        )?;
    }
    for d in &result.daily_summaries {
        writeln!(
            out,
            "day: date={} score_sum={:.0} maximum_score={:.0} weighted_seconds={:.0} windows={}",
            d.date.as_deref().unwrap_or("-"),
            d.score_sum,
            d.maximum_score,
            d.weighted_duration_sum,
            d.windows
        )?;
    }
    writeln!(
        out,
        "exposed: {}",
        if result.exposed { "yes" } else { "no" }
    )?;
    Ok(())
}

fn skipped_json(skipped: &[(String, SkippedKeys)]) -> Value {
    let rows: Vec<Value> = skipped
        .iter()
        .flat_map(|(file, s)| {
            s.summary().into_iter().map(move |(kind, n, first)| {
                json!({
                    "file": file,
                    "kind": kind,
                    "count": n,
                    "first": first.map(|k| format!("{} #{}: {}", k.list, k.index, k.problem)),
                })
            })
        })
        .collect();
    Value::Array(rows)
}
