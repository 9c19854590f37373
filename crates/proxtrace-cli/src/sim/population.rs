//! The population and its places, sized from the number of people.
//!
//! People live in households (1–6, mean 3.6, as rural Vietnam) grouped into communes of about
//! [`PEOPLE_PER_COMMUNE`] people (Đức Huệ: 66,219 people in 11 communes and towns). Each
//! person has a role: pupil (22 %), worker (43 %), staying at home (35 %), and
//! [`PUBLIC_SECTOR_SHARE`] of the population — Đức Huệ's 1,172 of 66,219 — works in the public
//! sector. Per commune: classrooms of [`CLASS_SIZE`] pupils, workplaces of 2–40 workers (a
//! third of them fields, where people stand far apart), public offices of 10, one market sized
//! by the commune's population, and one bus per 3,000 people; one worker in ten works in
//! another commune. Places are independent rooms: two people interact only inside the same
//! place, which is what makes a district shard by commune (docs/scale.md).

use rand::rngs::ChaCha20Rng;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};

use super::radio::hash;

/// A place, by index into [`Town::places`].
pub(crate) type PlaceId = u32;

/// Nowhere anyone else is: walking, cycling, riding a motorbike alone.
pub(crate) const NOWHERE: PlaceId = u32::MAX;

/// People per commune (Đức Huệ: 66,219 in 11).
pub const PEOPLE_PER_COMMUNE: usize = 6_000;
/// Pupils per classroom.
pub const CLASS_SIZE: usize = 35;
/// Share of the population working in the public sector (Đức Huệ: 1,172 of 66,219).
pub const PUBLIC_SECTOR_SHARE: f64 = 1_172.0 / 66_219.0;
/// People per bus line.
pub const PEOPLE_PER_BUS: usize = 3_000;

/// What kind of place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A household's home.
    Home,
    /// A school classroom.
    School,
    /// A shop, workshop or factory floor.
    Work,
    /// A field or plantation: a few workers far apart.
    Field,
    /// A public-sector office.
    Office,
    /// A commune's market.
    Market,
    /// A bus.
    Bus,
}

impl Kind {
    /// Every kind, in the order of [`Kind::name`].
    pub const ALL: [Self; 7] = [
        Self::Home,
        Self::School,
        Self::Work,
        Self::Field,
        Self::Office,
        Self::Market,
        Self::Bus,
    ];

    /// The name used by `--relay`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Home => "home",
            Self::School => "school",
            Self::Work => "work",
            Self::Field => "field",
            Self::Office => "office",
            Self::Market => "market",
            Self::Bus => "bus",
        }
    }
}

/// A place: its kind and floor, metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Place {
    pub(crate) kind: Kind,
    pub(crate) w: f32,
    pub(crate) h: f32,
}

impl Place {
    fn new(kind: Kind, w: f32, h: f32) -> Self {
        Self { kind, w, h }
    }

    /// A floor of `area` m² with a 4:3 aspect.
    fn with_area(kind: Kind, area: f32) -> Self {
        let w = (area * 4.0 / 3.0).sqrt();
        Self::new(kind, w, area / w)
    }
}

/// What a person does on a weekday.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Pupil,
    Worker,
    PublicSector,
    AtHome,
}

/// One person: where they live, learn or work, shop and ride.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Person {
    pub(crate) household: u32,
    pub(crate) home: PlaceId,
    /// Classroom, workplace, field or office (`NOWHERE` for people at home).
    pub(crate) day_place: PlaceId,
    pub(crate) market: PlaceId,
    /// The bus line ridden to school or work, `NOWHERE` if none.
    pub(crate) bus: PlaceId,
    pub(crate) role: Role,
}

/// The town: places and people.
#[derive(Debug, Clone)]
pub(crate) struct Town {
    pub(crate) places: Vec<Place>,
    pub(crate) people: Vec<Person>,
    pub(crate) households: u32,
    pub(crate) communes: usize,
}

/// Household sizes 1–6 and their weights (mean 3.6).
const HOUSEHOLD_SIZES: [(usize, f64); 6] = [
    (1, 0.08),
    (2, 0.14),
    (3, 0.22),
    (4, 0.30),
    (5, 0.15),
    (6, 0.11),
];

fn household_size(rng: &mut ChaCha20Rng) -> usize {
    let mut u: f64 = rng.random();
    for &(size, w) in &HOUSEHOLD_SIZES {
        if u < w {
            return size;
        }
        u -= w;
    }
    6
}

impl Town {
    /// Build a town of `n` people.
    pub(crate) fn new(n: usize, seed: u64) -> Self {
        let mut rng = ChaCha20Rng::seed_from_u64(hash(&[seed, 0x746f_776e]));
        let communes = ((n as f64 / PEOPLE_PER_COMMUNE as f64).round() as usize).max(1);
        let mut places = Vec::new();
        let mut people = Vec::with_capacity(n);
        let mut commune_of = Vec::with_capacity(n);
        let mut households = 0u32;
        while people.len() < n {
            let size = household_size(&mut rng).min(n - people.len());
            let (w, h) = if size <= 4 { (10.0, 8.0) } else { (12.0, 10.0) };
            let home = places.len() as PlaceId;
            places.push(Place::new(Kind::Home, w, h));
            let commune = people.len() * communes / n;
            for member in 0..size {
                // The first member is an adult.
                let u: f64 = rng.random();
                let role = match (member, u) {
                    (0, u) if u < 0.65 => Role::Worker,
                    (0, _) => Role::AtHome,
                    (_, u) if u < 0.30 => Role::Pupil,
                    (_, u) if u < 0.64 => Role::Worker,
                    _ => Role::AtHome,
                };
                people.push(Person {
                    household: households,
                    home,
                    day_place: NOWHERE,
                    market: NOWHERE,
                    bus: NOWHERE,
                    role,
                });
                commune_of.push(commune);
            }
            households += 1;
        }
        // Public-sector staff: drawn among workers.
        let mut workers: Vec<usize> = (0..n).filter(|&i| people[i].role == Role::Worker).collect();
        workers.shuffle(&mut rng);
        let staff = ((n as f64 * PUBLIC_SECTOR_SHARE).round() as usize).min(workers.len());
        for &i in &workers[..staff] {
            people[i].role = Role::PublicSector;
        }
        let mut commuters = Vec::new();
        for c in 0..communes {
            let members: Vec<usize> = (0..n).filter(|&i| commune_of[i] == c).collect();
            let market = places.len() as PlaceId;
            let area = (0.4 * members.len() as f32).clamp(600.0, 4_000.0);
            places.push(Place::with_area(Kind::Market, area));
            let buses = (members.len() as f64 / PEOPLE_PER_BUS as f64)
                .round()
                .max(1.0) as u32;
            let first_bus = places.len() as PlaceId;
            places.extend((0..buses).map(|_| Place::new(Kind::Bus, 2.5, 12.0)));
            let of = |role: Role, people: &[Person], rng: &mut ChaCha20Rng| {
                let mut v: Vec<usize> = members
                    .iter()
                    .copied()
                    .filter(|&i| people[i].role == role)
                    .collect();
                v.shuffle(rng);
                v
            };
            let pupils = of(Role::Pupil, &people, &mut rng);
            for class in pupils.chunks(CLASS_SIZE) {
                let id = places.len() as PlaceId;
                places.push(Place::new(Kind::School, 9.0, 7.0));
                for &i in class {
                    people[i].day_place = id;
                }
            }
            for office in of(Role::PublicSector, &people, &mut rng).chunks(10) {
                let id = places.len() as PlaceId;
                places.push(Place::new(Kind::Office, 12.0, 9.0));
                for &i in office {
                    people[i].day_place = id;
                }
            }
            let mut local = Vec::new();
            for i in of(Role::Worker, &people, &mut rng) {
                if rng.random_bool(0.1) {
                    commuters.push(i);
                } else {
                    local.push(i);
                }
            }
            assign_workplaces(&local, &mut places, &mut people, &mut rng);
            for &i in &members {
                let p = &mut people[i];
                p.market = market;
                let rides = match p.role {
                    Role::Pupil => rng.random_bool(0.1),
                    Role::Worker | Role::PublicSector => rng.random_bool(0.2),
                    Role::AtHome => false,
                };
                if rides {
                    p.bus = first_bus + rng.random_range(0..buses);
                }
            }
        }
        commuters.shuffle(&mut rng);
        assign_workplaces(&commuters, &mut places, &mut people, &mut rng);
        Self {
            places,
            people,
            households,
            communes,
        }
    }

    /// The `index`-th place of `kind` (in creation order).
    pub(crate) fn find(&self, kind: Kind, index: usize) -> Option<PlaceId> {
        self.places
            .iter()
            .enumerate()
            .filter(|(_, p)| p.kind == kind)
            .nth(index)
            .map(|(i, _)| i as PlaceId)
    }

    /// How many places of `kind` there are.
    pub(crate) fn count(&self, kind: Kind) -> usize {
        self.places.iter().filter(|p| p.kind == kind).count()
    }
}

/// Workers into workplaces: a third into fields of 2–6, the rest into workplaces of 2–5
/// (half), 6–15 (a third) or 16–40 people.
fn assign_workplaces(
    workers: &[usize],
    places: &mut Vec<Place>,
    people: &mut [Person],
    rng: &mut ChaCha20Rng,
) {
    let mut rest = workers;
    while !rest.is_empty() {
        let (place, size) = if rng.random_bool(1.0 / 3.0) {
            (Place::new(Kind::Field, 60.0, 60.0), rng.random_range(2..=6))
        } else {
            let u: f64 = rng.random();
            let size = if u < 0.5 {
                rng.random_range(2..=5)
            } else if u < 0.83 {
                rng.random_range(6..=15)
            } else {
                rng.random_range(16..=40)
            };
            (
                Place::with_area(Kind::Work, (8.0 * size as f32).max(20.0)),
                size,
            )
        };
        let (group, tail) = rest.split_at(size.min(rest.len()));
        let id = places.len() as PlaceId;
        places.push(place);
        for &i in group {
            people[i].day_place = id;
        }
        rest = tail;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_district_is_sized_from_its_population() {
        let t = Town::new(66_219, 1);
        assert_eq!(t.people.len(), 66_219);
        assert_eq!(t.communes, 11);
        assert_eq!(t.count(Kind::Market), 11);
        let mean_household = 66_219.0 / f64::from(t.households);
        assert!((3.3..3.9).contains(&mean_household), "{mean_household}");
        let staff = t
            .people
            .iter()
            .filter(|p| p.role == Role::PublicSector)
            .count();
        assert_eq!(staff, 1_172);
        let pupils = t.people.iter().filter(|p| p.role == Role::Pupil).count();
        let classes = t.count(Kind::School);
        assert!(classes * CLASS_SIZE >= pupils && classes <= pupils / CLASS_SIZE + 11);
        // Everyone with a role outside the home has a place for it.
        assert!(
            t.people
                .iter()
                .all(|p| (p.role == Role::AtHome) == (p.day_place == NOWHERE))
        );
        assert!(t.people.iter().all(|p| p.market != NOWHERE));
        assert_eq!(
            t.find(Kind::Market, 10).map(|m| t.places[m as usize].kind),
            Some(Kind::Market)
        );
        assert_eq!(t.find(Kind::Market, 11), None);
    }

    #[test]
    fn the_same_seed_builds_the_same_town() {
        let (a, b) = (Town::new(500, 9), Town::new(500, 9));
        assert_eq!(a.places, b.places);
        assert!(
            a.people
                .iter()
                .zip(&b.people)
                .all(|(x, y)| (x.home, x.day_place, x.bus) == (y.home, y.day_place, y.bus))
        );
    }
}
