//! Radios on Linux. [`ScanEvents`] and [`AdvertisementData`] (always built) turn what a BLE
//! stack reports into tracer input and tracer output into what an advertiser registers; the
//! adapters over btleplug (scanner) and bluer (advertiser) are behind the `ble` feature, which
//! brings tokio and needs `libdbus-1-dev` and `pkg-config`. Guide: `docs/ble.md`.

mod events;

pub use events::{
    AdvertisementData, BLUEZONE_SERVICE_UUID, GAEN_SERVICE_UUID, RadioEvent, Received, ScanEvents,
    uuid16,
};
