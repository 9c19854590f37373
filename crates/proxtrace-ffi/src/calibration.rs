//! Per-device calibration for C and Java: the app knows its model (`Build.MANUFACTURER` /
//! `Build.MODEL` on Android, `utsname` elsewhere) and has a calibration table (Google's EN
//! CSV, shipped by its health authority or platform); these functions look the device up with
//! GAEN's fallbacks and give back the tracer configuration keys `tx_power_dbm`,
//! `rssi_correction_db` and `calibration_confidence`. Self-contained on purpose (own argument
//! helpers), so that it does not depend on the rest of the crate's internals.

use std::ffi::{CStr, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

use proxtrace::calibration::{CalibrationLookup, CalibrationTable};
use proxtrace::tracer::TracerConfig;

use crate::pt_result;

/// Record `message` as the calling thread's last error and return `code`.
fn fail(code: pt_result, message: &str) -> pt_result {
    crate::last_error::set(message);
    code
}

/// A failure: its code and message.
type Failed = (pt_result, String);

fn lookup(table: &[u8], manufacturer: &str, model: &str) -> Result<CalibrationLookup, Failed> {
    // No table: the uncalibrated defaults.
    if table.is_empty() {
        return Ok(CalibrationTable::default().lookup(manufacturer, model));
    }
    let t = CalibrationTable::parse(table)
        .map_err(|e| (pt_result::PT_INVALID_ARGUMENT, e.to_string()))?;
    Ok(t.lookup(manufacturer, model))
}

/// The JSON fragment of a lookup: the three tracer configuration keys only (where the values
/// come from is not a configuration key; see `out_basis`).
fn fragment(l: &CalibrationLookup) -> String {
    let c = l.calibration;
    format!(
        "{{\"tx_power_dbm\":{},\"rssi_correction_db\":{},\"calibration_confidence\":\"{}\"}}",
        c.tx_power_dbm, c.rssi_correction_db, c.confidence
    )
}

/// `config` (a tracer configuration JSON, empty for the defaults) with the device's
/// calibration applied; the configuration is validated.
pub(crate) fn apply(
    config: Option<&str>,
    table: &[u8],
    manufacturer: &str,
    model: &str,
) -> Result<String, Failed> {
    let l = lookup(table, manufacturer, model)?;
    let base: TracerConfig = match config.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => serde_json::from_str(c).map_err(|e| {
            (
                pt_result::PT_BAD_CONFIG,
                format!("tracer configuration: {e}"),
            )
        })?,
        None => TracerConfig::default(),
    };
    let cfg = base.with_calibration(l.calibration);
    cfg.validate()
        .map_err(|e| (pt_result::PT_BAD_CONFIG, e.to_string()))?;
    serde_json::to_string(&cfg).map_err(|e| (pt_result::PT_INTERNAL, e.to_string()))
}

/// # Safety
/// `p` is null or a NUL-terminated string.
unsafe fn text<'a>(p: *const c_char) -> Result<Option<&'a str>, pt_result> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: non-null and NUL-terminated per the caller's contract.
    unsafe { CStr::from_ptr(p) }
        .to_str()
        .map(Some)
        .map_err(|_| pt_result::PT_INVALID_ARGUMENT)
}

/// # Safety
/// `p` points to `len` readable bytes, or `len` is 0.
unsafe fn slice<'a>(p: *const u8, len: usize) -> Result<&'a [u8], pt_result> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(pt_result::PT_NULL_ARGUMENT);
    }
    // SAFETY: non-null with `len` readable bytes per the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// # Safety
/// `len` is valid for reads and writes; `buf` has `*len` writable bytes (or is null, `*len` 0).
unsafe fn out(data: &[u8], buf: *mut u8, len: *mut usize) -> pt_result {
    if len.is_null() {
        return pt_result::PT_NULL_ARGUMENT;
    }
    // SAFETY: `len` is non-null and valid per the caller's contract.
    let cap = unsafe { *len };
    // SAFETY: as above.
    unsafe { *len = data.len() };
    if cap < data.len() {
        return pt_result::PT_BUFFER_TOO_SMALL;
    }
    if buf.is_null() {
        return pt_result::PT_NULL_ARGUMENT;
    }
    // SAFETY: `buf` has at least `data.len()` writable bytes; Rust owns `data`, no overlap.
    unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), buf, data.len()) };
    pt_result::PT_OK
}

fn guarded(f: impl FnOnce() -> pt_result) -> pt_result {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(pt_result::PT_PANIC)
}

/// Look a device up in a calibration table (CSV bytes `table`, `table_len` of them, at most
/// 8 MiB; `table_len` 0 means no table: the uncalibrated defaults −24 dBm / −3 dB, confidence
/// `lowest`). `manufacturer` and `model` are what the platform reports (case and white space do
/// not matter; `SM-G981B/DS` finds `SM-G981B`). Writes UTF-8 JSON (no NUL) such as
/// `{"tx_power_dbm":-25,"rssi_correction_db":5,"calibration_confidence":"high"}` into
/// `(out_json, *out_len)` — the tracer configuration keys to put into the configuration given
/// to `pt_tracer_open` — and, when `out_basis` is not null, where the values come from: 0 the
/// model, 1 the model without its variant suffix, 2 the model under another manufacturer name,
/// 3 the manufacturer's average, 4 the table's average, 5 no table. A table that cannot be
/// read is `PT_INVALID_ARGUMENT`.
///
/// # Safety
/// `table` points to `table_len` readable bytes (or `table_len` is 0); `manufacturer` and
/// `model` are NUL-terminated strings; `out_len` is valid for reads and writes, `out_json` has
/// `*out_len` writable bytes; `out_basis` is null or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pt_calibration_lookup(
    table: *const u8,
    table_len: usize,
    manufacturer: *const c_char,
    model: *const c_char,
    out_json: *mut u8,
    out_len: *mut usize,
    out_basis: *mut u8,
) -> pt_result {
    guarded(|| {
        // SAFETY: per the caller's contract.
        let args = unsafe { (slice(table, table_len), text(manufacturer), text(model)) };
        let (t, Some(mf), Some(md)) = (match args {
            (Ok(t), Ok(a), Ok(b)) => (t, a, b),
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return e,
        }) else {
            return fail(
                pt_result::PT_NULL_ARGUMENT,
                "manufacturer and model are required",
            );
        };
        let l = match lookup(t, mf, md) {
            Ok(l) => l,
            Err((code, m)) => return fail(code, &m),
        };
        if !out_basis.is_null() {
            use proxtrace::calibration::CalibrationBasis as B;
            let b = match l.basis {
                B::Model => 0,
                B::ModelVariant => 1,
                B::ModelOtherManufacturer => 2,
                B::ManufacturerAverage => 3,
                B::FleetAverage => 4,
                _ => 5,
            };
            // SAFETY: non-null and valid for a write per the caller's contract.
            unsafe { *out_basis = b };
        }
        // SAFETY: per the caller's contract.
        unsafe { out(fragment(&l).as_bytes(), out_json, out_len) }
    })
}

/// A tracer configuration JSON (`config_json`, null or `""` for the defaults) with the device's
/// calibration applied (as `pt_calibration_lookup` finds it), validated, written as UTF-8 JSON
/// (no NUL) into `(out_json, *out_len)`, ready for `pt_tracer_open`. A bad configuration is
/// `PT_BAD_CONFIG`, a table that cannot be read `PT_INVALID_ARGUMENT`.
///
/// # Safety
/// As `pt_calibration_lookup`; `config_json` is null or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pt_calibration_apply(
    config_json: *const c_char,
    table: *const u8,
    table_len: usize,
    manufacturer: *const c_char,
    model: *const c_char,
    out_json: *mut u8,
    out_len: *mut usize,
) -> pt_result {
    guarded(|| {
        // SAFETY: per the caller's contract.
        let args = unsafe {
            (
                text(config_json),
                slice(table, table_len),
                text(manufacturer),
                text(model),
            )
        };
        let (c, t, Some(mf), Some(md)) = (match args {
            (Ok(c), Ok(t), Ok(a), Ok(b)) => (c, t, a, b),
            (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), _) | (.., Err(e)) => return e,
        }) else {
            return fail(
                pt_result::PT_NULL_ARGUMENT,
                "manufacturer and model are required",
            );
        };
        match apply(c, t, mf, md) {
            // SAFETY: per the caller's contract.
            Ok(json) => unsafe { out(json.as_bytes(), out_json, out_len) },
            Err((code, m)) => fail(code, &m),
        }
    })
}

/// `static native String calibrate(String configJson, byte[] table, String manufacturer,
/// String model)` of `org.proxtrace.Calibration`: [`pt_calibration_apply`] for Java.
#[cfg(feature = "jni")]
#[unsafe(no_mangle)]
#[allow(unreachable_pub)] // exported to the JVM by its symbol name
pub extern "system" fn Java_org_proxtrace_Calibration_calibrate<'l>(
    mut env: jni::EnvUnowned<'l>,
    _class: jni::objects::JClass<'l>,
    config: jni::objects::JString<'l>,
    table: jni::objects::JByteArray<'l>,
    manufacturer: jni::objects::JString<'l>,
    model: jni::objects::JString<'l>,
) -> jni::sys::jstring {
    use jni::errors::ThrowRuntimeExAndDefault;
    #[derive(Debug)]
    struct E(String);
    impl std::fmt::Display for E {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(&self.0)
        }
    }
    impl std::error::Error for E {}
    impl From<jni::errors::Error> for E {
        fn from(e: jni::errors::Error) -> Self {
            Self(format!("PT_INVALID_ARGUMENT: {e}"))
        }
    }
    env.with_env(|env| -> Result<jni::sys::jstring, E> {
        let config: Option<String> = if config.is_null() {
            None
        } else {
            Some(config.try_to_string(env)?)
        };
        let table: Vec<u8> = if table.is_null() {
            Vec::new()
        } else {
            env.convert_byte_array(&table)?
        };
        let mf: String = manufacturer.try_to_string(env)?;
        let md: String = model.try_to_string(env)?;
        let json = apply(config.as_deref(), &table, &mf, &md)
            .map_err(|(code, m)| E(format!("{code:?}: {m}")))?;
        Ok(env.new_string(json)?.into_raw())
    })
    .resolve::<ThrowRuntimeExAndDefault>()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &[u8] =
        b"oem,model,rssi correction,tx,has direct measurement\nSamsung,SM-G981B,5,-25,yes\n";

    #[test]
    fn lookup_and_apply_through_the_c_abi() {
        let mut buf = [0u8; 256];
        let mut len = buf.len();
        let mut basis = 9u8;
        // SAFETY: valid pointers and lengths.
        let r = unsafe {
            pt_calibration_lookup(
                TABLE.as_ptr(),
                TABLE.len(),
                c"samsung".as_ptr(),
                c"SM-G981B/DS".as_ptr(),
                buf.as_mut_ptr(),
                &mut len,
                &mut basis,
            )
        };
        assert_eq!(r, pt_result::PT_OK);
        assert_eq!(basis, 1);
        assert_eq!(
            std::str::from_utf8(&buf[..len]).unwrap(),
            r#"{"tx_power_dbm":-25,"rssi_correction_db":5,"calibration_confidence":"high"}"#
        );
        let json = apply(
            Some(r#"{"rotation_secs":900}"#),
            TABLE,
            "Samsung",
            "SM-G981B",
        )
        .unwrap();
        let c: TracerConfig = serde_json::from_str(&json).unwrap();
        assert_eq!((c.tx_power_dbm, c.rssi_correction_db), (-25, 5));
        assert_eq!(
            apply(Some("{"), TABLE, "a", "b").unwrap_err().0,
            pt_result::PT_BAD_CONFIG
        );
        let (code, message) = apply(None, b"nonsense", "a", "b").unwrap_err();
        assert_eq!(code, pt_result::PT_INVALID_ARGUMENT);
        assert!(message.contains("header"), "{message}");
        let mut small = 4usize;
        // SAFETY: valid pointers; the buffer is declared too small.
        let r = unsafe {
            pt_calibration_lookup(
                std::ptr::null(),
                0,
                c"x".as_ptr(),
                c"y".as_ptr(),
                buf.as_mut_ptr(),
                &mut small,
                std::ptr::null_mut(),
            )
        };
        assert_eq!(r, pt_result::PT_BUFFER_TOO_SMALL);
        assert!(small > 4);
    }
}
