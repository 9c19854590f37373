//! Arbitrary bytes as a Bluezone F0 payload (or a push message carrying one): never panics;
//! what is accepted is one daily key per UTC day within the span limit, and round-trips
//! through the writer key for key.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxtrace::published::f0::{F0Limits, parse_f0_with, write_f0};

fuzz_target!(|data: &[u8]| {
    let limits = F0Limits {
        max_span_days: 8,
        max_keys: 10_000,
    };
    let Ok(keys) = parse_f0_with(data, &limits) else {
        return;
    };
    assert!(keys.len() <= limits.max_keys);
    for k in &keys {
        assert!(k.time_start <= k.time_end);
        assert_eq!(k.time_start.utc_day().ok(), Some(k.daily_key.day()));
        assert_eq!(k.time_end.utc_day().ok(), Some(k.daily_key.day()));
    }
    let again = parse_f0_with(write_f0(&keys).as_bytes(), &limits).expect("written payload parses");
    assert_eq!(again.len(), keys.len());
    for (a, b) in keys.iter().zip(&again) {
        assert_eq!(a.daily_key.expose_secret(), b.daily_key.expose_secret());
        assert_eq!((a.time_start, a.time_end), (b.time_start, b.time_end));
    }
});
