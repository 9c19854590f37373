//! The C ABI of proxtrace: opaque handles, result codes, caller-owned buffers — and, with
//! feature `jni`, the Android JNI layer on the same core.
//!
//! Conventions (as rustls-ffi): every function returns a [`pt_result`] (or nothing), never
//! panics across the boundary (a panic becomes [`pt_result::PT_PANIC`]), treats null or invalid
//! arguments as errors, and writes into caller-provided buffers whose length is passed in and
//! out (too small → [`pt_result::PT_BUFFER_TOO_SMALL`] and the needed length). Every failure
//! leaves a message, readable on the calling thread with [`pt_last_error`] (also after a
//! failed [`pt_tracer_open`]) and on the handle with [`pt_tracer_last_error`]. Nothing
//! allocated by Rust is freed by C except through `pt_tracer_close` / `pt_tracer_free`. Time
//! is always an argument (unix seconds).
//!
//! A [`pt_tracer`] may be used from any thread; calls on one tracer are serialised by a mutex.
//! Header: `include/proxtrace.h` (cbindgen). Guide: `docs/embedding.md`.
#![allow(unsafe_code)]
#![allow(non_camel_case_types)]

mod api;
mod calibration;
mod event;
#[cfg(feature = "jni")]
pub mod jni;
mod last_error;
mod matching;
mod receive;
mod result;
pub(crate) mod session;

use std::ffi::{CStr, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

pub use api::{
    pt_tracer, pt_tracer_advertisement, pt_tracer_close, pt_tracer_diagnosis_keys,
    pt_tracer_diagnosis_keys_at, pt_tracer_flush, pt_tracer_free, pt_tracer_handle_timeout,
    pt_tracer_last_error, pt_tracer_log_stats, pt_tracer_open, pt_tracer_poll_event,
    pt_tracer_poll_timeout,
};
pub use calibration::{pt_calibration_apply, pt_calibration_lookup};
pub use event::{PT_TX_POWER_UNKNOWN, pt_event, pt_event_kind, pt_ignored, pt_scheme};
pub use last_error::pt_last_error;
pub use matching::{pt_tracer_match_export, pt_tracer_match_exports, pt_tracer_match_f0};
pub use receive::{
    pt_tracer_handle_advertisement, pt_tracer_handle_advertising_data,
    pt_tracer_handle_gatt_identifier, pt_tracer_handle_manufacturer_data,
    pt_tracer_handle_service_data, pt_tracer_handle_service_uuid,
};
pub use result::{pt_result, pt_result_message};

use result::Failure;

/// The library version, a static NUL-terminated string such as `"0.1.0"`.
#[unsafe(no_mangle)]
pub extern "C" fn pt_version() -> *const c_char {
    const V: &CStr =
        match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
            Ok(v) => v,
            Err(_) => c"unknown",
        };
    V.as_ptr()
}

/// Run `f`, turning a panic into `PT_PANIC`.
fn guard(f: impl FnOnce() -> pt_result) -> pt_result {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| {
        last_error::set(&pt_result::PT_PANIC.message().to_string_lossy());
        pt_result::PT_PANIC
    })
}

/// Run `f` behind the panic boundary; a failure's message becomes the thread's last error.
fn call(f: impl FnOnce() -> Result<(), Failure>) -> pt_result {
    guard(|| match f() {
        Ok(()) => pt_result::PT_OK,
        Err(e) => {
            last_error::set(&e.message);
            e.code
        }
    })
}

/// Borrow a C string as UTF-8; `Ok(None)` for null.
///
/// # Safety
/// `p` is null or points to a NUL-terminated string valid for the call.
unsafe fn opt_str<'a>(p: *const c_char, name: &str) -> Result<Option<&'a str>, Failure> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: non-null and NUL-terminated per the caller's contract.
    let c = unsafe { CStr::from_ptr(p) };
    c.to_str()
        .map(Some)
        .map_err(|e| Failure::invalid(format!("{name} is not UTF-8 ({e})")))
}

/// Borrow `len` bytes; null is an error unless `len` is 0.
///
/// # Safety
/// `p` points to `len` readable bytes (or `len` is 0).
unsafe fn bytes<'a>(p: *const u8, len: usize, name: &str) -> Result<&'a [u8], Failure> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(Failure::null(name));
    }
    // SAFETY: non-null, `len` readable bytes per the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// Write `value` through `out` if it is not null.
///
/// # Safety
/// `out` is null or valid for a write of `T`.
unsafe fn write_opt<T>(out: *mut T, value: T) {
    if !out.is_null() {
        // SAFETY: non-null and valid for a write per the caller's contract.
        unsafe { out.write(value) };
    }
}

/// Copy `data` into the caller's buffer `(buf, *len)`, setting `*len` to the length written
/// or, when too small, the length needed.
///
/// # Safety
/// `len` is null or valid for reads and writes; `buf` points to `*len` writable bytes (or is
/// null).
unsafe fn write_out(data: &[u8], buf: *mut u8, len: *mut usize) -> Result<(), Failure> {
    if len.is_null() {
        return Err(Failure::null("len"));
    }
    // SAFETY: `len` is non-null and valid per the caller's contract.
    let cap = unsafe { *len };
    // SAFETY: as above.
    unsafe { *len = data.len() };
    if cap < data.len() {
        return Err(Failure::new(
            pt_result::PT_BUFFER_TOO_SMALL,
            format!(
                "the buffer holds {cap} bytes and {} are needed (written to *len); call again with a larger buffer",
                data.len()
            ),
        ));
    }
    if data.is_empty() {
        return Ok(());
    }
    if buf.is_null() {
        return Err(Failure::null("buf"));
    }
    // SAFETY: `buf` has `cap ≥ data.len()` writable bytes and cannot overlap `data` (Rust-owned).
    unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), buf, data.len()) };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_pt_panic_with_a_message() {
        let r = call(|| panic!("a bug"));
        assert_eq!(r, pt_result::PT_PANIC);
        let mut buf = [0u8; 200];
        // SAFETY: `buf` has 200 writable bytes.
        unsafe { pt_last_error(buf.as_mut_ptr().cast(), buf.len()) };
        let m = CStr::from_bytes_until_nul(&buf).unwrap().to_str().unwrap();
        assert!(m.contains("panic"), "{m}");
    }
}
