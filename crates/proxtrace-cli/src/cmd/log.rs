//! `proxtrace log`: import sightings into an encounter log, print its figures, export it.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use clap::{Args, Subcommand, ValueEnum};
use proxtrace::identifier::Identifier;
use proxtrace::log::{Appended, DEFAULT_CAPACITY, EncounterLog, FileBackend, LogOptions};
use proxtrace::sighting::AggregatorConfig;
use proxtrace::time::UnixTime;
use proxtrace_cli::import::{self, TimestampUnit};

use crate::cli::CliError;

#[derive(Debug, Subcommand)]
pub(crate) enum LogCommand {
    /// Import sightings (CSV or Bluezone's data_trace.txt) as scan-instance records.
    Import(ImportArgs),
    /// Print the log's figures as `key: value` lines.
    Stats(StatsArgs),
    /// Write the retained scan-instance records out.
    Export(ExportArgs),
}

/// Options every log subcommand shares.
#[derive(Debug, Args)]
pub(crate) struct LogDir {
    /// The log directory (created if missing; the log file is `encounters.ptlog`).
    #[arg(long = "log", value_name = "DIR")]
    dir: PathBuf,
    /// Capacity of a new log in bytes (fixed when the log is created).
    #[arg(long, default_value_t = DEFAULT_CAPACITY)]
    capacity_bytes: u64,
    /// Days of records to keep.
    #[arg(long, default_value_t = 14)]
    retention_days: u32,
    /// The current time in unix seconds for retention (default: the system clock). Useful to
    /// look at old logs or import old files.
    #[arg(long, value_name = "UNIX_SECONDS")]
    now: Option<u64>,
}

impl LogDir {
    fn now(&self) -> Result<UnixTime, CliError> {
        match self.now {
            Some(s) => Ok(UnixTime::from_secs(s)),
            None => system_now(),
        }
    }

    pub(crate) fn open(&self) -> Result<EncounterLog<FileBackend>, CliError> {
        let options = LogOptions {
            capacity_bytes: self.capacity_bytes,
            retention_days: self.retention_days,
            ..LogOptions::default()
        };
        EncounterLog::open_dir(&self.dir, options, self.now()?)
            .map_err(|e| CliError::failure(format!("{}: {e}", self.dir.display())))
    }
}

/// The system clock (the CLI is an edge; the library never reads it).
pub(crate) fn system_now() -> Result<UnixTime, CliError> {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|_| CliError::failure("the system clock is before 1970"))?;
    Ok(UnixTime::from_secs(d.as_secs()))
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Format {
    /// Header line; columns unix_time,scheme,id,aem,rssi\[,tx_power\].
    Csv,
    /// Bluezone's export: own_id_hex, contact_id_hex, rssi, timestamp (ms or s), tab-separated.
    BluezoneTsv,
}

#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    #[command(flatten)]
    log: LogDir,
    /// Input format.
    #[arg(long, value_enum)]
    format: Format,
    /// The file to import.
    file: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct StatsArgs {
    #[command(flatten)]
    log: LogDir,
    /// Print one JSON object instead of `key: value` lines.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    #[command(flatten)]
    log: LogDir,
    /// Write CSV (the only format so far; required so that scripts say what they expect).
    #[arg(long, required = true)]
    csv: bool,
    /// Output file (default: standard output).
    #[arg(short, long)]
    output: Option<PathBuf>,
}

pub(crate) fn run(cmd: LogCommand) -> Result<(), CliError> {
    match cmd {
        LogCommand::Import(a) => import_file(&a),
        LogCommand::Stats(a) => stats(&a),
        LogCommand::Export(a) => export(&a),
    }
}

fn open_input(path: &Path) -> Result<BufReader<File>, CliError> {
    File::open(path)
        .map(BufReader::new)
        .map_err(|e| CliError::failure(format!("{}: {e}", path.display())))
}

fn import_file(a: &ImportArgs) -> Result<(), CliError> {
    let input = open_input(&a.file)?;
    let at_line = |e: import::ImportError| CliError::failure(format!("{}:{e}", a.file.display()));
    // Parse and validate the whole file before the log is touched: all or nothing.
    let (sightings, unit) = match a.format {
        Format::Csv => (import::parse_csv(input).map_err(at_line)?, None),
        Format::BluezoneTsv => import::parse_bluezone_tsv(input).map_err(at_line)?,
    };
    let n_sightings = sightings.len();
    let records = import::aggregate(sightings, AggregatorConfig::default());
    let mut log = a.log.open()?;
    if let (Some(newest), Some(first)) = (log.newest(), records.first())
        && first.first_seen < newest
    {
        return Err(CliError::failure(format!(
            "{}: its sightings start at {}, before the newest record already in the log ({newest}); \
             the log is append-only in time order, so import older files first or into a new log",
            a.file.display(),
            first.first_seen
        )));
    }
    let (mut stored, mut expired) = (0u64, 0u64);
    for r in &records {
        match log
            .append(r)
            .map_err(|e| CliError::failure(format!("{e}")))?
        {
            Appended::Stored => stored += 1,
            Appended::Expired => expired += 1,
        }
    }
    log.sync().map_err(|e| CliError::failure(format!("{e}")))?;
    let mut out = io::stdout().lock();
    writeln!(out, "file: {}", a.file.display())?;
    if let Some(unit) = unit {
        let unit = match unit {
            TimestampUnit::Milliseconds => "milliseconds",
            TimestampUnit::Seconds => "seconds",
        };
        writeln!(out, "timestamps: {unit}")?;
    }
    writeln!(out, "sightings: {n_sightings}")?;
    writeln!(out, "scan_instances: {}", records.len())?;
    writeln!(out, "stored: {stored}")?;
    writeln!(out, "expired: {expired}")?;
    Ok(())
}

fn time(t: Option<UnixTime>) -> String {
    t.map_or_else(|| "-".to_owned(), |t| t.as_secs().to_string())
}

fn stats(a: &StatsArgs) -> Result<(), CliError> {
    let log = a.log.open()?;
    let s = log.stats().map_err(|e| CliError::failure(format!("{e}")))?;
    let mut out = io::stdout().lock();
    if a.json {
        let json = serde_json::to_string(&s).map_err(|e| CliError::failure(e.to_string()))?;
        writeln!(out, "{json}")?;
        return Ok(());
    }
    let span = match (s.first_seen, s.last_seen) {
        (Some(f), Some(l)) => l.saturating_secs_since(f).to_string(),
        _ => "0".to_owned(),
    };
    writeln!(out, "records: {}", s.records)?;
    writeln!(out, "distinct_identifiers: {}", s.distinct_identifiers)?;
    writeln!(out, "first_seen: {}", time(s.first_seen))?;
    writeln!(out, "last_seen: {}", time(s.last_seen))?;
    writeln!(out, "time_span_seconds: {span}")?;
    writeln!(out, "bytes_used: {}", s.bytes_used)?;
    writeln!(out, "capacity_bytes: {}", s.capacity_bytes)?;
    match s.bytes_per_scan_instance {
        Some(b) => writeln!(out, "bytes_per_scan_instance: {b:.2}")?,
        None => writeln!(out, "bytes_per_scan_instance: -")?,
    }
    writeln!(out, "live_pages: {}", s.live_pages)?;
    writeln!(out, "page_size: {}", s.page_size)?;
    writeln!(out, "encrypted: {}", s.encrypted)?;
    writeln!(out, "corrupt_skipped: {}", s.corrupt_skipped)?;
    Ok(())
}

fn export(a: &ExportArgs) -> Result<(), CliError> {
    debug_assert!(a.csv);
    let log = a.log.open()?;
    let sink: Box<dyn Write> = match &a.output {
        Some(p) => Box::new(
            File::create(p).map_err(|e| CliError::failure(format!("{}: {e}", p.display())))?,
        ),
        None => Box::new(io::stdout().lock()),
    };
    let mut out = BufWriter::new(sink);
    writeln!(
        out,
        "first_seen,last_seen,scheme,id,aem,count,max_rssi,mean_rssi,tx_power"
    )?;
    for r in log.iter() {
        let r = r.map_err(|e| CliError::failure(format!("{e}")))?;
        let (id, aem) = match &r.identifier {
            Identifier::Gaen(p) => (hex::encode(p.rpi.as_bytes()), hex::encode(p.aem.as_bytes())),
            Identifier::Bluezone(b) => (hex::encode(b.as_bytes()), String::new()),
        };
        let tx = r.tx_power.map(|t| t.to_string()).unwrap_or_default();
        writeln!(
            out,
            "{},{},{},{id},{aem},{},{},{},{tx}",
            r.first_seen.as_secs(),
            r.last_seen.as_secs(),
            r.identifier.scheme(),
            r.count,
            r.max_rssi,
            r.mean_rssi,
        )?;
    }
    out.flush()?;
    Ok(())
}
