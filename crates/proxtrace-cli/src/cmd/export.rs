//! `proxtrace export`: write signed GAEN export files, make signing keys, inspect files.

use std::fs::File;
use std::io::{self, BufReader, Write};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use clap::{Args, Subcommand};
use proxtrace::gaen::TemporaryExposureKey;
use proxtrace::published::export::{ExportError, TrustedKey, validate_key};
use proxtrace::published::{GaenDiagnosisKey, ReportType};
use proxtrace::time::EnIntervalNumber;
use proxtrace_cli::export_writer::{ExportMeta, Signer, write_export_zip};
use ring::rand::SystemRandom;

use crate::cli::CliError;

#[path = "export_inspect.rs"]
mod inspect;
use inspect::InspectArgs;
pub(crate) use inspect::batch_problem;

#[derive(Debug, Subcommand)]
pub(crate) enum ExportCommand {
    /// Write a signed export zip from a CSV of keys.
    Create(CreateArgs),
    /// Check export files: header fields, key figures, skipped and duplicate keys, every
    /// signature's verdict, batch-set completeness and a list of problems.
    Inspect(InspectArgs),
    /// Make a P-256 signing key (PKCS#8 PEM) and its public key (PEM).
    Keygen(KeygenArgs),
}

#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    /// CSV with a header and columns key_data,rolling_start_interval_number,rolling_period,
    /// report_type,days_since_onset (key_data hex or base64; report_type a number or a name
    /// such as CONFIRMED_TEST; days_since_onset may be empty).
    #[arg(long)]
    keys: PathBuf,
    /// P-256 private key, PKCS#8 (DER or PEM).
    #[arg(long)]
    signing_key: PathBuf,
    /// verification_key_id written in the file (what readers select your public key by).
    #[arg(long)]
    key_id: String,
    /// verification_key_version.
    #[arg(long)]
    key_version: String,
    /// Output zip.
    #[arg(short, long)]
    output: PathBuf,
    /// region header field.
    #[arg(long, default_value = "")]
    region: String,
    /// batch_num header field.
    #[arg(long, default_value_t = 1)]
    batch_num: i32,
    /// batch_size header field.
    #[arg(long, default_value_t = 1)]
    batch_size: i32,
}

#[derive(Debug, Args)]
pub(crate) struct KeygenArgs {
    /// Where to write the private key (PKCS#8 PEM, created with mode 0600).
    #[arg(long)]
    private_key: PathBuf,
    /// Where to write the public key (PEM).
    #[arg(long)]
    public_key: PathBuf,
}

pub(crate) fn run(cmd: ExportCommand) -> Result<(), CliError> {
    match cmd {
        ExportCommand::Create(a) => create(&a),
        ExportCommand::Inspect(a) => inspect::run(&a),
        ExportCommand::Keygen(a) => keygen(&a),
    }
}

fn read(path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| CliError::failure(format!("{}: {e}", path.display())))
}

fn report_type(s: &str) -> Option<ReportType> {
    let s = s.trim();
    if let Ok(n) = s.parse::<i32>() {
        return ReportType::from_i32(n);
    }
    let v = serde_json::Value::String(s.to_ascii_uppercase());
    serde_json::from_value(v).ok()
}

fn key_data(s: &str) -> Result<TemporaryExposureKey, String> {
    let s = s.trim();
    let bytes = if s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex::decode(s).map_err(|e| e.to_string())?
    } else {
        base64::engine::general_purpose::STANDARD
            .decode(s)
            .map_err(|_| format!("key_data {s:?} is neither 32 hex digits nor base64"))?
    };
    TemporaryExposureKey::from_slice(&bytes)
        .map_err(|_| format!("key_data is {} bytes, not 16", bytes.len()))
}

/// Parse keys.csv; errors are `file:line: reason`.
pub(crate) fn parse_keys_csv(path: &Path) -> Result<Vec<GaenDiagnosisKey>, CliError> {
    let file =
        File::open(path).map_err(|e| CliError::failure(format!("{}: {e}", path.display())))?;
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(BufReader::new(file));
    let at = |line: u64, reason: String| {
        CliError::failure(format!("{}:{line}: {reason}", path.display()))
    };
    let headers = rdr.headers().map_err(|e| at(1, e.to_string()))?.clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| at(1, format!("missing column {name}")))
    };
    let (kd, rs, rp, rt, ds) = (
        col("key_data")?,
        col("rolling_start_interval_number")?,
        col("rolling_period")?,
        col("report_type")?,
        col("days_since_onset")?,
    );
    let mut keys = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| at(e.position().map_or(0, |p| p.line()), e.to_string()))?;
        let line = rec.position().map_or(0, |p| p.line());
        let field = |i: usize| rec.get(i).unwrap_or_default();
        let key = key_data(field(kd)).map_err(|e| at(line, e))?;
        let start: u32 = field(rs).parse().map_err(|_| {
            at(
                line,
                format!(
                    "rolling_start_interval_number {:?} is not a whole number",
                    field(rs)
                ),
            )
        })?;
        let period: u32 = match field(rp) {
            "" => 144,
            p => p
                .parse()
                .map_err(|_| at(line, format!("rolling_period {p:?} is not a whole number")))?,
        };
        let report = match field(rt) {
            "" => ReportType::Unknown,
            r => report_type(r).ok_or_else(|| at(line, format!("unknown report_type {r:?}")))?,
        };
        let onset = match field(ds) {
            "" => None,
            d => Some(
                d.parse::<i32>()
                    .map_err(|_| at(line, format!("days_since_onset {d:?} is not an integer")))?,
            ),
        };
        let k = GaenDiagnosisKey {
            key,
            rolling_start: EnIntervalNumber::new(start),
            rolling_period: period,
            report_type: report,
            days_since_onset_of_symptoms: onset,
            transmission_risk_level: None,
        };
        // The reader's checks, reported against the line.
        validate_key(&k, 0).map_err(|e| match e {
            ExportError::InvalidKey { problem, .. } => at(line, problem.to_string()),
            other => at(line, other.to_string()),
        })?;
        keys.push(k);
    }
    Ok(keys)
}

fn create(a: &CreateArgs) -> Result<(), CliError> {
    let keys = parse_keys_csv(&a.keys)?;
    let rng = SystemRandom::new();
    let signer = Signer::from_pkcs8(&read(&a.signing_key)?, &a.key_id, &a.key_version, &rng)
        .map_err(|e| CliError::failure(format!("{}: {e}", a.signing_key.display())))?;
    let mut meta = ExportMeta::covering(&keys, &a.region);
    meta.batch_num = a.batch_num;
    meta.batch_size = a.batch_size;
    let zip = write_export_zip(&meta, &keys, &[], &signer, &rng)
        .map_err(|e| CliError::failure(e.to_string()))?;
    std::fs::write(&a.output, &zip)
        .map_err(|e| CliError::failure(format!("{}: {e}", a.output.display())))?;
    let mut out = io::stdout().lock();
    writeln!(out, "file: {}", a.output.display())?;
    writeln!(out, "keys: {}", keys.len())?;
    writeln!(out, "start_timestamp: {}", meta.start_timestamp)?;
    writeln!(out, "end_timestamp: {}", meta.end_timestamp)?;
    writeln!(out, "bytes: {}", zip.len())?;
    writeln!(
        out,
        "signature: signed (key id {} version {})",
        a.key_id, a.key_version
    )?;
    Ok(())
}

/// `--public-key FILE` or `--public-key ID:VERSION:FILE`.
pub(crate) fn trusted_key(spec: &str) -> Result<TrustedKey, CliError> {
    let parts: Vec<&str> = spec.splitn(3, ':').collect();
    let (binding, path) = match parts.as_slice() {
        [id, version, path] if !Path::new(spec).exists() => (Some((*id, *version)), *path),
        _ => (None, spec),
    };
    let key = TrustedKey::from_pem_or_der(&read(Path::new(path))?)
        .map_err(|e| CliError::failure(format!("{path}: cannot use this public key: {e}")))?;
    Ok(match binding {
        Some((id, v)) => key.bound_to(id, v),
        None => key,
    })
}

fn keygen(a: &KeygenArgs) -> Result<(), CliError> {
    let rng = SystemRandom::new();
    let pkcs8 = Signer::generate_pkcs8(&rng).map_err(|e| CliError::failure(e.to_string()))?;
    let signer =
        Signer::from_pkcs8(&pkcs8, "", "", &rng).map_err(|e| CliError::failure(e.to_string()))?;
    let private = pem::encode(&pem::Pem::new("PRIVATE KEY", pkcs8));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(&a.private_key)
        .and_then(|mut f| f.write_all(private.as_bytes()))
        .map_err(|e| CliError::failure(format!("{}: {e}", a.private_key.display())))?;
    std::fs::write(&a.public_key, signer.trusted_key().to_pem())
        .map_err(|e| CliError::failure(format!("{}: {e}", a.public_key.display())))?;
    let mut out = io::stdout().lock();
    writeln!(out, "private_key: {}", a.private_key.display())?;
    writeln!(out, "public_key: {}", a.public_key.display())?;
    Ok(())
}

/// Which command reports an export error (the advice differs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Command {
    /// `proxtrace match`.
    Match,
    /// `proxtrace export inspect`.
    Inspect,
}

/// An export reader's error in command-line terms: the library names its settings
/// (`Verification`, `ExportLimits`), the command line has flags.
pub(crate) fn export_error_message(e: &ExportError, command: Command) -> String {
    match e {
        ExportError::Unsigned => {
            let advice = match command {
                Command::Match => "; pass --allow-unsigned only if you trust where it came from",
                Command::Inspect => "",
            };
            format!(
                "the file carries no signature (a bare export.bin, or a zip without signatures in export.sig), so --public-key cannot verify it{advice}"
            )
        }
        ExportError::NoTrustedSignature(seen) => format!(
            "no signature in the file is by the given public key (the file's signatures name key id:version {seen}); pass the health authority's key for one of them with --public-key [ID:VERSION:]FILE"
        ),
        ExportError::InvalidKey { .. } => {
            format!("{e} (--strict refuses such files; without it the key is skipped and counted)")
        }
        ExportError::TooLarge { entry, reason } => format!(
            "{entry} is too large ({reason}); the limit protects against zip bombs, so a genuine file this large needs the library's ExportLimits raised"
        ),
        other => other.to_string(),
    }
}
