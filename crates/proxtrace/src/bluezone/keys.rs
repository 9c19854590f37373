//! Base key, daily key chain and slot keys.

use std::fmt;

use rand::TryCryptoRng;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::{BluezoneId, ID_BYTE_INDICES, SLOT_KEY_TAG};
use crate::KeyError;
use crate::time::{BluezoneSlot, SlotsPerDay, UtcDay};

/// The longest chain [`BaseKey::daily_key`] walks: 100 years of days. A longer walk is a bug
/// or an attack (each step is a SHA-256), so it is refused.
pub const MAX_CHAIN_DAYS: u32 = 36_525;

fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// The Bluezone base key: 32 random bytes and the UTC day they were created.
///
/// The original app uploaded this key on a positive test, which links every past and future
/// identifier of its owner; proxtrace never publishes it (see `DailyKey`).
/// Not `Copy`, zeroized on drop, redacted in `Debug`.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct BaseKey {
    bytes: [u8; 32],
    #[zeroize(skip)]
    day: UtcDay,
}

impl BaseKey {
    /// Length of the key in bytes.
    pub const LEN: usize = 32;

    /// Draw a new base key for `day` from a cryptographically secure generator.
    pub fn generate<R: TryCryptoRng + ?Sized>(rng: &mut R, day: UtcDay) -> Result<Self, KeyError> {
        let mut bytes = [0u8; 32];
        rng.try_fill_bytes(&mut bytes)
            .map_err(|e| KeyError::Random(e.to_string()))?;
        Ok(Self { bytes, day })
    }

    /// A base key from its bytes and creation day.
    pub const fn from_bytes(bytes: [u8; 32], day: UtcDay) -> Self {
        Self { bytes, day }
    }

    /// The secret key bytes, for storing the key.
    pub const fn expose_secret(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// The UTC day the key was created (its day 0).
    pub const fn day(&self) -> UtcDay {
        self.day
    }

    /// The daily key of `day`, stepping the chain from day 0.
    pub fn daily_key(&self, day: UtcDay) -> Result<DailyKey, KeyError> {
        let steps = day.days_since(self.day).ok_or(KeyError::DayBeforeBase {
            day: day.get(),
            base_day: self.day.get(),
        })?;
        if steps > MAX_CHAIN_DAYS {
            return Err(KeyError::ChainTooLong {
                steps,
                max: MAX_CHAIN_DAYS,
            });
        }
        let mut dk = DailyKey::from_bytes(self.bytes, self.day);
        for _ in 0..steps {
            dk = dk.next()?;
        }
        Ok(dk)
    }
}

impl fmt::Debug for BaseKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BaseKey(<redacted>, day {})", self.day)
    }
}

/// A Bluezone daily key and the UTC day it is valid for.
///
/// Publishing the key of day *n* reveals the identifiers of day *n* and, through the forward
/// hash chain, of every later day; a tracer publishes only the infectious days' keys and starts
/// a fresh base key after a report. Not `Copy`, zeroized on drop, redacted in `Debug`.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct DailyKey {
    bytes: [u8; 32],
    #[zeroize(skip)]
    day: UtcDay,
}

impl DailyKey {
    /// Length of the key in bytes.
    pub const LEN: usize = 32;

    /// A daily key from its bytes and day (as published in an F0 payload).
    pub const fn from_bytes(bytes: [u8; 32], day: UtcDay) -> Self {
        Self { bytes, day }
    }

    /// The secret key bytes, for publishing or storing the key.
    pub const fn expose_secret(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// The UTC day this key is valid for.
    pub const fn day(&self) -> UtcDay {
        self.day
    }

    /// The next day's key, `SHA-256(DK)`.
    pub fn next(&self) -> Result<Self, KeyError> {
        let day = self.day.checked_add(1).ok_or(KeyError::DayOverflow)?;
        Ok(Self {
            bytes: sha256(&[&self.bytes]),
            day,
        })
    }

    /// The first slot key of the day, `SHA-256(DK ‖ "bluzonesubkey")`.
    pub fn first_slot_key(&self) -> SlotKey {
        SlotKey {
            bytes: sha256(&[&self.bytes, SLOT_KEY_TAG]),
        }
    }

    /// Write the identifiers of slots `0..out.len()` into `out`, one SHA-256 per slot.
    ///
    /// `out` is usually as long as the day's slot count; a shorter buffer gets a prefix.
    pub fn derive_ids(&self, out: &mut [BluezoneId]) {
        let mut sk = self.first_slot_key();
        let mut first = true;
        for id in out.iter_mut() {
            if !first {
                sk = sk.next();
            }
            first = false;
            *id = sk.bluezone_id();
        }
    }

    /// All identifiers of the day, in slot order.
    pub fn bluezone_ids(&self, slots_per_day: SlotsPerDay) -> Vec<BluezoneId> {
        let mut ids = vec![BluezoneId::default(); slots_per_day.get() as usize];
        self.derive_ids(&mut ids);
        ids
    }

    /// The identifier of one slot of this key's day.
    pub fn bluezone_id(&self, slot: BluezoneSlot) -> Result<BluezoneId, KeyError> {
        if slot.day() != self.day {
            return Err(KeyError::WrongDay {
                expected: self.day.get(),
                actual: slot.day().get(),
            });
        }
        let mut sk = self.first_slot_key();
        for _ in 0..slot.index() {
            sk = sk.next();
        }
        Ok(sk.bluezone_id())
    }
}

impl fmt::Debug for DailyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DailyKey(<redacted>, day {})", self.day)
    }
}

/// One slot key of a day's chain; its selected bytes are the slot's [`BluezoneId`].
/// Zeroized on drop, redacted in `Debug`.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SlotKey {
    bytes: [u8; 32],
}

impl SlotKey {
    /// The next slot's key, `SHA-256(sk)`.
    #[must_use]
    pub fn next(&self) -> Self {
        Self {
            bytes: sha256(&[&self.bytes]),
        }
    }

    /// The identifier of this slot: bytes `[0,4,8,12,16,18,20,22,24,26,28,30]`.
    pub fn bluezone_id(&self) -> BluezoneId {
        BluezoneId::from_bytes(ID_BYTE_INDICES.map(|i| self.bytes[i]))
    }

    /// The secret key bytes.
    pub const fn expose_secret(&self) -> &[u8; 32] {
        &self.bytes
    }
}

impl fmt::Debug for SlotKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SlotKey(<redacted>)")
    }
}
