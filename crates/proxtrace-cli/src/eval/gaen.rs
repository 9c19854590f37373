//! Google's GAEN on the same phones: the ExposureWindows of `backend-checks/` (dates only, no
//! times, no sender) placed on the raw scans by dynamic programming, scored with the same
//! contact rule, and compared scan by scan with proxtrace's attenuations.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use proxtrace::matching::{EncounterIndex, MatchConfig, Matcher};
use serde::Serialize;
use serde_json::Value;

use super::EvalError;
use super::data::PhoneLog;
use super::replay;
use super::run::{EvalOptions, Replayed};
use super::stats::{self, Confusion};

/// Largest backend-check file read, bytes.
pub const MAX_CHECK_BYTES: u64 = 64 << 20;
/// Most backend-check files.
pub const MAX_CHECK_FILES: usize = 10_000;
/// Most scan instances in one window.
pub const MAX_WINDOW_INSTANCES: usize = 1_000;

/// Reports further apart than this end a receiver's scan, seconds.
const SCAN_GAP_S: f64 = 6.0;
/// DP costs (see `docs/accuracy.md`).
const MATCH_CAP: f64 = 8.0;
const INSERT: f64 = 8.0;
const DELETE: f64 = 4.0;
const MAX_COST_PER_INSTANCE: f64 = 5.0;
const MAX_SPAN_S: f64 = 2130.0;
const PASSES: usize = 10;

/// GAEN's figures beside proxtrace's.
#[derive(Debug, Clone, Serialize)]
pub struct GaenReport {
    /// Pairs GAEN covers (receivers with a backend file).
    pub gaen_contacts: usize,
    /// Close contacts among them.
    pub gaen_close_contacts: usize,
    /// GAEN's contact precision.
    pub gaen_contact_precision: f64,
    /// GAEN's contact recall.
    pub gaen_contact_recall: f64,
    /// GAEN's contact F1.
    pub gaen_contact_f1: f64,
    /// Its 95 % interval.
    pub gaen_contact_f1_ci_low: f64,
    /// See `gaen_contact_f1_ci_low`.
    pub gaen_contact_f1_ci_high: f64,
    /// proxtrace's F1 on the same pairs.
    pub contact_f1_on_gaen_contacts: f64,
    /// proxtrace − GAEN, paired (same resamples).
    pub contact_f1_minus_gaen: f64,
    /// Its 95 % interval.
    pub contact_f1_minus_gaen_ci_low: f64,
    /// See `contact_f1_minus_gaen_ci_low`.
    pub contact_f1_minus_gaen_ci_high: f64,
    /// Share of GAEN scan instances (placed, inside scenarios) whose typical attenuation is
    /// within ±1 dB of proxtrace's with GAEN's calibration (unmatched ones disagree).
    pub conformance_within_1db: f64,
    /// Instances the conformance is over.
    pub conformance_scan_instances: usize,
    /// Distinct GAEN windows.
    pub gaen_windows: usize,
    /// Windows placed on raw scans.
    pub gaen_windows_placed: usize,
}

#[derive(Debug, Clone, Copy)]
struct Inst {
    min: f64,
    typ: f64,
    gap: f64,
}

#[derive(Debug, Clone, Copy)]
struct Raw {
    min: f64,
    typ: f64,
    gap: Option<f64>,
    t: f64,
}

/// Python's `json.dumps(v, sort_keys=True)`: the order the windows are indexed in.
fn canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            out.push('{');
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push_str(": ");
                canonical(&m[k], out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                canonical(x, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// Receiver → its distinct windows (in canonical order): the union of its check files.
fn read_windows(dir: &Path) -> Result<BTreeMap<u8, Vec<Vec<Inst>>>, EvalError> {
    let mut files: Vec<_> = fs::read_dir(dir)
        .map_err(|e| EvalError::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    if files.len() > MAX_CHECK_FILES {
        return Err(EvalError::Data {
            path: dir.to_owned(),
            reason: format!("more than {MAX_CHECK_FILES} files"),
        });
    }
    let mut sets: BTreeMap<u8, BTreeMap<String, Vec<Inst>>> = BTreeMap::new();
    for p in files {
        let Some(rx) = p
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".json"))
            .and_then(|n| n.split_once("-check"))
            .and_then(|(_, q)| q.parse::<u8>().ok())
        else {
            continue;
        };
        let bad = |reason: String| EvalError::Data {
            path: p.clone(),
            reason,
        };
        let len = fs::metadata(&p).map_err(|e| EvalError::io(&p, e))?.len();
        if len > MAX_CHECK_BYTES {
            return Err(EvalError::TooLarge {
                path: p.clone(),
                max: MAX_CHECK_BYTES,
            });
        }
        let bytes = fs::read(&p).map_err(|e| EvalError::io(&p, e))?;
        let v: Value = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
        let Value::Object(top) = v else {
            return Err(bad("not a JSON object".into()));
        };
        for list in top.values() {
            let Value::Array(ws) = list else {
                return Err(bad("expected an array of ExposureWindows".into()));
            };
            for w in ws {
                let si = w
                    .get("scanInstances")
                    .and_then(Value::as_array)
                    .ok_or_else(|| bad("a window without scanInstances".into()))?;
                if si.is_empty() || si.len() > MAX_WINDOW_INSTANCES {
                    return Err(bad(format!("a window with {} scan instances", si.len())));
                }
                let num = |x: &Value, k: &str| {
                    x.get(k)
                        .and_then(Value::as_f64)
                        .ok_or_else(|| bad(format!("scan instance without {k}")))
                };
                let inst = si
                    .iter()
                    .map(|x| {
                        Ok(Inst {
                            min: num(x, "minAttenuationDb")?,
                            typ: num(x, "typicalAttenuationDb")?,
                            gap: num(x, "secondsSinceLastScan")?,
                        })
                    })
                    .collect::<Result<Vec<_>, EvalError>>()?;
                let mut key = String::new();
                canonical(w, &mut key);
                sets.entry(rx).or_default().insert(key, inst);
            }
        }
    }
    Ok(sets
        .into_iter()
        .map(|(rx, m)| (rx, m.into_values().collect()))
        .collect())
}

/// A receiver's scans: starts (s) of runs of GAEN reports at most 6 s apart.
fn scans(log: &PhoneLog) -> Vec<f64> {
    let mut t: Vec<i64> = log.reports.iter().map(|r| r.t_us).collect();
    t.sort_unstable();
    let mut starts = Vec::new();
    let mut last = None;
    for x in t {
        if last.is_none_or(|l: i64| (x - l) as f64 / 1e6 > SCAN_GAP_S) {
            starts.push(x as f64 / 1e6);
        }
        last = Some(x);
    }
    starts
}

/// Semi-global alignment of window `w` against raw instances `l` (free prefix and suffix).
/// Returns (cost, matched (k, i) pairs).
fn align(w: &[Inst], l: &[&Raw]) -> (f64, Vec<(usize, usize)>) {
    let (m, n) = (w.len(), l.len());
    let mut d = vec![vec![0.0f64; n + 1]; m + 1];
    let mut how = vec![vec![0u8; n + 1]; m + 1];
    for k in 1..=m {
        for i in 0..=n {
            let mut best = d[k - 1][i] + INSERT;
            let mut h = 1u8;
            if i >= 1 {
                let (a, b) = (&w[k - 1], l[i - 1]);
                let g = match b.gap {
                    Some(g) if k >= 2 => ((a.gap - g).abs() - 30.0).max(0.0) / 30.0,
                    _ => 0.0,
                }
                .min(2.0);
                let cost = ((a.min - b.min).abs() + (a.typ - b.typ).abs()).min(MATCH_CAP) + g;
                if d[k - 1][i - 1] + cost < best {
                    best = d[k - 1][i - 1] + cost;
                    h = 2;
                }
                if d[k][i - 1] + DELETE < best {
                    best = d[k][i - 1] + DELETE;
                    h = 3;
                }
            }
            d[k][i] = best;
            how[k][i] = h;
        }
    }
    let mut end = 0;
    for i in 0..=n {
        if d[m][i] < d[m][end] {
            end = i;
        }
    }
    let (mut k, mut i) = (m, end);
    let mut pairs = Vec::new();
    while k > 0 {
        match how[k][i] {
            2 => {
                pairs.push((k - 1, i - 1));
                k -= 1;
                i -= 1;
            }
            3 => i -= 1,
            _ => k -= 1,
        }
    }
    pairs.reverse();
    (d[m][end], pairs)
}

/// Placed GAEN instances of one receiver: (sender, time s, typical, matched raw typical).
type Placed = Vec<(u8, f64, f64, f64, Option<f64>)>;

fn place(windows: &[Vec<Inst>], raw: &BTreeMap<u8, Vec<Raw>>) -> (usize, Placed) {
    let mut used: BTreeMap<u8, BTreeSet<usize>> = BTreeMap::new();
    let mut placed: BTreeMap<usize, (u8, Vec<(usize, usize)>)> = BTreeMap::new();
    for _ in 0..PASSES {
        let mut cands = Vec::new();
        for (wi, w) in windows.iter().enumerate() {
            if placed.contains_key(&wi) {
                continue;
            }
            for (&tx, list) in raw {
                let u = used.entry(tx).or_default();
                let free: Vec<usize> = (0..list.len()).filter(|i| !u.contains(i)).collect();
                let l: Vec<&Raw> = free.iter().map(|&i| &list[i]).collect();
                let (cost, pairs) = align(w, &l);
                if pairs.is_empty() {
                    continue;
                }
                let pairs: Vec<(usize, usize)> = pairs.iter().map(|&(k, i)| (k, free[i])).collect();
                let ts: Vec<f64> = pairs.iter().map(|&(_, i)| list[i].t).collect();
                let span = ts.iter().copied().fold(f64::MIN, f64::max)
                    - ts.iter().copied().fold(f64::MAX, f64::min);
                if span > MAX_SPAN_S {
                    continue;
                }
                let m = w.len() as f64;
                cands.push((6.0 * m - cost, wi, tx, cost / m, pairs));
            }
        }
        cands.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        let mut accepted = 0;
        for (_, wi, tx, per, pairs) in cands {
            let u = used.entry(tx).or_default();
            if placed.contains_key(&wi)
                || per > MAX_COST_PER_INSTANCE
                || pairs.iter().any(|(_, i)| u.contains(i))
            {
                continue;
            }
            u.extend(pairs.iter().map(|&(_, i)| i));
            placed.insert(wi, (tx, pairs));
            accepted += 1;
        }
        if accepted == 0 {
            break;
        }
    }
    let mut out = Vec::new();
    for (wi, (tx, pairs)) in &placed {
        let w = &windows[*wi];
        let list = &raw[tx];
        let mut t: Vec<Option<f64>> = vec![None; w.len()];
        let mut raw_typ = vec![None; w.len()];
        for &(k, i) in pairs {
            t[k] = Some(list[i].t);
            raw_typ[k] = Some(list[i].typ);
        }
        for k in 1..w.len() {
            if t[k].is_none() {
                t[k] = t[k - 1].map(|p| p + w[k].gap);
            }
        }
        for k in (0..w.len().saturating_sub(1)).rev() {
            if t[k].is_none() {
                t[k] = t[k + 1].map(|n| n - w[k + 1].gap);
            }
        }
        for k in 0..w.len() {
            if let Some(tk) = t[k] {
                out.push((*tx, tk, w[k].typ, w[k].gap, raw_typ[k]));
            }
        }
    }
    (placed.len(), out)
}

/// GAEN's figures and the comparison; `june` is a replay with GAEN's calibration for every
/// phone (what GAEN used here), `units` proxtrace's (notified, contact) per pair of `rep`.
pub(crate) fn evaluate(
    dir: &Path,
    rep: &Replayed,
    june: &Replayed,
    snoops: &BTreeMap<u8, PhoneLog>,
    units: &[(bool, bool)],
    o: &EvalOptions,
) -> Result<GaenReport, EvalError> {
    let windows = read_windows(dir)?;
    let matcher = Matcher::new(MatchConfig::default())?;
    let mut all_placed: BTreeMap<u8, Placed> = BTreeMap::new();
    let mut n_windows = 0;
    let mut n_placed = 0;
    for (&rx, ws) in &windows {
        n_windows += ws.len();
        let (Some(log), Some(recs)) = (snoops.get(&rx), june.logs.get(&rx)) else {
            continue;
        };
        let starts = scans(log);
        let index = EncounterIndex::from_records(recs)?;
        let mut raw: BTreeMap<u8, Vec<Raw>> = BTreeMap::new();
        for (tx, own) in replay::by_sender(recs, &june.owner) {
            let m = replay::match_pair(&matcher, &index, &june.senders[&tx].key, &own)?;
            let mut per_scan: BTreeMap<usize, (u32, Raw)> = BTreeMap::new();
            for x in &m.instances {
                let f = x.record.first_seen.as_secs() as f64;
                let j = starts.partition_point(|&s| s.floor() <= f);
                let Some(j) = j.checked_sub(1) else { continue };
                let r = Raw {
                    min: f64::from(x.instance.min_attenuation_db),
                    typ: f64::from(x.instance.typical_attenuation_db),
                    gap: (j > 0).then(|| starts[j] - starts[j - 1]),
                    t: starts[j],
                };
                // Two of the sender's RPIs in one scan (it rotated mid-scan): keep the one
                // heard more often.
                let e = per_scan.entry(j).or_insert((0, r));
                if x.record.count > e.0 {
                    *e = (x.record.count, r);
                }
            }
            if !per_scan.is_empty() {
                raw.insert(tx, per_scan.into_values().map(|v| v.1).collect());
            }
        }
        let (n, placed) = place(ws, &raw);
        n_placed += n;
        all_placed.insert(rx, placed);
    }
    // GAEN's contact decisions on the pairs it covers.
    let scoring = MatchConfig::default().scoring;
    let mut covered = Vec::new();
    let mut gaen_units = Vec::new();
    for (i, p) in rep.pairs.iter().enumerate() {
        let Some(placed) = all_placed.get(&p.rx) else {
            continue;
        };
        let sc = &rep.scenarios[p.scenario];
        let (a, b) = (sc.span.0 as f64 / 1e6, sc.span.1 as f64 / 1e6);
        let score: f64 = placed
            .iter()
            .filter(|x| x.0 == p.tx && x.1 >= a && x.1 <= b)
            .map(|x| x.3 * scoring.bucket_weight(x.2.clamp(0.0, 255.0) as u8))
            .sum();
        covered.push(units[i]);
        gaen_units.push((score >= scoring.notification_threshold, p.contact()));
    }
    let g = Confusion::of(gaen_units.iter().copied());
    let mine = Confusion::of(covered.iter().copied());
    let draws = stats::resample_indices(covered.len(), o.resamples, o.seed);
    let gf = stats::bootstrap_f1(&gaen_units, &draws);
    let pf = stats::bootstrap_f1(&covered, &draws);
    let (g_lo, g_hi) = stats::interval(gf.clone());
    let diff: Vec<f64> = pf.iter().zip(&gf).map(|(a, b)| a - b).collect();
    let (d_lo, d_hi) = stats::interval(diff);
    // Conformance inside the scenarios.
    let (mut agree, mut total) = (0usize, 0usize);
    for placed in all_placed.values() {
        for x in placed {
            if !rep
                .scenarios
                .iter()
                .any(|s| x.1 >= s.span.0 as f64 / 1e6 && x.1 <= s.span.1 as f64 / 1e6)
            {
                continue;
            }
            total += 1;
            if x.4.is_some_and(|r| (r - x.2).abs() <= 1.0) {
                agree += 1;
            }
        }
    }
    Ok(GaenReport {
        gaen_contacts: gaen_units.len(),
        gaen_close_contacts: gaen_units.iter().filter(|u| u.1).count(),
        gaen_contact_precision: g.precision(),
        gaen_contact_recall: g.recall(),
        gaen_contact_f1: g.f1(),
        gaen_contact_f1_ci_low: g_lo,
        gaen_contact_f1_ci_high: g_hi,
        contact_f1_on_gaen_contacts: mine.f1(),
        contact_f1_minus_gaen: mine.f1() - g.f1(),
        contact_f1_minus_gaen_ci_low: d_lo,
        contact_f1_minus_gaen_ci_high: d_hi,
        conformance_within_1db: if total == 0 {
            f64::NAN
        } else {
            agree as f64 / total as f64
        },
        conformance_scan_instances: total,
        gaen_windows: n_windows,
        gaen_windows_placed: n_placed,
    })
}
