//! `proxtrace log`: import sightings into an encounter log, print its figures, export it.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use clap::{Args, Subcommand, ValueEnum};
use proxtrace::btsnoop::UtcOffset;
use proxtrace::identifier::Identifier;
use proxtrace::log::{
    Appended, DEFAULT_CAPACITY, EncounterLog, FileBackend, ImportId, LOG_FILE, LogError,
    LogOptions, MAX_CAPACITY,
};
use proxtrace::sighting::AggregatorConfig;
use proxtrace::storage_key::StorageKey;
use proxtrace::time::UnixTime;
use proxtrace_cli::import::{self, RunError, TimestampUnit};

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
    /// The log directory (the log file is `encounters.ptlog`), or the log file itself.
    /// `log import` creates it if missing; read commands (`log stats`, `log export`,
    /// `match`) never create or change anything and fail if it is missing.
    #[arg(long = "log", value_name = "DIR")]
    dir: PathBuf,
    /// Capacity of a new log in bytes (fixed when the log is created; at most 256 MiB).
    #[arg(long, default_value_t = DEFAULT_CAPACITY,
          value_parser = clap::value_parser!(u64).range(..=MAX_CAPACITY))]
    capacity_bytes: u64,
    /// Days of records to keep (at least 1).
    #[arg(long, default_value_t = 14, value_parser = clap::value_parser!(u32).range(1..))]
    retention_days: u32,
    /// The current time in unix seconds. `log import` deletes records older than the
    /// retention at this time (default: the system clock); read commands only hide them
    /// (default: show every stored record).
    #[arg(long, value_name = "UNIX_SECONDS")]
    now: Option<u64>,
    /// A file holding the 32-byte storage key as 64 hex digits (the tracer's `storage_key`):
    /// the log is sealed with it (ChaCha20-Poly1305). Needed to read a sealed log; a new log
    /// created with it is sealed.
    #[arg(long, value_name = "FILE")]
    storage_key_file: Option<PathBuf>,
}

/// An error with its causes, as one line.
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !msg.contains(&text) {
            msg.push_str(": ");
            msg.push_str(&text);
        }
        cause = c.source();
    }
    msg
}

impl LogDir {
    fn now(&self) -> Result<UnixTime, CliError> {
        match self.now {
            Some(s) => Ok(UnixTime::from_secs(s)),
            None => system_now(),
        }
    }

    fn options(&self) -> Result<LogOptions, CliError> {
        let encryption = match &self.storage_key_file {
            None => None,
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| CliError::failure(format!("{}: {e}", path.display())))?;
                let key = StorageKey::from_hex(text.trim()).map_err(|e| {
                    CliError::usage("--storage-key-file", format!("{}: {e}", path.display()))
                })?;
                Some(
                    key.log_encryption(&mut rand::rngs::SysRng)
                        .map_err(|e| CliError::failure(chain(&e)))?,
                )
            }
        };
        Ok(LogOptions {
            capacity_bytes: self.capacity_bytes,
            retention_days: self.retention_days,
            encryption,
            ..LogOptions::default()
        })
    }

    /// The log file: `--log` itself when it names a file, else `encounters.ptlog` in it.
    fn file(&self) -> PathBuf {
        if self.dir.is_file() {
            self.dir.clone()
        } else {
            self.dir.join(LOG_FILE)
        }
    }

    fn fail(&self, e: &LogError) -> CliError {
        match e {
            // These name the file already.
            LogError::NotFound { .. } | LogError::Busy { .. } | LogError::Open { .. } => {
                CliError::failure(chain(e))
            }
            _ => CliError::failure(format!("{}: {}", self.file().display(), chain(e))),
        }
    }

    /// Open for writing (exclusive lock), creating the directory and the log if missing.
    /// Nothing expires here: writers call `expire` themselves.
    fn open_write(&self) -> Result<EncounterLog<FileBackend>, CliError> {
        let options = self.options()?;
        let r = if self.dir.is_file() {
            FileBackend::open(&self.dir).and_then(|b| EncounterLog::open_or_create(b, options))
        } else {
            EncounterLog::open_dir(&self.dir, options)
        };
        r.map_err(|e| self.fail(&e))
    }

    /// Open read-only (shared lock): never creates, expires, repairs or writes anything. With
    /// `--now`, records past the retention at that time are hidden.
    pub(crate) fn open_read(&self) -> Result<EncounterLog<FileBackend>, CliError> {
        let options = self.options()?;
        let mut log = FileBackend::open_read_only(&self.file())
            .and_then(|b| EncounterLog::open_read_only(b, options))
            .map_err(|e| self.fail(&e))?;
        if let Some(now) = self.now {
            log.hide_expired(UnixTime::from_secs(now));
        }
        Ok(log)
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
    /// An Android HCI snoop log (btsnoop_hci.log): every received GAEN or Bluezone
    /// advertisement with its RSSI. Needs --utc-offset (the log is in the phone's local time).
    Btsnoop,
}

#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    #[command(flatten)]
    log: LogDir,
    /// Input format.
    #[arg(long, value_enum)]
    format: Format,
    /// For btsnoop: the phone's offset from UTC when it wrote the log, as +HH:MM, -HH:MM or
    /// seconds east of UTC (e.g. +02:00 or 7200 for UTC+2).
    #[arg(long, value_parser = parse_utc_offset, allow_hyphen_values = true)]
    utc_offset: Option<UtcOffset>,
    /// The file to import.
    file: PathBuf,
}

/// `+HH:MM`, `-HH:MM`, `HH:MM` or whole seconds east of UTC.
pub(crate) fn parse_utc_offset(s: &str) -> Result<UtcOffset, String> {
    let secs: i64 = if let Some((h, m)) = s.split_once(':') {
        let neg = h.starts_with('-');
        let h: i64 = h
            .trim_start_matches(['+', '-'])
            .parse()
            .map_err(|_| format!("{s:?} is not +HH:MM"))?;
        let m: i64 = m.parse().map_err(|_| format!("{s:?} is not +HH:MM"))?;
        if m >= 60 {
            return Err(format!("{s:?}: minutes must be below 60"));
        }
        let v = h * 3600 + m * 60;
        if neg { -v } else { v }
    } else {
        s.parse()
            .map_err(|_| format!("{s:?} is neither +HH:MM nor a number of seconds"))?
    };
    UtcOffset::from_secs(secs).map_err(|e| e.to_string())
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

fn open_input(path: &Path) -> Result<File, CliError> {
    File::open(path).map_err(|e| CliError::failure(format!("{}: {e}", path.display())))
}

/// Import a file all or nothing: a first pass checks every row (nothing is touched if one is
/// bad), then the records are written as one import that is committed at the end — a kill or
/// a full disk leaves none of them, and the same command can simply be run again.
fn import_file(a: &ImportArgs) -> Result<(), CliError> {
    let format = match (a.format, a.utc_offset) {
        (Format::Csv, None) => import::Format::Csv,
        (Format::BluezoneTsv, None) => import::Format::BluezoneTsv,
        (Format::Btsnoop, Some(offset)) => import::Format::Btsnoop(offset),
        (Format::Btsnoop, None) => {
            return Err(CliError::usage(
                "--utc-offset",
                "a btsnoop log is in the phone's local time: give its offset from UTC (e.g. +02:00)",
            ));
        }
        (_, Some(_)) => {
            return Err(CliError::usage(
                "--utc-offset",
                "only applies to --format btsnoop (the other formats are in UTC)",
            ));
        }
    };
    let config = AggregatorConfig::default();
    let file_error =
        |e: import::ImportError| CliError::failure(format!("{}:{e}", a.file.display()));
    let now = a.log.now()?;
    // Pass 1: read and check the whole file, streaming; the log is not opened yet.
    let checked = import::run(format, open_input(&a.file)?, config, |_| {
        Ok::<(), LogError>(())
    })
    .map_err(|e| match e {
        RunError::File(e) => file_error(e),
        RunError::Sink(e) => a.log.fail(&e),
    })?;
    let mut log = a.log.open_write()?;
    let id = ImportId(checked.digest);
    let mut out = io::stdout().lock();
    if log.last_import() == Some(id) {
        // The same bytes were imported last (e.g. the previous run was killed just after its
        // commit): nothing to do.
        writeln!(out, "file: {}", a.file.display())?;
        writeln!(out, "already_imported: true")?;
        writeln!(out, "sightings: {}", checked.sightings)?;
        writeln!(out, "scan_instances: {}", checked.scan_instances)?;
        writeln!(out, "stored: 0")?;
        writeln!(out, "expired: 0")?;
        return Ok(());
    }
    if let (Some(newest), Some(first)) = (log.newest(), checked.first_seen)
        && first < newest
    {
        return Err(CliError::failure(format!(
            "{}: its sightings start at {first}, before the newest record already in the log ({newest}); \
             the log is append-only in time order, so import older files first or into a new log",
            a.file.display(),
        )));
    }
    log.expire(now).map_err(|e| a.log.fail(&e))?;
    // Pass 2: the same stream, into one import.
    let mut txn = log.begin_import(id).map_err(|e| a.log.fail(&e))?;
    let written = import::run(format, open_input(&a.file)?, config, |r| {
        txn.append(r).map(|_: Appended| ())
    })
    .map_err(|e| match e {
        RunError::File(e) => file_error(e),
        RunError::Sink(e) => a.log.fail(&e),
    })?;
    if written.digest != checked.digest {
        // Dropping the import rolls it back.
        return Err(CliError::failure(format!(
            "{}: the file changed while it was being imported; nothing was imported",
            a.file.display()
        )));
    }
    let (stored, expired) = (txn.stored(), txn.expired());
    txn.commit().map_err(|e| a.log.fail(&e))?;
    writeln!(out, "file: {}", a.file.display())?;
    if let Some(unit) = written.unit {
        let unit = match unit {
            TimestampUnit::Milliseconds => "milliseconds",
            TimestampUnit::Seconds => "seconds",
        };
        writeln!(out, "timestamps: {unit}")?;
    }
    writeln!(out, "sightings: {}", written.sightings)?;
    writeln!(out, "scan_instances: {}", written.scan_instances)?;
    writeln!(out, "stored: {stored}")?;
    writeln!(out, "expired: {expired}")?;
    Ok(())
}

fn time(t: Option<UnixTime>) -> String {
    t.map_or_else(|| "-".to_owned(), |t| t.as_secs().to_string())
}

fn stats(a: &StatsArgs) -> Result<(), CliError> {
    let log = a.log.open_read()?;
    let s = log.stats().map_err(|e| a.log.fail(&e))?;
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
    writeln!(
        out,
        "evicted_before_retention: {}",
        s.evicted_before_retention
    )?;
    Ok(())
}

fn export(a: &ExportArgs) -> Result<(), CliError> {
    debug_assert!(a.csv);
    let log = a.log.open_read()?;
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
        let r = r.map_err(|e| a.log.fail(&e))?;
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
