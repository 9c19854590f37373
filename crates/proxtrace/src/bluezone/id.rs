//! The 12-byte identifier a Bluezone phone broadcasts.

use std::fmt;

/// A Bluezone identifier: 12 bytes broadcast for one slot.
///
/// Identifiers are personal data, so `Debug` does not show the bytes; use
/// [`BluezoneId::to_hex`] where printing is the point.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct BluezoneId([u8; 12]);

impl BluezoneId {
    /// Length in bytes.
    pub const LEN: usize = 12;

    /// An identifier from its bytes, as received over the air.
    pub const fn from_bytes(bytes: [u8; 12]) -> Self {
        Self(bytes)
    }

    /// The identifier bytes.
    pub const fn as_bytes(&self) -> &[u8; 12] {
        &self.0
    }

    /// Upper-case hex, as Bluezone's own exports and the vector file write it.
    pub fn to_hex(&self) -> String {
        hex::encode_upper(self.0)
    }
}

impl fmt::Debug for BluezoneId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BluezoneId(<redacted>)")
    }
}
