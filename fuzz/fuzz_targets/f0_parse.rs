//! Arbitrary bytes as a Bluezone F0 payload: never panics; what is accepted is valid and
//! round-trips through the writer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxtrace::published::f0::{parse_f0, write_f0};

fuzz_target!(|data: &[u8]| {
    let Ok(keys) = parse_f0(data) else { return };
    for k in &keys {
        assert!(k.time_start <= k.time_end);
        assert_eq!(k.time_start.utc_day().ok(), Some(k.daily_key.day()));
    }
    let again = parse_f0(write_f0(&keys).as_bytes()).expect("written payload parses");
    assert_eq!(again.len(), keys.len());
});
