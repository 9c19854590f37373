//! Error messages: the thread-local last error (`pt_last_error`, readable after a failed
//! `pt_tracer_open`, which has no handle) and copying a message into a caller's buffer.

use std::cell::RefCell;
use std::ffi::c_char;

use super::{guard, pt_result};

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Remember `message` as the calling thread's last error.
pub(crate) fn set(message: &str) {
    LAST_ERROR.with(|e| {
        let mut e = e.borrow_mut();
        e.clear();
        e.push_str(message);
    });
}

/// The longest prefix of `s` that fits in `max` bytes and ends on a character boundary.
pub(crate) fn truncated(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1; // terminates: 0 is a boundary
    }
    &s[..end]
}

/// Copy `message` into `(buf, len)` as a NUL-terminated string, cut on a UTF-8 character
/// boundary when it does not fit (never in the middle of a character).
///
/// # Safety
/// `buf` is null or has `len` writable bytes.
pub(crate) unsafe fn write_message(message: &str, buf: *mut c_char, len: usize) -> pt_result {
    if buf.is_null() || len == 0 {
        return pt_result::PT_NULL_ARGUMENT;
    }
    let m = truncated(message, len - 1);
    // SAFETY: `buf` has `len > m.len()` writable bytes per the caller's contract, and cannot
    // overlap `m` (Rust-owned).
    unsafe {
        std::ptr::copy_nonoverlapping(m.as_ptr(), buf.cast::<u8>(), m.len());
        *buf.add(m.len()) = 0;
    }
    pt_result::PT_OK
}

/// The message of the last call on this thread that failed (any `pt_*` function, including a
/// `pt_tracer_open` that returned no handle), NUL-terminated into `buf` of `len` bytes and
/// cut on a UTF-8 character boundary to fit; empty if no call on this thread has failed.
/// Successful calls leave it as it is. Returns `PT_NULL_ARGUMENT` if `buf` is null or `len`
/// is 0.
///
/// # Safety
/// `buf` is null or has `len` writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pt_last_error(buf: *mut c_char, len: usize) -> pt_result {
    guard(|| {
        // SAFETY: per the contract. Not recorded as a failure: that would overwrite the
        // message being read.
        LAST_ERROR.with(|e| unsafe { write_message(&e.borrow(), buf, len) })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(len: usize) -> (pt_result, Vec<u8>) {
        let mut buf = vec![0x7f_u8; len];
        // SAFETY: `buf` has `len` writable bytes.
        let r = unsafe { pt_last_error(buf.as_mut_ptr().cast(), len) };
        (r, buf)
    }

    #[test]
    fn truncation_never_cuts_a_character() {
        // "é" is 2 bytes, "€" 3, "𝄞" 4: every cut point inside them backs off.
        let s = "aé€𝄞z";
        for max in 0..=s.len() + 1 {
            let t = truncated(s, max);
            assert!(t.len() <= max);
            assert!(s.starts_with(t));
            assert!(std::str::from_utf8(t.as_bytes()).is_ok());
            // The longest such prefix.
            let next = s[t.len()..].chars().next().map_or(0, char::len_utf8);
            assert!(t.len() == s.len() || t.len() + next > max);
        }
    }

    #[test]
    fn the_thread_local_message_is_cut_on_a_boundary_and_nul_terminated() {
        set("tracer dir /données/€: busy");
        // Room for "tracer dir /donn" (16 bytes) and a NUL: "é" does not fit whole.
        let (r, buf) = read(18);
        assert_eq!(r, pt_result::PT_OK);
        let end = buf.iter().position(|&b| b == 0).unwrap();
        assert_eq!(&buf[..end], b"tracer dir /donn");
        let (r, _) = read(0);
        assert_eq!(r, pt_result::PT_NULL_ARGUMENT);
        // SAFETY: null is allowed and refused.
        let r = unsafe { pt_last_error(std::ptr::null_mut(), 10) };
        assert_eq!(r, pt_result::PT_NULL_ARGUMENT);
        // Another thread has its own (empty) message.
        let other = std::thread::spawn(|| read(8).1[0]).join().unwrap();
        assert_eq!(other, 0);
    }
}
