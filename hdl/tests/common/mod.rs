//! Helpers shared by the tool tests (`verilator.rs`, `yosys.rs`).
#![allow(dead_code)]

pub mod traffic;
pub mod verilated;
pub mod yosys;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Where the tool tests keep generated Verilog and builds: `target/tmp/hdl` (Cargo's
/// `CARGO_TARGET_TMPDIR`, kept between runs, so Verilator builds are cached).
pub fn work_dir() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hdl");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Panics with an actionable message if `tool` cannot be run: these tests must not skip.
pub fn require_tool(tool: &str, version_arg: &str) -> String {
    match Command::new(tool).arg(version_arg).output() {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_owned(),
        Ok(o) => panic!(
            "`{tool} {version_arg}` failed ({}): {}",
            o.status,
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => panic!(
            "`{tool}` is required by this test but cannot be run ({e}). Install it \
             (Debian: apt-get install verilator yosys g++ make; .ci/run does this) and make sure \
             it is on PATH. This test fails rather than skips so CI cannot pass without it."
        ),
    }
}

/// Writes the Verilog of the generated top module `name` to `work_dir()/v/<name>.v` (atomically,
/// and only if it changed) and returns the path and the text.
pub fn generated(name: &str) -> (PathBuf, String) {
    let text = hdl::verilog::by_name(name).unwrap_or_else(|| panic!("no top module {name}"));
    let dir = work_dir().join("v");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.v"));
    if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
        // Unique per process and call: tests in one binary run in parallel threads.
        static SEQ: AtomicUsize = AtomicUsize::new(0);
        let seq = SEQ.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}.v.{}.{seq}", std::process::id()));
        std::fs::write(&tmp, &text).unwrap();
        std::fs::rename(&tmp, &path).unwrap();
    }
    (path, text)
}

/// The checked-in Verilator files (`hdl/verilator/`).
pub fn verilator_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("verilator")
}
