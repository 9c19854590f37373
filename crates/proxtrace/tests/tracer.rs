//! The tracer through its sans-IO API only (`handle_input` / `poll_output`): rotation timing
//! and unlinkability, key retention, re-keying after a report, key store crash safety, events
//! for every reception, and a two-phone exchange end to end.

#[path = "support/host.rs"]
mod host;

use std::collections::HashSet;

use host::{ads, hear, poll, wake};
use proxtrace::bluezone::BluezoneId;
use proxtrace::identifier::{Identifier, Scheme};
use proxtrace::log::MemoryBackend;
use proxtrace::matching::MatchConfig;
use proxtrace::time::{BluezoneSlot, SlotsPerDay, UnixTime};
use proxtrace::tracer::{
    FileKeyStorage, Ignored, Input, KeyStorage, MemoryKeyStorage, RadioData, Schemes, Tracer,
    TracerConfig, TracerError, TracerEvent, keystore::KEY_STORE_FILE,
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

type MemTracer = Tracer<MemoryBackend, MemoryKeyStorage>;

fn tracer(c: TracerConfig, now: UnixTime, seed: u64) -> MemTracer {
    let mut t = Tracer::in_memory(c, &mut ChaCha20Rng::seed_from_u64(seed)).unwrap();
    wake(&mut t, now).unwrap();
    t
}

fn bytes(p: &Identifier) -> Vec<u8> {
    match p {
        Identifier::Gaen(g) => g.to_bytes().to_vec(),
        Identifier::Bluezone(b) => b.as_bytes().to_vec(),
    }
}

/// Walk the tracer's own timeouts from `from` to `to`, collecting each advertisement with the
/// time it was handed out; checks that each holds until its `next_change`.
fn periods(t: &mut MemTracer, from: UnixTime, to: UnixTime) -> Vec<(UnixTime, Vec<Identifier>)> {
    let mut out: Vec<(UnixTime, Vec<Identifier>, UnixTime)> = Vec::new();
    let mut now = from;
    if let Some(a) = t.advertisement() {
        out.push((now, a.payloads.clone(), a.next_change));
    }
    while now < to {
        let p = wake(t, now).unwrap();
        if let Some((ids, next)) = p.advertised {
            if let Some(last) = out.last() {
                assert_eq!(
                    last.2, now,
                    "the advertisement changed exactly at next_change"
                );
            }
            assert!(next > now);
            out.push((now, ids, next));
        }
        let next = p.timeout.unwrap();
        assert!(next >= now, "poll_timeout is never before the clock");
        now = if next == now {
            UnixTime::from_secs(now.as_secs() + 1)
        } else {
            next
        };
    }
    out.into_iter().map(|(t, ids, _)| (t, ids)).collect()
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
    let now = t.clock().unwrap().min(now);
    let dk = keys
        .bluezone
        .iter()
        .find(|k| k.time_start <= now && now <= k.time_end)
        .unwrap();
    let slot = BluezoneSlot::containing(now, spd).unwrap();
    assert_eq!(
        Identifier::Bluezone(dk.daily_key.bluezone_id(slot).unwrap()),
        payloads[1]
    );
}

#[test]
fn every_reception_is_an_event_and_foreign_beacons_are_not_errors() {
    let now = at(DAY, 5000);
    let mut t = tracer(config(true, false), now, 3);
    for ad in ads(&t) {
        let e = hear(&mut t, RadioData::AdvertisingData(&ad), -50, now).unwrap();
        assert_eq!(e, TracerEvent::Ignored(Ignored::Own));
    }
    let bz = tracer(config(false, true), now, 4);
    for ad in ads(&bz) {
        let e = hear(&mut t, RadioData::AdvertisingData(&ad), -50, now).unwrap();
        assert_eq!(
            e,
            TracerEvent::Ignored(Ignored::SchemeDisabled(Scheme::Bluezone))
        );
    }
    // Headphones, a fitness band, Apple's Find My, padding: ordinary traffic, not errors.
    let mut find_my = vec![2, 1, 6, 26, 0xFF, 0x4C, 0x00, 0x12, 0x19, 0x10];
    find_my.extend(1..=20u8);
    assert_eq!(find_my.len(), 30);
    let foreign: [&[u8]; 4] = [&[2, 1, 6], &find_my, &[0; 62], &[]];
    for f in foreign {
        let e = hear(&mut t, RadioData::AdvertisingData(f), -70, now).unwrap();
        assert_eq!(e, TracerEvent::Ignored(Ignored::NotProximity), "{f:?}");
    }
    // A GAEN payload of the wrong length is malformed (reported, still not an error).
    let e = hear(
        &mut t,
        RadioData::ServiceData {
            uuid: proxtrace::advert::GAEN_SERVICE_UUID,
            data: &[1; 19],
        },
        -70,
        now,
    )
    .unwrap();
    assert!(
        matches!(e, TracerEvent::Ignored(Ignored::Malformed(_))),
        "{e:?}"
    );
    // A Bluezone iOS phone asks for a GATT read, whose result is recorded.
    let mut both = tracer(config(true, true), now, 5);
    let ios = proxtrace::advert::encode_bluezone_ios_advertisement();
    let e = hear(
        &mut both,
        RadioData::AdvertisingData(ios.as_bytes()),
        -60,
        now,
    )
    .unwrap();
    assert_eq!(e, TracerEvent::NeedsGattRead);
    let e = hear(
        &mut both,
        RadioData::ServiceUuid(proxtrace::bluezone::IOS_SERVICE_UUID),
        -60,
        now,
    )
    .unwrap();
    assert_eq!(e, TracerEvent::NeedsGattRead);
    let id = Identifier::Bluezone(BluezoneId::from_bytes([0x42; 12]));
    let e = hear(&mut both, RadioData::Identifier(id), -60, now).unwrap();
    assert_eq!(e, TracerEvent::Recorded(Scheme::Bluezone));
    // The 62-byte scan record Android hands over is recorded.
    for ad in ads(&bz) {
        let mut record = ad.clone();
        record.resize(62, 0);
        let e = hear(&mut both, RadioData::AdvertisingData(&record), -60, now).unwrap();
        assert_eq!(e, TracerEvent::Recorded(Scheme::Bluezone));
    }
}

#[test]
fn refused_times_change_nothing_and_everything_means_everything() {
    let now = at(DAY, 5000);
    let mut t = tracer(config(true, true), now, 13);
    let before = t.advertisement().cloned();
    // Milliseconds instead of seconds, the year 55 000, u64::MAX, the epoch: refused.
    for bad in [
        now.as_secs() * 1000,
        u64::MAX,
        0,
        now.as_secs() + 2 * 86_400,
    ] {
        let e = t
            .handle_input(Input::Timeout(UnixTime::from_secs(bad)))
            .unwrap_err();
        assert!(
            matches!(e, TracerError::Time(_) | TracerError::ClockSkew { .. }),
            "{e}"
        );
        assert_eq!(t.clock(), Some(now), "the clock did not move");
    }
    assert_eq!(t.advertisement().cloned(), before);
    assert!(poll(&mut t).timeout.unwrap() >= now);
    // A host asking for "everything" gets everything up to the clock.
    let keys = t
        .diagnosis_keys(UnixTime::EPOCH, UnixTime::from_secs(u64::MAX))
        .unwrap();
    assert_eq!((keys.gaen.len(), keys.bluezone.len()), (1, 1));
    // A host that knows the clock jumped resets it.
    t.reset_clock();
    wake(&mut t, at(DAY + 3, 0)).unwrap();
    assert_eq!(t.clock(), Some(at(DAY + 3, 0)));
}

#[test]
fn keys_older_than_the_retention_are_deleted() {
    let mut c = config(true, true);
    c.retention_days = 3;
    let mut t = tracer(c, at(DAY, 0), 5);
    let mut expired = 0;
    for d in 0..10 {
        for s in [100, 43_200, 86_000] {
            for e in wake(&mut t, at(DAY + d, s)).unwrap().events {
                if let TracerEvent::Expired { keys, .. } = e {
                    expired += keys;
                }
            }
        }
    }
    assert_eq!(expired, 2 * 6, "days 0..=5 of both schemes expired");
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
    wake(&mut t, report_time).unwrap();
    let keys = t.diagnosis_keys(start, report_time).unwrap();
    // The advertisement rotates at once and the event says keys rolled.
    let p = poll(&mut t);
    assert!(p.events.contains(&TracerEvent::KeysRolled));
    assert!(p.advertised.is_some());
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
        if let Identifier::Gaen(g) = ps[0] {
            assert!(published_rpis.contains(g.rpi.as_bytes()));
        }
        if let Identifier::Bluezone(b) = ps[1] {
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
        let Identifier::Gaen(g) = ps[0] else { panic!() };
        assert!(!published_rpis.contains(g.rpi.as_bytes()));
        let Identifier::Bluezone(b) = ps[1] else {
            panic!()
        };
        assert!(!published_ids.contains(b.as_bytes()));
    }
    // A retry of the same report, however much later, returns the same keys: it never
    // publishes the fresh keys started by the report.
    let retry = t.diagnosis_keys(start, report_time).unwrap();
    assert_eq!(retry.gaen.len(), keys.gaen.len());
    assert!(
        retry
            .gaen
            .iter()
            .zip(&keys.gaen)
            .all(|(a, b)| a.key.expose_secret() == b.key.expose_secret())
    );
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
        let mut t = Tracer::open_dir(dir.path(), c.clone(), &mut rng).unwrap();
        let p = wake(&mut t, now).unwrap();
        t.flush().unwrap();
        p.advertised.unwrap().0
    };
    let store = dir.path().join(KEY_STORE_FILE);
    let good = std::fs::read(&store).unwrap();
    // A kill after the temporary file was written and synced but before the rename: the old
    // store is what the next open sees, and the debris does not matter.
    std::fs::write(
        FileKeyStorage::new(dir.path()).temporary_path(),
        b"half-finished new store",
    )
    .unwrap();
    {
        let mut t = Tracer::open_dir(dir.path(), c.clone(), &mut rng).unwrap();
        assert_eq!(
            wake(&mut t, now).unwrap().advertised.unwrap().0,
            first,
            "same keys after the crash"
        );
    }
    // A kill after the rename: the new store is whole.
    let mut s = FileKeyStorage::new(dir.path());
    s.store(&good).unwrap();
    assert_eq!(*s.load().unwrap().unwrap(), good);
    // A truncated store is a clear error, and the file is left as it was.
    std::fs::write(&store, &good[..good.len() - 3]).unwrap();
    let e = Tracer::open_dir(dir.path(), c.clone(), &mut rng).unwrap_err();
    assert!(e.to_string().contains("truncated"), "{e}");
    assert_eq!(std::fs::read(&store).unwrap(), good[..good.len() - 3]);
    // A flipped bit too.
    let mut bad = good.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    std::fs::write(&store, &bad).unwrap();
    let e = Tracer::open_dir(dir.path(), c, &mut rng).unwrap_err();
    assert!(e.to_string().contains("checksum"), "{e}");
    assert_eq!(std::fs::read(&store).unwrap(), bad);
}

#[test]
fn the_log_is_synced_on_the_interval_and_poll_timeout_says_when() {
    let start = at(DAY, 0);
    let alice = tracer(config(true, false), start, 8);
    let mut bob = tracer(config(true, false), start, 9);
    let ad = &ads(&alice)[0];
    hear(&mut bob, RadioData::AdvertisingData(ad), -60, start).unwrap();
    let t = bob.poll_timeout();
    assert!(t > start && t.as_secs() <= start.as_secs() + 61, "{t}");
    wake(&mut bob, UnixTime::from_secs(start.as_secs() + 61)).unwrap();
    assert_eq!(
        bob.log().pending(),
        1,
        "closed into the log, not yet synced"
    );
    wake(&mut bob, UnixTime::from_secs(start.as_secs() + 900)).unwrap();
    assert_eq!(bob.log().pending(), 0, "synced after the sync interval");
    // Scan hints: 4 s every 300 s, through the tracer's own timeouts.
    let mut scanning_secs = 0;
    let mut now = UnixTime::from_secs(start.as_secs() + 900);
    let end = UnixTime::from_secs(now.as_secs() + 3000);
    let mut state = None;
    let mut since = now;
    while now < end {
        let p = wake(&mut bob, now).unwrap();
        if let Some(h) = p.scan {
            if state == Some(true) {
                scanning_secs += now.as_secs() - since.as_secs();
            }
            state = Some(h.scanning);
            since = now;
            assert!(h.until > now);
        }
        now = p
            .timeout
            .unwrap()
            .max(UnixTime::from_secs(now.as_secs() + 1));
    }
    assert!(
        (36..=44).contains(&scanning_secs),
        "{scanning_secs} s scanning in 3000 s"
    );
}

fn exchange(me: &mut MemTracer, other: &MemTracer, now: UnixTime, scanning: &mut bool) {
    let p = wake(me, now).unwrap();
    if let Some(h) = p.scan {
        *scanning = h.scanning;
    }
    if *scanning {
        for ad in ads(other) {
            assert_eq!(
                hear(me, RadioData::AdvertisingData(&ad), -58, now).unwrap(),
                TracerEvent::Recorded(ad_scheme(&ad))
            );
        }
    }
}

fn ad_scheme(ad: &[u8]) -> Scheme {
    if ad.len() == 31 {
        Scheme::Gaen
    } else {
        Scheme::Bluezone
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
        let (mut a_scan, mut b_scan) = (false, false);
        for s in 0..2400 {
            let now = UnixTime::from_secs(start.as_secs() + s);
            exchange(&mut alice, &bob, now, &mut a_scan);
            exchange(&mut bob, &alice, now, &mut b_scan);
        }
        let end = UnixTime::from_secs(start.as_secs() + 3 * 3600);
        wake(&mut alice, end).unwrap();
        wake(&mut bob, end).unwrap();
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
        bob.flush().unwrap();
        let n = bob.log().iter().count();
        assert!(n >= 8, "{n} scan instances");
        let ids: HashSet<Identifier> = bob.log().iter().map(|r| r.unwrap().identifier).collect();
        assert!(ids.len() >= 2, "alice rotated during the 40 minutes");
    }
}
