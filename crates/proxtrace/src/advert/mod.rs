//! BLE payload codecs for both schemes.
//!
//! | scheme | raw legacy advertisement |
//! |---|---|
//! | GAEN | `02 01 1A` · `03 03 6F FD` · `17 16 6F FD <RPI 16> <AEM 4>` (31 bytes) |
//! | Bluezone (Android) | `02 01 1A` · `03 03 56 4E` · `0F FF B5 22 <ID 12>` (23 bytes) |
//! | Bluezone (iOS) | `02 01 1A` · `11 07 <00004E56-73F5-4BC4-A12F-17D1AD07A667, little-endian>` (21 bytes); the ID is read over GATT |
//!
//! A receiver may get these bytes in several shapes, all decoded by
//! [`decode_advertising_data`]: the legacy advertisement alone (≤ 31 bytes), Android's
//! legacy scan record (`ScanRecord.getBytes()`: advertising data followed by the scan
//! response, zero-padded to 62 bytes) or extended advertising data (≤ 254 bytes). A zero
//! length byte ends the data: what follows is padding.
//!
//! ```
//! use proxtrace::advert::{decode_advertising_data, encode_advertisement, Beacon};
//! use proxtrace::bluezone::BluezoneId;
//! use proxtrace::identifier::Identifier;
//!
//! let id = Identifier::Bluezone(BluezoneId::from_bytes([7; 12]));
//! let raw = encode_advertisement(&id);
//! assert_eq!(raw.as_bytes().len(), 23);
//! // As Android's ScanRecord.getBytes() hands it over: 62 bytes, zero-padded.
//! let mut record = raw.as_bytes().to_vec();
//! record.resize(62, 0);
//! let decoded = decode_advertising_data(&record).unwrap();
//! assert_eq!(decoded.beacon, Beacon::Identifier(id));
//! ```

pub mod ad;

use ad::{
    AD_COMPLETE_UUID16, AD_COMPLETE_UUID128, AD_FLAGS, AD_INCOMPLETE_UUID128, AD_MANUFACTURER_DATA,
    AD_SERVICE_DATA_UUID16, AD_TX_POWER_LEVEL, EXTENDED_MAX_LEN, FLAGS_VALUE, LEGACY_MAX_LEN,
    ad_structures, push_ad,
};

use crate::bluezone::{self, BluezoneId};
use crate::identifier::{GaenPayload, Identifier};

/// GAEN's 16-bit service UUID.
pub const GAEN_SERVICE_UUID16: u16 = 0xFD6F;

/// The Bluetooth base UUID with a 16-bit UUID in it (`0000xxxx-0000-1000-8000-00805f9b34fb`).
pub const fn uuid16(short: u16) -> u128 {
    ((short as u128) << 96) | 0x0000_0000_0000_1000_8000_0080_5F9B_34FB
}

/// The 16-bit UUID inside a 128-bit UUID on the Bluetooth base, if it is one.
pub const fn as_uuid16(uuid: u128) -> Option<u16> {
    if uuid & !(0xFFFF_u128 << 96) == uuid16(0) {
        Some((uuid >> 96) as u16)
    } else {
        None
    }
}

/// GAEN's service UUID, 0000fd6f-0000-1000-8000-00805f9b34fb.
pub const GAEN_SERVICE_UUID: u128 = uuid16(GAEN_SERVICE_UUID16);
/// Bluezone's Android service UUID, 00004e56-0000-1000-8000-00805f9b34fb.
pub const BLUEZONE_SERVICE_UUID: u128 = uuid16(bluezone::SERVICE_UUID16);

/// A malformed or foreign advertisement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AdvertError {
    /// Advertising data longer than its form allows (31 bytes for a legacy advertisement or
    /// scan response, 254 for a scan record or extended advertising data).
    #[error("{part} is {len} bytes; it holds at most {max}")]
    TooLong {
        /// `"advertising data"`, `"scan response"` or `"extended advertising data"`.
        part: &'static str,
        /// Its length.
        len: usize,
        /// The most that form holds.
        max: usize,
    },
    /// An AD structure whose length byte runs past the end of the data.
    #[error("AD structure at byte {offset} declares {declared} bytes but only {available} follow")]
    Truncated {
        /// Offset of the length byte.
        offset: usize,
        /// Declared length (type and data).
        declared: usize,
        /// Bytes actually left.
        available: usize,
    },
    /// An AD structure too short to hold its own header (a service UUID or company id).
    #[error("AD structure of type {ad_type:#04x} is {len} bytes, too short for its header")]
    ShortStructure {
        /// The AD type.
        ad_type: u8,
        /// Its data length.
        len: usize,
    },
    /// A GAEN or Bluezone payload of the wrong length.
    #[error("{scheme} payload must be {expected} bytes, got {actual}")]
    WrongPayloadLength {
        /// `"gaen"` or `"bluezone"`.
        scheme: &'static str,
        /// Required length.
        expected: usize,
        /// Length found.
        actual: usize,
    },
    /// Service data for a UUID that is neither GAEN's nor Bluezone's.
    #[error("service data UUID {0:#06x} is not a proximity-tracing service (GAEN is 0xfd6f)")]
    UnknownServiceUuid(u16),
    /// Service data for a 128-bit UUID that is not on the Bluetooth base.
    #[error("service data UUID {0:032x} is not a proximity-tracing service")]
    UnknownServiceUuid128(u128),
    /// Manufacturer data of a company other than Bluezone's.
    #[error("manufacturer data of company {0:#06x} is not Bluezone's (0x22b5)")]
    UnknownCompanyId(u16),
    /// A well-formed advertisement that carries neither scheme (another kind of device).
    #[error("the advertisement carries no GAEN or Bluezone payload")]
    NoProximityPayload,
}

/// What a proximity-tracing advertisement carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Beacon {
    /// An identifier: GAEN service data (RPI and AEM) or Bluezone manufacturer data.
    Identifier(Identifier),
    /// A Bluezone iOS phone: it advertises only its 128-bit service, and its identifier must be
    /// read from the GATT characteristic [`bluezone::IOS_ID_CHARACTERISTIC_UUID`].
    BluezoneGattService,
}

impl Beacon {
    /// The identifier carried, if any (`None` for [`Beacon::BluezoneGattService`]).
    pub const fn identifier(&self) -> Option<Identifier> {
        match *self {
            Self::Identifier(id) => Some(id),
            Self::BluezoneGattService => None,
        }
    }
}

impl From<Identifier> for Beacon {
    fn from(id: Identifier) -> Self {
        Self::Identifier(id)
    }
}

/// `(16-bit UUID, service data)` of a GAEN identifier, for platform APIs that take service
/// data; `None` for Bluezone.
pub fn service_data(id: &Identifier) -> Option<(u16, [u8; 20])> {
    match id {
        Identifier::Gaen(p) => Some((GAEN_SERVICE_UUID16, p.to_bytes())),
        Identifier::Bluezone(_) => None,
    }
}

/// `(company id, data)` of a Bluezone identifier, for platform APIs that take manufacturer
/// data; `None` for GAEN.
pub fn manufacturer_data(id: &Identifier) -> Option<(u16, [u8; 12])> {
    match id {
        Identifier::Bluezone(b) => Some((bluezone::COMPANY_ID, *b.as_bytes())),
        Identifier::Gaen(_) => None,
    }
}

/// A decoded advertisement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodedAdvertisement {
    /// What it carries.
    pub beacon: Beacon,
    /// The TX power level AD structure, if the sender included one (dBm).
    pub tx_power_level: Option<i8>,
}

/// Decode 16-bit-UUID service data as a platform scanner reports it (UUID and data apart).
pub fn decode_service_data(uuid16: u16, data: &[u8]) -> Result<Identifier, AdvertError> {
    if uuid16 != GAEN_SERVICE_UUID16 {
        return Err(AdvertError::UnknownServiceUuid(uuid16));
    }
    let bytes: &[u8; 20] = data
        .try_into()
        .map_err(|_| AdvertError::WrongPayloadLength {
            scheme: "gaen",
            expected: GaenPayload::LEN,
            actual: data.len(),
        })?;
    Ok(Identifier::Gaen(GaenPayload::from_bytes(bytes)))
}

/// Decode service data reported under a 128-bit UUID (Android's `ParcelUuid`, iOS's
/// `CBUUID`): GAEN's UUID in either its 16-bit or its full form.
pub fn decode_service_data_uuid(uuid: u128, data: &[u8]) -> Result<Identifier, AdvertError> {
    match as_uuid16(uuid) {
        Some(short) => decode_service_data(short, data),
        None => Err(AdvertError::UnknownServiceUuid128(uuid)),
    }
}

/// Decode manufacturer data as a platform scanner reports it (company id and data apart).
pub fn decode_manufacturer_data(company_id: u16, data: &[u8]) -> Result<Identifier, AdvertError> {
    if company_id != bluezone::COMPANY_ID {
        return Err(AdvertError::UnknownCompanyId(company_id));
    }
    let bytes: [u8; 12] = data
        .try_into()
        .map_err(|_| AdvertError::WrongPayloadLength {
            scheme: "bluezone",
            expected: BluezoneId::LEN,
            actual: data.len(),
        })?;
    Ok(Identifier::Bluezone(BluezoneId::from_bytes(bytes)))
}

/// Whether a 128-bit service UUID is Bluezone's iOS service.
pub const fn is_bluezone_ios_service(uuid: u128) -> bool {
    uuid == bluezone::IOS_SERVICE_UUID
}

/// Decode a raw legacy advertisement and optional scan response (each at most 31 bytes),
/// finding either scheme. See [`decode_advertising_data`] for the precedence rules.
pub fn decode_advertisement(
    adv: &[u8],
    scan_response: Option<&[u8]>,
) -> Result<DecodedAdvertisement, AdvertError> {
    let mut found = Found::default();
    for (part, bytes) in [
        ("advertising data", Some(adv)),
        ("scan response", scan_response),
    ] {
        let Some(bytes) = bytes else { continue };
        if bytes.len() > LEGACY_MAX_LEN {
            return Err(AdvertError::TooLong {
                part,
                len: bytes.len(),
                max: LEGACY_MAX_LEN,
            });
        }
        found.scan(bytes)?;
    }
    found.finish()
}

/// Decode advertising data of any shape a platform hands over: a legacy advertisement, a
/// legacy scan record (advertising data followed by the scan response, zero-padded to 62
/// bytes, as Android's `ScanRecord.getBytes()`), or extended advertising data — at most
/// 254 bytes. A zero length byte ends the data (padding follows).
///
/// GAEN service data wins over Bluezone manufacturer data, which wins over the Bluezone iOS
/// service UUID. A payload of a known scheme with the wrong length is an error, not skipped;
/// well-formed data of another kind of device is [`AdvertError::NoProximityPayload`].
pub fn decode_advertising_data(bytes: &[u8]) -> Result<DecodedAdvertisement, AdvertError> {
    if bytes.len() > EXTENDED_MAX_LEN {
        return Err(AdvertError::TooLong {
            part: "extended advertising data",
            len: bytes.len(),
            max: EXTENDED_MAX_LEN,
        });
    }
    let mut found = Found::default();
    found.scan(bytes)?;
    found.finish()
}

/// What a scan over AD structures found so far.
#[derive(Default)]
struct Found {
    gaen: Option<Identifier>,
    bluezone: Option<Identifier>,
    ios: bool,
    tx_power_level: Option<i8>,
}

impl Found {
    fn scan(&mut self, bytes: &[u8]) -> Result<(), AdvertError> {
        for ad in ad_structures(bytes) {
            let ad = ad?;
            match ad.ad_type {
                AD_SERVICE_DATA_UUID16 => {
                    let (uuid, data) = split_u16(&ad)?;
                    if uuid == GAEN_SERVICE_UUID16 && self.gaen.is_none() {
                        self.gaen = Some(decode_service_data(uuid, data)?);
                    }
                }
                AD_MANUFACTURER_DATA => {
                    let (company, data) = split_u16(&ad)?;
                    if company == bluezone::COMPANY_ID && self.bluezone.is_none() {
                        self.bluezone = Some(decode_manufacturer_data(company, data)?);
                    }
                }
                AD_COMPLETE_UUID128 | AD_INCOMPLETE_UUID128 => {
                    if ad.data.len() % 16 != 0 {
                        return Err(AdvertError::ShortStructure {
                            ad_type: ad.ad_type,
                            len: ad.data.len(),
                        });
                    }
                    self.ios |= ad.data.chunks_exact(16).any(|c| {
                        let mut b = [0u8; 16];
                        b.copy_from_slice(c);
                        is_bluezone_ios_service(u128::from_le_bytes(b))
                    });
                }
                AD_TX_POWER_LEVEL => {
                    if let [level] = ad.data {
                        self.tx_power_level = Some(*level as i8);
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<DecodedAdvertisement, AdvertError> {
        let beacon = match self.gaen.or(self.bluezone) {
            Some(id) => Beacon::Identifier(id),
            None if self.ios => Beacon::BluezoneGattService,
            None => return Err(AdvertError::NoProximityPayload),
        };
        Ok(DecodedAdvertisement {
            beacon,
            tx_power_level: self.tx_power_level,
        })
    }
}

fn split_u16<'a>(ad: &ad::AdStructure<'a>) -> Result<(u16, &'a [u8]), AdvertError> {
    match ad.data {
        [lo, hi, rest @ ..] => Ok((u16::from_le_bytes([*lo, *hi]), rest)),
        _ => Err(AdvertError::ShortStructure {
            ad_type: ad.ad_type,
            len: ad.data.len(),
        }),
    }
}

/// A raw legacy advertisement (at most 31 bytes) ready for a controller.
#[derive(Clone, PartialEq, Eq)]
pub struct LegacyAdvertisement {
    bytes: Vec<u8>,
}

impl LegacyAdvertisement {
    /// The advertising data bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
}

impl std::fmt::Debug for LegacyAdvertisement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "LegacyAdvertisement({} bytes, <redacted>)",
            self.bytes.len()
        )
    }
}

/// Build the raw legacy advertisement a phone of the identifier's scheme broadcasts.
pub fn encode_advertisement(id: &Identifier) -> LegacyAdvertisement {
    let mut out = Vec::with_capacity(LEGACY_MAX_LEN);
    push_ad(&mut out, AD_FLAGS, &[&[FLAGS_VALUE]]);
    match id {
        Identifier::Gaen(p) => {
            let uuid = GAEN_SERVICE_UUID16.to_le_bytes();
            push_ad(&mut out, AD_COMPLETE_UUID16, &[&uuid]);
            push_ad(&mut out, AD_SERVICE_DATA_UUID16, &[&uuid, &p.to_bytes()]);
        }
        Identifier::Bluezone(id) => {
            push_ad(
                &mut out,
                AD_COMPLETE_UUID16,
                &[&bluezone::SERVICE_UUID16.to_le_bytes()],
            );
            push_ad(
                &mut out,
                AD_MANUFACTURER_DATA,
                &[&bluezone::COMPANY_ID.to_le_bytes(), id.as_bytes()],
            );
        }
    }
    LegacyAdvertisement { bytes: out }
}

/// The advertisement of a Bluezone iOS phone: only its 128-bit service (the identifier is read
/// over GATT). For tests and simulations of iOS peers.
pub fn encode_bluezone_ios_advertisement() -> LegacyAdvertisement {
    let mut out = Vec::with_capacity(LEGACY_MAX_LEN);
    push_ad(&mut out, AD_FLAGS, &[&[FLAGS_VALUE]]);
    push_ad(
        &mut out,
        AD_COMPLETE_UUID128,
        &[&bluezone::IOS_SERVICE_UUID.to_le_bytes()],
    );
    LegacyAdvertisement { bytes: out }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const GAEN_RAW_PREFIX: [u8; 11] = [
        0x02, 0x01, 0x1A, 0x03, 0x03, 0x6F, 0xFD, 0x17, 0x16, 0x6F, 0xFD,
    ];
    const BZ_RAW_PREFIX: [u8; 11] = [
        0x02, 0x01, 0x1A, 0x03, 0x03, 0x56, 0x4E, 0x0F, 0xFF, 0xB5, 0x22,
    ];

    fn gaen(b: u8) -> Identifier {
        Identifier::Gaen(GaenPayload::from_bytes(&[b; 20]))
    }

    #[test]
    fn gaen_layout_matches_protocols_md() {
        let raw = encode_advertisement(&gaen(0x5A));
        assert_eq!(raw.as_bytes().len(), 31);
        assert_eq!(raw.as_bytes()[..11], GAEN_RAW_PREFIX);
        assert!(raw.as_bytes()[11..].iter().all(|&b| b == 0x5A));
    }

    #[test]
    fn bluezone_layout_matches_protocols_md() {
        let id = BluezoneId::from_bytes([0x29; 12]);
        let raw = encode_advertisement(&Identifier::Bluezone(id));
        assert_eq!(raw.as_bytes().len(), 23);
        assert_eq!(raw.as_bytes()[..11], BZ_RAW_PREFIX);
        assert_eq!(&raw.as_bytes()[11..], id.as_bytes());
    }

    #[test]
    fn ios_service_is_reported_not_rejected() {
        let raw = encode_bluezone_ios_advertisement();
        assert_eq!(raw.as_bytes().len(), 21);
        // The UUID goes on air little-endian: last byte first.
        assert_eq!(raw.as_bytes()[5], 0x67);
        assert_eq!(raw.as_bytes()[20], 0x00);
        let d = decode_advertisement(raw.as_bytes(), None).unwrap();
        assert_eq!(d.beacon, Beacon::BluezoneGattService);
        assert_eq!(d.beacon.identifier(), None);
    }

    #[test]
    fn payload_may_sit_in_scan_response() {
        let raw = encode_advertisement(&gaen(1));
        let d = decode_advertisement(&[0x02, 0x01, 0x06], Some(raw.as_bytes())).unwrap();
        assert_eq!(d.beacon, Beacon::Identifier(gaen(1)));
    }

    #[test]
    fn tx_power_level_is_reported() {
        let mut raw = encode_advertisement(&Identifier::Bluezone(BluezoneId::default()))
            .as_bytes()
            .to_vec();
        raw.extend_from_slice(&[0x02, AD_TX_POWER_LEVEL, (-7i8) as u8]);
        let d = decode_advertisement(&raw, None).unwrap();
        assert_eq!(d.tx_power_level, Some(-7));
    }

    #[test]
    fn malformed_inputs_are_typed_errors() {
        let raw = encode_advertisement(&gaen(3));
        let b = raw.as_bytes();
        // Truncated: cut the service data short.
        assert!(matches!(
            decode_advertisement(&b[..30], None),
            Err(AdvertError::Truncated {
                offset: 7,
                declared: 23,
                available: 22
            })
        ));
        // Wrong length: a 19-byte GAEN payload with a consistent AD length.
        let mut short = b[..30].to_vec();
        short[7] = 0x16;
        assert!(matches!(
            decode_advertisement(&short, None),
            Err(AdvertError::WrongPayloadLength {
                scheme: "gaen",
                expected: 20,
                actual: 19
            })
        ));
        // Too long.
        let mut long = b.to_vec();
        long.push(0);
        assert!(matches!(
            decode_advertisement(&long, None),
            Err(AdvertError::TooLong {
                len: 32,
                max: 31,
                ..
            })
        ));
        // Unknown UUID only: no proximity payload.
        let other = [0x02, 0x01, 0x06, 0x05, 0x16, 0x0F, 0x18, 0x55, 0x66];
        assert_eq!(
            decode_advertisement(&other, None),
            Err(AdvertError::NoProximityPayload)
        );
        assert_eq!(
            decode_service_data(0x180F, &[0; 20]),
            Err(AdvertError::UnknownServiceUuid(0x180F))
        );
        assert_eq!(
            decode_manufacturer_data(0x004C, &[0; 12]),
            Err(AdvertError::UnknownCompanyId(0x004C))
        );
        assert!(matches!(
            decode_manufacturer_data(bluezone::COMPANY_ID, &[0; 13]),
            Err(AdvertError::WrongPayloadLength {
                scheme: "bluezone",
                ..
            })
        ));
        // Service data AD too short for its UUID.
        assert!(matches!(
            decode_advertisement(&[0x02, 0x16, 0x6F], None),
            Err(AdvertError::ShortStructure {
                ad_type: 0x16,
                len: 1
            })
        ));
        // 128-bit list with a ragged length.
        assert!(matches!(
            decode_advertisement(&[0x03, 0x07, 0x01, 0x02], None),
            Err(AdvertError::ShortStructure {
                ad_type: 0x07,
                len: 2
            })
        ));
    }

    #[test]
    fn zero_length_ends_data_early() {
        let mut raw = encode_advertisement(&Identifier::Bluezone(BluezoneId::default()))
            .as_bytes()
            .to_vec();
        raw.extend_from_slice(&[0, 0xFF, 0xFF]); // padding after terminator is ignored
        assert!(decode_advertisement(&raw, None).is_ok());
    }

    fn arb_identifier() -> impl Strategy<Value = Identifier> {
        prop_oneof![
            any::<[u8; 20]>().prop_map(|b| Identifier::Gaen(GaenPayload::from_bytes(&b))),
            any::<[u8; 12]>().prop_map(|b| Identifier::Bluezone(BluezoneId::from_bytes(b))),
        ]
    }

    #[test]
    fn every_shape_a_platform_hands_over_decodes() {
        for id in [
            gaen(9),
            Identifier::Bluezone(BluezoneId::from_bytes([4; 12])),
        ] {
            let raw = encode_advertisement(&id);
            let want = Beacon::Identifier(id);
            // Android's legacy scan record: advertising data, scan response, zero padding.
            let mut record = raw.as_bytes().to_vec();
            record.extend_from_slice(&[0x05, 0x09, b'p', b'h', b'o', b'n']); // scan response: a name
            record.resize(ad::SCAN_RECORD_LEN, 0);
            assert_eq!(decode_advertising_data(&record).unwrap().beacon, want);
            // The payload in the scan response part of a record.
            let mut record = vec![0x02, 0x01, 0x06];
            record.extend_from_slice(&raw.as_bytes()[3..]);
            record.resize(ad::SCAN_RECORD_LEN, 0);
            assert_eq!(decode_advertising_data(&record).unwrap().beacon, want);
            // Extended advertising data up to 254 bytes.
            let mut ext = raw.as_bytes().to_vec();
            while ext.len() + 20 <= EXTENDED_MAX_LEN {
                ext.extend_from_slice(&[19, 0xFF, 0x4C, 0x00]); // Apple's company id
                ext.extend_from_slice(&[0xAA; 16]);
            }
            assert!(ext.len() > ad::SCAN_RECORD_LEN);
            assert_eq!(decode_advertising_data(&ext).unwrap().beacon, want);
            // Service data as the platforms decode it.
            if let Some((uuid, data)) = service_data(&id) {
                assert_eq!(decode_service_data_uuid(uuid16(uuid), &data).unwrap(), id);
                assert_eq!(
                    decode_service_data_uuid(GAEN_SERVICE_UUID, &data).unwrap(),
                    id
                );
            }
        }
        assert!(matches!(
            decode_advertising_data(&[0; 255]),
            Err(AdvertError::TooLong { max: 254, .. })
        ));
        assert!(matches!(
            decode_service_data_uuid(bluezone::IOS_SERVICE_UUID, &[0; 20]),
            Err(AdvertError::UnknownServiceUuid128(_))
        ));
        assert_eq!(as_uuid16(GAEN_SERVICE_UUID), Some(0xFD6F));
        assert_eq!(as_uuid16(bluezone::IOS_SERVICE_UUID), None);
    }

    proptest! {
        #[test]
        fn encode_then_decode_round_trips(id in arb_identifier(), pad in 0usize..32) {
            let raw = encode_advertisement(&id);
            prop_assert!(raw.as_bytes().len() <= LEGACY_MAX_LEN);
            let d = decode_advertisement(raw.as_bytes(), None).unwrap();
            prop_assert_eq!(d.beacon, Beacon::Identifier(id));
            let mut padded = raw.as_bytes().to_vec();
            padded.resize(padded.len() + pad, 0);
            prop_assert_eq!(decode_advertising_data(&padded).unwrap().beacon, Beacon::Identifier(id));
            if let Some((uuid, data)) = service_data(&id) {
                prop_assert_eq!(decode_service_data(uuid, &data).unwrap(), id);
            }
            if let Some((company, data)) = manufacturer_data(&id) {
                prop_assert_eq!(decode_manufacturer_data(company, &data).unwrap(), id);
            }
        }

        #[test]
        fn decoder_never_panics(
            adv in prop::collection::vec(any::<u8>(), 0..40),
            sr in prop::option::of(prop::collection::vec(any::<u8>(), 0..40)),
        ) {
            let _ = decode_advertisement(&adv, sr.as_deref());
            let _ = decode_advertising_data(&adv);
        }
    }
}
