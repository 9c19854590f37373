//! The validating inspector, in the spirit of Google's export analyzer
//! (`exposure-notifications-server/tools/export-analyzer`): everything a health authority or
//! an app team wants to know about a file, including what is wrong with it, without refusing
//! to look at a file that a reader would refuse.

use std::collections::{BTreeMap, HashSet};
use std::io::{Read, Seek};

use serde::Serialize;

use crate::published::ReportType;
use crate::time::{EN_INTERVAL_SECONDS, SECONDS_PER_DAY};

use super::verify::{self, AlgorithmName, SignatureCheck, SignatureVerdict};
use super::{
    Container, ExportError, ExportHeader, KeyList, MIN_ROLLING_START, SignatureStatus, SkippedKeys,
    Verification, container, decode, signature_list,
};

/// How old a key may be, relative to the file's `end_timestamp`, before the inspector
/// reports it (Google's analyzer's default `--tek-age`: keys are published for 14 days).
pub const MAX_KEY_AGE_DAYS: u64 = 14;

/// Figures over the usable keys of a file (`keys` and `revised_keys`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KeyStats {
    /// Entries whose `key_data` appeared earlier in the same list.
    pub duplicate_keys: usize,
    /// Keys with `report_type` `REVOKED`.
    pub revoked: usize,
    /// The earliest `rolling_start_interval_number`.
    pub first_interval: Option<u32>,
    /// The latest end of validity (`rolling_start_interval_number + rolling_period`).
    pub end_interval: Option<u32>,
    /// How many keys have each `rolling_period`.
    pub rolling_periods: BTreeMap<u32, usize>,
    /// How many keys have each `report_type`.
    pub report_types: BTreeMap<ReportType, usize>,
    /// The smallest and largest `days_since_onset_of_symptoms` given.
    pub days_since_onset: Option<(i32, i32)>,
    /// Keys without `days_since_onset_of_symptoms`.
    pub without_days_since_onset: usize,
    /// Keys that start before 2020-01-01.
    pub before_2020: usize,
    /// Keys that start after the file's `end_timestamp`.
    pub after_end: usize,
    /// Keys whose validity ended more than [`MAX_KEY_AGE_DAYS`] before `end_timestamp`.
    pub older_than_max_age: usize,
}

/// What the inspector found in one file.
#[derive(Debug)]
pub struct ExportReport {
    /// The container.
    pub container: Container,
    /// Header fields.
    pub header: ExportHeader,
    /// Usable entries of `keys`.
    pub keys: usize,
    /// Usable entries of `revised_keys`.
    pub revised_keys: usize,
    /// Figures over the usable keys.
    pub stats: KeyStats,
    /// Entries that cannot be used.
    pub skipped: SkippedKeys,
    /// Every signature of `export.sig` with its verdict.
    pub signatures: Vec<SignatureCheck>,
    /// What a reader with the same [`Verification`] would decide (its `strict` setting
    /// aside: skipped keys are in [`Self::skipped`]).
    pub signature: Result<SignatureStatus, ExportError>,
    /// Everything that is wrong or unusual, one sentence each.
    pub problems: Vec<String>,
}

/// Inspect an export: read it whatever its signatures say (the report says it), skip and
/// count unusable keys, and list problems. Only a file whose structure cannot be read (not
/// an export, a damaged zip, a malformed protobuf, a limit exceeded) is an error.
pub fn inspect_export<R: Read + Seek>(
    reader: R,
    verification: &Verification,
) -> Result<ExportReport, ExportError> {
    let loaded = container::load(reader, &verification.limits)?;
    let list = signature_list(loaded.sig.as_deref())?;
    let signatures = verify::check_signatures(&loaded.bin, &list, &verification.trusted_keys);
    let signature = verify::decide(&signatures, verification.allow_unsigned);
    let mut stats = KeyStats::default();
    let mut counts = (0, 0);
    let mut seen: [HashSet<[u8; 16]>; 2] = [HashSet::new(), HashSet::new()];
    let mut onset = None::<(i32, i32)>;
    // Validity of each key, to compare with the header once it is known (its fields may come
    // after the keys): 8 bytes a key, a quarter of the key's own bytes in export.bin.
    let mut validity: Vec<(u32, u32)> = Vec::new();
    let (header, skipped) = decode::decode(&loaded.bin, false, &mut |list, k| {
        let slot = match list {
            KeyList::Keys => {
                counts.0 += 1;
                0
            }
            KeyList::RevisedKeys => {
                counts.1 += 1;
                1
            }
        };
        if !seen[slot].insert(*k.key.expose_secret()) {
            stats.duplicate_keys += 1;
        }
        let start = k.rolling_start.get();
        let end = start.saturating_add(k.rolling_period);
        stats.first_interval = Some(stats.first_interval.map_or(start, |f| f.min(start)));
        stats.end_interval = Some(stats.end_interval.map_or(end, |e| e.max(end)));
        *stats.rolling_periods.entry(k.rolling_period).or_default() += 1;
        *stats.report_types.entry(k.report_type).or_default() += 1;
        if k.report_type == ReportType::Revoked {
            stats.revoked += 1;
        }
        match k.days_since_onset_of_symptoms {
            Some(d) => onset = Some(onset.map_or((d, d), |(lo, hi)| (lo.min(d), hi.max(d)))),
            None => stats.without_days_since_onset += 1,
        }
        if start < MIN_ROLLING_START {
            stats.before_2020 += 1;
        }
        validity.push((start, end));
    })?;
    stats.days_since_onset = onset;
    // Key age relative to the file's own window (no clock: the file says when it is).
    if header.end_timestamp > 0 {
        let secs = |i: u32| u64::from(i) * EN_INTERVAL_SECONDS;
        for &(start, end) in &validity {
            if secs(start) > header.end_timestamp {
                stats.after_end += 1;
            }
            if secs(end) + MAX_KEY_AGE_DAYS * SECONDS_PER_DAY < header.end_timestamp {
                stats.older_than_max_age += 1;
            }
        }
    }
    let mut report = ExportReport {
        container: loaded.container,
        header,
        keys: counts.0,
        revised_keys: counts.1,
        stats,
        skipped,
        signatures,
        signature,
        problems: Vec::new(),
    };
    report.problems = problems(&report);
    Ok(report)
}

fn problems(r: &ExportReport) -> Vec<String> {
    let mut p = Vec::new();
    let h = &r.header;
    let s = &r.stats;
    if r.skipped.count > 0 {
        let kinds: Vec<String> = r
            .skipped
            .summary()
            .iter()
            .map(|(kind, n, first)| match first {
                Some(k) => format!("{n} × {kind}, e.g. {} #{}: {}", k.list, k.index, k.problem),
                None => format!("{n} × {kind}"),
            })
            .collect();
        p.push(format!(
            "{} key entries cannot be used and are skipped ({})",
            r.skipped.count,
            kinds.join("; ")
        ));
    }
    if s.duplicate_keys > 0 {
        p.push(format!(
            "{} key entries repeat a key_data given earlier in the same list",
            s.duplicate_keys
        ));
    }
    if s.before_2020 > 0 {
        p.push(format!(
            "{} keys start before 2020-01-01 (GAEN began in 2020); they can only match a log of those days",
            s.before_2020
        ));
    }
    if s.after_end > 0 {
        p.push(format!(
            "{} keys start after the file's end_timestamp {}",
            s.after_end, h.end_timestamp
        ));
    }
    if s.older_than_max_age > 0 {
        p.push(format!(
            "{} keys ended more than {MAX_KEY_AGE_DAYS} days before the file's end_timestamp {}",
            s.older_than_max_age, h.end_timestamp
        ));
    }
    if h.start_timestamp > h.end_timestamp {
        p.push(format!(
            "start_timestamp {} is after end_timestamp {}",
            h.start_timestamp, h.end_timestamp
        ));
    }
    if h.batch_size < 1 || h.batch_num < 1 || h.batch_num > h.batch_size {
        p.push(format!(
            "batch_num {} is outside 1…batch_size ({})",
            h.batch_num, h.batch_size
        ));
    }
    if r.container == Container::ExportBin {
        p.push("a bare export.bin carries no signature".to_owned());
    } else if r.signatures.is_empty() {
        p.push("export.sig is missing or lists no signatures".to_owned());
    }
    for c in &r.signatures {
        let who = format!(
            "the signature of key id {:?} version {:?}",
            c.info.key_id, c.info.key_version
        );
        if c.algorithm_name == AlgorithmName::LegacyAlias {
            p.push(format!(
                "{who} names its algorithm {:?}, a legacy name of ECDSA P-256 / SHA-256 (1.2.840.10045.4.3.2); accepted",
                c.info.algorithm
            ));
        }
        if c.algorithm_name == AlgorithmName::Unsupported {
            p.push(format!(
                "{who} names an unsupported algorithm {:?}",
                c.info.algorithm
            ));
        }
        match c.verdict {
            SignatureVerdict::DoesNotVerify => p.push(format!(
                "{who} does not verify with the configured public key (a different key, or the file was changed after signing)"
            )),
            SignatureVerdict::Verified
            | SignatureVerdict::NoConfiguredKey
            | SignatureVerdict::UnsupportedAlgorithm => {}
        }
        if c.batch_num.is_some_and(|n| n != h.batch_num)
            || c.batch_size.is_some_and(|n| n != h.batch_size)
        {
            p.push(format!(
                "{who} is for batch {} of {}, but the header says {} of {}",
                c.batch_num.unwrap_or(h.batch_num),
                c.batch_size.unwrap_or(h.batch_size),
                h.batch_num,
                h.batch_size
            ));
        }
    }
    let listed: Vec<(&str, &str)> = h
        .signature_infos
        .iter()
        .map(|i| (i.key_id.as_str(), i.key_version.as_str()))
        .collect();
    for c in &r.signatures {
        if !listed.is_empty()
            && !listed.contains(&(c.info.key_id.as_str(), c.info.key_version.as_str()))
        {
            p.push(format!(
                "export.sig has a signature of key id {:?} version {:?} that the header's signature_infos do not list",
                c.info.key_id, c.info.key_version
            ));
        }
    }
    p
}
