//! Result codes audited: the header (generated from the one enum), `docs/embedding.md`, the
//! Java constants and the messages agree, and every code the API can produce is produced here
//! through the C ABI, with a message on the calling thread. The codes that cannot be
//! produced are named and why; a new code without a test here fails `every_code_is_covered`.
#![allow(unsafe_code)]

mod support;

use std::collections::BTreeMap;
use std::ffi::CStr;

use proxtrace_ffi::*;
use support::{BOTH, START, last_error, open};

const CRATE: &str = env!("CARGO_MANIFEST_DIR");

/// `PT_NAME = value` of the enum `enum_name` in the header.
fn header_enum(enum_name: &str) -> BTreeMap<String, u32> {
    let h = std::fs::read_to_string(format!("{CRATE}/include/proxtrace.h")).unwrap();
    let start = h.find(&format!("enum {enum_name}\n")).unwrap();
    let body = &h[start..];
    let body = &body[body.find('{').unwrap() + 1..body.find("};").unwrap()];
    body.lines()
        .filter_map(|l| {
            let (name, value) = l.trim().trim_end_matches(',').split_once(" = ")?;
            Some((name.to_owned(), value.parse().ok()?))
        })
        .collect()
}

/// `NAME = value;` constants of a Java file whose names start with `prefix`.
fn java_constants(file: &str, prefix: &str) -> BTreeMap<String, u32> {
    let j = std::fs::read_to_string(format!("{CRATE}/java/org/proxtrace/{file}")).unwrap();
    j.lines()
        .filter_map(|l| {
            let rest = l.trim().strip_prefix("public static final int ")?;
            let (name, value) = rest.trim_end_matches(';').split_once(" = ")?;
            if !name.starts_with(prefix) {
                return None;
            }
            Some((name.to_owned(), value.parse().ok()?))
        })
        .collect()
}

fn message(code: u32) -> String {
    // SAFETY: pt_result_message returns a static NUL-terminated string.
    unsafe { CStr::from_ptr(pt_result_message(code)) }
        .to_str()
        .unwrap()
        .to_owned()
}

#[test]
fn header_docs_java_and_messages_agree() {
    let codes = header_enum("pt_result");
    assert!(codes.len() >= 15, "{codes:?}");
    let docs = std::fs::read_to_string(format!("{CRATE}/../../docs/embedding.md")).unwrap();
    let java = java_constants("TracerException.java", "PT_");
    assert_eq!(
        java, codes,
        "TracerException's PT_* constants match the header"
    );
    for (name, value) in &codes {
        let row = format!("| `{name}` | {value} |");
        assert!(docs.contains(&row), "docs/embedding.md lacks the row {row}");
        let m = message(*value);
        assert!(!m.is_empty() && m != "unknown result code", "{name}: {m}");
    }
    let past = codes.values().max().unwrap() + 1;
    assert_eq!(message(past), "unknown result code");
    // The event constants of the facade match the header too.
    let kinds: BTreeMap<String, u32> = header_enum("pt_event_kind")
        .into_iter()
        .map(|(k, v)| (k.trim_start_matches("PT_").to_owned(), v))
        .collect();
    assert_eq!(java_constants("Tracer.java", "EVENT_"), kinds);
    let ignored: BTreeMap<String, u32> = header_enum("pt_ignored")
        .into_iter()
        .map(|(k, v)| (k.trim_start_matches("PT_").to_owned(), v))
        .collect();
    assert_eq!(java_constants("Tracer.java", "IGNORED_"), ignored);
    for (name, value) in header_enum("pt_event_kind") {
        assert!(
            docs.contains(&format!("| `{name}` | {value} |")),
            "docs lack {name}"
        );
    }
}

/// Codes no call can return: `PT_PANIC` needs a bug (the panic boundary is unit-tested in
/// `src/lib.rs`), `PT_INTERNAL` an impossible state, `PT_NOT_AN_ADVERTISEMENT` is reserved
/// (checked below: a foreign beacon is `PT_OK` through every entry).
const UNPRODUCIBLE: [pt_result; 3] = [
    pt_result::PT_PANIC,
    pt_result::PT_INTERNAL,
    pt_result::PT_NOT_AN_ADVERTISEMENT,
];

/// Produce every other code through the C ABI; returns the codes seen.
fn produce_every_code() -> Vec<pt_result> {
    let mut seen = Vec::new();
    let mut expect = |r: pt_result, want: pt_result| {
        assert_eq!(r, want, "{}", last_error());
        if want != pt_result::PT_OK {
            assert!(!last_error().is_empty(), "{want:?} leaves a message");
        }
        seen.push(r);
    };
    let dir = tempfile::tempdir().unwrap();
    let t = open(dir.path(), BOTH).unwrap();
    expect(t.timeout(START), pt_result::PT_OK);
    let mut none = std::ptr::null_mut();
    // SAFETY: null dir is refused; `none` is a valid out pointer.
    expect(
        unsafe { pt_tracer_open(std::ptr::null(), std::ptr::null(), &mut none) },
        pt_result::PT_NULL_ARGUMENT,
    );
    expect(t.timeout(START * 1000), pt_result::PT_INVALID_ARGUMENT);
    let mut buf = [0u8; 4];
    let mut len = buf.len();
    // SAFETY: a live handle, a 4-byte buffer, valid pointers.
    expect(
        unsafe {
            pt_tracer_advertisement(
                t.raw(),
                START,
                buf.as_mut_ptr(),
                &mut len,
                std::ptr::null_mut(),
            )
        },
        pt_result::PT_BUFFER_TOO_SMALL,
    );
    assert_eq!(len, 36);
    let other = tempfile::tempdir().unwrap();
    expect(
        open(other.path(), "{\"schemes\":").err().unwrap().0,
        pt_result::PT_BAD_CONFIG,
    );
    expect(
        open(std::path::Path::new("/dev/null/proxtrace"), BOTH)
            .err()
            .unwrap()
            .0,
        pt_result::PT_IO,
    );
    expect(
        t.match_exports(
            &[b"PK\x03\x04 not a zip".to_vec()],
            Some("{\"allow_unsigned\":true}"),
        )
        .err()
        .unwrap(),
        pt_result::PT_BAD_EXPORT,
    );
    let report = t.diagnosis_keys(0, u64::MAX).unwrap();
    let (zips, _trust) = support::publish(&report, 1);
    expect(
        t.match_exports(&zips, None).err().unwrap(),
        pt_result::PT_BAD_SIGNATURE,
    );
    expect(
        t.match_f0("{\"data\":[{}]}").err().unwrap(),
        pt_result::PT_BAD_F0,
    );
    // PT_BUSY: a second handle on an open directory (also another process: tests/busy.rs).
    expect(open(dir.path(), BOTH).err().unwrap().0, pt_result::PT_BUSY);
    // PT_WRONG_KEY: another key than the directory was sealed with.
    let sealed = tempfile::tempdir().unwrap();
    let key = |k: &str| format!("{{\"storage_key\":\"{}\"}}", k.repeat(64));
    drop(open(sealed.path(), &key("a")).unwrap());
    expect(
        open(sealed.path(), &key("b")).err().unwrap().0,
        pt_result::PT_WRONG_KEY,
    );
    // PT_CORRUPT_STORE: a damaged key store, left as it is.
    drop(t);
    let ks = dir.path().join("keys.ptks");
    let mut bytes = std::fs::read(&ks).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    std::fs::write(&ks, &bytes).unwrap();
    expect(
        open(dir.path(), BOTH).err().unwrap().0,
        pt_result::PT_CORRUPT_STORE,
    );
    assert_eq!(std::fs::read(&ks).unwrap(), bytes, "left as it is");
    seen
}

#[test]
fn every_code_is_covered() {
    let mut covered = produce_every_code();
    covered.extend(UNPRODUCIBLE);
    let covered: std::collections::BTreeSet<u32> = covered.iter().map(|c| *c as u32).collect();
    let all: std::collections::BTreeSet<u32> = header_enum("pt_result").into_values().collect();
    assert_eq!(covered, all, "a result code without a test or a reason");
}

#[test]
fn a_foreign_beacon_is_pt_ok_through_every_entry() {
    let dir = tempfile::tempdir().unwrap();
    let t = open(dir.path(), BOTH).unwrap();
    let junk = [2u8, 1, 6, 3, 3, 0x0f, 0x18];
    let ignored = |e: pt_event| assert_eq!(e.kind, pt_event_kind::PT_EVENT_IGNORED);
    ignored(t.advertising_data(&junk, -50, START).unwrap());
    ignored(t.advertising_data(&[0xff; 254], -50, START).unwrap());
    ignored(t.advertising_data(&[0; 62], -50, START).unwrap());
    ignored(t.service_data16(0x180f, &[99], -50, START).unwrap());
    ignored(t.service_data16(0xfd6f, &[1; 19], -50, START).unwrap());
    ignored(
        t.manufacturer_data(0x004c, &[2, 21, 0], -50, START)
            .unwrap(),
    );
    ignored(t.manufacturer_data(0x22b5, &[1; 11], -50, START).unwrap());
    let uuid = [0x18u8, 0x0d];
    let mut e = support::pt_event_none();
    // SAFETY: a live handle; readable buffers; valid out pointers.
    unsafe {
        assert_eq!(
            pt_tracer_handle_service_uuid(t.raw(), uuid.as_ptr(), 2, -50, START, &mut e),
            pt_result::PT_OK
        );
        ignored(e);
        assert_eq!(
            pt_tracer_handle_gatt_identifier(
                t.raw(),
                junk.as_ptr(),
                junk.len(),
                -50,
                START,
                &mut e
            ),
            pt_result::PT_OK
        );
        ignored(e);
        assert_eq!(
            pt_tracer_handle_advertisement(t.raw(), junk.as_ptr(), junk.len(), -50, START),
            pt_result::PT_OK
        );
        // Over 254 bytes is still radio traffic, not an error.
        let long = [0u8; 300];
        assert_eq!(
            pt_tracer_handle_advertisement(t.raw(), long.as_ptr(), long.len(), -50, START),
            pt_result::PT_OK
        );
    }
}

#[test]
fn last_error_is_cut_on_a_character_boundary() {
    // A directory name with multi-byte characters; the failure message names it.
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("données-€-𝄞");
    std::fs::write(&dir, b"a file, not a directory").unwrap();
    let (code, full) = open(&dir, BOTH).err().unwrap();
    assert_eq!(code, pt_result::PT_IO);
    assert!(full.contains("données-€-𝄞"), "{full}");
    let t = {
        let ok = tempfile::tempdir().unwrap();
        (open(ok.path(), BOTH).unwrap(), ok)
    };
    // Every buffer length: a valid UTF-8 prefix, NUL-terminated, never a cut character.
    let _ = open(&dir, BOTH);
    for len in 1..full.len() + 2 {
        let mut buf = vec![0xffu8; len];
        // SAFETY: `buf` has `len` writable bytes.
        let r = unsafe { pt_last_error(buf.as_mut_ptr().cast(), len) };
        assert_eq!(r, pt_result::PT_OK);
        let s = CStr::from_bytes_until_nul(&buf).unwrap();
        let s = s.to_str().expect("a whole number of characters");
        assert!(full.starts_with(s) && s.len() < len);
    }
    // The same on the handle's own last error.
    assert_eq!(t.0.timeout(START * 1000), pt_result::PT_INVALID_ARGUMENT);
    let mut big = [0u8; 512];
    // SAFETY: a live handle and a 512-byte buffer.
    unsafe { pt_tracer_last_error(t.0.raw(), big.as_mut_ptr().cast(), big.len()) };
    let msg = CStr::from_bytes_until_nul(&big)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(msg.contains("refused"), "{msg}");
    for len in 1..msg.len() + 2 {
        let mut buf = vec![0xffu8; len];
        // SAFETY: a live handle, `buf` has `len` writable bytes.
        unsafe { pt_tracer_last_error(t.0.raw(), buf.as_mut_ptr().cast(), len) };
        let s = CStr::from_bytes_until_nul(&buf).unwrap().to_str().unwrap();
        assert!(msg.starts_with(s));
    }
}
