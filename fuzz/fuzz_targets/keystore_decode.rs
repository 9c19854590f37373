//! Arbitrary bytes as a key store file, and arbitrary damage to valid stores (plain and
//! sealed, made from the input): decoding never panics; whatever decodes re-encodes and
//! decodes to the same keys; a damaged sealed store that still opens with its key holds
//! exactly the keys that were sealed (the AEAD admits nothing else); a sealed store never
//! opens without its key or with another one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxtrace::storage_key::StorageKey;
use proxtrace::tracer::keystore::{self, KeyStoreError, StoredDailyKey, StoredKeys, StoredTek};
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;

fn storage_key() -> StorageKey {
    StorageKey::from_bytes(std::array::from_fn(|i| 0xc0 + i as u8))
}

/// Valid keys built from the input (counts and values), so damage lands on real layouts.
fn keys_from(seed: &[u8]) -> StoredKeys {
    let byte = |i: usize| seed.get(i).copied().unwrap_or(i as u8);
    let word = |i: usize| u32::from_le_bytes([byte(i), byte(i + 1), byte(i + 2), byte(i + 3)]);
    let (g, b) = (usize::from(byte(0) % 6), usize::from(byte(1) % 6));
    StoredKeys {
        gaen: (0..g)
            .map(|i| {
                let period = 1 + word(2 + i) % 144;
                StoredTek {
                    rolling_start: word(6 + i).min(u32::MAX - period),
                    rolling_period: period,
                    key: std::array::from_fn(|j| byte(10 + i + j)),
                    published: byte(3 + i) & 1 == 1,
                }
            })
            .collect(),
        bluezone: (0..b)
            .map(|i| {
                let from = u64::from(word(4 + i)) * 7;
                StoredDailyKey {
                    day: word(8 + i).min(u32::MAX - 1),
                    valid_from: from,
                    valid_until: from + u64::from(byte(5 + i)) * 600,
                    key: std::array::from_fn(|j| byte(12 + i + j)),
                    published: byte(7 + i) & 1 == 1,
                }
            })
            .collect(),
    }
}

/// Whatever decodes must survive a round trip through the encoder, plain and sealed.
fn round_trip(keys: &StoredKeys) {
    let key = storage_key();
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let plain = keystore::encode(keys, None, &mut rng).expect("a decoded store re-encodes");
    assert_eq!(&keystore::decode(&plain, None).expect("plain").keys, keys);
    let sealed = keystore::encode(keys, Some(&key), &mut rng).expect("sealing");
    assert_eq!(
        &keystore::decode(&sealed, Some(&key)).expect("sealed").keys,
        keys
    );
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let key = storage_key();
    if mode % 3 == 0 {
        // Raw bytes.
        if let Ok(d) = keystore::decode(rest, None) {
            round_trip(&d.keys);
        }
        if let Ok(d) = keystore::decode(rest, Some(&key)) {
            round_trip(&d.keys);
        }
        return;
    }
    // A valid store, then (offset u16 LE, xor byte) triples and an optional truncation.
    let sealed = mode % 3 == 2;
    let (seed, damage) = rest.split_at(rest.len().min(48));
    let keys = keys_from(seed);
    let mut rng = ChaCha20Rng::seed_from_u64(u64::from(mode));
    let valid = keystore::encode(&keys, sealed.then_some(&key), &mut rng).expect("encode");
    let mut file = valid.to_vec();
    for t in damage.chunks(3) {
        match *t {
            [a, b, x] => {
                let off = usize::from(u16::from_le_bytes([a, b])) % file.len();
                file[off] ^= x;
            }
            [a, ..] => file.truncate(usize::from(a) % (file.len() + 1)),
            [] => {}
        }
    }
    if sealed {
        // Only a file that still claims to be sealed is authenticated (damage that clears the
        // flag and forges the checksum makes a plain store, which any caller may read).
        if let Ok(d) = keystore::decode(&file, Some(&key)) {
            if d.sealed {
                assert_eq!(
                    d.keys, keys,
                    "a damaged sealed store opened with other keys"
                );
            }
        }
        let other = StorageKey::from_bytes([0x5c; 32]);
        if let Ok(d) = keystore::decode(&file, Some(&other)) {
            assert!(!d.sealed, "a sealed store opened with another key");
        }
        if file == *valid {
            assert!(matches!(
                keystore::decode(&file, None),
                Err(KeyStoreError::KeyRequired)
            ));
        }
    } else if let Ok(d) = keystore::decode(&file, None) {
        if file == *valid {
            assert_eq!(d.keys, keys);
        }
        round_trip(&d.keys);
    }
});
