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
