//! `proxtrace eval dp3t DIR`: proxtrace's tracer, log and matcher on real phones' radio logs,
//! scored against camera ground truth, beside Google's GAEN on the same phones.

use std::io::{self, Write};
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use proxtrace::calibration::{CalibrationTable, MAX_TABLE_BYTES};
use proxtrace::matching::MatchConfig;
use proxtrace_cli::eval::{self, EvalError, EvalOptions, EvalReport, Source};

use crate::cli::CliError;

#[derive(Debug, Subcommand)]
pub(crate) enum EvalCommand {
    /// DP-3T bt-measurements (experiment 34: 18 phones, six scenarios, camera ground truth).
    Dp3t(Dp3tArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SourceArg {
    /// Every advertising report in the phones' HCI snoop logs (complete).
    Btsnoop,
    /// The scenario databases (drop each RPI first advertised before the scenario).
    Database,
}

#[derive(Debug, Args)]
pub(crate) struct Dp3tArgs {
    /// The experiment folder (e.g. ../shared/fielddata/dp3t-exp34).
    dir: PathBuf,
    /// Google's EN calibration table (CSV: oem,model,rssi correction,tx,has direct
    /// measurement); without it every phone runs the uncalibrated defaults (−24 dBm, −3 dB).
    #[arg(long, value_name = "CSV")]
    calibration: Option<PathBuf>,
    /// Match configuration JSON (as `proxtrace match --config`); default: GAEN v2 daily
    /// summaries (55/63/73 dB, 1.5/1/0.5/0, threshold 900).
    #[arg(long, value_name = "FILE")]
    match_config: Option<PathBuf>,
    /// Where sightings come from.
    #[arg(long, value_enum, default_value = "btsnoop")]
    source: SourceArg,
    /// Also place Google's GAEN ExposureWindows (backend-checks/) on the raw scans and print
    /// GAEN's figures beside proxtrace's, with their paired difference and the conformance.
    #[arg(long)]
    gaen_backend: bool,
    /// Fit `attenuation.offset_db` leave-one-scenario-out (−10…10 dB, added to the
    /// configured one) and score each scenario with the offset fitted on the others.
    #[arg(long)]
    fit_offset: bool,
    /// The phones' and cameras' clock offset from UTC, as +HH:MM, -HH:MM or seconds east of
    /// UTC (experiment 34: Lausanne in summer, +02:00).
    #[arg(long, default_value = "+02:00", value_parser = crate::log::parse_utc_offset, allow_hyphen_values = true)]
    utc_offset: proxtrace::btsnoop::UtcOffset,
    /// Bootstrap resamples for the intervals (1–100 000).
    #[arg(long, default_value_t = 2000)]
    resamples: usize,
    /// Seed of the bootstrap and of the replayed tracers' keys.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print one JSON object instead of `key: value` lines.
    #[arg(long)]
    json: bool,
    /// Write attenuation against distance and the ROC curve to this SVG file.
    #[arg(long, value_name = "OUT.svg")]
    plot: Option<PathBuf>,
}

/// Largest match configuration file read, bytes.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

fn read_bounded(path: &PathBuf, max: u64, flag: &str) -> Result<Vec<u8>, CliError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| CliError::usage(flag, format!("{}: {e}", path.display())))?;
    if meta.len() > max {
        return Err(CliError::usage(
            flag,
            format!("{} is larger than {max} bytes", path.display()),
        ));
    }
    std::fs::read(path).map_err(|e| CliError::usage(flag, format!("{}: {e}", path.display())))
}

pub(crate) fn run(cmd: EvalCommand) -> Result<(), CliError> {
    let EvalCommand::Dp3t(a) = cmd;
    if a.resamples == 0 || a.resamples > 100_000 {
        return Err(CliError::usage("--resamples", "must be from 1 to 100000"));
    }
    let mut o = EvalOptions::new(a.dir.clone());
    if let Some(p) = &a.calibration {
        let bytes = read_bounded(p, MAX_TABLE_BYTES as u64, "--calibration")?;
        o.calibration = Some(
            CalibrationTable::parse(&bytes)
                .map_err(|e| CliError::usage("--calibration", format!("{}: {e}", p.display())))?,
        );
    }
    if let Some(p) = &a.match_config {
        let bytes = read_bounded(p, MAX_CONFIG_BYTES, "--match-config")?;
        let c: MatchConfig = serde_json::from_slice(&bytes)
            .map_err(|e| CliError::usage("--match-config", format!("{}: {e}", p.display())))?;
        c.validate()
            .map_err(|e| CliError::usage("--match-config", format!("{}: {e}", p.display())))?;
        o.match_config = c;
    }
    o.source = match a.source {
        SourceArg::Btsnoop => Source::Btsnoop,
        SourceArg::Database => Source::Database,
    };
    o.gaen_backend = a.gaen_backend;
    o.fit_offset = a.fit_offset;
    o.utc_offset_secs = i64::from(a.utc_offset.as_secs());
    o.resamples = a.resamples;
    o.seed = a.seed;
    if !a.dir.is_dir() {
        return Err(CliError::usage(
            "DIR",
            format!("{} is not a folder", a.dir.display()),
        ));
    }
    let report = eval::run(&o).map_err(|e| match e {
        EvalError::Config(m) => CliError::usage("eval", m),
        other => CliError::failure(other),
    })?;
    if let Some(p) = &a.plot {
        eval::plot::write_svg(p, &report.plot).map_err(CliError::failure)?;
    }
    print(&report, a.json)
}

fn print(r: &EvalReport, json: bool) -> Result<(), CliError> {
    let mut out = io::stdout().lock();
    if json {
        let v = serde_json::to_value(r).map_err(|e| CliError::failure(e.to_string()))?;
        writeln!(out, "{v}")?;
        return Ok(());
    }
    let f = |x: f64| format!("{x:.4}");
    writeln!(out, "source: {}", r.source)?;
    writeln!(out, "scan_auc: {}", f(r.scan_auc))?;
    writeln!(out, "scan_auc_ci_low: {}", f(r.scan_auc_ci_low))?;
    writeln!(out, "scan_auc_ci_high: {}", f(r.scan_auc_ci_high))?;
    writeln!(out, "contact_precision: {}", f(r.contact_precision))?;
    writeln!(out, "contact_recall: {}", f(r.contact_recall))?;
    writeln!(out, "contact_f1: {}", f(r.contact_f1))?;
    writeln!(out, "contact_f1_ci_low: {}", f(r.contact_f1_ci_low))?;
    writeln!(out, "contact_f1_ci_high: {}", f(r.contact_f1_ci_high))?;
    writeln!(out, "contacts: {}", r.contacts)?;
    writeln!(out, "close_contacts: {}", r.close_contacts)?;
    writeln!(out, "true_positives: {}", r.true_positives)?;
    writeln!(out, "false_positives: {}", r.false_positives)?;
    writeln!(out, "false_negatives: {}", r.false_negatives)?;
    writeln!(out, "scan_instances_close: {}", r.scan_instances_close)?;
    writeln!(out, "scan_instances_far: {}", r.scan_instances_far)?;
    writeln!(out, "sightings: {}", r.sightings)?;
    writeln!(out, "scan_instances: {}", r.scan_instances)?;
    writeln!(
        out,
        "unmatched_scan_instances: {}",
        r.unmatched_scan_instances
    )?;
    if let Some(d) = &r.fitted_offsets_db {
        let s: Vec<String> = d.iter().map(i8::to_string).collect();
        writeln!(out, "fitted_offsets_db: {}", s.join(","))?;
    }
    if let Some(g) = &r.gaen {
        writeln!(out, "gaen_contacts: {}", g.gaen_contacts)?;
        writeln!(out, "gaen_close_contacts: {}", g.gaen_close_contacts)?;
        writeln!(
            out,
            "gaen_contact_precision: {}",
            f(g.gaen_contact_precision)
        )?;
        writeln!(out, "gaen_contact_recall: {}", f(g.gaen_contact_recall))?;
        writeln!(out, "gaen_contact_f1: {}", f(g.gaen_contact_f1))?;
        writeln!(
            out,
            "gaen_contact_f1_ci_low: {}",
            f(g.gaen_contact_f1_ci_low)
        )?;
        writeln!(
            out,
            "gaen_contact_f1_ci_high: {}",
            f(g.gaen_contact_f1_ci_high)
        )?;
        writeln!(
            out,
            "contact_f1_on_gaen_contacts: {}",
            f(g.contact_f1_on_gaen_contacts)
        )?;
        writeln!(out, "contact_f1_minus_gaen: {}", f(g.contact_f1_minus_gaen))?;
        writeln!(
            out,
            "contact_f1_minus_gaen_ci_low: {}",
            f(g.contact_f1_minus_gaen_ci_low)
        )?;
        writeln!(
            out,
            "contact_f1_minus_gaen_ci_high: {}",
            f(g.contact_f1_minus_gaen_ci_high)
        )?;
        writeln!(
            out,
            "conformance_within_1db: {}",
            f(g.conformance_within_1db)
        )?;
        writeln!(
            out,
            "conformance_scan_instances: {}",
            g.conformance_scan_instances
        )?;
        writeln!(out, "gaen_windows: {}", g.gaen_windows)?;
        writeln!(out, "gaen_windows_placed: {}", g.gaen_windows_placed)?;
    }
    for s in &r.scenarios {
        let c = &s.confusion;
        writeln!(
            out,
            "{}: {} pairs, {} contacts, TP {} FP {} FN {}, F1 {}",
            s.name,
            s.contacts,
            s.close_contacts,
            c.tp,
            c.fp,
            c.fn_,
            f(c.f1())
        )?;
    }
    for p in &r.phones {
        writeln!(
            out,
            "phone_{:02}: {} tx {} dBm, correction {} dB, {} ({}), median logged RSSI {}",
            p.id,
            if p.model.is_empty() { "?" } else { &p.model },
            p.calibration.tx_power_dbm,
            p.calibration.rssi_correction_db,
            p.calibration.confidence,
            p.basis,
            p.median_logged_rssi_dbm
                .map_or_else(|| "none".to_owned(), |m| format!("{m} dBm"))
        )?;
    }
    Ok(())
}
