//! Ground truth for everyone, phone or not: minutes within 2 m of each positive person.
//!
//! A close contact is a pair (positive person, other person) within
//! [`CLOSE_CONTACT_METRES`](super::CLOSE_CONTACT_METRES) for at least
//! [`CLOSE_CONTACT_SECS`](super::CLOSE_CONTACT_SECS) on one day, whoever has the app.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::mobility::Position;
use super::population::NOWHERE;

/// A fast hasher for the simulator's own integer keys (not attacker-controlled).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct MixHasher(u64);

impl Hasher for MixHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x517C_C1B7_2722_0A95);
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn finish(&self) -> u64 {
        let z = self.0 ^ (self.0 >> 29);
        z.wrapping_mul(0xBF58_476D_1CE4_E5B9) ^ (z >> 32)
    }
}

pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<MixHasher>>;

/// People per place at one minute (a counting sort, rebuilt every minute).
#[derive(Debug, Default)]
pub(crate) struct PlaceIndex {
    start: Vec<u32>,
    members: Vec<u32>,
}

impl PlaceIndex {
    pub(crate) fn build(&mut self, positions: &[Position], places: usize) {
        self.start.clear();
        self.start.resize(places + 2, 0);
        for p in positions.iter().filter(|p| p.place != NOWHERE) {
            self.start[p.place as usize + 2] += 1;
        }
        for k in 2..self.start.len() {
            self.start[k] += self.start[k - 1];
        }
        self.members.clear();
        self.members.resize(self.start[places + 1] as usize, 0);
        for (i, p) in positions.iter().enumerate() {
            if p.place != NOWHERE {
                let slot = &mut self.start[p.place as usize + 1];
                self.members[*slot as usize] = i as u32;
                *slot += 1;
            }
        }
    }

    /// The people at `place`, in person order.
    pub(crate) fn members(&self, place: u32) -> &[u32] {
        let p = place as usize;
        &self.members[self.start[p] as usize..self.start[p + 1] as usize]
    }
}

/// Minutes within 2 m, per (positive, other person, day).
#[derive(Debug, Default)]
pub(crate) struct Truth {
    minutes: FastMap<(u32, u32, u32), u16>,
}

impl Truth {
    /// One minute of day `day`.
    pub(crate) fn observe(
        &mut self,
        day: u32,
        positives: &[u32],
        positions: &[Position],
        index: &PlaceIndex,
    ) {
        for &p in positives {
            let here = positions[p as usize];
            if here.place == NOWHERE {
                continue;
            }
            for &c in index.members(here.place) {
                if c != p && here.distance(&positions[c as usize]) <= super::CLOSE_CONTACT_METRES {
                    *self.minutes.entry((p, c, day)).or_insert(0) += 1;
                }
            }
        }
    }

    /// Close contacts: `(positive, other person)` pairs, sorted, each once.
    pub(crate) fn close_pairs(&self) -> Vec<(u32, u32)> {
        let min_minutes = super::CLOSE_CONTACT_SECS.div_ceil(60);
        let mut v: Vec<(u32, u32)> = self
            .minutes
            .iter()
            .filter(|(_, m)| u32::from(**m) >= min_minutes)
            .map(|(&(p, c, _), _)| (p, c))
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(place: u32, x: f32) -> Position {
        Position { place, x, y: 0.0 }
    }

    #[test]
    fn fifteen_minutes_within_two_metres_of_a_positive_is_a_close_contact() {
        // 0 is positive; 1 stays 1.5 m away, 2 stays 2.5 m away, 3 is elsewhere, 4 leaves
        // after 14 minutes.
        let mut truth = Truth::default();
        let mut index = PlaceIndex::default();
        for minute in 0..15 {
            let four = if minute < 14 { at(0, 1.0) } else { at(1, 1.0) };
            let positions = [at(0, 0.0), at(0, 1.5), at(0, 2.5), at(1, 0.0), four];
            index.build(&positions, 2);
            assert_eq!(index.members(1).len(), 1 + usize::from(minute >= 14));
            truth.observe(0, &[0], &positions, &index);
        }
        assert_eq!(truth.close_pairs(), vec![(0, 1)]);
        // Minutes on different days do not add up.
        let mut truth = Truth::default();
        let positions = [at(0, 0.0), at(0, 1.0)];
        index.build(&positions, 1);
        for minute in 0..20 {
            truth.observe(minute / 10, &[0], &positions, &index);
        }
        assert!(truth.close_pairs().is_empty());
    }
}
