//! Known-answer tests: every line of the GAEN v1.2 and Bluezone v2 vector files
//! (copied from the published vectors into `tests/data/`).

use proxtrace::bluezone::{BaseKey, BluezoneId, DailyKey};
use proxtrace::gaen::{Metadata, RollingProximityIdentifier, TemporaryExposureKey};
use proxtrace::time::{BluezoneSlot, EnIntervalNumber, SlotsPerDay, UnixTime, UtcDay};

const GAEN: &str = include_str!("data/gaen-v1.2-kat.txt");
const BLUEZONE: &str = include_str!("data/bluezone-v2-kat.txt");

fn field<'a>(text: &'a str, name: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(' ')))
        .unwrap_or_else(|| panic!("vector file has no {name} line"))
}

fn hex_array<const N: usize>(h: &str) -> [u8; N] {
    let mut out = [0u8; N];
    hex::decode_to_slice(h, &mut out).unwrap();
    out
}

/// `(i, enin, rpi, aem)` rows of the GAEN file.
fn gaen_rows() -> Vec<(u32, u32, String, String)> {
    GAEN.lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (
                f[0].parse().unwrap(),
                f[1].parse().unwrap(),
                f[2].into(),
                f[3].into(),
            )
        })
        .collect()
}

#[test]
fn gaen_key_derivation() {
    let tek = TemporaryExposureKey::from_bytes(hex_array(field(GAEN, "TEK")));
    assert_eq!(
        hex::encode(tek.rolling_proximity_identifier_key().expose_secret()),
        field(GAEN, "RPIK")
    );
    assert_eq!(
        hex::encode(tek.associated_encrypted_metadata_key().expose_secret()),
        field(GAEN, "AEMK")
    );
}

#[test]
fn gaen_all_144_rpis_and_aems() {
    let tek = TemporaryExposureKey::from_bytes(hex_array(field(GAEN, "TEK")));
    let metadata = Metadata::from_bytes(hex_array(field(GAEN, "METADATA")));
    let enin0: u32 = field(GAEN, "ENIN0").parse().unwrap();
    let rows = gaen_rows();
    assert_eq!(
        rows.len(),
        144,
        "the vector file has one line per interval of a day"
    );

    let rpik = tek.rolling_proximity_identifier_key();
    let aemk = tek.associated_encrypted_metadata_key();
    let mut day = [RollingProximityIdentifier::default(); 144];
    rpik.derive_rpis(EnIntervalNumber::new(enin0), &mut day)
        .unwrap();

    for (i, enin, rpi_hex, aem_hex) in rows {
        assert_eq!(enin, enin0 + i, "line {i}");
        let rpi = rpik.rolling_proximity_identifier(EnIntervalNumber::new(enin));
        assert_eq!(rpi.to_hex(), rpi_hex, "RPI of line {i}");
        assert_eq!(day[i as usize], rpi, "batched RPI of line {i}");
        let aem = aemk.encrypt(&rpi, &metadata);
        assert_eq!(aem.to_hex(), aem_hex, "AEM of line {i}");
        assert_eq!(
            aemk.decrypt(&rpi, &aem),
            metadata,
            "AEM round trip of line {i}"
        );
    }
}

#[test]
fn gaen_vector_interval_is_a_day_start() {
    let enin0: u32 = field(GAEN, "ENIN0").parse().unwrap();
    let t = UnixTime::from_secs(u64::from(enin0) * 600);
    assert!(t.en_interval().unwrap().is_day_aligned());
}

/// `(day, slot, unix_start, id)` rows of the Bluezone file.
fn bluezone_rows() -> Vec<(u32, u32, u64, String)> {
    BLUEZONE
        .lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (
                f[0].parse().unwrap(),
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
                f[3].into(),
            )
        })
        .collect()
}

#[test]
fn bluezone_every_line() {
    let base_start: u64 = field(BLUEZONE, "BASE_DAY_START_UNIX").parse().unwrap();
    let slots: u32 = field(BLUEZONE, "SLOTS_PER_DAY").parse().unwrap();
    let spd = SlotsPerDay::new(slots).unwrap();
    let base_day = UnixTime::from_secs(base_start).utc_day().unwrap();
    let base = BaseKey::from_bytes(hex_array(field(BLUEZONE, "BASE_KEY")), base_day);

    // DAILY_KEY lines: "DAILY_KEY n HEX".
    let daily: Vec<(u32, String)> = BLUEZONE
        .lines()
        .filter_map(|l| l.strip_prefix("DAILY_KEY "))
        .map(|r| {
            let (n, h) = r.split_once(' ').unwrap();
            (n.parse().unwrap(), h.to_owned())
        })
        .collect();
    assert!(daily.len() >= 2, "two days of daily keys");
    for (n, h) in &daily {
        let dk = base.daily_key(UtcDay::new(base_day.get() + n)).unwrap();
        assert_eq!(hex::encode_upper(dk.expose_secret()), *h, "daily key {n}");
    }

    let rows = bluezone_rows();
    assert_eq!(rows.len(), 2 * slots as usize, "two full days of slots");
    let mut per_day: Vec<Vec<BluezoneId>> = Vec::new();
    for d in 0..2 {
        per_day.push(
            base.daily_key(UtcDay::new(base_day.get() + d))
                .unwrap()
                .bluezone_ids(spd),
        );
    }
    for (day, slot, start, id_hex) in rows {
        let t = UnixTime::from_secs(start);
        let s = BluezoneSlot::containing(t, spd).unwrap();
        assert_eq!((s.day().get() - base_day.get(), s.index()), (day, slot));
        assert_eq!(s.start(spd), t, "slot start of {day}/{slot}");
        assert_eq!(
            per_day[day as usize][slot as usize].to_hex(),
            id_hex,
            "{day}/{slot}"
        );
        let dk = base.daily_key(s.day()).unwrap();
        assert_eq!(
            dk.bluezone_id(s).unwrap().to_hex(),
            id_hex,
            "single-slot {day}/{slot}"
        );
    }
}

#[test]
fn bluezone_over_the_air_capture_slots() {
    // Slots 23..27 of day 0 were captured from a real phone; make sure they are in the file
    // and match, so the scheme is proven against the wire, not only against our own hashing.
    let rows = bluezone_rows();
    let base_start: u64 = field(BLUEZONE, "BASE_DAY_START_UNIX").parse().unwrap();
    let day = UnixTime::from_secs(base_start).utc_day().unwrap();
    let dk = DailyKey::from_bytes(hex_array(field(BLUEZONE, "BASE_KEY")), day);
    let ids = dk.bluezone_ids(SlotsPerDay::DEFAULT);
    let captured: Vec<_> = rows
        .iter()
        .filter(|r| r.0 == 0 && (23..=27).contains(&r.1))
        .collect();
    assert_eq!(captured.len(), 5);
    for r in captured {
        assert_eq!(ids[r.1 as usize].to_hex(), r.3);
    }
}
