//! Associated Encrypted Metadata: `AEM = AES-128-CTR(AEMK, IV = RPI, metadata)`.

use std::fmt;

use aes::Aes128;
use aes::cipher::Array;
use ctr::Ctr128BE;
use ctr::cipher::{KeyIvInit, StreamCipher};
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::RollingProximityIdentifier;

/// The Associated Encrypted Metadata Key, derived from a TEK.
///
/// Not `Copy`, zeroized on drop, redacted in `Debug`.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct AssociatedEncryptedMetadataKey {
    bytes: [u8; 16],
}

impl AssociatedEncryptedMetadataKey {
    /// A key from its 16 bytes.
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self { bytes }
    }

    /// The secret key bytes.
    pub const fn expose_secret(&self) -> &[u8; 16] {
        &self.bytes
    }

    fn apply(&self, rpi: &RollingProximityIdentifier, data: &mut [u8; 4]) {
        let mut ctr =
            Ctr128BE::<Aes128>::new(&Array::from(self.bytes), &Array::from(*rpi.as_bytes()));
        ctr.apply_keystream(data);
    }

    /// Encrypt the metadata broadcast alongside `rpi`.
    pub fn encrypt(
        &self,
        rpi: &RollingProximityIdentifier,
        metadata: &Metadata,
    ) -> AssociatedEncryptedMetadata {
        let mut b = metadata.0;
        self.apply(rpi, &mut b);
        AssociatedEncryptedMetadata(b)
    }

    /// Decrypt the metadata received alongside `rpi`.
    ///
    /// The AEM is not authenticated: any 4 bytes decrypt to some metadata, so callers must
    /// bound what they accept (the matcher rejects TX powers outside [−50, +20] dBm).
    pub fn decrypt(
        &self,
        rpi: &RollingProximityIdentifier,
        aem: &AssociatedEncryptedMetadata,
    ) -> Metadata {
        let mut b = aem.0;
        self.apply(rpi, &mut b);
        Metadata(b)
    }
}

impl fmt::Debug for AssociatedEncryptedMetadataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AssociatedEncryptedMetadataKey(<redacted>)")
    }
}

/// The 4 encrypted metadata bytes broadcast after the RPI.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct AssociatedEncryptedMetadata([u8; 4]);

impl AssociatedEncryptedMetadata {
    /// Length in bytes.
    pub const LEN: usize = 4;

    /// An AEM from its bytes, as received over the air.
    pub const fn from_bytes(bytes: [u8; 4]) -> Self {
        Self(bytes)
    }

    /// The AEM bytes.
    pub const fn as_bytes(&self) -> &[u8; 4] {
        &self.0
    }

    /// Lower-case hex, as in the GAEN vector files.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Debug for AssociatedEncryptedMetadata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AssociatedEncryptedMetadata(<redacted>)")
    }
}

/// The metadata version in byte 0: bits 7–6 major, bits 5–4 minor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MetadataVersion {
    /// Major version (0–3).
    pub major: u8,
    /// Minor version (0–3).
    pub minor: u8,
}

impl MetadataVersion {
    /// Version 1.0 (`0x40`).
    pub const V1_0: Self = Self { major: 1, minor: 0 };
    /// Version 1.1 (`0x50`), which carries a calibration confidence.
    pub const V1_1: Self = Self { major: 1, minor: 1 };
}

/// How well the sender's TX power is calibrated (metadata v1.1, byte 0 bits 3–2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CalibrationConfidence(u8);

impl CalibrationConfidence {
    /// No calibration data for this device.
    pub const LOWEST: Self = Self(0);
    /// Calibrated from devices of the same manufacturer.
    pub const LOW: Self = Self(1);
    /// Calibrated from a similar device model.
    pub const MEDIUM: Self = Self(2);
    /// Calibrated for this exact device model.
    pub const HIGH: Self = Self(3);

    /// The 2-bit level, 0–3.
    pub const fn get(self) -> u8 {
        self.0
    }

    /// The confidence of a 2-bit level; `None` above 3.
    pub const fn from_level(level: u8) -> Option<Self> {
        if level <= 3 { Some(Self(level)) } else { None }
    }

    /// The name used in configuration files: `lowest`, `low`, `medium` or `high`.
    pub const fn name(self) -> &'static str {
        match self.0 {
            0 => "lowest",
            1 => "low",
            2 => "medium",
            _ => "high",
        }
    }

    /// The confidence of a name (`lowest`, `low`, `medium`, `high`; any case).
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::LOWEST, Self::LOW, Self::MEDIUM, Self::HIGH]
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(name.trim()))
    }
}

impl Default for CalibrationConfidence {
    /// [`LOWEST`](Self::LOWEST): no calibration data.
    fn default() -> Self {
        Self::LOWEST
    }
}

impl fmt::Display for CalibrationConfidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl serde::Serialize for CalibrationConfidence {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for CalibrationConfidence {
    /// A name (`"lowest"`, `"low"`, `"medium"`, `"high"`) or a level 0–3.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = CalibrationConfidence;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a calibration confidence: \"lowest\", \"low\", \"medium\", \"high\" or 0–3",
                )
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                CalibrationConfidence::from_name(v)
                    .ok_or_else(|| E::invalid_value(serde::de::Unexpected::Str(v), &self))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
                u8::try_from(v)
                    .ok()
                    .and_then(CalibrationConfidence::from_level)
                    .ok_or_else(|| E::invalid_value(serde::de::Unexpected::Unsigned(v), &self))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
                u8::try_from(v)
                    .ok()
                    .and_then(CalibrationConfidence::from_level)
                    .ok_or_else(|| E::invalid_value(serde::de::Unexpected::Signed(v), &self))
            }
        }
        d.deserialize_any(V)
    }
}

/// Decrypted GAEN metadata: version, TX power and (v1.1) calibration confidence.
///
/// ```
/// use proxtrace::gaen::{Metadata, MetadataVersion};
/// let m = Metadata::from_bytes([0x40, 0x08, 0, 0]);
/// assert_eq!(m.version(), MetadataVersion::V1_0);
/// assert_eq!(m.tx_power(), 8);
/// assert_eq!(m.calibration_confidence(), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Metadata([u8; 4]);

impl Metadata {
    /// Version 1.0 metadata with this TX power (dBm).
    pub const fn v1_0(tx_power: i8) -> Self {
        Self([0x40, tx_power as u8, 0, 0])
    }

    /// Version 1.1 metadata with a calibration confidence.
    pub const fn v1_1(tx_power: i8, confidence: CalibrationConfidence) -> Self {
        Self([0x50 | (confidence.0 << 2), tx_power as u8, 0, 0])
    }

    /// Metadata from its 4 plaintext bytes (any bytes are accepted; reserved bits are kept).
    pub const fn from_bytes(bytes: [u8; 4]) -> Self {
        Self(bytes)
    }

    /// The 4 plaintext bytes.
    pub const fn to_bytes(self) -> [u8; 4] {
        self.0
    }

    /// The metadata version.
    pub const fn version(self) -> MetadataVersion {
        MetadataVersion {
            major: self.0[0] >> 6,
            minor: (self.0[0] >> 4) & 0b11,
        }
    }

    /// The sender's transmit power in dBm (signed).
    pub const fn tx_power(self) -> i8 {
        self.0[1] as i8
    }

    /// The calibration confidence, present from version 1.1 on.
    pub const fn calibration_confidence(self) -> Option<CalibrationConfidence> {
        let v = self.version();
        if v.major > 1 || (v.major == 1 && v.minor >= 1) {
            Some(CalibrationConfidence((self.0[0] >> 2) & 0b11))
        } else {
            None
        }
    }
}
