//! `proxtrace simulate`: deterministic per seed, consistent counts, clear argument errors.

use std::process::Command;

fn simulate(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_proxtrace"))
        .arg("simulate")
        .args(args)
        .output()
        .expect("run proxtrace")
}

fn field(text: &str, key: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}: ")))
        .unwrap_or_else(|| panic!("no {key} in {text}"))
        .parse()
        .unwrap()
}

#[test]
fn same_seed_same_figures_and_the_counts_add_up() {
    for scheme in ["gaen", "bluezone"] {
        let run = |seed: &str| {
            let o = simulate(&[
                "--phones", "40", "--days", "2", "--seed", seed, "--scheme", scheme,
            ]);
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            let text = String::from_utf8(o.stdout).unwrap();
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
        let exposed = field(&text, "exposed_ground_truth");
        let notified = field(&text, "notified");
        let (tp, fp, fneg, tn) = (
            field(&text, "true_positives"),
            field(&text, "false_positives"),
            field(&text, "false_negatives"),
            field(&text, "true_negatives"),
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
    }
}

#[test]
fn bad_arguments_exit_2_in_one_line() {
    for args in [
        &["--phones", "1"][..],
        &["--days", "0"],
        &["--scheme", "tcn"],
    ] {
        let o = simulate(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}
