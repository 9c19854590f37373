//! The Linux adapters of proxtrace: a scanner over btleplug and an advertiser over bluer,
//! both talking to BlueZ over D-Bus (needs `libdbus-1-dev` and `pkg-config` to build). These
//! are the edges: they read the clock and the radio and feed the sans-IO
//! [`proxtrace::ble::ScanEvents`] and the tracer. Guide: `docs/ble.md`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use btleplug::api::{Central, CentralEvent, Manager as _, Peripheral as _, ScanFilter};
use btleplug::platform::{Adapter, Manager};
use futures::StreamExt;
use uuid::Uuid;

use proxtrace::ble::{AdvertisementData, DeviceReceived, RadioEvent, ScanEvents};
use proxtrace::time::UnixTime;
use proxtrace::tracer::Advertisement;

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

fn scan_err(e: impl std::fmt::Display) -> BleError {
    let m = e.to_string();
    if m.contains("org.bluez") || m.contains("ServiceUnknown") || m.contains("not found") {
        BleError::NoAdapter
    } else {
        BleError::Scanner(m)
    }
}

/// The wall clock, as the edge reads it.
pub fn now() -> UnixTime {
    UnixTime::from_secs(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    )
}

/// A scanner on the first adapter.
pub struct Scanner {
    central: Adapter,
    events: ScanEvents,
}

impl std::fmt::Debug for Scanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scanner").finish_non_exhaustive()
    }
}

impl Scanner {
    /// Connect to BlueZ and pick the first adapter. `restart_every_secs`: see
    /// [`ScanEvents::new`] (60 is a good value).
    pub async fn new(restart_every_secs: u64) -> Result<Self, BleError> {
        let manager = Manager::new().await.map_err(scan_err)?;
        let central = manager
            .adapters()
            .await
            .map_err(scan_err)?
            .into_iter()
            .next()
            .ok_or(BleError::NoAdapter)?;
        Ok(Self {
            central,
            events: ScanEvents::new(restart_every_secs),
        })
    }

    async fn radio_event(&self, ev: CentralEvent) -> Option<RadioEvent> {
        Some(match ev {
            CentralEvent::DeviceDiscovered(id) | CentralEvent::DeviceUpdated(id) => {
                let p = self.central.peripheral(&id).await.ok()?;
                let props = p.properties().await.ok()??;
                RadioEvent::Discovered {
                    device: id.to_string(),
                    rssi: props.rssi,
                    tx_power: props.tx_power_level,
                    services: props.services.iter().map(Uuid::as_u128).collect(),
                    service_data: props
                        .service_data
                        .into_iter()
                        .map(|(u, d)| (u.as_u128(), d))
                        .collect(),
                    manufacturer_data: props.manufacturer_data.into_iter().collect(),
                }
            }
            CentralEvent::ServiceDataAdvertisement { id, service_data } => {
                RadioEvent::ServiceData {
                    device: id.to_string(),
                    service_data: service_data
                        .into_iter()
                        .map(|(u, d)| (u.as_u128(), d))
                        .collect(),
                }
            }
            CentralEvent::ManufacturerDataAdvertisement {
                id,
                manufacturer_data,
            } => RadioEvent::ManufacturerData {
                device: id.to_string(),
                manufacturer_data: manufacturer_data.into_iter().collect(),
            },
            CentralEvent::RssiUpdate { id, rssi } => RadioEvent::Rssi {
                device: id.to_string(),
                rssi,
            },
            _ => return None,
        })
    }

    /// Scan for `duration` (forever if `None`), calling `on_heard` for every reception (hand
    /// `received` to the tracer) and `on_tick` once a second; the scan restarts on schedule.
    pub async fn run(
        &mut self,
        duration: Option<Duration>,
        mut on_heard: impl FnMut(DeviceReceived),
        mut on_tick: impl FnMut(UnixTime),
    ) -> Result<(), BleError> {
        let mut stream = self.central.events().await.map_err(scan_err)?;
        self.events.restart_due(now());
        self.central
            .start_scan(ScanFilter::default())
            .await
            .map_err(scan_err)?;
        let deadline = duration.map(|d| tokio::time::Instant::now() + d);
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                ev = stream.next() => {
                    let Some(ev) = ev else { break };
                    if let Some(ev) = self.radio_event(ev).await {
                        for h in self.events.handle(ev, now()) {
                            on_heard(h);
                        }
                    }
                }
                _ = tick.tick() => {
                    let t = now();
                    on_tick(t);
                    if deadline.is_some_and(|d| tokio::time::Instant::now() >= d) {
                        break;
                    }
                    if self.events.restart_due(t) {
                        let _ = self.central.stop_scan().await;
                        self.central.start_scan(ScanFilter::default()).await.map_err(scan_err)?;
                    }
                }
            }
        }
        let _ = self.central.stop_scan().await;
        Ok(())
    }
}

/// An advertiser on the default adapter: one broadcast advertisement per tracer payload,
/// re-registered at every rotation.
pub struct Advertiser {
    adapter: bluer::Adapter,
    handles: Vec<bluer::adv::AdvertisementHandle>,
    _session: bluer::Session,
}

impl std::fmt::Debug for Advertiser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Advertiser")
            .field("registered", &self.handles.len())
            .finish_non_exhaustive()
    }
}

fn adv_err(e: bluer::Error) -> BleError {
    match e.kind {
        bluer::ErrorKind::NotFound | bluer::ErrorKind::ServicesUnresolved => BleError::NoAdapter,
        _ if e.message.contains("org.bluez") => BleError::NoAdapter,
        _ => BleError::Advertiser(e.to_string()),
    }
}

/// The bluer advertisement for one payload's data.
pub fn bluer_advertisement(d: &AdvertisementData) -> bluer::adv::Advertisement {
    bluer::adv::Advertisement {
        advertisement_type: bluer::adv::Type::Broadcast,
        service_uuids: d
            .service_uuids
            .iter()
            .map(|u| Uuid::from_u128(*u))
            .collect::<BTreeSet<_>>(),
        service_data: d
            .service_data
            .iter()
            .map(|(u, v)| (Uuid::from_u128(*u), v.clone()))
            .collect::<BTreeMap<_, _>>(),
        manufacturer_data: d
            .manufacturer_data
            .iter()
            .cloned()
            .collect::<BTreeMap<_, _>>(),
        ..Default::default()
    }
}

impl Advertiser {
    /// Connect to BlueZ and power the default adapter on.
    pub async fn new() -> Result<Self, BleError> {
        let session = bluer::Session::new().await.map_err(adv_err)?;
        let adapter = session.default_adapter().await.map_err(adv_err)?;
        adapter.set_powered(true).await.map_err(adv_err)?;
        Ok(Self {
            adapter,
            handles: Vec::new(),
            _session: session,
        })
    }

    /// Replace what is broadcast by `a` (the old advertisements are unregistered first, so
    /// BlueZ picks a new random address with the new identifiers).
    pub async fn register(&mut self, a: &Advertisement) -> Result<(), BleError> {
        self.handles.clear();
        for p in &a.payloads {
            let adv = bluer_advertisement(&AdvertisementData::of(p));
            self.handles
                .push(self.adapter.advertise(adv).await.map_err(adv_err)?);
        }
        Ok(())
    }
}
