//! GAEN export files and Bluezone F0 payloads: round trips, signatures, and every
//! malformation as a typed error.

use proxtrace::gaen::TemporaryExposureKey;
use proxtrace::published::export::{
    EXPORT_BIN, EXPORT_HEADER, EXPORT_SIG, ExportError, ExportLimits, KeyList, SignatureStatus,
    TrustedKey, Verification, read_export, visit_export,
};
use proxtrace::published::f0::{F0Error, parse_f0, write_f0};
use proxtrace::published::{GaenDiagnosisKey, ReportType};
use proxtrace::time::EnIntervalNumber;
use proxtrace_cli::export_writer::{
    ExportMeta, Signer, WriteError, write_export_bin, write_export_sig, write_export_zip,
    zip_entries,
};
use ring::rand::SystemRandom;

const DAY0: u32 = 2_989_440; // 2026-11-01 as an interval number (day 20 760 × 144)

fn key(i: u8, report_type: ReportType) -> GaenDiagnosisKey {
    GaenDiagnosisKey {
        key: TemporaryExposureKey::from_bytes([i; 16]),
        rolling_start: EnIntervalNumber::new(DAY0 + 144 * u32::from(i % 5) + u32::from(i % 3)),
        rolling_period: 144 - u32::from(i % 3),
        report_type,
        days_since_onset_of_symptoms: i.is_multiple_of(2).then_some(i32::from(i % 7) - 3),
        transmission_risk_level: i.is_multiple_of(4).then_some(2),
    }
}

fn signer(id: &str) -> Signer {
    let rng = SystemRandom::new();
    Signer::from_pkcs8(&Signer::generate_pkcs8(&rng).unwrap(), id, "v1", &rng).unwrap()
}

fn same(a: &GaenDiagnosisKey, b: &GaenDiagnosisKey) -> bool {
    a.key.expose_secret() == b.key.expose_secret()
        && a.rolling_start == b.rolling_start
        && a.rolling_period == b.rolling_period
        && a.report_type == b.report_type
        && a.days_since_onset_of_symptoms == b.days_since_onset_of_symptoms
        && a.transmission_risk_level == b.transmission_risk_level
}

fn fixture() -> (
    Signer,
    Vec<GaenDiagnosisKey>,
    Vec<GaenDiagnosisKey>,
    Vec<u8>,
) {
    let s = signer("310");
    let keys: Vec<_> = (0..20).map(|i| key(i, ReportType::ConfirmedTest)).collect();
    let revised = vec![key(3, ReportType::Revoked), key(4, ReportType::SelfReport)];
    let meta = ExportMeta::covering(&keys, "VN");
    let zip = write_export_zip(&meta, &keys, &revised, &s, &SystemRandom::new()).unwrap();
    (s, keys, revised, zip)
}

#[test]
fn a_signed_export_round_trips_with_revised_keys() {
    let (s, keys, revised, zip) = fixture();
    let f = read_export(&zip, &Verification::trusting([s.trusted_key()])).unwrap();
    assert_eq!(
        f.signature,
        SignatureStatus::Verified {
            key_id: "310".into(),
            key_version: "v1".into()
        }
    );
    assert_eq!(f.header.region, "VN");
    assert_eq!(f.header.signature_infos[0].algorithm, "1.2.840.10045.4.3.2");
    assert_eq!(f.keys.len(), keys.len());
    assert!(f.keys.iter().zip(&keys).all(|(a, b)| same(a, b)));
    assert!(f.revised_keys.iter().zip(&revised).all(|(a, b)| same(a, b)));
    assert_eq!(f.diagnosis_keys().len(), 22);
    // The same through the streaming visitor.
    let mut seen = (0, 0);
    visit_export(
        std::io::Cursor::new(&zip),
        &Verification::trusting([s.trusted_key()]),
        |l, _| match l {
            KeyList::Keys => seen.0 += 1,
            KeyList::RevisedKeys => seen.1 += 1,
        },
    )
    .unwrap();
    assert_eq!(seen, (20, 2));
    // PEM round trip of the public key; an unbound key verifies any key id.
    let pem = s.trusted_key().to_pem();
    let unbound = TrustedKey::from_pem_or_der(pem.as_bytes()).unwrap();
    assert!(read_export(&zip, &Verification::trusting([unbound])).is_ok());
}

fn entries(zip: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let mut read = |name: &str| {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut z.by_name(name).unwrap(), &mut v).unwrap();
        v
    };
    (read(EXPORT_BIN), read(EXPORT_SIG))
}

#[test]
fn tampering_wrong_keys_and_missing_signatures_are_rejected() {
    let (s, _, _, zip) = fixture();
    let trust = Verification::trusting([s.trusted_key()]);
    let (bin, sig) = entries(&zip);
    // One flipped bit in a key: the signature no longer verifies.
    let mut tampered = bin.clone();
    let n = tampered.len();
    tampered[n - 5] ^= 1;
    let z = zip_entries(&[(EXPORT_BIN, &tampered), (EXPORT_SIG, &sig)]).unwrap();
    assert!(matches!(
        read_export(&z, &trust),
        Err(ExportError::BadSignature { .. })
    ));
    // Even when unsigned files are allowed, a bad signature by a trusted key is rejected.
    let lax = Verification {
        allow_unsigned: true,
        ..trust.clone()
    };
    assert!(matches!(
        read_export(&z, &lax),
        Err(ExportError::BadSignature { .. })
    ));
    // A key bound to another id/version does not count.
    let other = Verification::trusting([s.trusted_key().bound_to("999", "v1")]);
    assert!(matches!(
        read_export(&zip, &other),
        Err(ExportError::NoTrustedSignature(_))
    ));
    // Another authority's key with the same id: bad signature.
    let impostor = Verification::trusting([signer("310").trusted_key()]);
    assert!(matches!(
        read_export(&zip, &impostor),
        Err(ExportError::BadSignature { .. })
    ));
    // No export.sig, or a bare export.bin: unsigned.
    let no_sig = zip_entries(&[(EXPORT_BIN, &bin)]).unwrap();
    assert!(matches!(
        read_export(&no_sig, &trust),
        Err(ExportError::Unsigned)
    ));
    assert!(matches!(
        read_export(&bin, &trust),
        Err(ExportError::Unsigned)
    ));
    let f = read_export(&bin, &Verification::allow_unsigned()).unwrap();
    assert_eq!(f.signature, SignatureStatus::NotVerified);
    assert_eq!(f.keys.len(), 20);
    // No export.bin at all.
    let only_sig = zip_entries(&[(EXPORT_SIG, &sig)]).unwrap();
    assert!(matches!(
        read_export(&only_sig, &trust),
        Err(ExportError::MissingEntry(_))
    ));
    // Not a zip, not an export.
    assert!(matches!(
        read_export(b"hello", &trust),
        Err(ExportError::Zip(_))
    ));
}

#[test]
fn duplicate_entries_and_zip_bombs_are_rejected() {
    let (s, _, _, zip) = fixture();
    let trust = Verification::trusting([s.trusted_key()]);
    let (bin, sig) = entries(&zip);
    // A second entry renamed to export.bin in place (local and central headers).
    let mut evil = bin.clone();
    evil[20] ^= 0x55;
    let z = zip_entries(&[
        (EXPORT_BIN, &bin),
        ("export.bix", &evil),
        (EXPORT_SIG, &sig),
    ])
    .unwrap();
    let mut dup = z.clone();
    for i in 0..dup.len() - 10 {
        if &dup[i..i + 10] == b"export.bix" {
            dup[i + 9] = b'n';
        }
    }
    assert!(matches!(
        read_export(&dup, &trust),
        Err(ExportError::DuplicateEntry(_))
    ));
    // 8 MiB of zeros compress about 1000:1.
    let mut bomb = EXPORT_HEADER.to_vec();
    bomb.resize(8 << 20, 0);
    let z = zip_entries(&[(EXPORT_BIN, &bomb), (EXPORT_SIG, &sig)]).unwrap();
    assert!(z.len() < 64 << 10);
    assert!(matches!(
        read_export(&z, &trust),
        Err(ExportError::TooLarge { .. })
    ));
    // A size limit below the entry.
    let small = Verification {
        limits: ExportLimits {
            max_export_bin_bytes: 100,
            ..ExportLimits::default()
        },
        ..trust
    };
    assert!(matches!(
        read_export(&zip, &small),
        Err(ExportError::TooLarge { .. })
    ));
}

/// A bare export.bin with one key message built by hand.
fn bin_with_key(fields: &[u8]) -> Vec<u8> {
    let mut b = EXPORT_HEADER.to_vec();
    b.push(0x3a); // field 7, length-delimited
    b.push(fields.len() as u8);
    b.extend_from_slice(fields);
    b
}

fn varint(v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let mut v = v;
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
    out
}

fn tek_fields(key_len: usize, start: u64, period: Option<u64>) -> Vec<u8> {
    let mut f = vec![0x0a, key_len as u8];
    f.extend(std::iter::repeat_n(7u8, key_len));
    f.push(0x18);
    f.extend(varint(start));
    if let Some(p) = period {
        f.push(0x20);
        f.extend(varint(p));
    }
    f
}

#[test]
fn malformed_protobufs_and_keys_are_typed_errors() {
    let lax = Verification::allow_unsigned();
    let ok = bin_with_key(&tek_fields(16, u64::from(DAY0), None));
    let f = read_export(&ok, &lax).unwrap();
    assert_eq!(f.keys[0].rolling_period, 144, "default rolling period");
    assert_eq!(f.keys[0].report_type, ReportType::Unknown);
    // Unknown fields are skipped (field 8 of the key: variant of concern; field 15 of the export).
    let mut with_unknown = tek_fields(16, u64::from(DAY0), Some(100));
    with_unknown.extend([0x40, 0x01]);
    let mut b = bin_with_key(&with_unknown);
    b.extend([0x78, 0x05]);
    assert_eq!(read_export(&b, &lax).unwrap().keys[0].rolling_period, 100);

    let invalid = |fields: Vec<u8>| read_export(&bin_with_key(&fields), &lax).unwrap_err();
    assert!(matches!(
        invalid(tek_fields(15, u64::from(DAY0), None)),
        ExportError::InvalidKey { .. }
    ));
    assert!(matches!(
        invalid(tek_fields(16, u64::from(DAY0), Some(0))),
        ExportError::InvalidKey { .. }
    ));
    assert!(matches!(
        invalid(tek_fields(16, u64::from(DAY0), Some(145))),
        ExportError::InvalidKey { .. }
    ));
    assert!(matches!(
        invalid(tek_fields(16, 12, None)),
        ExportError::InvalidKey { .. }
    ));
    let e = invalid(tek_fields(16, u64::from(u32::MAX), None));
    assert!(e.to_string().contains("key #0"), "{e}");
    let mut rt = tek_fields(16, u64::from(DAY0), None);
    rt.extend([0x28, 0x09]);
    assert!(matches!(invalid(rt), ExportError::InvalidKey { .. }));
    // Truncated anywhere: a protobuf error, never a panic or a partial result.
    let (_, _, _, zip) = fixture();
    let (bin, _) = entries(&zip);
    for cut in [17, 30, bin.len() - 1] {
        let e = read_export(&bin[..cut], &lax).unwrap_err();
        assert!(
            matches!(
                e,
                ExportError::Protobuf { .. } | ExportError::InvalidKey { .. }
            ),
            "{cut}: {e}"
        );
    }
    assert!(matches!(
        read_export(b"EK Export v2    ", &lax),
        Err(ExportError::Zip(_))
    ));
    let mut wrong = bin.clone();
    wrong[3] = b'x';
    let z = zip_entries(&[(EXPORT_BIN, &wrong)]).unwrap();
    assert!(matches!(read_export(&z, &lax), Err(ExportError::BadHeader)));
}

#[test]
fn writing_rejects_keys_that_could_not_be_read_back() {
    let mut k = key(1, ReportType::ConfirmedTest);
    k.rolling_period = 0;
    let meta = ExportMeta::covering(std::slice::from_ref(&k), "VN");
    assert!(matches!(
        write_export_bin(&meta, &[k], &[], None),
        Err(WriteError::InvalidKey(ExportError::InvalidKey { .. }))
    ));
    let s = signer("1");
    let good = key(2, ReportType::ConfirmedTest);
    let bin = write_export_bin(&meta, std::slice::from_ref(&good), &[], Some(&s)).unwrap();
    let sig = write_export_sig(&bin, &meta, &s, &SystemRandom::new()).unwrap();
    let z = zip_entries(&[(EXPORT_BIN, &bin), (EXPORT_SIG, &sig)]).unwrap();
    assert!(read_export(&z, &Verification::trusting([s.trusted_key()])).is_ok());
}

const DK: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

#[test]
fn f0_payloads_parse_validate_and_round_trip() {
    let json = format!(
        r#"{{"data":[{{"daily_key":"{DK}","time_start":1763769600,"max":96,"time_end":1763812800,"extra":1}}]}}"#
    );
    let keys = parse_f0(json.as_bytes()).unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].daily_key.day().get(), 20_414);
    assert_eq!(
        parse_f0(write_f0(&keys).as_bytes()).unwrap()[0].time_end,
        keys[0].time_end
    );
    // Milliseconds are detected.
    let ms = format!(
        r#"{{"data":[{{"daily_key":"{DK}","time_start":1763769600000,"max":96,"time_end":1763812800000}}]}}"#
    );
    assert_eq!(
        parse_f0(ms.as_bytes()).unwrap()[0].time_start,
        keys[0].time_start
    );
    let bad = |entry: String| parse_f0(format!(r#"{{"data":[{entry}]}}"#).as_bytes()).unwrap_err();
    let cases = [
        format!(
            r#"{{"daily_key":"{}","time_start":1763769600,"max":96,"time_end":1763769700}}"#,
            &DK[2..]
        ),
        format!(
            r#"{{"daily_key":"{}zz","time_start":1763769600,"max":96,"time_end":1763769700}}"#,
            &DK[2..]
        ),
        format!(r#"{{"daily_key":"{DK}","time_start":1763769600,"max":7,"time_end":1763769700}}"#),
        format!(r#"{{"daily_key":"{DK}","time_start":1763769600,"max":0,"time_end":1763769700}}"#),
        format!(r#"{{"daily_key":"{DK}","time_start":1763769700,"max":96,"time_end":1763769600}}"#),
        format!(r#"{{"daily_key":"{DK}","time_start":1763769600,"max":96,"time_end":1763856000}}"#),
        format!(
            r#"{{"daily_key":"{DK}","time_start":1763769600,"max":96,"time_end":1763769700000}}"#
        ),
    ];
    for c in cases {
        assert!(
            matches!(bad(c.clone()), F0Error::InvalidEntry { index: 0, .. }),
            "{c}"
        );
    }
    assert!(matches!(
        parse_f0(b"{\"data\":[{}]}"),
        Err(F0Error::Json(_))
    ));
    assert!(matches!(parse_f0(b"[1,2]"), Err(F0Error::Json(_))));
}
