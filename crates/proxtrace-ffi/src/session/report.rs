//! A positive user's report: the keys to upload, as JSON, and the post-report guarantee
//! across retries.
//!
//! The core returns the same keys when asked again with the same `from` and `to`, whenever
//! that happens. Hosts also retry in other ways — a too-small buffer, then a retry whose `to`
//! is a later "now" — and such a retry must not publish the fresh keys the report started
//! (that would link what the phone broadcast after the report to the published keys). So a
//! report that could not be delivered is held here, and the next report call returns exactly
//! it, whatever its arguments and its time.

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
    gaen: Vec<GaenKeyJson>,
    f0: serde_json::Value,
}

impl Session {
    /// The keys to upload, as JSON `{"gaen":[{"key_data","rolling_start_interval_number",
    /// "rolling_period"}],"f0":{"data":[…]}}` (key_data base64, as key servers take it).
    /// `to` is clamped to the tracer's clock. A held report (see [`Session::hold_report`])
    /// is returned instead, whatever the arguments.
    pub(crate) fn diagnosis_keys(
        &mut self,
        from: u64,
        to: u64,
    ) -> Result<Zeroizing<String>, Failure> {
        if let Some(held) = self.held_report.take() {
            return Ok(held);
        }
        use base64::Engine as _;
        if self.tracer.clock().is_none() {
            return Err(Failure::invalid(
                "the tracer has no time yet: hand it the current time first (pt_tracer_handle_timeout, Tracer.handleTimeout), or use the call that takes it (pt_tracer_diagnosis_keys_at, Tracer.diagnosisKeysAt)",
            ));
        }
        let keys = self
            .tracer
            .diagnosis_keys(UnixTime::from_secs(from), UnixTime::from_secs(to))
            .map_err(tracer_failure)?;
        // Let the re-key's outputs pass (the advertisement rotates at once).
        self.run(None)?;
        let f0: serde_json::Value = serde_json::from_str(&write_f0(&keys.bluezone))
            .map_err(|e| Failure::new(pt_result::PT_INTERNAL, e))?;
        let out = DiagnosisKeysJson {
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
        serde_json::to_string(&out)
            .map(Zeroizing::new)
            .map_err(|e| Failure::new(pt_result::PT_INTERNAL, e))
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
