//! The `tcpoff` command as a user runs it: `tcpoff demo` (text and JSON), `tcpoff info` on a
//! device, `--device` specs, and bad input.

#[path = "support/fixture.rs"]
mod fixture;

use std::process::{Command, Output};

fn tcpoff(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tcpoff"))
        .args(args)
        .output()
        .expect("run tcpoff")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn demo_json(args: &[&str]) -> serde_json::Value {
    let mut a = vec!["demo", "--json"];
    a.extend_from_slice(args);
    let o = tcpoff(&a);
    assert!(o.status.success(), "tcpoff {a:?}: {}", stderr(&o));
    serde_json::from_slice(&o.stdout).expect("the JSON report parses")
}

fn counter(r: &serde_json::Value, name: &str) -> u64 {
    r["counters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no counter {name}"))["value"]
        .as_u64()
        .unwrap()
}

#[test]
fn demo_prints_the_summary() {
    let o = tcpoff(&["demo", "--clients", "40", "--flood", "4000", "--seed", "7"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    for needle in [
        "completed   40 of 40 (100.0%)",
        "SYN cookies",
        "connection table",
        "state distribution (ss names)",
        "SyncookiesSent",
        "SyncookiesRecv",
        "PassiveOpens",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    assert!(stderr(&o).is_empty());
}

#[test]
fn demo_under_flood_with_cookies_completes_every_legit_connection() {
    let r = demo_json(&["--clients", "60", "--flood", "20000", "--mode", "1"]);
    assert_eq!(r["legit_attempted"], 60);
    assert_eq!(r["legit_completed"], 60, "failures: {}", r["failures"]);
    let sent = counter(&r, "SyncookiesSent");
    // Every spoofed SYN after the flood is detected gets a cookie; the flood's entries stay a
    // small part of the table.
    assert!(sent > 15_000, "SyncookiesSent {sent}");
    assert_eq!(counter(&r, "SyncookiesFailed"), 0);
    let cap = r["table_capacity"].as_u64().unwrap();
    let peak = r["peak"]["entries"].as_u64().unwrap();
    assert!(peak <= cap && peak < 1000, "peak {peak} of {cap}");
    assert_eq!(r["after_expiry"]["entries"], 0);
    assert!(r["wall_ms"].as_f64().unwrap() > 0.0);
}

#[test]
fn demo_modes_decide_who_gets_cookies() {
    let off = demo_json(&["--clients", "20", "--flood", "3000", "--mode", "0"]);
    assert_eq!(counter(&off, "SyncookiesSent"), 0);
    assert_eq!(off["legit_proxied"], 0);
    // Without cookies the flood occupies the table: every spoofed SYN is tracked until its
    // bucket is full.
    assert!(off["peak"]["flood_entries"].as_u64().unwrap() > 2000);

    let always = demo_json(&["--clients", "20", "--flood", "0", "--mode", "always"]);
    assert_eq!(always["legit_completed"], 20);
    assert_eq!(always["legit_proxied"], 20);
    assert_eq!(counter(&always, "SyncookiesRecv"), 20);
    assert_eq!(counter(&always, "SynproxyHandoffs"), 20);
}

#[test]
fn demo_is_deterministic_per_seed() {
    let strip = |mut v: serde_json::Value| {
        v.as_object_mut().unwrap().remove("wall_ms");
        v
    };
    let a = strip(demo_json(&[
        "--clients",
        "10",
        "--flood",
        "500",
        "--seed",
        "42",
    ]));
    let b = strip(demo_json(&[
        "--clients",
        "10",
        "--flood",
        "500",
        "--seed",
        "42",
    ]));
    assert_eq!(a, b);
    assert_eq!(a["spec"]["seed"], 42);
}

#[test]
fn bad_input_is_one_line_and_a_nonzero_exit() {
    for args in [
        vec!["demo", "--mode", "7"],
        vec!["demo", "--clients", "99999"],
        vec!["demo", "--flood", "lots"],
        vec!["demo", "--flood-rate", "0"],
        vec!["demo", "--table", "huge"],
        vec!["demo", "--frobnicate"],
        vec!["launch"],
        vec![],
    ] {
        let o = tcpoff(&args);
        assert_eq!(o.status.code(), Some(2), "tcpoff {args:?}");
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "tcpoff {args:?}: {err:?}");
        assert!(err.starts_with("tcpoff: "), "tcpoff {args:?}: {err:?}");
        assert!(stdout(&o).is_empty(), "tcpoff {args:?}");
    }
}

#[test]
fn help_and_version_succeed() {
    let o = tcpoff(&["demo", "--help"]);
    assert!(o.status.success());
    let text = stdout(&o);
    for opt in [
        "--clients",
        "--flood",
        "--mode",
        "--bytes",
        "--seed",
        "--json",
    ] {
        assert!(text.contains(opt), "demo --help lacks {opt}");
    }
    let o = tcpoff(&["--version"]);
    assert!(o.status.success());
    assert!(stdout(&o).starts_with("tcpoff "));
}

#[test]
fn malformed_device_specs_are_usage_errors() {
    for spec in [
        "pci:0000:03:00",
        "pci:zz:00.0",
        "pci:0000:03:00.9",
        "vfio-user:",
        "usb:1",
        "0000:03:00.0",
    ] {
        let o = tcpoff(&["--device", spec, "info"]);
        assert_eq!(o.status.code(), Some(2), "--device {spec}");
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "--device {spec}: {err:?}");
        assert!(err.contains("--device"), "--device {spec}: {err:?}");
    }
}

#[test]
fn a_missing_device_is_one_line_and_exit_1() {
    let o = tcpoff(&["--device", "pci:0000:7f:1f.7", "info"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err:?}");
    // which reason depends on the machine: no VFIO at all, or no such function
    if std::path::Path::new("/dev/vfio").is_dir() {
        assert!(err.contains("0000:7f:1f.7"), "{err}");
    } else {
        assert!(err.contains("no /dev/vfio"), "{err}");
    }
    let o = tcpoff(&["--device", "vfio-user:/nonexistent/tcpoff.sock", "info"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "tcpoff: vfio-user: no socket at /nonexistent/tcpoff.sock\n"
    );
    let o = tcpoff(&["info"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("needs --device"));
}

#[test]
fn info_reads_a_vfio_user_device() {
    let server = fixture::FixtureServer::start("cli-info", Vec::new());
    let spec = format!("vfio-user:{}", server.path().display());
    let o = tcpoff(&["info", "--device", &spec, "--reset"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains(&format!("device      {spec}")), "{text}");
    assert!(text.contains("contract    1.0"), "{text}");
    assert!(text.contains("Counters"), "{text}");
    assert_eq!(server.finish().resets, 1);
}

#[test]
fn demo_runs_with_a_device_given() {
    let o = tcpoff(&[
        "--device",
        "pci:0000:03:00.0",
        "demo",
        "--clients",
        "3",
        "--flood",
        "10",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("completed   3 of 3"));
}
