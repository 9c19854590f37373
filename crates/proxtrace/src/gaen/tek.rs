//! The Temporary Exposure Key: the daily secret everything else is derived from.

use std::fmt;

use rand::TryCryptoRng;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::hkdf::hkdf_sha256_16;
use super::{AEMK_INFO, AssociatedEncryptedMetadataKey, RPIK_INFO, RollingProximityIdentifierKey};
use crate::KeyError;

/// A GAEN Temporary Exposure Key: 16 bytes from a CSPRNG, one per UTC day.
///
/// Not `Copy`, zeroized on drop, and its `Debug` output never shows the key.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct TemporaryExposureKey {
    bytes: [u8; 16],
}

impl TemporaryExposureKey {
    /// Length of a TEK in bytes.
    pub const LEN: usize = 16;

    /// Draw a new key from a cryptographically secure generator.
    ///
    /// Production code passes `rand::rngs::SysRng`; tests pass a seeded generator.
    pub fn generate<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<Self, KeyError> {
        let mut bytes = [0u8; 16];
        rng.try_fill_bytes(&mut bytes)
            .map_err(|e| KeyError::Random(e.to_string()))?;
        Ok(Self { bytes })
    }

    /// A key from its 16 bytes (as published in a diagnosis key export).
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self { bytes }
    }

    /// A key from a slice, which must be exactly 16 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, KeyError> {
        let bytes: [u8; 16] = bytes.try_into().map_err(|_| KeyError::Length {
            what: "temporary exposure key",
            expected: Self::LEN,
            actual: bytes.len(),
        })?;
        Ok(Self { bytes })
    }

    /// The secret key bytes, for publishing a diagnosis key or storing the key.
    pub const fn expose_secret(&self) -> &[u8; 16] {
        &self.bytes
    }

    /// `RPIK = HKDF(TEK, none, "EN-RPIK", 16)`.
    pub fn rolling_proximity_identifier_key(&self) -> RollingProximityIdentifierKey {
        RollingProximityIdentifierKey::from_bytes(hkdf_sha256_16(&self.bytes, RPIK_INFO))
    }

    /// `AEMK = HKDF(TEK, none, "EN-AEMK", 16)`.
    pub fn associated_encrypted_metadata_key(&self) -> AssociatedEncryptedMetadataKey {
        AssociatedEncryptedMetadataKey::from_bytes(hkdf_sha256_16(&self.bytes, AEMK_INFO))
    }
}

impl fmt::Debug for TemporaryExposureKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TemporaryExposureKey(<redacted>)")
    }
}
