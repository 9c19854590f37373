//! # proxtrace
//!
//! A core library for Bluetooth proximity contact tracing in the style of Vietnam's Bluezone,
//! speaking two wire-compatible schemes:
//!
//! * **GAEN v1.2** — Google/Apple Exposure Notification: [`gaen::TemporaryExposureKey`] →
//!   [`gaen::RollingProximityIdentifierKey`] → [`gaen::RollingProximityIdentifier`], with
//!   [`gaen::AssociatedEncryptedMetadata`].
//! * **Bluezone v2** — a SHA-256 chain of [`bluezone::DailyKey`]s cut into 12-byte
//!   [`bluezone::BluezoneId`]s.
//!
//! The core is *sans-IO*: key schedules, payload codecs and everything built on them never
//! read a clock, a radio or the environment. Time ([`time::UnixTime`]), bytes and RSSI are
//! inputs, randomness comes through [`rand::TryCryptoRng`], so a whole town of phones can run
//! in one test.
//!
//! ```
//! use proxtrace::advert::{Beacon, decode_advertising_data, encode_advertisement};
//! use proxtrace::gaen::{Metadata, TemporaryExposureKey};
//! use proxtrace::identifier::{GaenPayload, Identifier};
//! use proxtrace::time::UnixTime;
//!
//! let tek = TemporaryExposureKey::from_bytes([0x75; 16]);
//! let now = UnixTime::from_secs(1_585_785_600);
//! let rpi = tek.rolling_proximity_identifier_key().rolling_proximity_identifier(now.en_interval()?);
//! let aem = tek.associated_encrypted_metadata_key().encrypt(&rpi, &Metadata::v1_0(-8));
//! let id = Identifier::Gaen(GaenPayload { rpi, aem });
//! let raw = encode_advertisement(&id);
//! let heard = decode_advertising_data(raw.as_bytes())?;
//! assert_eq!(heard.beacon, Beacon::Identifier(id));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Modules
//!
//! | module | what lives there |
//! |---|---|
//! | [`time`] | unix seconds, EN intervals, UTC days, Bluezone slots |
//! | [`gaen`] | the GAEN v1.2 key schedule and metadata |
//! | [`bluezone`] | the Bluezone v2 key schedule |
//! | [`identifier`] | scheme-tagged broadcast identifiers |
//! | [`advert`] | BLE advertisement codecs for both schemes |
//! | [`btsnoop`] | Android HCI snoop logs (BTSnoop v1, H4): advertising reports received, own advertising data |
//! | [`calibration`] | per-device radio calibration: Google's EN calibration table, GAEN fallbacks |
//! | [`sighting`] | what a radio hears and the scan-instance aggregates the log keeps |
//! | [`published`] | diagnosis keys infected people published |
//! | [`log`] | the encounter log: a crash-safe ring of scan-instance records |
//! | [`matching`] | published keys against logged scan instances: exposure windows, daily summaries |
//! | [`tracer`] | the sans-IO tracer a phone runs all day: rotation, scanning, keys, log |
//! | [`storage_key`] | the host's 32-byte key that seals the key store and the log at rest |
//!
//! Byte layouts: `docs/protocols.md`, `docs/log-format.md`, `docs/keystore-format.md`,
//! `docs/export-format.md` in the repository.

#![deny(unsafe_code)]
#![warn(missing_docs)]
// Library code never unwraps: bad input becomes a typed error. (Tests may.)
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod advert;
pub mod ble;
pub mod bluezone;
pub mod btsnoop;
pub mod calibration;
pub mod gaen;
pub mod identifier;
mod keys;
pub mod log;
pub mod matching;
pub mod published;
pub mod sighting;
pub mod storage_key;
pub mod time;
pub mod tracer;

pub use keys::KeyError;

/// The README's example runs as a doc-test.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
