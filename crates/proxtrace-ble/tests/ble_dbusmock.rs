//! The real Linux adapters (btleplug scanner, bluer advertiser) against a fake BlueZ:
//! python3-dbusmock's `bluez5` template on a private D-Bus, driven by `tests/ble/fake_bluez.py`.
//! Needs `dbus` and `python3-dbusmock` (Debian packages; `.ci/run` installs them).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use proxtrace::ble::DeviceReceived;
use proxtrace::identifier::Identifier;
use proxtrace::tracer::{Input, Output, RadioData, Schemes, Tracer, TracerConfig};
use proxtrace_ble::{Advertiser, Scanner, now};

const PYTHON: &str = "/usr/bin/python3";
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ble/fake_bluez.py");

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

    // Advertiser: one broadcast advertisement per payload, with the tracer's bytes, and new
    // ones at rotation.
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
    for (round, a) in [&first, &second].into_iter().enumerate() {
        let lines = rt.block_on(async {
            let mut adv = Advertiser::new()
                .await
                .expect("advertiser on the fake adapter");
            adv.register(a).await.expect("register");
            let out = tokio::task::spawn_blocking(|| fake(&["adverts"]))
                .await
                .unwrap();
            drop(adv);
            out
        });
        let json: Vec<serde_json::Value> = lines
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(
            json.last().unwrap()["registered"],
            2 * (round + 1),
            "{lines}"
        );
        let live: Vec<&serde_json::Value> =
            json.iter().filter(|v| v.get("path").is_some()).collect();
        assert_eq!(live.len(), 2, "{lines}");
        assert!(live.iter().all(|v| v["type"] == "broadcast"));
        for p in &a.payloads {
            let found = live.iter().any(|v| match p {
                Identifier::Gaen(g) => {
                    v["service_data"]["0000fd6f-0000-1000-8000-00805f9b34fb"]
                        == hex::encode(g.to_bytes())
                }
                Identifier::Bluezone(b) => {
                    v["manufacturer_data"]["8885"] == hex::encode(b.as_bytes())
                }
            });
            assert!(found, "payload {p:?} not registered: {lines}");
        }
    }
}
