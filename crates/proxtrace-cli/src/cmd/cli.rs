//! Shared command-line plumbing: errors with exit statuses, argument parsers.

use std::fmt;
use std::io::{self, Write};
use std::process::ExitCode;

use clap::error::{ContextKind, ContextValue, ErrorKind};

/// Exit status for bad arguments.
pub(crate) const EXIT_USAGE: u8 = 2;
/// Exit status when the work failed (bad input file, bad signature, I/O).
pub(crate) const EXIT_FAILURE: u8 = 1;

/// A failure with the exit status it maps to.
#[derive(Debug)]
pub(crate) struct CliError {
    message: String,
    status: u8,
    /// Writing to a closed pipe (`proxtrace … | head`): not an error.
    closed_pipe: bool,
}

/// Refuse a `--threads` above the matcher's limit, before anything is read or generated.
pub(crate) fn check_threads(threads: usize) -> Result<(), CliError> {
    use proxtrace::matching::{THREADS_PER_CORE, available_cores, max_threads};
    let limit = max_threads();
    if threads > limit {
        return Err(CliError::usage(
            "--threads",
            format!(
                "at most {limit} on this machine ({} cores × {THREADS_PER_CORE})",
                available_cores()
            ),
        ));
    }
    Ok(())
}

impl CliError {
    /// A bad argument: `error: <arg>: <reason>`, exit status 2.
    pub(crate) fn usage(arg: &str, reason: impl fmt::Display) -> Self {
        Self {
            message: format!("{arg}: {reason}"),
            status: EXIT_USAGE,
            closed_pipe: false,
        }
    }

    /// The work failed: exit status 1.
    pub(crate) fn failure(message: impl fmt::Display) -> Self {
        Self {
            message: message.to_string(),
            status: EXIT_FAILURE,
            closed_pipe: false,
        }
    }
}

impl From<io::Error> for CliError {
    fn from(e: io::Error) -> Self {
        let mut c = Self::failure(format!("I/O error: {e}"));
        c.closed_pipe = e.kind() == io::ErrorKind::BrokenPipe;
        c
    }
}

/// Print the error (if any) as one line and pick the exit status. A closed stdout (`| head`)
/// is not an error.
pub(crate) fn finish(result: Result<(), CliError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.closed_pipe => ExitCode::SUCCESS,
        Err(e) => {
            let _ = io::stdout().flush();
            eprintln!("error: {}", e.message.lines().next().unwrap_or_default());
            ExitCode::from(e.status)
        }
    }
}

/// Report a clap error in one line naming the argument, exit status 2 (help and version go
/// to stdout with status 0).
pub(crate) fn clap_error(e: &clap::Error) -> ExitCode {
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        _ => {}
    }
    let line = match (e.kind(), e.get(ContextKind::InvalidArg)) {
        (ErrorKind::MissingRequiredArgument, Some(ContextValue::Strings(args))) => {
            format!("error: missing required argument {}", args.join(", "))
        }
        (ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand, _)
        | (ErrorKind::MissingSubcommand, _) => {
            "error: a subcommand is required (see --help)".to_owned()
        }
        _ => e
            .render()
            .to_string()
            .lines()
            .next()
            .unwrap_or("error: invalid arguments")
            .to_owned(),
    };
    eprintln!("{line}");
    ExitCode::from(EXIT_USAGE)
}

/// A clap value parser for exactly `N` bytes of hex (either case).
pub(crate) fn parse_hex<const N: usize>(s: &str) -> Result<[u8; N], String> {
    if s.len() != 2 * N {
        return Err(format!("expected {} hex digits, got {}", 2 * N, s.len()));
    }
    let mut out = [0u8; N];
    hex::decode_to_slice(s, &mut out).map_err(|e| format!("not hex: {e}"))?;
    Ok(out)
}
