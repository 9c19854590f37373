//! Walking `export.bin`: header fields are collected, keys are decoded and checked one by one;
//! a key that cannot be used is skipped and counted (or refused by a strict reader).

use std::collections::BTreeMap;

use prost::Message;
use prost::encoding::{WireType, decode_key, decode_varint, skip_field};
use serde::Serialize;

use crate::gaen::TemporaryExposureKey;
use crate::published::{GaenDiagnosisKey, ReportType};
use crate::time::EnIntervalNumber;

use super::error::KeyProblem;
use super::proto::{self, TemporaryExposureKeyExport};
use super::{EXPORT_HEADER, ExportError, ExportHeader, KeyList, info_from, printable};

/// How many skipped keys are kept with their position and problem ([`SkippedKeys::first`]);
/// the rest are only counted, so a file of millions of bad keys costs no memory.
pub const MAX_SKIPPED_EXAMPLES: usize = 16;

/// A key entry that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedKey {
    /// Which list it is in.
    pub list: KeyList,
    /// 0-based position in that list.
    pub index: usize,
    /// What is wrong with it.
    #[serde(serialize_with = "problem_text")]
    pub problem: KeyProblem,
}

fn problem_text<S: serde::Serializer>(p: &KeyProblem, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&p.to_string())
}

/// The keys of a file that could not be used: how many, by kind of problem, and the first
/// few.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SkippedKeys {
    /// How many keys were skipped.
    pub count: usize,
    /// How many of each [`KeyProblem::kind`].
    pub by_kind: BTreeMap<&'static str, usize>,
    /// The first [`MAX_SKIPPED_EXAMPLES`] skipped keys.
    pub first: Vec<SkippedKey>,
}

impl SkippedKeys {
    fn push(&mut self, key: SkippedKey) {
        self.count += 1;
        *self.by_kind.entry(key.problem.kind()).or_default() += 1;
        if self.first.len() < MAX_SKIPPED_EXAMPLES {
            self.first.push(key);
        }
    }

    /// Add another file's counts (the examples are kept up to the limit).
    pub fn merge(&mut self, other: &SkippedKeys) {
        self.count += other.count;
        for (k, n) in &other.by_kind {
            *self.by_kind.entry(k).or_default() += n;
        }
        let room = MAX_SKIPPED_EXAMPLES.saturating_sub(self.first.len());
        self.first.extend(other.first.iter().take(room).cloned());
    }

    /// The first skipped key of each kind, with its count: one line per kind of problem.
    pub fn summary(&self) -> Vec<(&'static str, usize, Option<&SkippedKey>)> {
        self.by_kind
            .iter()
            .map(|(k, n)| (*k, *n, self.first.iter().find(|s| s.problem.kind() == *k)))
            .collect()
    }
}

fn proto_err(what: &'static str) -> impl Fn(prost::DecodeError) -> ExportError {
    move |source| ExportError::Protobuf { what, source }
}

/// Decode `export.bin` (header included). Every usable key goes to `visit`; each unusable
/// one is skipped and counted, or, when `strict`, ends the walk with
/// [`ExportError::InvalidKey`]. A broken message structure is [`ExportError::Protobuf`]
/// either way.
pub(crate) fn decode(
    bin: &[u8],
    strict: bool,
    visit: &mut dyn FnMut(KeyList, GaenDiagnosisKey),
) -> Result<(ExportHeader, SkippedKeys), ExportError> {
    let body = bin
        .strip_prefix(&EXPORT_HEADER[..])
        .ok_or_else(|| ExportError::BadHeader {
            found: printable(&bin[..bin.len().min(16)]),
        })?;
    let mut buf = body;
    let mut header_fields = Vec::new();
    let mut skipped = SkippedKeys::default();
    let mut counts = [0usize; 2];
    while !buf.is_empty() {
        let start = body.len() - buf.len();
        let (tag, wire) = decode_key(&mut buf).map_err(proto_err("TemporaryExposureKeyExport"))?;
        if (tag == 7 || tag == 8) && wire == WireType::LengthDelimited {
            let len = decode_varint(&mut buf).map_err(proto_err("TemporaryExposureKey"))?;
            let len = usize::try_from(len).unwrap_or(usize::MAX);
            if len > buf.len() {
                return Err(ExportError::Truncated("a TemporaryExposureKey message"));
            }
            let (msg, rest) = buf.split_at(len);
            buf = rest;
            let (list, slot) = if tag == 7 {
                (KeyList::Keys, 0)
            } else {
                (KeyList::RevisedKeys, 1)
            };
            let index = counts[slot];
            counts[slot] += 1;
            let checked = proto::TemporaryExposureKey::decode(msg)
                .map_err(KeyProblem::Malformed)
                .and_then(|m| check_key(&m));
            match checked {
                Ok(key) => visit(list, key),
                Err(problem) if strict => {
                    return Err(ExportError::InvalidKey {
                        index,
                        list,
                        problem,
                    });
                }
                Err(problem) => skipped.push(SkippedKey {
                    list,
                    index,
                    problem,
                }),
            }
        } else {
            skip_field(wire, tag, &mut buf, Default::default())
                .map_err(proto_err("TemporaryExposureKeyExport"))?;
            header_fields.extend_from_slice(&body[start..body.len() - buf.len()]);
        }
    }
    let h = TemporaryExposureKeyExport::decode(&header_fields[..])
        .map_err(proto_err("TemporaryExposureKeyExport"))?;
    let header = ExportHeader {
        start_timestamp: h.start_timestamp.unwrap_or(0),
        end_timestamp: h.end_timestamp.unwrap_or(0),
        region: h.region.unwrap_or_default(),
        batch_num: h.batch_num.unwrap_or(1),
        batch_size: h.batch_size.unwrap_or(1),
        signature_infos: h.signature_infos.into_iter().map(info_from).collect(),
    };
    Ok((header, skipped))
}

/// The rules a key must meet to be matched. Whether its days are plausible (GAEN began in
/// 2020; a key far from the log's days cannot match anyway) is not checked here: the
/// matcher simply finds nothing, and the inspector reports it.
pub(crate) fn check_key(m: &proto::TemporaryExposureKey) -> Result<GaenDiagnosisKey, KeyProblem> {
    let data = m.key_data.as_deref().ok_or(KeyProblem::KeyDataMissing)?;
    let key = TemporaryExposureKey::from_slice(data)
        .map_err(|_| KeyProblem::KeyDataLength(data.len()))?;
    let start = m
        .rolling_start_interval_number
        .ok_or(KeyProblem::RollingStartMissing)?;
    let start = u32::try_from(start).map_err(|_| KeyProblem::RollingStartNegative(start))?;
    let period = m.rolling_period.unwrap_or(144);
    if !(1..=144).contains(&period) {
        return Err(KeyProblem::RollingPeriod(period));
    }
    let report_type = match m.report_type {
        None => ReportType::Unknown,
        Some(v) => ReportType::from_i32(v).ok_or(KeyProblem::ReportType(v))?,
    };
    if let Some(d) = m.days_since_onset_of_symptoms
        && !(-14..=14).contains(&d)
    {
        return Err(KeyProblem::DaysSinceOnset(d));
    }
    Ok(GaenDiagnosisKey {
        key,
        rolling_start: EnIntervalNumber::new(start),
        // In 1..=144: checked above.
        rolling_period: period.unsigned_abs(),
        report_type,
        days_since_onset_of_symptoms: m.days_since_onset_of_symptoms,
        transmission_risk_level: m.transmission_risk_level,
    })
}
