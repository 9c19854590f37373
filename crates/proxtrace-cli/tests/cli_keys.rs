//! `proxtrace keys …` reproduces the vector files byte for byte and rejects bad arguments
//! with a one-line error naming the argument and exit status 2.

use std::process::Command;

const GAEN: &str = include_str!("../../proxtrace/tests/data/gaen-v1.2-kat.txt");
const BLUEZONE: &str = include_str!("../../proxtrace/tests/data/bluezone-v2-kat.txt");

fn proxtrace(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_proxtrace"))
        .args(args)
        .output()
        .expect("run proxtrace")
}

fn value<'a>(text: &'a str, name: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(' ')))
        .unwrap()
}

fn data_lines(text: &str) -> String {
    text.lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn gaen_output_is_the_vector_file() {
    let out = proxtrace(&[
        "keys",
        "gaen",
        "--tek",
        value(GAEN, "TEK"),
        "--interval",
        value(GAEN, "ENIN0"),
        "--metadata",
        value(GAEN, "METADATA"),
    ]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), data_lines(GAEN));
}

#[test]
fn gaen_without_metadata_has_three_columns() {
    let out = proxtrace(&[
        "keys",
        "gaen",
        "--tek",
        value(GAEN, "TEK"),
        "--interval",
        "2642976",
        "--count",
        "2",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text,
        "0 2642976 8be6cd371c5c891604bfbe49df845096\n1 2642977 3c9a1de5dd6b02afa7fded7b570b3e56\n"
    );
}

#[test]
fn bluezone_output_is_the_vector_file() {
    let out = proxtrace(&[
        "keys",
        "bluezone",
        "--daily-key",
        value(BLUEZONE, "BASE_KEY"),
        "--day-start",
        value(BLUEZONE, "BASE_DAY_START_UNIX"),
        "--days",
        "2",
    ]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), data_lines(BLUEZONE));
}

#[test]
fn bad_arguments_exit_2_with_one_line_naming_the_argument() {
    let key = value(BLUEZONE, "BASE_KEY");
    let cases: &[(&[&str], &str)] = &[
        (
            &["keys", "gaen", "--tek", "abc", "--interval", "1"],
            "--tek",
        ),
        (&["keys", "gaen", "--interval", "1"], "--tek"),
        (
            &[
                "keys",
                "gaen",
                "--tek",
                "00000000000000000000000000000000",
                "--interval",
                "x",
            ],
            "--interval",
        ),
        (
            &[
                "keys",
                "gaen",
                "--tek",
                "00000000000000000000000000000000",
                "--interval",
                "1",
                "--metadata",
                "4008",
            ],
            "--metadata",
        ),
        (
            &["keys", "bluezone", "--daily-key", key, "--day-start", "5"],
            "--day-start",
        ),
        (
            &[
                "keys",
                "bluezone",
                "--daily-key",
                key,
                "--day-start",
                "0",
                "--slots",
                "0",
            ],
            "--slots",
        ),
        (
            &["keys", "bluezone", "--daily-key", "12", "--day-start", "0"],
            "--daily-key",
        ),
    ];
    for (args, arg) in cases {
        let out = proxtrace(args);
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(arg), "{args:?} should name {arg}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}
