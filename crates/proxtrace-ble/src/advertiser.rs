//! The advertiser: one broadcast advertisement per tracer payload, re-registered at every
//! rotation, and — when the tracer speaks Bluezone — the Bluezone iOS GATT service (a bluer
//! GATT application) with a connectable advertisement of its UUID, so that iOS Bluezone
//! phones, which find peers by that service, can read the laptop's identifier.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use bluer::gatt::local::{
    Application, ApplicationHandle, Characteristic, CharacteristicRead, ReqError, Service,
};
use uuid::Uuid;

use proxtrace::ble::AdvertisementData;
use proxtrace::bluezone::{self, BluezoneId};
use proxtrace::identifier::Identifier;
use proxtrace::tracer::Advertisement;

use super::BleError;

/// An advertiser on the default adapter.
pub struct Advertiser {
    adapter: bluer::Adapter,
    handles: Vec<bluer::adv::AdvertisementHandle>,
    /// The identifier the GATT characteristic serves (the one in force).
    served: Arc<Mutex<Option<BluezoneId>>>,
    gatt: Option<ApplicationHandle>,
    serve_gatt: bool,
    _session: bluer::Session,
}

impl std::fmt::Debug for Advertiser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Advertiser")
            .field("registered", &self.handles.len())
            .field("gatt", &self.gatt.is_some())
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

/// The connectable advertisement an iOS Bluezone phone looks for: the Bluezone iOS service
/// UUID alone (18 bytes of AD with the flags), pointing at the GATT service.
pub fn bluezone_ios_advertisement() -> bluer::adv::Advertisement {
    bluer::adv::Advertisement {
        advertisement_type: bluer::adv::Type::Peripheral,
        service_uuids: [Uuid::from_u128(bluezone::IOS_SERVICE_UUID)].into(),
        ..Default::default()
    }
}

/// The Bluezone iOS GATT service: one readable characteristic with the identifier in force
/// (a read at an offset gets the rest of it; no identifier yet is a failed read).
fn bluezone_application(served: Arc<Mutex<Option<BluezoneId>>>) -> Application {
    let read = CharacteristicRead {
        read: true,
        fun: Box::new(move |req| {
            let served = served.clone();
            Box::pin(async move {
                let id = served
                    .lock()
                    .map_err(|_| ReqError::Failed)?
                    .ok_or(ReqError::Failed)?;
                let bytes = id.as_bytes();
                let offset = usize::from(req.offset);
                bytes
                    .get(offset..)
                    .map(<[u8]>::to_vec)
                    .ok_or(ReqError::InvalidOffset)
            })
        }),
        ..Default::default()
    };
    Application {
        services: vec![Service {
            uuid: Uuid::from_u128(bluezone::IOS_SERVICE_UUID),
            primary: true,
            characteristics: vec![Characteristic {
                uuid: Uuid::from_u128(bluezone::IOS_ID_CHARACTERISTIC_UUID),
                read: Some(read),
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    }
}

impl Advertiser {
    /// Connect to BlueZ and power the default adapter on. Serves the Bluezone iOS GATT
    /// service whenever a Bluezone payload is advertised (see [`Advertiser::serve_bluezone_gatt`]).
    pub async fn new() -> Result<Self, BleError> {
        let session = bluer::Session::new().await.map_err(adv_err)?;
        let adapter = session.default_adapter().await.map_err(adv_err)?;
        adapter.set_powered(true).await.map_err(adv_err)?;
        Ok(Self {
            adapter,
            handles: Vec::new(),
            served: Arc::new(Mutex::new(None)),
            gatt: None,
            serve_gatt: true,
            _session: session,
        })
    }

    /// Whether to serve the Bluezone iOS GATT service (default: yes). Off, only the broadcast
    /// advertisements are registered; takes effect at the next [`Advertiser::register`].
    pub fn serve_bluezone_gatt(&mut self, on: bool) {
        self.serve_gatt = on;
        if !on {
            self.gatt = None;
        }
    }

    /// Replace what is broadcast by `a` (the old advertisements are unregistered first, so
    /// BlueZ picks new random addresses with the new identifiers): one broadcast
    /// advertisement per payload, and with a Bluezone payload the connectable Bluezone iOS
    /// advertisement, whose GATT characteristic serves the new identifier from now on.
    pub async fn register(&mut self, a: &Advertisement) -> Result<(), BleError> {
        self.handles.clear();
        let bluezone = a.payloads.iter().find_map(|p| match p {
            Identifier::Bluezone(b) => Some(*b),
            Identifier::Gaen(_) => None,
        });
        if let Ok(mut s) = self.served.lock() {
            *s = bluezone;
        }
        for p in &a.payloads {
            let adv = bluer_advertisement(&AdvertisementData::of(p));
            self.handles
                .push(self.adapter.advertise(adv).await.map_err(adv_err)?);
        }
        if self.serve_gatt && bluezone.is_some() {
            if self.gatt.is_none() {
                let app = bluezone_application(self.served.clone());
                self.gatt = Some(
                    self.adapter
                        .serve_gatt_application(app)
                        .await
                        .map_err(adv_err)?,
                );
            }
            self.handles.push(
                self.adapter
                    .advertise(bluezone_ios_advertisement())
                    .await
                    .map_err(adv_err)?,
            );
        }
        Ok(())
    }
}
