//! HKDF-SHA256 with no salt and a 16-byte output, the only shape GAEN uses.

use ring::hkdf;

/// Output length marker for ring's HKDF.
struct Len16;

impl hkdf::KeyType for Len16 {
    fn len(&self) -> usize {
        16
    }
}

/// `HKDF-SHA256(ikm, salt = none, info, L = 16)`.
///
/// An absent salt is 32 zero bytes (RFC 5869 §2.2); an empty HMAC key pads to the same block,
/// so ring's empty salt gives the same PRK.
pub(crate) fn hkdf_sha256_16(ikm: &[u8], info: &[u8]) -> [u8; 16] {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, &[]).extract(ikm);
    let mut out = [0u8; 16];
    // ring only refuses outputs longer than 255 hash blocks; 16 bytes is always accepted, so
    // neither call can fail for any input.
    let filled = prk
        .expand(&[info], Len16)
        .and_then(|okm| okm.fill(&mut out));
    debug_assert!(filled.is_ok());
    out
}
