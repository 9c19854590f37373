//! Encryption at rest: every chunk sealed with ChaCha20-Poly1305 from `ring`.
//!
//! * Key: `HKDF-SHA256(ikm = host key, salt = the file's random 16-byte salt,
//!   info = "proxtrace encounter log v1")`, 32 bytes.
//! * Nonce: 96 random bits per chunk from a generator seeded by the host's CSPRNG at open,
//!   stored in the chunk header. Nothing depends on offsets or counters, so a crash that
//!   leaves a torn chunk behind can never lead to a nonce being reused.
//! * Associated data: page sequence number, chunk offset and sealed length, so a chunk
//!   cannot be replayed into another place.
//! * Key check: the tag of an empty message under the reserved all-ones nonce, with
//!   associated data `"proxtrace key check"`; stored in the file header, it lets `open`
//!   reject a wrong key before anything is read or written.

use rand::rngs::ChaCha20Rng;
use rand::{Rng, SeedableRng};
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::hkdf;
use zeroize::Zeroizing;

use super::LogError;

const KEY_INFO: &[u8] = b"proxtrace encounter log v1";
const CHECK_AAD: &[u8] = b"proxtrace key check";
const CHECK_NONCE: [u8; NONCE_LEN] = [0xff; NONCE_LEN];

/// Seals and opens chunks.
pub(crate) struct ChunkCipher {
    key: LessSafeKey,
    nonces: ChaCha20Rng,
}

struct Len32;

impl hkdf::KeyType for Len32 {
    fn len(&self) -> usize {
        32
    }
}

impl ChunkCipher {
    /// The cipher of a log with this salt. `nonce_seed` must come from a CSPRNG, fresh for
    /// every open.
    pub(crate) fn new(
        host_key: &[u8; 32],
        salt: &[u8; 16],
        nonce_seed: [u8; 32],
    ) -> Result<Self, LogError> {
        let mut key = Zeroizing::new([0u8; 32]);
        hkdf::Salt::new(hkdf::HKDF_SHA256, salt)
            .extract(host_key)
            .expand(&[KEY_INFO], Len32)
            .and_then(|okm| okm.fill(&mut key[..]))
            .map_err(|_| LogError::Crypto("key derivation failed"))?;
        let key = UnboundKey::new(&CHACHA20_POLY1305, &key[..])
            .map_err(|_| LogError::Crypto("bad key length"))?;
        Ok(Self {
            key: LessSafeKey::new(key),
            nonces: ChaCha20Rng::from_seed(nonce_seed),
        })
    }

    /// The key-check value for the file header.
    pub(crate) fn key_check(&self) -> Result<[u8; 16], LogError> {
        let mut empty = [];
        let tag = self
            .key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(CHECK_NONCE),
                Aad::from(CHECK_AAD),
                &mut empty,
            )
            .map_err(|_| LogError::Crypto("sealing failed"))?;
        let mut out = [0u8; 16];
        out.copy_from_slice(tag.as_ref());
        Ok(out)
    }

    /// Whether `check` was made with this key (constant time).
    pub(crate) fn verify_key_check(&self, check: &[u8; 16]) -> bool {
        let mut buf = *check;
        self.key
            .open_in_place(
                Nonce::assume_unique_for_key(CHECK_NONCE),
                Aad::from(CHECK_AAD),
                &mut buf,
            )
            .is_ok()
    }

    /// Seal `body` in place (the tag is appended); returns the nonce.
    pub(crate) fn seal(
        &mut self,
        aad: &[u8],
        body: &mut Vec<u8>,
    ) -> Result<[u8; NONCE_LEN], LogError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.nonces.fill_bytes(&mut nonce);
        let tag = self
            .key
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), body)
            .map_err(|_| LogError::Crypto("sealing failed"))?;
        body.extend_from_slice(tag.as_ref());
        Ok(nonce)
    }

    /// Open a sealed body in place; `None` if it was tampered with, torn, or belongs elsewhere.
    pub(crate) fn open<'a>(
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
