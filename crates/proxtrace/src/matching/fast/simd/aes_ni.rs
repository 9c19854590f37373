//! AES-128 encryption of many blocks under one key on the x86-64 AES instructions: the key
//! schedule with `aeskeygenassist`, then either VAES on 512-bit registers (four blocks per
//! instruction, eight registers in flight) or AES-NI on 128-bit registers (eight blocks in
//! flight). Every block goes through a full-width batch; a VAES tail of fewer than four blocks
//! is a masked load and store, not a block-at-a-time loop.

use core::arch::x86_64::{
    __m128i, __m512i, __mmask8, _mm_aesenc_si128, _mm_aesenclast_si128, _mm_aeskeygenassist_si128,
    _mm_loadu_si128, _mm_shuffle_epi32, _mm_slli_si128, _mm_storeu_si128, _mm_xor_si128,
    _mm512_aesenc_epi128, _mm512_aesenclast_epi128, _mm512_broadcast_i32x4, _mm512_loadu_si512,
    _mm512_mask_storeu_epi64, _mm512_maskz_loadu_epi64, _mm512_storeu_si512, _mm512_xor_si512,
};

/// The eleven AES-128 round keys.
pub(super) type RoundKeys = [__m128i; 11];

/// The AES-128 key schedule (FIPS 197 §5.2) with `aeskeygenassist`.
#[target_feature(enable = "aes,sse2")]
pub(super) fn expand_key(key: &[u8; 16]) -> RoundKeys {
    // SAFETY: `key` is 16 bytes, one unaligned 128-bit load.
    let k0 = unsafe { _mm_loadu_si128(key.as_ptr().cast::<__m128i>()) };
    let mut rk = [k0; 11];
    macro_rules! step {
        ($i:expr, $rcon:expr) => {{
            let mut k = rk[$i - 1];
            let t = _mm_shuffle_epi32::<0xff>(_mm_aeskeygenassist_si128::<$rcon>(k));
            k = _mm_xor_si128(k, _mm_slli_si128::<4>(k));
            k = _mm_xor_si128(k, _mm_slli_si128::<4>(k));
            k = _mm_xor_si128(k, _mm_slli_si128::<4>(k));
            rk[$i] = _mm_xor_si128(k, t);
        }};
    }
    step!(1, 0x01);
    step!(2, 0x02);
    step!(3, 0x04);
    step!(4, 0x08);
    step!(5, 0x10);
    step!(6, 0x20);
    step!(7, 0x40);
    step!(8, 0x80);
    step!(9, 0x1b);
    step!(10, 0x36);
    rk
}

/// `W` registers of four blocks each through all ten rounds.
#[inline]
#[target_feature(enable = "aes,vaes,avx512f")]
fn rounds_512<const W: usize>(x: &mut [__m512i; W], k: &[__m512i; 11]) {
    for v in x.iter_mut() {
        *v = _mm512_xor_si512(*v, k[0]);
    }
    for rk in &k[1..10] {
        for v in x.iter_mut() {
            *v = _mm512_aesenc_epi128(*v, *rk);
        }
    }
    for v in x.iter_mut() {
        *v = _mm512_aesenclast_epi128(*v, k[10]);
    }
}

/// Encrypt `W × 4` blocks from `src` to `dst`.
///
/// # Safety
/// `src` and `dst` must each be valid for `64 · W` bytes; the CPU must support `aes`, `vaes`
/// and `avx512f`.
#[inline]
#[target_feature(enable = "aes,vaes,avx512f")]
unsafe fn batch_512<const W: usize>(src: *const [u8; 16], dst: *mut [u8; 16], k: &[__m512i; 11]) {
    let mut x = [k[0]; W];
    for (i, v) in x.iter_mut().enumerate() {
        // SAFETY: the caller guarantees 64·W readable bytes at `src`; this reads 64 at 64·i.
        *v = unsafe { _mm512_loadu_si512(src.add(4 * i).cast::<__m512i>()) };
    }
    rounds_512(&mut x, k);
    for (i, v) in x.iter().enumerate() {
        // SAFETY: the caller guarantees 64·W writable bytes at `dst`; this writes 64 at 64·i.
        unsafe { _mm512_storeu_si512(dst.add(4 * i).cast::<__m512i>(), *v) };
    }
}

/// Encrypt `src` into `dst` (equal lengths) with VAES-512.
///
/// # Safety
/// The CPU must support `aes`, `vaes` and `avx512f`.
#[target_feature(enable = "aes,vaes,avx512f")]
pub(super) unsafe fn encrypt_vaes(rk: &RoundKeys, src: &[[u8; 16]], dst: &mut [[u8; 16]]) {
    let n = src.len().min(dst.len());
    let k = rk.map(|r| _mm512_broadcast_i32x4(r));
    let (s, d) = (src.as_ptr(), dst.as_mut_ptr());
    let mut i = 0;
    while i + 32 <= n {
        // SAFETY: blocks i..i+32 are within both slices (i + 32 ≤ n).
        unsafe { batch_512::<8>(s.add(i), d.add(i), &k) };
        i += 32;
    }
    if i + 16 <= n {
        // SAFETY: blocks i..i+16 are within both slices.
        unsafe { batch_512::<4>(s.add(i), d.add(i), &k) };
        i += 16;
    }
    if i + 8 <= n {
        // SAFETY: blocks i..i+8 are within both slices.
        unsafe { batch_512::<2>(s.add(i), d.add(i), &k) };
        i += 8;
    }
    if i + 4 <= n {
        // SAFETY: blocks i..i+4 are within both slices.
        unsafe { batch_512::<1>(s.add(i), d.add(i), &k) };
        i += 4;
    }
    if i < n {
        // 1–3 blocks: two 64-bit lanes per block, the rest masked off (neither read nor
        // written, so nothing past the slices is touched).
        let mask: __mmask8 = ((1u32 << (2 * (n - i))) - 1) as __mmask8;
        // SAFETY: the mask limits the load to the n − i < 4 blocks left in `src`.
        let mut x = [unsafe { _mm512_maskz_loadu_epi64(mask, s.add(i).cast::<i64>()) }];
        rounds_512(&mut x, &k);
        // SAFETY: the mask limits the store to the n − i blocks left in `dst`.
        unsafe { _mm512_mask_storeu_epi64(d.add(i).cast::<i64>(), mask, x[0]) };
    }
}

/// Encrypt `src` into `dst` (equal lengths) with AES-NI, eight blocks in flight.
///
/// # Safety
/// The CPU must support `aes` and `sse2`.
#[target_feature(enable = "aes,sse2")]
pub(super) unsafe fn encrypt_aesni(rk: &RoundKeys, src: &[[u8; 16]], dst: &mut [[u8; 16]]) {
    for (s, d) in src.chunks(8).zip(dst.chunks_mut(8)) {
        let mut x = [rk[0]; 8];
        let w = s.len().min(d.len());
        for (v, b) in x.iter_mut().zip(&s[..w]) {
            // SAFETY: `b` is 16 bytes, one unaligned 128-bit load.
            *v = _mm_xor_si128(
                unsafe { _mm_loadu_si128(b.as_ptr().cast::<__m128i>()) },
                rk[0],
            );
        }
        for r in &rk[1..10] {
            for v in &mut x[..w] {
                *v = _mm_aesenc_si128(*v, *r);
            }
        }
        for (v, b) in x[..w].iter().zip(&mut d[..w]) {
            let c = _mm_aesenclast_si128(*v, rk[10]);
            // SAFETY: `b` is 16 bytes, one unaligned 128-bit store.
            unsafe { _mm_storeu_si128(b.as_mut_ptr().cast::<__m128i>(), c) };
        }
    }
}
