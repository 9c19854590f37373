//! The matcher's only `unsafe`: CPU intrinsics for SHA-256 and AES behind runtime feature
//! detection, with a portable path (`sha2`'s compression function, the `aes` crate) that every
//! test also runs.
//!
//! * SHA-256: two interleaved compressions on the x86-64 SHA extensions ([`sha_ni`]).
//! * AES-128: the key schedule and the encryption of a key's RPI plaintexts in full-width
//!   batches, VAES on 512-bit registers where the CPU has it, AES-NI otherwise ([`aes_ni`]).
//! * The prefilter probe of derived identifiers, eight at a time on AVX-512
//!   ([`probe_avx512`]).
//!
//! A [`Backend`] that names an intrinsic path is only ever built by [`Backend::detect`] after
//! the CPU reported the features that path is compiled for; that is the safety argument of
//! every call below. Elsewhere (ARM phones included) the portable path runs: `sha2` and `aes`
//! bring their own ARMv8 crypto-extension code behind their own detection.

#[cfg(target_arch = "x86_64")]
mod aes_ni;
#[cfg(target_arch = "x86_64")]
mod probe_avx512;
#[cfg(target_arch = "x86_64")]
mod sha_ni;

use aes::cipher::{Array, BlockCipherEncrypt, KeyInit};

use super::sha256::compress;
use super::table::{FilterView, filter_pos, halves16};

/// AES-128 implementations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AesPath {
    /// VAES on 512-bit registers (with AVX-512F).
    #[cfg(target_arch = "x86_64")]
    Vaes512,
    /// AES-NI on 128-bit registers.
    #[cfg(target_arch = "x86_64")]
    AesNi,
    /// The `aes` crate.
    Portable,
}

/// Which implementations run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Backend {
    /// x86-64 SHA extensions (else `sha2::compress256`).
    sha_ni: bool,
    aes: AesPath,
    /// AVX-512 F + DQ prefilter probes (else one identifier at a time).
    probe_avx512: bool,
}

impl Backend {
    /// The portable path: no intrinsics of this crate.
    pub(crate) const PORTABLE: Self = Self {
        sha_ni: false,
        aes: AesPath::Portable,
        probe_avx512: false,
    };

    /// The fastest paths this CPU supports.
    pub(crate) fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            let sha_ni = has!("sha") && has!("sse2") && has!("ssse3") && has!("sse4.1");
            let aes = if has!("aes") && has!("vaes") && has!("avx512f") {
                AesPath::Vaes512
            } else if has!("aes") && has!("sse2") {
                AesPath::AesNi
            } else {
                AesPath::Portable
            };
            let probe_avx512 = has!("avx512f") && has!("avx512dq");
            Self {
                sha_ni,
                aes,
                probe_avx512,
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        Self::PORTABLE
    }

    /// Whether any intrinsic path runs.
    pub(crate) fn uses_intrinsics(self) -> bool {
        self != Self::PORTABLE
    }

    /// The same SHA-256 path with AES-NI (128-bit) instead of VAES, where VAES was picked: so
    /// tests reach the AES-NI path on a VAES machine.
    #[cfg(test)]
    fn without_vaes(self) -> Self {
        match self.aes {
            #[cfg(target_arch = "x86_64")]
            AesPath::Vaes512 => Self {
                aes: AesPath::AesNi,
                probe_avx512: false,
                ..self
            },
            _ => self,
        }
    }

    /// Walk two hash chains of 32-byte values: for each `i`, `a = SHA-256(a)` and
    /// `b = SHA-256(b)` (as digests, i.e. state words), writing step `i`'s results to
    /// `out_a[i]` and `out_b[i]`. The slices must have the same length.
    pub(crate) fn chain_x2(
        self,
        a: [u32; 8],
        b: [u32; 8],
        out_a: &mut [[u32; 8]],
        out_b: &mut [[u32; 8]],
    ) {
        debug_assert_eq!(out_a.len(), out_b.len());
        #[cfg(target_arch = "x86_64")]
        if self.sha_ni {
            // SAFETY: `sha_ni` is only set by `detect`, after the CPU reported the `sha`,
            // `sse2`, `ssse3` and `sse4.1` features `sha_ni::chain_x2` is compiled for.
            unsafe { sha_ni::chain_x2(a, b, out_a, out_b) };
            return;
        }
        let mut block = super::sha256::block32();
        for (state, out) in [(a, out_a), (b, out_b)] {
            let mut s = state;
            for o in out.iter_mut() {
                super::sha256::state_bytes(&s, &mut block);
                s = super::sha256::IV;
                compress(&mut s, &block);
                *o = s;
            }
        }
    }

    /// Compress one block into each of four states.
    #[inline]
    pub(crate) fn compress_x4(self, states: &mut [[u32; 8]; 4], blocks: &[[u8; 64]; 4]) {
        #[cfg(target_arch = "x86_64")]
        if self.sha_ni {
            // SAFETY: `sha_ni` is only set by `detect`, after the CPU reported the `sha`,
            // `sse2`, `ssse3` and `sse4.1` features `sha_ni::compress_x4` is compiled for.
            unsafe { sha_ni::compress_x4(states, blocks) };
            return;
        }
        for (s, b) in states.iter_mut().zip(blocks) {
            compress(s, b);
        }
    }

    /// Set bit `i` of `mask` (64 identifiers a word, `blocks.len().div_ceil(64)` words
    /// written) for every `blocks[i]` the prefilter may contain.
    #[inline]
    pub(crate) fn filter_mask(self, filter: FilterView<'_>, blocks: &[[u8; 16]], mask: &mut [u64]) {
        let words = blocks.len().div_ceil(64);
        assert!(
            mask.len() >= words,
            "mask too short for {} blocks",
            blocks.len()
        );
        #[cfg(target_arch = "x86_64")]
        if self.probe_avx512 && filter.words.len().is_power_of_two() && filter.words.len() >= 2 {
            // SAFETY: `probe_avx512` is only set by `detect`, after the CPU reported
            // `avx512f` and `avx512dq`; the filter length and the mask length were checked
            // just above.
            unsafe {
                probe_avx512::filter_mask(filter.words, filter.xor, filter.mul, blocks, mask)
            };
            return;
        }
        let shift = 64 - filter.words.len().trailing_zeros();
        for m in &mut mask[..words] {
            *m = 0;
        }
        for (i, b) in blocks.iter().enumerate() {
            let (lo, _) = halves16(b);
            let (w, bits) = filter_pos(filter.xor, filter.mul, lo, shift);
            let found = filter.words.get(w).is_some_and(|&x| x & bits == bits);
            mask[i / 64] |= u64::from(found) << (i % 64);
        }
    }

    /// An AES-128 key ready to encrypt on this backend's AES path.
    pub(crate) fn aes128(self, key: &[u8; 16]) -> Aes128Key {
        match self.aes {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `Vaes512` is only set by `detect`, after the CPU reported `aes` (and
            // more), which `aes_ni::expand_key` is compiled for.
            AesPath::Vaes512 => Aes128Key::Vaes512(unsafe { aes_ni::expand_key(key) }),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `AesNi` is only set by `detect`, after the CPU reported `aes` and
            // `sse2`, which `aes_ni::expand_key` is compiled for.
            AesPath::AesNi => Aes128Key::AesNi(unsafe { aes_ni::expand_key(key) }),
            AesPath::Portable => Aes128Key::Portable(*key),
        }
    }
}

/// An expanded AES-128 key (only [`Backend::aes128`] makes one).
pub(crate) enum Aes128Key {
    #[cfg(target_arch = "x86_64")]
    Vaes512(aes_ni::RoundKeys),
    #[cfg(target_arch = "x86_64")]
    AesNi(aes_ni::RoundKeys),
    /// The raw key: the `aes` crate's cipher is large (its own schedules for every path), so
    /// it is set up where it is used instead of being moved around in this enum.
    Portable([u8; 16]),
}

impl Aes128Key {
    /// AES-128 ECB: `dst[i] = E(src[i])` for `i < min(src.len(), dst.len())`.
    #[inline]
    pub(crate) fn encrypt(&self, src: &[[u8; 16]], dst: &mut [[u8; 16]]) {
        let n = src.len().min(dst.len());
        let (src, dst) = (&src[..n], &mut dst[..n]);
        match self {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: a `Vaes512` key is only made by `Backend::aes128` on a `Vaes512`
            // backend, which `detect` builds only after the CPU reported `aes`, `vaes` and
            // `avx512f`, the features `aes_ni::encrypt_vaes` is compiled for.
            Self::Vaes512(rk) => unsafe { aes_ni::encrypt_vaes(rk, src, dst) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: an `AesNi` key is only made on an `AesNi` (or, in tests, a downgraded
            // `Vaes512`) backend, built only after the CPU reported `aes` and `sse2`.
            Self::AesNi(rk) => unsafe { aes_ni::encrypt_aesni(rk, src, dst) },
            Self::Portable(key) => {
                let c = aes::Aes128::new(&Array::from(*key));
                // Equal lengths by construction: this cannot fail.
                let _ = c.encrypt_blocks_b2b(
                    Array::cast_slice_from_core(src),
                    Array::cast_slice_from_core_mut(dst),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every path this CPU can run, the portable one included.
    fn backends() -> Vec<Backend> {
        let d = Backend::detect();
        vec![d, d.without_vaes(), Backend::PORTABLE]
    }

    proptest! {
        #[test]
        fn every_backend_equals_sha2(states in any::<[[u32; 8]; 4]>(), seed in any::<[u8; 32]>()) {
            let mut blocks = [[0u8; 64]; 4];
            for (i, b) in blocks.iter_mut().enumerate() {
                for (j, x) in b.iter_mut().enumerate() {
                    *x = seed[(i * 7 + j) % 32].wrapping_mul(j as u8 + 1).wrapping_add(i as u8);
                }
            }
            let mut expected = states;
            for (s, b) in expected.iter_mut().zip(&blocks) {
                sha2::block_api::compress256(s, std::slice::from_ref(b));
            }
            for backend in backends() {
                let mut got = states;
                backend.compress_x4(&mut got, &blocks);
                prop_assert_eq!(got, expected, "{:?}", backend);
            }
        }

        #[test]
        fn chains_equal_step_by_step_sha2(a in any::<[u32; 8]>(), b in any::<[u32; 8]>(), n in 0usize..20) {
            let step = |s: [u32; 8]| {
                let mut block = crate::matching::fast::sha256::block32();
                crate::matching::fast::sha256::state_bytes(&s, &mut block);
                let mut t = crate::matching::fast::sha256::IV;
                sha2::block_api::compress256(&mut t, std::slice::from_ref(&block));
                t
            };
            let (mut ea, mut eb) = (vec![], vec![]);
            let (mut sa, mut sb) = (a, b);
            for _ in 0..n {
                sa = step(sa);
                sb = step(sb);
                ea.push(sa);
                eb.push(sb);
            }
            for backend in backends() {
                let (mut oa, mut ob) = (vec![[0u32; 8]; n], vec![[0u32; 8]; n]);
                backend.chain_x2(a, b, &mut oa, &mut ob);
                prop_assert_eq!(&oa, &ea, "{:?}", backend);
                prop_assert_eq!(&ob, &eb, "{:?}", backend);
            }
        }

        #[test]
        fn every_aes_path_equals_the_aes_crate(key in any::<[u8; 16]>(), seed in any::<u64>(), n in 0usize..=150) {
            let src: Vec<[u8; 16]> = (0..n as u64)
                .map(|i| {
                    let mut b = [0u8; 16];
                    b[..8].copy_from_slice(&(seed ^ i.wrapping_mul(0x9e37_79b9_7f4a_7c15)).to_le_bytes());
                    b[8..].copy_from_slice(&i.to_le_bytes());
                    b
                })
                .collect();
            let cipher = aes::Aes128::new(&Array::from(key));
            let expected: Vec<[u8; 16]> = src
                .iter()
                .map(|b| {
                    let mut x = Array::from(*b);
                    cipher.encrypt_block(&mut x);
                    x.into()
                })
                .collect();
            for backend in backends() {
                // One guard block past the end must stay untouched.
                let mut dst = vec![[0xa5u8; 16]; n + 1];
                backend.aes128(&key).encrypt(&src, &mut dst[..n]);
                prop_assert_eq!(&dst[..n], &expected[..], "{:?}", backend);
                prop_assert_eq!(dst[n], [0xa5u8; 16]);
            }
        }
    }

    proptest! {
        #[test]
        fn every_probe_path_agrees_with_the_table(
            seed in any::<[u64; 4]>(), logged in prop::collection::vec(any::<[u8; 16]>(), 0..300),
            extra in prop::collection::vec(any::<[u8; 16]>(), 0..150), take in 0usize..300,
        ) {
            use super::super::table::{IdTable, Seed};
            let groups: Vec<u32> = (0..logged.len() as u32).collect();
            let table = IdTable::build(Seed(seed), &groups, |i| halves16(&logged[i as usize]));
            // Probe logged identifiers (all present) mixed with others.
            let mut blocks: Vec<[u8; 16]> = logged.iter().take(take).copied().collect();
            blocks.extend(extra);
            for backend in backends() {
                let mut mask = vec![u64::MAX; blocks.len().div_ceil(64) + 1];
                backend.filter_mask(table.filter(), &blocks, &mut mask);
                for (i, b) in blocks.iter().enumerate() {
                    let (lo, _) = halves16(b);
                    prop_assert_eq!(mask[i / 64] >> (i % 64) & 1 == 1, table.may_contain(lo), "{:?} {}", backend, i);
                }
                let words = blocks.len().div_ceil(64);
                if !blocks.len().is_multiple_of(64) {
                    prop_assert_eq!(mask[words - 1] >> (blocks.len() % 64), 0);
                }
                prop_assert_eq!(mask[words], u64::MAX, "past the mask's words nothing is written");
            }
        }
    }

    #[test]
    fn detection_picks_the_intrinsics_where_available() {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            let d = Backend::detect();
            assert_eq!(d.sha_ni, has!("sha") && has!("sse4.1") && has!("ssse3"));
            if has!("aes") && has!("vaes") && has!("avx512f") {
                assert_eq!(d.aes, AesPath::Vaes512);
            } else if has!("aes") {
                assert_eq!(d.aes, AesPath::AesNi);
            }
        }
    }
}
