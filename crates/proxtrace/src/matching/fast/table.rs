//! A seeded lookup table for logged identifiers, with a bitset prefilter in front.
//!
//! Logged identifiers are attacker-controlled (anyone can broadcast chosen bytes), so bucket
//! positions come from a keyed hash: `fold(lo ⊕ k0, hi ⊕ k1)` with a per-run random seed,
//! where `fold` is a 64×64→128-bit multiply folded to 64 bits. Without the seed an attacker
//! cannot aim many identifiers at one bucket and lengthen probe chains.
//!
//! The prefilter needs no seed: it is a blocked Bloom filter addressed by the identifier's own
//! bytes (bytes 0–3 pick a 64-bit word, bytes 4, 5 and 6 three bits in it), and the values
//! probed are derived identifiers (AES / SHA-256 outputs of published keys), uniformly random
//! whatever was logged. Flooding can only set bits, which raises the fraction of probes that
//! reach the table; there is no chain to lengthen. At 16–32 bits per identifier about 0.2 %
//! of probes get past it, with one memory word read each.

/// Hash seed; draw it from a CSPRNG for every match run.
#[derive(Clone, Copy)]
pub(crate) struct Seed(pub(crate) [u64; 2]);

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
    /// Number of filter words − 1 (a power of two minus one).
    word_mask: u32,
}

/// The filter word index and bit mask of an identifier's first 8 bytes (little-endian).
#[inline(always)]
fn filter_pos(lo: u64, word_mask: u32) -> (usize, u64) {
    let word = (lo as u32 & word_mask) as usize;
    let bits =
        (1u64 << ((lo >> 32) & 63)) | (1u64 << ((lo >> 40) & 63)) | (1u64 << ((lo >> 48) & 63));
    (word, bits)
}

impl IdTable {
    /// Build from the sorted identifiers' group starts. `key(i)` returns the halves of entry i
    /// (the prefilter uses the low 32 bits of the low half: the identifier's first 4 bytes).
    pub(crate) fn build(seed: Seed, group_starts: &[u32], key: impl Fn(u32) -> (u64, u64)) -> Self {
        let n = group_starts.len().max(1);
        let slots_len = (2 * n).next_power_of_two().max(16);
        let filter_words = (16 * n / 64).next_power_of_two().clamp(16, 1 << 28);
        let mut t = Self {
            seed,
            slots: vec![0; slots_len],
            slot_mask: slots_len as u64 - 1,
            filter: vec![0; filter_words],
            word_mask: (filter_words - 1) as u32,
        };
        for &g in group_starts {
            let (lo, hi) = key(g);
            let (word, bits) = filter_pos(lo, t.word_mask);
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
        let (word, bits) = filter_pos(lo, self.word_mask);
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

    /// Heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.slots.capacity() * 4 + self.filter.capacity() * 8
    }
}
