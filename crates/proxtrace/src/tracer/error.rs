//! What can go wrong in the tracer.

use crate::KeyError;
use crate::advert::AdvertError;
use crate::log::LogError;
use crate::matching::MatchError;
use crate::time::TimeError;

use super::KeyStoreError;

/// A tracer error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TracerError {
    /// The configuration cannot work; the message names the field.
    #[error("invalid tracer configuration: {0}")]
    Config(String),
    /// The encounter log failed.
    #[error(transparent)]
    Log(#[from] LogError),
    /// The key store could not be read or written.
    #[error(transparent)]
    KeyStore(#[from] KeyStoreError),
    /// Making or stepping a key failed.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A time outside what the protocols can represent.
    #[error("time out of range: {0}")]
    Time(TimeError),
    /// An advertisement handed in does not decode (not a proximity advertisement, or
    /// malformed). Hosts may ignore this error for advertisements of other apps.
    #[error(transparent)]
    Advert(#[from] AdvertError),
    /// Matching failed (bad configuration or records).
    #[error(transparent)]
    Match(#[from] MatchError),
    /// No key of an enabled scheme covers the current time (a bug: please report it).
    #[error("no current {0} key; this is a bug in proxtrace, please report it")]
    NoCurrentKey(&'static str),
}
