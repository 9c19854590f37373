//! Arbitrary bytes as a legacy advertisement (and scan response): the decoder never panics,
//! and whatever it accepts re-encodes to something it decodes to the same payload.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxtrace::advert::{
    decode_advertisement, decode_manufacturer_data, decode_service_data, encode_advertisement,
};

fuzz_target!(|data: &[u8]| {
    let (adv, sr) = match data.split_first() {
        Some((&split, rest)) if usize::from(split) <= rest.len() && split & 1 == 1 => {
            let (a, s) = rest.split_at(usize::from(split));
            (a, Some(s))
        }
        Some((_, rest)) => (rest, None),
        None => (data, None),
    };
    if let Ok(decoded) = decode_advertisement(adv, sr) {
        let again = decode_advertisement(encode_advertisement(&decoded.payload).as_bytes(), None)
            .expect("an encoded payload always decodes");
        assert_eq!(again.payload, decoded.payload);
    }
    if let [a, b, rest @ ..] = data {
        let key = u16::from_le_bytes([*a, *b]);
        let _ = decode_service_data(key, rest);
        let _ = decode_manufacturer_data(key, rest);
    }
});
