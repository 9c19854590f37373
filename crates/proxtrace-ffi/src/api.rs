//! The exported `pt_tracer_*` functions.

use std::ffi::c_char;
use std::sync::Mutex;

use super::session::{Failure, Session};
use super::{bytes, guard, opt_str, pt_result, write_out};

/// An opaque tracer handle: a tracer whose key store and encounter log live in a directory.
/// Create with `pt_tracer_open`, release with `pt_tracer_free`. Usable from any thread; calls
/// on one handle are serialised.
pub struct pt_tracer {
    session: Mutex<Session>,
    last_error: Mutex<String>,
}

impl pt_tracer {
    fn record(&self, r: Result<(), Failure>) -> pt_result {
        match r {
            Ok(()) => pt_result::PT_OK,
            Err(f) => {
                if let Ok(mut e) = self.last_error.lock() {
                    *e = f.message;
                }
                f.code
            }
        }
    }
}

/// Borrow the tracer behind a handle.
///
/// # Safety
/// `t` is null or a handle from `pt_tracer_open` not yet freed.
unsafe fn tracer<'a>(t: *const pt_tracer) -> Result<&'a pt_tracer, pt_result> {
    // SAFETY: per the caller's contract the pointer is null or a live `Box<pt_tracer>`.
    unsafe { t.as_ref() }.ok_or(pt_result::PT_NULL_ARGUMENT)
}

/// Run `f` on the session of `t`, recording a failure as the last error.
///
/// # Safety
/// As [`tracer`].
unsafe fn with_session(
    t: *const pt_tracer,
    f: impl FnOnce(&mut Session) -> Result<(), Failure>,
) -> pt_result {
    // SAFETY: forwarded contract.
    let t = match unsafe { tracer(t) } {
        Ok(t) => t,
        Err(e) => return e,
    };
    let r = match t.session.lock() {
        Ok(mut s) => f(&mut s),
        Err(_) => return pt_result::PT_PANIC, // poisoned by an earlier panic
    };
    t.record(r)
}

/// Run `f` on the session of `t` and copy the bytes it returns into `(buf, *len)`.
///
/// # Safety
/// As [`tracer`]; `len` is null or valid for reads and writes; `buf` has `*len` writable bytes.
unsafe fn with_output(
    t: *const pt_tracer,
    buf: *mut u8,
    len: *mut usize,
    f: impl FnOnce(&mut Session) -> Result<Vec<u8>, Failure>,
) -> pt_result {
    if len.is_null() {
        return pt_result::PT_NULL_ARGUMENT;
    }
    let mut code = pt_result::PT_OK;
    // SAFETY: forwarded contract.
    let r = unsafe {
        with_session(t, |s| {
            let data = f(s)?;
            // SAFETY: `buf`/`len` per the caller's contract.
            code = write_out(&data, buf, len);
            Ok(())
        })
    };
    if r == pt_result::PT_OK { code } else { r }
}

/// A [`Session`] match method: input bytes and configuration JSON in, result JSON out.
type MatchFn = fn(&mut Session, &[u8], Option<&str>) -> Result<String, Failure>;

/// The shared body of the match functions: borrow the input and the configuration, run
/// `f`, write its JSON out.
///
/// # Safety
/// As [`with_output`]; `input` has `input_len` readable bytes; `config_json` is null or a C
/// string.
unsafe fn match_into(
    t: *const pt_tracer,
    input: *const u8,
    input_len: usize,
    config_json: *const c_char,
    buf: *mut u8,
    len: *mut usize,
    f: MatchFn,
) -> pt_result {
    if input.is_null() {
        return pt_result::PT_NULL_ARGUMENT;
    }
    // SAFETY: per the caller's contract.
    let (input, config) = match unsafe { (bytes(input, input_len), opt_str(config_json)) } {
        (Ok(i), Ok(c)) => (i, c),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    // SAFETY: per the caller's contract.
    unsafe { with_output(t, buf, len, |s| f(s, input, config).map(String::into_bytes)) }
}

/// Open (or create) the tracer in directory `dir` with a JSON configuration (`TracerConfig`;
/// null or `""` for the defaults) and store the handle in `*out_tracer`. A corrupt key store
/// or log is an error (`PT_CORRUPT_STORE`) and is left untouched.
///
/// # Safety
/// `dir` and `config_json` are null or NUL-terminated strings; `out_tracer` is null or valid
/// for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pt_tracer_open(
    dir: *const c_char,
    config_json: *const c_char,
    out_tracer: *mut *mut pt_tracer,
) -> pt_result {
    guard(|| {
        if out_tracer.is_null() {
            return pt_result::PT_NULL_ARGUMENT;
        }
        // SAFETY: `dir` and `config_json` are null or valid C strings per the contract.
        let (dir, config) = match unsafe { (opt_str(dir), opt_str(config_json)) } {
            (Ok(Some(d)), Ok(c)) => (d, c),
            (Ok(None), _) => return pt_result::PT_NULL_ARGUMENT,
            (Err(e), _) | (_, Err(e)) => return e,
        };
        match Session::open(dir, config) {
            Ok(s) => {
                let handle = Box::new(pt_tracer {
                    session: Mutex::new(s),
                    last_error: Mutex::new(String::new()),
                });
                // SAFETY: `out_tracer` is non-null and valid for a write per the contract.
                unsafe { *out_tracer = Box::into_raw(handle) };
                pt_result::PT_OK
            }
            Err(f) => f.code,
        }
    })
}

/// Release a tracer (flushing nothing: call `pt_tracer_handle_timeout`/`pt_tracer_flush`
/// first). `NULL` is a no-op.
///
/// # Safety
/// `t` is null or a handle from `pt_tracer_open` not yet freed; it must not be used after.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pt_tracer_free(t: *mut pt_tracer) {
    let _ = guard(|| {
        if !t.is_null() {
            // SAFETY: a live handle from `Box::into_raw`, freed exactly once per the contract.
            drop(unsafe { Box::from_raw(t) });
        }
        pt_result::PT_OK
    });
}

/// The payloads to broadcast at `now` (unix seconds) into `buf` (`*len` in: capacity; out:
/// length), as records `kind (1 byte) ‖ length (1 byte) ‖ data`: kind 1 = GAEN service data
/// for UUID 0xFD6F (20 bytes), kind 2 = Bluezone manufacturer data for company 0x22B5 (12
/// bytes). `*out_next_change` (may be null) receives when to call again and re-register with
/// a new random address. 36 bytes always suffice.
///
/// # Safety
/// `t` a live handle; `len` valid; `buf` has `*len` writable bytes; `out_next_change` null or
/// valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pt_tracer_advertisement(
    t: *const pt_tracer,
    now: u64,
    buf: *mut u8,
    len: *mut usize,
    out_next_change: *mut u64,
) -> pt_result {
    guard(|| {
        // SAFETY: `t`, `buf`, `len` per the contract.
        unsafe {
            with_output(t, buf, len, |s| {
                let (data, next) = s.advertisement(now)?;
                if !out_next_change.is_null() {
                    // SAFETY: non-null and valid for a write per the contract.
                    *out_next_change = next;
                }
                Ok(data)
            })
        }
    })
}

/// Hand in a received advertisement: its raw AD bytes (a legacy advertisement, Android's
/// 62-byte `ScanRecord.getBytes()`, or extended advertising data up to 254 bytes), RSSI in dBm
/// and when it was heard. Ordinary radio traffic is not an error: a foreign beacon returns
/// `PT_OK` (it is ignored). Errors are for what the app must act on (I/O, a refused time).
///
/// # Safety
/// `t` a live handle; `bytes` points to `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pt_tracer_handle_advertisement(
    t: *const pt_tracer,
    ad: *const u8,
    len: usize,
    rssi: i8,
    now: u64,
) -> pt_result {
    guard(|| {
        // SAFETY: `ad` has `len` readable bytes per the contract.
        let ad = match unsafe { bytes(ad, len) } {
            Ok(b) => b,
            Err(e) => return e,
        };
        // SAFETY: `t` per the contract.
        unsafe { with_session(t, |s| s.handle_advertisement(ad, rssi, now).map(drop)) }
    })
}

/// Let time pass (close scan instances into the log, sync it, roll keys over, expire old
/// data). Call at least at the time `pt_tracer_poll_timeout` gives.
///
/// # Safety
/// `t` a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pt_tracer_handle_timeout(t: *const pt_tracer, now: u64) -> pt_result {
    // SAFETY: `t` per the contract.
    guard(|| unsafe { with_session(t, |s| s.handle_timeout(now).map(drop)) })
}

/// Like `pt_tracer_handle_timeout`, and writes when to call again to `*out_next` (unix
/// seconds).
///
/// # Safety
/// `t` a live handle; `out_next` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pt_tracer_poll_timeout(
    t: *const pt_tracer,
    now: u64,
    out_next: *mut u64,
) -> pt_result {
    guard(|| {
        if out_next.is_null() {
            return pt_result::PT_NULL_ARGUMENT;
        }
        // SAFETY: `t` per the contract.
        unsafe {
            with_session(t, |s| {
                let next = s.handle_timeout(now)?;
                // SAFETY: non-null and valid per the contract.
                *out_next = next;
                Ok(())
            })
        }
    })
}

/// Close open scan instances and make the log durable (before the app is suspended).
///
/// # Safety
/// `t` a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pt_tracer_flush(t: *const pt_tracer, now: u64) -> pt_result {
    // SAFETY: `t` per the contract.
    guard(|| unsafe { with_session(t, |s| s.flush(now)) })
}

/// The keys a positive user uploads for `[from, to]` (unix seconds), as JSON
/// `{"gaen":[{"key_data":"<base64>","rolling_start_interval_number":N,"rolling_period":N}],
/// "f0":{"data":[…]}}`. The tracer re-keys at once. Too small a buffer → `PT_BUFFER_TOO_SMALL`
/// with the needed length; calling again returns the same keys.
///
/// # Safety
/// `t` a live handle; `len` valid; `buf` has `*len` writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pt_tracer_diagnosis_keys(
    t: *const pt_tracer,
    from: u64,
    to: u64,
    buf: *mut u8,
    len: *mut usize,
) -> pt_result {
    guard(|| {
        // SAFETY: `t`, `buf`, `len` per the contract.
        unsafe {
            with_output(t, buf, len, |s| {
                s.diagnosis_keys(from, to).map(String::into_bytes)
            })
        }
    })
}

/// Match a GAEN export zip against the log. `config_json` (null for defaults):
/// `{"public_keys":[{"pem":"…","key_id":"…","key_version":"…"}],"allow_unsigned":false,
/// "match":{…MatchConfig…}}`. The result (`MatchResult` JSON: `exposed`,
/// `exposure_windows`, `daily_summaries`) goes to `buf`.
///
/// # Safety
/// `t` a live handle; `zip` has `zip_len` readable bytes; `config_json` null or a C string;
/// `len` valid; `buf` has `*len` writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pt_tracer_match_export(
    t: *const pt_tracer,
    zip: *const u8,
    zip_len: usize,
    config_json: *const c_char,
    buf: *mut u8,
    len: *mut usize,
) -> pt_result {
    // SAFETY: per the contract.
    guard(|| unsafe {
        match_into(
            t,
            zip,
            zip_len,
            config_json,
            buf,
            len,
            Session::match_export,
        )
    })
}

/// Match a Bluezone F0 payload (`json`, `json_len` bytes) against the log; `config_json` as
/// for `pt_tracer_match_export` (only `match` applies). The result JSON goes to `buf`.
///
/// # Safety
/// As `pt_tracer_match_export`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pt_tracer_match_f0(
    t: *const pt_tracer,
    json: *const u8,
    json_len: usize,
    config_json: *const c_char,
    buf: *mut u8,
    len: *mut usize,
) -> pt_result {
    // SAFETY: per the contract.
    guard(|| unsafe { match_into(t, json, json_len, config_json, buf, len, Session::match_f0) })
}

/// The message of the last failure on this tracer (NUL-terminated, truncated to fit; empty if
/// none) into `buf` of `len` bytes.
///
/// # Safety
/// `t` a live handle; `buf` has `len` writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pt_tracer_last_error(
    t: *const pt_tracer,
    buf: *mut c_char,
    len: usize,
) -> pt_result {
    guard(|| {
        // SAFETY: `t` per the contract.
        let t = match unsafe { tracer(t) } {
            Ok(t) => t,
            Err(e) => return e,
        };
        if buf.is_null() || len == 0 {
            return pt_result::PT_NULL_ARGUMENT;
        }
        let msg = t.last_error.lock().map(|m| m.clone()).unwrap_or_default();
        let n = msg.len().min(len - 1);
        // SAFETY: `buf` has `len > n` writable bytes per the contract.
        unsafe {
            std::ptr::copy_nonoverlapping(msg.as_ptr(), buf.cast::<u8>(), n);
            *buf.add(n) = 0;
        }
        pt_result::PT_OK
    })
}
