//! The safe core shared by the C ABI and the JNI layer: a file-backed tracer driven by JSON
//! and byte buffers, every failure mapped to a result code and a message.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use proxtrace::identifier::Identifier;
use proxtrace::log::{FileBackend, LogError};
use proxtrace::matching::{Engine, FastEngine, MatchConfig, Matcher};
use proxtrace::published::export::{ExportError, TrustedKey, Verification, read_export};
use proxtrace::published::f0::{parse_f0, write_f0};
use proxtrace::time::UnixTime;
use proxtrace::tracer::{
    FileKeyStorage, Input, KeyStoreError, Output, RadioData, Received, Tracer, TracerConfig,
    TracerError, TracerEvent,
};

use super::pt_result;

/// A failure: the code returned to C / the exception thrown in Java, and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub(crate) code: pt_result,
    pub(crate) message: String,
}

fn fail(code: pt_result, message: impl std::fmt::Display) -> Failure {
    Failure {
        code,
        message: message.to_string(),
    }
}

fn log_failure(e: LogError) -> Failure {
    match e {
        LogError::Io(e) => fail(pt_result::PT_IO, e),
        other => fail(pt_result::PT_CORRUPT_STORE, other),
    }
}

fn tracer_failure(e: TracerError) -> Failure {
    match e {
        TracerError::Config(m) => fail(pt_result::PT_BAD_CONFIG, m),
        TracerError::Log(e) => log_failure(e),
        TracerError::KeyStore(KeyStoreError::Io(e)) => fail(pt_result::PT_IO, e),
        TracerError::KeyStore(e) => fail(pt_result::PT_CORRUPT_STORE, e),
        refused @ (TracerError::Time(_) | TracerError::ClockSkew { .. } | TracerError::NoClock) => {
            fail(pt_result::PT_INVALID_ARGUMENT, refused)
        }
        other => fail(pt_result::PT_INTERNAL, other),
    }
}

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
        None => Ok(MatchOptions::default()),
        Some(s) if s.trim().is_empty() => Ok(MatchOptions::default()),
        Some(s) => serde_json::from_str(s).map_err(|e| fail(pt_result::PT_BAD_CONFIG, e)),
    }
}

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

/// A tracer opened from a directory, with the host-side state the C and Java calls need.
pub(crate) struct Session {
    tracer: Tracer<FileBackend, FileKeyStorage>,
}

/// What a reception did, as the C ABI reports it (`PT_EVENT_*` in the header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reception {
    Recorded,
    Ignored,
    NeedsGattRead,
}

impl Session {
    /// Open the tracer in `dir` with a JSON [`TracerConfig`] (null or empty: defaults). The
    /// key store is checked now; a corrupt one is an error and is left as it is. Nothing is
    /// written until the first call that carries the time.
    pub(crate) fn open(dir: &str, config_json: Option<&str>) -> Result<Self, Failure> {
        let config: TracerConfig = match config_json {
            Some(s) if !s.trim().is_empty() => {
                serde_json::from_str(s).map_err(|e| fail(pt_result::PT_BAD_CONFIG, e))?
            }
            _ => TracerConfig::default(),
        };
        let dir = PathBuf::from(dir);
        let tracer = Tracer::open_dir(&dir, config, &mut rand::rngs::SysRng).map_err(|e| {
            let f = tracer_failure(e);
            fail(f.code, format!("{}: {}", dir.display(), f.message))
        })?;
        Ok(Self { tracer })
    }

    /// Hand in the time (when it moves the clock or the tracer has none yet) and follow the
    /// outputs up to the timeout; returns the last reception event and the timeout.
    fn run(&mut self, input: Option<Input<'_>>) -> Result<(Option<Reception>, u64), Failure> {
        if let Some(i) = input {
            self.tracer.handle_input(i).map_err(tracer_failure)?;
        }
        let mut reception = None;
        loop {
            match self.tracer.poll_output() {
                Output::Event(TracerEvent::Recorded(_)) => reception = Some(Reception::Recorded),
                Output::Event(TracerEvent::Ignored(_)) => reception = Some(Reception::Ignored),
                Output::Event(TracerEvent::NeedsGattRead) => {
                    reception = Some(Reception::NeedsGattRead);
                }
                Output::Timeout(t) => return Ok((reception, t.as_secs())),
                _ => {}
            }
        }
    }

    fn timeout(&mut self, now: u64) -> Result<u64, Failure> {
        self.run(Some(Input::Timeout(UnixTime::from_secs(now))))
            .map(|(_, t)| t)
    }

    /// The payloads to broadcast as records `kind (1) ‖ length (1) ‖ data`: kind 1 = GAEN
    /// service data for UUID 0xFD6F (RPI ‖ AEM, 20 bytes), kind 2 = Bluezone manufacturer data
    /// for company 0x22B5 (12 bytes). Also returns when they change.
    pub(crate) fn advertisement(&mut self, now: u64) -> Result<(Vec<u8>, u64), Failure> {
        self.timeout(now)?;
        let a = self
            .tracer
            .advertisement()
            .ok_or_else(|| fail(pt_result::PT_INTERNAL, "no advertisement after a timeout"))?;
        let mut out = Vec::with_capacity(36);
        for id in &a.payloads {
            match id {
                Identifier::Gaen(g) => {
                    out.extend_from_slice(&[1, 20]);
                    out.extend_from_slice(&g.to_bytes());
                }
                Identifier::Bluezone(b) => {
                    out.extend_from_slice(&[2, 12]);
                    out.extend_from_slice(b.as_bytes());
                }
            }
        }
        Ok((out, a.next_change.as_secs()))
    }

    /// A received advertisement (raw AD bytes: a legacy advertisement, Android's 62-byte
    /// `ScanRecord.getBytes()`, or extended data). A foreign beacon is not an error.
    pub(crate) fn handle_advertisement(
        &mut self,
        ad: &[u8],
        rssi: i8,
        now: u64,
    ) -> Result<Reception, Failure> {
        let r = Received::new(
            RadioData::AdvertisingData(ad),
            rssi,
            UnixTime::from_secs(now),
        );
        let (reception, _) = self.run(Some(Input::Received(r)))?;
        reception.ok_or_else(|| fail(pt_result::PT_INTERNAL, "a reception yielded no event"))
    }

    /// Let time pass; returns when to call again.
    pub(crate) fn handle_timeout(&mut self, now: u64) -> Result<u64, Failure> {
        self.timeout(now)
    }

    /// Close scan instances and make the log durable (app going to background, closing).
    pub(crate) fn flush(&mut self, now: u64) -> Result<(), Failure> {
        if self.tracer.clock().is_none_or(|c| c.as_secs() < now) {
            self.timeout(now)?;
        }
        self.tracer.flush().map_err(tracer_failure)
    }

    /// The keys to upload, as JSON `{"gaen":[{"key_data","rolling_start_interval_number",
    /// "rolling_period"}],"f0":{"data":[…]}}` (key_data base64, as key servers take it).
    /// `to` is clamped to the tracer's clock.
    pub(crate) fn diagnosis_keys(&mut self, from: u64, to: u64) -> Result<String, Failure> {
        use base64::Engine as _;
        if self.tracer.clock().is_none() {
            return Err(fail(
                pt_result::PT_INVALID_ARGUMENT,
                "the tracer has no time yet: call pt_tracer_handle_timeout with the current time first",
            ));
        }
        let keys = self
            .tracer
            .diagnosis_keys(UnixTime::from_secs(from), UnixTime::from_secs(to))
            .map_err(tracer_failure)?;
        // Let the re-key's outputs pass (the advertisement rotates at once).
        self.run(None)?;
        let f0: serde_json::Value = serde_json::from_str(&write_f0(&keys.bluezone))
            .map_err(|e| fail(pt_result::PT_INTERNAL, e))?;
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
        serde_json::to_string(&out).map_err(|e| fail(pt_result::PT_INTERNAL, e))
    }

    fn run_match(
        &mut self,
        gaen: &[proxtrace::published::GaenDiagnosisKey],
        bluezone: &[proxtrace::published::BluezoneDiagnosisKey],
        config: MatchConfig,
    ) -> Result<String, Failure> {
        let matcher = Matcher::new(config).map_err(|e| fail(pt_result::PT_BAD_CONFIG, e))?;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let engine = FastEngine::new(threads, &mut rand::rngs::SysRng)
            .map_err(|e| fail(pt_result::PT_INTERNAL, e))?;
        let matcher = matcher.with_engine(Engine::Fast(engine));
        let r = self
            .tracer
            .match_with(gaen, bluezone, &matcher)
            .map_err(tracer_failure)?;
        serde_json::to_string(&r).map_err(|e| fail(pt_result::PT_INTERNAL, e))
    }

    /// Match a GAEN export file (zip bytes); the result as `MatchResult` JSON.
    pub(crate) fn match_export(
        &mut self,
        zip: &[u8],
        config_json: Option<&str>,
    ) -> Result<String, Failure> {
        let o = match_options(config_json)?;
        let mut v = Verification {
            allow_unsigned: o.allow_unsigned,
            strict: o.strict,
            ..Verification::default()
        };
        for k in &o.public_keys {
            let mut key = TrustedKey::from_pem_or_der(k.pem.as_bytes())
                .map_err(|e| fail(pt_result::PT_BAD_CONFIG, e))?;
            if let (Some(id), Some(ver)) = (&k.key_id, &k.key_version) {
                key = key.bound_to(id.clone(), ver.clone());
            }
            v.trusted_keys.push(key);
        }
        let file = read_export(zip, &v).map_err(|e| match e {
            ExportError::Unsigned
            | ExportError::NoTrustedSignature(_)
            | ExportError::BadSignature { .. }
            | ExportError::UnsupportedAlgorithm(_) => fail(pt_result::PT_BAD_SIGNATURE, e),
            other => fail(pt_result::PT_BAD_EXPORT, other),
        })?;
        self.run_match(&file.diagnosis_keys(), &[], o.matching)
    }

    /// Match a Bluezone F0 payload; the result as `MatchResult` JSON.
    pub(crate) fn match_f0(
        &mut self,
        json: &[u8],
        config_json: Option<&str>,
    ) -> Result<String, Failure> {
        let o = match_options(config_json)?;
        let keys = parse_f0(json).map_err(|e| fail(pt_result::PT_BAD_F0, e))?;
        self.run_match(&[], &keys, o.matching)
    }
}
