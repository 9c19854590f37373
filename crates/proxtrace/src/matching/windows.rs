//! The matching semantics: from raw identifier hits to exposure windows.
//!
//! The *inner loop* (derive each key's identifiers and look them up) produces [`Hit`]s; it can
//! be replaced by a faster one without touching anything here. This module applies every
//! rule: time tolerance, the 20-minute replay limit, AEM decryption and TX bounds, revocation
//! and re-publication, Bluezone slot windows, and the 30-minute window split.

use std::collections::{BTreeMap, HashMap};

use crate::gaen::{AssociatedEncryptedMetadata, Metadata, RollingProximityIdentifier};
use crate::identifier::Scheme;
use crate::published::{BluezoneDiagnosisKey, GaenDiagnosisKey, ReportType};
use crate::time::{EN_INTERVAL_SECONDS, UnixTime, UtcDay};

use super::attenuation::{Smoothing, median_of_3};
use super::config::{Infectiousness, MatchConfig};
use super::index::EncounterIndex;
use super::result::{ExposureWindow, ScanInstance};

/// An identifier of a published key found in the index.
///
/// For GAEN `when` is the interval number *j* whose RPI matched; for Bluezone it is the unix
/// start of the slot whose ID matched. `entry` indexes the scheme's entries in the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Hit {
    pub(crate) key: u32,
    pub(crate) when: u64,
    pub(crate) entry: u32,
}

/// One matched scan instance before windowing.
#[derive(Debug, Clone, Copy)]
struct Instance {
    first: u32,
    last: u32,
    entry: u32,
    typical: u8,
    min: u8,
    confidence: Option<u8>,
}

/// Index of the last entry of each distinct key, for keys that have hits; earlier entries of
/// the same key are superseded (revised keys, re-publication), and a last entry that is
/// `REVOKED` cancels the key.
fn effective_keys<K>(
    keys: &[K],
    hits: &[Hit],
    identity: impl Fn(&K) -> &[u8],
) -> HashMap<Vec<u8>, usize> {
    let mut last: HashMap<Vec<u8>, usize> = HashMap::new();
    for h in hits {
        last.entry(identity(&keys[h.key as usize]).to_vec())
            .or_insert(h.key as usize);
    }
    // Every listed key is checked, so check cheaply first: the first 8 bytes of the keys that
    // have hits, sorted; a key whose prefix is not among them cannot be in `last`.
    let prefix = |id: &[u8]| {
        let mut b = [0u8; 8];
        let n = id.len().min(8);
        b[..n].copy_from_slice(&id[..n]);
        u64::from_le_bytes(b)
    };
    let mut prefixes: Vec<u64> = last.keys().map(|id| prefix(id)).collect();
    prefixes.sort_unstable();
    for (i, k) in keys.iter().enumerate() {
        let id = identity(k);
        if prefixes.binary_search(&prefix(id)).is_err() {
            continue;
        }
        if let Some(slot) = last.get_mut(id) {
            *slot = i;
        }
    }
    last
}

/// Exposure windows of GAEN hits. `hits` may be in any order.
pub(crate) fn gaen_windows(
    index: &EncounterIndex,
    keys: &[GaenDiagnosisKey],
    hits: &[Hit],
    config: &MatchConfig,
) -> Vec<ExposureWindow> {
    let c = &config.gaen;
    let att = &config.attenuation;
    let shift = att.rssi_shift(index);
    let effective = effective_keys(keys, hits, |k| k.key.expose_secret());
    // (key, j) → entries, both ordered, so the result never depends on hit order.
    let mut by_rpi: BTreeMap<(u32, u64), Vec<u32>> = BTreeMap::new();
    for h in hits {
        let key = &keys[h.key as usize];
        if effective.get(&key.key.expose_secret()[..]) != Some(&(h.key as usize))
            || key.report_type == ReportType::Revoked
        {
            continue;
        }
        let e = &index.gaen[h.entry as usize];
        let seen = u64::from(e.first) / EN_INTERVAL_SECONDS;
        let lo = h.when.saturating_sub(u64::from(c.intervals_before));
        let hi = h.when + u64::from(c.intervals_after);
        if (lo..=hi).contains(&seen) {
            by_rpi.entry((h.key, h.when)).or_default().push(h.entry);
        }
    }
    let mut per_key: BTreeMap<u32, Vec<Instance>> = BTreeMap::new();
    for ((k, _j), mut entries) in by_rpi {
        entries.sort_unstable_by_key(|&i| (index.gaen[i as usize].first, i));
        entries.dedup();
        let t0 = u64::from(index.gaen[entries[0] as usize].first);
        let aemk = keys[k as usize].key.associated_encrypted_metadata_key();
        for i in entries {
            let e = &index.gaen[i as usize];
            if u64::from(e.first) > t0 + u64::from(c.max_rpi_span_secs) {
                continue;
            }
            let md: Metadata = aemk.decrypt(
                &RollingProximityIdentifier::from_bytes(e.rpi),
                &AssociatedEncryptedMetadata::from_bytes(e.aem),
            );
            let tx = md.tx_power();
            if tx < c.tx_power_min_dbm || tx > c.tx_power_max_dbm {
                continue;
            }
            per_key.entry(k).or_default().push(Instance {
                first: e.first,
                last: e.last,
                entry: i,
                typical: att.attenuation(tx, e.mean_rssi, shift),
                min: att.attenuation(tx, e.max_rssi, shift),
                confidence: md.calibration_confidence().map(|c| c.get()),
            });
        }
    }
    let mut windows = Vec::new();
    for (k, instances) in per_key {
        let key = &keys[k as usize];
        let report_type = config.scoring.effective_report_type(key.report_type);
        let infectiousness = config
            .scoring
            .infectiousness(key.days_since_onset_of_symptoms);
        split_windows(
            Scheme::Gaen,
            k,
            instances,
            report_type,
            infectiousness,
            config,
            &mut windows,
        );
    }
    drop_short_keys(&mut windows, config);
    windows
}

/// The duration rule (`windows.min_key_daily_duration_secs`): drop the windows of every key
/// whose weighted durations on a day add up to less than the minimum.
fn drop_short_keys(windows: &mut Vec<ExposureWindow>, config: &MatchConfig) {
    let min = f64::from(config.windows.min_key_daily_duration_secs);
    if min <= 0.0 {
        return;
    }
    let mut total: BTreeMap<(usize, UtcDay), f64> = BTreeMap::new();
    for w in windows.iter() {
        *total.entry((w.diagnosis_key_index, w.day)).or_insert(0.0) += w.weighted_duration_secs;
    }
    windows.retain(|w| {
        total
            .get(&(w.diagnosis_key_index, w.day))
            .is_some_and(|&t| t >= min)
    });
}

/// Exposure windows of Bluezone hits. `hits` may be in any order.
pub(crate) fn bluezone_windows(
    index: &EncounterIndex,
    keys: &[BluezoneDiagnosisKey],
    hits: &[Hit],
    config: &MatchConfig,
) -> Vec<ExposureWindow> {
    let c = &config.bluezone;
    let att = &config.attenuation;
    let shift = att.rssi_shift(index);
    let effective = effective_keys(keys, hits, |k| k.daily_key.expose_secret());
    let mut per_key: BTreeMap<u32, Vec<Instance>> = BTreeMap::new();
    let mut seen: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for h in hits {
        let key = &keys[h.key as usize];
        if effective.get(&key.daily_key.expose_secret()[..]) != Some(&(h.key as usize)) {
            continue;
        }
        let slot = key.slots_per_day.slot_seconds();
        let drift = u64::from(c.drift_tolerance_slots) * slot;
        // Slot windows are inclusive at both ends, as in the original app.
        let lo = h.when.saturating_sub(drift);
        let hi = h.when + slot + drift;
        let e = &index.bluezone[h.entry as usize];
        if u64::from(e.first) <= hi && u64::from(e.last) >= lo {
            seen.entry(h.key).or_default().push(h.entry);
        }
    }
    for (k, mut entries) in seen {
        entries.sort_unstable();
        entries.dedup();
        for i in entries {
            let e = &index.bluezone[i as usize];
            let tx = e.tx_power.unwrap_or(c.default_tx_power_dbm);
            per_key.entry(k).or_default().push(Instance {
                first: e.first,
                last: e.last,
                entry: i,
                typical: att.attenuation(tx, e.mean_rssi, shift),
                min: att.attenuation(tx, e.max_rssi, shift),
                confidence: None,
            });
        }
    }
    let mut windows = Vec::new();
    let infectiousness = config.scoring.infectiousness(None);
    let report_type = config.scoring.effective_report_type(c.report_type);
    for (k, instances) in per_key {
        split_windows(
            Scheme::Bluezone,
            k,
            instances,
            report_type,
            infectiousness,
            config,
            &mut windows,
        );
    }
    drop_short_keys(&mut windows, config);
    windows
}

/// Sort one key's instances and cut them into windows of at most `max_window_secs`.
fn split_windows(
    scheme: Scheme,
    key: u32,
    mut instances: Vec<Instance>,
    report_type: ReportType,
    infectiousness: Infectiousness,
    config: &MatchConfig,
    out: &mut Vec<ExposureWindow>,
) {
    if infectiousness == Infectiousness::None || instances.is_empty() {
        return;
    }
    let w = &config.windows;
    instances.sort_unstable_by_key(|i| (i.first, i.last, i.entry));
    if config.attenuation.smoothing == Smoothing::MedianOf3 {
        let mut typical: Vec<u8> = instances.iter().map(|i| i.typical).collect();
        let mut min: Vec<u8> = instances.iter().map(|i| i.min).collect();
        median_of_3(&mut typical);
        median_of_3(&mut min);
        for (i, (t, m)) in instances.iter_mut().zip(typical.into_iter().zip(min)) {
            i.typical = t;
            i.min = m;
        }
    }
    let mut start = 0;
    while start < instances.len() {
        let t0 = u64::from(instances[start].first);
        let end = start
            + instances[start..]
                .partition_point(|i| u64::from(i.first) < t0 + u64::from(w.max_window_secs));
        let group = &instances[start..end];
        let mut scan_instances = Vec::with_capacity(group.len());
        for (n, i) in group.iter().enumerate() {
            let gap = match n {
                0 => w.unknown_scan_gap_secs,
                _ => {
                    let minutes = (i.first - group[n - 1].first) / 60;
                    (minutes * 60).min(w.max_scan_gap_secs)
                }
            };
            scan_instances.push(ScanInstance {
                typical_attenuation_db: i.typical,
                min_attenuation_db: i.min,
                seconds_since_last_scan: gap,
            });
        }
        let day = UtcDay::new((t0 / crate::time::SECONDS_PER_DAY) as u32);
        let end_time = group.iter().map(|i| i.last).max().unwrap_or(group[0].last);
        let mut window = ExposureWindow {
            scheme,
            day,
            date: day.iso_date(),
            start: UnixTime::from_secs(t0),
            end: UnixTime::from_secs(u64::from(end_time)),
            report_type,
            infectiousness,
            calibration_confidence: group[0].confidence,
            scan_instances,
            weighted_duration_secs: 0.0,
            score: 0.0,
            diagnosis_key_index: key as usize,
        };
        super::summary::score_window(&mut window, &config.scoring, config.attenuation.bucket_by);
        out.push(window);
        start = end;
    }
}
