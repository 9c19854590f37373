//! The tracer's key lifecycle: one TEK and one Bluezone daily key per UTC day, re-keying
//! after a report, deletion after the retention period.
//!
//! * GAEN: a TEK per day, rolling start at UTC midnight (or, after a report, at the report's
//!   interval: the published key is cut there and a fresh one covers the rest of the day).
//! * Bluezone: the daily key of a day is `SHA-256` of the previous day's key while the chain is
//!   unbroken; a fresh random key (a new "base key") starts it after a report, on first use, or
//!   after a gap. The base key itself is never published — only daily keys of the requested
//!   days, each with the time range it was broadcast in.

use rand::TryCryptoRng;
use sha2::{Digest, Sha256};

use crate::KeyError;
use crate::bluezone::DailyKey;
use crate::gaen::TemporaryExposureKey;
use crate::published::{BluezoneDiagnosisKey, GaenDiagnosisKey, ReportType};
use crate::time::{
    CheckedTime, EN_INTERVAL_SECONDS, EN_INTERVALS_PER_DAY, EnIntervalNumber, SlotsPerDay,
    UnixTime, UtcDay,
};

use super::keystore::{StoredDailyKey, StoredKeys, StoredTek};

/// What a positive user uploads.
#[derive(Debug, Clone, Default)]
pub struct DiagnosisKeys {
    /// GAEN TEKs with their validity (report type left `UNKNOWN`: the health authority's server
    /// assigns it).
    pub gaen: Vec<GaenDiagnosisKey>,
    /// Bluezone daily keys with the time range each was broadcast in.
    pub bluezone: Vec<BluezoneDiagnosisKey>,
}

/// The keys of one tracer.
#[derive(Debug, Default)]
pub(crate) struct KeySchedule {
    pub(crate) keys: StoredKeys,
}

fn random<const N: usize, R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<[u8; N], KeyError> {
    let mut b = [0u8; N];
    rng.try_fill_bytes(&mut b)
        .map_err(|e| KeyError::Random(e.to_string()))?;
    Ok(b)
}

impl KeySchedule {
    /// Make sure an unpublished key of each enabled scheme covers `now`. Returns whether
    /// anything changed (the store must then be saved before the key is broadcast).
    pub(crate) fn ensure_current<R: TryCryptoRng + ?Sized>(
        &mut self,
        now: &CheckedTime,
        gaen: bool,
        bluezone: bool,
        rng: &mut R,
    ) -> Result<bool, KeyError> {
        let mut changed = false;
        let day = now.day();
        if gaen && self.current_tek(now).is_none() {
            let j = now.interval();
            let day_start = j.day_start();
            let any_today = self.keys.gaen.iter().any(|t| {
                t.rolling_start >= day_start.get()
                    && t.rolling_start < day_start.get() + EN_INTERVALS_PER_DAY
            });
            // A day's first key starts at midnight, as GAEN requires; a key made after a
            // report starts at the report's interval and runs to the end of the day.
            let start = if any_today { j } else { day_start };
            let period = EN_INTERVALS_PER_DAY - (start.get() - day_start.get());
            self.keys.gaen.push(StoredTek {
                rolling_start: start.get(),
                rolling_period: period,
                key: random::<16, R>(rng)?,
                published: false,
            });
            changed = true;
        }
        if bluezone && self.current_daily_key(now).is_none() {
            let start = day.start().as_secs();
            let prev = self
                .keys
                .bluezone
                .iter()
                .filter(|k| k.day + 1 == day.get() && !k.published && k.valid_until == start)
                .max_by_key(|k| k.valid_from);
            let any_today = self.keys.bluezone.iter().any(|k| k.day == day.get());
            let key: [u8; 32] = match prev {
                // The chain continues: DK_n = SHA-256(DK_{n−1}).
                Some(p) if !any_today => Sha256::digest(p.key).into(),
                // A new chain: a random base key whose day-0 key is never broadcast, so the
                // base key itself can never be published; today is the chain's day 1.
                _ => {
                    Sha256::digest(zeroize::Zeroizing::new(random::<32, R>(rng)?).as_slice()).into()
                }
            };
            self.keys.bluezone.push(StoredDailyKey {
                day: day.get(),
                valid_from: if any_today { now.as_secs() } else { start },
                valid_until: day.end().as_secs(),
                key,
                published: false,
            });
            changed = true;
        }
        Ok(changed)
    }

    /// The unpublished TEK whose validity covers `now`, with its rolling start.
    pub(crate) fn current_tek(
        &self,
        now: &CheckedTime,
    ) -> Option<(TemporaryExposureKey, EnIntervalNumber)> {
        let j = now.interval().get();
        self.keys
            .gaen
            .iter()
            .rev()
            .find(|t| {
                !t.published && t.rolling_start <= j && j < t.rolling_start + t.rolling_period
            })
            .map(|t| {
                (
                    TemporaryExposureKey::from_bytes(t.key),
                    EnIntervalNumber::new(t.rolling_start),
                )
            })
    }

    /// The unpublished Bluezone daily key broadcast at `now`.
    pub(crate) fn current_daily_key(&self, now: &CheckedTime) -> Option<DailyKey> {
        let t = now.as_secs();
        self.keys
            .bluezone
            .iter()
            .filter(|k| !k.published && k.valid_from <= t && t < k.valid_until)
            .max_by_key(|k| k.valid_from)
            .map(|k| DailyKey::from_bytes(k.key, UtcDay::new(k.day)))
    }

    /// Delete (zeroize) keys of days older than `retention_days` before `now`'s day; returns
    /// how many were deleted.
    pub(crate) fn expire(&mut self, now: &CheckedTime, retention_days: u32) -> usize {
        let oldest_kept = now.day().get().saturating_sub(retention_days);
        let (g, b) = (self.keys.gaen.len(), self.keys.bluezone.len());
        // Dropping a stored key zeroizes it.
        self.keys
            .gaen
            .retain(|t| t.rolling_start / EN_INTERVALS_PER_DAY >= oldest_kept);
        self.keys.bluezone.retain(|k| k.day >= oldest_kept);
        (g - self.keys.gaen.len()) + (b - self.keys.bluezone.len())
    }

    /// The keys broadcast between `from` and `to` (inclusive; `to` is clamped to `now`),
    /// marked published so they are never broadcast again. A key still in use at `now` is cut
    /// at `now`; returns whether that happened (the caller must then re-key and rotate the
    /// advertisement at once).
    pub(crate) fn diagnosis_keys(
        &mut self,
        from: UnixTime,
        to: UnixTime,
        now: &CheckedTime,
        slots_per_day: SlotsPerDay,
    ) -> (DiagnosisKeys, bool) {
        let mut out = DiagnosisKeys::default();
        let mut cut = false;
        // A host asking for "everything" (`to` = u64::MAX) gets everything up to now.
        let to = to.min(now.time());
        if from > to {
            return (out, false);
        }
        // Both are at most `now`, whose interval fits.
        let interval =
            |t: UnixTime| EnIntervalNumber::new((t.as_secs() / EN_INTERVAL_SECONDS) as u32);
        let (from_j, to_j, now_j) = (interval(from), interval(to), now.interval());
        for t in &mut self.keys.gaen {
            let end = t.rolling_start + t.rolling_period; // exclusive
            if end <= from_j.get() || t.rolling_start > to_j.get() || t.rolling_start > now_j.get()
            {
                continue;
            }
            if !t.published && now_j.get() < end {
                // Still broadcasting: publish what was used, up to the current interval.
                t.rolling_period = now_j.get() - t.rolling_start + 1;
                cut = true;
            }
            t.published = true;
            out.gaen.push(GaenDiagnosisKey {
                key: TemporaryExposureKey::from_bytes(t.key),
                rolling_start: EnIntervalNumber::new(t.rolling_start),
                rolling_period: t.rolling_period,
                report_type: ReportType::Unknown,
                days_since_onset_of_symptoms: None,
                transmission_risk_level: None,
            });
        }
        let (from_s, to_s, now_s) = (from.as_secs(), to.as_secs(), now.as_secs());
        for k in &mut self.keys.bluezone {
            if k.valid_until <= from_s || k.valid_from > to_s || k.valid_from > now_s {
                continue;
            }
            if !k.published && now_s < k.valid_until {
                k.valid_until = now_s;
                cut = true;
            }
            k.published = true;
            // The real Bluezone client numbers slots from `time_start`, so it only finds the
            // IDs of a key published with its day's UTC midnight. IDs of slots before the key
            // was on air (a key started mid-day after a report) were never broadcast: the
            // earlier start matches nothing and reveals nothing the key does not.
            let midnight = UtcDay::new(k.day).start().as_secs();
            let start = midnight;
            // Inclusive end: the last second the key was on air (or `to`).
            let end = k
                .valid_until
                .saturating_sub(1)
                .max(k.valid_from.max(from_s))
                .min(to_s.max(k.valid_from.max(from_s)));
            out.bluezone.push(BluezoneDiagnosisKey {
                daily_key: DailyKey::from_bytes(k.key, UtcDay::new(k.day)),
                time_start: UnixTime::from_secs(start),
                time_end: UnixTime::from_secs(end),
                slots_per_day,
            });
        }
        (out, cut)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::ChaCha20Rng;

    const DAY: u32 = 19_000;

    fn at(day: u32, secs: u64) -> CheckedTime {
        let t = UnixTime::from_secs(UtcDay::new(day).start().as_secs() + secs);
        CheckedTime::new(t, SlotsPerDay::DEFAULT).unwrap()
    }

    #[test]
    fn one_key_per_day_and_the_bluezone_chain_continues() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let mut k = KeySchedule::default();
        assert!(
            k.ensure_current(&at(DAY, 3600), true, true, &mut rng)
                .unwrap()
        );
        assert!(
            !k.ensure_current(&at(DAY, 7200), true, true, &mut rng)
                .unwrap()
        );
        let (tek0, start0) = k.current_tek(&at(DAY, 7200)).unwrap();
        assert!(start0.is_day_aligned());
        let dk0 = k.current_daily_key(&at(DAY, 7200)).unwrap();
        assert!(
            k.ensure_current(&at(DAY + 1, 10), true, true, &mut rng)
                .unwrap()
        );
        let (tek1, _) = k.current_tek(&at(DAY + 1, 10)).unwrap();
        assert_ne!(tek0.expose_secret(), tek1.expose_secret());
        let dk1 = k.current_daily_key(&at(DAY + 1, 10)).unwrap();
        assert_eq!(
            dk1.expose_secret(),
            dk0.next().unwrap().expose_secret(),
            "DK_n = SHA-256(DK_n−1)"
        );
        assert_eq!(dk1.day(), UtcDay::new(DAY + 1));
    }

    #[test]
    fn report_publishes_what_was_broadcast_and_rekeys() {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let mut k = KeySchedule::default();
        k.ensure_current(&at(DAY, 0), true, true, &mut rng).unwrap();
        k.ensure_current(&at(DAY + 1, 0), true, true, &mut rng)
            .unwrap();
        let now = at(DAY + 1, 5 * 3600 + 120);
        let old_dk = k.current_daily_key(&now).unwrap();
        let (keys, cut) =
            k.diagnosis_keys(at(DAY, 0).time(), now.time(), &now, SlotsPerDay::DEFAULT);
        assert!(cut);
        assert_eq!(keys.gaen.len(), 2);
        let today = keys
            .gaen
            .iter()
            .find(|t| t.rolling_start.utc_day() == UtcDay::new(DAY + 1))
            .unwrap();
        assert_eq!(
            today.rolling_period, 31,
            "intervals 0..=30 of the day were broadcast"
        );
        assert_eq!(keys.bluezone.len(), 2);
        let bz_today = keys
            .bluezone
            .iter()
            .find(|b| b.daily_key.day() == UtcDay::new(DAY + 1))
            .unwrap();
        assert_eq!(bz_today.time_end, UnixTime::from_secs(now.as_secs() - 1));
        // Nothing published is current any more; the next keys are fresh and unlinkable.
        assert!(k.current_tek(&now).is_none());
        assert!(k.current_daily_key(&now).is_none());
        assert!(k.ensure_current(&now, true, true, &mut rng).unwrap());
        let (new_tek, new_start) = k.current_tek(&now).unwrap();
        assert_eq!(new_start, now.interval());
        assert!(
            keys.gaen
                .iter()
                .all(|t| t.key.expose_secret() != new_tek.expose_secret())
        );
        let new_dk = k.current_daily_key(&now).unwrap();
        assert_ne!(new_dk.expose_secret(), old_dk.expose_secret());
        assert_ne!(
            new_dk.expose_secret(),
            old_dk.next().unwrap().expose_secret()
        );
        // Tomorrow continues the new chain, not the published one.
        k.ensure_current(&at(DAY + 2, 0), true, true, &mut rng)
            .unwrap();
        let tomorrow = k.current_daily_key(&at(DAY + 2, 0)).unwrap();
        assert_eq!(
            tomorrow.expose_secret(),
            new_dk.next().unwrap().expose_secret()
        );
    }

    #[test]
    fn retention_deletes_old_days() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let mut k = KeySchedule::default();
        for d in 0..20 {
            k.ensure_current(&at(DAY + d, 0), true, true, &mut rng)
                .unwrap();
        }
        assert_eq!(k.keys.gaen.len(), 20);
        assert_eq!(k.expire(&at(DAY + 19, 0), 14), 10);
        assert_eq!(
            k.keys.gaen.len(),
            15,
            "days 5..=19 are kept (today and 14 before)"
        );
        assert_eq!(k.keys.bluezone.len(), 15);
        assert!(k.keys.gaen.iter().all(|t| t.rolling_start / 144 >= DAY + 5));
        assert_eq!(k.expire(&at(DAY + 19, 0), 14), 0);
    }
}
