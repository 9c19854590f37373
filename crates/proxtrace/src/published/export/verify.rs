//! ECDSA P-256 / SHA-256 public keys the caller trusts to sign export files.

use std::fmt;

use ring::signature::{ECDSA_P256_SHA256_ASN1, UnparsedPublicKey};

use super::ExportError;

/// `signature_algorithm` of ECDSA P-256 with SHA-256.
pub const ECDSA_P256_SHA256_OID: &str = "1.2.840.10045.4.3.2";

/// The DER prefix of a P-256 SubjectPublicKeyInfo with an uncompressed point (a protocol
/// constant: SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING }).
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// A public key the caller trusts to sign export files, optionally bound to one
/// (`verification_key_id`, `verification_key_version`).
#[derive(Clone, PartialEq, Eq)]
pub struct TrustedKey {
    point: Vec<u8>,
    binding: Option<(String, String)>,
}

impl fmt::Debug for TrustedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustedKey")
            .field("binding", &self.binding)
            .finish_non_exhaustive()
    }
}

impl TrustedKey {
    /// From a DER SubjectPublicKeyInfo (P-256, uncompressed point).
    pub fn from_spki_der(der: &[u8]) -> Result<Self, ExportError> {
        match der.strip_prefix(&P256_SPKI_PREFIX[..]) {
            Some(point) if point.len() == 65 && point[0] == 4 => Ok(Self {
                point: point.to_vec(),
                binding: None,
            }),
            _ => Err(ExportError::BadKey(
                "not a P-256 SubjectPublicKeyInfo with an uncompressed point".into(),
            )),
        }
    }

    /// From an uncompressed SEC1 point (`04 ‖ X ‖ Y`, 65 bytes), as signing libraries give
    /// a key pair's public half.
    pub fn from_uncompressed_point(point: &[u8]) -> Result<Self, ExportError> {
        let mut der = P256_SPKI_PREFIX.to_vec();
        der.extend_from_slice(point);
        Self::from_spki_der(&der)
    }

    /// From PEM (`-----BEGIN PUBLIC KEY-----`) or DER bytes.
    pub fn from_pem_or_der(bytes: &[u8]) -> Result<Self, ExportError> {
        if bytes.starts_with(b"-----") || bytes.first().is_some_and(u8::is_ascii_whitespace) {
            let p = pem::parse(bytes).map_err(|e| ExportError::BadKey(format!("PEM: {e}")))?;
            if p.tag() != "PUBLIC KEY" {
                return Err(ExportError::BadKey(format!(
                    "expected a PEM PUBLIC KEY, got {}",
                    p.tag()
                )));
            }
            Self::from_spki_der(p.contents())
        } else {
            Self::from_spki_der(bytes)
        }
    }

    /// Trust this key only for signatures that name this key id and version.
    pub fn bound_to(mut self, key_id: impl Into<String>, key_version: impl Into<String>) -> Self {
        self.binding = Some((key_id.into(), key_version.into()));
        self
    }

    /// The (key id, version) the key is bound to, if any.
    pub fn binding(&self) -> Option<(&str, &str)> {
        self.binding.as_ref().map(|(a, b)| (a.as_str(), b.as_str()))
    }

    /// The key as DER SubjectPublicKeyInfo.
    pub fn to_spki_der(&self) -> Vec<u8> {
        let mut v = P256_SPKI_PREFIX.to_vec();
        v.extend_from_slice(&self.point);
        v
    }

    /// The key as PEM.
    pub fn to_pem(&self) -> String {
        pem::encode(&pem::Pem::new("PUBLIC KEY", self.to_spki_der()))
    }

    pub(crate) fn accepts(&self, key_id: &str, key_version: &str) -> bool {
        self.binding
            .as_ref()
            .is_none_or(|(i, v)| i == key_id && v == key_version)
    }

    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, &self.point)
            .verify(message, signature)
            .is_ok()
    }
}
