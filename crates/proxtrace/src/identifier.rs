//! What a phone broadcasts, tagged by scheme: the unit the log stores and the matcher looks up.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::bluezone::BluezoneId;
use crate::gaen::{AssociatedEncryptedMetadata, RollingProximityIdentifier};

/// A proximity-tracing scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// Google/Apple Exposure Notification v1.2.
    Gaen,
    /// Bluezone v2 (Vietnam).
    Bluezone,
}

impl Scheme {
    /// The lower-case name used on command lines and in files: `gaen` or `bluezone`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Gaen => "gaen",
            Self::Bluezone => "bluezone",
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A scheme name that is neither `gaen` nor `bluezone`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scheme {0:?}: expected `gaen` or `bluezone`")]
pub struct UnknownScheme(pub String);

impl FromStr for Scheme {
    type Err = UnknownScheme;
    fn from_str(s: &str) -> Result<Self, UnknownScheme> {
        match s {
            "gaen" => Ok(Self::Gaen),
            "bluezone" => Ok(Self::Bluezone),
            other => Err(UnknownScheme(other.to_owned())),
        }
    }
}

/// The 20 bytes of GAEN service data: an RPI and its encrypted metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GaenPayload {
    /// The rolling proximity identifier.
    pub rpi: RollingProximityIdentifier,
    /// The associated encrypted metadata.
    pub aem: AssociatedEncryptedMetadata,
}

impl GaenPayload {
    /// Length of the service data in bytes.
    pub const LEN: usize = 20;

    /// The service data bytes, `RPI ‖ AEM`.
    pub fn to_bytes(&self) -> [u8; 20] {
        let mut b = [0u8; 20];
        b[..16].copy_from_slice(self.rpi.as_bytes());
        b[16..].copy_from_slice(self.aem.as_bytes());
        b
    }

    /// Split 20 service-data bytes into RPI and AEM.
    pub fn from_bytes(b: &[u8; 20]) -> Self {
        let mut rpi = [0u8; 16];
        let mut aem = [0u8; 4];
        rpi.copy_from_slice(&b[..16]);
        aem.copy_from_slice(&b[16..]);
        Self {
            rpi: RollingProximityIdentifier::from_bytes(rpi),
            aem: AssociatedEncryptedMetadata::from_bytes(aem),
        }
    }
}

/// A broadcast identifier of either scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Identifier {
    /// A GAEN RPI with its AEM.
    Gaen(GaenPayload),
    /// A Bluezone identifier.
    Bluezone(BluezoneId),
}

impl Identifier {
    /// The scheme of this identifier.
    pub const fn scheme(&self) -> Scheme {
        match self {
            Self::Gaen(_) => Scheme::Gaen,
            Self::Bluezone(_) => Scheme::Bluezone,
        }
    }
}

impl From<GaenPayload> for Identifier {
    fn from(p: GaenPayload) -> Self {
        Self::Gaen(p)
    }
}

impl From<BluezoneId> for Identifier {
    fn from(id: BluezoneId) -> Self {
        Self::Bluezone(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_names_round_trip() {
        for s in [Scheme::Gaen, Scheme::Bluezone] {
            assert_eq!(s.name().parse::<Scheme>().unwrap(), s);
        }
        assert!("GAEN".parse::<Scheme>().is_err());
    }

    #[test]
    fn debug_never_shows_identifier_bytes() {
        let p = GaenPayload::from_bytes(&[0xAB; 20]);
        let id = Identifier::Bluezone(BluezoneId::from_bytes([0xCD; 12]));
        let text = format!("{p:?} {id:?} {:#?}", Identifier::Gaen(p));
        assert!(!text.to_lowercase().contains("abab"), "{text}");
        assert!(!text.to_lowercase().contains("cdcd"), "{text}");
        assert!(!text.contains("171"), "{text}"); // 0xAB as a decimal byte list
    }
}
