//! The key store and the encounter log on disk: atomic replacement, debris from crashes, and
//! file modes (0600 on Unix, whatever the umask allows beyond that never granted).

use std::fs;
use std::path::Path;

use proxtrace::log::{EncounterLog, LOG_FILE, LogOptions};
use proxtrace::storage_key::StorageKey;
use proxtrace::tracer::keystore::{
    self, FileKeyStorage, KEY_STORE_FILE, KEY_STORE_TEMP_FILE, KeyStorage, KeyStoreError,
};
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;

const V1: &[u8] = include_bytes!("data/keys-v1.ptks");

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[test]
fn the_key_store_is_created_0600_even_over_0644_debris() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let mut s = FileKeyStorage::new(dir.path());
    s.store(V1).unwrap();
    assert_eq!(s.path(), dir.path().join(KEY_STORE_FILE));
    assert_eq!(mode(s.path()), 0o600);
    // An older proxtrace left a world-readable store and temporary file behind.
    fs::set_permissions(s.path(), fs::Permissions::from_mode(0o644)).unwrap();
    fs::write(s.temporary_path(), b"debris").unwrap();
    fs::set_permissions(s.temporary_path(), fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(s.temporary_path(), dir.path().join(KEY_STORE_TEMP_FILE));
    s.store(V1).unwrap();
    assert_eq!(mode(s.path()), 0o600, "the rewrite tightens an old store");
    assert!(!s.temporary_path().exists());
    assert_eq!(**s.load().unwrap().unwrap(), *V1);
}

#[cfg(unix)]
#[test]
fn the_encounter_log_is_created_0600() {
    let dir = tempfile::tempdir().unwrap();
    let opts = LogOptions {
        capacity_bytes: 64 << 10,
        ..LogOptions::default()
    };
    let log = EncounterLog::open_dir(dir.path(), opts).unwrap();
    drop(log);
    assert_eq!(mode(&dir.path().join(LOG_FILE)), 0o600);
}

#[test]
fn a_crash_before_the_rename_leaves_the_old_store() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = FileKeyStorage::new(dir.path());
    s.store(V1).unwrap();
    // Killed after the temporary file was written (whole or torn) but before the rename.
    for debris in [&b"half-finished"[..], &V1[..20]] {
        fs::write(s.temporary_path(), debris).unwrap();
        let bytes = FileKeyStorage::new(dir.path()).load().unwrap().unwrap();
        assert_eq!(**bytes, *V1);
        keystore::check(&bytes, None).unwrap();
    }
}

#[test]
fn a_legacy_store_is_rewritten_sealed_and_no_key_stays_in_plaintext() {
    // What the tracer does with `needs_rewrite`: store the keys again, with its storage key.
    let dir = tempfile::tempdir().unwrap();
    let mut s = FileKeyStorage::new(dir.path());
    s.store(V1).unwrap();
    let key = StorageKey::from_bytes([0x5c; 32]);
    let d = keystore::decode(&s.load().unwrap().unwrap(), Some(&key)).unwrap();
    assert!(d.needs_rewrite);
    // The search below finds keys where they are in plaintext.
    assert!(V1.windows(8).any(|b| b == &d.keys.bluezone[2].key[8..16]));
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    s.store(&keystore::encode(&d.keys, Some(&key), &mut rng).unwrap())
        .unwrap();
    let stored = s.load().unwrap().unwrap();
    let again = keystore::decode(&stored, Some(&key)).unwrap();
    assert!(again.sealed && !again.needs_rewrite);
    assert_eq!(again.keys, d.keys);
    // Every file in the directory, searched for any 8 bytes of any key.
    for entry in fs::read_dir(dir.path()).unwrap() {
        let bytes = fs::read(entry.unwrap().path()).unwrap();
        for k in d
            .keys
            .gaen
            .iter()
            .map(|t| &t.key[..])
            .chain(d.keys.bluezone.iter().map(|k| &k.key[..]))
        {
            for w in k.windows(8) {
                assert!(!bytes.windows(8).any(|b| b == w), "key bytes in plaintext");
            }
        }
    }
    // A wrong key or no key is an error, and the store is left exactly as it was.
    let other = StorageKey::from_bytes([0x5d; 32]);
    assert!(matches!(
        keystore::decode(&stored, Some(&other)),
        Err(KeyStoreError::WrongKey)
    ));
    assert!(matches!(
        keystore::decode(&stored, None),
        Err(KeyStoreError::KeyRequired)
    ));
    assert_eq!(s.load().unwrap().unwrap(), stored);
}

#[test]
fn a_missing_store_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    assert!(FileKeyStorage::new(dir.path()).load().unwrap().is_none());
}
