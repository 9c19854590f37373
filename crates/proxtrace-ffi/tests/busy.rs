//! One owner per directory, through the C ABI: a second open of an open tracer directory — in
//! this process or another — fails at once with `PT_BUSY` and a message naming the directory,
//! changes nothing, and the directory opens again once the first handle is closed.

mod support;

use std::time::{Duration, Instant};

use proxtrace_ffi::pt_result;
use support::{BOTH, START, open};

const CHILD_ENV: &str = "PT_BUSY_CHILD_DIR";

/// Run in a child process by `a_second_process_is_refused` (does nothing otherwise).
#[test]
fn busy_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let start = Instant::now();
    let r = open(std::path::Path::new(&dir), BOTH);
    let (code, msg) = match r {
        Ok(_) => (pt_result::PT_OK, String::new()),
        Err(e) => e,
    };
    println!(
        "child: code={} ms={} msg={msg}",
        code as u32,
        start.elapsed().as_millis()
    );
}

#[test]
fn a_second_handle_in_this_process_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let first = open(dir.path(), BOTH).unwrap();
    assert_eq!(first.timeout(START), pt_result::PT_OK);
    assert_eq!(first.flush(START), pt_result::PT_OK);
    let before: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (p.display().to_string(), std::fs::read(&p).unwrap())
        })
        .collect();
    let start = Instant::now();
    let (code, msg) = open(dir.path(), BOTH).err().expect("a second handle");
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "refused at once, not after a wait"
    );
    assert_eq!(code, pt_result::PT_BUSY, "{msg}");
    assert!(
        msg.contains(dir.path().to_str().unwrap()),
        "names the directory: {msg}"
    );
    let after: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (p.display().to_string(), std::fs::read(&p).unwrap())
        })
        .collect();
    assert_eq!(before, after, "a refused open changes nothing");
    // The first handle still works; after close the directory opens again.
    assert_eq!(first.timeout(START + 60), pt_result::PT_OK);
    assert_eq!(first.close(), pt_result::PT_OK);
    assert!(open(dir.path(), BOTH).is_ok());
}

#[test]
fn a_second_process_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let first = open(dir.path(), BOTH).unwrap();
    let run_child = || {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "busy_child", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, dir.path())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let at = stdout
            .find("child: ")
            .unwrap_or_else(|| panic!("no child output: {stdout}"));
        stdout[at..].lines().next().unwrap_or_default().to_owned()
    };
    let line = run_child();
    assert!(line.contains("code=13 "), "{line}");
    assert!(line.contains(dir.path().to_str().unwrap()), "{line}");
    let ms: u64 = line
        .split("ms=")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap();
    assert!(ms < 2000, "refused at once: {line}");
    drop(first);
    let line = run_child();
    assert!(line.contains("code=0 "), "free once closed: {line}");
}
