//! A seeded lookup table for logged identifiers, with a bitset prefilter in front.
//!
//! Logged identifiers are attacker-controlled (anyone can broadcast chosen bytes), so bucket
//! positions come from a keyed hash: `fold(lo ⊕ k0, hi ⊕ k1)` with a per-run random seed,
//! where `fold` is a 64×64→128-bit multiply folded to 64 bits. Without the seed an attacker
//! cannot aim many identifiers at one bucket and lengthen probe chains.
//!
//! The prefilter is a blocked Bloom filter: one keyed multiply of the identifier's first 8
//! bytes, `(lo ⊕ k2)·(k3 | 1)`, whose top bits pick a 64-bit word and three 6-bit fields of
//! its middle bits three bits in it. The values probed are derived identifiers (AES / SHA-256
//! outputs of published keys), uniformly random whatever was logged, and the seed keeps the
//! logged ones from being aimed at chosen words either. Flooding can only set bits, which
//! raises the fraction of probes that reach the table; there is no chain to lengthen. At
//! 16–32 bits per identifier about 0.2 % of probes get past it, with one memory word read
//! each, and the filter of 10 000 identifiers (20 KiB) stays in L1.

/// Hash seed; draw it from a CSPRNG for every match run.
#[derive(Clone, Copy)]
/// Words 0 and 1 key the table hash, 2 and 3 the prefilter.
pub(crate) struct Seed(pub(crate) [u64; 4]);

#[inline(always)]
fn fold_mul(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    (p as u64) ^ ((p >> 64) as u64)
}

/// The keyed hash of an identifier given as two 64-bit halves.
#[inline(always)]
pub(crate) fn hash(seed: Seed, lo: u64, hi: u64) -> u64 {
    fold_mul(lo ^ seed.0[0], hi ^ seed.0[1])
}

/// The two 64-bit halves of a 16-byte identifier.
#[inline(always)]
pub(crate) fn halves16(b: &[u8; 16]) -> (u64, u64) {
    let mut lo = [0u8; 8];
    let mut hi = [0u8; 8];
    lo.copy_from_slice(&b[..8]);
    hi.copy_from_slice(&b[8..]);
    (u64::from_le_bytes(lo), u64::from_le_bytes(hi))
}

/// The two halves of a 12-byte identifier (high half zero-extended).
#[inline(always)]
pub(crate) fn halves12(b: &[u8; 12]) -> (u64, u64) {
    let mut lo = [0u8; 8];
    let mut hi = [0u8; 8];
    lo.copy_from_slice(&b[..8]);
    hi[..4].copy_from_slice(&b[8..]);
    (u64::from_le_bytes(lo), u64::from_le_bytes(hi))
}

/// Open-addressing table of group starts (index of the first entry of each distinct
/// identifier), linear probing, load ≤ ½, plus a prefilter bitset of 16 bits per identifier.
pub(crate) struct IdTable {
    seed: Seed,
    /// `entry index + 1`; 0 is empty.
    slots: Vec<u32>,
    slot_mask: u64,
    filter: Vec<u64>,
    /// `64 − log2(filter words)`: the word index is the keyed product's top bits.
    word_shift: u32,
}

/// The prefilter's words and keys, for batch probes (`simd::Backend::filter_mask`).
#[derive(Clone, Copy)]
pub(crate) struct FilterView<'a> {
    /// A power-of-two number (≥ 16) of words.
    pub(crate) words: &'a [u64],
    /// XOR key.
    pub(crate) xor: u64,
    /// Odd multiplier.
    pub(crate) mul: u64,
}

/// The filter word index and bit mask of an identifier's first 8 bytes (little-endian), for a
/// filter of `2^(64 − word_shift)` words keyed by `xor` and the odd `mul`.
#[inline(always)]
pub(crate) fn filter_pos(xor: u64, mul: u64, lo: u64, word_shift: u32) -> (usize, u64) {
    let h = (lo ^ xor).wrapping_mul(mul);
    let word = (h >> word_shift) as usize;
    let bits = (1u64 << ((h >> 18) & 63)) | (1u64 << ((h >> 24) & 63)) | (1u64 << ((h >> 30) & 63));
    (word, bits)
}

impl IdTable {
    /// Build from the sorted identifiers' group starts. `key(i)` returns the halves of entry i
    /// (the prefilter uses the low half: the identifier's first 8 bytes).
    pub(crate) fn build(seed: Seed, group_starts: &[u32], key: impl Fn(u32) -> (u64, u64)) -> Self {
        let n = group_starts.len().max(1);
        let slots_len = (2 * n).next_power_of_two().max(16);
        let filter_words = (16 * n / 64).next_power_of_two().clamp(16, 1 << 28);
        let mut t = Self {
            seed,
            slots: vec![0; slots_len],
            slot_mask: slots_len as u64 - 1,
            filter: vec![0; filter_words],
            word_shift: 64 - filter_words.trailing_zeros(),
        };
        for &g in group_starts {
            let (lo, hi) = key(g);
            let (word, bits) = filter_pos(seed.0[2], seed.0[3] | 1, lo, t.word_shift);
            t.filter[word] |= bits;
            let h = hash(seed, lo, hi);
            let mut s = (h >> 32) & t.slot_mask;
            while t.slots[s as usize] != 0 {
                s = (s + 1) & t.slot_mask;
            }
            t.slots[s as usize] = g + 1;
        }
        t
    }

    /// Whether an identifier whose first 8 bytes (little-endian) are `lo` may be in the table.
    #[inline(always)]
    pub(crate) fn may_contain(&self, lo: u64) -> bool {
        let (word, bits) = filter_pos(self.seed.0[2], self.seed.0[3] | 1, lo, self.word_shift);
        self.filter[word] & bits == bits
    }

    /// The first entry index of the identifier `(lo, hi)`, using `eq(i)` to compare it with
    /// entry i.
    #[inline(always)]
    pub(crate) fn find(&self, lo: u64, hi: u64, eq: impl Fn(u32) -> bool) -> Option<u32> {
        if !self.may_contain(lo) {
            return None;
        }
        let h = hash(self.seed, lo, hi);
        let mut s = (h >> 32) & self.slot_mask;
        loop {
            let v = self.slots[s as usize];
            if v == 0 {
                return None;
            }
            if eq(v - 1) {
                return Some(v - 1);
            }
            s = (s + 1) & self.slot_mask;
        }
    }

    /// The prefilter, for batch probes.
    pub(crate) fn filter(&self) -> FilterView<'_> {
        FilterView {
            words: &self.filter,
            xor: self.seed.0[2],
            mul: self.seed.0[3] | 1,
        }
    }

    /// Heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.slots.capacity() * 4 + self.filter.capacity() * 8
    }
}
