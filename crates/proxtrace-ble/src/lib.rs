//! The Linux adapters of proxtrace: a scanner over btleplug and an advertiser over bluer,
//! both talking to BlueZ over D-Bus (needs `libdbus-1-dev` and `pkg-config` to build). These
//! are the edges: they read the clock and the radio and feed the sans-IO
//! [`proxtrace::ble::ScanEvents`], [`gatt_reads::GattReads`] and the tracer. Both ways with
//! Bluezone iOS: the scanner reads an iPhone's identifier over GATT, the advertiser serves the
//! laptop's from a GATT application. Guide: `docs/ble.md`.

mod advertiser;
pub mod gatt_reads;
mod scanner;

use std::time::{SystemTime, UNIX_EPOCH};

use proxtrace::time::UnixTime;

pub use advertiser::{Advertiser, bluer_advertisement, bluezone_ios_advertisement};
pub use gatt_reads::GattStats;
pub use scanner::{GATT_READ_TIMEOUT, Scanner};

/// A BLE adapter failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BleError {
    /// No adapter, or no BlueZ on the system bus.
    #[error(
        "no Bluetooth adapter found (is BlueZ running and an adapter present? `bluetoothctl list`)"
    )]
    NoAdapter,
    /// btleplug reported an error.
    #[error("BLE scanner: {0}")]
    Scanner(String),
    /// bluer reported an error.
    #[error("BLE advertiser: {0}")]
    Advertiser(String),
}

/// The wall clock, as the edge reads it.
pub fn now() -> UnixTime {
    UnixTime::from_secs(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    )
}
