//! A positive user's report: the keys to upload, as JSON, and the post-report guarantee
//! across retries.
//!
//! Hosts retry in many ways: after a too-small buffer, after a failed upload, with the same
//! arguments or with a `to` (and a `from`) recomputed from a later "now", within seconds or
//! hours. No retry may publish the fresh keys the report started — that would link what the
//! phone broadcast after the report to the published keys. So the session keeps the last
//! report: a call whose `from` is before that report's time is a retry and returns exactly
//! it (a report that could not be delivered is returned by the next call whatever its
//! arguments). A later report must start at or after the previous one (`from ≥
//! report_time`, which the JSON carries). The memory lasts while the handle is open.

use serde::Serialize;
use zeroize::Zeroizing;

use proxtrace::published::f0::write_f0;
use proxtrace::time::UnixTime;

use super::{Session, tracer_failure};
use crate::result::{Failure, pt_result};

#[derive(Serialize)]
struct GaenKeyJson {
    key_data: String,
    rolling_start_interval_number: u32,
    rolling_period: u32,
}

#[derive(Serialize)]
struct DiagnosisKeysJson {
    /// The tracer's clock at the report: a later report passes `from` at or after it.
    report_time: u64,
    gaen: Vec<GaenKeyJson>,
    /// Last, so that a host can cut the F0 payload off the end.
    f0: serde_json::Value,
}

/// The last report this session made: when, and what it returned.
pub(crate) struct LastReport {
    at: u64,
    json: Zeroizing<String>,
}

impl Session {
    /// The keys to upload, as JSON `{"gaen":[{"key_data","rolling_start_interval_number",
    /// "rolling_period"}],"f0":{"data":[…]}}` after `"report_time":N` (key_data base64, as key
    /// servers take it). `to` is clamped to the tracer's clock. A held report (see
    /// [`Session::hold_report`]) is returned instead, whatever the arguments; so is the last
    /// report when `from` is before its time (a retry).
    pub(crate) fn diagnosis_keys(
        &mut self,
        from: u64,
        to: u64,
    ) -> Result<Zeroizing<String>, Failure> {
        if let Some(held) = self.held_report.take() {
            return Ok(held);
        }
        if let Some(last) = &self.last_report
            && from < last.at
        {
            return Ok(last.json.clone());
        }
        use base64::Engine as _;
        let Some(now) = self.tracer.clock() else {
            return Err(Failure::invalid(
                "the tracer has no time yet: hand it the current time first (pt_tracer_handle_timeout, Tracer.handleTimeout), or use the call that takes it (pt_tracer_diagnosis_keys_at, Tracer.diagnosisKeysAt)",
            ));
        };
        let keys = self
            .tracer
            .diagnosis_keys(UnixTime::from_secs(from), UnixTime::from_secs(to))
            .map_err(tracer_failure)?;
        // Let the re-key's outputs pass (the advertisement rotates at once).
        self.run(None)?;
        let f0: serde_json::Value = serde_json::from_str(&write_f0(&keys.bluezone))
            .map_err(|e| Failure::new(pt_result::PT_INTERNAL, e))?;
        let out = DiagnosisKeysJson {
            report_time: now.as_secs(),
            gaen: keys
                .gaen
                .iter()
                .map(|k| GaenKeyJson {
                    key_data: base64::engine::general_purpose::STANDARD
                        .encode(k.key.expose_secret()),
                    rolling_start_interval_number: k.rolling_start.get(),
                    rolling_period: k.rolling_period,
                })
                .collect(),
            f0,
        };
        let json = serde_json::to_string(&out)
            .map(Zeroizing::new)
            .map_err(|e| Failure::new(pt_result::PT_INTERNAL, e))?;
        self.last_report = Some(LastReport {
            at: now.as_secs(),
            json: json.clone(),
        });
        Ok(json)
    }

    /// [`Session::diagnosis_keys`] after handing in the time `now` (right after open, when
    /// the tracer has no time yet).
    pub(crate) fn diagnosis_keys_at(
        &mut self,
        now: u64,
        from: u64,
        to: u64,
    ) -> Result<Zeroizing<String>, Failure> {
        self.timeout(now)?;
        self.diagnosis_keys(from, to)
    }

    /// Keep a report the host did not receive (its buffer was too small): the next report
    /// call returns it.
    pub(crate) fn hold_report(&mut self, json: Zeroizing<String>) {
        self.held_report = Some(json);
    }
}
