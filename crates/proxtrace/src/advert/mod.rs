//! BLE payload codecs for both schemes.
//!
//! | scheme | raw legacy advertisement |
//! |---|---|
//! | GAEN | `02 01 1A` · `03 03 6F FD` · `17 16 6F FD <RPI 16> <AEM 4>` (31 bytes) |
//! | Bluezone (Android) | `02 01 1A` · `03 03 56 4E` · `0F FF B5 22 <ID 12>` (23 bytes) |
//! | Bluezone (iOS) | `02 01 1A` · `11 07 <00004E56-73F5-4BC4-A12F-17D1AD07A667, little-endian>` (21 bytes); the ID is read over GATT |
//!
//! ```
//! use proxtrace::advert::{decode_advertisement, encode_advertisement, Payload};
//! use proxtrace::bluezone::BluezoneId;
//!
//! let payload = Payload::Bluezone(BluezoneId::from_bytes([7; 12]));
//! let raw = encode_advertisement(&payload);
//! assert_eq!(raw.as_bytes().len(), 23);
//! let decoded = decode_advertisement(raw.as_bytes(), None).unwrap();
//! assert_eq!(decoded.payload, payload);
//! ```

pub mod ad;

use ad::{
    AD_COMPLETE_UUID16, AD_COMPLETE_UUID128, AD_FLAGS, AD_INCOMPLETE_UUID128, AD_MANUFACTURER_DATA,
    AD_SERVICE_DATA_UUID16, AD_TX_POWER_LEVEL, FLAGS_VALUE, LEGACY_MAX_LEN, ad_structures, push_ad,
};

use crate::bluezone::{self, BluezoneId};
use crate::identifier::{GaenPayload, Identifier};

/// GAEN's 16-bit service UUID.
pub const GAEN_SERVICE_UUID16: u16 = 0xFD6F;

/// A malformed or foreign advertisement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AdvertError {
    /// Legacy advertising data (or a scan response) longer than 31 bytes.
    #[error("{part} is {len} bytes; legacy advertising data holds at most 31")]
    TooLong {
        /// `"advertising data"` or `"scan response"`.
        part: &'static str,
        /// Its length.
        len: usize,
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
    /// Manufacturer data of a company other than Bluezone's.
    #[error("manufacturer data of company {0:#06x} is not Bluezone's (0x22b5)")]
    UnknownCompanyId(u16),
    /// A well-formed advertisement that carries neither scheme (another kind of device).
    #[error("the advertisement carries no GAEN or Bluezone payload")]
    NoProximityPayload,
}

/// What a proximity-tracing advertisement carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Payload {
    /// GAEN service data: RPI and AEM.
    Gaen(GaenPayload),
    /// Bluezone manufacturer data: the 12-byte identifier.
    Bluezone(BluezoneId),
    /// A Bluezone iOS phone: it advertises only its 128-bit service, and its identifier must be
    /// read from the GATT characteristic [`bluezone::IOS_ID_CHARACTERISTIC_UUID`].
    BluezoneGattService,
}

impl Payload {
    /// The identifier carried, if any (`None` for [`Payload::BluezoneGattService`]).
    pub const fn identifier(&self) -> Option<Identifier> {
        match *self {
            Self::Gaen(p) => Some(Identifier::Gaen(p)),
            Self::Bluezone(id) => Some(Identifier::Bluezone(id)),
            Self::BluezoneGattService => None,
        }
    }

    /// `(16-bit UUID, service data)` for platform APIs that take service data (GAEN).
    pub fn service_data(&self) -> Option<(u16, [u8; 20])> {
        match self {
            Self::Gaen(p) => Some((GAEN_SERVICE_UUID16, p.to_bytes())),
            _ => None,
        }
    }

    /// `(company id, data)` for platform APIs that take manufacturer data (Bluezone).
    pub fn manufacturer_data(&self) -> Option<(u16, [u8; 12])> {
        match self {
            Self::Bluezone(id) => Some((bluezone::COMPANY_ID, *id.as_bytes())),
            _ => None,
        }
    }
}

impl From<Identifier> for Payload {
    fn from(id: Identifier) -> Self {
        match id {
            Identifier::Gaen(p) => Self::Gaen(p),
            Identifier::Bluezone(b) => Self::Bluezone(b),
        }
    }
}

/// A decoded advertisement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodedAdvertisement {
    /// The proximity payload found.
    pub payload: Payload,
    /// The TX power level AD structure, if the sender included one (dBm).
    pub tx_power_level: Option<i8>,
}

/// Decode 16-bit-UUID service data as a platform scanner reports it (UUID and data apart).
pub fn decode_service_data(uuid16: u16, data: &[u8]) -> Result<Payload, AdvertError> {
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
    Ok(Payload::Gaen(GaenPayload::from_bytes(bytes)))
}

/// Decode manufacturer data as a platform scanner reports it (company id and data apart).
pub fn decode_manufacturer_data(company_id: u16, data: &[u8]) -> Result<Payload, AdvertError> {
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
    Ok(Payload::Bluezone(BluezoneId::from_bytes(bytes)))
}

/// Whether a 128-bit service UUID is Bluezone's iOS service.
pub const fn is_bluezone_ios_service(uuid: u128) -> bool {
    uuid == bluezone::IOS_SERVICE_UUID
}

/// Decode a raw legacy advertisement and optional scan response, finding either scheme.
///
/// GAEN service data wins over Bluezone manufacturer data, which wins over the Bluezone iOS
/// service UUID. A payload of a known scheme with the wrong length is an error, not skipped.
pub fn decode_advertisement(
    adv: &[u8],
    scan_response: Option<&[u8]>,
) -> Result<DecodedAdvertisement, AdvertError> {
    let mut gaen = None;
    let mut bz = None;
    let mut ios = false;
    let mut tx_power_level = None;
    let parts = [
        ("advertising data", Some(adv)),
        ("scan response", scan_response),
    ];
    for (part, bytes) in parts {
        let Some(bytes) = bytes else { continue };
        if bytes.len() > LEGACY_MAX_LEN {
            return Err(AdvertError::TooLong {
                part,
                len: bytes.len(),
            });
        }
        for ad in ad_structures(bytes) {
            let ad = ad?;
            match ad.ad_type {
                AD_SERVICE_DATA_UUID16 => {
                    let (uuid, data) = split_u16(&ad)?;
                    if uuid == GAEN_SERVICE_UUID16 && gaen.is_none() {
                        gaen = Some(decode_service_data(uuid, data)?);
                    }
                }
                AD_MANUFACTURER_DATA => {
                    let (company, data) = split_u16(&ad)?;
                    if company == bluezone::COMPANY_ID && bz.is_none() {
                        bz = Some(decode_manufacturer_data(company, data)?);
                    }
                }
                AD_COMPLETE_UUID128 | AD_INCOMPLETE_UUID128 => {
                    if ad.data.len() % 16 != 0 {
                        return Err(AdvertError::ShortStructure {
                            ad_type: ad.ad_type,
                            len: ad.data.len(),
                        });
                    }
                    ios |= ad.data.chunks_exact(16).any(|c| {
                        let mut b = [0u8; 16];
                        b.copy_from_slice(c);
                        is_bluezone_ios_service(u128::from_le_bytes(b))
                    });
                }
                AD_TX_POWER_LEVEL => {
                    if let [level] = ad.data {
                        tx_power_level = Some(*level as i8);
                    }
                }
                _ => {}
            }
        }
    }
    let payload = gaen
        .or(bz)
        .or(ios.then_some(Payload::BluezoneGattService))
        .ok_or(AdvertError::NoProximityPayload)?;
    Ok(DecodedAdvertisement {
        payload,
        tx_power_level,
    })
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

/// Build the raw advertisement a phone of the payload's scheme broadcasts.
pub fn encode_advertisement(payload: &Payload) -> LegacyAdvertisement {
    let mut out = Vec::with_capacity(LEGACY_MAX_LEN);
    push_ad(&mut out, AD_FLAGS, &[&[FLAGS_VALUE]]);
    match payload {
        Payload::Gaen(p) => {
            let uuid = GAEN_SERVICE_UUID16.to_le_bytes();
            push_ad(&mut out, AD_COMPLETE_UUID16, &[&uuid]);
            push_ad(&mut out, AD_SERVICE_DATA_UUID16, &[&uuid, &p.to_bytes()]);
        }
        Payload::Bluezone(id) => {
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
        Payload::BluezoneGattService => {
            push_ad(
                &mut out,
                AD_COMPLETE_UUID128,
                &[&bluezone::IOS_SERVICE_UUID.to_le_bytes()],
            );
        }
    }
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

    fn gaen(b: u8) -> Payload {
        Payload::Gaen(GaenPayload::from_bytes(&[b; 20]))
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
        let raw = encode_advertisement(&Payload::Bluezone(id));
        assert_eq!(raw.as_bytes().len(), 23);
        assert_eq!(raw.as_bytes()[..11], BZ_RAW_PREFIX);
        assert_eq!(&raw.as_bytes()[11..], id.as_bytes());
    }

    #[test]
    fn ios_service_is_reported_not_rejected() {
        let raw = encode_advertisement(&Payload::BluezoneGattService);
        assert_eq!(raw.as_bytes().len(), 21);
        // The UUID goes on air little-endian: last byte first.
        assert_eq!(raw.as_bytes()[5], 0x67);
        assert_eq!(raw.as_bytes()[20], 0x00);
        let d = decode_advertisement(raw.as_bytes(), None).unwrap();
        assert_eq!(d.payload, Payload::BluezoneGattService);
        assert_eq!(d.payload.identifier(), None);
    }

    #[test]
    fn payload_may_sit_in_scan_response() {
        let raw = encode_advertisement(&gaen(1));
        let d = decode_advertisement(&[0x02, 0x01, 0x06], Some(raw.as_bytes())).unwrap();
        assert_eq!(d.payload, gaen(1));
    }

    #[test]
    fn tx_power_level_is_reported() {
        let mut raw = encode_advertisement(&Payload::Bluezone(BluezoneId::default()))
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
            Err(AdvertError::TooLong { len: 32, .. })
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
        let mut raw = encode_advertisement(&Payload::Bluezone(BluezoneId::default()))
            .as_bytes()
            .to_vec();
        raw.extend_from_slice(&[0, 0xFF, 0xFF]); // padding after terminator is ignored
        assert!(decode_advertisement(&raw, None).is_ok());
    }

    fn arb_payload() -> impl Strategy<Value = Payload> {
        prop_oneof![
            any::<[u8; 20]>().prop_map(|b| Payload::Gaen(GaenPayload::from_bytes(&b))),
            any::<[u8; 12]>().prop_map(|b| Payload::Bluezone(BluezoneId::from_bytes(b))),
            Just(Payload::BluezoneGattService),
        ]
    }

    proptest! {
        #[test]
        fn encode_then_decode_round_trips(p in arb_payload()) {
            let raw = encode_advertisement(&p);
            prop_assert!(raw.as_bytes().len() <= LEGACY_MAX_LEN);
            let d = decode_advertisement(raw.as_bytes(), None).unwrap();
            prop_assert_eq!(d.payload, p);
            if let Some((uuid, data)) = p.service_data() {
                prop_assert_eq!(decode_service_data(uuid, &data).unwrap(), p);
            }
            if let Some((company, data)) = p.manufacturer_data() {
                prop_assert_eq!(decode_manufacturer_data(company, &data).unwrap(), p);
            }
        }

        #[test]
        fn decoder_never_panics(
            adv in prop::collection::vec(any::<u8>(), 0..40),
            sr in prop::option::of(prop::collection::vec(any::<u8>(), 0..40)),
        ) {
            let _ = decode_advertisement(&adv, sr.as_deref());
        }
    }
}
