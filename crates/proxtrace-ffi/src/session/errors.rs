//! The mapping from the core's errors to result codes: one place, so that C, Java and the
//! docs agree on which failure is which code.

use std::path::Path;

use proxtrace::log::LogError;
use proxtrace::matching::MatchError;
use proxtrace::tracer::{KeyStoreError, TracerError};

use crate::result::{Failure, pt_result};

fn log_failure(e: LogError) -> Failure {
    match e {
        LogError::Io(e) => Failure::new(pt_result::PT_IO, e),
        e @ (LogError::KeyRequired | LogError::WrongKey) => {
            Failure::new(pt_result::PT_WRONG_KEY, e)
        }
        LogError::NotEncrypted => Failure::new(
            pt_result::PT_WRONG_KEY,
            "storage_key was given but this directory's encounter log was created without one; open it without storage_key, or move the directory away to start a sealed one",
        ),
        e @ LogError::Crypto(_) => Failure::new(pt_result::PT_INTERNAL, e),
        e @ (LogError::InvalidOptions(_)
        | LogError::InvalidRetention { .. }
        | LogError::CapacityTooLarge { .. }) => Failure::new(pt_result::PT_BAD_CONFIG, e),
        e @ LogError::Busy { .. } => Failure::new(
            pt_result::PT_BUSY,
            format!(
                "the tracer directory is open in another handle or process ({e}); nothing was read or changed"
            ),
        ),
        e @ (LogError::Open { .. }
        | LogError::NotFound { .. }
        | LogError::NoSpace { .. }
        | LogError::Poisoned
        | LogError::RollbackPending { .. }) => Failure::new(pt_result::PT_IO, e),
        e @ (LogError::ReadOnly | LogError::ImportTooLarge { .. }) => {
            Failure::new(pt_result::PT_INTERNAL, e)
        }
        other => Failure::new(pt_result::PT_CORRUPT_STORE, other),
    }
}

/// The code and message of a tracer error.
pub(crate) fn tracer_failure(e: TracerError) -> Failure {
    match e {
        TracerError::Config(m) => Failure::new(pt_result::PT_BAD_CONFIG, m),
        TracerError::Log(e) => log_failure(e),
        TracerError::KeyStore(KeyStoreError::Io(e)) => Failure::new(pt_result::PT_IO, e),
        TracerError::KeyStore(e @ (KeyStoreError::KeyRequired | KeyStoreError::WrongKey)) => {
            Failure::new(pt_result::PT_WRONG_KEY, e)
        }
        TracerError::KeyStore(e @ (KeyStoreError::Crypto(_) | KeyStoreError::Random(_))) => {
            Failure::new(pt_result::PT_INTERNAL, e)
        }
        TracerError::KeyStore(e) => Failure::new(pt_result::PT_CORRUPT_STORE, e),
        refused @ (TracerError::Time(_) | TracerError::ClockSkew { .. } | TracerError::NoClock) => {
            Failure::new(pt_result::PT_INVALID_ARGUMENT, refused)
        }
        TracerError::Match(e @ MatchError::Config(_)) => Failure::new(pt_result::PT_BAD_CONFIG, e),
        TracerError::Match(e @ (MatchError::InvalidRecord(_) | MatchError::TimeOutOfRange(_))) => {
            Failure::new(pt_result::PT_CORRUPT_STORE, e)
        }
        other => Failure::new(pt_result::PT_INTERNAL, other),
    }
}

/// A failed open: the code, and a message that names the directory.
pub(crate) fn open_failure(dir: &Path, e: TracerError) -> Failure {
    let f = tracer_failure(e);
    Failure::new(f.code, format!("{}: {}", dir.display(), f.message))
}
