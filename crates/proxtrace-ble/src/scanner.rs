//! The scanner: btleplug events through [`ScanEvents`] to tracer receptions, and GATT reads of
//! Bluezone iOS phones ([`GattReads`]) in tasks of their own, so a slow or silent phone never
//! holds up the scan.

use std::time::Duration;

use btleplug::api::{Central, CentralEvent, Manager as _, Peripheral as _, ScanFilter};
use btleplug::platform::{Adapter, Manager, PeripheralId};
use futures::StreamExt;
use tokio::sync::mpsc;
use uuid::Uuid;

use proxtrace::ble::{DeviceReceived, RadioEvent, ScanEvents};
use proxtrace::bluezone;
use proxtrace::time::UnixTime;
use proxtrace::tracer::RadioData;

use super::gatt_reads::{GattAction, GattReads, GattStats};
use super::{BleError, now};

/// How long a GATT read of a Bluezone iOS phone may take (connect, discover, read) by default.
pub const GATT_READ_TIMEOUT: Duration = Duration::from_secs(10);

fn scan_err(e: impl std::fmt::Display) -> BleError {
    let m = e.to_string();
    if m.contains("org.bluez") || m.contains("ServiceUnknown") || m.contains("not found") {
        BleError::NoAdapter
    } else {
        BleError::Scanner(m)
    }
}

/// A scanner on the first adapter.
pub struct Scanner {
    central: Adapter,
    events: ScanEvents,
    gatt: GattReads,
    gatt_timeout: Duration,
}

impl std::fmt::Debug for Scanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scanner")
            .field("gatt", &self.gatt.stats())
            .finish_non_exhaustive()
    }
}

/// Connect to `id`, read the Bluezone iOS identifier characteristic, disconnect; all within
/// `timeout`.
async fn read_bluezone_id(
    central: Adapter,
    id: PeripheralId,
    timeout: Duration,
) -> Result<Vec<u8>, String> {
    let p = central.peripheral(&id).await.map_err(|e| e.to_string())?;
    let read = tokio::time::timeout(timeout, async {
        p.connect().await.map_err(|e| format!("connect: {e}"))?;
        p.discover_services()
            .await
            .map_err(|e| format!("discover services: {e}"))?;
        let service = Uuid::from_u128(bluezone::IOS_SERVICE_UUID);
        let characteristic = Uuid::from_u128(bluezone::IOS_ID_CHARACTERISTIC_UUID);
        let c = p
            .characteristics()
            .into_iter()
            .find(|c| c.service_uuid == service && c.uuid == characteristic)
            .ok_or("no Bluezone identifier characteristic")?;
        p.read(&c).await.map_err(|e| format!("read: {e}"))
    })
    .await;
    let _ = tokio::time::timeout(Duration::from_secs(2), p.disconnect()).await;
    read.unwrap_or_else(|_| Err(format!("timed out after {} s", timeout.as_secs_f32())))
}

impl Scanner {
    /// Connect to BlueZ and pick the first adapter. `restart_every_secs`: see
    /// [`ScanEvents::new`] (60 is a good value). Bluezone iOS phones are read over GATT once
    /// per 15-minute slot, two at a time, within [`GATT_READ_TIMEOUT`] (see
    /// [`Scanner::with_gatt_reads`]).
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
            gatt: GattReads::new(86_400 / 96, 2),
            gatt_timeout: GATT_READ_TIMEOUT,
        })
    }

    /// GATT reads of Bluezone iOS phones: slots of `slot_secs` (the tracer's `86 400 /
    /// bluezone_slots_per_day`), each read within `timeout`, at most `max_in_flight` at once.
    pub fn with_gatt_reads(
        mut self,
        slot_secs: u64,
        timeout: Duration,
        max_in_flight: usize,
    ) -> Self {
        self.gatt = GattReads::new(slot_secs, max_in_flight);
        self.gatt_timeout = timeout;
        self
    }

    /// The GATT reads' counters so far.
    pub fn gatt_stats(&self) -> GattStats {
        self.gatt.stats()
    }

    /// The last failed GATT read: the device and why.
    pub fn gatt_last_failure(&self) -> Option<(&str, &str)> {
        self.gatt.last_failure()
    }

    async fn radio_event(&self, ev: CentralEvent) -> Option<(PeripheralId, RadioEvent)> {
        Some(match ev {
            CentralEvent::DeviceDiscovered(id) | CentralEvent::DeviceUpdated(id) => {
                let p = self.central.peripheral(&id).await.ok()?;
                let props = p.properties().await.ok()??;
                let ev = RadioEvent::Discovered {
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
                };
                (id, ev)
            }
            CentralEvent::ServiceDataAdvertisement { id, service_data } => {
                let ev = RadioEvent::ServiceData {
                    device: id.to_string(),
                    service_data: service_data
                        .into_iter()
                        .map(|(u, d)| (u.as_u128(), d))
                        .collect(),
                };
                (id, ev)
            }
            CentralEvent::ManufacturerDataAdvertisement {
                id,
                manufacturer_data,
            } => {
                let ev = RadioEvent::ManufacturerData {
                    device: id.to_string(),
                    manufacturer_data: manufacturer_data.into_iter().collect(),
                };
                (id, ev)
            }
            CentralEvent::RssiUpdate { id, rssi } => {
                let ev = RadioEvent::Rssi {
                    device: id.to_string(),
                    rssi,
                };
                (id, ev)
            }
            _ => return None,
        })
    }

    /// Scan for `duration` (forever if `None`), calling `on_heard` for every reception (hand
    /// `received` to the tracer) and `on_tick` once a second; the scan restarts on schedule.
    /// A Bluezone iOS phone's service-UUID reception is followed by its identifier
    /// ([`RadioData::Identifier`]) once a GATT read returns it, and by the cached identifier
    /// for its later sightings in the slot; reads run beside the scan, never blocking it.
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
        let (done_tx, mut done_rx) = mpsc::unbounded_channel::<(String, Result<Vec<u8>, String>)>();
        let mut reads = tokio::task::JoinSet::new();
        loop {
            tokio::select! {
                ev = stream.next() => {
                    let Some(ev) = ev else { break };
                    let Some((id, ev)) = self.radio_event(ev).await else { continue };
                    for h in self.events.handle(ev, now()) {
                        let ios = matches!(h.received.data,
                            RadioData::ServiceUuid(u) if u == bluezone::IOS_SERVICE_UUID);
                        let (device, rssi, time) = (h.device.clone(), h.received.rssi, h.received.time);
                        on_heard(h);
                        if !ios {
                            continue;
                        }
                        match self.gatt.sighting(&device, rssi, time) {
                            GattAction::Read => {
                                let (central, id, tx) = (self.central.clone(), id.clone(), done_tx.clone());
                                let timeout = self.gatt_timeout;
                                reads.spawn(async move {
                                    let r = read_bluezone_id(central, id, timeout).await;
                                    let _ = tx.send((device, r));
                                });
                            }
                            GattAction::Known(received) => on_heard(DeviceReceived { device, received }),
                            GattAction::Wait => {}
                        }
                    }
                }
                Some((device, result)) = done_rx.recv() => {
                    if let Some(received) = self.gatt.finished(&device, result) {
                        on_heard(DeviceReceived { device, received });
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
        reads.abort_all();
        self.gatt.cancel_in_flight();
        let _ = self.central.stop_scan().await;
        Ok(())
    }
}
