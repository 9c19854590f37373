//! Google/Apple Exposure Notification cryptography, version 1.2.
//!
//! | spec name | type |
//! |---|---|
//! | Temporary Exposure Key (TEK) | [`TemporaryExposureKey`] |
//! | Rolling Proximity Identifier Key (RPIK) | [`RollingProximityIdentifierKey`] |
//! | Rolling Proximity Identifier (RPI) | [`RollingProximityIdentifier`] |
//! | Associated Encrypted Metadata Key (AEMK) | [`AssociatedEncryptedMetadataKey`] |
//! | Associated Encrypted Metadata (AEM) | [`AssociatedEncryptedMetadata`] |
//! | metadata (version, TX power, calibration confidence) | [`Metadata`] |
//!
//! ```
//! use proxtrace::gaen::{Metadata, TemporaryExposureKey};
//! use proxtrace::time::EnIntervalNumber;
//!
//! let tek = TemporaryExposureKey::from_bytes(hex_literal(b"75c734c6dd1a782de7a965da5eb93125"));
//! let rpik = tek.rolling_proximity_identifier_key();
//! let rpi = rpik.rolling_proximity_identifier(EnIntervalNumber::new(2_642_976));
//! assert_eq!(rpi.to_hex(), "8be6cd371c5c891604bfbe49df845096");
//!
//! let aemk = tek.associated_encrypted_metadata_key();
//! let aem = aemk.encrypt(&rpi, &Metadata::v1_0(8));
//! assert_eq!(aem.to_hex(), "72033874");
//! assert_eq!(aemk.decrypt(&rpi, &aem).tx_power(), 8);
//! # fn hex_literal(h: &[u8]) -> [u8; 16] {
//! #     let mut out = [0u8; 16];
//! #     hex::decode_to_slice(h, &mut out).unwrap();
//! #     out
//! # }
//! ```

mod aem;
mod hkdf;
mod rpi;
mod tek;

pub use aem::{
    AssociatedEncryptedMetadata, AssociatedEncryptedMetadataKey, CalibrationConfidence, Metadata,
    MetadataVersion,
};
pub use rpi::{PaddedData, RollingProximityIdentifier, RollingProximityIdentifierKey};
pub use tek::TemporaryExposureKey;

/// HKDF `info` for the RPIK (`"EN-RPIK"`).
pub const RPIK_INFO: &[u8; 7] = b"EN-RPIK";
/// HKDF `info` for the AEMK (`"EN-AEMK"`).
pub const AEMK_INFO: &[u8; 7] = b"EN-AEMK";
/// The first six bytes of every RPI plaintext (`"EN-RPI"`).
pub const RPI_PADDED_DATA_PREFIX: &[u8; 6] = b"EN-RPI";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::EnIntervalNumber;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::ChaCha20Rng;

    #[test]
    fn generation_uses_the_injected_generator() {
        let a = TemporaryExposureKey::generate(&mut ChaCha20Rng::seed_from_u64(7)).unwrap();
        let b = TemporaryExposureKey::generate(&mut ChaCha20Rng::seed_from_u64(7)).unwrap();
        let c = TemporaryExposureKey::generate(&mut ChaCha20Rng::seed_from_u64(8)).unwrap();
        assert_eq!(a.expose_secret(), b.expose_secret());
        assert_ne!(a.expose_secret(), c.expose_secret());
        let os = TemporaryExposureKey::generate(&mut rand::rngs::SysRng).unwrap();
        assert_ne!(os.expose_secret(), &[0u8; 16]);
    }

    #[test]
    fn from_slice_checks_length() {
        assert!(TemporaryExposureKey::from_slice(&[0; 15]).is_err());
        assert!(TemporaryExposureKey::from_slice(&[0; 17]).is_err());
        assert!(TemporaryExposureKey::from_slice(&[0; 16]).is_ok());
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let tek = TemporaryExposureKey::from_bytes([0xAB; 16]);
        let text = format!(
            "{tek:?} {:?} {:?}",
            tek.rolling_proximity_identifier_key(),
            tek.associated_encrypted_metadata_key()
        );
        assert!(text.contains("redacted"));
        assert!(!text.to_lowercase().contains("abab"), "{text}");
        assert!(!text.contains("171"), "{text}");
    }

    #[test]
    fn derive_rpis_refuses_to_wrap() {
        let rpik = TemporaryExposureKey::from_bytes([1; 16]).rolling_proximity_identifier_key();
        let mut out = [RollingProximityIdentifier::default(); 2];
        assert!(rpik.derive_rpis(EnIntervalNumber::MAX, &mut out).is_err());
        assert_eq!(
            out,
            [RollingProximityIdentifier::default(); 2],
            "untouched on error"
        );
        assert!(
            rpik.derive_rpis(EnIntervalNumber::MAX, &mut out[..1])
                .is_ok()
        );
        assert!(rpik.derive_rpis(EnIntervalNumber::MAX, &mut []).is_ok());
    }

    #[test]
    fn metadata_fields() {
        let m = Metadata::v1_1(-12, CalibrationConfidence::HIGH);
        assert_eq!(m.to_bytes(), [0x5C, 0xF4, 0, 0]);
        assert_eq!(m.version(), MetadataVersion::V1_1);
        assert_eq!(m.tx_power(), -12);
        assert_eq!(
            m.calibration_confidence(),
            Some(CalibrationConfidence::HIGH)
        );
        assert_eq!(Metadata::v1_0(8).calibration_confidence(), None);
    }

    proptest! {
        #[test]
        fn aem_round_trip(tek in any::<[u8; 16]>(), j in any::<u32>(), md in any::<[u8; 4]>()) {
            let tek = TemporaryExposureKey::from_bytes(tek);
            let rpi = tek.rolling_proximity_identifier_key().rolling_proximity_identifier(EnIntervalNumber::new(j));
            let aemk = tek.associated_encrypted_metadata_key();
            let md = Metadata::from_bytes(md);
            let aem = aemk.encrypt(&rpi, &md);
            prop_assert_eq!(aemk.decrypt(&rpi, &aem), md);
            // CTR: flipping a ciphertext bit flips exactly that plaintext bit (unauthenticated).
            let mut flipped = *aem.as_bytes();
            flipped[1] ^= 0x01;
            let back = aemk.decrypt(&rpi, &AssociatedEncryptedMetadata::from_bytes(flipped));
            prop_assert_eq!(back.tx_power() as u8, md.tx_power() as u8 ^ 0x01);
        }

        #[test]
        fn batched_derivation_equals_single(tek in any::<[u8; 16]>(), first in 0u32..u32::MAX - 200, n in 0usize..200) {
            let rpik = TemporaryExposureKey::from_bytes(tek).rolling_proximity_identifier_key();
            let mut out = vec![RollingProximityIdentifier::default(); n];
            rpik.derive_rpis(EnIntervalNumber::new(first), &mut out).unwrap();
            for (i, rpi) in out.iter().enumerate() {
                prop_assert_eq!(*rpi, rpik.rolling_proximity_identifier(EnIntervalNumber::new(first + i as u32)));
            }
        }
    }
}
