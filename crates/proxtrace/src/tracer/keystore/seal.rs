//! Sealing the payload with the host's storage key: ChaCha20-Poly1305 from `ring`, with the
//! encounter log's discipline (`src/log/crypto.rs`).
//!
//! * Key: `HKDF-SHA256(ikm = storage key, salt = 16 random bytes of this write,
//!   info = "proxtrace key store v2")`, 32 bytes. A fresh salt per write means a fresh key per
//!   write.
//! * Nonce: 96 random bits per write, stored in the header (never the reserved key-check
//!   nonce). Nothing depends on counters, so a crash can never lead to a nonce being reused.
//! * Associated data: the header (magic, version, flags, length, salt, nonce, key check).
//! * Key check: the tag of an empty message under the reserved all-ones nonce with associated
//!   data `"proxtrace key check"`, stored in the header; it tells a wrong key
//!   ([`KeyStoreError::WrongKey`]) from a tampered file ([`KeyStoreError::Tampered`]).

use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::hkdf;
use zeroize::Zeroizing;

use super::KeyStoreError;
use crate::storage_key::StorageKey;

const KEY_INFO: &[u8] = b"proxtrace key store v2";
const CHECK_AAD: &[u8] = b"proxtrace key check";
pub(super) const CHECK_NONCE: [u8; NONCE_LEN] = [0xff; NONCE_LEN];
pub(super) const SALT_LEN: usize = 16;
pub(super) const KEY_CHECK_LEN: usize = 16;
pub(super) const TAG_LEN: usize = 16;
pub(super) use ring::aead::NONCE_LEN as SEAL_NONCE_LEN;

/// The cipher of one write (one salt).
pub(super) struct StoreCipher {
    key: LessSafeKey,
}

struct Len32;

impl hkdf::KeyType for Len32 {
    fn len(&self) -> usize {
        32
    }
}

impl StoreCipher {
    pub(super) fn new(
        storage_key: &StorageKey,
        salt: &[u8; SALT_LEN],
    ) -> Result<Self, KeyStoreError> {
        let mut key = Zeroizing::new([0u8; 32]);
        hkdf::Salt::new(hkdf::HKDF_SHA256, salt)
            .extract(storage_key.as_bytes())
            .expand(&[KEY_INFO], Len32)
            .and_then(|okm| okm.fill(&mut key[..]))
            .map_err(|_| KeyStoreError::Crypto("key derivation failed"))?;
        let key = UnboundKey::new(&CHACHA20_POLY1305, &key[..])
            .map_err(|_| KeyStoreError::Crypto("bad key length"))?;
        Ok(Self {
            key: LessSafeKey::new(key),
        })
    }

    /// The key-check value for the header.
    pub(super) fn key_check(&self) -> Result<[u8; KEY_CHECK_LEN], KeyStoreError> {
        let mut empty = [];
        let tag = self
            .key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(CHECK_NONCE),
                Aad::from(CHECK_AAD),
                &mut empty,
            )
            .map_err(|_| KeyStoreError::Crypto("sealing failed"))?;
        let mut out = [0u8; KEY_CHECK_LEN];
        out.copy_from_slice(tag.as_ref());
        Ok(out)
    }

    /// Whether `check` was made with this key (constant time: the AEAD verifies the tag).
    pub(super) fn verify_key_check(&self, check: &[u8; KEY_CHECK_LEN]) -> bool {
        let mut buf = *check;
        self.key
            .open_in_place(
                Nonce::assume_unique_for_key(CHECK_NONCE),
                Aad::from(CHECK_AAD),
                &mut buf,
            )
            .is_ok()
    }

    /// Seal `body` in place and append the tag. `nonce` must be fresh and random, and not
    /// [`CHECK_NONCE`].
    pub(super) fn seal(
        &self,
        nonce: [u8; NONCE_LEN],
        aad: &[u8],
        body: &mut Vec<u8>,
    ) -> Result<(), KeyStoreError> {
        if nonce == CHECK_NONCE {
            return Err(KeyStoreError::Crypto("the key-check nonce is reserved"));
        }
        let tag = self
            .key
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), body)
            .map_err(|_| KeyStoreError::Crypto("sealing failed"))?;
        body.extend_from_slice(tag.as_ref());
        Ok(())
    }

    /// Open `sealed` (ciphertext and tag) in place; `None` if it fails authentication.
    pub(super) fn open<'a>(
        &self,
        nonce: [u8; NONCE_LEN],
        aad: &[u8],
        sealed: &'a mut [u8],
    ) -> Option<&'a mut [u8]> {
        self.key
            .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(aad), sealed)
            .ok()
    }
}
