//! GAEN export files and Bluezone F0 payloads: round trips, signatures, and every
//! malformation as a typed error.

use proxtrace::gaen::TemporaryExposureKey;
use proxtrace::published::export::{
    EXPORT_BIN, EXPORT_HEADER, EXPORT_SIG, ExportError, ExportFile, ExportLimits, KeyList,
    KeyProblem, SignatureStatus, TrustedKey, Verification, read_export, visit_export,
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
        Err(ExportError::NotAnExport { .. })
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
fn unusable_keys_are_skipped_and_counted_or_refused_when_strict() {
    let lax = Verification::allow_unsigned();
    let ok = bin_with_key(&tek_fields(16, u64::from(DAY0), None));
    let f = read_export(&ok, &lax).unwrap();
    assert_eq!(f.keys[0].rolling_period, 144, "default rolling period");
    assert_eq!(f.keys[0].report_type, ReportType::Unknown);
    assert_eq!(f.skipped.count, 0);
    // Unknown fields are skipped (field 8 of the key: variant of concern; field 15 of the export).
    let mut with_unknown = tek_fields(16, u64::from(DAY0), Some(100));
    with_unknown.extend([0x40, 0x01]);
    let mut b = bin_with_key(&with_unknown);
    b.extend([0x78, 0x05]);
    assert_eq!(read_export(&b, &lax).unwrap().keys[0].rolling_period, 100);
    // Plausibility is not a parse error: a key of 1970 reads (it just cannot match).
    assert_eq!(
        read_export(&bin_with_key(&tek_fields(16, 12, None)), &lax)
            .unwrap()
            .keys
            .len(),
        1
    );

    let mut rt = tek_fields(16, u64::from(DAY0), None);
    rt.extend([0x28, 0x09]);
    let mut dsos = tek_fields(16, u64::from(DAY0), None);
    dsos.extend([0x30, 40]); // sint32 20
    let mut no_start = vec![0x0a, 16];
    no_start.extend([7u8; 16]);
    let bad: Vec<(Vec<u8>, &str, Option<KeyProblem>)> = vec![
        (
            tek_fields(15, u64::from(DAY0), None),
            "key_data_length",
            Some(KeyProblem::KeyDataLength(15)),
        ),
        (
            tek_fields(96, u64::from(DAY0), None),
            "key_data_length",
            Some(KeyProblem::KeyDataLength(96)),
        ),
        (
            tek_fields(16, u64::from(DAY0), Some(0)),
            "rolling_period",
            Some(KeyProblem::RollingPeriod(0)),
        ),
        (
            tek_fields(16, u64::from(DAY0), Some(145)),
            "rolling_period",
            Some(KeyProblem::RollingPeriod(145)),
        ),
        (
            tek_fields(16, u64::from(u32::MAX), None),
            "rolling_start_negative",
            Some(KeyProblem::RollingStartNegative(-1)),
        ),
        (
            no_start,
            "rolling_start_missing",
            Some(KeyProblem::RollingStartMissing),
        ),
        (
            vec![0x18, 0x01],
            "key_data_missing",
            Some(KeyProblem::KeyDataMissing),
        ),
        (rt, "report_type", Some(KeyProblem::ReportType(9))),
        (
            dsos,
            "days_since_onset",
            Some(KeyProblem::DaysSinceOnset(20)),
        ),
        (vec![0x0a, 0x05, 1], "malformed", None),
    ];
    for (i, (fields, kind, want)) in bad.into_iter().enumerate() {
        // The bad key between two good ones.
        let mut bin = bin_with_key(&tek_fields(16, u64::from(DAY0), None));
        bin.push(0x3a);
        bin.extend(varint(fields.len() as u64));
        bin.extend(&fields);
        bin.extend(&bin_with_key(&tek_fields(16, u64::from(DAY0), None))[16..]);
        let f = read_export(&bin, &lax).unwrap();
        assert_eq!((f.keys.len(), f.skipped.count), (2, 1), "case {i}");
        let s = &f.skipped.first[0];
        assert_eq!((s.list, s.index), (KeyList::Keys, 1), "case {i}");
        assert_eq!(s.problem.kind(), kind, "case {i}: {}", s.problem);
        if let Some(want) = &want {
            assert_eq!(&s.problem, want, "case {i}");
        }
        assert_eq!(f.skipped.by_kind[kind], 1);
        let strict = Verification {
            strict: true,
            ..lax.clone()
        };
        match read_export(&bin, &strict) {
            Err(ExportError::InvalidKey {
                index: 1,
                list: KeyList::Keys,
                problem,
            }) => assert_eq!(problem.kind(), kind),
            other => panic!("case {i}: {other:?}"),
        }
    }
    // Truncated anywhere: a structural error, never a panic or a partial result.
    let (_, _, _, zip) = fixture();
    let (bin, _) = entries(&zip);
    for cut in [17, 30, bin.len() - 1] {
        let e = read_export(&bin[..cut], &lax).unwrap_err();
        assert!(
            matches!(e, ExportError::Protobuf { .. } | ExportError::Truncated(_)),
            "{cut}: {e}"
        );
    }
}

#[test]
fn a_signed_file_with_bad_keys_verifies_and_yields_its_good_keys() {
    // Immuni's legit.zip in miniature: 500 keys of 96 bytes and one good key, signed.
    let s = signer("key");
    let meta = ExportMeta::covering(&[key(1, ReportType::ConfirmedTest)], "IT");
    let mut bin = write_export_bin(&meta, &[], &[], Some(&s)).unwrap();
    let bad = tek_fields(96, u64::from(DAY0), None);
    for _ in 0..500 {
        bin.push(0x3a);
        bin.extend(varint(bad.len() as u64));
        bin.extend(&bad);
    }
    bin.extend(&bin_with_key(&tek_fields(16, u64::from(DAY0), None))[16..]);
    let sig = write_export_sig(&bin, &meta, &s, &SystemRandom::new()).unwrap();
    let z = zip_entries(&[(EXPORT_BIN, &bin), (EXPORT_SIG, &sig)]).unwrap();
    let trust = Verification::trusting([s.trusted_key()]);
    let f = read_export(&z, &trust).unwrap();
    assert!(matches!(f.signature, SignatureStatus::Verified { .. }));
    assert_eq!((f.keys.len(), f.skipped.count), (1, 500));
    assert_eq!(f.skipped.by_kind["key_data_length"], 500);
    assert_eq!(
        f.skipped.first.len(),
        proxtrace::published::export::MAX_SKIPPED_EXAMPLES
    );
    let strict = Verification {
        strict: true,
        ..trust
    };
    let e = read_export(&z, &strict).unwrap_err();
    assert!(
        e.to_string()
            .contains("keys #0: key_data is 96 bytes, not 16"),
        "{e}"
    );
}

#[test]
fn legacy_algorithm_names_verify_with_a_p256_key_and_others_are_refused() {
    let keys = [key(1, ReportType::ConfirmedTest)];
    let meta = ExportMeta::covering(&keys, "US");
    for (name, ok) in [
        ("ECDSA p-256 SHA-256", true),
        ("ecdsa-with-SHA256", true),
        ("SHA256withECDSA", true),
        ("1.2.840.10045.4.3.3", false),
        ("", false),
    ] {
        let s = signer("310").with_algorithm_name(name);
        let z = write_export_zip(&meta, &keys, &[], &s, &SystemRandom::new()).unwrap();
        let r = read_export(&z, &Verification::trusting([s.trusted_key()]));
        if ok {
            assert!(
                matches!(
                    r,
                    Ok(ExportFile {
                        signature: SignatureStatus::Verified { .. },
                        ..
                    })
                ),
                "{name}"
            );
        } else {
            let e = r.unwrap_err();
            assert!(
                matches!(e, ExportError::UnsupportedAlgorithm(_)),
                "{name}: {e}"
            );
            assert!(e.to_string().contains("ECDSA P-256"), "{e}");
        }
        // An alias never rescues a signature that does not verify.
        let other = Verification::trusting([signer("310").trusted_key()]);
        if ok {
            assert!(matches!(
                read_export(&z, &other),
                Err(ExportError::BadSignature { .. })
            ));
        }
    }
}

/// Every message a reader can produce for this input, with its sources.
fn messages(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s += " | ";
        s += &c.to_string();
        cur = c.source();
    }
    s
}

#[test]
fn errors_say_what_is_known_and_never_name_internal_types() {
    let lax = Verification::allow_unsigned();
    // A bare export.bin of another version: the header, not a zip problem.
    let e = read_export(b"EK Export v2    \x0a\x00", &lax).unwrap_err();
    assert!(matches!(e, ExportError::BadHeader { .. }), "{e}");
    assert!(e.to_string().contains("\"EK Export v2    \""), "{e}");
    assert!(!e.to_string().contains("EOCD"), "{e}");
    let e = read_export(b"EK Expo", &lax).unwrap_err();
    assert!(matches!(e, ExportError::BadHeader { .. }), "{e}");
    // Not an export at all.
    let e = read_export(b"hello, world", &lax).unwrap_err();
    assert!(matches!(e, ExportError::NotAnExport { .. }), "{e}");
    assert!(e.to_string().contains("\"hello, world\""), "{e}");
    assert!(matches!(read_export(b"", &lax), Err(ExportError::Empty)));
    // A zip whose export.bin has another header.
    let (s, _, _, zip) = fixture();
    let (bin, sig) = entries(&zip);
    let mut wrong = bin.clone();
    wrong[3] = b'x';
    let z = zip_entries(&[(EXPORT_BIN, &wrong)]).unwrap();
    assert!(matches!(
        read_export(&z, &lax),
        Err(ExportError::BadHeader { .. })
    ));
    // Every truncation and many bit flips of a real zip: typed errors whose top-level
    // messages name no internal type and no zip jargon.
    let trust = Verification::trusting([s.trusted_key()]);
    for cut in 1..zip.len() {
        if let Err(e) = read_export(&zip[..cut], &trust) {
            let m = e.to_string();
            assert!(
                !m.contains("::") && !m.contains("EOCD") && !m.contains("Block"),
                "{cut}: {m}"
            );
        }
    }
    for i in (0..zip.len()).step_by(3) {
        let mut z = zip.clone();
        z[i] ^= 0x10;
        if let Err(e) = read_export(&z, &trust) {
            let m = e.to_string();
            assert!(
                !m.contains("::") && !m.contains("Block"),
                "{i}: {}",
                messages(&e)
            );
        }
    }
    // Unsigned with a key configured: says there is no signature, and what to do.
    let no_sig = zip_entries(&[(EXPORT_BIN, &bin)]).unwrap();
    let e = read_export(&no_sig, &trust).unwrap_err();
    assert!(matches!(e, ExportError::Unsigned));
    assert!(e.to_string().contains("carries no signature"), "{e}");
    assert!(!e.to_string().contains("pass a public key"), "{e}");
    // A wrong key: both possible causes, no verdict of forgery.
    let impostor = Verification::trusting([signer("310").trusted_key()]);
    let e = read_export(&zip, &impostor).unwrap_err();
    assert!(e.to_string().contains("either that is not the key"), "{e}");
    assert!(!e.to_string().contains("forged"), "{e}");
    // Errors keep their causes.
    let e = read_export(&zip[..zip.len() - 3], &trust).unwrap_err();
    assert!(std::error::Error::source(&e).is_some(), "{e:?}");
    let _ = sig;
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
