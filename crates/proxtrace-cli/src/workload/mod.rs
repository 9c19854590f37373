//! Synthetic workloads for benches and tests: a day of encounter-log records ([`log`]) and
//! published keys against a log with planted matches ([`matching`]).

pub mod log;
pub mod matching;
