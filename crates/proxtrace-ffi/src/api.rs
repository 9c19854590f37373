//! The handle and the lifecycle, advertising, time and report functions.

use std::ffi::c_char;
use std::sync::Mutex;

use zeroize::Zeroizing;

use super::event::pt_event;
use super::last_error::write_message;
use super::result::{Failure, pt_result};
use super::session::Session;
use super::{call, guard, opt_str, write_opt, write_out};

/// An opaque tracer handle: a tracer whose key store and encounter log live in a directory,
/// which it holds locked until it is closed. Create with `pt_tracer_open`, release with
/// `pt_tracer_close` (or `pt_tracer_free`). Usable from any thread; calls on one handle are
/// serialised.
pub struct pt_tracer {
    session: Mutex<Session>,
    last_error: Mutex<String>,
}

/// Borrow the tracer behind a handle.
///
/// # Safety
/// `t` is null or a handle from `pt_tracer_open` not yet freed.
unsafe fn tracer<'a>(t: *const pt_tracer) -> Result<&'a pt_tracer, Failure> {
    // SAFETY: per the caller's contract the pointer is null or a live `Box<pt_tracer>`.
    unsafe { t.as_ref() }.ok_or_else(|| Failure::null("the tracer handle"))
}

/// Run `f` on the session of `t`; a failure is also recorded as the tracer's last error.
///
/// # Safety
/// As [`tracer`].
pub(crate) unsafe fn with_session<T>(
    t: *const pt_tracer,
    f: impl FnOnce(&mut Session) -> Result<T, Failure>,
) -> Result<T, Failure> {
    // SAFETY: forwarded contract.
    let t = unsafe { tracer(t) }?;
    let r = match t.session.lock() {
        Ok(mut s) => f(&mut s),
        Err(_) => Err(Failure::from(pt_result::PT_PANIC)), // poisoned by an earlier panic
    };
    if let Err(e) = &r
        && let Ok(mut last) = t.last_error.lock()
    {
        last.clone_from(&e.message);
    }
    r
}

/// Run `f` on the session of `t` and copy the bytes it returns into `(buf, *len)`.
///
/// # Safety
/// As [`tracer`]; `len` is null or valid for reads and writes; `buf` has `*len` writable bytes.
pub(crate) unsafe fn with_output(
    t: *const pt_tracer,
    buf: *mut u8,
    len: *mut usize,
    f: impl FnOnce(&mut Session) -> Result<Vec<u8>, Failure>,
) -> Result<(), Failure> {
    if len.is_null() {
        return Err(Failure::null("len"));
    }
    // SAFETY: forwarded contract.
    unsafe {
        with_session(t, |s| {
            let data = f(s)?;
            // SAFETY: `buf`/`len` per the caller's contract.
            write_out(&data, buf, len)
        })
    }
}

/// Open (or create) the tracer in directory `dir` with a JSON configuration (`TracerConfig`,
/// see `docs/embedding.md`; null or `""` for the defaults) and store the handle in
/// `*out_tracer`. Nothing is written until the first call that carries the time; matching
/// works at once. Fails with:
/// `PT_BUSY` if the directory is open elsewhere (another handle, in this or another process);
/// `PT_WRONG_KEY` if `storage_key` does not fit the directory; `PT_CORRUPT_STORE` for a
/// corrupt key store or log (left untouched); `PT_BAD_CONFIG`; `PT_IO`. The message (naming
/// the directory) is readable with `pt_last_error` on the same thread.
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
    call(|| {
        if out_tracer.is_null() {
            return Err(Failure::null("out_tracer"));
        }
        // SAFETY: `dir` and `config_json` are null or valid C strings per the contract.
        let dir = unsafe { opt_str(dir, "dir") }?.ok_or_else(|| Failure::null("dir"))?;
        // SAFETY: as above.
        let config = unsafe { opt_str(config_json, "config_json") }?;
        let s = Session::open(dir, config)?;
        let handle = Box::new(pt_tracer {
            session: Mutex::new(s),
            last_error: Mutex::new(String::new()),
        });
        // SAFETY: `out_tracer` is non-null and valid for a write per the contract.
        unsafe { *out_tracer = Box::into_raw(handle) };
        Ok(())
    })
}

/// Release a tracer and its directory lock, flushing nothing (pending sightings of open
/// scan instances are lost: prefer `pt_tracer_close`). `NULL` is a no-op.
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

/// Flush (close every open scan instance into the log and make it durable), then release the
/// tracer and its directory lock. The handle is released even when the flush fails (the
/// result says so, `PT_IO`). `NULL` is a no-op returning `PT_OK`.
///
/// # Safety
/// `t` is null or a handle from `pt_tracer_open` not yet freed; it must not be used after.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pt_tracer_close(t: *mut pt_tracer) -> pt_result {
    call(|| {
        if t.is_null() {
            return Ok(());
        }
        // SAFETY: a live handle from `Box::into_raw`, freed exactly once per the contract.
        let handle = unsafe { Box::from_raw(t) };
        match handle.session.into_inner() {
            Ok(mut s) => s.flush_now(),
            Err(_) => Err(Failure::from(pt_result::PT_PANIC)),
        }
    })
}

/// The payloads to broadcast at `now` (unix seconds) into `buf` (`*len` in: capacity; out:
/// length), as records `kind (1 byte) ‖ length (1 byte) ‖ data`: kind 1 = GAEN service data
/// for UUID 0xFD6F (20 bytes), kind 2 = Bluezone manufacturer data for company 0x22B5 (12
/// bytes). Broadcast each record as its own legacy advertisement (both together do not fit
/// the 31 bytes of one): one advertising set per record. `*out_next_change` (may be null)
/// receives when to call again and re-register every set with a new random address. 36
/// bytes always suffice.
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
    call(|| {
        // SAFETY: `t`, `buf`, `len` per the contract.
        unsafe {
            with_output(t, buf, len, |s| {
                let (data, next) = s.advertisement(now)?;
                // SAFETY: null or valid for a write per the contract.
                write_opt(out_next_change, next);
                Ok(data)
            })
        }
    })
}

/// Let time pass (close scan instances into the log, sync it, roll keys over, expire old
/// data). Call at least at the time `pt_tracer_poll_timeout` gives. A time in milliseconds,
/// outside 2000–2105 or more than `max_clock_skew_secs` from the tracer's clock is refused
/// (`PT_INVALID_ARGUMENT`) and changes nothing.
///
/// # Safety
/// `t` a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pt_tracer_handle_timeout(t: *const pt_tracer, now: u64) -> pt_result {
    // SAFETY: `t` per the contract.
    call(|| unsafe { with_session(t, |s| s.handle_timeout(now).map(drop)) })
}

/// Like `pt_tracer_handle_timeout`, and writes when to call again to `*out_next` (unix
/// seconds; never before `now`).
///
/// # Safety
/// `t` a live handle; `out_next` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pt_tracer_poll_timeout(
    t: *const pt_tracer,
    now: u64,
    out_next: *mut u64,
) -> pt_result {
    call(|| {
        if out_next.is_null() {
            return Err(Failure::null("out_next"));
        }
        // SAFETY: `t` per the contract; `out_next` non-null and valid.
        unsafe {
            let next = with_session(t, |s| s.handle_timeout(now))?;
            *out_next = next;
        }
        Ok(())
    })
}

/// Close open scan instances and make the log durable (before the app is suspended).
///
/// # Safety
/// `t` a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pt_tracer_flush(t: *const pt_tracer, now: u64) -> pt_result {
    // SAFETY: `t` per the contract.
    call(|| unsafe { with_session(t, |s| s.flush(now)) })
}

/// The next housekeeping event into `*out_event`: `PT_EVENT_KEYS_ROLLED`, `PT_EVENT_EXPIRED`,
/// `PT_EVENT_ADVERTISE` (re-register the advertisements), `PT_EVENT_EVENTS_DROPPED`; kind
/// `PT_EVENT_NONE` when there is none. Events pile up from every call that takes the time; at
/// most 256 are kept (older ones are dropped and counted). Receptions' events are not queued:
/// each `pt_tracer_handle_*` call returns its own.
///
/// # Safety
/// `t` a live handle; `out_event` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pt_tracer_poll_event(
    t: *const pt_tracer,
    out_event: *mut pt_event,
) -> pt_result {
    call(|| {
        if out_event.is_null() {
            return Err(Failure::null("out_event"));
        }
        // SAFETY: `t` per the contract; `out_event` non-null and valid.
        unsafe {
            let e = with_session(t, |s| Ok(s.poll_event()))?;
            out_event.write(e);
        }
        Ok(())
    })
}

/// The encounter log's figures as JSON (`{"records":N,"distinct_identifiers":N,
/// "first_seen":T,"last_seen":T,"bytes_used":N,"capacity_bytes":N,"encrypted":B,…}`) into
/// `buf`: what the log holds durably (open scan instances join it at a flush).
///
/// # Safety
/// `t` a live handle; `len` valid; `buf` has `*len` writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pt_tracer_log_stats(
    t: *const pt_tracer,
    buf: *mut u8,
    len: *mut usize,
) -> pt_result {
    // SAFETY: `t`, `buf`, `len` per the contract.
    call(|| unsafe { with_output(t, buf, len, |s| s.log_stats().map(String::into_bytes)) })
}

/// The shared body of the report calls: deliver the JSON, or hold it for the retry.
///
/// # Safety
/// As [`with_output`].
unsafe fn report_into(
    t: *const pt_tracer,
    buf: *mut u8,
    len: *mut usize,
    f: impl FnOnce(&mut Session) -> Result<Zeroizing<String>, Failure>,
) -> Result<(), Failure> {
    if len.is_null() {
        return Err(Failure::null("len"));
    }
    // SAFETY: forwarded contract.
    unsafe {
        with_session(t, |s| {
            let json = f(s)?;
            // SAFETY: `buf`/`len` per the caller's contract.
            let r = write_out(json.as_bytes(), buf, len);
            if r.is_err() {
                s.hold_report(json);
            }
            r
        })
    }
}

/// The keys a positive user uploads for `[from, to]` (unix seconds; `to` is clamped to the
/// tracer's clock, so `UINT64_MAX` means "up to now"), as JSON
/// `{"report_time":N,"gaen":[{"key_data":"<base64>","rolling_start_interval_number":N,
/// "rolling_period":N}],"f0":{"data":[…]}}` (`f0` last: the Bluezone F0 payload to upload). The tracer re-keys at once (a `PT_EVENT_ADVERTISE`
/// follows: re-register the advertisements), so nothing broadcast after the report links to
/// it.
///
/// Every retry returns the same keys, never the fresh ones: a call whose `from` is before the
/// last report's `report_time` returns that report again, whatever its `to` and however much
/// time passed (while the handle stays open); after `PT_BUFFER_TOO_SMALL` (or any failure to
/// deliver) the next call returns the undelivered report whatever its arguments. A later,
/// new report passes `from` ≥ the previous `report_time`. Needs the time: right after open,
/// hand it in first (`pt_tracer_handle_timeout`) or use `pt_tracer_diagnosis_keys_at`;
/// otherwise `PT_INVALID_ARGUMENT`.
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
    // SAFETY: `t`, `buf`, `len` per the contract.
    call(|| unsafe { report_into(t, buf, len, |s| s.diagnosis_keys(from, to)) })
}

/// `pt_tracer_diagnosis_keys` after handing in the current time `now` (as
/// `pt_tracer_handle_timeout` would): works right after open.
///
/// # Safety
/// As `pt_tracer_diagnosis_keys`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pt_tracer_diagnosis_keys_at(
    t: *const pt_tracer,
    now: u64,
    from: u64,
    to: u64,
    buf: *mut u8,
    len: *mut usize,
) -> pt_result {
    // SAFETY: `t`, `buf`, `len` per the contract.
    call(|| unsafe { report_into(t, buf, len, |s| s.diagnosis_keys_at(now, from, to)) })
}

/// The message of the last failure on this tracer (NUL-terminated, cut on a UTF-8 character
/// boundary to fit; empty if none) into `buf` of `len` bytes. `pt_last_error` gives the
/// calling thread's last failure, with or without a handle.
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
            Err(e) => return e.code,
        };
        let msg = t.last_error.lock().map(|m| m.clone()).unwrap_or_default();
        // SAFETY: `buf` has `len` writable bytes per the contract.
        unsafe { write_message(&msg, buf, len) }
    })
}
