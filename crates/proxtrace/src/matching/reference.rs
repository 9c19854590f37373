//! The reference matcher's inner loop: plain and obviously right.
//!
//! GAEN, per key: HKDF with `ring`, one AES block per interval, a `std::collections::HashSet`
//! probe per RPI. Bluezone, per key: each slot ID derived in turn with `sha2`, same set. It
//! stays in the crate as the oracle for tests and the baseline for benchmarks.
//!
//! The set holds the identifiers' first 8 bytes (half the memory of whole identifiers); a
//! probe that finds its prefix then looks the whole identifier up in the sorted index, which
//! is what decides a hit.

use std::collections::HashSet;

use crate::bluezone::DailyKey;
use crate::published::{BluezoneDiagnosisKey, GaenDiagnosisKey};
use crate::time::BluezoneSlot;

use super::MatchError;
use super::index::EncounterIndex;
use super::windows::Hit;

/// Every (key, interval, entry) whose RPI matches, for each key's whole validity.
fn prefix(id: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&id[..8]);
    u64::from_le_bytes(b)
}

/// Also returns the number of keys derived (every key with a validity).
pub(crate) fn gaen_hits(index: &EncounterIndex, keys: &[GaenDiagnosisKey]) -> (Vec<Hit>, usize) {
    let set: HashSet<u64> = index.gaen.iter().map(|e| prefix(&e.rpi)).collect();
    let mut hits = Vec::new();
    let mut derived = 0;
    for (k, key) in keys.iter().enumerate() {
        let Some(validity) = key.validity() else {
            continue;
        };
        derived += 1;
        let rpik = key.key.rolling_proximity_identifier_key();
        for j in validity.start.get()..validity.end.get() {
            let rpi = rpik.rolling_proximity_identifier(crate::time::EnIntervalNumber::new(j));
            if set.contains(&prefix(rpi.as_bytes())) {
                for e in index.gaen_range(rpi.as_bytes()) {
                    hits.push(Hit {
                        key: k as u32,
                        when: u64::from(j),
                        entry: e as u32,
                    });
                }
            }
        }
    }
    (hits, derived)
}

/// Every (key, slot start, entry) whose Bluezone ID matches, walking each key's time range
/// slot by slot and rolling the daily key at each day boundary; also the number of keys walked.
pub(crate) fn bluezone_hits(
    index: &EncounterIndex,
    keys: &[BluezoneDiagnosisKey],
) -> Result<(Vec<Hit>, usize), MatchError> {
    let set: HashSet<u64> = index.bluezone.iter().map(|e| prefix(&e.id)).collect();
    let mut hits = Vec::new();
    for (k, key) in keys.iter().enumerate() {
        let spd = key.slots_per_day;
        let first = BluezoneSlot::containing(key.time_start, spd)?;
        let last = BluezoneSlot::containing(key.time_end, spd)?;
        let mut dk: DailyKey = key.daily_key.clone();
        while dk.day() < first.day() {
            dk = dk.next()?;
        }
        loop {
            let day = dk.day();
            let mut sk = dk.first_slot_key();
            for i in 0..spd.get() {
                if i > 0 {
                    sk = sk.next();
                }
                let slot = BluezoneSlot::new(day, i, spd)?;
                if slot < first {
                    continue;
                }
                if slot > last {
                    break;
                }
                let id = sk.bluezone_id();
                if set.contains(&prefix(id.as_bytes())) {
                    for e in index.bluezone_range(id.as_bytes()) {
                        hits.push(Hit {
                            key: k as u32,
                            when: slot.start(spd).as_secs(),
                            entry: e as u32,
                        });
                    }
                }
            }
            if day >= last.day() {
                break;
            }
            dk = dk.next()?;
        }
    }
    Ok((hits, keys.len()))
}
