//! The Android JNI layer (feature `jni`): native methods of the Java facade
//! `org.proxtrace.Tracer` (see `java/org/proxtrace/Tracer.java`), on the same core as the C ABI.
//! Failures throw `java.lang.RuntimeException` whose message starts with the `PT_*` code name
//! (the facade turns it into `org.proxtrace.TracerException` with the code); panics are caught
//! and thrown the same way, never unwound into the JVM. Receptions return the event kind
//! (`PT_EVENT_*`); a foreign beacon is never an exception.

use std::sync::Mutex;

use jni::EnvUnowned;
use jni::errors::ThrowRuntimeExAndDefault;
use jni::objects::{JByteArray, JClass, JLongArray, JObjectArray, JString};
use jni::sys::{jint, jlong};

use proxtrace::tracer::{RadioData, Received};

use super::event::pt_event;
use super::result::{Failure, pt_result};
use super::session::{MAX_BATCH_FILES, Session, uuid_from_be};

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

type Handle = Mutex<Session>;

fn handle<'a>(h: jlong) -> Result<&'a Handle, JavaError> {
    if h == 0 {
        return Err(JavaError("PT_NULL_ARGUMENT: the tracer is closed".into()));
    }
    // SAFETY: a non-zero handle is a `Box<Mutex<Session>>` from `open` that the Java facade
    // has not yet passed to `close` (it zeroes its field first and serialises `close`).
    Ok(unsafe { &*(h as *const Handle) })
}

fn with<T>(h: jlong, f: impl FnOnce(&mut Session) -> Result<T, Failure>) -> Result<T, JavaError> {
    let m = handle(h)?;
    let mut s = m
        .lock()
        .map_err(|_| JavaError::from(Failure::from(pt_result::PT_PANIC)))?;
    Ok(f(&mut s)?)
}

/// A Java `long` time as unix seconds (a negative one is refused by the tracer's time check).
fn secs(now: jlong) -> u64 {
    now as u64
}

/// A platform RSSI (`int`) as the tracer takes it.
fn rssi(v: jint) -> i8 {
    Received::clamp_rssi(v)
}

/// A platform TX power (`int`; `127`, Android's `TX_POWER_NOT_PRESENT`, or anything out of
/// range: none).
fn tx_power(v: jint) -> Option<i8> {
    i8::try_from(v).ok().and_then(super::session::tx_power)
}

/// A `java.util.UUID` passed as its two halves.
fn uuid(msb: jlong, lsb: jlong) -> Result<u128, JavaError> {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&msb.to_be_bytes());
    b[8..].copy_from_slice(&lsb.to_be_bytes());
    Ok(uuid_from_be(&b)?)
}

fn opt_string(env: &mut jni::Env<'_>, s: &JString<'_>) -> Result<Option<String>, JavaError> {
    if s.is_null() {
        Ok(None)
    } else {
        Ok(Some(s.try_to_string(env)?))
    }
}

fn kind(e: pt_event) -> jint {
    e.kind as jint
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
        let dir = opt_string(env, &dir)?.ok_or_else(|| JavaError::from(Failure::null("dir")))?;
        let config = opt_string(env, &config)?;
        let s = Session::open(&dir, config.as_deref())?;
        Ok(Box::into_raw(Box::new(Mutex::new(s))) as jlong)
    })
    .resolve::<ThrowRuntimeExAndDefault>()
}

/// `static native void close(long handle)`: flushes, then releases the tracer and its
/// directory lock (released even when the flush fails, which then throws).
#[unsafe(no_mangle)]
pub extern "system" fn Java_org_proxtrace_Tracer_close<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
) {
    env.with_env(|_| -> Result<(), JavaError> {
        if h == 0 {
            return Ok(());
        }
        // SAFETY: a live handle from `open`, closed exactly once by the facade.
        let b = unsafe { Box::from_raw(h as *mut Handle) };
        match b.into_inner() {
            Ok(mut s) => Ok(s.flush_now()?),
            Err(_) => Err(Failure::from(pt_result::PT_PANIC).into()),
        }
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
        let (mut data, next) = with(h, |s| s.advertisement(secs(now)))?;
        data.extend_from_slice(&next.to_le_bytes());
        Ok(env.byte_array_from_slice(&data)?)
    })
    .resolve::<ThrowRuntimeExAndDefault>()
}

/// `static native void handleAdvertisement(long handle, byte[] ad, int rssi, long now)`
/// (kept: throws for an RSSI outside −128…127).
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
            s.receive(RadioData::AdvertisingData(&ad), rssi, None, secs(now))
                .map(drop)
        })
    })
    .resolve::<ThrowRuntimeExAndDefault>()
}

/// `static native int handleAdvertisingData(long handle, byte[] ad, int rssi, int txPower,
/// long now)`: the event kind.
#[unsafe(no_mangle)]
pub extern "system" fn Java_org_proxtrace_Tracer_handleAdvertisingData<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
    ad: JByteArray<'l>,
    rssi_dbm: jint,
    tx: jint,
    now: jlong,
) -> jint {
    env.with_env(|env| -> Result<jint, JavaError> {
        let ad = env.convert_byte_array(&ad)?;
        let e = with(h, |s| {
            s.receive(
                RadioData::AdvertisingData(&ad),
                rssi(rssi_dbm),
                tx_power(tx),
                secs(now),
            )
        })?;
        Ok(kind(e))
    })
    .resolve::<ThrowRuntimeExAndDefault>()
}

/// `static native int handleServiceData(long handle, long uuidMsb, long uuidLsb, byte[] data,
/// int rssi, int txPower, long now)`: the event kind.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_org_proxtrace_Tracer_handleServiceData<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
    msb: jlong,
    lsb: jlong,
    data: JByteArray<'l>,
    rssi_dbm: jint,
    tx: jint,
    now: jlong,
) -> jint {
    env.with_env(|env| -> Result<jint, JavaError> {
        let data = env.convert_byte_array(&data)?;
        let uuid = uuid(msb, lsb)?;
        let e = with(h, |s| {
            s.receive(
                RadioData::ServiceData { uuid, data: &data },
                rssi(rssi_dbm),
                tx_power(tx),
                secs(now),
            )
        })?;
        Ok(kind(e))
    })
    .resolve::<ThrowRuntimeExAndDefault>()
}

/// `static native int handleManufacturerData(long handle, int companyId, byte[] data, int rssi,
/// int txPower, long now)`: the event kind.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_org_proxtrace_Tracer_handleManufacturerData<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
    company: jint,
    data: JByteArray<'l>,
    rssi_dbm: jint,
    tx: jint,
    now: jlong,
) -> jint {
    env.with_env(|env| -> Result<jint, JavaError> {
        let data = env.convert_byte_array(&data)?;
        let company_id = u16::try_from(company).map_err(|_| {
            JavaError::from(Failure::invalid(format!(
                "companyId {company} is outside 0…65535"
            )))
        })?;
        let e = with(h, |s| {
            s.receive(
                RadioData::ManufacturerData {
                    company_id,
                    data: &data,
                },
                rssi(rssi_dbm),
                tx_power(tx),
                secs(now),
            )
        })?;
        Ok(kind(e))
    })
    .resolve::<ThrowRuntimeExAndDefault>()
}

/// `static native int handleServiceUuid(long handle, long uuidMsb, long uuidLsb, int rssi,
/// long now)`: the event kind.
#[unsafe(no_mangle)]
pub extern "system" fn Java_org_proxtrace_Tracer_handleServiceUuid<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
    msb: jlong,
    lsb: jlong,
    rssi_dbm: jint,
    now: jlong,
) -> jint {
    env.with_env(|_| -> Result<jint, JavaError> {
        let uuid = uuid(msb, lsb)?;
        let e = with(h, |s| {
            s.receive(
                RadioData::ServiceUuid(uuid),
                rssi(rssi_dbm),
                None,
                secs(now),
            )
        })?;
        Ok(kind(e))
    })
    .resolve::<ThrowRuntimeExAndDefault>()
}

/// `static native int handleGattIdentifier(long handle, byte[] id, int rssi, long now)`: the
/// event kind.
#[unsafe(no_mangle)]
pub extern "system" fn Java_org_proxtrace_Tracer_handleGattIdentifier<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
    id: JByteArray<'l>,
    rssi_dbm: jint,
    now: jlong,
) -> jint {
    env.with_env(|env| -> Result<jint, JavaError> {
        let id = env.convert_byte_array(&id)?;
        let e = with(h, |s| {
            s.receive_gatt_identifier(&id, rssi(rssi_dbm), secs(now))
        })?;
        Ok(kind(e))
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
        Ok(with(h, |s| s.handle_timeout(secs(now)))? as jlong)
    })
    .resolve::<ThrowRuntimeExAndDefault>()
}

/// `static native void flush(long handle, long now)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_org_proxtrace_Tracer_flush<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
    now: jlong,
) {
    env.with_env(|_| -> Result<(), JavaError> { with(h, |s| s.flush(secs(now))) })
        .resolve::<ThrowRuntimeExAndDefault>()
}

/// `static native long[] pollEvent(long handle)`: kind, scheme, ignored, keys, log pages,
/// dropped (kind 0: none).
#[unsafe(no_mangle)]
pub extern "system" fn Java_org_proxtrace_Tracer_pollEvent<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
) -> JLongArray<'l> {
    env.with_env(|env| -> Result<JLongArray<'l>, JavaError> {
        let e = with(h, |s| Ok(s.poll_event()))?;
        let out = env.new_long_array(6)?;
        out.set_region(env, 0, &e.to_longs())?;
        Ok(out)
    })
    .resolve::<ThrowRuntimeExAndDefault>()
}

/// Deliver a report as a Java string, or hold it for the retry.
fn report_string<'l>(
    env: &mut jni::Env<'l>,
    h: jlong,
    f: impl FnOnce(&mut Session) -> Result<zeroize::Zeroizing<String>, Failure>,
) -> Result<JString<'l>, JavaError> {
    let json = with(h, f)?;
    match env.new_string(json.as_str()) {
        Ok(s) => Ok(s),
        Err(e) => {
            with(h, |s| {
                s.hold_report(json);
                Ok(())
            })?;
            Err(e.into())
        }
    }
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
        report_string(env, h, |s| s.diagnosis_keys(secs(from), secs(to)))
    })
    .resolve::<ThrowRuntimeExAndDefault>()
}

/// `static native String diagnosisKeysAt(long handle, long now, long from, long to)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_org_proxtrace_Tracer_diagnosisKeysAt<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
    now: jlong,
    from: jlong,
    to: jlong,
) -> JString<'l> {
    env.with_env(|env| -> Result<JString<'l>, JavaError> {
        report_string(env, h, |s| {
            s.diagnosis_keys_at(secs(now), secs(from), secs(to))
        })
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
        let config = opt_string(env, &config)?;
        let json = with(h, |s| s.match_export(&zip, config.as_deref()))?;
        Ok(env.new_string(json)?)
    })
    .resolve::<ThrowRuntimeExAndDefault>()
}

/// `static native String matchExports(long handle, byte[][] zips, String configJson)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_org_proxtrace_Tracer_matchExports<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
    zips: JObjectArray<'l, JByteArray<'l>>,
    config: JString<'l>,
) -> JString<'l> {
    env.with_env(|env| -> Result<JString<'l>, JavaError> {
        let n = zips.len(env)?;
        if n > MAX_BATCH_FILES {
            return Err(Failure::invalid(format!(
                "{n} export files in one call; at most {MAX_BATCH_FILES} (split the batch)"
            ))
            .into());
        }
        let mut files = Vec::with_capacity(n);
        for i in 0..n {
            let zip = zips.get_element(env, i)?;
            if zip.is_null() {
                return Err(Failure::null(&format!("zips[{i}]")).into());
            }
            files.push(env.convert_byte_array(&zip)?);
        }
        let config = opt_string(env, &config)?;
        let refs: Vec<&[u8]> = files.iter().map(Vec::as_slice).collect();
        let json = with(h, |s| s.match_exports(&refs, config.as_deref()))?;
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
        let f0 = opt_string(env, &f0)?.ok_or_else(|| JavaError::from(Failure::null("f0Json")))?;
        let config = opt_string(env, &config)?;
        let json = with(h, |s| s.match_f0(f0.as_bytes(), config.as_deref()))?;
        Ok(env.new_string(json)?)
    })
    .resolve::<ThrowRuntimeExAndDefault>()
}

/// `static native String logStats(long handle)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_org_proxtrace_Tracer_logStats<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
) -> JString<'l> {
    env.with_env(|env| -> Result<JString<'l>, JavaError> {
        let json = with(h, |s| s.log_stats())?;
        Ok(env.new_string(json)?)
    })
    .resolve::<ThrowRuntimeExAndDefault>()
}
