//! SHA-256 specialised to the fixed shapes the key schedules hash, on `sha2`'s raw
//! compression function: no buffering, no length bookkeeping, padding built once.
//!
//! * GAEN's HKDF with an absent salt: the HMAC pad states of the all-zero salt are constants,
//!   the TEK fits one block and the 16-byte output is the first expand block, so an RPIK costs
//!   six compressions (two of them shared pad states of the PRK).
//! * Bluezone's chain: every slot key is the hash of a 32-byte value, one padded block.

use sha2::block_api::compress256;

/// SHA-256 initial hash value.
pub(crate) const IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

/// A block whose first `len` bytes are the message, padded for a total hashed length of
/// `total_len` bytes (the message plus any blocks compressed before it).
pub(crate) fn padded_block(msg: &[u8], total_len: u64) -> [u8; 64] {
    debug_assert!(msg.len() <= 55);
    let mut b = [0u8; 64];
    b[..msg.len()].copy_from_slice(msg);
    b[msg.len()] = 0x80;
    b[56..].copy_from_slice(&(total_len * 8).to_be_bytes());
    b
}

/// Write the state as the big-endian digest bytes into `out[..32]`.
#[inline(always)]
pub(crate) fn state_bytes(state: &[u32; 8], out: &mut [u8]) {
    for (chunk, w) in out[..32].chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&w.to_be_bytes());
    }
}

#[inline(always)]
pub(crate) fn compress(state: &mut [u32; 8], block: &[u8; 64]) {
    compress256(state, std::slice::from_ref(block));
}

/// HKDF-SHA256 with no salt and a 16-byte output, for one fixed `info`.
#[derive(Clone)]
pub(crate) struct ZeroSaltHkdf {
    /// State after the HMAC inner pad block of the all-zero key.
    extract_inner: [u32; 8],
    /// State after the HMAC outer pad block of the all-zero key.
    extract_outer: [u32; 8],
    /// `info ‖ 0x01`, padded as the second block of the expand's inner hash.
    expand_block: [u8; 64],
}

impl ZeroSaltHkdf {
    pub(crate) fn new(info: &[u8]) -> Self {
        let mut extract_inner = IV;
        compress(&mut extract_inner, &[0x36; 64]);
        let mut extract_outer = IV;
        compress(&mut extract_outer, &[0x5c; 64]);
        let mut msg = info.to_vec();
        msg.push(0x01);
        Self {
            extract_inner,
            extract_outer,
            expand_block: padded_block(&msg, 64 + msg.len() as u64),
        }
    }

    /// `HKDF(ikm = tek, salt = none, info, L = 16)`, one key at a time (the oracle of
    /// [`ZeroSaltHkdf::derive_x4`]).
    #[cfg(test)]
    pub(crate) fn derive(&self, tek: &[u8; 16]) -> [u8; 16] {
        // Extract: PRK = HMAC(0³², TEK).
        let mut inner = self.extract_inner;
        compress(&mut inner, &padded_block(tek, 64 + 16));
        let mut block = padded_block(&[0u8; 32], 64 + 32);
        state_bytes(&inner, &mut block);
        let mut prk_state = self.extract_outer;
        compress(&mut prk_state, &block);
        // Expand, first block: T1 = HMAC(PRK, info ‖ 0x01).
        let mut key = [0u8; 64];
        state_bytes(&prk_state, &mut key);
        let mut ipad = key;
        let mut opad = key;
        for (i, o) in ipad.iter_mut().zip(opad.iter_mut()) {
            *i ^= 0x36;
            *o ^= 0x5c;
        }
        let mut inner = IV;
        compress(&mut inner, &ipad);
        compress(&mut inner, &self.expand_block);
        state_bytes(&inner, &mut block);
        let mut outer = IV;
        compress(&mut outer, &opad);
        compress(&mut outer, &block);
        let mut out = [0u8; 32];
        state_bytes(&outer, &mut out);
        let mut okm = [0u8; 16];
        okm.copy_from_slice(&out[..16]);
        okm
    }
}

impl ZeroSaltHkdf {
    /// Four derivations at once (`teks` may repeat a key to fill the lanes).
    pub(crate) fn derive_x4(
        &self,
        teks: [&[u8; 16]; 4],
        backend: super::simd::Backend,
    ) -> [[u8; 16]; 4] {
        let mut states = [self.extract_inner; 4];
        let mut blocks = [[0u8; 64]; 4];
        for (b, tek) in blocks.iter_mut().zip(teks) {
            *b = padded_block(tek, 64 + 16);
        }
        backend.compress_x4(&mut states, &blocks);
        let template = padded_block(&[0u8; 32], 64 + 32);
        for (b, s) in blocks.iter_mut().zip(&states) {
            *b = template;
            state_bytes(s, b);
        }
        let mut prk = [self.extract_outer; 4];
        backend.compress_x4(&mut prk, &blocks);
        let mut ipad = [[0u8; 64]; 4];
        let mut opad = [[0u8; 64]; 4];
        for l in 0..4 {
            let mut key = [0u8; 64];
            state_bytes(&prk[l], &mut key);
            for (i, k) in key.iter().enumerate() {
                ipad[l][i] = k ^ 0x36;
                opad[l][i] = k ^ 0x5c;
            }
        }
        let mut inner = [IV; 4];
        backend.compress_x4(&mut inner, &ipad);
        let mut outer = [IV; 4];
        backend.compress_x4(&mut outer, &opad);
        backend.compress_x4(&mut inner, &[self.expand_block; 4]);
        for (b, s) in blocks.iter_mut().zip(&inner) {
            *b = template;
            state_bytes(s, b);
        }
        backend.compress_x4(&mut outer, &blocks);
        let mut okm = [[0u8; 16]; 4];
        for (o, s) in okm.iter_mut().zip(&outer) {
            let mut full = [0u8; 32];
            state_bytes(s, &mut full);
            o.copy_from_slice(&full[..16]);
        }
        okm
    }
}

/// The first slot key state of a Bluezone day: `SHA-256(DK ‖ "bluzonesubkey")` (45 bytes, one
/// block).
pub(crate) fn first_slot_state(daily_key: &[u8; 32]) -> [u32; 8] {
    let mut msg = [0u8; 45];
    msg[..32].copy_from_slice(daily_key);
    msg[32..].copy_from_slice(crate::bluezone::SLOT_KEY_TAG);
    let mut state = IV;
    compress(&mut state, &padded_block(&msg, 45));
    state
}

/// The Bluezone ID of a slot key given as SHA-256 state words: digest bytes
/// `[0,4,8,12,16,18,20,22,24,26,28,30]`.
#[inline(always)]
pub(crate) fn bluezone_id(s: &[u32; 8]) -> [u8; 12] {
    let hi = |w: u32| (w >> 24) as u8;
    let mid = |w: u32| (w >> 8) as u8;
    [
        hi(s[0]),
        hi(s[1]),
        hi(s[2]),
        hi(s[3]),
        hi(s[4]),
        mid(s[4]),
        hi(s[5]),
        mid(s[5]),
        hi(s[6]),
        mid(s[6]),
        hi(s[7]),
        mid(s[7]),
    ]
}

/// The next slot key state: `SHA-256(sk)` of the 32-byte digest of `state` (one lane; the
/// matcher advances four lanes at once).
#[cfg(test)]
pub(crate) fn next_slot_state(state: &[u32; 8], block: &mut [u8; 64]) -> [u32; 8] {
    state_bytes(state, block);
    let mut next = IV;
    compress(&mut next, block);
    next
}

/// The padded block template for hashing a 32-byte value (bytes 0..32 are overwritten).
pub(crate) fn block32() -> [u8; 64] {
    padded_block(&[0u8; 32], 32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bluezone::{BluezoneId, DailyKey};
    use crate::gaen::{AEMK_INFO, RPIK_INFO, TemporaryExposureKey};
    use crate::time::{SlotsPerDay, UtcDay};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn specialised_hkdf_equals_ring(tek in any::<[u8; 16]>()) {
            let t = TemporaryExposureKey::from_bytes(tek);
            let rpik = t.rolling_proximity_identifier_key();
            let aemk = t.associated_encrypted_metadata_key();
            prop_assert_eq!(&ZeroSaltHkdf::new(RPIK_INFO).derive(&tek), rpik.expose_secret());
            prop_assert_eq!(&ZeroSaltHkdf::new(AEMK_INFO).derive(&tek), aemk.expose_secret());
        }

        #[test]
        fn four_lane_hkdf_equals_single(teks in any::<[[u8; 16]; 4]>()) {
            let h = ZeroSaltHkdf::new(RPIK_INFO);
            for backend in [super::super::simd::Backend::detect(), super::super::simd::Backend::PORTABLE] {
                let got = h.derive_x4([&teks[0], &teks[1], &teks[2], &teks[3]], backend);
                for l in 0..4 {
                    prop_assert_eq!(got[l], h.derive(&teks[l]));
                }
            }
        }

        #[test]
        fn raw_chain_equals_digest_chain(dk in any::<[u8; 32]>()) {
            let key = DailyKey::from_bytes(dk, UtcDay::new(1));
            let ids = key.bluezone_ids(SlotsPerDay::DEFAULT);
            let mut block = block32();
            let mut s = first_slot_state(&dk);
            for (i, id) in ids.iter().enumerate() {
                if i > 0 {
                    s = next_slot_state(&s, &mut block);
                }
                prop_assert_eq!(BluezoneId::from_bytes(bluezone_id(&s)), *id);
            }
        }
    }
}
