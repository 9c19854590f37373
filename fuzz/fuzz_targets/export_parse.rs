//! Arbitrary bytes as an export file (zip or bare export.bin), unsigned files allowed so the
//! parser is reached: never panics; every key returned is valid and writes back; the
//! inspector agrees with the reader; a strict reader accepts exactly the files without
//! skipped keys.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxtrace::published::export::{
    EXPORT_HEADER, Verification, inspect_export, read_export, tek_message, validate_key,
};

fuzz_target!(|data: &[u8]| {
    let lax = Verification::allow_unsigned();
    let inspected = inspect_export(std::io::Cursor::new(data), &lax);
    let Ok(file) = read_export(data, &lax) else {
        assert!(inspected.is_err() || inspected.is_ok_and(|r| r.signature.is_err()));
        return;
    };
    let report = inspected.expect("what reads inspects");
    assert_eq!(report.keys, file.keys.len());
    assert_eq!(report.revised_keys, file.revised_keys.len());
    assert_eq!(report.skipped.count, file.skipped.count);
    let strict = Verification {
        strict: true,
        ..Verification::allow_unsigned()
    };
    assert_eq!(read_export(data, &strict).is_ok(), file.skipped.count == 0);
    let keys = file.diagnosis_keys();
    // What was accepted can be written again (header, then each key as field 7) and reads
    // back the same.
    let mut bin = EXPORT_HEADER.to_vec();
    for (i, k) in keys.iter().enumerate() {
        assert!((1..=144).contains(&k.rolling_period));
        validate_key(k, i).expect("accepted keys are valid");
        prost::encoding::message::encode(7, &tek_message(k), &mut bin);
    }
    let again = read_export(&bin, &lax).expect("written keys read");
    assert_eq!(again.keys.len(), keys.len());
    assert_eq!(again.skipped.count, 0);
});
