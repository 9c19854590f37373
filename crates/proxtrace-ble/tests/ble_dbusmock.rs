//! The real Linux adapters (btleplug scanner, bluer advertiser) against a fake BlueZ:
//! python3-dbusmock's `bluez5` template on a private D-Bus, driven by `tests/ble/fake_bluez.py`.
//! Needs `dbus` and `python3-dbusmock` (Debian packages; `.ci/run` installs them).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use proxtrace::ble::DeviceReceived;
use proxtrace::identifier::Identifier;
use proxtrace::identifier::Scheme;
use proxtrace::tracer::{
    Input, Output, RadioData, Received, Schemes, Tracer, TracerConfig, TracerEvent,
};
use proxtrace_ble::{Advertiser, Scanner, now};

const PYTHON: &str = "/usr/bin/python3";
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ble/fake_bluez.py");
const IOS_SERVICE: &str = "00004e56-73f5-4bc4-a12f-17d1ad07a667";

struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn fake(args: &[&str]) -> String {
    let out = Command::new(PYTHON)
        .arg(SCRIPT)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run {SCRIPT}: {e} (install python3-dbusmock)"));
    assert!(
        out.status.success(),
        "fake_bluez {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn config() -> TracerConfig {
    TracerConfig {
        schemes: Schemes {
            gaen: true,
            bluezone: true,
        },
        ..TracerConfig::default()
    }
}

#[test]
fn scanner_and_advertiser_against_a_fake_bluez() {
    // A private bus standing in for the system bus.
    let mut daemon = Command::new("dbus-daemon")
        .args(["--session", "--print-address=1", "--nofork"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("dbus-daemon: {e} (install the dbus package)"));
    let mut line = String::new();
    BufReader::new(daemon.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _daemon = Kill(daemon);
    let address = line.trim().to_owned();
    // SAFETY: this binary's only test sets the variable before it starts any thread that
    // reads the environment (the tokio runtime and the D-Bus connections come later).
    #[allow(unsafe_code)]
    unsafe {
        std::env::set_var("DBUS_SYSTEM_BUS_ADDRESS", &address)
    };
    let _mock = Kill(
        Command::new(PYTHON)
            .args(["-m", "dbusmock", "--system", "--template", "bluez5"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("dbusmock: {e}")),
    );
    let start = Instant::now();
    loop {
        let ok = Command::new(PYTHON)
            .arg(SCRIPT)
            .arg("setup")
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "dbusmock's bluez5 never came up"
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();

    // Scanner: two phones appear one second into the scan.
    let gaen_hex = "11".repeat(20);
    let bz_hex = "22".repeat(12);
    let injector = {
        let (g, b) = (gaen_hex.clone(), bz_hex.clone());
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(2000));
            fake(&["inject", &g, &b])
        })
    };
    let mut heard: Vec<DeviceReceived> = Vec::new();
    let mut ticks = 0;
    rt.block_on(async {
        let mut scanner = Scanner::new(60).await.expect("scanner on the fake adapter");
        scanner
            .run(
                Some(Duration::from_secs(6)),
                |h| heard.push(h),
                |_| ticks += 1,
            )
            .await
            .expect("scan");
    });
    injector.join().unwrap();
    assert!(ticks >= 3, "{ticks} ticks");
    let gaen = heard
        .iter()
        .map(|h| h.received)
        .find(|r| matches!(r.data, RadioData::Identifier(Identifier::Gaen(_))))
        .expect("GAEN phone heard");
    let RadioData::Identifier(Identifier::Gaen(g)) = gaen.data else {
        unreachable!()
    };
    assert_eq!(hex::encode(g.to_bytes()), gaen_hex);
    assert_eq!(gaen.rssi, -61);
    let bz = heard
        .iter()
        .map(|h| h.received)
        .find(|r| matches!(r.data, RadioData::Identifier(Identifier::Bluezone(_))))
        .expect("Bluezone phone heard");
    let RadioData::Identifier(Identifier::Bluezone(id)) = bz.data else {
        unreachable!()
    };
    assert_eq!(hex::encode(id.as_bytes()), bz_hex);
    assert_eq!(bz.rssi, -72);
    // The sightings reach the log through a tracer.
    let mut tracer =
        Tracer::open_dir(&dir.path().join("scan"), config(), &mut rand::rngs::SysRng).unwrap();
    tracer.handle_input(Input::Timeout(now())).unwrap();
    for h in &heard {
        tracer.handle_input(Input::Received(h.received)).unwrap();
    }
    tracer.flush().unwrap();
    assert_eq!(tracer.log().stats().unwrap().records, 2);

    // Scanner and Bluezone iOS: a phone that serves its ID over GATT is read once in its slot
    // (later sightings get the cached ID with their own RSSI); a phone whose connection never
    // resolves times out, and meanwhile the scan keeps delivering (a GAEN phone appears).
    let ios_hex = "33".repeat(12);
    let gaen2_hex = "44".repeat(20);
    let script = {
        let (i, g) = (ios_hex.clone(), gaen2_hex.clone());
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(500));
            fake(&["inject-ios", &i]);
            let injected = Instant::now();
            std::thread::sleep(Duration::from_millis(800));
            for dbm in ["-60", "-62", "-64"] {
                fake(&["rssi", "3", dbm]);
                std::thread::sleep(Duration::from_millis(300));
            }
            fake(&["inject-gaen", "5", &g]);
            injected
        })
    };
    let read_timeout = Duration::from_secs(3);
    let mut heard: Vec<(Instant, DeviceReceived)> = Vec::new();
    let stats = rt.block_on(async {
        let mut scanner =
            Scanner::new(60)
                .await
                .expect("scanner")
                .with_gatt_reads(900, read_timeout, 2);
        scanner
            .run(
                Some(Duration::from_secs(6)),
                |h| heard.push((Instant::now(), h)),
                |_| {},
            )
            .await
            .expect("scan");
        let (device, why) = scanner
            .gatt_last_failure()
            .expect("the silent phone's read failed");
        assert!(
            device.ends_with("EE_04") && why.contains("timed out"),
            "{device}: {why}"
        );
        scanner.gatt_stats()
    });
    let injected = script.join().unwrap();
    let ios_ids: Vec<&Received<'static>> = heard
        .iter()
        .map(|(_, h)| &h.received)
        .filter(|r| {
            matches!(r.data, RadioData::Identifier(Identifier::Bluezone(b)) if hex::encode(b.as_bytes()) == ios_hex)
        })
        .collect();
    let rssis: Vec<i8> = ios_ids.iter().map(|r| r.rssi).collect();
    assert!(
        ios_ids.len() >= 3,
        "the read and cached sightings: {rssis:?}"
    );
    assert_eq!(rssis[0], -65, "the read carries the RSSI of its sighting");
    for dbm in [-60, -62, -64] {
        assert!(
            rssis.contains(&dbm),
            "a later sighting with the cached ID: {rssis:?}"
        );
    }
    let calls: serde_json::Value = serde_json::from_str(&fake(&["calls", "3"])).unwrap();
    assert_eq!(
        calls["connect"], 1,
        "one connection per device per slot: {calls}"
    );
    assert_eq!(calls["read"], 1, "one read per device per slot: {calls}");
    assert_eq!(
        (stats.started, stats.succeeded, stats.failed),
        (2, 1, 1),
        "{stats:?}"
    );
    assert!(stats.cached >= 3, "{stats:?}");
    let (gaen_at, _) = heard
        .iter()
        .find(|(_, h)| {
            matches!(h.received.data, RadioData::Identifier(Identifier::Gaen(g)) if hex::encode(g.to_bytes()) == gaen2_hex)
        })
        .expect("the GAEN phone heard while a read hung");
    assert!(
        *gaen_at < injected + read_timeout,
        "the scan delivered while the silent phone's read was pending"
    );
    // The identifier reaches the log through a tracer like any other sighting.
    let mut tracer =
        Tracer::open_dir(&dir.path().join("ios"), config(), &mut rand::rngs::SysRng).unwrap();
    tracer.handle_input(Input::Timeout(now())).unwrap();
    let mut recorded = 0;
    for r in &ios_ids {
        tracer.handle_input(Input::Received(**r)).unwrap();
        loop {
            match tracer.poll_output() {
                Output::Event(TracerEvent::Recorded(Scheme::Bluezone)) => recorded += 1,
                Output::Timeout(_) => break,
                _ => {}
            }
        }
    }
    assert_eq!(recorded, ios_ids.len());

    // Advertiser: one broadcast advertisement per payload with the tracer's bytes, new ones at
    // rotation; with Bluezone, a connectable advertisement of the Bluezone iOS service and a
    // GATT application whose characteristic serves the identifier in force.
    let mut t =
        Tracer::open_dir(&dir.path().join("adv"), config(), &mut rand::rngs::SysRng).unwrap();
    let advertised = |t: &mut Tracer<_, _>, at| {
        t.handle_input(Input::Timeout(at)).unwrap();
        loop {
            match t.poll_output() {
                Output::Advertise(a) => return a,
                Output::Timeout(_) => panic!("no advertisement at {at}"),
                _ => {}
            }
        }
    };
    let first = advertised(&mut t, now());
    let second = advertised(&mut t, first.next_change);
    assert_ne!(first.payloads, second.payloads);
    rt.block_on(async {
        let mut adv = Advertiser::new()
            .await
            .expect("advertiser on the fake adapter");
        let mut app = None;
        for (round, a) in [&first, &second].into_iter().enumerate() {
            adv.register(a).await.expect("register");
            let lines = tokio::task::spawn_blocking(|| fake(&["adverts"]))
                .await
                .unwrap();
            let json: Vec<serde_json::Value> = lines
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            assert_eq!(
                json.last().unwrap()["registered"],
                3 * (round + 1),
                "{lines}"
            );
            let live: Vec<&serde_json::Value> =
                json.iter().filter(|v| v.get("path").is_some()).collect();
            assert_eq!(live.len(), 3, "{lines}");
            for p in &a.payloads {
                let found = live.iter().any(|v| {
                    v["type"] == "broadcast"
                        && match p {
                            Identifier::Gaen(g) => {
                                v["service_data"]["0000fd6f-0000-1000-8000-00805f9b34fb"]
                                    == hex::encode(g.to_bytes())
                            }
                            Identifier::Bluezone(b) => {
                                v["manufacturer_data"]["8885"] == hex::encode(b.as_bytes())
                            }
                        }
                });
                assert!(found, "payload {p:?} not registered: {lines}");
            }
            let ios = live
                .iter()
                .find(|v| v["type"] == "peripheral")
                .unwrap_or_else(|| panic!("no connectable advertisement: {lines}"));
            assert_eq!(
                ios["service_uuids"],
                serde_json::json!([IOS_SERVICE]),
                "{lines}"
            );
            assert!(ios["service_data"].as_object().unwrap().is_empty());
            // An iPhone reads the characteristic: the identifier in force, whole and at an offset.
            let id = a
                .payloads
                .iter()
                .find_map(|p| match p {
                    Identifier::Bluezone(b) => Some(hex::encode(b.as_bytes())),
                    Identifier::Gaen(_) => None,
                })
                .unwrap();
            for offset in [0, 4] {
                let out =
                    tokio::task::spawn_blocking(move || fake(&["gatt-read", &offset.to_string()]))
                        .await
                        .unwrap();
                let v: serde_json::Value = serde_json::from_str(&out).unwrap();
                assert_eq!(v["services"], serde_json::json!([IOS_SERVICE]), "{out}");
                assert_eq!(v["flags"], serde_json::json!(["read"]), "{out}");
                assert_eq!(v["value"], id[offset * 2..], "{out}");
                // One GATT application for the advertiser's life; the value follows rotation.
                assert_eq!(
                    *app.get_or_insert_with(|| v["app"].clone()),
                    v["app"],
                    "{out}"
                );
            }
        }
        drop(adv);
    });
}
