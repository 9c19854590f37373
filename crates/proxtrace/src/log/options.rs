//! How a log is created and opened: capacity, page size, retention, encryption, and their
//! limits.

use std::fmt;

use rand::TryCryptoRng;
use zeroize::Zeroizing;

use super::LogError;
use super::format::{MAX_PAGE_SIZE, MIN_PAGE_SIZE, MIN_PAGES};

/// Default capacity: 16 MiB.
pub const DEFAULT_CAPACITY: u64 = 16 << 20;

/// Largest capacity a log may have: 256 MiB, 16 times the default. A phone's 14 days fit in
/// the default 16 MiB many times over (see `docs/performance.md`); the limit keeps the
/// page-header scan at open (one read per page) well under a second and the space reserved
/// at creation sane. Logs declaring more are refused
/// at creation and at open ([`LogError::CapacityTooLarge`]).
pub const MAX_CAPACITY: u64 = 256 << 20;

/// Default retention: 14 days.
pub const DEFAULT_RETENTION_DAYS: u32 = 14;

/// How to create or open a log.
pub struct LogOptions {
    /// Size of the file, fixed at creation (rounded down to whole pages), at most
    /// [`MAX_CAPACITY`]. Default 16 MiB. Ignored when opening: the file says.
    pub capacity_bytes: u64,
    /// Page size, fixed at creation: a power of two from 512 to 65 536. Default 4096.
    pub page_size: u32,
    /// Records of a UTC day *d* are kept while `today − d ≤ retention_days` (at least 1).
    /// Default 14. Applied only by [`expire`](super::EncounterLog::expire) (deletes) and
    /// [`hide_expired`](super::EncounterLog::hide_expired) (hides).
    pub retention_days: u32,
    /// Encrypt at rest (see [`LogOptions::with_encryption`]). Default: no encryption.
    pub encryption: Option<LogEncryption>,
}

/// An encryption key for the log and the seed of this open's chunk nonces.
pub struct LogEncryption {
    pub(super) key: Zeroizing<[u8; 32]>,
    pub(super) seed: Zeroizing<[u8; 32]>,
}

impl LogEncryption {
    /// Encrypt with this 32-byte key (from Android Keystore / iOS Keychain). `rng` seeds the
    /// per-chunk nonces (and a new log's salt); it must be a CSPRNG such as
    /// `rand::rngs::SysRng`, drawn from afresh for every open.
    pub fn new<R: TryCryptoRng + ?Sized>(key: [u8; 32], rng: &mut R) -> Result<Self, LogError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        rng.try_fill_bytes(&mut seed[..])
            .map_err(|_| LogError::Crypto("the random generator failed"))?;
        Ok(Self {
            key: Zeroizing::new(key),
            seed,
        })
    }
}

impl fmt::Debug for LogEncryption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LogEncryption(<redacted>)")
    }
}

impl Default for LogOptions {
    fn default() -> Self {
        Self {
            capacity_bytes: DEFAULT_CAPACITY,
            page_size: 4096,
            retention_days: DEFAULT_RETENTION_DAYS,
            encryption: None,
        }
    }
}

impl fmt::Debug for LogOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogOptions")
            .field("capacity_bytes", &self.capacity_bytes)
            .field("page_size", &self.page_size)
            .field("retention_days", &self.retention_days)
            .field("encrypted", &self.encryption.is_some())
            .finish()
    }
}

impl LogOptions {
    /// Encrypt the log at rest with this 32-byte key (from Android Keystore / iOS Keychain).
    /// `rng` seeds the per-chunk nonces (and a new log's salt); it must be a CSPRNG such as
    /// `rand::rngs::SysRng`, drawn from afresh for every open.
    pub fn with_encryption<R: TryCryptoRng + ?Sized>(
        mut self,
        key: [u8; 32],
        rng: &mut R,
    ) -> Result<Self, LogError> {
        self.encryption = Some(LogEncryption::new(key, rng)?);
        Ok(self)
    }

    /// Check what every open needs: a retention of at least one day.
    pub(super) fn check_retention(&self) -> Result<(), LogError> {
        if self.retention_days == 0 {
            return Err(LogError::InvalidRetention {
                retention_days: self.retention_days,
            });
        }
        Ok(())
    }

    /// Check the creation options; returns the number of data pages.
    pub(super) fn check_create(&self) -> Result<u32, LogError> {
        self.check_retention()?;
        let page_size = self.page_size;
        if !(MIN_PAGE_SIZE..=MAX_PAGE_SIZE).contains(&page_size) || !page_size.is_power_of_two() {
            return Err(LogError::InvalidOptions(format!(
                "page_size {page_size} must be a power of two from {MIN_PAGE_SIZE} to {MAX_PAGE_SIZE}"
            )));
        }
        if self.capacity_bytes > MAX_CAPACITY {
            return Err(LogError::CapacityTooLarge {
                capacity_bytes: self.capacity_bytes,
                max: MAX_CAPACITY,
            });
        }
        let pages = (self.capacity_bytes / u64::from(page_size)).saturating_sub(1);
        let pages = u32::try_from(pages).unwrap_or(u32::MAX);
        if pages < MIN_PAGES {
            return Err(LogError::InvalidOptions(format!(
                "capacity_bytes {} is too small: at least {} bytes with {page_size}-byte pages",
                self.capacity_bytes,
                u64::from(MIN_PAGES + 1) * u64::from(page_size)
            )));
        }
        Ok(pages)
    }
}
