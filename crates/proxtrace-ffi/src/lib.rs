//! The C ABI (feature `ffi`): opaque handles, result codes, caller-owned buffers.
//!
//! Conventions (as rustls-ffi): every function returns a [`pt_result`] (or nothing), never
//! panics across the boundary (a panic becomes [`pt_result::PT_PANIC`]), treats null or invalid
//! arguments as errors, and writes into caller-provided buffers whose length is passed in and
//! out (too small → [`pt_result::PT_BUFFER_TOO_SMALL`] and the needed length). Nothing
//! allocated by Rust is freed by C except through `pt_*_free`. Time is always an argument.
//!
//! A [`pt_tracer`] may be used from any thread; calls on one tracer are serialised by a mutex.
//! Header: `include/proxtrace.h` (cbindgen). Guide: `docs/embedding.md`.
#![allow(unsafe_code)]
#![allow(non_camel_case_types)]

mod api;
#[cfg(feature = "jni")]
pub mod jni;
pub(crate) mod session;

use std::ffi::{CStr, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

pub use api::{
    pt_tracer, pt_tracer_advertisement, pt_tracer_diagnosis_keys, pt_tracer_flush, pt_tracer_free,
    pt_tracer_handle_advertisement, pt_tracer_handle_timeout, pt_tracer_last_error,
    pt_tracer_match_export, pt_tracer_match_f0, pt_tracer_open, pt_tracer_poll_timeout,
};

/// Result codes. `PT_OK` is 0; every other value has a message from [`pt_result_message`].
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum pt_result {
    /// Success.
    PT_OK = 0,
    /// A required pointer argument was null.
    PT_NULL_ARGUMENT = 1,
    /// An argument is invalid (not UTF-8, out of range).
    PT_INVALID_ARGUMENT = 2,
    /// The output buffer is too small; the needed length was written to the length argument.
    PT_BUFFER_TOO_SMALL = 3,
    /// The configuration JSON is malformed or has values that cannot work.
    PT_BAD_CONFIG = 4,
    /// Reading or writing the tracer's directory failed.
    PT_IO = 5,
    /// The key store or the encounter log is corrupt (it is never replaced automatically).
    PT_CORRUPT_STORE = 6,
    /// The bytes are not a proximity advertisement.
    PT_NOT_AN_ADVERTISEMENT = 7,
    /// The export file is malformed.
    PT_BAD_EXPORT = 8,
    /// The export file's signature is missing, unknown or wrong.
    PT_BAD_SIGNATURE = 9,
    /// The F0 payload is malformed.
    PT_BAD_F0 = 10,
    /// A panic was caught (a bug in proxtrace); the tracer must not be used again.
    PT_PANIC = 11,
    /// Any other failure (see the tracer's last error).
    PT_INTERNAL = 12,
}

/// A static, NUL-terminated message for a result code (unknown codes included).
#[unsafe(no_mangle)]
pub extern "C" fn pt_result_message(code: u32) -> *const c_char {
    let s: &'static CStr = match code {
        0 => c"ok",
        1 => c"a required pointer argument was null",
        2 => c"an argument is invalid (not UTF-8 or out of range)",
        3 => c"the output buffer is too small; the needed length was written to the length argument",
        4 => c"the configuration JSON is malformed or has values that cannot work",
        5 => c"reading or writing the tracer directory failed",
        6 => c"the key store or encounter log is corrupt; it was not replaced, restore it from a backup",
        7 => c"the bytes are not a GAEN or Bluezone advertisement",
        8 => c"the export file is malformed",
        9 => c"the export file's signature is missing, from an unknown key, or wrong",
        10 => c"the F0 payload is malformed",
        11 => c"a panic was caught inside proxtrace (a bug); do not use this tracer again",
        12 => c"internal error; see pt_tracer_last_error",
        _ => c"unknown result code",
    };
    s.as_ptr()
}

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
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(pt_result::PT_PANIC)
}

/// Borrow a C string as UTF-8; `Ok(None)` for null.
///
/// # Safety
/// `p` is null or points to a NUL-terminated string valid for the call.
unsafe fn opt_str<'a>(p: *const c_char) -> Result<Option<&'a str>, pt_result> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: non-null and NUL-terminated per the caller's contract.
    let c = unsafe { CStr::from_ptr(p) };
    c.to_str()
        .map(Some)
        .map_err(|_| pt_result::PT_INVALID_ARGUMENT)
}

/// Borrow `len` bytes; null is an error unless `len` is 0.
///
/// # Safety
/// `p` points to `len` readable bytes (or `len` is 0).
unsafe fn bytes<'a>(p: *const u8, len: usize) -> Result<&'a [u8], pt_result> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(pt_result::PT_NULL_ARGUMENT);
    }
    // SAFETY: non-null, `len` readable bytes per the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// Copy `data` into the caller's buffer `(buf, *len)`, setting `*len` to the length written
/// or, when too small, the length needed.
///
/// # Safety
/// `len` is valid for reads and writes; `buf` points to `*len` writable bytes (or is null
/// with `*len` 0).
unsafe fn write_out(data: &[u8], buf: *mut u8, len: *mut usize) -> pt_result {
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
    if data.is_empty() {
        return pt_result::PT_OK;
    }
    if buf.is_null() {
        return pt_result::PT_NULL_ARGUMENT;
    }
    // SAFETY: `buf` has `cap ≥ data.len()` writable bytes and cannot overlap `data` (Rust-owned).
    unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), buf, data.len()) };
    pt_result::PT_OK
}
