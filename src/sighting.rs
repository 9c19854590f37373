//! What a radio hears ([`Sighting`]) and what the log keeps of it ([`ScanAggregate`]).

use crate::identifier::Identifier;
use crate::time::UnixTime;

/// One report of a proximity advertisement by a radio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sighting {
    /// The identifier heard.
    pub identifier: Identifier,
    /// Received signal strength in dBm (after any calibration offset).
    pub rssi: i8,
    /// The TX power level the sender advertised, if any (dBm).
    pub tx_power: Option<i8>,
    /// When it was heard.
    pub time: UnixTime,
}

/// A scan-instance aggregate: every sighting of one identifier within one scan window.
///
/// This is the record the encounter log stores and the matcher reads. It keeps what GAEN v2
/// exposure windows need (typical attenuation from the mean, minimum attenuation from the
/// strongest signal, scan time) and what Bluezone's slot check needs (the times).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ScanAggregate {
    /// The identifier heard.
    pub identifier: Identifier,
    /// Time of the first sighting in the window.
    pub first_seen: UnixTime,
    /// Time of the last sighting in the window (≥ `first_seen`).
    pub last_seen: UnixTime,
    /// Number of sightings aggregated (≥ 1).
    pub count: u32,
    /// The strongest RSSI in the window, dBm. Minimum attenuation is `TX − max_rssi`: the
    /// "min RSSI" of the attenuation, i.e. the sighting with the least path loss.
    pub max_rssi: i8,
    /// The mean RSSI of the window, dBm, rounded to nearest (ties away from zero).
    /// Typical attenuation is `TX − mean_rssi`.
    pub mean_rssi: i8,
    /// The TX power level advertised alongside, if any (dBm).
    pub tx_power: Option<i8>,
}
