//! Every key store format version ever written stays readable (redb-style): the committed
//! fixtures are opened on every run and checked field by field.
//!
//! * `keys-v1.ptks` — version 1, written by bincode 2.0.1 (serde, standard configuration)
//!   with the struct shapes proxtrace ≤ 0.1 used, in a throwaway project outside the
//!   repository (bincode is no longer a dependency); the old code read it back identically.
//! * `keys-v2.ptks`, `keys-v2-sealed.ptks` — version 2, plain and sealed with [`test_key`],
//!   the same keys, written by this crate's encoder (sealed: `ChaCha20Rng` seeded with
//!   [`FIXTURE_SEED`]).
//!
//! Never regenerate a fixture to make a test pass: a format change is a new version with a
//! new fixture, and the old ones keep opening.

use proxtrace::storage_key::StorageKey;
use proxtrace::tracer::keystore::{
    self, Decoded, KeyStoreError, StoredDailyKey, StoredKeys, StoredTek,
};
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;

const V1: &[u8] = include_bytes!("data/keys-v1.ptks");
const V2: &[u8] = include_bytes!("data/keys-v2.ptks");
const V2_SEALED: &[u8] = include_bytes!("data/keys-v2-sealed.ptks");
const FIXTURE_SEED: u64 = 0x5054_4b53;

/// The sealed fixture's storage key: bytes c0, c1, …, df.
fn test_key() -> StorageKey {
    StorageKey::from_hex("c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf")
        .unwrap()
}

fn seq<const N: usize>(start: u8) -> [u8; N] {
    std::array::from_fn(|i| start.wrapping_add(i as u8))
}

/// What every fixture holds (the v1 writer's known keys). Values span every varint width of
/// version 1: one byte (144, 73), `u16` (days), `u32` (interval numbers, seconds) and `u64`
/// (4 294 967 296).
fn fixture_keys() -> StoredKeys {
    let tek = |rolling_start, rolling_period, key, published| StoredTek {
        rolling_start,
        rolling_period,
        key,
        published,
    };
    let dk = |day, valid_from, valid_until, key, published| StoredDailyKey {
        day,
        valid_from,
        valid_until,
        key,
        published,
    };
    StoredKeys {
        gaen: vec![
            tek(2_642_976, 144, seq(0x00), false),
            tek(2_643_120, 144, seq(0x10), true),
            tek(2_643_264, 73, seq(0xf0), false),
        ],
        bluezone: vec![
            dk(18_353, 1_585_699_200, 1_585_785_600, seq(0x20), true),
            dk(18_354, 1_585_785_600, 1_585_800_000, seq(0x40), false),
            dk(18_354, 1_585_800_000, 4_294_967_296, seq(0x60), false),
        ],
    }
}

/// Field by field, so that a mismatch names the field.
fn assert_fixture_keys(d: &Decoded) {
    let want = fixture_keys();
    assert_eq!(d.keys.gaen.len(), 3);
    assert_eq!(d.keys.bluezone.len(), 3);
    for (i, (got, want)) in d.keys.gaen.iter().zip(&want.gaen).enumerate() {
        assert_eq!(
            got.rolling_start, want.rolling_start,
            "TEK {i} rolling_start"
        );
        assert_eq!(
            got.rolling_period, want.rolling_period,
            "TEK {i} rolling_period"
        );
        assert_eq!(got.key, want.key, "TEK {i} key");
        assert_eq!(got.published, want.published, "TEK {i} published");
    }
    for (i, (got, want)) in d.keys.bluezone.iter().zip(&want.bluezone).enumerate() {
        assert_eq!(got.day, want.day, "daily key {i} day");
        assert_eq!(got.valid_from, want.valid_from, "daily key {i} valid_from");
        assert_eq!(
            got.valid_until, want.valid_until,
            "daily key {i} valid_until"
        );
        assert_eq!(got.key, want.key, "daily key {i} key");
        assert_eq!(got.published, want.published, "daily key {i} published");
    }
    assert_eq!(d.keys, want);
}

#[test]
fn version_1_written_by_bincode_opens_and_asks_for_a_rewrite() {
    assert_eq!(&V1[..6], b"PTKS\x01\x00");
    let d = keystore::decode(V1, None).unwrap();
    assert_fixture_keys(&d);
    assert_eq!(d.version, 1);
    assert!(d.legacy && d.needs_rewrite && !d.sealed);
    // With a storage key too: the rewrite seals it.
    let d = keystore::decode(V1, Some(&test_key())).unwrap();
    assert_fixture_keys(&d);
    assert!(d.legacy && d.needs_rewrite);
}

#[test]
fn version_2_plain_opens() {
    let d = keystore::decode(V2, None).unwrap();
    assert_fixture_keys(&d);
    assert_eq!(d.version, 2);
    assert!(!d.legacy && !d.needs_rewrite && !d.sealed);
    // A key given for a plain store: read, and sealed at the rewrite.
    let d = keystore::decode(V2, Some(&test_key())).unwrap();
    assert_fixture_keys(&d);
    assert!(d.needs_rewrite && !d.sealed);
}

#[test]
fn version_2_sealed_opens_only_with_its_key() {
    let d = keystore::decode(V2_SEALED, Some(&test_key())).unwrap();
    assert_fixture_keys(&d);
    assert!(d.sealed && !d.legacy && !d.needs_rewrite);
    assert!(matches!(
        keystore::decode(V2_SEALED, None),
        Err(KeyStoreError::KeyRequired)
    ));
    let mut other = *b"c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf";
    other[63] = b'e';
    let other = StorageKey::from_hex(std::str::from_utf8(&other).unwrap()).unwrap();
    assert!(matches!(
        keystore::decode(V2_SEALED, Some(&other)),
        Err(KeyStoreError::WrongKey)
    ));
}

#[test]
fn no_key_byte_sequence_appears_in_the_sealed_fixture() {
    let keys = fixture_keys();
    let mut secrets: Vec<Vec<u8>> = keys.gaen.iter().map(|t| t.key.to_vec()).collect();
    secrets.extend(keys.bluezone.iter().map(|k| k.key.to_vec()));
    for s in &secrets {
        // Any 6 consecutive bytes of any key (the plain fixture holds all of them, so the
        // search itself is shown to find keys).
        for w in s.windows(6) {
            assert!(
                V2.windows(6).any(|f| f == w),
                "plain fixture lacks {w:02x?}"
            );
            assert!(
                !V2_SEALED.windows(6).any(|f| f == w),
                "sealed fixture shows {w:02x?}"
            );
        }
    }
    // Nor the storage key itself.
    for w in seq::<32>(0xc0).windows(6) {
        assert!(
            !V2_SEALED.windows(6).any(|f| f == w),
            "storage key bytes {w:02x?}"
        );
    }
}

#[test]
fn the_encoder_still_writes_the_fixtures_byte_for_byte() {
    // A known-answer test of the writer: the v1 fixture rewritten is the v2 fixture.
    let v1 = keystore::decode(V1, None).unwrap();
    let plain = keystore::encode(&v1.keys, None, &mut ChaCha20Rng::seed_from_u64(0)).unwrap();
    assert_eq!(&plain[..], V2);
    let sealed = keystore::encode(
        &v1.keys,
        Some(&test_key()),
        &mut ChaCha20Rng::seed_from_u64(FIXTURE_SEED),
    )
    .unwrap();
    assert_eq!(&sealed[..], V2_SEALED);
}

#[test]
fn damaged_fixtures_are_errors_never_panics() {
    let k = test_key();
    for (name, file, key) in [
        ("v1", V1, None),
        ("v2", V2, None),
        ("v2 sealed", V2_SEALED, Some(&k)),
    ] {
        for cut in 0..file.len() {
            assert!(
                keystore::decode(&file[..cut], key).is_err(),
                "{name} cut at {cut}"
            );
        }
        for i in 0..file.len() {
            let mut bad = file.to_vec();
            bad[i] ^= 0x01;
            assert!(keystore::decode(&bad, key).is_err(), "{name} byte {i}");
        }
    }
}

/// A tracer over a legacy store only reads it when opened, and rewrites it in the current
/// format at its first timeout, keeping every key.
#[test]
fn a_tracer_rewrites_a_legacy_store_at_its_first_timeout() {
    use proxtrace::time::UnixTime;
    use proxtrace::tracer::{Input, Tracer, TracerConfig, keystore::KEY_STORE_FILE};
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join(KEY_STORE_FILE);
    std::fs::write(&store, V1).unwrap();
    let config = TracerConfig {
        retention_days: 100_000,
        ..TracerConfig::default()
    };
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let mut t = Tracer::open_dir(dir.path(), config, &mut rng).unwrap();
    assert_eq!(std::fs::read(&store).unwrap(), V1, "opening only reads");
    t.handle_input(Input::Timeout(UnixTime::from_secs(1_763_800_000)))
        .unwrap();
    let bytes = std::fs::read(&store).unwrap();
    assert_eq!(
        u16::from_le_bytes([bytes[4], bytes[5]]),
        keystore::FORMAT_VERSION
    );
    let d = keystore::decode(&bytes, None).unwrap();
    assert!(!d.legacy && !d.needs_rewrite);
    let old = keystore::decode(V1, None).unwrap();
    for k in &old.keys.gaen {
        assert!(d.keys.gaen.iter().any(|n| n.key == k.key), "a TEK was lost");
    }
    for k in &old.keys.bluezone {
        assert!(
            d.keys.bluezone.iter().any(|n| n.key == k.key),
            "a daily key was lost"
        );
    }
}
