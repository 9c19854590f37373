//! Result codes: one enum is the single source of truth. The header's constants come from it
//! (cbindgen), the code names from its derived `Debug`, and the messages from
//! [`pt_result::message`], an exhaustive `match` — a new code without a message does not
//! compile. [`pt_result::ALL`] lists every code in order; a test checks it against the
//! header and `docs/embedding.md`.

use std::ffi::{CStr, c_char};

/// Result codes. `PT_OK` is 0; every other value has a message from `pt_result_message`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum pt_result {
    /// Success.
    PT_OK = 0,
    /// A required pointer argument was null.
    PT_NULL_ARGUMENT = 1,
    /// An argument is invalid (not UTF-8, out of range, a refused time).
    PT_INVALID_ARGUMENT = 2,
    /// The output buffer is too small; the needed length was written to the length argument.
    PT_BUFFER_TOO_SMALL = 3,
    /// The configuration JSON is malformed or has values that cannot work.
    PT_BAD_CONFIG = 4,
    /// Reading or writing the tracer's directory failed.
    PT_IO = 5,
    /// The key store or the encounter log is corrupt (it is never replaced automatically).
    PT_CORRUPT_STORE = 6,
    /// Reserved: no longer returned (a foreign beacon is `PT_OK` with `PT_EVENT_IGNORED`).
    PT_NOT_AN_ADVERTISEMENT = 7,
    /// The export file is malformed.
    PT_BAD_EXPORT = 8,
    /// The export file's signature is missing, unknown or wrong.
    PT_BAD_SIGNATURE = 9,
    /// The F0 payload is malformed.
    PT_BAD_F0 = 10,
    /// A panic was caught (a bug in proxtrace); the tracer must not be used again.
    PT_PANIC = 11,
    /// Any other failure (see the last error).
    PT_INTERNAL = 12,
    /// The directory is in use by another open tracer (in this process or another); nothing
    /// was read or changed.
    PT_BUSY = 13,
    /// The directory is sealed with another storage key, or sealed and no `storage_key` was
    /// given, or was created without one; nothing was read or changed.
    PT_WRONG_KEY = 14,
}

impl pt_result {
    /// Every code, in order of value (`ALL[c] as u32 == c`).
    pub(crate) const ALL: [pt_result; 15] = [
        Self::PT_OK,
        Self::PT_NULL_ARGUMENT,
        Self::PT_INVALID_ARGUMENT,
        Self::PT_BUFFER_TOO_SMALL,
        Self::PT_BAD_CONFIG,
        Self::PT_IO,
        Self::PT_CORRUPT_STORE,
        Self::PT_NOT_AN_ADVERTISEMENT,
        Self::PT_BAD_EXPORT,
        Self::PT_BAD_SIGNATURE,
        Self::PT_BAD_F0,
        Self::PT_PANIC,
        Self::PT_INTERNAL,
        Self::PT_BUSY,
        Self::PT_WRONG_KEY,
    ];

    /// The code for a value, if there is one.
    pub(crate) fn from_code(code: u32) -> Option<Self> {
        Self::ALL
            .get(usize::try_from(code).ok()?)
            .copied()
            .filter(|r| *r as u32 == code)
    }

    /// What the code means and what to do about it.
    pub(crate) fn message(self) -> &'static CStr {
        match self {
            Self::PT_OK => c"ok",
            Self::PT_NULL_ARGUMENT => c"a required pointer argument was null",
            Self::PT_INVALID_ARGUMENT => {
                c"an argument is invalid (not UTF-8, out of range, or a refused time); see the last error"
            }
            Self::PT_BUFFER_TOO_SMALL => {
                c"the output buffer is too small; the needed length was written to the length argument"
            }
            Self::PT_BAD_CONFIG => {
                c"the configuration JSON is malformed or has values that cannot work; the last error names the field"
            }
            Self::PT_IO => c"reading or writing the tracer directory failed",
            Self::PT_CORRUPT_STORE => {
                c"the key store or encounter log is corrupt; it was not replaced, restore it from a backup"
            }
            Self::PT_NOT_AN_ADVERTISEMENT => {
                c"the bytes are not a GAEN or Bluezone advertisement (no longer returned)"
            }
            Self::PT_BAD_EXPORT => c"the export file is malformed",
            Self::PT_BAD_SIGNATURE => {
                c"the export file's signature is missing, from an unknown key, or wrong"
            }
            Self::PT_BAD_F0 => c"the F0 payload is malformed",
            Self::PT_PANIC => {
                c"a panic was caught inside proxtrace (a bug); do not use this tracer again"
            }
            Self::PT_INTERNAL => c"internal error; see the last error",
            Self::PT_BUSY => {
                c"the tracer directory is already open (in this process or another); close the other handle first"
            }
            Self::PT_WRONG_KEY => {
                c"the storage key does not fit this directory (wrong, missing, or given for an unsealed directory); nothing was changed"
            }
        }
    }
}

// `ALL` is in order of value, so `from_code` is a lookup.
const _: () = {
    let mut i = 0;
    while i < pt_result::ALL.len() {
        assert!(pt_result::ALL[i] as u32 as usize == i);
        i += 1;
    }
};

/// A static, NUL-terminated message for a result code (unknown codes included).
#[unsafe(no_mangle)]
pub extern "C" fn pt_result_message(code: u32) -> *const c_char {
    pt_result::from_code(code)
        .map_or(c"unknown result code", pt_result::message)
        .as_ptr()
}

/// A failure: the code returned to C (or named in the exception thrown in Java) and a message
/// that says what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub(crate) code: pt_result,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn new(code: pt_result, message: impl std::fmt::Display) -> Self {
        Self {
            code,
            message: message.to_string(),
        }
    }

    /// A required pointer argument, named, was null.
    pub(crate) fn null(argument: &str) -> Self {
        Self::new(
            pt_result::PT_NULL_ARGUMENT,
            format!("{argument} is NULL; pass a valid pointer"),
        )
    }

    /// An argument, named, is invalid.
    pub(crate) fn invalid(message: impl std::fmt::Display) -> Self {
        Self::new(pt_result::PT_INVALID_ARGUMENT, message)
    }
}

impl From<pt_result> for Failure {
    fn from(code: pt_result) -> Self {
        Self::new(code, code.message().to_string_lossy())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_and_has_a_message() {
        for (i, r) in pt_result::ALL.iter().enumerate() {
            let code = u32::try_from(i).unwrap();
            assert_eq!(pt_result::from_code(code), Some(*r));
            // SAFETY: pt_result_message returns a static NUL-terminated string.
            let m = unsafe { CStr::from_ptr(pt_result_message(code)) };
            assert_eq!(m, r.message());
            assert!(!m.is_empty());
        }
        let past = u32::try_from(pt_result::ALL.len()).unwrap();
        assert_eq!(pt_result::from_code(past), None);
        // SAFETY: as above.
        let m = unsafe { CStr::from_ptr(pt_result_message(past)) };
        assert_eq!(m, c"unknown result code");
    }
}
