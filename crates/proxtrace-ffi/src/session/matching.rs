//! Matching published keys: GAEN export files (one, or a day's batch set in one call) and
//! Bluezone F0 payloads.

use serde::Deserialize;

use proxtrace::matching::{Engine, FastEngine, MatchConfig, MatchError, Matcher};
use proxtrace::published::export::{ExportError, TrustedKey, Verification, read_export};
use proxtrace::published::f0::parse_f0;
use proxtrace::published::{BluezoneDiagnosisKey, GaenDiagnosisKey};
use proxtrace::tracer::TracerError;

use super::{Session, tracer_failure};
use crate::result::{Failure, pt_result};

/// The most export files one batch call takes (a day's batch set is a handful).
pub(crate) const MAX_BATCH_FILES: usize = 1024;

/// Options of a match call (`config_json`); every field optional, unknown fields rejected.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct MatchOptions {
    /// Trusted signing keys of export files.
    public_keys: Vec<PublicKeyOption>,
    /// Accept export files not signed by a trusted key.
    allow_unsigned: bool,
    /// Refuse an export file with any unusable key entry (default: skip and count them).
    strict: bool,
    /// Matching and scoring.
    #[serde(rename = "match")]
    matching: MatchConfig,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PublicKeyOption {
    /// PEM SubjectPublicKeyInfo.
    pem: String,
    key_id: Option<String>,
    key_version: Option<String>,
}

fn match_options(json: Option<&str>) -> Result<MatchOptions, Failure> {
    match json {
        Some(s) if !s.trim().is_empty() => {
            serde_json::from_str(s).map_err(|e| Failure::new(pt_result::PT_BAD_CONFIG, e))
        }
        _ => Ok(MatchOptions::default()),
    }
}

fn verification(o: &MatchOptions) -> Result<Verification, Failure> {
    let mut v = Verification {
        allow_unsigned: o.allow_unsigned,
        strict: o.strict,
        ..Verification::default()
    };
    for (i, k) in o.public_keys.iter().enumerate() {
        let mut key = TrustedKey::from_pem_or_der(k.pem.as_bytes()).map_err(|e| {
            Failure::new(pt_result::PT_BAD_CONFIG, format!("public_keys[{i}]: {e}"))
        })?;
        if let (Some(id), Some(ver)) = (&k.key_id, &k.key_version) {
            key = key.bound_to(id.clone(), ver.clone());
        }
        v.trusted_keys.push(key);
    }
    Ok(v)
}

fn export_failure(e: ExportError) -> Failure {
    match e {
        ExportError::Unsigned
        | ExportError::NoTrustedSignature(_)
        | ExportError::BadSignature { .. }
        | ExportError::UnsupportedAlgorithm(_) => Failure::new(pt_result::PT_BAD_SIGNATURE, e),
        other => Failure::new(pt_result::PT_BAD_EXPORT, other),
    }
}

impl Session {
    fn run_match(
        &mut self,
        gaen: &[GaenDiagnosisKey],
        bluezone: &[BluezoneDiagnosisKey],
        config: MatchConfig,
        published: pt_result,
    ) -> Result<String, Failure> {
        let matcher =
            Matcher::new(config).map_err(|e| Failure::new(pt_result::PT_BAD_CONFIG, e))?;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let engine = FastEngine::new(threads, &mut rand::rngs::SysRng)
            .map_err(|e| Failure::new(pt_result::PT_INTERNAL, e))?;
        let matcher = matcher.with_engine(Engine::Fast(engine));
        let r = self
            .tracer
            .match_with(gaen, bluezone, &matcher)
            .map_err(|e| match e {
                // A published key that cannot be walked is the published file's fault.
                TracerError::Match(e @ (MatchError::Key(_) | MatchError::Time(_))) => {
                    Failure::new(published, e)
                }
                other => tracer_failure(other),
            })?;
        serde_json::to_string(&r).map_err(|e| Failure::new(pt_result::PT_INTERNAL, e))
    }

    /// Match a GAEN export file (zip bytes); the result as `MatchResult` JSON.
    pub(crate) fn match_export(
        &mut self,
        zip: &[u8],
        config_json: Option<&str>,
    ) -> Result<String, Failure> {
        let o = match_options(config_json)?;
        let file = read_export(zip, &verification(&o)?).map_err(export_failure)?;
        self.run_match(
            &file.diagnosis_keys(),
            &[],
            o.matching,
            pt_result::PT_BAD_EXPORT,
        )
    }

    /// Match several GAEN export files (a day's batch set) in one pass; every file must
    /// verify, or nothing is matched and the failure names the file. The result as one
    /// `MatchResult` JSON.
    pub(crate) fn match_exports(
        &mut self,
        zips: &[&[u8]],
        config_json: Option<&str>,
    ) -> Result<String, Failure> {
        if zips.len() > MAX_BATCH_FILES {
            return Err(Failure::invalid(format!(
                "{} export files in one call; at most {MAX_BATCH_FILES} (split the batch)",
                zips.len()
            )));
        }
        let o = match_options(config_json)?;
        let v = verification(&o)?;
        let mut keys = Vec::new();
        for (i, zip) in zips.iter().enumerate() {
            let file = read_export(zip, &v).map_err(|e| {
                let f = export_failure(e);
                Failure::new(
                    f.code,
                    format!("export file {} of {}: {}", i + 1, zips.len(), f.message),
                )
            })?;
            keys.extend(file.diagnosis_keys());
        }
        self.run_match(&keys, &[], o.matching, pt_result::PT_BAD_EXPORT)
    }

    /// Match a Bluezone F0 payload; the result as `MatchResult` JSON.
    pub(crate) fn match_f0(
        &mut self,
        json: &[u8],
        config_json: Option<&str>,
    ) -> Result<String, Failure> {
        let o = match_options(config_json)?;
        let keys = parse_f0(json).map_err(|e| Failure::new(pt_result::PT_BAD_F0, e))?;
        self.run_match(&[], &keys, o.matching, pt_result::PT_BAD_F0)
    }
}
