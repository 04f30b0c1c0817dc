//! `tcpoff-hdl-report` as a user runs it: yosys resource counts (ECP5 and UltraScale+) and the
//! nextpnr-ecp5 Fmax of a generated module, here the block RAM (seconds, not minutes). Fails,
//! rather than skips, without yosys and nextpnr-ecp5 (`.ci/run` installs them).

mod common;

use common::{require_tool, work_dir};
use std::process::Command;

fn report(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tcpoff-hdl-report"))
        .args(args)
        .output()
        .expect("run tcpoff-hdl-report")
}

/// The numeric columns of the report row for (`module`, `target`): LUT, carry, FF, BRAM, other,
/// and the rest of the line.
fn row(text: &str, module: &str, target: &str) -> (Vec<u64>, String) {
    let mut current = "";
    for line in text.lines() {
        let toks: Vec<&str> = line.split_whitespace().collect();
        let (m, rest) = if line.starts_with(' ') {
            (current, &toks[..])
        } else if toks.is_empty() {
            continue;
        } else {
            current = toks[0];
            (toks[0], &toks[1..])
        };
        if m == module && rest.first() == Some(&target) {
            let nums = rest[1..6].iter().map(|t| t.parse().unwrap()).collect();
            return (nums, rest[6..].join(" "));
        }
    }
    panic!("no {module}/{target} row in:\n{text}");
}

#[test]
fn reports_resources_and_fmax_of_the_block_ram() {
    require_tool("yosys", "-V");
    let out = work_dir().join("report");
    let o = report(&["--out", out.to_str().unwrap(), "bram_512x32"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{}{text}",
        String::from_utf8_lossy(&o.stderr)
    );
    println!("{text}");
    // One DP16KD on ECP5, one RAMB18 on UltraScale+, as tests/yosys.rs finds for this RAM.
    let (ecp5, fmax) = row(&text, "bram_512x32", "ecp5");
    assert_eq!(ecp5[3], 1, "DP16KD");
    assert!(ecp5[2] > 0, "the read-first bypass registers");
    let mhz: f64 = fmax.split_whitespace().next().unwrap().parse().unwrap();
    assert!(mhz > 50.0 && mhz < 1000.0, "Fmax {mhz} MHz");
    assert!(fmax.contains("MHz (meets 125") || fmax.contains("MHz (MISSES 125"));
    let (xcup, depth) = row(&text, "bram_512x32", "xcup");
    assert_eq!(xcup[3], 1, "RAMB18E2");
    assert!(depth.contains("longest path"));
    // The work files are where the report says.
    assert!(out.join("bram_512x32/nextpnr_report.json").exists());
}

#[test]
fn bad_arguments_are_one_line_errors() {
    for (args, code) in [
        (vec!["--frobnicate"], 2),
        (vec!["--freq", "fast"], 2),
        (vec!["--no-pnr", "no_such_module"], 1),
    ] {
        let o = report(&args);
        assert_eq!(o.status.code(), Some(code), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("tcpoff-hdl-report: "), "{args:?}: {err}");
    }
}
