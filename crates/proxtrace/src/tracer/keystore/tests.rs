use super::format::{DAILY_KEY_RECORD_LEN, SEAL_LEN, TEK_RECORD_LEN};
use super::*;
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;

fn sample() -> StoredKeys {
    StoredKeys {
        gaen: vec![
            StoredTek {
                rolling_start: 2_642_976,
                rolling_period: 144,
                key: [7; 16],
                published: false,
            },
            StoredTek {
                rolling_start: 2_643_120,
                rolling_period: 20,
                key: [8; 16],
                published: true,
            },
        ],
        bluezone: vec![StoredDailyKey {
            day: 18_482,
            valid_from: 1_596_844_800,
            valid_until: 1_596_931_200,
            key: [9; 32],
            published: true,
        }],
    }
}

fn rng() -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(0x6b73)
}

fn key() -> StorageKey {
    StorageKey::from_bytes([0x42; 32])
}

fn plain() -> Vec<u8> {
    encode(&sample(), None, &mut rng()).unwrap().to_vec()
}

fn sealed() -> Vec<u8> {
    encode(&sample(), Some(&key()), &mut rng())
        .unwrap()
        .to_vec()
}

/// Recompute the CRC after a deliberate change, as an attacker (or a bug) could.
fn recrc(b: &mut [u8]) {
    let c = crc32c::crc32c_append(crc32c::crc32c(&b[..12]), &b[16..]);
    b[12..16].copy_from_slice(&c.to_le_bytes());
}

#[test]
fn plain_round_trip_and_layout() {
    let b = plain();
    assert_eq!(&b[..4], b"PTKS");
    assert_eq!(u16::from_le_bytes([b[4], b[5]]), 2);
    assert_eq!(u16::from_le_bytes([b[6], b[7]]), 0);
    assert_eq!(b.len(), 16 + 8 + 2 * TEK_RECORD_LEN + DAILY_KEY_RECORD_LEN);
    // The first TEK record, field by field.
    assert_eq!(&b[16..24], &[2, 0, 0, 0, 1, 0, 0, 0]);
    assert_eq!(&b[24..28], &2_642_976u32.to_le_bytes());
    assert_eq!(&b[28..32], &144u32.to_le_bytes());
    assert_eq!(&b[32..48], &[7; 16]);
    assert_eq!(b[48], 0);
    assert_eq!(b[48 + TEK_RECORD_LEN], 1, "second TEK published");
    let d = decode(&b, None).unwrap();
    assert_eq!(d.keys, sample());
    assert_eq!(
        (d.version, d.sealed, d.legacy, d.needs_rewrite),
        (2, false, false, false)
    );
    // A plain store opened with a key is read and must be rewritten (sealed).
    let d = decode(&b, Some(&key())).unwrap();
    assert_eq!(d.keys, sample());
    assert!(!d.sealed && !d.legacy && d.needs_rewrite);
}

#[test]
fn sealed_round_trip_hides_every_key() {
    let b = sealed();
    assert_eq!(u16::from_le_bytes([b[6], b[7]]), 1, "sealed flag");
    assert_eq!(b.len(), plain().len() + SEAL_LEN + 16);
    let d = decode(&b, Some(&key())).unwrap();
    assert_eq!(d.keys, sample());
    assert!(d.sealed && !d.needs_rewrite);
    for k in [&[7u8; 16][..], &[8; 16], &[9; 32]] {
        assert!(
            !b.windows(4).any(|w| w == &k[..4]),
            "key bytes in the sealed file"
        );
    }
    // Nor the key's own bytes.
    assert!(!b.windows(4).any(|w| w == [0x42; 4]));
}

#[test]
fn every_write_draws_a_fresh_salt_and_nonce() {
    let mut r = rng();
    let a = encode(&sample(), Some(&key()), &mut r).unwrap();
    let b = encode(&sample(), Some(&key()), &mut r).unwrap();
    assert_ne!(a[16..44], b[16..44], "salt and nonce");
    assert_ne!(a[60..], b[60..], "ciphertext");
    assert_eq!(
        decode(&a, Some(&key())).unwrap().keys,
        decode(&b, Some(&key())).unwrap().keys
    );
}

#[test]
fn wrong_key_and_missing_key_are_distinct_errors() {
    let b = sealed();
    assert!(matches!(decode(&b, None), Err(KeyStoreError::KeyRequired)));
    let other = StorageKey::from_bytes([0x43; 32]);
    let e = decode(&b, Some(&other)).unwrap_err();
    assert!(matches!(e, KeyStoreError::WrongKey));
    assert!(e.to_string().contains("storage_key"), "{e}");
}

#[test]
fn every_truncation_and_every_bit_flip_is_a_clear_error() {
    for (name, bytes, key) in [("plain", plain(), None), ("sealed", sealed(), Some(key()))] {
        for cut in 0..bytes.len() {
            assert!(
                decode(&bytes[..cut], key.as_ref()).is_err(),
                "{name}: cut at {cut}"
            );
        }
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut bad = bytes.clone();
                bad[i] ^= 1 << bit;
                assert!(
                    decode(&bad, key.as_ref()).is_err(),
                    "{name}: byte {i} bit {bit}"
                );
            }
        }
        let mut long = bytes.clone();
        long.push(0);
        assert!(matches!(
            decode(&long, key.as_ref()),
            Err(KeyStoreError::TrailingBytes { .. })
        ));
    }
}

#[test]
fn header_errors_are_named() {
    let b = plain();
    let mut bad = b.clone();
    bad[0] = b'X';
    assert!(matches!(decode(&bad, None), Err(KeyStoreError::BadMagic)));
    assert!(matches!(
        decode(b"XY", None),
        Err(KeyStoreError::Truncated { .. })
    ));
    assert!(matches!(
        decode(b"PTKX", None),
        Err(KeyStoreError::BadMagic)
    ));
    let mut bad = b.clone();
    bad[4] = 3;
    assert!(matches!(
        decode(&bad, None),
        Err(KeyStoreError::UnsupportedVersion(3))
    ));
    let mut bad = b.clone();
    bad[6] = 2;
    recrc(&mut bad);
    assert!(matches!(
        decode(&bad, None),
        Err(KeyStoreError::UnsupportedFlags(2))
    ));
    let mut bad = b.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert!(matches!(decode(&bad, None), Err(KeyStoreError::Checksum)));
    let mut bad = b.clone();
    bad[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(matches!(
        decode(&bad, None),
        Err(KeyStoreError::TooLarge { .. })
    ));
    let e = decode(&b[..b.len() - 3], None).unwrap_err();
    assert!(e.to_string().contains("truncated"), "{e}");
}

#[test]
fn tampering_that_keeps_the_checksum_is_caught_by_the_aead() {
    let b = sealed();
    let k = key();
    // Ciphertext, tag or nonce changed: the key check still matches, authentication fails.
    for i in [16 + 16, 60, 70, b.len() - 1] {
        let mut bad = b.clone();
        bad[i] ^= 0x80;
        recrc(&mut bad);
        assert!(
            matches!(decode(&bad, Some(&k)), Err(KeyStoreError::Tampered)),
            "byte {i}"
        );
    }
    // Salt or key check changed: indistinguishable from a wrong key, and refused as one.
    for i in [16, 44] {
        let mut bad = b.clone();
        bad[i] ^= 0x80;
        recrc(&mut bad);
        assert!(
            matches!(decode(&bad, Some(&k)), Err(KeyStoreError::WrongKey)),
            "byte {i}"
        );
    }
    // The sealed flag cleared: the ciphertext is not a plain payload.
    let mut bad = b.clone();
    bad[6] = 0;
    recrc(&mut bad);
    assert!(decode(&bad, Some(&k)).is_err());
}

#[test]
fn absurd_counts_are_refused_before_allocating() {
    let mut b = plain();
    b[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
    recrc(&mut b);
    assert!(matches!(
        decode(&b, None),
        Err(KeyStoreError::TooManyKeys {
            kind: RecordKind::Tek,
            count: 0xffff_ffff,
            ..
        })
    ));
    let mut b = plain();
    b[20..24].copy_from_slice(&((MAX_KEYS_PER_SCHEME + 1) as u32).to_le_bytes());
    recrc(&mut b);
    assert!(matches!(
        decode(&b, None),
        Err(KeyStoreError::TooManyKeys {
            kind: RecordKind::DailyKey,
            ..
        })
    ));
    // Within the limit but not matching the payload.
    let mut b = plain();
    b[16..20].copy_from_slice(&3u32.to_le_bytes());
    recrc(&mut b);
    assert!(matches!(decode(&b, None), Err(KeyStoreError::Decode(_))));
}

#[test]
fn records_the_tracer_could_not_use_are_refused_both_ways() {
    let mut keys = sample();
    keys.gaen[1].rolling_period = 145;
    let e = encode(&keys, None, &mut rng()).unwrap_err();
    assert!(
        matches!(
            e,
            KeyStoreError::InvalidRecord {
                kind: RecordKind::Tek,
                index: 1,
                ..
            }
        ),
        "{e}"
    );
    let mut keys = sample();
    keys.bluezone[0].valid_until = keys.bluezone[0].valid_from - 1;
    assert!(encode(&keys, None, &mut rng()).is_err());
    // Unknown record flag bits (a newer writer) are refused on reading.
    let mut b = plain();
    b[48] = 0x80;
    recrc(&mut b);
    let e = decode(&b, None).unwrap_err();
    assert!(e.to_string().contains("flag"), "{e}");
    // A period that is invalid on disk.
    let mut b = plain();
    b[28..32].copy_from_slice(&0u32.to_le_bytes());
    recrc(&mut b);
    assert!(matches!(
        decode(&b, None),
        Err(KeyStoreError::InvalidRecord { index: 0, .. })
    ));
}

#[test]
fn too_many_keys_are_refused_when_writing() {
    let t = sample().gaen[0].clone();
    let keys = StoredKeys {
        gaen: vec![t; MAX_KEYS_PER_SCHEME + 1],
        bluezone: vec![],
    };
    assert!(matches!(
        encode(&keys, None, &mut rng()),
        Err(KeyStoreError::TooManyKeys { .. })
    ));
}

#[test]
fn a_full_store_fits_the_file_limit() {
    let keys = StoredKeys {
        gaen: vec![sample().gaen[0].clone(); MAX_KEYS_PER_SCHEME],
        bluezone: vec![sample().bluezone[0].clone(); MAX_KEYS_PER_SCHEME],
    };
    let b = encode(&keys, Some(&key()), &mut rng()).unwrap();
    assert!(b.len() <= MAX_FILE_LEN, "{}", b.len());
    assert_eq!(
        decode(&b, Some(&key())).unwrap().keys.gaen.len(),
        MAX_KEYS_PER_SCHEME
    );
}

/// A generator that fails.
struct Broken;

impl rand::TryRng for Broken {
    type Error = std::io::Error;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Err(std::io::Error::other("no entropy"))
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Err(std::io::Error::other("no entropy"))
    }
    fn try_fill_bytes(&mut self, _: &mut [u8]) -> Result<(), Self::Error> {
        Err(std::io::Error::other("no entropy"))
    }
}

impl TryCryptoRng for Broken {}

#[test]
fn a_failing_generator_is_an_error_with_its_cause() {
    let e = encode(&sample(), Some(&key()), &mut Broken).unwrap_err();
    assert!(matches!(e, KeyStoreError::Random(_)));
    let source = std::error::Error::source(&e).map(|s| s.to_string());
    assert_eq!(source.as_deref(), Some("no entropy"));
    // Plain stores need no randomness.
    assert!(encode(&sample(), None, &mut Broken).is_ok());
}

#[test]
fn debug_redacts_keys() {
    let s = sample();
    let text = format!("{s:?} {:?} {:?}", s.gaen[0], s.bluezone[0]);
    assert!(!text.contains("7, 7") && !text.contains("9, 9"), "{text}");
    assert!(text.contains("rolling_start: 2642976"), "{text}");
}

fn arb_keys() -> impl Strategy<Value = StoredKeys> {
    let tek = (any::<u32>(), 1u32..=144, any::<[u8; 16]>(), any::<bool>()).prop_map(
        |(s, p, key, published)| StoredTek {
            rolling_start: s.min(u32::MAX - p),
            rolling_period: p,
            key,
            published,
        },
    );
    let dk = (
        0..u32::MAX,
        any::<u64>(),
        any::<u64>(),
        any::<[u8; 32]>(),
        any::<bool>(),
    )
        .prop_map(|(day, a, b, key, published)| StoredDailyKey {
            day,
            valid_from: a.min(b),
            valid_until: a.max(b),
            key,
            published,
        });
    (
        prop::collection::vec(tek, 0..20),
        prop::collection::vec(dk, 0..20),
    )
        .prop_map(|(gaen, bluezone)| StoredKeys { gaen, bluezone })
}

proptest! {
    #[test]
    fn round_trip_plain_and_sealed(keys in arb_keys(), seed in any::<u64>(), k in any::<[u8; 32]>()) {
        let mut r = ChaCha20Rng::seed_from_u64(seed);
        let k = StorageKey::from_bytes(k);
        let p = encode(&keys, None, &mut r).unwrap();
        prop_assert_eq!(&decode(&p, None).unwrap().keys, &keys);
        let s = encode(&keys, Some(&k), &mut r).unwrap();
        let d = decode(&s, Some(&k)).unwrap();
        prop_assert_eq!(&d.keys, &keys);
        prop_assert!(d.sealed && !d.needs_rewrite);
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let k = key();
        let _ = decode(&bytes, None);
        let _ = decode(&bytes, Some(&k));
        // The same bytes behind a valid header of each version and flag, so that the payload
        // parsers are reached.
        for (version, flags) in [(1u16, 0u16), (2, 0), (2, 1)] {
            let mut framed = b"PTKS".to_vec();
            framed.extend_from_slice(&version.to_le_bytes());
            framed.extend_from_slice(&flags.to_le_bytes());
            framed.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            framed.extend_from_slice(&[0; 4]);
            framed.extend_from_slice(&bytes);
            if version == 1 {
                framed[12..16].copy_from_slice(&crc32c::crc32c(&bytes).to_le_bytes());
            } else {
                recrc(&mut framed);
            }
            let _ = decode(&framed, None);
            let _ = decode(&framed, Some(&k));
        }
    }
}
