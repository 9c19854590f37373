//! `proxtrace export inspect FILE…`: a validating inspector in the spirit of Google's export
//! analyzer. Per file: the header, key figures, skipped and duplicate keys, every signature
//! with its verdict, and a `problems` list; for the files together: their batch sets.

use std::fs::File;
use std::io::{self, BufReader, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use proxtrace::published::export::{
    BatchSet, Container, ExportReport, SignatureStatus, Verification, batch_sets, inspect_export,
};
use proxtrace::time::{EN_INTERVAL_SECONDS, UnixTime};
use serde_json::{Value, json};

use crate::cli::CliError;
use crate::export::{Command, export_error_message, trusted_key};

#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// Export zips or bare export.bin files (several: the files of a batch set).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Public key (PEM or DER SubjectPublicKeyInfo) to verify signatures with: `FILE` or
    /// `ID:VERSION:FILE`; repeatable. Without it signatures are not checked. With it, a file
    /// that does not verify makes the exit status 1.
    #[arg(long = "public-key", value_name = "[ID:VERSION:]FILE")]
    public_keys: Vec<String>,
    /// Exit status 1 when a file has key entries that cannot be used (they are reported
    /// either way).
    #[arg(long)]
    strict: bool,
    /// Print one JSON object (`files`, `batch_sets`, `problems`).
    #[arg(long)]
    json: bool,
}

/// One file's outcome.
struct Inspected {
    path: PathBuf,
    /// The report, or why the file could not be read (naming the file).
    result: Result<ExportReport, String>,
}

fn inspect_file(path: &Path, verification: &Verification) -> Result<ExportReport, String> {
    let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    inspect_export(BufReader::new(file), verification).map_err(|e| {
        format!(
            "{}: {}",
            path.display(),
            export_error_message(&e, Command::Inspect)
        )
    })
}

pub(crate) fn run(a: &InspectArgs) -> Result<(), CliError> {
    let mut verification = Verification {
        // Without a key nothing can verify: report the file as not checked.
        allow_unsigned: a.public_keys.is_empty(),
        ..Verification::default()
    };
    for spec in &a.public_keys {
        verification.trusted_keys.push(trusted_key(spec)?);
    }
    let inspected: Vec<Inspected> = a
        .files
        .iter()
        .map(|p| Inspected {
            path: p.clone(),
            result: inspect_file(p, &verification),
        })
        .collect();
    let reports: Vec<(usize, &ExportReport)> = inspected
        .iter()
        .enumerate()
        .filter_map(|(i, x)| x.result.as_ref().ok().map(|r| (i, r)))
        .collect();
    let headers: Vec<_> = reports.iter().map(|(_, r)| &r.header).collect();
    let sets = batch_sets(&headers);
    let set_problems: Vec<String> = sets.iter().filter_map(batch_problem).collect();

    let mut failures = Vec::new();
    for x in &inspected {
        match &x.result {
            Err(e) => failures.push(e.clone()),
            Ok(r) => {
                if let Err(e) = &r.signature
                    && !a.public_keys.is_empty()
                {
                    failures.push(format!(
                        "{}: {}",
                        x.path.display(),
                        export_error_message(e, Command::Inspect)
                    ));
                }
                if a.strict && r.skipped.count > 0 {
                    failures.push(format!(
                        "{}: {} key entries cannot be used (--strict)",
                        x.path.display(),
                        r.skipped.count
                    ));
                }
            }
        }
    }

    let mut out = io::stdout().lock();
    if a.json {
        let files: Vec<Value> = inspected
            .iter()
            .map(|x| match &x.result {
                Ok(r) => file_json(&x.path, r, !a.public_keys.is_empty()),
                Err(e) => json!({"file": x.path.display().to_string(), "error": e}),
            })
            .collect();
        let sets_json: Vec<Value> = sets
            .iter()
            .map(|s| set_json(s, &reports, &inspected))
            .collect();
        let v = json!({"files": files, "batch_sets": sets_json, "problems": set_problems});
        writeln!(out, "{v}")?;
    } else {
        for (n, x) in inspected.iter().enumerate() {
            if n > 0 {
                writeln!(out)?;
            }
            match &x.result {
                Ok(r) => write_text(&mut out, &x.path, r, !a.public_keys.is_empty())?,
                Err(e) => writeln!(out, "file: {}\nerror: {e}", x.path.display())?,
            }
        }
        if !sets.is_empty() {
            writeln!(out)?;
        }
        for s in &sets {
            writeln!(
                out,
                "batch_set: region={} start_timestamp={} end_timestamp={} batch_size={} present={} missing={} complete={}",
                s.region,
                s.start_timestamp,
                s.end_timestamp,
                s.batch_size,
                list(&s.present),
                s.missing_count,
                if s.is_complete() { "yes" } else { "no" }
            )?;
        }
        for p in &set_problems {
            writeln!(out, "problem: {p}")?;
        }
    }
    out.flush()?;
    match failures.as_slice() {
        [] => Ok(()),
        [one] => Err(CliError::failure(one)),
        [first, rest @ ..] => Err(CliError::failure(format!(
            "{first} (and {} more failures above)",
            rest.len()
        ))),
    }
}

fn list(v: &[i32]) -> String {
    if v.is_empty() {
        return "-".into();
    }
    v.iter().map(i32::to_string).collect::<Vec<_>>().join(",")
}

/// The problem of an incomplete batch set, in words.
pub(crate) fn batch_problem(s: &BatchSet) -> Option<String> {
    if s.is_complete() {
        return None;
    }
    let mut what = Vec::new();
    if s.batch_size < 1 {
        what.push(format!("batch_size {} is not positive", s.batch_size));
    }
    if s.missing_count > 0 {
        let more = s.missing_count - s.missing.len() as u64;
        what.push(format!(
            "batch {}{} of {} missing",
            list(&s.missing),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            },
            s.batch_size
        ));
    }
    if !s.duplicates.is_empty() {
        what.push(format!("batch {} given twice", list(&s.duplicates)));
    }
    if !s.out_of_range.is_empty() {
        what.push(format!(
            "batch_num {} outside 1…{}",
            list(&s.out_of_range),
            s.batch_size
        ));
    }
    Some(format!(
        "batch set region={:?} start_timestamp={} end_timestamp={} is incomplete: {} (present: {})",
        s.region,
        s.start_timestamp,
        s.end_timestamp,
        what.join("; "),
        list(&s.present)
    ))
}

fn iso(t: u64) -> String {
    let t = UnixTime::from_secs(t);
    t.utc_day().ok().and_then(|d| d.iso_date()).map_or_else(
        || t.to_string(),
        |d| {
            let s = t.as_secs() % 86_400;
            format!("{d}T{:02}:{:02}Z", s / 3600, s / 60 % 60)
        },
    )
}

fn signature_line(r: &ExportReport, keys_given: bool) -> String {
    match (&r.signature, keys_given) {
        (
            Ok(SignatureStatus::Verified {
                key_id,
                key_version,
            }),
            _,
        ) => {
            format!("verified (key id {key_id} version {key_version})")
        }
        (Ok(SignatureStatus::NotVerified), false) => {
            "not checked (pass --public-key to verify)".into()
        }
        (Ok(SignatureStatus::NotVerified), true) => "not verified".into(),
        (Err(e), _) => format!(
            "not verified: {}",
            export_error_message(e, Command::Inspect)
        ),
    }
}

fn write_text(
    out: &mut impl Write,
    path: &Path,
    r: &ExportReport,
    keys_given: bool,
) -> io::Result<()> {
    let h = &r.header;
    writeln!(out, "file: {}", path.display())?;
    let container = match r.container {
        Container::ExportBin => "export.bin",
        _ => "zip",
    };
    writeln!(out, "container: {container}")?;
    writeln!(out, "start_timestamp: {}", h.start_timestamp)?;
    writeln!(out, "end_timestamp: {}", h.end_timestamp)?;
    writeln!(out, "region: {}", h.region)?;
    writeln!(out, "batch_num: {}", h.batch_num)?;
    writeln!(out, "batch_size: {}", h.batch_size)?;
    for s in &h.signature_infos {
        writeln!(
            out,
            "signature_info: key_id={} key_version={} algorithm={}",
            s.key_id, s.key_version, s.algorithm
        )?;
    }
    writeln!(out, "keys: {}", r.keys)?;
    writeln!(out, "revised_keys: {}", r.revised_keys)?;
    writeln!(out, "revoked: {}", r.stats.revoked)?;
    writeln!(out, "signature: {}", signature_line(r, keys_given))?;
    writeln!(out, "skipped_keys: {}", r.skipped.count)?;
    for (kind, n, first) in r.skipped.summary() {
        match first {
            Some(k) => writeln!(
                out,
                "skipped: kind={kind} count={n} first=\"{} #{}: {}\"",
                k.list, k.index, k.problem
            )?,
            None => writeln!(out, "skipped: kind={kind} count={n}")?,
        }
    }
    let s = &r.stats;
    writeln!(out, "duplicate_keys: {}", s.duplicate_keys)?;
    if let (Some(first), Some(end)) = (s.first_interval, s.end_interval) {
        let (a, b) = (
            u64::from(first) * EN_INTERVAL_SECONDS,
            u64::from(end) * EN_INTERVAL_SECONDS,
        );
        writeln!(out, "key_time_range: {a} {b} ({} … {})", iso(a), iso(b))?;
    }
    let periods: Vec<String> = s
        .rolling_periods
        .iter()
        .map(|(p, n)| format!("{p}={n}"))
        .collect();
    writeln!(out, "rolling_periods: {}", periods.join(" "))?;
    let types: Vec<String> = s
        .report_types
        .iter()
        .map(|(t, n)| format!("{}={n}", report_type_name(*t)))
        .collect();
    writeln!(out, "report_types: {}", types.join(" "))?;
    match s.days_since_onset {
        Some((lo, hi)) => writeln!(
            out,
            "days_since_onset: {lo}…{hi} (without: {})",
            s.without_days_since_onset
        )?,
        None => writeln!(
            out,
            "days_since_onset: - (without: {})",
            s.without_days_since_onset
        )?,
    }
    for c in &r.signatures {
        writeln!(
            out,
            "signature_check: key_id={} key_version={} algorithm={} verdict={}",
            c.info.key_id,
            c.info.key_version,
            c.info.algorithm,
            enum_name(&c.verdict)
        )?;
    }
    for p in &r.problems {
        writeln!(out, "problem: {p}")?;
    }
    Ok(())
}

fn enum_name(v: &impl serde::Serialize) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}

fn report_type_name(t: proxtrace::published::ReportType) -> String {
    enum_name(&t)
}

fn file_json(path: &Path, r: &ExportReport, keys_given: bool) -> Value {
    let s = &r.stats;
    let signature = match &r.signature {
        Ok(SignatureStatus::Verified {
            key_id,
            key_version,
        }) => {
            json!({"status": "verified", "key_id": key_id, "key_version": key_version})
        }
        Ok(SignatureStatus::NotVerified) if !keys_given => json!({"status": "not_checked"}),
        Ok(SignatureStatus::NotVerified) => json!({"status": "not_verified"}),
        Err(e) => {
            json!({"status": "not_verified", "error": export_error_message(e, Command::Inspect)})
        }
    };
    let periods: serde_json::Map<String, Value> = s
        .rolling_periods
        .iter()
        .map(|(p, n)| (p.to_string(), json!(n)))
        .collect();
    let types: serde_json::Map<String, Value> = s
        .report_types
        .iter()
        .map(|(t, n)| (report_type_name(*t), json!(n)))
        .collect();
    let range = match (s.first_interval, s.end_interval) {
        (Some(f), Some(e)) => json!({
            "first_interval": f,
            "end_interval": e,
            "start": u64::from(f) * EN_INTERVAL_SECONDS,
            "end": u64::from(e) * EN_INTERVAL_SECONDS,
        }),
        _ => Value::Null,
    };
    json!({
        "file": path.display().to_string(),
        "container": enum_name(&r.container),
        "header": r.header,
        "keys": r.keys,
        "revised_keys": r.revised_keys,
        "revoked": s.revoked,
        "skipped_keys": r.skipped.count,
        "skipped": r.skipped,
        "duplicate_keys": s.duplicate_keys,
        "key_time_range": range,
        "rolling_periods": periods,
        "report_types": types,
        "days_since_onset": {
            "min": s.days_since_onset.map(|d| d.0),
            "max": s.days_since_onset.map(|d| d.1),
            "without": s.without_days_since_onset,
        },
        "keys_before_2020": s.before_2020,
        "signatures": r.signatures,
        "signature": signature,
        "problems": r.problems,
    })
}

fn set_json(s: &BatchSet, reports: &[(usize, &ExportReport)], inspected: &[Inspected]) -> Value {
    let files: Vec<String> = s
        .files
        .iter()
        .map(|&i| inspected[reports[i].0].path.display().to_string())
        .collect();
    json!({
        "region": s.region,
        "start_timestamp": s.start_timestamp,
        "end_timestamp": s.end_timestamp,
        "batch_size": s.batch_size,
        "files": files,
        "present": s.present,
        "missing_count": s.missing_count,
        "missing": s.missing,
        "duplicates": s.duplicates,
        "out_of_range": s.out_of_range,
        "complete": s.is_complete(),
    })
}
