//! Arbitrary bytes as advertising data (a legacy advertisement and scan response, a 62-byte
//! scan record, extended data): the decoders never panic, and whatever they accept re-encodes
//! to something that decodes to the same beacon.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxtrace::advert::{
    Beacon, decode_advertisement, decode_advertising_data, decode_manufacturer_data,
    decode_service_data, encode_advertisement, encode_bluezone_ios_advertisement,
};

fn round_trips(beacon: Beacon) {
    let raw = match beacon {
        Beacon::Identifier(id) => encode_advertisement(&id),
        Beacon::BluezoneGattService => encode_bluezone_ios_advertisement(),
    };
    let again = decode_advertisement(raw.as_bytes(), None).expect("an encoded beacon decodes");
    assert_eq!(again.beacon, beacon);
}

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
        round_trips(decoded.beacon);
    }
    if let Ok(decoded) = decode_advertising_data(data) {
        round_trips(decoded.beacon);
    }
    if let [a, b, rest @ ..] = data {
        let key = u16::from_le_bytes([*a, *b]);
        let _ = decode_service_data(key, rest);
        let _ = decode_manufacturer_data(key, rest);
    }
});
