//! `proxtrace`: the command-line front end of the proxtrace library.
//!
//! Every subcommand lives in its own module under `src/cmd/`; what they share with tests and
//! benches (the simulator, workload generators, importers, the export writer) is the
//! `proxtrace_cli` library. Exit status: 0 on
//! success, 1 when the work itself failed (bad file, bad data), 2 for bad arguments.

#[path = "cmd/bench.rs"]
mod bench;
#[path = "cmd/cli.rs"]
mod cli;
#[path = "cmd/eval.rs"]
mod eval;
#[path = "cmd/export.rs"]
mod export;
#[path = "cmd/keys.rs"]
mod keys;
#[path = "cmd/log.rs"]
mod log;
#[path = "cmd/matching.rs"]
mod matching;
#[path = "cmd/simulate.rs"]
mod simulate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Bluetooth proximity contact tracing: GAEN v1.2 and Bluezone v2.
#[derive(Debug, Parser)]
#[command(name = "proxtrace", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a town of phones on a virtual clock and score notifications against ground truth.
    Simulate(simulate::SimulateArgs),
    /// Derive rolling identifiers from daily keys (check vectors by hand or in scripts).
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Match published keys (export files, F0 payloads) against an encounter log.
    Match(matching::MatchArgs),
    /// Write, sign and inspect GAEN export files.
    #[command(subcommand)]
    Export(export::ExportCommand),
    /// Import sightings into an encounter log, print its figures, export it.
    #[command(subcommand)]
    Log(log::LogCommand),
    /// Measure optimised code paths against their straightforward baselines.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Score proxtrace on real phones' radio logs against camera ground truth.
    #[command(subcommand)]
    Eval(eval::EvalCommand),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return cli::clap_error(&e),
    };
    let result = match cli.command {
        Command::Simulate(a) => simulate::run(a),
        Command::Keys(cmd) => keys::run(cmd),
        Command::Bench(cmd) => bench::run(cmd),
        Command::Log(cmd) => log::run(cmd),
        Command::Match(a) => matching::run(a),
        Command::Export(cmd) => export::run(cmd),
        Command::Eval(cmd) => eval::run(cmd),
    };
    cli::finish(result)
}
