//! The Android JNI layer (feature `jni`): native methods of the Java facade
//! `org.proxtrace.Tracer` (see `java/org/proxtrace/Tracer.java`), on the same core as the C ABI.
//! Failures throw `java.lang.RuntimeException` whose message starts with the `PT_*` code name;
//! panics are caught and thrown the same way, never unwound into the JVM.

use std::sync::Mutex;

use jni::EnvUnowned;
use jni::errors::ThrowRuntimeExAndDefault;
use jni::objects::{JByteArray, JClass, JString};
use jni::sys::{jint, jlong};

use super::pt_result;
use super::session::{Failure, Session};

/// An error thrown to Java.
#[derive(Debug)]
struct JavaError(String);

impl std::fmt::Display for JavaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for JavaError {}

impl From<jni::errors::Error> for JavaError {
    fn from(e: jni::errors::Error) -> Self {
        Self(format!("PT_INVALID_ARGUMENT: {e}"))
    }
}

impl From<Failure> for JavaError {
    fn from(f: Failure) -> Self {
        Self(format!("{:?}: {}", f.code, f.message))
    }
}

fn handle<'a>(h: jlong) -> Result<&'a Mutex<Session>, JavaError> {
    if h == 0 {
        return Err(JavaError("PT_NULL_ARGUMENT: the tracer is closed".into()));
    }
    // SAFETY: a non-zero handle is a `Box<Mutex<Session>>` from `open` that the Java facade
    // has not yet passed to `close` (it zeroes its field first and serialises `close`).
    Ok(unsafe { &*(h as *const Mutex<Session>) })
}

fn with<T>(h: jlong, f: impl FnOnce(&mut Session) -> Result<T, Failure>) -> Result<T, JavaError> {
    let m = handle(h)?;
    let mut s = m.lock().map_err(|_| {
        JavaError(format!(
            "{:?}: an earlier call panicked",
            pt_result::PT_PANIC
        ))
    })?;
    Ok(f(&mut s)?)
}

/// `static native long open(String dir, String configJson)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_org_proxtrace_Tracer_open<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    dir: JString<'l>,
    config: JString<'l>,
) -> jlong {
    env.with_env(|env| -> Result<jlong, JavaError> {
        let dir: String = dir.try_to_string(env)?;
        let config: Option<String> = if config.is_null() {
            None
        } else {
            Some(config.try_to_string(env)?)
        };
        let s = Session::open(&dir, config.as_deref())?;
        Ok(Box::into_raw(Box::new(Mutex::new(s))) as jlong)
    })
    .resolve::<ThrowRuntimeExAndDefault>()
}

/// `static native void close(long handle)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_org_proxtrace_Tracer_close<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
) {
    env.with_env(|_| -> Result<(), JavaError> {
        if h != 0 {
            // SAFETY: a live handle from `open`, closed exactly once by the facade.
            drop(unsafe { Box::from_raw(h as *mut Mutex<Session>) });
        }
        Ok(())
    })
    .resolve::<ThrowRuntimeExAndDefault>()
}

/// `static native byte[] advertisement(long handle, long now)`: the records of
/// `pt_tracer_advertisement` followed by 8 bytes, the next change (little-endian seconds).
#[unsafe(no_mangle)]
pub extern "system" fn Java_org_proxtrace_Tracer_advertisement<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
    now: jlong,
) -> JByteArray<'l> {
    env.with_env(|env| -> Result<JByteArray<'l>, JavaError> {
        let (mut data, next) = with(h, |s| s.advertisement(now as u64))?;
        data.extend_from_slice(&next.to_le_bytes());
        Ok(env.byte_array_from_slice(&data)?)
    })
    .resolve::<ThrowRuntimeExAndDefault>()
}

/// `static native void handleAdvertisement(long handle, byte[] ad, int rssi, long now)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_org_proxtrace_Tracer_handleAdvertisement<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
    ad: JByteArray<'l>,
    rssi: jint,
    now: jlong,
) {
    env.with_env(|env| -> Result<(), JavaError> {
        let ad = env.convert_byte_array(&ad)?;
        let rssi = i8::try_from(rssi).map_err(|_| {
            JavaError(format!(
                "PT_INVALID_ARGUMENT: rssi {rssi} is outside −128…127"
            ))
        })?;
        with(h, |s| {
            s.handle_advertisement(&ad, rssi, now as u64).map(drop)
        })
    })
    .resolve::<ThrowRuntimeExAndDefault>()
}

/// `static native long handleTimeout(long handle, long now)`: returns when to call again.
#[unsafe(no_mangle)]
pub extern "system" fn Java_org_proxtrace_Tracer_handleTimeout<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
    now: jlong,
) -> jlong {
    env.with_env(|_| -> Result<jlong, JavaError> {
        Ok(with(h, |s| s.handle_timeout(now as u64))? as jlong)
    })
    .resolve::<ThrowRuntimeExAndDefault>()
}

/// `static native String diagnosisKeys(long handle, long from, long to)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_org_proxtrace_Tracer_diagnosisKeys<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
    from: jlong,
    to: jlong,
) -> JString<'l> {
    env.with_env(|env| -> Result<JString<'l>, JavaError> {
        let json = with(h, |s| s.diagnosis_keys(from as u64, to as u64))?;
        Ok(env.new_string(json)?)
    })
    .resolve::<ThrowRuntimeExAndDefault>()
}

/// `static native String matchExport(long handle, byte[] zip, String configJson)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_org_proxtrace_Tracer_matchExport<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
    zip: JByteArray<'l>,
    config: JString<'l>,
) -> JString<'l> {
    env.with_env(|env| -> Result<JString<'l>, JavaError> {
        let zip = env.convert_byte_array(&zip)?;
        let config: Option<String> = if config.is_null() {
            None
        } else {
            Some(config.try_to_string(env)?)
        };
        let json = with(h, |s| s.match_export(&zip, config.as_deref()))?;
        Ok(env.new_string(json)?)
    })
    .resolve::<ThrowRuntimeExAndDefault>()
}

/// `static native String matchF0(long handle, String f0Json, String configJson)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_org_proxtrace_Tracer_matchF0<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
    f0: JString<'l>,
    config: JString<'l>,
) -> JString<'l> {
    env.with_env(|env| -> Result<JString<'l>, JavaError> {
        let f0: String = f0.try_to_string(env)?;
        let config: Option<String> = if config.is_null() {
            None
        } else {
            Some(config.try_to_string(env)?)
        };
        let json = with(h, |s| s.match_f0(f0.as_bytes(), config.as_deref()))?;
        Ok(env.new_string(json)?)
    })
    .resolve::<ThrowRuntimeExAndDefault>()
}
