//! The town: homes, workplaces, a market and buses, and where every person is at each minute.
//!
//! Each person has a home (households of one to four), and most have a workplace. A day:
//! home until about 7:00; to work by bus (half the workers) or by other means; work until
//! about 17:00 with an optional lunch at the market; an optional market visit on the way home;
//! people without work visit the market in the morning. Inside a place a person keeps a spot
//! (a desk, a seat, a corner of the kitchen) and moves around it a little; at the market the
//! spot changes every ten minutes.

use rand::rngs::ChaCha20Rng;
use rand::{RngExt, SeedableRng};

/// A place, by index into [`Town::places`].
pub(crate) type PlaceId = u32;

/// What kind of place, with its floor size in metres.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Home,
    Work,
    Market,
    Bus,
}

impl Kind {
    fn size(self) -> (f32, f32) {
        match self {
            Self::Home => (10.0, 8.0),
            Self::Work => (20.0, 15.0),
            Self::Market => (40.0, 30.0),
            Self::Bus => (2.5, 12.0),
        }
    }
}

/// One stop of a person's day: from `from` (seconds after midnight) at `place`.
#[derive(Debug, Clone, Copy)]
struct Stop {
    from: u32,
    place: PlaceId,
}

#[derive(Debug, Clone)]
struct Person {
    home: PlaceId,
    work: Option<PlaceId>,
    rides_bus: bool,
    /// Today's stops, in time order, starting at midnight.
    day: Vec<Stop>,
}

/// Where someone is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Position {
    pub(crate) place: PlaceId,
    pub(crate) x: f32,
    pub(crate) y: f32,
}

impl Position {
    pub(crate) fn distance(&self, other: &Self) -> f32 {
        ((self.x - other.x).powi(2) + (self.y - other.y).powi(2)).sqrt()
    }
}

/// The town and its people.
#[derive(Debug, Clone)]
pub(crate) struct Town {
    places: Vec<Kind>,
    people: Vec<Person>,
    buses: [PlaceId; 2],
    market: PlaceId,
    seed: u64,
}

fn hash(parts: &[u64]) -> u64 {
    // SplitMix64 over the parts: a cheap, deterministic per-(person, place, time) stream.
    let mut h = 0x9E37_79B9_7F4A_7C15u64;
    for &p in parts {
        h ^= p.wrapping_add(0x9E37_79B9_7F4A_7C15).wrapping_add(h << 6);
        h = (h ^ (h >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        h = (h ^ (h >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        h ^= h >> 31;
    }
    h
}

fn unit(h: u64) -> f32 {
    (h >> 40) as f32 / (1u64 << 24) as f32
}

impl Town {
    /// Build a town of `n` people.
    pub(crate) fn new(n: usize, seed: u64) -> Self {
        let mut rng = ChaCha20Rng::seed_from_u64(seed ^ 0x0070_776e);
        let mut places = Vec::new();
        let market = 0;
        places.push(Kind::Market);
        let buses = [1, 2];
        places.extend([Kind::Bus, Kind::Bus]);
        let offices = (n / 12).max(1);
        let first_office = places.len() as PlaceId;
        places.extend(std::iter::repeat_n(Kind::Work, offices));
        let mut people = Vec::with_capacity(n);
        while people.len() < n {
            let home = places.len() as PlaceId;
            places.push(Kind::Home);
            let size = rng.random_range(1..=4usize).min(n - people.len());
            for _ in 0..size {
                let work = rng
                    .random_bool(0.7)
                    .then(|| first_office + rng.random_range(0..offices as PlaceId));
                people.push(Person {
                    home,
                    work,
                    rides_bus: work.is_some() && rng.random_bool(0.5),
                    day: Vec::new(),
                });
            }
        }
        Self {
            places,
            people,
            buses,
            market,
            seed,
        }
    }

    /// Plan everyone's day `day` (a counter from the start of the simulation).
    pub(crate) fn plan_day(&mut self, day: u32) {
        let mut rng = ChaCha20Rng::seed_from_u64(hash(&[self.seed, u64::from(day), 1]));
        let (market, buses) = (self.market, self.buses);
        for p in &mut self.people {
            let mut stops = vec![Stop {
                from: 0,
                place: p.home,
            }];
            let min = |m: u32| m * 60;
            match p.work {
                Some(work) => {
                    let leave = min(rng.random_range(6 * 60 + 30..=7 * 60 + 30));
                    let bus = buses[rng.random_range(0..2usize)];
                    let mut t = leave;
                    if p.rides_bus {
                        stops.push(Stop {
                            from: t,
                            place: bus,
                        });
                        t += min(rng.random_range(25..=40));
                    } else {
                        t += min(rng.random_range(10..=30)); // walking, cycling: no one near
                    }
                    stops.push(Stop {
                        from: t,
                        place: work,
                    });
                    if rng.random_bool(0.3) {
                        let lunch = min(rng.random_range(11 * 60 + 45..=12 * 60 + 30));
                        stops.push(Stop {
                            from: lunch,
                            place: market,
                        });
                        stops.push(Stop {
                            from: lunch + min(rng.random_range(20..=50)),
                            place: work,
                        });
                    }
                    let mut t = min(rng.random_range(16 * 60 + 30..=17 * 60 + 45));
                    if p.rides_bus {
                        stops.push(Stop {
                            from: t,
                            place: bus,
                        });
                        t += min(rng.random_range(25..=40));
                    }
                    if rng.random_bool(0.3) {
                        stops.push(Stop {
                            from: t,
                            place: market,
                        });
                        t += min(rng.random_range(15..=60));
                    }
                    stops.push(Stop {
                        from: t,
                        place: p.home,
                    });
                }
                None => {
                    if rng.random_bool(0.6) {
                        let t = min(rng.random_range(8 * 60..=11 * 60));
                        stops.push(Stop {
                            from: t,
                            place: market,
                        });
                        stops.push(Stop {
                            from: t + min(rng.random_range(30..=90)),
                            place: p.home,
                        });
                    }
                }
            }
            // A stop between two others (bus, market) never outlasts the next one's start.
            stops.dedup_by_key(|s| s.place);
            p.day = stops;
        }
    }

    /// Where person `i` is at `secs` seconds after midnight of simulated day `day` (walking or
    /// cycling alone to work counts as still being at home: no one else is near).
    pub(crate) fn position(&self, i: usize, day: u32, secs: u32) -> Position {
        let p = &self.people[i];
        let stop = p
            .day
            .iter()
            .rev()
            .find(|s| s.from <= secs)
            .copied()
            .unwrap_or(Stop {
                from: 0,
                place: p.home,
            });
        let kind = self.places[stop.place as usize];
        let (w, h) = kind.size();
        // The spot: fixed for the day (desk, seat), or every ten minutes at the market.
        let epoch = match kind {
            Kind::Market => u64::from(secs / 600),
            _ => 0,
        };
        let spot = hash(&[
            self.seed,
            i as u64,
            u64::from(stop.place),
            u64::from(day),
            epoch,
        ]);
        let mut x = unit(spot) * w;
        let mut y = unit(spot.rotate_left(24)) * h;
        if kind == Kind::Home {
            // Household members gather: half the time around the table in the middle.
            let m = hash(&[
                self.seed,
                u64::from(stop.place),
                u64::from(day),
                u64::from(secs / 1800),
            ]);
            if m & 1 == 0 {
                x = w / 2.0 + (unit(spot) - 0.5) * 2.5;
                y = h / 2.0 + (unit(spot.rotate_left(24)) - 0.5) * 2.5;
            }
        }
        // A little movement around the spot, minute by minute.
        let jitter = hash(&[spot, u64::from(secs / 60)]);
        x = (x + (unit(jitter) - 0.5) * 1.0).clamp(0.0, w);
        y = (y + (unit(jitter.rotate_left(24)) - 0.5) * 1.0).clamp(0.0, h);
        Position {
            place: stop.place,
            x,
            y,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_deterministic_and_everyone_sleeps_at_home() {
        let mut a = Town::new(50, 3);
        let mut b = Town::new(50, 3);
        a.plan_day(0);
        b.plan_day(0);
        for i in 0..50 {
            for secs in (0..86_400).step_by(600) {
                assert_eq!(a.position(i, 0, secs), b.position(i, 0, secs));
            }
            let night = a.position(i, 0, 3 * 3600);
            assert_eq!(night.place, a.people[i].home);
        }
        // Workers are somewhere else at 10:00.
        let away = (0..50)
            .filter(|&i| a.position(i, 0, 10 * 3600).place != a.people[i].home)
            .count();
        assert!(away > 20, "{away}");
    }
}
