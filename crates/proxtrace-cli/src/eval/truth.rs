//! Ground truth from the camera tracks: who was within 2 m of whom for how long.

use std::collections::BTreeSet;

use super::data::Camera;

/// A contact is at least this long within [`CONTACT_DISTANCE_M`], seconds.
pub const CONTACT_SECS: f64 = 900.0;
/// Distance of a contact, metres (strictly closer).
pub const CONTACT_DISTANCE_M: f64 = 2.0;

/// One evaluated ordered pair of one scenario.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pair {
    /// Scenario index.
    pub scenario: usize,
    /// Receiver.
    pub rx: u8,
    /// Sender.
    pub tx: u8,
    /// Seconds within 2 m (frames where both are tracked and closer than 2 m, × frame time).
    pub within_secs: f64,
}

impl Pair {
    /// Whether the pair is a contact.
    pub fn contact(&self) -> bool {
        self.within_secs >= CONTACT_SECS
    }
}

/// Every ordered pair of distinct `phones` that both appear in the scenario's tracks. Frames
/// where either person is untracked count as not within 2 m (no interpolation).
pub fn pairs(scenario: usize, cam: &Camera, phones: &BTreeSet<u8>) -> Vec<Pair> {
    let present: Vec<u8> = phones
        .iter()
        .copied()
        .filter(|p| cam.tracks.contains_key(p))
        .collect();
    let dt = cam.dt();
    let mut out = Vec::new();
    for &rx in &present {
        for &tx in &present {
            if rx == tx {
                continue;
            }
            let close = (0..cam.frames)
                .filter(|&k| {
                    cam.distance(rx, tx, k)
                        .is_some_and(|d| d < CONTACT_DISTANCE_M)
                })
                .count();
            out.push(Pair {
                scenario,
                rx,
                tx,
                within_secs: close as f64 * dt,
            });
        }
    }
    out
}
