//! BLE stacks that report decoded properties (BlueZ over D-Bus): [`ScanEvents`] turns what
//! the stack reports into tracer input, and [`AdvertisementData`] turns tracer output into
//! what an advertiser registers — sans-IO, so both are tested with scripted event streams. The
//! adapters over btleplug (scanner) and bluer (advertiser) are the `proxtrace-ble` crate.
//! Guide: `docs/ble.md`.

mod events;

pub use events::{AdvertisementData, DeviceReceived, RadioEvent, ScanEvents};
