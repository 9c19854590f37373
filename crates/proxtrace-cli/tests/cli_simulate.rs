//! `proxtrace simulate`: deterministic per seed, consistent counts, clear argument errors;
//! adoption, sweeps and their plot, mixed populations and the relay study through the command
//! line. Towns stay small: the test binary is unoptimised.

use std::process::Command;

use serde_json::Value;

fn simulate(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_proxtrace"))
        .arg("simulate")
        .args(args)
        .output()
        .expect("run proxtrace")
}

fn ok(args: &[&str]) -> String {
    let o = simulate(args);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn json(args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.push("--json");
    let mut v: Value = serde_json::from_str(&ok(&a)).unwrap();
    // Wall-clock figures are the only thing allowed to differ between runs.
    let o = v.as_object_mut().unwrap();
    o.retain(|k, _| !k.starts_with("elapsed"));
    v
}

fn field(text: &str, key: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}: ")))
        .unwrap_or_else(|| panic!("no {key} in {text}"))
        .parse()
        .unwrap()
}

fn n(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or_else(|| panic!("no {key} in {v}"))
}

#[test]
fn same_seed_same_figures_and_the_counts_add_up() {
    for scheme in ["gaen", "bluezone"] {
        let run = |seed: &str| {
            let text = ok(&[
                "--phones", "40", "--days", "2", "--seed", seed, "--scheme", scheme,
            ]);
            let stable: String = text
                .lines()
                .filter(|l| !l.starts_with("elapsed_seconds"))
                .collect::<Vec<_>>()
                .join("\n");
            (text, stable)
        };
        let (text, a) = run("7");
        let (_, b) = run("7");
        assert_eq!(a, b, "not deterministic");
        let (_, c) = run("8");
        assert_ne!(a, c, "the seed changes nothing");
        // Today's lines come first, in today's order.
        let keys: Vec<&str> = text.lines().map(|l| l.split(':').next().unwrap()).collect();
        assert_eq!(
            keys[..18],
            [
                "scheme",
                "phones",
                "days",
                "seed",
                "positives",
                "published_keys",
                "published_bytes",
                "advertisements_heard",
                "scan_instances",
                "log_bytes_per_scan_instance",
                "exposed_ground_truth",
                "notified",
                "true_positives",
                "false_positives",
                "false_negatives",
                "true_negatives",
                "precision",
                "recall"
            ]
        );
        let exposed = field(&text, "exposed_ground_truth");
        let notified = field(&text, "notified");
        let (tp, fp, fneg, tn) = (
            field(&text, "true_positives"),
            field(&text, "false_positives"),
            field(&text, "false_negatives"),
            field(&text, "true_negatives"),
        );
        assert_eq!(
            field(&text, "phones"),
            40,
            "--phones is the number of people with a phone"
        );
        assert_eq!(tp + fneg, exposed);
        assert_eq!(tp + fp, notified);
        assert_eq!(tp + fp + fneg + tn + field(&text, "positives"), 40);
        // The matcher finds the close contacts (a broken matcher notifies no one, a
        // broken scorer everyone).
        assert!(exposed > 0, "{text}");
        assert!(4 * tp >= 3 * exposed, "recall below 0.75: {text}");
        assert!(tn > 0, "everyone was notified: {text}");
        assert!(field(&text, "scan_instances") > 0);
        assert!(field(&text, "published_keys") >= field(&text, "positives"));
        // Everyone has the app: every close contact has both installed.
        assert_eq!(
            field(&text, "close_contacts_all"),
            field(&text, "close_contacts_both_installed")
        );
    }
}

#[test]
fn adoption_leaves_some_people_without_a_phone_but_not_out_of_the_truth() {
    let all = json(&["--people", "60", "--days", "1", "--seed", "3"]);
    let half = json(&[
        "--people",
        "60",
        "--days",
        "1",
        "--seed",
        "3",
        "--adoption",
        "0.5",
    ]);
    assert_eq!(n(&half, "people"), 60);
    assert_eq!(n(&half, "phones"), 30);
    // Ground truth is everyone's: the same close contacts whoever has the app.
    assert_eq!(
        n(&half, "close_contacts_all"),
        n(&all, "close_contacts_all")
    );
    assert!(n(&half, "close_contacts_both_installed") < n(&all, "close_contacts_both_installed"));
    assert!(n(&half, "notified_close_contacts") <= n(&half, "close_contacts_both_installed"));
    let share = half["notified_of_all"].as_f64().unwrap();
    let expected =
        n(&half, "notified_close_contacts") as f64 / n(&half, "close_contacts_all") as f64;
    assert!((share - expected).abs() < 1e-12);
    let people_counts = [
        "true_positives",
        "false_positives",
        "false_negatives",
        "true_negatives",
        "positives",
    ];
    assert_eq!(people_counts.iter().map(|k| n(&half, k)).sum::<u64>(), 30);
}

#[test]
fn a_sweep_scores_each_rate_as_a_run_at_that_rate_would_and_draws_it() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("adoption.svg");
    let svg_arg = svg.to_str().unwrap();
    let base = ["--people", "60", "--days", "1", "--seed", "5"];
    let mut args = base.to_vec();
    args.extend(["--sweep-adoption", "0.3,1.0", "--plot", svg_arg]);
    let sweep = json(&args);
    let rows = sweep["sweep"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for (row, rate) in rows.iter().zip(["0.3", "1.0"]) {
        assert_eq!(
            row["adoption"].as_f64().unwrap(),
            rate.parse::<f64>().unwrap()
        );
        let mut single = base.to_vec();
        single.extend(["--adoption", rate]);
        let run = json(&single);
        for key in [
            "phones",
            "positives",
            "close_contacts_all",
            "close_contacts_both_installed",
            "notified_close_contacts",
            "notified",
            "notified_of_all",
        ] {
            assert_eq!(row[key], run[key], "{key} at {rate}: {row} vs {run}");
        }
    }
    let picture = std::fs::read_to_string(&svg).unwrap();
    assert!(
        picture.starts_with("<svg") && picture.contains("adoption²"),
        "{picture:.200}"
    );
}

#[test]
fn mixed_populations_are_reported_per_pair_type() {
    let v = json(&[
        "--people",
        "80",
        "--days",
        "1",
        "--seed",
        "2",
        "--ios-share",
        "0.5",
        "--scheme-mix",
        "bluezone=0.6,gaen=0.2,both=0.2",
    ]);
    assert_eq!(v["scheme"], "mixed");
    assert!(
        n(&v, "gatt_reads") > 0,
        "no Bluezone iPhone was read over GATT: {v}"
    );
    let types = v["pair_types"].as_array().unwrap();
    assert!(types.len() > 1, "{v}");
    let total: u64 = types.iter().map(|t| n(t, "close_contacts")).sum();
    assert_eq!(total, n(&v, "close_contacts_both_installed"));
    for t in types {
        let (rx, tx) = (
            t["receiver"].as_str().unwrap(),
            t["sender"].as_str().unwrap(),
        );
        // Two iPhones running only Bluezone never discover each other in the background;
        // phones with no scheme in common never hear each other.
        let no_common = (rx.ends_with("-gaen") && tx.ends_with("-bluezone"))
            || (rx.ends_with("-bluezone") && tx.ends_with("-gaen"));
        if (rx == "ios-bluezone" && tx == "ios-bluezone") || no_common {
            assert_eq!(n(t, "notified"), 0, "{t}");
        }
    }
}

#[test]
fn a_relay_causes_false_notifications_and_the_report_says_how_many() {
    let v = json(&[
        "--people",
        "120",
        "--days",
        "1",
        "--seed",
        "4",
        "--relay",
        "market:school",
    ]);
    let r = &v["relay"];
    assert_eq!(r["from"], "market.0");
    assert_eq!(r["to"], "school.0");
    assert!(n(r, "relayed_packets") > 0, "{r}");
    assert!(n(r, "false_notifications_strict") <= n(r, "false_notifications"));
    assert!(r["strict_recall"].as_f64().unwrap() <= r["recall"].as_f64().unwrap());
}

#[test]
fn bad_arguments_exit_2_in_one_line() {
    for args in [
        &["--phones", "1"][..],
        &["--people", "250001"],
        &["--people", "250000", "--days", "14"],
        &[
            "--people",
            "100000",
            "--days",
            "14",
            "--adoption",
            "0.1",
            "--sweep-adoption",
            "0.1,1",
        ],
        &["--days", "0"],
        &["--days", "15"],
        &["--scheme", "tcn"],
        &["--adoption", "1.5"],
        &["--adoption-public-sector", "-0.1"],
        &["--ios-share", "2"],
        &["--sweep-adoption", "0.5,1.2"],
        &["--plot", "x.svg"],
        &["--scheme-mix", "bluezone=0.5"],
        &["--relay", "market"],
        &["--relay", "market:market"],
        &["--relay", "mall:bus"],
        &["--relay", "market:bus.999", "--people", "20", "--days", "1"],
        &["--relay-delay", "60"],
        &["--relay", "market:bus", "--relay-delay", "90000"],
        &["--relay", "market:bus", "--sweep-adoption", "0.5"],
    ] {
        let o = simulate(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    }
}
