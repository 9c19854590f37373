//! Rolling Proximity Identifiers: `RPI_j = AES-128(RPIK, "EN-RPI" ‖ 0×6 ‖ LE32(j))`.

use std::fmt;

use aes::Aes128;
use aes::cipher::{Array, BlockCipherEncrypt, KeyInit};
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::RPI_PADDED_DATA_PREFIX;
use crate::time::{EnIntervalNumber, TimeError};

/// The RPI plaintext for one interval: `"EN-RPI" ‖ 00×6 ‖ LE32(ENIntervalNumber)`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PaddedData([u8; 16]);

impl PaddedData {
    /// The padded data for interval `j`.
    pub fn new(j: EnIntervalNumber) -> Self {
        let mut b = [0u8; 16];
        b[..6].copy_from_slice(RPI_PADDED_DATA_PREFIX);
        b[12..].copy_from_slice(&j.get().to_le_bytes());
        Self(b)
    }

    /// The 16 plaintext bytes.
    pub const fn to_bytes(self) -> [u8; 16] {
        self.0
    }
}

impl fmt::Debug for PaddedData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PaddedData({})", hex::encode(self.0))
    }
}

/// The Rolling Proximity Identifier Key, derived from a TEK.
///
/// Holds the expanded AES key schedule, so deriving many RPIs costs no key setup.
/// Not `Copy`, zeroized on drop, redacted in `Debug`.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct RollingProximityIdentifierKey {
    bytes: [u8; 16],
    #[zeroize(skip)] // aes zeroizes its own round keys on drop (feature "zeroize")
    cipher: Aes128,
}

impl RollingProximityIdentifierKey {
    /// A key from its 16 bytes.
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        let cipher = Aes128::new(&Array::from(bytes));
        Self { bytes, cipher }
    }

    /// The secret key bytes.
    pub const fn expose_secret(&self) -> &[u8; 16] {
        &self.bytes
    }

    /// The RPI broadcast during interval `j`.
    pub fn rolling_proximity_identifier(&self, j: EnIntervalNumber) -> RollingProximityIdentifier {
        let mut block = Array::from(PaddedData::new(j).0);
        self.cipher.encrypt_block(&mut block);
        RollingProximityIdentifier(block.into())
    }

    /// Derive the RPIs of `out.len()` consecutive intervals starting at `first` into `out`
    /// (`out[i]` is the RPI of interval `first + i`), encrypting in batches.
    ///
    /// A whole day is `out.len() == 144`. Fails, leaving `out` untouched, if the last interval
    /// would overflow the 32-bit interval number.
    pub fn derive_rpis(
        &self,
        first: EnIntervalNumber,
        out: &mut [RollingProximityIdentifier],
    ) -> Result<(), TimeError> {
        let count = u32::try_from(out.len()).map_err(|_| TimeError::OutOfRange {
            what: "RPI count",
            value: out.len() as u64,
        })?;
        if count > 0 && first.checked_add(count - 1).is_none() {
            return Err(TimeError::OutOfRange {
                what: "EN interval number",
                value: u64::from(first.get()) + u64::from(count - 1),
            });
        }
        const BATCH: usize = 16;
        let mut blocks = [[0u8; 16]; BATCH];
        let mut j = first.get();
        for chunk in out.chunks_mut(BATCH) {
            let blocks = &mut blocks[..chunk.len()];
            for block in blocks.iter_mut() {
                *block = PaddedData::new(EnIntervalNumber::new(j)).0;
                // Cannot wrap past the last interval: checked above.
                j = j.wrapping_add(1);
            }
            self.cipher
                .encrypt_blocks(Array::cast_slice_from_core_mut(blocks));
            for (rpi, block) in chunk.iter_mut().zip(blocks.iter()) {
                rpi.0 = *block;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for RollingProximityIdentifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RollingProximityIdentifierKey(<redacted>)")
    }
}

/// A Rolling Proximity Identifier: the 16 bytes a GAEN phone broadcasts for one interval.
///
/// Identifiers are personal data (CVE-2021-31815 was a log of them), so `Debug` does not show
/// the bytes; use [`RollingProximityIdentifier::to_hex`] where printing is the point.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct RollingProximityIdentifier([u8; 16]);

impl RollingProximityIdentifier {
    /// Length in bytes.
    pub const LEN: usize = 16;

    /// An RPI from its bytes, as received over the air.
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// The RPI bytes.
    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// Lower-case hex, as in the GAEN vector files.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Debug for RollingProximityIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RollingProximityIdentifier(<redacted>)")
    }
}
