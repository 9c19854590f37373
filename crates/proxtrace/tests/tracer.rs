//! The tracer through its sans-IO API only: rotation timing and unlinkability, key retention,
//! re-keying after a report, key store crash safety, and a two-phone exchange end to end.

use std::collections::HashSet;

use proxtrace::advert::Payload;
use proxtrace::identifier::Identifier;
use proxtrace::log::MemoryBackend;
use proxtrace::matching::MatchConfig;
use proxtrace::time::{BluezoneSlot, SlotsPerDay, UnixTime};
use proxtrace::tracer::{
    FileKeyStorage, Heard, KeyStorage, MemoryKeyStorage, Schemes, Tracer, TracerConfig,
    TracerError, keystore::KEY_STORE_FILE,
};
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;

const DAY: u32 = 20_759;

fn at(day: u32, secs: u64) -> UnixTime {
    UnixTime::from_secs(u64::from(day) * 86_400 + secs)
}

fn config(gaen: bool, bluezone: bool) -> TracerConfig {
    TracerConfig {
        schemes: Schemes { gaen, bluezone },
        ..TracerConfig::default()
    }
}

fn tracer(c: TracerConfig, now: UnixTime, seed: u64) -> Tracer<MemoryBackend, MemoryKeyStorage> {
    Tracer::in_memory(c, now, &mut ChaCha20Rng::seed_from_u64(seed)).unwrap()
}

fn bytes(p: &Payload) -> Vec<u8> {
    match p {
        Payload::Gaen(g) => g.to_bytes().to_vec(),
        Payload::Bluezone(b) => b.as_bytes().to_vec(),
        Payload::BluezoneGattService => Vec::new(),
    }
}

/// Walk a whole day of advertisements: every change happens exactly at `next_change`.
fn periods(
    t: &mut Tracer<MemoryBackend, MemoryKeyStorage>,
    from: UnixTime,
    to: UnixTime,
) -> Vec<(UnixTime, Vec<Payload>)> {
    let mut out = Vec::new();
    let mut now = from;
    while now < to {
        let a = t.poll_advertisement(now).unwrap();
        assert!(a.next_change > now);
        // Unchanged until the last second of the period (not looking past `to`: a tracer's
        // clock only moves forward).
        let last = UnixTime::from_secs(a.next_change.as_secs() - 1);
        if last <= to {
            assert_eq!(t.poll_advertisement(last).unwrap().payloads, a.payloads);
        }
        out.push((now, a.payloads));
        now = a.next_change;
    }
    out
}

#[test]
fn gaen_rotates_every_600_to_1200_seconds_and_periods_share_nothing() {
    let start = at(DAY, 0);
    let mut t = tracer(config(true, false), start, 1);
    let p = periods(&mut t, start, at(DAY + 2, 0));
    let mut lengths = Vec::new();
    for w in p.windows(2) {
        let len = w[1].0.as_secs() - w[0].0.as_secs();
        let to_midnight = w[1].0.as_secs().is_multiple_of(86_400);
        assert!(
            (600..=1200).contains(&len) || to_midnight,
            "period of {len} s"
        );
        lengths.push(len);
        let (a, b) = (bytes(&w[0].1[0]), bytes(&w[1].1[0]));
        // Consecutive payloads: different RPI and AEM, and no byte position in common
        // beyond chance (16 + 4 random bytes: at most a few equal by luck).
        assert_ne!(a[..16], b[..16]);
        assert_ne!(a[16..], b[16..]);
        let same = a.iter().zip(&b).filter(|(x, y)| x == y).count();
        assert!(same <= 4, "{same} equal bytes");
    }
    // Randomised: the periods are not all equal.
    let distinct: HashSet<_> = lengths.iter().collect();
    assert!(distinct.len() > 10, "{distinct:?}");
    // Every period's identifier is new.
    let all: HashSet<_> = p.iter().map(|(_, ps)| bytes(&ps[0])).collect();
    assert_eq!(all.len(), p.len());
}

#[test]
fn bluezone_changes_at_slot_boundaries_and_with_gaen_both_change_together() {
    let start = at(DAY, 123);
    let mut t = tracer(config(true, true), start, 2);
    let p = periods(&mut t, start, at(DAY + 1, 3600));
    let spd = SlotsPerDay::DEFAULT;
    for w in p.windows(2) {
        assert_eq!(
            w[1].0.as_secs() % spd.slot_seconds(),
            0,
            "rotation off a slot boundary"
        );
        assert!(w[1].0.as_secs() - w[0].0.as_secs() <= spd.slot_seconds());
        assert_eq!(w[0].1.len(), 2);
        // Both identifiers change at once.
        assert_ne!(bytes(&w[0].1[0]), bytes(&w[1].1[0]));
        assert_ne!(bytes(&w[0].1[1]), bytes(&w[1].1[1]));
    }
    // The Bluezone ID is the slot's ID of the day's key (checked by the published key below).
    let (now, payloads) = p.last().unwrap().clone();
    let keys = t.diagnosis_keys(at(DAY, 0), now).unwrap();
    let dk = keys
        .bluezone
        .iter()
        .find(|k| k.time_start <= now && now <= k.time_end)
        .unwrap();
    let slot = BluezoneSlot::containing(now, spd).unwrap();
    assert_eq!(
        Payload::Bluezone(dk.daily_key.bluezone_id(slot).unwrap()),
        payloads[1]
    );
}

#[test]
fn own_advertisements_are_ignored_and_other_schemes_too() {
    let now = at(DAY, 5000);
    let mut t = tracer(config(true, false), now, 3);
    let mine = t.poll_advertisement(now).unwrap();
    for ad in mine.legacy_advertisements() {
        assert_eq!(
            t.handle_advertisement(ad.as_bytes(), -50, now).unwrap(),
            Heard::Own
        );
    }
    let mut bz = tracer(config(false, true), now, 4);
    let theirs = bz.poll_advertisement(now).unwrap();
    for ad in theirs.legacy_advertisements() {
        assert_eq!(
            t.handle_advertisement(ad.as_bytes(), -50, now).unwrap(),
            Heard::OtherScheme
        );
    }
    assert!(matches!(
        t.handle_advertisement(&[2, 1, 6], -50, now),
        Err(TracerError::Advert(_))
    ));
}

#[test]
fn keys_older_than_the_retention_are_deleted() {
    let mut c = config(true, true);
    c.retention_days = 3;
    let mut t = tracer(c, at(DAY, 0), 5);
    for d in 0..10 {
        t.poll_advertisement(at(DAY + d, 100)).unwrap();
        t.handle_timeout(at(DAY + d, 200)).unwrap();
    }
    let keys = t.diagnosis_keys(at(DAY, 0), at(DAY + 10, 0)).unwrap();
    let days: Vec<u32> = keys
        .gaen
        .iter()
        .map(|k| k.rolling_start.utc_day().get())
        .collect();
    assert_eq!(days, (DAY + 6..=DAY + 9).collect::<Vec<_>>());
    let bz: Vec<u32> = keys
        .bluezone
        .iter()
        .map(|k| k.daily_key.day().get())
        .collect();
    assert_eq!(bz, (DAY + 6..=DAY + 9).collect::<Vec<_>>());
}

#[test]
fn a_report_publishes_what_was_broadcast_and_rekeys_at_once() {
    let start = at(DAY, 0);
    let mut t = tracer(config(true, true), start, 6);
    let before: Vec<_> = periods(&mut t, start, at(DAY + 1, 40_000));
    let report_time = at(DAY + 1, 40_000);
    t.handle_timeout(report_time).unwrap();
    let keys = t.diagnosis_keys(start, report_time).unwrap();
    assert_eq!(keys.gaen.len(), 2);
    assert_eq!(keys.bluezone.len(), 2);
    // Today's TEK is cut at the current interval.
    let today = &keys.gaen[1];
    let j = report_time.en_interval().unwrap();
    assert_eq!(
        today.rolling_start.get() + today.rolling_period,
        j.get() + 1
    );
    // Every RPI broadcast before is derivable from the published keys.
    let mut published_rpis = HashSet::new();
    for k in &keys.gaen {
        let rpik = k.key.rolling_proximity_identifier_key();
        for i in 0..k.rolling_period {
            let rpi = rpik.rolling_proximity_identifier(k.rolling_start.checked_add(i).unwrap());
            published_rpis.insert(*rpi.as_bytes());
        }
    }
    let mut published_ids = HashSet::new();
    for k in &keys.bluezone {
        for id in k.daily_key.bluezone_ids(SlotsPerDay::DEFAULT) {
            published_ids.insert(*id.as_bytes());
        }
        // The chain forward from every published key (what anyone can compute).
        let mut dk = k.daily_key.clone();
        for _ in 0..3 {
            dk = dk.next().unwrap();
            for id in dk.bluezone_ids(SlotsPerDay::DEFAULT) {
                published_ids.insert(*id.as_bytes());
            }
        }
    }
    for (_, ps) in &before {
        if let Payload::Gaen(g) = ps[0] {
            assert!(published_rpis.contains(g.rpi.as_bytes()));
        }
        if let Payload::Bluezone(b) = ps[1] {
            assert!(published_ids.contains(b.as_bytes()));
        }
    }
    // From the report on, nothing broadcast can be linked to what was published.
    let after = periods(&mut t, report_time, at(DAY + 3, 0));
    assert!(
        after[0].1 != before.last().unwrap().1,
        "the advertisement rotated at once"
    );
    for (_, ps) in &after {
        let Payload::Gaen(g) = ps[0] else { panic!() };
        assert!(!published_rpis.contains(g.rpi.as_bytes()));
        let Payload::Bluezone(b) = ps[1] else {
            panic!()
        };
        assert!(!published_ids.contains(b.as_bytes()));
    }
    // A second report publishes only the new keys.
    let again = t.diagnosis_keys(start, at(DAY + 3, 0)).unwrap();
    let old: HashSet<_> = keys.gaen.iter().map(|k| *k.key.expose_secret()).collect();
    assert!(
        again
            .gaen
            .iter()
            .all(|k| !old.contains(k.key.expose_secret()) || k.rolling_start.get() < j.get())
    );
    let new_today = again.gaen.iter().find(|k| k.rolling_start == j).unwrap();
    assert_eq!(new_today.rolling_start, j);
}

#[test]
fn key_store_survives_a_kill_between_write_and_rename_and_corruption_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let now = at(DAY, 1000);
    let c = config(true, true);
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let first = {
        let mut t = Tracer::open_dir(dir.path(), c.clone(), now, &mut rng).unwrap();
        let a = t.poll_advertisement(now).unwrap();
        t.flush(now).unwrap();
        a.payloads
    };
    let store = dir.path().join(KEY_STORE_FILE);
    let good = std::fs::read(&store).unwrap();
    // A kill after the temporary file was written and synced but before the rename: the old
    // store is what the next open sees, and the debris does not matter.
    FileKeyStorage::new(dir.path())
        .write_temporary(b"half-finished new store")
        .unwrap();
    {
        let mut t = Tracer::open_dir(dir.path(), c.clone(), now, &mut rng).unwrap();
        assert_eq!(
            t.poll_advertisement(now).unwrap().payloads,
            first,
            "same keys after the crash"
        );
    }
    // A kill after the rename: the new store is whole.
    let mut s = FileKeyStorage::new(dir.path());
    s.store(&good).unwrap();
    assert_eq!(s.load().unwrap().unwrap(), good);
    // A truncated store is a clear error, and the file is left as it was.
    std::fs::write(&store, &good[..good.len() - 3]).unwrap();
    let e = Tracer::open_dir(dir.path(), c.clone(), now, &mut rng).unwrap_err();
    assert!(e.to_string().contains("truncated"), "{e}");
    assert_eq!(std::fs::read(&store).unwrap(), good[..good.len() - 3]);
    // A flipped bit too.
    let mut bad = good.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    std::fs::write(&store, &bad).unwrap();
    let e = Tracer::open_dir(dir.path(), c, now, &mut rng).unwrap_err();
    assert!(e.to_string().contains("checksum"), "{e}");
    assert_eq!(std::fs::read(&store).unwrap(), bad);
}

#[test]
fn the_log_is_synced_on_the_interval_and_poll_timeout_says_when() {
    let start = at(DAY, 0);
    let mut alice = tracer(config(true, false), start, 8);
    let mut bob = tracer(config(true, false), start, 9);
    let ads = alice
        .poll_advertisement(start)
        .unwrap()
        .legacy_advertisements();
    bob.handle_advertisement(ads[0].as_bytes(), -60, start)
        .unwrap();
    let t = bob.poll_timeout();
    assert!(t > start && t.as_secs() <= start.as_secs() + 61, "{t}");
    bob.handle_timeout(UnixTime::from_secs(start.as_secs() + 61))
        .unwrap();
    assert_eq!(
        bob.log().pending(),
        1,
        "closed into the log, not yet synced"
    );
    bob.handle_timeout(UnixTime::from_secs(start.as_secs() + 900))
        .unwrap();
    assert_eq!(bob.log().pending(), 0, "synced after the sync interval");
    // Scan hints: 4 s every 300 s.
    let h = bob.poll_scan(start);
    assert!(h.until.as_secs() - start.as_secs() <= 300);
    let mut scanning = 0;
    for s in 0..300 {
        scanning += u32::from(
            bob.poll_scan(UnixTime::from_secs(start.as_secs() + s))
                .scanning,
        );
    }
    assert_eq!(scanning, 4);
}

fn exchange(
    me: &mut Tracer<MemoryBackend, MemoryKeyStorage>,
    other: &mut Tracer<MemoryBackend, MemoryKeyStorage>,
    now: UnixTime,
) {
    me.handle_timeout(now).unwrap();
    if me.poll_scan(now).scanning {
        for ad in other
            .poll_advertisement(now)
            .unwrap()
            .legacy_advertisements()
        {
            assert_eq!(
                me.handle_advertisement(ad.as_bytes(), -58, now).unwrap(),
                Heard::Recorded
            );
        }
    }
}

/// Two phones meet on a virtual clock through the sans-IO API only; a third never meets them.
#[test]
fn two_phones_end_to_end() {
    for (gaen, bluezone) in [(true, false), (false, true)] {
        let start = at(DAY, 8 * 3600);
        let c = config(gaen, bluezone);
        let mut alice = tracer(c.clone(), start, 10);
        let mut bob = tracer(c.clone(), start, 11);
        let carol = tracer(c.clone(), start, 12);
        // 40 minutes together: every second, whoever is scanning hears the other.
        for s in 0..2400 {
            let now = UnixTime::from_secs(start.as_secs() + s);
            exchange(&mut alice, &mut bob, now);
            exchange(&mut bob, &mut alice, now);
        }
        let end = UnixTime::from_secs(start.as_secs() + 3 * 3600);
        alice.handle_timeout(end).unwrap();
        bob.handle_timeout(end).unwrap();
        let keys = alice.diagnosis_keys(at(DAY, 0), end).unwrap();
        let m = MatchConfig::default();
        let r = bob.match_keys(&keys.gaen, &keys.bluezone, &m).unwrap();
        assert!(r.exposed, "{gaen} {bluezone}: {r:?}");
        let secs: u32 = r
            .exposure_windows
            .iter()
            .flat_map(|w| &w.scan_instances)
            .map(|s| s.seconds_since_last_scan)
            .sum();
        assert!(
            (1800..=2700).contains(&secs),
            "{secs} s of exposure for 40 minutes together"
        );
        assert!(
            !carol
                .match_keys(&keys.gaen, &keys.bluezone, &m)
                .unwrap()
                .exposed
        );
        // Alice's own log never holds her own identifiers: her keys match nothing of hers.
        assert!(
            alice
                .match_keys(&keys.gaen, &keys.bluezone, &m)
                .unwrap()
                .exposure_windows
                .is_empty()
        );
        // Bob's log holds the encounter durably.
        bob.flush(end).unwrap();
        let n = bob.log().iter().count();
        assert!(n >= 8, "{n} scan instances");
        let ids: HashSet<Identifier> = bob.log().iter().map(|r| r.unwrap().identifier).collect();
        assert!(ids.len() >= 2, "alice rotated during the 40 minutes");
    }
}
