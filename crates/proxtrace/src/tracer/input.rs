//! What a host hands to the tracer: [`Input`]s, and the one sighting type from radio to
//! tracer, [`Received`].

use crate::identifier::Identifier;
use crate::time::UnixTime;

/// One input to [`super::Tracer::handle_input`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Input<'a> {
    /// The radio received something. Ordinary radio traffic — other apps' beacons, headphones,
    /// padding — is an input like any other: it never makes `handle_input` fail (the outcome
    /// is an event, see [`super::TracerEvent`]).
    Received(Received<'a>),
    /// Time has passed: the host woke the tracer at (or after) the deadline of the last
    /// [`super::Output::Timeout`].
    Timeout(UnixTime),
}

/// What the radio handed over for one advertiser, with its signal strength and time: the one
/// sighting type from radio to tracer, whatever shape the platform delivers it in.
///
/// ```
/// use proxtrace::tracer::{RadioData, Received};
/// use proxtrace::time::UnixTime;
/// // Android: ScanResult.getScanRecord().getBytes() (62 bytes) and ScanResult.getRssi().
/// let record = [0u8; 62];
/// let r = Received::new(RadioData::AdvertisingData(&record), -70, UnixTime::from_secs(1_763_800_000));
/// assert_eq!(r.tx_power, None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received<'a> {
    /// What was received.
    pub data: RadioData<'a>,
    /// Received signal strength, dBm, as the platform reports it (the tracer adds its own
    /// calibration).
    pub rssi: i8,
    /// The TX power level the platform reports beside the data (Android's
    /// `ScanResult.getTxPower()` for extended advertising, iOS's
    /// `CBAdvertisementDataTxPowerLevelKey`), if any. A TX power level AD structure inside
    /// [`RadioData::AdvertisingData`] is found by the tracer itself.
    pub tx_power: Option<i8>,
    /// When, unix seconds.
    pub time: UnixTime,
}

impl<'a> Received<'a> {
    /// A reception without a separate TX power level.
    pub const fn new(data: RadioData<'a>, rssi: i8, time: UnixTime) -> Self {
        Self {
            data,
            rssi,
            tx_power: None,
            time,
        }
    }

    /// Clamp a platform's RSSI (Android and iOS report an `int`) into `i8`.
    pub fn clamp_rssi(rssi: i32) -> i8 {
        rssi.clamp(i32::from(i8::MIN), i32::from(i8::MAX)) as i8
    }
}

/// The shapes in which platforms deliver what they heard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RadioData<'a> {
    /// Raw advertising data: a legacy advertisement (≤ 31 bytes), a legacy scan record
    /// (advertising data then scan response, zero-padded to 62 bytes: Android's
    /// `ScanRecord.getBytes()`), or extended advertising data (≤ 254 bytes).
    AdvertisingData(&'a [u8]),
    /// Service data the platform already split out: Android's
    /// `ScanRecord.getServiceData(ParcelUuid)`, iOS's `kCBAdvDataServiceData`. The UUID in its
    /// 128-bit form (16-bit UUIDs on the Bluetooth base, see [`crate::advert::uuid16`]).
    ServiceData {
        /// The service UUID.
        uuid: u128,
        /// The service data.
        data: &'a [u8],
    },
    /// Manufacturer-specific data the platform already split out: Android's
    /// `ScanRecord.getManufacturerSpecificData(int)`.
    ManufacturerData {
        /// The company identifier.
        company_id: u16,
        /// The data after the company identifier.
        data: &'a [u8],
    },
    /// One advertised 128-bit service UUID without data (iOS's `kCBAdvDataServiceUUIDs`): a
    /// Bluezone iOS phone advertises only its service and must be read over GATT.
    ServiceUuid(u128),
    /// An identifier decoded elsewhere: by a BLE adapter, an importer, or — for a Bluezone iOS
    /// phone — read from its GATT characteristic after a [`super::TracerEvent::NeedsGattRead`]
    /// (then `rssi` is the connection's).
    Identifier(Identifier),
}
