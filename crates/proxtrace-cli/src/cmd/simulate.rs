//! `proxtrace simulate`: a town of people — some with the app — on a virtual clock, scored
//! against ground truth; adoption sweeps with a plot, mixed populations, a relay attack.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use proxtrace::identifier::Scheme;
use proxtrace_cli::sim::{self, Relay, SchemeMix, SimConfig, SimReport, SweepReport, Timings};

use crate::cli::CliError;

#[derive(Debug, Args)]
pub(crate) struct SimulateArgs {
    /// People in the town (2–250 000; Đức Huệ district: 66219). `--phones` is the same
    /// number: with the default adoption everyone has a phone running the app.
    #[arg(long, visible_alias = "phones", default_value_t = 200)]
    people: usize,
    /// Days to simulate (1–14); positives report at the end of the last one.
    #[arg(long, default_value_t = 3)]
    days: u32,
    /// Seed: the same seed prints the same figures.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// `gaen` or `bluezone` (every phone; see `--scheme-mix`).
    #[arg(long, default_value = "gaen", value_parser = parse_scheme)]
    scheme: Scheme,
    /// Fraction of people who test positive (with the app or not).
    #[arg(long, default_value_t = 0.05)]
    positive_fraction: f64,
    /// Fraction of people whose phone runs the app (0–1).
    #[arg(long, default_value_t = 1.0)]
    adoption: f64,
    /// Fraction of public-sector staff with the app; the rest of the town makes up
    /// `--adoption` (Đức Huệ, August 2020: 0.7167 of staff, 0.083 overall).
    #[arg(long)]
    adoption_public_sector: Option<f64>,
    /// How much installs cluster in households: 0 independent, 1 whole families.
    #[arg(long, default_value_t = 0.5)]
    household_clustering: f64,
    /// Score these adoption rates (comma-separated) on one run of the town and print one row
    /// each, e.g. 0.0754,0.083,0.3,0.6,1.0.
    #[arg(long, value_delimiter = ',', num_args = 1..)]
    sweep_adoption: Option<Vec<f64>>,
    /// Draw the sweep (share of close contacts notified against adoption, with adoption²)
    /// into this SVG file.
    #[arg(long, requires = "sweep_adoption")]
    plot: Option<PathBuf>,
    /// Fraction of phones that are iPhones (GAEN works in the background; Bluezone is read
    /// over GATT, and fails between two iPhones in the background).
    #[arg(long, default_value_t = 0.0)]
    ios_share: f64,
    /// Shares of the schemes, e.g. bluezone=0.5,gaen=0.3,both=0.2 (instead of `--scheme`);
    /// results are reported per pair type.
    #[arg(long, value_parser = parse_mix)]
    scheme_mix: Option<SchemeMix>,
    /// Relay every advertisement heard at place FROM to place TO (e.g. market:office.2;
    /// kinds: home, school, work, field, office, market, bus). Runs the town without and
    /// with the relay and reports the false notifications it causes.
    #[arg(long, value_parser = parse_relay, conflicts_with = "sweep_adoption")]
    relay: Option<Relay>,
    /// Seconds between hearing and rebroadcasting (0–86400; rounded up to minutes).
    #[arg(long, requires = "relay", default_value_t = 0)]
    relay_delay: u32,
    /// Match with the stricter windows (RPIs within −10/+30 minutes, 15 minutes per key).
    #[arg(long)]
    strict_windows: bool,
    /// Print one JSON object instead of `key: value` lines.
    #[arg(long)]
    json: bool,
}

fn parse_scheme(s: &str) -> Result<Scheme, String> {
    s.parse()
        .map_err(|e: proxtrace::identifier::UnknownScheme| e.to_string())
}

fn parse_mix(s: &str) -> Result<SchemeMix, String> {
    s.parse()
}

fn parse_relay(s: &str) -> Result<Relay, String> {
    s.parse()
}

fn progress_bar() -> Option<ProgressBar> {
    io::stderr().is_terminal().then(|| {
        let b = ProgressBar::new(1);
        b.set_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {percent}% {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        b.set_message("simulating");
        b
    })
}

pub(crate) fn run(a: SimulateArgs) -> Result<(), CliError> {
    let config = SimConfig {
        people: a.people,
        days: a.days,
        seed: a.seed,
        scheme: a.scheme,
        positive_fraction: a.positive_fraction,
        adoption: a.adoption,
        adoption_public_sector: a.adoption_public_sector,
        household_clustering: a.household_clustering,
        ios_share: a.ios_share,
        scheme_mix: a.scheme_mix,
        relay: a.relay.map(|r| Relay {
            delay_secs: a.relay_delay,
            ..r
        }),
        strict_windows: a.strict_windows,
        ..SimConfig::default()
    };
    let bar = progress_bar();
    let mut progress = |done: u64, total: u64| {
        if let Some(b) = &bar
            && done.is_multiple_of(60)
        {
            b.set_length(total);
            b.set_position(done);
        }
    };
    let started = Instant::now();
    let err = |e: sim::SimError| match e {
        sim::SimError::Config(m) => CliError::usage("simulate", m),
        other => CliError::failure(other),
    };
    let mut out = io::stdout().lock();
    if let Some(rates) = &a.sweep_adoption {
        let report = sim::sweep(&config, rates, &mut progress).map_err(err)?;
        if let Some(b) = &bar {
            b.finish_and_clear();
        }
        if let Some(path) = &a.plot {
            sim::plot::plot_sweep(&report, path).map_err(CliError::failure)?;
        }
        let elapsed = started.elapsed().as_secs_f64();
        return print_sweep(&mut out, &report, a.json, elapsed);
    }
    let report = sim::run(&config, &mut progress).map_err(err)?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let elapsed = started.elapsed().as_secs_f64();
    print_report(&mut out, &report, a.json, elapsed)
}

fn ratio(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| format!("{v:.3}"))
}

fn ratio4(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| format!("{v:.4}"))
}

fn json_line(out: &mut impl Write, v: impl serde::Serialize, elapsed: f64) -> Result<(), CliError> {
    let mut v = serde_json::to_value(v).map_err(|e| CliError::failure(e.to_string()))?;
    v["elapsed_seconds"] = serde_json::json!(elapsed);
    writeln!(out, "{v}")?;
    Ok(())
}

fn print_report(
    out: &mut impl Write,
    r: &SimReport,
    json: bool,
    elapsed: f64,
) -> Result<(), CliError> {
    if json {
        return json_line(out, r, elapsed);
    }
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
    writeln!(out, "precision: {}", ratio(r.precision))?;
    writeln!(out, "recall: {}", ratio(r.recall))?;
    writeln!(out, "people: {}", r.people)?;
    writeln!(out, "households: {}", r.households)?;
    writeln!(out, "communes: {}", r.communes)?;
    let places: Vec<String> = r.places.iter().map(|(k, n)| format!("{k} {n}")).collect();
    writeln!(out, "places: {}", places.join(", "))?;
    writeln!(out, "adoption: {}", r.adoption)?;
    if let Some(s) = r.adoption_public_sector {
        writeln!(out, "adoption_public_sector: {s:.4}")?;
    }
    writeln!(out, "positives_all: {}", r.positives_all)?;
    writeln!(out, "close_contacts_all: {}", r.close_contacts_all)?;
    writeln!(
        out,
        "close_contacts_both_installed: {}",
        r.close_contacts_both_installed
    )?;
    writeln!(
        out,
        "notified_close_contacts: {}",
        r.notified_close_contacts
    )?;
    writeln!(out, "notified_of_all: {}", ratio4(r.notified_of_all))?;
    writeln!(
        out,
        "notified_of_both_installed: {}",
        ratio4(r.notified_of_both_installed)
    )?;
    if r.full_logs > 0 {
        writeln!(out, "full_logs: {}", r.full_logs)?;
    }
    if r.strict_windows {
        writeln!(out, "strict_windows: true")?;
    }
    if r.gatt_reads > 0 {
        writeln!(out, "gatt_reads: {}", r.gatt_reads)?;
    }
    if r.pair_types.len() > 1 {
        for t in &r.pair_types {
            writeln!(
                out,
                "pair {} <- {}: close_contacts {} notified {} recall {} false_notifications {}",
                t.receiver,
                t.sender,
                t.close_contacts,
                t.notified,
                ratio(t.recall),
                t.false_notifications
            )?;
        }
    }
    if let Some(relay) = &r.relay {
        writeln!(out, "relay: {} -> {}", relay.from, relay.to)?;
        writeln!(out, "relay_delay_seconds: {}", relay.delay_secs)?;
        writeln!(out, "relayed_packets: {}", relay.relayed_packets)?;
        writeln!(
            out,
            "relay_false_notifications: {}",
            relay.false_notifications
        )?;
        writeln!(
            out,
            "relay_false_notifications_strict: {}",
            relay.false_notifications_strict
        )?;
        writeln!(out, "strict_reduction: {}", ratio(relay.strict_reduction))?;
        writeln!(out, "recall_default_windows: {}", ratio(relay.recall))?;
        writeln!(out, "recall_strict_windows: {}", ratio(relay.strict_recall))?;
        writeln!(
            out,
            "strict_recall_cost: {}",
            ratio(relay.strict_recall_cost)
        )?;
    }
    elapsed_line(out, elapsed, r.timings)
}

fn print_sweep(
    out: &mut impl Write,
    r: &SweepReport,
    json: bool,
    elapsed: f64,
) -> Result<(), CliError> {
    if json {
        return json_line(out, r, elapsed);
    }
    writeln!(out, "scheme: {}", r.scheme)?;
    writeln!(out, "people: {}", r.people)?;
    writeln!(out, "days: {}", r.days)?;
    writeln!(out, "seed: {}", r.seed)?;
    writeln!(out, "household_clustering: {}", r.household_clustering)?;
    writeln!(out, "positives_all: {}", r.positives_all)?;
    writeln!(out, "close_contacts_all: {}", r.close_contacts_all)?;
    writeln!(
        out,
        "{:>9} {:>8} {:>9} {:>13} {:>8} {:>15} {:>16} {:>9} {:>9} {:>7}",
        "adoption",
        "phones",
        "positives",
        "both_installed",
        "notified",
        "notified_of_all",
        "adoption_squared",
        "of_both",
        "precision",
        "recall"
    )?;
    for row in &r.sweep {
        writeln!(
            out,
            "{:>9} {:>8} {:>9} {:>13} {:>8} {:>15} {:>16.4} {:>9} {:>9} {:>7}",
            row.adoption,
            row.phones,
            row.positives,
            row.close_contacts_both_installed,
            row.notified_close_contacts,
            ratio4(row.notified_of_all),
            row.adoption_squared,
            ratio(row.notified_of_both_installed),
            ratio(row.precision),
            ratio(row.recall),
        )?;
    }
    elapsed_line(out, elapsed, r.timings)
}

fn elapsed_line(out: &mut impl Write, elapsed: f64, t: Timings) -> Result<(), CliError> {
    writeln!(
        out,
        "elapsed_seconds: {elapsed:.1} (simulate {:.1}, match {:.1})",
        t.simulate, t.matching
    )?;
    Ok(())
}
