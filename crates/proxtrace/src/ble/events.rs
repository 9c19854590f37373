//! What a Linux BLE stack reports, turned into tracer input — sans-IO, so it is tested with
//! scripted event streams and no D-Bus.
//!
//! BlueZ (through btleplug) reports a device's advertisement as separate events: discovery
//! (with properties: RSSI, service data, manufacturer data), later service-data or
//! manufacturer-data changes, and RSSI updates. It suppresses repeats and reports RSSI only
//! when it changes by 8 dB or more while a scan runs, so the scanner restarts its scan
//! periodically ([`ScanEvents::restart_due`]) and the RSSI of a sighting is the device's latest
//! reported one.
//!
//! What comes out is the tracer's own input type, [`Received`], so a scanner hands it straight
//! to [`crate::tracer::Tracer::handle_input`].
//!
//! ```
//! use proxtrace::advert::GAEN_SERVICE_UUID;
//! use proxtrace::ble::{RadioEvent, ScanEvents};
//! use proxtrace::time::UnixTime;
//! let mut h = ScanEvents::new(60);
//! let now = UnixTime::from_secs(1_763_800_000);
//! let heard = h.handle(RadioEvent::Discovered {
//!     device: "AA:BB:CC:DD:EE:FF".into(),
//!     rssi: Some(-61),
//!     tx_power: None,
//!     services: vec![GAEN_SERVICE_UUID],
//!     service_data: vec![(GAEN_SERVICE_UUID, vec![7; 20])],
//!     manufacturer_data: vec![],
//! }, now);
//! assert_eq!(heard.len(), 1);
//! assert_eq!(heard[0].received.rssi, -61);
//! ```

use std::collections::HashMap;

use crate::advert::{
    BLUEZONE_SERVICE_UUID, GAEN_SERVICE_UUID, decode_manufacturer_data, decode_service_data_uuid,
    manufacturer_data, service_data,
};
use crate::bluezone;
use crate::identifier::Identifier;
use crate::time::UnixTime;
use crate::tracer::{RadioData, Received};

/// One report from the BLE stack, by device (its address or platform id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RadioEvent {
    /// A device was seen for the first time in this scan, with its properties.
    Discovered {
        /// Device id.
        device: String,
        /// RSSI, if reported.
        rssi: Option<i16>,
        /// TX power level, if advertised.
        tx_power: Option<i16>,
        /// Advertised service UUIDs (128-bit form).
        services: Vec<u128>,
        /// Service data by 128-bit UUID.
        service_data: Vec<(u128, Vec<u8>)>,
        /// Manufacturer data by company id.
        manufacturer_data: Vec<(u16, Vec<u8>)>,
    },
    /// New service data.
    ServiceData {
        /// Device id.
        device: String,
        /// Service data by 128-bit UUID.
        service_data: Vec<(u128, Vec<u8>)>,
    },
    /// New manufacturer data.
    ManufacturerData {
        /// Device id.
        device: String,
        /// Manufacturer data by company id.
        manufacturer_data: Vec<(u16, Vec<u8>)>,
    },
    /// A new RSSI.
    Rssi {
        /// Device id.
        device: String,
        /// RSSI, dBm.
        rssi: i16,
    },
}

/// A reception from one device: the tracer's input, and which device it came from (for a GATT
/// read after [`crate::tracer::TracerEvent::NeedsGattRead`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceReceived {
    /// The device id the stack reported.
    pub device: String,
    /// What to hand to the tracer.
    pub received: Received<'static>,
}

#[derive(Debug, Default, Clone)]
struct Device {
    rssi: Option<i16>,
    tx_power: Option<i16>,
    identifiers: Vec<Identifier>,
    bluezone_ios: bool,
}

/// Turns [`RadioEvent`]s into [`Received`] sightings and says when to restart the scan.
#[derive(Debug, Clone)]
pub struct ScanEvents {
    devices: HashMap<String, Device>,
    restart_every_secs: u64,
    last_restart: Option<UnixTime>,
}

fn clamp_i8(v: i16) -> i8 {
    v.clamp(i16::from(i8::MIN), i16::from(i8::MAX)) as i8
}

fn identifiers(
    service_data: &[(u128, Vec<u8>)],
    manufacturer_data: &[(u16, Vec<u8>)],
) -> Vec<Identifier> {
    let mut out = Vec::new();
    for (uuid, data) in service_data {
        if *uuid == GAEN_SERVICE_UUID
            && let Ok(p) = decode_service_data_uuid(*uuid, data)
        {
            out.push(p);
        }
    }
    for (company, data) in manufacturer_data {
        if let Ok(p) = decode_manufacturer_data(*company, data) {
            out.push(p);
        }
    }
    out
}

impl ScanEvents {
    /// Restart the scan every `restart_every_secs` seconds (0: never).
    pub fn new(restart_every_secs: u64) -> Self {
        Self {
            devices: HashMap::new(),
            restart_every_secs,
            last_restart: None,
        }
    }

    /// Handle one event; returns the receptions it completes (identifier and RSSI both
    /// known). A device advertising the Bluezone iOS service yields a reception of
    /// [`RadioData::ServiceUuid`], to which the tracer answers `NeedsGattRead`.
    pub fn handle(&mut self, event: RadioEvent, now: UnixTime) -> Vec<DeviceReceived> {
        let (device, new_ids, ios, rssi_changed) = match event {
            RadioEvent::Discovered {
                device,
                rssi,
                tx_power,
                services,
                service_data,
                manufacturer_data,
            } => {
                let d = self.devices.entry(device.clone()).or_default();
                if rssi.is_some() {
                    d.rssi = rssi;
                }
                if tx_power.is_some() {
                    d.tx_power = tx_power;
                }
                let ios = services.contains(&bluezone::IOS_SERVICE_UUID);
                (
                    device,
                    Some(identifiers(&service_data, &manufacturer_data)),
                    ios,
                    false,
                )
            }
            RadioEvent::ServiceData {
                device,
                service_data,
            } => (device, Some(identifiers(&service_data, &[])), false, false),
            RadioEvent::ManufacturerData {
                device,
                manufacturer_data,
            } => (
                device,
                Some(identifiers(&[], &manufacturer_data)),
                false,
                false,
            ),
            RadioEvent::Rssi { device, rssi } => {
                self.devices.entry(device.clone()).or_default().rssi = Some(rssi);
                (device, None, false, true)
            }
        };
        let d = self.devices.entry(device.clone()).or_default();
        let newly_ios = ios && !d.bluezone_ios;
        d.bluezone_ios |= ios;
        let mut emit: Vec<RadioData<'static>> = match new_ids {
            Some(ids) if !ids.is_empty() => {
                // An identifier of one scheme replaces that scheme's previous identifier.
                d.identifiers
                    .retain(|old| !ids.iter().any(|n| n.scheme() == old.scheme()));
                d.identifiers.extend(ids.iter().copied());
                ids.into_iter().map(RadioData::Identifier).collect()
            }
            Some(_) => Vec::new(),
            // A new RSSI is a new sighting of what the device last advertised.
            None if rssi_changed => d
                .identifiers
                .iter()
                .copied()
                .map(RadioData::Identifier)
                .collect(),
            None => Vec::new(),
        };
        if newly_ios || (rssi_changed && d.bluezone_ios && d.identifiers.is_empty()) {
            emit.push(RadioData::ServiceUuid(bluezone::IOS_SERVICE_UUID));
        }
        let Some(rssi) = d.rssi else {
            return Vec::new(); // no RSSI yet: remembered until one arrives
        };
        let tx_power = d.tx_power.map(clamp_i8);
        emit.into_iter()
            .map(|data| DeviceReceived {
                device: device.clone(),
                received: Received {
                    data,
                    rssi: clamp_i8(rssi),
                    tx_power,
                    time: now,
                },
            })
            .collect()
    }

    /// Whether the scan should be restarted now (and record that it is). Restarting makes
    /// BlueZ report every device again, with a fresh RSSI.
    pub fn restart_due(&mut self, now: UnixTime) -> bool {
        if self.restart_every_secs == 0 {
            return false;
        }
        match self.last_restart {
            Some(t) if now.saturating_secs_since(t) < self.restart_every_secs => false,
            _ => {
                self.last_restart = Some(now);
                // Devices are rediscovered after a restart; forget stale state.
                self.devices.clear();
                true
            }
        }
    }
}

/// What to register with the platform advertiser for each identifier of an [`Advertisement`](crate::tracer::Advertisement).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AdvertisementData {
    /// Service UUIDs to list.
    pub service_uuids: Vec<u128>,
    /// Service data by UUID (GAEN).
    pub service_data: Vec<(u128, Vec<u8>)>,
    /// Manufacturer data by company id (Bluezone).
    pub manufacturer_data: Vec<(u16, Vec<u8>)>,
}

impl AdvertisementData {
    /// The data of one identifier of an [`Advertisement`](crate::tracer::Advertisement) (one advertisement set per
    /// identifier).
    pub fn of(id: &Identifier) -> Self {
        let mut d = Self::default();
        if let Some((_, data)) = service_data(id) {
            d.service_uuids.push(GAEN_SERVICE_UUID);
            d.service_data.push((GAEN_SERVICE_UUID, data.to_vec()));
        }
        if let Some((company, data)) = manufacturer_data(id) {
            d.service_uuids.push(BLUEZONE_SERVICE_UUID);
            d.manufacturer_data.push((company, data.to_vec()));
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::advert::uuid16;
    use crate::bluezone::BluezoneId;
    use crate::identifier::GaenPayload;

    const T: UnixTime = UnixTime::from_secs(1_763_800_000);

    fn bz(id: u8) -> Vec<(u16, Vec<u8>)> {
        vec![(bluezone::COMPANY_ID, vec![id; 12])]
    }

    #[test]
    fn a_scripted_stream_yields_sightings_with_the_latest_rssi() {
        let mut h = ScanEvents::new(60);
        let dev = || "11:22:33:44:55:66".to_owned();
        // Discovered without RSSI: nothing yet, remembered.
        let out = h.handle(
            RadioEvent::Discovered {
                device: dev(),
                rssi: None,
                tx_power: Some(-4),
                services: vec![],
                service_data: vec![
                    (GAEN_SERVICE_UUID, vec![1; 20]),
                    (uuid16(0x1234), vec![0; 3]),
                ],
                manufacturer_data: vec![],
            },
            T,
        );
        assert!(out.is_empty());
        // The RSSI arrives: one sighting of the remembered payload, with the TX power.
        let out = h.handle(
            RadioEvent::Rssi {
                device: dev(),
                rssi: -70,
            },
            T,
        );
        assert_eq!(out.len(), 1);
        let r = out[0].received;
        assert_eq!((r.rssi, r.tx_power), (-70, Some(-4)));
        assert!(matches!(r.data, RadioData::Identifier(Identifier::Gaen(_))));
        // A rotated payload: reported with the last RSSI.
        let out = h.handle(
            RadioEvent::ServiceData {
                device: dev(),
                service_data: vec![(GAEN_SERVICE_UUID, vec![2; 20])],
            },
            T,
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].received.rssi, -70);
        assert_ne!(
            out[0].received.data,
            RadioData::Identifier(Identifier::Gaen(GaenPayload::from_bytes(&[1; 20])))
        );
        // Bluezone manufacturer data on another device, RSSI clamped.
        let out = h.handle(
            RadioEvent::Discovered {
                device: "other".into(),
                rssi: Some(-300),
                tx_power: None,
                services: vec![],
                service_data: vec![],
                manufacturer_data: bz(9),
            },
            T,
        );
        assert_eq!(
            out[0].received.data,
            RadioData::Identifier(Identifier::Bluezone(BluezoneId::from_bytes([9; 12])))
        );
        assert_eq!(out[0].received.rssi, -128);
        // Junk and other companies are ignored.
        let out = h.handle(
            RadioEvent::ManufacturerData {
                device: "other".into(),
                manufacturer_data: vec![(0x004c, vec![1, 2, 3])],
            },
            T,
        );
        assert!(out.is_empty());
    }

    #[test]
    fn scans_restart_on_schedule_and_forget_devices() {
        let mut h = ScanEvents::new(60);
        assert!(h.restart_due(T));
        h.handle(
            RadioEvent::Discovered {
                device: "d".into(),
                rssi: Some(-50),
                tx_power: None,
                services: vec![],
                service_data: vec![],
                manufacturer_data: bz(1),
            },
            T,
        );
        assert!(!h.restart_due(UnixTime::from_secs(T.as_secs() + 59)));
        assert!(h.restart_due(UnixTime::from_secs(T.as_secs() + 60)));
        // Forgotten: an RSSI alone yields nothing until the device is rediscovered.
        assert!(
            h.handle(
                RadioEvent::Rssi {
                    device: "d".into(),
                    rssi: -40
                },
                T
            )
            .is_empty()
        );
        assert!(!ScanEvents::new(0).restart_due(T));
    }

    #[test]
    fn a_bluezone_ios_phone_asks_for_a_gatt_read() {
        let mut h = ScanEvents::new(60);
        let out = h.handle(
            RadioEvent::Discovered {
                device: "ios".into(),
                rssi: Some(-66),
                tx_power: None,
                services: vec![bluezone::IOS_SERVICE_UUID],
                service_data: vec![],
                manufacturer_data: vec![],
            },
            T,
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].device, "ios");
        assert_eq!(
            out[0].received.data,
            RadioData::ServiceUuid(bluezone::IOS_SERVICE_UUID)
        );
        // Once per discovery, then again on RSSI updates (each a new sighting).
        let out = h.handle(
            RadioEvent::Rssi {
                device: "ios".into(),
                rssi: -60,
            },
            T,
        );
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn advertisement_data_per_scheme() {
        let g = AdvertisementData::of(&Identifier::Gaen(GaenPayload::from_bytes(&[3; 20])));
        assert_eq!(g.service_uuids, vec![GAEN_SERVICE_UUID]);
        assert_eq!(g.service_data, vec![(GAEN_SERVICE_UUID, vec![3; 20])]);
        let b = AdvertisementData::of(&Identifier::Bluezone(BluezoneId::from_bytes([4; 12])));
        assert_eq!(b.manufacturer_data, vec![(0x22B5, vec![4; 12])]);
        assert_eq!(
            format!("{GAEN_SERVICE_UUID:032x}"),
            "0000fd6f00001000800000805f9b34fb"
        );
    }
}
