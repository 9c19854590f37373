//! The simulated radio channel, refitted to real phones (issue 14's DP-3T field data).
//!
//! Per 4-second scan of one sender at one receiver, `d` metres apart (at most
//! [`RANGE_METRES`]):
//!
//! ```text
//! heard?      Bernoulli(P(heard | d))                       (HEARD_BY_DISTANCE)
//! packets     1 + Binomial(15, (mean(d) − 1) / 15)           (PACKETS_BY_DISTANCE)
//! att_scan    m(d) + o_rx + o_tx + σ(d)·z                    z ~ N(0, 1) per scan
//! m(d)        min(55.6 + 12.1·log10(max(d, 0.3 m)), 62.4)    dB, plateau from 3.63 m
//! σ(d)        clamp(7.0 − 5.0·log10(max(d, 0.3 m)), 3.0, 8.0) dB
//! RSSI        TX − att_scan + 3.7·z_k                        per packet
//! ```
//!
//! `o_rx ~ N(0, 2.6²)` and `o_tx ~ N(0, 1.6²)` are drawn once per phone (the per-model
//! residual offsets after calibration). The attenuation is the *calibrated* one (`TX − (RSSI +
//! correction)`), so simulated phones advertise [`TX_POWER_DBM`] and apply no correction.
//!
//! Source (docs/scale.md, "Radio"): 4,639 scan instances with a camera distance label from the
//! 18 phones of the DP-3T experiment (btsnoop logs, December calibration), robust soft-L1
//! fit; the table of medians, spreads, packet counts and P(heard) per distance bin is in
//! docs/scale.md. The data stop at 15 m (20 instances in 10–30 m): beyond [`RANGE_METRES`]
//! nothing is heard. That cut-off is an assumption of the simulator, not a measurement.
//!
//! Every draw comes from a `Stream` keyed by what it is about (seed, receiver, sender, scan
//! time), never from a shared generator: the same pair in the same scan gets the same radio
//! whatever else happens in the town, which makes runs reproducible under any thread count and
//! lets an adoption sweep reuse one run (see `sweep.rs`).

/// Calibrated TX power every simulated phone broadcasts (GAEN metadata), dBm.
pub const TX_POWER_DBM: i8 = -8;
/// Nothing is heard beyond this distance, metres (the field data end at 15 m).
pub const RANGE_METRES: f32 = 15.0;
/// Median attenuation at 1 m, dB.
pub const ATTENUATION_AT_1M_DB: f32 = 55.6;
/// Growth of the median per decade of distance, dB (path-loss exponent 1.21).
pub const ATTENUATION_DB_PER_DECADE: f32 = 12.1;
/// Indoor plateau of the median, dB (reached at 3.63 m).
pub const ATTENUATION_PLATEAU_DB: f32 = 62.4;
/// Per-packet RSSI noise within a scan, standard deviation, dB.
pub const PACKET_SIGMA_DB: f32 = 3.7;
/// Standard deviation of a receiver's model offset, dB.
pub const RX_OFFSET_SD_DB: f32 = 2.6;
/// Standard deviation of a sender's model offset, dB.
pub const TX_OFFSET_SD_DB: f32 = 1.6;
/// Advertisements a phone sends per 4-s scan window at most (every ≈ 250 ms).
pub const MAX_PACKETS: usize = 16;

/// Probability that a sender is heard at all in one scan: `(upper bound of the distance bin,
/// P)`, field data (n = 709, 1587, 1369, 794, 592, 267, 20 per bin).
pub const HEARD_BY_DISTANCE: [(f32, f32); 7] = [
    (1.0, 0.984),
    (2.0, 0.929),
    (3.0, 0.830),
    (4.0, 0.754),
    (6.0, 0.765),
    (10.0, 0.888),
    (RANGE_METRES, 0.90),
];

/// Mean packets per scan given heard: `(upper bound of the distance bin, mean)`.
pub const PACKETS_BY_DISTANCE: [(f32, f32); 6] = [
    (1.0, 7.6),
    (2.0, 6.6),
    (3.0, 5.3),
    (4.0, 4.4),
    (6.0, 4.3),
    (RANGE_METRES, 4.0),
];

/// A deterministic stream of random numbers for one purpose (SplitMix64).
#[derive(Debug, Clone)]
pub(crate) struct Stream {
    state: u64,
    /// The second normal of the last Box–Muller pair.
    spare: Option<f32>,
}

impl Stream {
    /// A stream keyed by `parts` (seed, what, who, when…).
    pub(crate) fn new(parts: &[u64]) -> Self {
        Self {
            state: hash(parts),
            spare: None,
        }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.state)
    }

    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    pub(crate) fn bernoulli(&mut self, p: f32) -> bool {
        self.unit() < p
    }

    /// Standard normal (Box–Muller, both values of each pair used).
    pub(crate) fn gaussian(&mut self) -> f32 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        let u1 = self.unit().max(f32::EPSILON);
        let u2 = self.unit();
        let r = (-2.0 * u1.ln()).sqrt();
        let (s, c) = (std::f32::consts::TAU * u2).sin_cos();
        self.spare = Some(r * s);
        r * c
    }
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A 64-bit hash of the parts (SplitMix64 finaliser over each).
pub(crate) fn hash(parts: &[u64]) -> u64 {
    let mut h = 0x6A09_E667_F3BC_C908u64;
    for &p in parts {
        h = mix(h ^ p.wrapping_add(0x9E37_79B9_7F4A_7C15).wrapping_add(h << 6));
    }
    h
}

/// Median calibrated attenuation at `metres`, dB.
pub fn median_attenuation_db(metres: f32) -> f32 {
    let d = metres.max(0.3);
    (ATTENUATION_AT_1M_DB + ATTENUATION_DB_PER_DECADE * d.log10()).min(ATTENUATION_PLATEAU_DB)
}

/// Scan-to-scan spread of the attenuation at `metres`, dB.
pub fn spread_db(metres: f32) -> f32 {
    (7.0 - 5.0 * metres.max(0.3).log10()).clamp(3.0, 8.0)
}

fn binned(table: &[(f32, f32)], metres: f32) -> Option<f32> {
    table
        .iter()
        .find(|(upper, _)| metres < *upper)
        .map(|&(_, v)| v)
}

/// Probability that a sender `metres` away is heard in one scan.
pub fn heard_probability(metres: f32) -> f32 {
    if metres > RANGE_METRES {
        return 0.0;
    }
    binned(&HEARD_BY_DISTANCE, metres).unwrap_or(HEARD_BY_DISTANCE[6].1)
}

/// Mean packets per scan from a sender `metres` away, given it is heard.
pub fn mean_packets(metres: f32) -> f32 {
    binned(&PACKETS_BY_DISTANCE, metres).unwrap_or(PACKETS_BY_DISTANCE[5].1)
}

/// A phone's radio: its model offsets, dB of attenuation.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct PhoneRadio {
    pub(crate) rx_offset_db: f32,
    pub(crate) tx_offset_db: f32,
}

impl PhoneRadio {
    /// Offsets drawn once per phone.
    pub(crate) fn draw(stream: &mut Stream) -> Self {
        Self {
            rx_offset_db: RX_OFFSET_SD_DB * stream.gaussian(),
            tx_offset_db: TX_OFFSET_SD_DB * stream.gaussian(),
        }
    }
}

/// The packets of one advertisement heard in one scan: `(second within the scan, RSSI)`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Packets {
    len: u8,
    packets: [(u8, i8); MAX_PACKETS],
}

impl Packets {
    pub(crate) fn as_slice(&self) -> &[(u8, i8)] {
        &self.packets[..usize::from(self.len)]
    }
}

/// One scan of one sender at one receiver: whether it was heard and at what attenuation.
#[derive(Debug, Clone)]
pub(crate) struct Scan {
    stream: Stream,
    attenuation_db: f32,
    mean_packets: f32,
}

impl Scan {
    /// Draw the scan of a sender `metres` away; `None` if it is not heard. `stream` must be
    /// keyed by (seed, receiver, sender, scan start).
    pub(crate) fn draw(
        mut stream: Stream,
        metres: f32,
        rx: PhoneRadio,
        tx: PhoneRadio,
    ) -> Option<Self> {
        if !stream.bernoulli(heard_probability(metres)) {
            return None;
        }
        let attenuation_db = median_attenuation_db(metres)
            + rx.rx_offset_db
            + tx.tx_offset_db
            + spread_db(metres) * stream.gaussian();
        Some(Self {
            stream,
            attenuation_db,
            mean_packets: mean_packets(metres),
        })
    }

    /// The packets of one advertisement of the sender (a phone speaking both schemes sends
    /// two, each with its own packets over the same channel), spread over a `window_secs`
    /// scan.
    pub(crate) fn packets(&mut self, window_secs: u64) -> Packets {
        let p = ((self.mean_packets - 1.0) / (MAX_PACKETS - 1) as f32).clamp(0.0, 1.0);
        let n = 1
            + (1..MAX_PACKETS)
                .filter(|_| self.stream.bernoulli(p))
                .count();
        let mut out = Packets {
            len: n as u8,
            ..Packets::default()
        };
        let window = window_secs.max(1);
        for (k, slot) in out.packets[..n].iter_mut().enumerate() {
            let rssi = f32::from(TX_POWER_DBM) - self.attenuation_db
                + PACKET_SIGMA_DB * self.stream.gaussian();
            let offset = (k as u64 * window / n as u64).min(window - 1);
            *slot = (offset as u8, rssi.round().clamp(-127.0, 0.0) as i8);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_curve_has_the_fitted_points_and_the_plateau() {
        assert!((median_attenuation_db(1.0) - 55.6).abs() < 1e-4);
        assert!((median_attenuation_db(2.0) - 59.24).abs() < 0.01);
        assert_eq!(median_attenuation_db(3.7), ATTENUATION_PLATEAU_DB);
        assert_eq!(median_attenuation_db(14.0), ATTENUATION_PLATEAU_DB);
        assert_eq!(spread_db(0.5), 8.0);
        assert!((spread_db(2.0) - 5.495).abs() < 0.01);
        assert_eq!(spread_db(10.0), 3.0);
        assert_eq!(heard_probability(0.2), 0.984);
        assert_eq!(heard_probability(15.0), 0.90);
        assert_eq!(heard_probability(15.01), 0.0);
    }

    /// The simulated scans reproduce the field table they were fitted to (docs/scale.md):
    /// median and p10–p90 of the typical attenuation per distance bin, P(heard), packets per
    /// scan — with phones' model offsets drawn as for simulated phones, over 20 000 scans.
    #[test]
    fn simulated_scans_reproduce_the_field_figures() {
        // (distance, field median, field p90 − p10, P(heard), mean packets)
        for (metres, median, spread, heard, packets) in [
            (0.75, 54.0, 22.0, 0.984, 7.6),
            (1.75, 59.0, 15.0, 0.929, 6.6),
            (5.0, 62.0, 12.0, 0.765, 4.3),
        ] {
            let n = 20_000u64;
            let mut atts = Vec::new();
            let mut counts = 0usize;
            for k in 0..n {
                let rx = PhoneRadio::draw(&mut Stream::new(&[7, k, 1]));
                let tx = PhoneRadio::draw(&mut Stream::new(&[7, k, 2]));
                if let Some(mut scan) = Scan::draw(Stream::new(&[42, k]), metres, rx, tx) {
                    let p = scan.packets(4);
                    let p = p.as_slice();
                    counts += p.len();
                    assert!(p.iter().all(|&(t, _)| t < 4));
                    // The scan's typical attenuation as the tracer computes it.
                    let mean = p.iter().map(|&(_, r)| f32::from(r)).sum::<f32>() / p.len() as f32;
                    atts.push(f32::from(TX_POWER_DBM) - mean);
                }
            }
            atts.sort_by(f32::total_cmp);
            let q = |f: f64| atts[(atts.len() as f64 * f) as usize];
            let got_heard = atts.len() as f32 / n as f32;
            assert!(
                (got_heard - heard).abs() < 0.01,
                "{metres} m: heard {got_heard}"
            );
            assert!(
                (q(0.5) - median).abs() < 1.0,
                "{metres} m: median {}",
                q(0.5)
            );
            let got_spread = q(0.9) - q(0.1);
            assert!(
                (got_spread - spread).abs() < 2.5,
                "{metres} m: p10–p90 {got_spread}"
            );
            let mean_count = counts as f32 / atts.len() as f32;
            assert!(
                (mean_count - packets).abs() < 0.1,
                "{metres} m: {mean_count}"
            );
        }
    }

    #[test]
    fn streams_are_keyed() {
        let a: Vec<u64> = (0..4).map(|_| Stream::new(&[1, 2]).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(
            Stream::new(&[1, 2]).next_u64(),
            Stream::new(&[2, 1]).next_u64()
        );
    }
}
