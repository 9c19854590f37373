//! The tracer: the sans-IO core a phone or laptop runs all day.

// The key schedule and store are wired into `Tracer` in the next change.
#![allow(dead_code)]

mod keys;
pub mod keystore;

pub use keys::DiagnosisKeys;
