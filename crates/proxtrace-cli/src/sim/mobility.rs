//! Where everyone is at each minute: a plan per person and day, and a spot inside each place.
//!
//! Weekdays: pupils are in class 7:00–11:15 and (seven in ten) 13:30–16:30, home for lunch;
//! workers leave between 6:30 and 7:30, ride their bus (25–40 min) or travel alone, work until
//! 16:30–17:45, three in ten lunch at the market and three in ten shop on the way home; people
//! at home go to the market in the morning (six in ten, 30–90 min). Sundays: no school or
//! work, half the town at the market. Inside a place a person keeps a spot (a desk, a seat, a
//! corner of the kitchen) and moves around it a little each minute; at the market the spot
//! changes every ten minutes; at home the household gathers around the table half the time.

use rand::rngs::ChaCha20Rng;
use rand::{RngExt, SeedableRng};

use super::population::{Kind, NOWHERE, PlaceId, Role, Town};
use super::radio::hash;

/// One stop of a person's day: from `from` (minutes after midnight) at `place`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stop {
    from: u16,
    place: PlaceId,
}

/// Where someone is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Position {
    pub(crate) place: PlaceId,
    pub(crate) x: f32,
    pub(crate) y: f32,
}

impl Position {
    pub(crate) const NOWHERE: Self = Self {
        place: NOWHERE,
        x: 0.0,
        y: 0.0,
    };

    pub(crate) fn distance(&self, other: &Self) -> f32 {
        ((self.x - other.x).powi(2) + (self.y - other.y).powi(2)).sqrt()
    }
}

/// Everyone's plan for one day, in one flat buffer (no per-person `Vec`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Plans {
    day: u32,
    stops: Vec<Stop>,
    /// `stops[start[i]..start[i + 1]]` is person `i`'s day.
    start: Vec<u32>,
}

const fn hm(h: u16, m: u16) -> u16 {
    h * 60 + m
}

impl Plans {
    /// Plan day `day` (a counter from the first simulated day, a Monday).
    pub(crate) fn plan(&mut self, town: &Town, seed: u64, day: u32) {
        self.day = day;
        self.stops.clear();
        self.start.clear();
        let sunday = day % 7 == 6;
        for (i, p) in town.people.iter().enumerate() {
            self.start.push(self.stops.len() as u32);
            let mut rng =
                ChaCha20Rng::seed_from_u64(hash(&[seed, 0x706c_616e, u64::from(day), i as u64]));
            let first = self.stops.len();
            let mut day_stops = DayBuilder {
                stops: &mut self.stops,
                first,
            };
            day_stops.at(0, p.home);
            let r = |rng: &mut ChaCha20Rng, lo: u16, hi: u16| rng.random_range(lo..=hi);
            match p.role {
                _ if sunday => {
                    if rng.random_bool(0.5) {
                        let t = r(&mut rng, hm(8, 0), hm(11, 0));
                        day_stops.at(t, p.market);
                        day_stops.at(t + r(&mut rng, 30, 90), p.home);
                    }
                }
                Role::Pupil => {
                    let t = r(&mut rng, hm(6, 25), hm(6, 45));
                    day_stops.travel(t, p.bus, r(&mut rng, 10, 25));
                    day_stops.at(hm(7, 0), p.day_place);
                    let t = r(&mut rng, hm(11, 0), hm(11, 15));
                    day_stops.travel(t, p.bus, r(&mut rng, 10, 25));
                    day_stops.at_after(p.home);
                    if rng.random_bool(0.7) {
                        let t = r(&mut rng, hm(13, 0), hm(13, 15));
                        day_stops.travel(t, p.bus, r(&mut rng, 10, 25));
                        day_stops.at(hm(13, 30), p.day_place);
                        let t = r(&mut rng, hm(16, 30), hm(16, 40));
                        day_stops.travel(t, p.bus, r(&mut rng, 10, 25));
                        day_stops.at_after(p.home);
                    }
                }
                Role::Worker | Role::PublicSector => {
                    let t = r(&mut rng, hm(6, 30), hm(7, 30));
                    let ride = if p.bus == NOWHERE {
                        r(&mut rng, 10, 30)
                    } else {
                        r(&mut rng, 25, 40)
                    };
                    day_stops.travel(t, p.bus, ride);
                    day_stops.at_after(p.day_place);
                    if rng.random_bool(0.3) {
                        let lunch = r(&mut rng, hm(11, 45), hm(12, 30));
                        day_stops.at(lunch, p.market);
                        day_stops.at(lunch + r(&mut rng, 20, 50), p.day_place);
                    }
                    let t = r(&mut rng, hm(16, 30), hm(17, 45));
                    let ride = if p.bus == NOWHERE {
                        r(&mut rng, 10, 30)
                    } else {
                        r(&mut rng, 25, 40)
                    };
                    day_stops.travel(t, p.bus, ride);
                    if rng.random_bool(0.3) {
                        day_stops.at_after(p.market);
                        let end = day_stops.end() + r(&mut rng, 15, 60);
                        day_stops.at(end, p.home);
                    } else {
                        day_stops.at_after(p.home);
                    }
                }
                Role::AtHome => {
                    if rng.random_bool(0.6) {
                        let t = r(&mut rng, hm(8, 0), hm(11, 0));
                        day_stops.at(t, p.market);
                        day_stops.at(t + r(&mut rng, 30, 90), p.home);
                    }
                }
            }
        }
        self.start.push(self.stops.len() as u32);
    }

    /// Where person `i` is at `secs` seconds after midnight of the planned day.
    pub(crate) fn position(&self, town: &Town, seed: u64, i: usize, secs: u32) -> Position {
        let minute = (secs / 60) as u16;
        let stops = &self.stops[self.start[i] as usize..self.start[i + 1] as usize];
        let place = stops
            .iter()
            .rev()
            .find(|s| s.from <= minute)
            .map_or(town.people[i].home, |s| s.place);
        if place == NOWHERE {
            return Position::NOWHERE;
        }
        let p = town.places[place as usize];
        // The spot: fixed for the day (desk, seat), or every ten minutes at the market.
        let epoch = match p.kind {
            Kind::Market => u64::from(secs / 600),
            _ => 0,
        };
        let spot = hash(&[seed, i as u64, u64::from(place), u64::from(self.day), epoch]);
        let unit = |h: u64| (h >> 40) as f32 / (1u64 << 24) as f32;
        let (mut x, mut y) = (unit(spot) * p.w, unit(spot.rotate_left(24)) * p.h);
        if p.kind == Kind::Home {
            // Household members gather: half the time around the table in the middle.
            let m = hash(&[
                seed,
                u64::from(place),
                u64::from(self.day),
                u64::from(secs / 1800),
            ]);
            if m & 1 == 0 {
                x = p.w / 2.0 + (unit(spot) - 0.5) * 2.5;
                y = p.h / 2.0 + (unit(spot.rotate_left(24)) - 0.5) * 2.5;
            }
        }
        // A little movement around the spot, minute by minute.
        let jitter = hash(&[spot, u64::from(secs / 60)]);
        x = (x + (unit(jitter) - 0.5)).clamp(0.0, p.w);
        y = (y + (unit(jitter.rotate_left(24)) - 0.5)).clamp(0.0, p.h);
        Position { place, x, y }
    }
}

/// Appends one person's stops, keeping them in time order.
struct DayBuilder<'a> {
    stops: &'a mut Vec<Stop>,
    /// This person's stops start here.
    first: usize,
}

impl DayBuilder<'_> {
    fn end(&self) -> u16 {
        self.stops[self.first..].last().map_or(0, |s| s.from)
    }

    /// At `place` from `from` (never before the previous stop).
    fn at(&mut self, from: u16, place: PlaceId) {
        let from = from.max(self.end()).min(hm(23, 59));
        match self.stops[self.first..].last_mut() {
            Some(last) if last.from == from => last.place = place,
            Some(last) if last.place == place => {}
            _ => self.stops.push(Stop { from, place }),
        }
    }

    /// Travel from `from` for `minutes`: on `bus`, or alone (`NOWHERE`).
    fn travel(&mut self, from: u16, bus: PlaceId, minutes: u16) {
        self.at(from, bus);
        self.stops.push(Stop {
            from: (self.end() + minutes).min(hm(23, 59)),
            place: NOWHERE,
        });
    }

    /// Arrive at `place` when the travel ends.
    fn at_after(&mut self, place: PlaceId) {
        let t = self.end();
        self.at(t, place);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_deterministic_and_everyone_sleeps_at_home() {
        let town = Town::new(300, 3);
        let (mut a, mut b) = (Plans::default(), Plans::default());
        a.plan(&town, 3, 0);
        b.plan(&town, 3, 0);
        for i in 0..300 {
            for secs in (0..86_400).step_by(600) {
                assert_eq!(a.position(&town, 3, i, secs), b.position(&town, 3, i, secs));
            }
            assert_eq!(a.position(&town, 3, i, 3 * 3600).place, town.people[i].home);
            assert_eq!(
                a.position(&town, 3, i, 23 * 3600).place,
                town.people[i].home
            );
        }
        // Pupils are in class at 9:00, workers at work at 10:00, and on Sunday no one is.
        let at = |plans: &Plans, i: usize, h: u32| plans.position(&town, 3, i, h * 3600).place;
        let mut sunday = Plans::default();
        sunday.plan(&town, 3, 6);
        for (i, p) in town.people.iter().enumerate() {
            if p.role == Role::Pupil {
                assert_eq!(at(&a, i, 9), p.day_place);
            }
            assert_ne!(at(&sunday, i, 10), p.day_place);
        }
        let at_work = (0..300)
            .filter(|&i| {
                town.people[i].day_place != NOWHERE && at(&a, i, 10) == town.people[i].day_place
            })
            .count();
        let with_work = town
            .people
            .iter()
            .filter(|p| p.day_place != NOWHERE)
            .count();
        assert!(at_work * 10 >= with_work * 6, "{at_work} of {with_work}");
    }

    #[test]
    fn positions_stay_inside_their_place() {
        let town = Town::new(200, 1);
        let mut plans = Plans::default();
        plans.plan(&town, 1, 1);
        for i in 0..200 {
            for secs in (0..86_400).step_by(300) {
                let p = plans.position(&town, 1, i, secs);
                if p.place != NOWHERE {
                    let place = town.places[p.place as usize];
                    assert!((0.0..=place.w).contains(&p.x) && (0.0..=place.h).contains(&p.y));
                }
            }
        }
    }
}
