//! What to simulate, and the limits every input is held to.

use std::fmt;
use std::str::FromStr;

use proxtrace::identifier::Scheme;
use proxtrace::time::UtcDay;
use serde::Serialize;

use super::SimError;
use super::population::Kind;

/// 2026-11-02, a Monday: the first simulated day.
pub const DEFAULT_START_DAY: UtcDay = UtcDay::new(20_759);

/// Most people a run simulates (memory grows by ≈ 40 KB per phone-day, see
/// docs/performance.md; a province is sharded by district, docs/scale.md).
pub const MAX_PEOPLE: usize = 250_000;
/// Most phone-days one run simulates (phones with the app × days; ≈ 32 KB and ≈ 4 ms of CPU
/// each, so ≈ 32 GB and ≈ 65 CPU-minutes at the limit; docs/performance.md).
pub const MAX_PHONE_DAYS: u64 = 1_000_000;
/// Most simulated days (keys are kept 14 days).
pub const MAX_DAYS: u32 = 14;
/// Most adoption rates in one sweep.
pub const MAX_SWEEP_RATES: usize = 16;
/// Longest relay delay, seconds (a day).
pub const MAX_RELAY_DELAY_SECS: u32 = 86_400;

/// Shares of the town on each scheme (`--scheme-mix bluezone=0.5,gaen=0.3,both=0.2`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SchemeMix {
    /// Phones running Bluezone only.
    pub bluezone: f64,
    /// Phones running GAEN only.
    pub gaen: f64,
    /// Phones speaking both.
    pub both: f64,
}

impl FromStr for SchemeMix {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let mut mix = Self {
            bluezone: 0.0,
            gaen: 0.0,
            both: 0.0,
        };
        for part in s.split(',') {
            let (name, value) = part.split_once('=').ok_or_else(|| {
                format!("{part:?} is not NAME=SHARE (e.g. bluezone=0.5,gaen=0.3,both=0.2)")
            })?;
            let v: f64 = value
                .trim()
                .parse()
                .map_err(|_| format!("{value:?} is not a number"))?;
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("share {v} of {name} is outside 0…1"));
            }
            match name.trim() {
                "bluezone" => mix.bluezone = v,
                "gaen" => mix.gaen = v,
                "both" => mix.both = v,
                other => {
                    return Err(format!(
                        "unknown scheme {other:?}: expected bluezone, gaen or both"
                    ));
                }
            }
        }
        let sum = mix.bluezone + mix.gaen + mix.both;
        if (sum - 1.0).abs() > 1e-6 {
            return Err(format!("the shares add up to {sum}, not 1"));
        }
        Ok(mix)
    }
}

/// A place named on the command line: `market`, `office.3` (the kind and its index, 0 by
/// default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlaceRef {
    /// The kind of place.
    pub kind: Kind,
    /// Which one of that kind (0-based).
    pub index: usize,
}

impl fmt::Display for PlaceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.kind.name(), self.index)
    }
}

impl Serialize for PlaceRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl FromStr for PlaceRef {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (name, index) = match s.split_once('.') {
            Some((n, i)) => (
                n,
                i.parse()
                    .map_err(|_| format!("{i:?} is not a place number"))?,
            ),
            None => (s, 0),
        };
        let kind = Kind::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
                format!(
                    "unknown place {name:?}: expected one of {}",
                    names.join(", ")
                )
            })?;
        Ok(Self { kind, index })
    }
}

/// A relay attack: every advertisement heard at `from` is rebroadcast at `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Relay {
    /// Where the relay listens.
    pub from: PlaceRef,
    /// Where it rebroadcasts.
    pub to: PlaceRef,
    /// Seconds between hearing and rebroadcasting (0: in real time, within the minute).
    pub delay_secs: u32,
}

impl FromStr for Relay {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (a, b) = s
            .split_once(':')
            .ok_or_else(|| format!("{s:?} is not FROM:TO (e.g. market:office.2)"))?;
        Ok(Self {
            from: a.parse()?,
            to: b.parse()?,
            delay_secs: 0,
        })
    }
}

/// What to simulate.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// Number of people (2…[`MAX_PEOPLE`]).
    pub people: usize,
    /// Simulated days (1…[`MAX_DAYS`]); people test positive at the end of the last one.
    pub days: u32,
    /// Seed of everything random: the same seed gives the same report.
    pub seed: u64,
    /// The scheme every phone runs (unless `scheme_mix` is set).
    pub scheme: Scheme,
    /// Fraction of people who test positive (at least one).
    pub positive_fraction: f64,
    /// The first simulated day.
    pub start_day: UtcDay,
    /// Fraction of people whose phone runs the app.
    pub adoption: f64,
    /// Fraction of public-sector staff with the app (the rest of the town makes up the
    /// overall `adoption`); `None`: no difference.
    pub adoption_public_sector: Option<f64>,
    /// How much installs cluster in households: 0 independent, 1 whole households.
    pub household_clustering: f64,
    /// Fraction of phones that are iPhones.
    pub ios_share: f64,
    /// Shares of the schemes; `None`: everyone on `scheme`.
    pub scheme_mix: Option<SchemeMix>,
    /// A relay attack to study (runs the town twice: without and with the relay).
    pub relay: Option<Relay>,
    /// Match with the stricter windows (`MatchConfig::with_strict_windows`).
    pub strict_windows: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            people: 200,
            days: 3,
            seed: 1,
            scheme: Scheme::Gaen,
            positive_fraction: 0.05,
            start_day: DEFAULT_START_DAY,
            adoption: 1.0,
            adoption_public_sector: None,
            household_clustering: 0.5,
            ios_share: 0.0,
            scheme_mix: None,
            relay: None,
            strict_windows: false,
        }
    }
}

fn fraction(name: &str, v: f64) -> Result<(), SimError> {
    if (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(SimError::Config(format!("{name} {v} must be within 0…1")))
    }
}

impl SimConfig {
    /// Check every input against its limit.
    pub fn validate(&self) -> Result<(), SimError> {
        if !(2..=MAX_PEOPLE).contains(&self.people) {
            return Err(SimError::Config(format!(
                "--people {} must be from 2 to {MAX_PEOPLE} (a province runs sharded by district: docs/scale.md)",
                self.people
            )));
        }
        if self.days == 0 || self.days > MAX_DAYS {
            return Err(SimError::Config(format!(
                "--days must be from 1 to {MAX_DAYS} (keys are kept 14 days)"
            )));
        }
        fraction("--positive-fraction", self.positive_fraction)?;
        fraction("--adoption", self.adoption)?;
        if let Some(f) = self.adoption_public_sector {
            fraction("--adoption-public-sector", f)?;
        }
        fraction("--household-clustering", self.household_clustering)?;
        fraction("--ios-share", self.ios_share)?;
        self.check_phone_days(self.adoption)?;
        if let Some(r) = self.relay {
            if r.delay_secs > MAX_RELAY_DELAY_SECS {
                return Err(SimError::Config(format!(
                    "--relay-delay {} must be at most {MAX_RELAY_DELAY_SECS} s",
                    r.delay_secs
                )));
            }
            if r.from == r.to {
                return Err(SimError::Config(format!(
                    "--relay {}:{} relays a place to itself",
                    r.from, r.to
                )));
            }
        }
        Ok(())
    }

    /// Phones at `adoption` × days within [`MAX_PHONE_DAYS`].
    pub fn check_phone_days(&self, adoption: f64) -> Result<(), SimError> {
        let phones = (self.people as f64 * adoption).round() as u64;
        let phone_days = phones * u64::from(self.days);
        if phone_days > MAX_PHONE_DAYS {
            return Err(SimError::Config(format!(
                "{phones} phones × {} days = {phone_days} phone-days is above {MAX_PHONE_DAYS} (≈ {} GB of memory); simulate fewer people or days, or shard by district (docs/scale.md)",
                self.days,
                phone_days * 32 / 1_000_000
            )));
        }
        Ok(())
    }

    /// Check a sweep's rates.
    pub fn validate_sweep(rates: &[f64]) -> Result<(), SimError> {
        if rates.is_empty() || rates.len() > MAX_SWEEP_RATES {
            return Err(SimError::Config(format!(
                "--sweep-adoption needs 1 to {MAX_SWEEP_RATES} rates"
            )));
        }
        for &r in rates {
            fraction("--sweep-adoption rate", r)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_values_parse_or_say_why_not() {
        let m: SchemeMix = "bluezone=0.5,gaen=0.3,both=0.2".parse().unwrap();
        assert_eq!((m.bluezone, m.gaen, m.both), (0.5, 0.3, 0.2));
        assert!(
            "bluezone=0.5"
                .parse::<SchemeMix>()
                .unwrap_err()
                .contains("add up")
        );
        assert!("tcn=1".parse::<SchemeMix>().is_err());
        let r: Relay = "market:office.2".parse().unwrap();
        assert_eq!(
            r.from,
            PlaceRef {
                kind: Kind::Market,
                index: 0
            }
        );
        assert_eq!(r.to.to_string(), "office.2");
        assert!("market".parse::<Relay>().is_err());
        assert!("mall:bus".parse::<Relay>().unwrap_err().contains("market"));
        let mut c = SimConfig {
            people: MAX_PEOPLE + 1,
            ..SimConfig::default()
        };
        assert!(c.validate().is_err());
        c.people = 10;
        c.adoption = 1.5;
        assert!(c.validate().is_err());
        assert!(SimConfig::validate_sweep(&[]).is_err());
        assert!(SimConfig::validate_sweep(&[0.1, 0.6]).is_ok());
    }
}
