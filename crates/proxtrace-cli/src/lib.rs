//! The tooling behind the `proxtrace` command, as a library so that tests and benches share
//! it: the simulated town ([`sim`]), synthetic workloads ([`workload`]), importers of other
//! apps' sighting logs ([`import`]) and the export writer a health authority runs
//! ([`export_writer`]). Phone apps never need this crate: they use `proxtrace` (the core) or
//! `proxtrace-ffi`.

#![deny(unsafe_code)]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod eval;
pub mod export_writer;
pub mod import;
pub mod sim;
pub mod workload;
