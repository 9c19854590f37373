//! SHA-256 compressions on the x86-64 SHA extensions, two independent lanes interleaved
//! instruction by instruction (a single compression is bound by the latency of
//! `sha256rnds2`; a second independent one fills it).

use core::arch::x86_64::{
    __m128i, _mm_add_epi32, _mm_alignr_epi8, _mm_blend_epi16, _mm_loadu_si128, _mm_set_epi64x,
    _mm_sha256msg1_epu32, _mm_sha256msg2_epu32, _mm_sha256rnds2_epu32, _mm_shuffle_epi8,
    _mm_shuffle_epi32, _mm_storeu_si128,
};

/// The SHA-256 round constants (FIPS 180-4 §4.2.2).
const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// Four compressions: two interleaved pairs.
///
/// # Safety
/// The CPU must support `sha`, `sse2`, `ssse3` and `sse4.1`.
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
pub(super) unsafe fn compress_x4(states: &mut [[u32; 8]; 4], blocks: &[[u8; 64]; 4]) {
    let [s0, s1, s2, s3] = states;
    compress_x2(s0, s1, &blocks[0], &blocks[1]);
    compress_x2(s2, s3, &blocks[2], &blocks[3]);
}

/// State words `A..H` to the SHA-NI register layout `(ABEF, CDGH)`.
#[inline]
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
fn to_ni(state: &[u32; 8]) -> (__m128i, __m128i) {
    // SAFETY: `state` is 8 u32 = 32 bytes; each unaligned load reads 16 of them.
    let (abcd, efgh) = unsafe {
        (
            _mm_loadu_si128(state.as_ptr().cast::<__m128i>()),
            _mm_loadu_si128(state.as_ptr().add(4).cast::<__m128i>()),
        )
    };
    let badc = _mm_shuffle_epi32(abcd, 0xB1);
    let hgfe = _mm_shuffle_epi32(efgh, 0x1B);
    (
        _mm_alignr_epi8(badc, hgfe, 8),
        _mm_blend_epi16(hgfe, badc, 0xF0),
    )
}

/// The SHA-NI register layout back to state words.
#[inline]
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
fn from_ni(abef: __m128i, cdgh: __m128i, state: &mut [u32; 8]) {
    let feba = _mm_shuffle_epi32(abef, 0x1B);
    let dchg = _mm_shuffle_epi32(cdgh, 0xB1);
    // SAFETY: `state` is 32 bytes; each unaligned store writes 16 of them.
    unsafe {
        _mm_storeu_si128(
            state.as_mut_ptr().cast::<__m128i>(),
            _mm_blend_epi16(feba, dchg, 0xF0),
        );
        _mm_storeu_si128(
            state.as_mut_ptr().add(4).cast::<__m128i>(),
            _mm_alignr_epi8(dchg, feba, 8),
        );
    }
}

/// The four big-endian message words of a block's 16-byte quarter `i`.
#[inline]
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
fn load_words(block: &[u8; 64], i: usize, bswap: __m128i) -> __m128i {
    debug_assert!(i < 4);
    // SAFETY: `block` is 64 bytes and i < 4, so bytes 16i..16i+16 are in bounds.
    let raw = unsafe { _mm_loadu_si128(block.as_ptr().add(16 * i).cast::<__m128i>()) };
    _mm_shuffle_epi8(raw, bswap)
}

/// Two SHA-256 compressions, instruction by instruction interleaved, from loaded message
/// words `ma`, `mb` (lane i of register k = `W[4k + i]`) and states in SHA-NI layout.
///
/// Register `m[k % 4]` holds message words `W[4k..4k+4]`. In group `g` (rounds
/// `4g..4g+4`): `W[4(g+1)..]` is finished from the partial `msg1(W[4(g−3)..], W[4(g−2)..])`
/// computed two groups earlier, `+ W[4(g−1)+1..]` (`alignr`), and `msg2` with `W[4g..]`;
/// then `msg1(W[4(g−1)..], W[4g..])` starts the word group needed three groups later. The
/// register indices are constants (a macro, not a loop) so both lanes stay in the 16 xmm
/// registers. Returns the new `(abef_a, cdgh_a, abef_b, cdgh_b)`, feed-forward included.
#[inline]
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
fn rounds_x2(
    (mut abef_a, mut cdgh_a): (__m128i, __m128i),
    (mut abef_b, mut cdgh_b): (__m128i, __m128i),
    [mut a0, mut a1, mut a2, mut a3]: [__m128i; 4],
    [mut b0, mut b1, mut b2, mut b3]: [__m128i; 4],
) -> (__m128i, __m128i, __m128i, __m128i) {
    let (abef_a0, cdgh_a0, abef_b0, cdgh_b0) = (abef_a, cdgh_a, abef_b, cdgh_b);
    // One group of four rounds for both lanes; `$cur`, `$prev`, `$next` are the registers
    // holding W of groups g, g − 1 and g + 1 (mod 4), so every index is a constant.
    macro_rules! group {
        ($g:expr, $ca:ident $cb:ident, $pa:ident $pb:ident, $na:ident $nb:ident, msg2: $m2:tt, msg1: $m1:tt) => {{
            // SAFETY: K has 64 words; group $g < 16 reads words 4g..4g+4.
            let k = unsafe { _mm_loadu_si128(K.as_ptr().add(4 * $g).cast::<__m128i>()) };
            let wka = _mm_add_epi32($ca, k);
            let wkb = _mm_add_epi32($cb, k);
            cdgh_a = _mm_sha256rnds2_epu32(cdgh_a, abef_a, wka);
            cdgh_b = _mm_sha256rnds2_epu32(cdgh_b, abef_b, wkb);
            group!(@msg2 $m2, $ca $cb, $pa $pb, $na $nb);
            abef_a = _mm_sha256rnds2_epu32(abef_a, cdgh_a, _mm_shuffle_epi32(wka, 0x0E));
            abef_b = _mm_sha256rnds2_epu32(abef_b, cdgh_b, _mm_shuffle_epi32(wkb, 0x0E));
            group!(@msg1 $m1, $ca $cb, $pa $pb);
        }};
        (@msg2 yes, $ca:ident $cb:ident, $pa:ident $pb:ident, $na:ident $nb:ident) => {
            $na = _mm_sha256msg2_epu32(_mm_add_epi32($na, _mm_alignr_epi8($ca, $pa, 4)), $ca);
            $nb = _mm_sha256msg2_epu32(_mm_add_epi32($nb, _mm_alignr_epi8($cb, $pb, 4)), $cb);
        };
        (@msg2 no, $($t:tt)*) => {};
        (@msg1 yes, $ca:ident $cb:ident, $pa:ident $pb:ident) => {
            $pa = _mm_sha256msg1_epu32($pa, $ca);
            $pb = _mm_sha256msg1_epu32($pb, $cb);
        };
        (@msg1 no, $($t:tt)*) => {};
    }
    group!(0, a0 b0, a3 b3, a1 b1, msg2: no, msg1: no);
    group!(1, a1 b1, a0 b0, a2 b2, msg2: no, msg1: yes);
    group!(2, a2 b2, a1 b1, a3 b3, msg2: no, msg1: yes);
    group!(3, a3 b3, a2 b2, a0 b0, msg2: yes, msg1: yes);
    group!(4, a0 b0, a3 b3, a1 b1, msg2: yes, msg1: yes);
    group!(5, a1 b1, a0 b0, a2 b2, msg2: yes, msg1: yes);
    group!(6, a2 b2, a1 b1, a3 b3, msg2: yes, msg1: yes);
    group!(7, a3 b3, a2 b2, a0 b0, msg2: yes, msg1: yes);
    group!(8, a0 b0, a3 b3, a1 b1, msg2: yes, msg1: yes);
    group!(9, a1 b1, a0 b0, a2 b2, msg2: yes, msg1: yes);
    group!(10, a2 b2, a1 b1, a3 b3, msg2: yes, msg1: yes);
    group!(11, a3 b3, a2 b2, a0 b0, msg2: yes, msg1: yes);
    group!(12, a0 b0, a3 b3, a1 b1, msg2: yes, msg1: yes);
    group!(13, a1 b1, a0 b0, a2 b2, msg2: yes, msg1: no);
    group!(14, a2 b2, a1 b1, a3 b3, msg2: yes, msg1: no);
    group!(15, a3 b3, a2 b2, a0 b0, msg2: no, msg1: no);
    (
        _mm_add_epi32(abef_a, abef_a0),
        _mm_add_epi32(cdgh_a, cdgh_a0),
        _mm_add_epi32(abef_b, abef_b0),
        _mm_add_epi32(cdgh_b, cdgh_b0),
    )
}

/// Two compressions of arbitrary blocks into two states.
#[inline]
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
fn compress_x2(sa: &mut [u32; 8], sb: &mut [u32; 8], ba: &[u8; 64], bb: &[u8; 64]) {
    let bswap = _mm_set_epi64x(0x0c0d_0e0f_0809_0a0b, 0x0405_0607_0001_0203);
    let ma = [0, 1, 2, 3].map(|i| load_words(ba, i, bswap));
    let mb = [0, 1, 2, 3].map(|i| load_words(bb, i, bswap));
    let (abef_a, cdgh_a, abef_b, cdgh_b) = rounds_x2(to_ni(sa), to_ni(sb), ma, mb);
    from_ni(abef_a, cdgh_a, sa);
    from_ni(abef_b, cdgh_b, sb);
}

/// Two hash chains of 32-byte values. Hashing a digest needs one block whose first eight
/// message words are the digest's state words and whose last eight are fixed padding
/// (`0x80000000`, zeros, bit length 256), so each step's output registers are the next
/// step's message registers: no bytes, no byte swaps.
///
/// # Safety
/// The CPU must support `sha`, `sse2`, `ssse3` and `sse4.1`.
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
pub(super) unsafe fn chain_x2(
    a: [u32; 8],
    b: [u32; 8],
    out_a: &mut [[u32; 8]],
    out_b: &mut [[u32; 8]],
) {
    let words = |s: &[u32; 8], i: usize| {
        debug_assert!(i < 2);
        // SAFETY: `s` is 32 bytes; i < 2 reads bytes 16i..16i+16.
        unsafe { _mm_loadu_si128(s.as_ptr().add(4 * i).cast::<__m128i>()) }
    };
    let iv = to_ni(&crate::matching::fast::sha256::IV);
    // W[8..12] = 0x80000000, 0, 0, 0 and W[12..16] = 0, 0, 0, 256 (lane 0 is the low lane).
    let pad_hi = _mm_set_epi64x(0, 0x8000_0000);
    let pad_lo = _mm_set_epi64x(0x0000_0100_0000_0000, 0);
    let (mut a0, mut a1) = (words(&a, 0), words(&a, 1));
    let (mut b0, mut b1) = (words(&b, 0), words(&b, 1));
    for (oa, ob) in out_a.iter_mut().zip(out_b.iter_mut()) {
        let (abef_a, cdgh_a, abef_b, cdgh_b) =
            rounds_x2(iv, iv, [a0, a1, pad_hi, pad_lo], [b0, b1, pad_hi, pad_lo]);
        from_ni(abef_a, cdgh_a, oa);
        from_ni(abef_b, cdgh_b, ob);
        (a0, a1) = (words(oa, 0), words(oa, 1));
        (b0, b1) = (words(ob, 0), words(ob, 1));
    }
}
