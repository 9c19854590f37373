//! The safe core shared by the C ABI and the JNI layer: a file-backed tracer driven by JSON
//! and byte buffers, every failure mapped to a result code and a message.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use proxtrace::advert::Payload;
use proxtrace::log::{EncounterLog, FileBackend, LogError};
use proxtrace::matching::{Engine, FastEngine, MatchConfig, Matcher};
use proxtrace::published::export::{ExportError, TrustedKey, Verification, read_export};
use proxtrace::published::f0::{parse_f0, write_f0};
use proxtrace::time::UnixTime;
use proxtrace::tracer::{
    FileKeyStorage, KeyStorage, KeyStoreError, Tracer, TracerConfig, TracerError, keystore,
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
        TracerError::Advert(e) => fail(pt_result::PT_NOT_AN_ADVERTISEMENT, e),
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

struct Pending {
    config: TracerConfig,
    log: EncounterLog<FileBackend>,
    storage: FileKeyStorage,
}

enum State {
    /// Opened and checked; the tracer starts at the first call that carries the time.
    Pending(Box<Pending>),
    Ready(Box<Tracer<FileBackend, FileKeyStorage>>),
    /// A previous start failed.
    Broken,
}

/// A tracer opened from a directory.
pub(crate) struct Session {
    state: State,
}

impl Session {
    /// Open the tracer in `dir` with a JSON [`TracerConfig`] (null or empty: defaults). The
    /// key store and the log are checked now; a corrupt one is an error and is left as it is.
    pub(crate) fn open(dir: &str, config_json: Option<&str>) -> Result<Self, Failure> {
        let config: TracerConfig = match config_json {
            Some(s) if !s.trim().is_empty() => {
                serde_json::from_str(s).map_err(|e| fail(pt_result::PT_BAD_CONFIG, e))?
            }
            _ => TracerConfig::default(),
        };
        config.validate().map_err(tracer_failure)?;
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir)
            .map_err(|e| fail(pt_result::PT_IO, format!("{}: {e}", dir.display())))?;
        let mut storage = FileKeyStorage::new(&dir);
        if let Some(bytes) = storage.load().map_err(|e| fail(pt_result::PT_IO, e))? {
            keystore::check(&bytes).map_err(|e| fail(pt_result::PT_CORRUPT_STORE, e))?;
        }
        // Opened at the epoch: nothing expires until the first call brings the time.
        let log = EncounterLog::open_dir(&dir, config.log_options(), UnixTime::EPOCH)
            .map_err(log_failure)?;
        Ok(Self {
            state: State::Pending(Box::new(Pending {
                config,
                log,
                storage,
            })),
        })
    }

    fn tracer(
        &mut self,
        now: UnixTime,
    ) -> Result<&mut Tracer<FileBackend, FileKeyStorage>, Failure> {
        if let State::Pending(_) = self.state {
            let State::Pending(p) = std::mem::replace(&mut self.state, State::Broken) else {
                return Err(fail(pt_result::PT_INTERNAL, "tracer state"));
            };
            let Pending {
                config,
                log,
                storage,
            } = *p;
            let t = Tracer::new(config, log, storage, now, &mut rand::rngs::SysRng)
                .map_err(tracer_failure)?;
            self.state = State::Ready(Box::new(t));
        }
        match &mut self.state {
            State::Ready(t) => Ok(t),
            _ => Err(fail(
                pt_result::PT_INTERNAL,
                "the tracer failed to start earlier; reopen it",
            )),
        }
    }

    /// The payloads to broadcast as records `kind (1) ‖ length (1) ‖ data`: kind 1 = GAEN
    /// service data for UUID 0xFD6F (RPI ‖ AEM, 20 bytes), kind 2 = Bluezone manufacturer data
    /// for company 0x22B5 (12 bytes). Also returns when they change.
    pub(crate) fn advertisement(&mut self, now: u64) -> Result<(Vec<u8>, u64), Failure> {
        let a = self
            .tracer(UnixTime::from_secs(now))?
            .poll_advertisement(UnixTime::from_secs(now))
            .map_err(tracer_failure)?;
        let mut out = Vec::with_capacity(36);
        for p in &a.payloads {
            match p {
                Payload::Gaen(g) => {
                    out.extend_from_slice(&[1, 20]);
                    out.extend_from_slice(&g.to_bytes());
                }
                Payload::Bluezone(b) => {
                    out.extend_from_slice(&[2, 12]);
                    out.extend_from_slice(b.as_bytes());
                }
                Payload::BluezoneGattService => {}
            }
        }
        Ok((out, a.next_change.as_secs()))
    }

    /// A received advertisement (raw AD bytes, as Android's `ScanRecord.getBytes()`).
    pub(crate) fn handle_advertisement(
        &mut self,
        ad: &[u8],
        rssi: i8,
        now: u64,
    ) -> Result<(), Failure> {
        let now = UnixTime::from_secs(now);
        self.tracer(now)?
            .handle_advertisement(ad, rssi, now)
            .map(drop)
            .map_err(tracer_failure)
    }

    /// Let time pass; returns when to call again.
    pub(crate) fn handle_timeout(&mut self, now: u64) -> Result<u64, Failure> {
        let now = UnixTime::from_secs(now);
        let t = self.tracer(now)?;
        t.handle_timeout(now).map_err(tracer_failure)?;
        Ok(t.poll_timeout().as_secs())
    }

    /// Close scan instances and make the log durable (app going to background).
    pub(crate) fn flush(&mut self, now: u64) -> Result<(), Failure> {
        let now = UnixTime::from_secs(now);
        self.tracer(now)?.flush(now).map_err(tracer_failure)
    }

    /// The keys to upload, as JSON `{"gaen":[{"key_data","rolling_start_interval_number",
    /// "rolling_period"}],"f0":{"data":[…]}}` (key_data base64, as key servers take it).
    pub(crate) fn diagnosis_keys(&mut self, from: u64, to: u64) -> Result<String, Failure> {
        use base64::Engine as _;
        let t = self.tracer(UnixTime::from_secs(to))?;
        let keys = t
            .diagnosis_keys(UnixTime::from_secs(from), UnixTime::from_secs(to))
            .map_err(tracer_failure)?;
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
        let t = match &mut self.state {
            State::Ready(t) => t,
            _ => {
                return Err(fail(
                    pt_result::PT_INVALID_ARGUMENT,
                    "call pt_tracer_handle_timeout with the time first",
                ));
            }
        };
        let r = t
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
