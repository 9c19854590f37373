//! When the broadcast identifiers change, and what they are.
//!
//! * GAEN only: every `rotation_secs ± rotation_jitter_secs` (uniform), and at UTC midnight
//!   when the TEK changes. The RPI is that of the interval the rotation falls in; the minimum
//!   period of one interval guarantees each rotation shows a new RPI.
//! * Bluezone (alone or with GAEN): at every slot boundary. With both schemes, the GAEN RPI
//!   changes at the same instant, so the two identifiers and the address always change
//!   together and none of them can link two periods.

use rand::RngExt;
use rand::rngs::ChaCha20Rng;

use crate::advert::{LegacyAdvertisement, encode_advertisement};
use crate::bluezone::DailyKey;
use crate::gaen::TemporaryExposureKey;
use crate::identifier::{GaenPayload, Identifier};
use crate::time::{CheckedTime, EnIntervalNumber, UnixTime};

use super::{TracerConfig, TracerError};

/// What to broadcast, and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advertisement {
    /// One identifier per enabled scheme (GAEN first). Broadcast each as its own legacy
    /// advertisement (advertisement set), or alternate between them: both together do not
    /// fit one legacy advertisement.
    pub payloads: Vec<Identifier>,
    /// When to ask again: the payloads change then, and the platform should change the
    /// random address at the same moment.
    pub next_change: UnixTime,
}

impl Advertisement {
    /// The raw legacy advertisements, one per payload, for hosts that set AD bytes directly.
    pub fn legacy_advertisements(&self) -> Vec<LegacyAdvertisement> {
        self.payloads.iter().map(encode_advertisement).collect()
    }
}

/// The current advertisement.
#[derive(Debug, Clone, Default)]
pub(crate) struct Rotation {
    current: Option<Advertisement>,
}

impl Rotation {
    /// The advertisement in force at `now`, if it has not expired.
    pub(crate) fn current(&self, now: UnixTime) -> Option<&Advertisement> {
        self.current.as_ref().filter(|a| now < a.next_change)
    }

    /// The last advertisement, expired or not.
    pub(crate) fn last(&self) -> Option<&Advertisement> {
        self.current.as_ref()
    }

    pub(crate) fn next_change(&self) -> Option<UnixTime> {
        self.current.as_ref().map(|a| a.next_change)
    }

    /// Start a new period at `now`.
    pub(crate) fn rotate(
        &mut self,
        now: &CheckedTime,
        config: &TracerConfig,
        tek: Option<(TemporaryExposureKey, EnIntervalNumber)>,
        daily_key: Option<DailyKey>,
        rng: &mut ChaCha20Rng,
    ) -> Result<Advertisement, TracerError> {
        let secs = now.as_secs();
        let mut next = now.next_midnight().as_secs();
        let mut payloads = Vec::with_capacity(2);
        if config.schemes.gaen {
            let (tek, _start) = tek.ok_or(TracerError::NoCurrentKey("GAEN"))?;
            let j = now.interval();
            let rpi = tek
                .rolling_proximity_identifier_key()
                .rolling_proximity_identifier(j);
            let aem = tek
                .associated_encrypted_metadata_key()
                .encrypt(&rpi, &config.gaen_metadata());
            payloads.push(Identifier::Gaen(GaenPayload { rpi, aem }));
            if !config.schemes.bluezone {
                let lo = u64::from(config.rotation_secs - config.rotation_jitter_secs);
                let hi = u64::from(config.rotation_secs + config.rotation_jitter_secs);
                next = next.min(secs + rng.random_range(lo..=hi));
            }
        }
        if config.schemes.bluezone {
            let dk = daily_key.ok_or(TracerError::NoCurrentKey("Bluezone"))?;
            let id = dk.bluezone_id(now.slot())?;
            payloads.push(Identifier::Bluezone(id));
            next = next.min(now.next_slot_start().as_secs());
        }
        let a = Advertisement {
            payloads,
            next_change: UnixTime::from_secs(next),
        };
        self.current = Some(a.clone());
        Ok(a)
    }
}
