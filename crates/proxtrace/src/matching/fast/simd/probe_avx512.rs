//! The prefilter probe of eight derived identifiers at once on AVX-512: the first 8 bytes of
//! each block gathered into one register, the keyed multiply (`vpmullq`), the word index and
//! three bit positions by shifts, one gather of the filter words and one compare. The formula
//! is `table::filter_pos`, bit for bit.

use core::arch::x86_64::{
    __m512i, __mmask8, _mm512_and_si512, _mm512_cmpeq_epi64_mask, _mm512_loadu_si512,
    _mm512_maskz_loadu_epi64, _mm512_mullo_epi64, _mm512_or_si512, _mm512_permutex2var_epi64,
    _mm512_set_epi64, _mm512_set1_epi64, _mm512_sllv_epi64, _mm512_srli_epi64, _mm512_srlv_epi64,
    _mm512_storeu_si512, _mm512_xor_si512,
};

/// Set bit `i` of `mask` (64 blocks a word) for every `blocks[i]` the filter may contain;
/// other bits of the words written are cleared.
///
/// # Safety
/// The CPU must support `avx512f` and `avx512dq`; `words.len()` must be a power of two ≥ 2;
/// `mask` must have at least `blocks.len().div_ceil(64)` words.
#[target_feature(enable = "avx512f,avx512dq")]
pub(super) unsafe fn filter_mask(
    words: &[u64],
    xor: u64,
    mul: u64,
    blocks: &[[u8; 16]],
    mask: &mut [u64],
) {
    let shift = 64 - u64::from(words.len().trailing_zeros());
    let xor = _mm512_set1_epi64(xor as i64);
    let mul = _mm512_set1_epi64(mul as i64);
    let shift = _mm512_set1_epi64(shift as i64);
    let six = _mm512_set1_epi64(63);
    let one = _mm512_set1_epi64(1);
    // Low qwords of the four blocks in `a`, then of the four in `b`.
    let lows = _mm512_set_epi64(14, 12, 10, 8, 6, 4, 2, 0);
    for m in mask.iter_mut().take(blocks.len().div_ceil(64)) {
        *m = 0;
    }
    let p = blocks.as_ptr();
    let mut i = 0;
    while i < blocks.len() {
        let left = blocks.len() - i;
        let (a, b) = if left >= 8 {
            // SAFETY: blocks i..i+8 are in the slice: two 64-byte loads.
            unsafe {
                (
                    _mm512_loadu_si512(p.add(i).cast::<__m512i>()),
                    _mm512_loadu_si512(p.add(i + 4).cast::<__m512i>()),
                )
            }
        } else {
            // Masked loads: lanes past the slice are neither read nor used.
            let lanes = |n: usize| -> __mmask8 { ((1u32 << (2 * n.min(4))) - 1) as __mmask8 };
            // SAFETY: the masks limit the loads to the `left` < 8 blocks from i.
            unsafe {
                (
                    _mm512_maskz_loadu_epi64(lanes(left), p.add(i).cast::<i64>()),
                    _mm512_maskz_loadu_epi64(
                        lanes(left.saturating_sub(4)),
                        p.add(i + left.min(4)).cast::<i64>(),
                    ),
                )
            }
        };
        let lo = _mm512_permutex2var_epi64(a, lows, b);
        let h = _mm512_mullo_epi64(_mm512_xor_si512(lo, xor), mul);
        let word = _mm512_srlv_epi64(h, shift);
        let bit = |s: __m512i| _mm512_sllv_epi64(one, _mm512_and_si512(s, six));
        let bits = _mm512_or_si512(
            _mm512_or_si512(
                bit(_mm512_srli_epi64::<18>(h)),
                bit(_mm512_srli_epi64::<24>(h)),
            ),
            bit(_mm512_srli_epi64::<30>(h)),
        );
        // The eight filter words by scalar loads (three load ports; a `vpgatherqq` is
        // microcoded on Zen 4 and slower), tested against their bit masks in a register.
        let mut idx = [0u64; 8];
        // SAFETY: `idx` is 64 bytes, one unaligned 512-bit store.
        unsafe { _mm512_storeu_si512(idx.as_mut_ptr().cast::<__m512i>(), word) };
        // Every index is h >> (64 − log2(len)) < len; `get` keeps that checked anyway.
        let x = idx.map(|w| words.get(w as usize).copied().unwrap_or(0) as i64);
        let w = _mm512_set_epi64(x[7], x[6], x[5], x[4], x[3], x[2], x[1], x[0]);
        let hit = u32::from(_mm512_cmpeq_epi64_mask(_mm512_and_si512(w, bits), bits));
        let valid = if left >= 8 { 0xff } else { (1u32 << left) - 1 };
        let found = u64::from(hit & valid);
        mask[i / 64] |= found << (i % 64);
        i += 8;
    }
}
