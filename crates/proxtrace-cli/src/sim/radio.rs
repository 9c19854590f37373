//! The simulated radio channel: log-distance path loss, body shadowing, noise, packet loss.
//!
//! `RSSI = TX − (L₀ + 10·n·log₁₀ d) − shadow + noise`, with the phone's calibrated TX power
//! [`TX_POWER_DBM`], `L₀` = [`LOSS_AT_1M_DB`], `n` = [`PATH_LOSS_EXPONENT`], a body in the way
//! with probability [`SHADOW_PROBABILITY`] costing [`SHADOW_DB`], and Gaussian noise of
//! [`NOISE_SIGMA_DB`] per packet. Packets weaker than [`SENSITIVITY_DBM`] are lost; otherwise a
//! 4-second scan catches one to five of the advertisements sent every 250 ms.
//!
//! With these numbers 2 m is ≈ 55 dB of attenuation (the GAEN IMMEDIATE threshold) and 5 m
//! ≈ 63 dB (NEAR).

use rand::rngs::ChaCha20Rng;
use rand::{RngExt, SeedableRng};

/// Calibrated TX power every simulated phone broadcasts (GAEN metadata), dBm.
pub const TX_POWER_DBM: i8 = -8;
/// Path loss at 1 m, dB.
pub const LOSS_AT_1M_DB: f32 = 49.0;
/// Path-loss exponent (indoors, line of sight).
pub const PATH_LOSS_EXPONENT: f32 = 2.0;
/// Probability that a body blocks the path for one scan.
pub const SHADOW_PROBABILITY: f64 = 0.3;
/// Loss through a body, dB.
pub const SHADOW_DB: f32 = 8.0;
/// Per-packet noise, standard deviation, dB.
pub const NOISE_SIGMA_DB: f32 = 3.0;
/// Weakest packet received, dBm.
pub const SENSITIVITY_DBM: f32 = -100.0;

/// The channel's random state.
#[derive(Debug)]
pub(crate) struct Radio {
    rng: ChaCha20Rng,
}

impl Radio {
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            rng: ChaCha20Rng::seed_from_u64(seed ^ 0x0072_6164_696f),
        }
    }

    fn gaussian(&mut self) -> f32 {
        // Box–Muller.
        let u1: f32 = self.rng.random_range(f32::EPSILON..1.0);
        let u2: f32 = self.rng.random();
        (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
    }

    /// The packets one 4-second scan receives from a phone `metres` away: `(second within the
    /// scan, RSSI)`.
    pub(crate) fn packets(&mut self, metres: f32) -> Vec<(u8, i8)> {
        let d = metres.max(0.3);
        let mut mean =
            f32::from(TX_POWER_DBM) - LOSS_AT_1M_DB - 10.0 * PATH_LOSS_EXPONENT * d.log10();
        if self.rng.random_bool(SHADOW_PROBABILITY) {
            mean -= SHADOW_DB;
        }
        if mean < SENSITIVITY_DBM - 3.0 * NOISE_SIGMA_DB {
            return Vec::new();
        }
        let n = self.rng.random_range(1..=5u8);
        (0..n)
            .filter_map(|k| {
                let rssi = mean + NOISE_SIGMA_DB * self.gaussian();
                (rssi >= SENSITIVITY_DBM).then_some((k.min(3), rssi.clamp(-127.0, 0.0) as i8))
            })
            .collect()
    }
}
