//! `proxtrace eval dp3t`: proxtrace's tracer, log and matcher on real phones' radio logs,
//! scored against camera ground truth (DP-3T bt-measurements, experiment 34), and — with
//! `gaen_backend` — beside what Google's GAEN on the same phones reported.
//!
//! What runs is the real path, not a re-implementation (method: `docs/accuracy.md`):
//!
//! 1. each sender phone is a proxtrace [`Tracer`](proxtrace::tracer::Tracer) with its
//!    calibration; its published TEK and metadata v1.1 (calibrated TX, confidence) replace the
//!    phone's GAEN keys, which the data does not contain; each of its real RPIs is replaced
//!    by the proxtrace RPI of the interval it was first broadcast in;
//! 2. each receiver phone is a proxtrace tracer fed, through `handle_input`, every GAEN
//!    report its HCI log shows from a logged sender (the real AD bytes with the payload
//!    swapped, the real RSSI, the real time) — the whole day, in order; its RSSI correction is
//!    the calibration of its model;
//! 3. per scenario, the receiver's logged scan instances of the scenario's span are indexed
//!    and matched by the real [`Matcher`](proxtrace::matching::Matcher) against each
//!    sender's published key: RPI derivation, AEM decryption (TX), time tolerance, replay
//!    limit, windows, scoring, daily summary, notification.

pub mod data;
pub mod gaen;
pub mod plot;
pub mod replay;
pub mod run;
pub mod stats;
pub mod truth;

use std::path::PathBuf;

pub use run::{EvalOptions, EvalReport, Source, run};

/// Why an evaluation could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A file larger than the limit for its kind.
    #[error("{path}: larger than the {max} bytes accepted for such a file")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit.
        max: u64,
    },
    /// A file whose content is not what the layout needs.
    #[error("{path}: {reason}")]
    Data {
        /// The file or folder.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The tracer refused something.
    #[error("replay: {0}")]
    Tracer(#[from] proxtrace::tracer::TracerError),
    /// The matcher refused something.
    #[error("matching: {0}")]
    Match(#[from] proxtrace::matching::MatchError),
    /// An option that cannot work.
    #[error("{0}")]
    Config(String),
}

impl EvalError {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_owned(),
            source,
        }
    }
}
