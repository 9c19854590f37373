//! The match functions: GAEN export files (one, or a batch set) and Bluezone F0 payloads.

use std::ffi::c_char;

use super::api::with_output;
use super::result::Failure;
use super::session::Session;
use super::{bytes, call, opt_str, pt_result, pt_tracer};

/// A [`Session`] match method: input bytes and configuration JSON in, result JSON out.
type MatchFn = fn(&mut Session, &[u8], Option<&str>) -> Result<String, Failure>;

/// The shared body of the single-input match functions: borrow the input and the
/// configuration, run `f`, write its JSON out.
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
    call(|| {
        if input.is_null() {
            return Err(Failure::null("the input"));
        }
        // SAFETY: per the caller's contract.
        let input = unsafe { bytes(input, input_len, "the input") }?;
        // SAFETY: per the caller's contract.
        let config = unsafe { opt_str(config_json, "config_json") }?;
        // SAFETY: per the caller's contract.
        unsafe { with_output(t, buf, len, |s| f(s, input, config).map(String::into_bytes)) }
    })
}

/// Match a GAEN export zip against the log (right after open too). `config_json` (null for
/// defaults): `{"public_keys":[{"pem":"…","key_id":"…","key_version":"…"}],
/// "allow_unsigned":false,"match":{…MatchConfig…}}`. The result (`MatchResult` JSON:
/// `exposed`, `exposure_windows`, `daily_summaries`) goes to `buf`.
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
    unsafe {
        match_into(
            t,
            zip,
            zip_len,
            config_json,
            buf,
            len,
            Session::match_export,
        )
    }
}

/// Match a batch of GAEN export zips (a day's batch set, at most 1024 files) in one pass:
/// `zips[i]` has `zip_lens[i]` bytes. Every file must parse and verify, or nothing is matched
/// and the last error names the file (`export file 2 of 3: …`). `config_json` and the result
/// as for `pt_tracer_match_export`: one `MatchResult` over the keys of all files.
///
/// # Safety
/// `t` a live handle; `zips` and `zip_lens` have `count` elements (both may be null when
/// `count` is 0) and each `zips[i]` has `zip_lens[i]` readable bytes; `config_json` null or a
/// C string; `len` valid; `buf` has `*len` writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pt_tracer_match_exports(
    t: *const pt_tracer,
    zips: *const *const u8,
    zip_lens: *const usize,
    count: usize,
    config_json: *const c_char,
    buf: *mut u8,
    len: *mut usize,
) -> pt_result {
    call(|| {
        if count > 0 && (zips.is_null() || zip_lens.is_null()) {
            return Err(Failure::null(if zips.is_null() {
                "zips"
            } else {
                "zip_lens"
            }));
        }
        if count > super::session::MAX_BATCH_FILES {
            return Err(Failure::invalid(format!(
                "count is {count}; at most {} export files per call (split the batch)",
                super::session::MAX_BATCH_FILES
            )));
        }
        let mut files = Vec::with_capacity(count);
        for i in 0..count {
            // SAFETY: `zips` and `zip_lens` have `count` elements per the contract.
            let (p, n) = unsafe { (*zips.add(i), *zip_lens.add(i)) };
            if p.is_null() {
                return Err(Failure::null(&format!("zips[{i}]")));
            }
            // SAFETY: `zips[i]` has `zip_lens[i]` readable bytes per the contract.
            files.push(unsafe { bytes(p, n, "zips[i]") }?);
        }
        // SAFETY: per the contract.
        let config = unsafe { opt_str(config_json, "config_json") }?;
        // SAFETY: per the contract.
        unsafe {
            with_output(t, buf, len, |s| {
                s.match_exports(&files, config).map(String::into_bytes)
            })
        }
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
    unsafe { match_into(t, json, json_len, config_json, buf, len, Session::match_f0) }
}
