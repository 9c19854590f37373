//! Arbitrary bytes as an export file (zip or bare export.bin), unsigned files allowed so the
//! parser is reached: never panics, and every key returned is valid and writes back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxtrace::published::export::{ExportMeta, Verification, read_export, write_export_bin};

fuzz_target!(|data: &[u8]| {
    let Ok(file) = read_export(data, &Verification::allow_unsigned()) else {
        return;
    };
    let keys = file.diagnosis_keys();
    for k in &keys {
        assert!((1..=144).contains(&k.rolling_period));
    }
    // What was accepted can be written again and reads back the same.
    let bin = write_export_bin(&ExportMeta::covering(&keys, "X"), &keys, &[], None)
        .expect("accepted keys write");
    let again = read_export(&bin, &Verification::allow_unsigned()).expect("written keys read");
    assert_eq!(again.keys.len(), keys.len());
});
