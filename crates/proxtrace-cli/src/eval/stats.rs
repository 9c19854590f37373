//! Contact-level confusion counts, F1, per-scan AUC and bootstrap percentile intervals.

use rand::rngs::ChaCha20Rng;
use rand::{RngExt, SeedableRng};

/// True/false positives and false negatives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Confusion {
    /// Notified and a contact.
    pub tp: u64,
    /// Notified, not a contact.
    pub fp: u64,
    /// A contact not notified.
    pub fn_: u64,
}

impl Confusion {
    /// Count over `(notified, contact)` pairs.
    pub fn of(pairs: impl IntoIterator<Item = (bool, bool)>) -> Self {
        let mut c = Self::default();
        for (n, t) in pairs {
            match (n, t) {
                (true, true) => c.tp += 1,
                (true, false) => c.fp += 1,
                (false, true) => c.fn_ += 1,
                _ => {}
            }
        }
        c
    }

    /// TP / (TP + FP), 0 when nothing is notified.
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }

    /// TP / (TP + FN).
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }

    /// 2TP / (2TP + FP + FN), 0 when TP is 0.
    pub fn f1(&self) -> f64 {
        if self.tp == 0 {
            0.0
        } else {
            ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn_)
        }
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// The `q` quantile (0–1) of sorted values, linear interpolation (numpy's default).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// A 95 % percentile interval.
pub fn interval(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    (quantile(&v, 0.025), quantile(&v, 0.975))
}

/// Bootstrap resamples of `n` units: `resamples` index vectors drawn with replacement from a
/// ChaCha20 stream seeded with `seed` (the same seed gives the same indices, so two systems
/// scored on the same units get paired intervals).
pub fn resample_indices(n: usize, resamples: usize, seed: u64) -> Vec<Vec<u32>> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    (0..resamples)
        .map(|_| {
            (0..n)
                .map(|_| rng.random_range(0..n.max(1)) as u32)
                .collect()
        })
        .collect()
}

/// F1 of each resample of `(notified, contact)` units.
pub fn bootstrap_f1(units: &[(bool, bool)], draws: &[Vec<u32>]) -> Vec<f64> {
    draws
        .iter()
        .map(|d| Confusion::of(d.iter().map(|&i| units[i as usize])).f1())
        .collect()
}

/// Area under the ROC curve of a score where *lower* means positive: P(pos < neg) +
/// ½ P(tie) (Mann–Whitney U / n₁n₂). Scores are attenuations (0–255).
pub fn auc_lower_is_positive(pos: &[u8], neg: &[u8]) -> f64 {
    if pos.is_empty() || neg.is_empty() {
        return f64::NAN;
    }
    let mut neg_count = [0u64; 256];
    for &a in neg {
        neg_count[usize::from(a)] += 1;
    }
    // greater[a] = negatives with attenuation > a.
    let mut greater = [0u64; 256];
    let mut acc = 0u64;
    for a in (0..256).rev() {
        greater[a] = acc;
        acc += neg_count[a];
    }
    let mut u = 0.0f64;
    for &a in pos {
        let a = usize::from(a);
        u += greater[a] as f64 + 0.5 * neg_count[a] as f64;
    }
    u / (pos.len() as f64 * neg.len() as f64)
}

/// ROC points (false-positive rate, true-positive rate) of thresholds 0…255 ("positive when
/// attenuation ≤ threshold").
pub fn roc(pos: &[u8], neg: &[u8]) -> Vec<(f64, f64)> {
    let mut out = vec![(0.0, 0.0)];
    for t in 0..=255u8 {
        let tpr = pos.iter().filter(|&&a| a <= t).count() as f64 / pos.len().max(1) as f64;
        let fpr = neg.iter().filter(|&&a| a <= t).count() as f64 / neg.len().max(1) as f64;
        out.push((fpr, tpr));
    }
    out
}

/// Bootstrap interval of the AUC: positives and negatives resampled independently.
pub fn auc_interval(pos: &[u8], neg: &[u8], resamples: usize, seed: u64) -> (f64, f64) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut v = Vec::with_capacity(resamples);
    let (mut p, mut q) = (vec![0u8; pos.len()], vec![0u8; neg.len()]);
    for _ in 0..resamples {
        for x in &mut p {
            *x = pos[rng.random_range(0..pos.len().max(1))];
        }
        for x in &mut q {
            *x = neg[rng.random_range(0..neg.len().max(1))];
        }
        v.push(auc_lower_is_positive(&p, &q));
    }
    interval(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_auc() {
        let c = Confusion::of([(true, true), (true, false), (false, true), (false, false)]);
        assert_eq!((c.tp, c.fp, c.fn_), (1, 1, 1));
        assert!((c.f1() - 0.5).abs() < 1e-12);
        assert_eq!(Confusion::default().f1(), 0.0);
        assert_eq!(auc_lower_is_positive(&[1, 2], &[3, 4]), 1.0);
        assert_eq!(auc_lower_is_positive(&[3, 4], &[1, 2]), 0.0);
        assert_eq!(auc_lower_is_positive(&[2], &[2]), 0.5);
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 0.5), 2.5);
        let d = resample_indices(5, 3, 0);
        assert_eq!(d, resample_indices(5, 3, 0));
        assert!(d.iter().flatten().all(|&i| i < 5));
    }
}
