//! ECDSA P-256 / SHA-256 public keys the caller trusts to sign export files, and the check of
//! `export.sig`'s signatures against them.

use std::fmt;

use ring::signature::{ECDSA_P256_SHA256_ASN1, UnparsedPublicKey};
use serde::Serialize;

use super::error::PublicKeyError;
use super::proto::{TEKSignature, TEKSignatureList};
use super::{ExportError, SignatureInfo, SignatureStatus, info_from};

/// `signature_algorithm` of ECDSA P-256 with SHA-256.
pub const ECDSA_P256_SHA256_OID: &str = "1.2.840.10045.4.3.2";

/// Names other than the OID that export files in the field give ECDSA P-256 / SHA-256, each
/// accepted when a P-256 key verifies the signature (compared ignoring case, spaces, `-` and
/// `_`):
///
/// | name | seen in |
/// |---|---|
/// | `ECDSA p-256 SHA-256` | Google's early sample files (Xamarin's `KeysExample/export.zip`) |
/// | `ecdsa-with-SHA256` | Immuni's test files (OpenSSL's name of the OID) |
/// | `SHA256withECDSA` | key servers using Java's algorithm name (google/exposure-notifications-android#45) |
pub const ECDSA_P256_SHA256_ALIASES: [&str; 3] = [
    "ECDSA p-256 SHA-256",
    "ecdsa-with-SHA256",
    "SHA256withECDSA",
];

fn normalized(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, ' ' | '-' | '_'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// How a `signature_algorithm` string names ECDSA P-256 / SHA-256, if it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlgorithmName {
    /// The OID `1.2.840.10045.4.3.2`, as the specification requires.
    Oid,
    /// One of [`ECDSA_P256_SHA256_ALIASES`].
    LegacyAlias,
    /// Not a name of ECDSA P-256 / SHA-256.
    Unsupported,
}

impl AlgorithmName {
    /// Classify a `signature_algorithm` string.
    pub fn of(algorithm: &str) -> Self {
        if algorithm.trim() == ECDSA_P256_SHA256_OID {
            return Self::Oid;
        }
        let n = normalized(algorithm);
        if ECDSA_P256_SHA256_ALIASES.iter().any(|a| normalized(a) == n) {
            Self::LegacyAlias
        } else {
            Self::Unsupported
        }
    }
}

// DER object identifiers (content bytes).
const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const KNOWN_OIDS: [(&[u8], &str); 7] = [
    (OID_P256, "P-256"),
    (&[0x2b, 0x81, 0x04, 0x00, 0x0a], "secp256k1"),
    (&[0x2b, 0x81, 0x04, 0x00, 0x22], "P-384"),
    (&[0x2b, 0x81, 0x04, 0x00, 0x23], "P-521"),
    (
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01],
        "rsaEncryption",
    ),
    (&[0x2b, 0x65, 0x70], "Ed25519"),
    (OID_EC_PUBLIC_KEY, "id-ecPublicKey"),
];

/// The dotted form of an OID's content bytes, with its name when known.
fn oid_text(oid: &[u8]) -> String {
    let mut arcs: Vec<u64> = Vec::new();
    let mut v: u64 = 0;
    for &b in oid {
        v = v.saturating_mul(128) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if arcs.is_empty() {
                let first = (v / 40).min(2);
                arcs.push(first);
                arcs.push(v - first * 40);
            } else {
                arcs.push(v);
            }
            v = 0;
        }
    }
    let dotted = arcs
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".");
    match KNOWN_OIDS.iter().find(|(o, _)| *o == oid) {
        Some((_, name)) => format!("{name} ({dotted})"),
        None => dotted,
    }
}

/// One DER TLV: `(tag, content, rest)`.
fn tlv(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 2 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |a, &b| a << 8 | usize::from(b));
        rest = &rest[n..];
        len
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The uncompressed P-256 point of a SubjectPublicKeyInfo, or why it is not one.
fn p256_point(der: &[u8]) -> Result<&[u8], PublicKeyError> {
    let (0x30, spki, _) = tlv(der).ok_or(PublicKeyError::NotSpki)? else {
        return Err(PublicKeyError::NotSpki);
    };
    let (0x30, alg, rest) = tlv(spki).ok_or(PublicKeyError::NotSpki)? else {
        return Err(PublicKeyError::NotSpki);
    };
    let (0x06, alg_oid, params) = tlv(alg).ok_or(PublicKeyError::NotSpki)? else {
        return Err(PublicKeyError::NotSpki);
    };
    if alg_oid != OID_EC_PUBLIC_KEY {
        return Err(PublicKeyError::NotEc(oid_text(alg_oid)));
    }
    match tlv(params) {
        Some((0x06, curve, _)) if curve == OID_P256 => {}
        Some((0x06, curve, _)) => return Err(PublicKeyError::WrongCurve(oid_text(curve))),
        _ => return Err(PublicKeyError::WrongCurve("explicit parameters".into())),
    }
    match tlv(rest) {
        Some((0x03, [0, point @ ..], _)) if point.len() == 65 && point[0] == 4 => Ok(point),
        Some((0x03, _, _)) => Err(PublicKeyError::BadPoint),
        _ => Err(PublicKeyError::NotSpki),
    }
}

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
    /// From a DER SubjectPublicKeyInfo (P-256, uncompressed point). Another curve (such as
    /// secp256k1) or key type is refused with [`PublicKeyError::WrongCurve`] /
    /// [`PublicKeyError::NotEc`].
    pub fn from_spki_der(der: &[u8]) -> Result<Self, PublicKeyError> {
        Ok(Self {
            point: p256_point(der)?.to_vec(),
            binding: None,
        })
    }

    /// From an uncompressed SEC1 point (`04 ‖ X ‖ Y`, 65 bytes), as signing libraries give
    /// a key pair's public half.
    pub fn from_uncompressed_point(point: &[u8]) -> Result<Self, PublicKeyError> {
        let mut der = P256_SPKI_PREFIX.to_vec();
        der.extend_from_slice(point);
        // The prefix declares 65 point bytes: anything else is a bad point, not a bad SPKI.
        if point.len() != 65 {
            return Err(PublicKeyError::BadPoint);
        }
        Self::from_spki_der(&der)
    }

    /// From PEM (`-----BEGIN PUBLIC KEY-----`) or DER bytes.
    pub fn from_pem_or_der(bytes: &[u8]) -> Result<Self, PublicKeyError> {
        if bytes.starts_with(b"-----") || bytes.first().is_some_and(u8::is_ascii_whitespace) {
            let p = pem::parse(bytes).map_err(PublicKeyError::Pem)?;
            if p.tag() != "PUBLIC KEY" {
                return Err(PublicKeyError::PemLabel(p.tag().to_owned()));
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

/// What the check of one signature in `export.sig` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureVerdict {
    /// A configured key verifies it.
    Verified,
    /// A configured key is for this key id and version, but the signature does not verify
    /// with it.
    DoesNotVerify,
    /// No configured key is for this key id and version (or no key is configured).
    NoConfiguredKey,
    /// The algorithm is not ECDSA P-256 / SHA-256 under any known name.
    UnsupportedAlgorithm,
}

/// One signature of `export.sig` and its verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignatureCheck {
    /// The signature's `signature_info`.
    #[serde(flatten)]
    pub info: SignatureInfo,
    /// How the algorithm is named.
    pub algorithm_name: AlgorithmName,
    /// The signature's `batch_num`, if given.
    pub batch_num: Option<i32>,
    /// The signature's `batch_size`, if given.
    pub batch_size: Option<i32>,
    /// What the check found.
    pub verdict: SignatureVerdict,
}

fn check_one(bin: &[u8], s: &TEKSignature, trusted: &[TrustedKey]) -> SignatureCheck {
    let info = s.signature_info.clone().map(info_from).unwrap_or_default();
    let algorithm_name = AlgorithmName::of(&info.algorithm);
    let candidates: Vec<&TrustedKey> = trusted
        .iter()
        .filter(|k| k.accepts(&info.key_id, &info.key_version))
        .collect();
    let verdict = if candidates.is_empty() {
        SignatureVerdict::NoConfiguredKey
    } else if algorithm_name == AlgorithmName::Unsupported {
        SignatureVerdict::UnsupportedAlgorithm
    } else {
        let signature = s.signature.as_deref().unwrap_or_default();
        if candidates.iter().any(|k| k.verify(bin, signature)) {
            SignatureVerdict::Verified
        } else {
            SignatureVerdict::DoesNotVerify
        }
    };
    SignatureCheck {
        info,
        algorithm_name,
        batch_num: s.batch_num,
        batch_size: s.batch_size,
        verdict,
    }
}

/// Check every signature of `list` over `bin` against `trusted`.
pub(crate) fn check_signatures(
    bin: &[u8],
    list: &TEKSignatureList,
    trusted: &[TrustedKey],
) -> Vec<SignatureCheck> {
    list.signatures
        .iter()
        .map(|s| check_one(bin, s, trusted))
        .collect()
}

/// The file's verdict: the first signature that a configured key is for decides (it verifies,
/// or the file is refused, even when unsigned files are allowed: a configured key's failing
/// signature is never ignored). Without one, the file is unsigned.
pub(crate) fn decide(
    checks: &[SignatureCheck],
    allow_unsigned: bool,
) -> Result<SignatureStatus, ExportError> {
    if let Some(c) = checks
        .iter()
        .find(|c| c.verdict != SignatureVerdict::NoConfiguredKey)
    {
        let info = c.info.clone();
        return match c.verdict {
            SignatureVerdict::Verified => Ok(SignatureStatus::Verified {
                key_id: info.key_id,
                key_version: info.key_version,
            }),
            SignatureVerdict::UnsupportedAlgorithm => {
                Err(ExportError::UnsupportedAlgorithm(info.algorithm))
            }
            SignatureVerdict::DoesNotVerify | SignatureVerdict::NoConfiguredKey => {
                Err(ExportError::BadSignature {
                    key_id: info.key_id,
                    key_version: info.key_version,
                })
            }
        };
    }
    if allow_unsigned {
        Ok(SignatureStatus::NotVerified)
    } else if checks.is_empty() {
        Err(ExportError::Unsigned)
    } else {
        let seen: Vec<String> = checks
            .iter()
            .map(|c| format!("{}:{}", c.info.key_id, c.info.key_version))
            .collect();
        Err(ExportError::NoTrustedSignature(seen.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithm_names_in_the_field_are_aliases_and_others_are_not() {
        assert_eq!(AlgorithmName::of("1.2.840.10045.4.3.2"), AlgorithmName::Oid);
        for a in [
            "ECDSA p-256 SHA-256",
            "ecdsa-with-SHA256",
            "SHA256withECDSA",
            "ecdsa_p256_sha256",
        ] {
            assert_eq!(AlgorithmName::of(a), AlgorithmName::LegacyAlias, "{a}");
        }
        for a in ["", "1.2.840.10045.4.3.3", "ed25519", "SHA384withECDSA"] {
            assert_eq!(AlgorithmName::of(a), AlgorithmName::Unsupported, "{a}");
        }
    }

    #[test]
    fn keys_on_other_curves_are_refused_by_name() {
        // A secp256k1 SPKI: SEQUENCE { SEQUENCE { id-ecPublicKey, secp256k1 }, BIT STRING }.
        let mut der = vec![0x30, 0x56, 0x30, 0x10, 0x06, 0x07];
        der.extend_from_slice(OID_EC_PUBLIC_KEY);
        der.extend_from_slice(&[
            0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a, 0x03, 0x42, 0x00, 0x04,
        ]);
        der.extend_from_slice(&[1; 64]);
        let e = TrustedKey::from_spki_der(&der).unwrap_err();
        assert!(matches!(e, PublicKeyError::WrongCurve(_)), "{e}");
        assert!(e.to_string().contains("secp256k1 (1.3.132.0.10)"), "{e}");
        assert!(matches!(
            TrustedKey::from_spki_der(b"nonsense"),
            Err(PublicKeyError::NotSpki)
        ));
        assert!(matches!(
            TrustedKey::from_uncompressed_point(&[4; 33]),
            Err(PublicKeyError::BadPoint)
        ));
        let mut p256 = P256_SPKI_PREFIX.to_vec();
        p256.extend_from_slice(&[4; 65]);
        assert!(TrustedKey::from_spki_der(&p256).is_ok());
        assert_eq!(oid_text(OID_P256), "P-256 (1.2.840.10045.3.1.7)");
    }
}
