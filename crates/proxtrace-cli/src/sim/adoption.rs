//! Who has the app: adoption overall and by group, clustered in households; which platform
//! and scheme each phone runs.
//!
//! Each person gets a score `c·h + (1 − c)·u` (`h` drawn per household, `u` per person, `c`
//! the household clustering); in each group (public-sector staff, everyone else) the people
//! with the lowest scores install first. So a higher rate only adds people: the adopters at
//! 7.54 % are among those at 60 %, which is what lets one simulation serve a whole sweep
//! (`sweep.rs`).

use super::config::SimConfig;
use super::phone::PhoneKind;
use super::population::{Role, Town};
use super::radio::Stream;

/// Adoption order: per group, people by increasing score.
#[derive(Debug, Clone)]
pub(crate) struct Adoption {
    /// Rank of each person within their group.
    rank: Vec<u32>,
    public_sector: Vec<bool>,
    staff: usize,
    split_public_sector: Option<f64>,
}

/// The people with the app at one rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rate {
    /// Overall adoption asked for.
    pub(crate) adoption: f64,
    /// Public-sector staff with the app, and everyone else with it.
    staff_installs: usize,
    other_installs: usize,
}

impl Adoption {
    pub(crate) fn new(town: &Town, config: &SimConfig) -> Self {
        let n = town.people.len();
        let c = config.household_clustering as f32;
        let score: Vec<f32> = town
            .people
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let h = Stream::new(&[config.seed, 0x686f_7573, u64::from(p.household)]).unit();
                let u = Stream::new(&[config.seed, 0x6164_6f70, i as u64]).unit();
                c * h + (1.0 - c) * u
            })
            .collect();
        let split = config.adoption_public_sector;
        let public_sector: Vec<bool> = town
            .people
            .iter()
            .map(|p| split.is_some() && p.role == Role::PublicSector)
            .collect();
        let mut rank = vec![0u32; n];
        for group in [true, false] {
            let mut members: Vec<usize> = (0..n).filter(|&i| public_sector[i] == group).collect();
            members.sort_by(|&a, &b| score[a].total_cmp(&score[b]).then(a.cmp(&b)));
            for (r, &i) in members.iter().enumerate() {
                rank[i] = r as u32;
            }
        }
        let staff = public_sector.iter().filter(|&&b| b).count();
        Self {
            rank,
            public_sector,
            staff,
            split_public_sector: split,
        }
    }

    /// The installs at overall rate `adoption`: public-sector staff at their own rate (as far
    /// as the overall count allows), everyone else making up the rest.
    pub(crate) fn rate(&self, adoption: f64) -> Rate {
        let n = self.rank.len();
        let others = n - self.staff;
        let total = ((n as f64 * adoption).round() as usize).min(n);
        let staff_installs = match self.split_public_sector {
            Some(f) => ((self.staff as f64 * f).round() as usize)
                .clamp(total.saturating_sub(others), total.min(self.staff)),
            None => 0,
        };
        Rate {
            adoption,
            staff_installs,
            other_installs: total - staff_installs,
        }
    }

    /// Whether person `i` has the app at `rate`.
    pub(crate) fn has_app(&self, rate: &Rate, i: usize) -> bool {
        let limit = if self.public_sector[i] {
            rate.staff_installs
        } else {
            rate.other_installs
        };
        (self.rank[i] as usize) < limit
    }

    /// The share of public-sector staff with the app at `rate`, when they are a group.
    pub(crate) fn public_sector_share(&self, rate: &Rate) -> Option<f64> {
        self.split_public_sector
            .map(|_| rate.staff_installs as f64 / self.staff.max(1) as f64)
    }
}

/// The phone person `i` would carry: iOS with probability `ios_share`; the scheme from the
/// mix, or `config.scheme`.
pub(crate) fn phone_kind(config: &SimConfig, i: usize) -> PhoneKind {
    let ios = Stream::new(&[config.seed, 0x0069_6f73, i as u64]).unit() < config.ios_share as f32;
    let (gaen, bluezone) = match config.scheme_mix {
        Some(m) => {
            let u = f64::from(Stream::new(&[config.seed, 0x006d_6978, i as u64]).unit());
            if u < m.bluezone {
                (false, true)
            } else if u < m.bluezone + m.gaen {
                (true, false)
            } else {
                (true, true)
            }
        }
        None => (
            config.scheme == proxtrace::identifier::Scheme::Gaen,
            config.scheme == proxtrace::identifier::Scheme::Bluezone,
        ),
    };
    PhoneKind {
        ios,
        gaen,
        bluezone,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn higher_rates_only_add_people_and_staff_adopt_at_their_rate() {
        let config = SimConfig {
            people: 5_000,
            adoption_public_sector: Some(0.7167),
            ..SimConfig::default()
        };
        let town = Town::new(config.people, config.seed);
        let a = Adoption::new(&town, &config);
        let low = a.rate(0.083);
        let high = a.rate(0.6);
        let count = |r: &Rate| (0..5_000).filter(|&i| a.has_app(r, i)).count();
        assert_eq!(count(&low), 415);
        assert_eq!(count(&high), 3_000);
        assert!((0..5_000).all(|i| !a.has_app(&low, i) || a.has_app(&high, i)));
        let share = a.public_sector_share(&low).unwrap();
        assert!((share - 0.7167).abs() < 0.02, "{share}");
        // At 100 % everyone has it, staff included.
        assert_eq!(count(&a.rate(1.0)), 5_000);
        assert_eq!(a.public_sector_share(&a.rate(1.0)), Some(1.0));
    }

    #[test]
    fn clustered_installs_come_in_households() {
        let both_installed = |c: f64| {
            let config = SimConfig {
                people: 4_000,
                household_clustering: c,
                ..SimConfig::default()
            };
            let town = Town::new(config.people, config.seed);
            let a = Adoption::new(&town, &config);
            let r = a.rate(0.3);
            // Pairs of household members who both have the app.
            let p = &town.people;
            let (mut pairs, mut both) = (0, 0);
            for i in 1..p.len() {
                if p[i].household == p[i - 1].household {
                    pairs += 1;
                    both += usize::from(a.has_app(&r, i) && a.has_app(&r, i - 1));
                }
            }
            both as f64 / f64::from(pairs)
        };
        let independent = both_installed(0.0);
        assert!((independent - 0.09).abs() < 0.02, "{independent}");
        assert!(both_installed(0.8) > 2.0 * independent);
    }
}
