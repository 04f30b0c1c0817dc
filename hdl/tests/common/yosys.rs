//! yosys runs shared by the synthesis tests: synthesise a generated module for ECP5 or Xilinx
//! 7-series and read back its (flattened) cell counts.
#![allow(dead_code)]

use super::{generated, require_tool, work_dir};
use std::collections::BTreeMap;
use std::process::Command;
use std::time::Instant;

#[derive(Clone, Copy, Debug)]
pub enum Family {
    Ecp5,
    Xilinx,
}

/// Synthesises the generated module `name`; returns its (flattened) cell counts by type.
pub fn synth(name: &str, family: Family) -> BTreeMap<String, u64> {
    require_tool("yosys", "-V");
    let (path, _) = generated(name);
    let dir = work_dir().join("yosys");
    std::fs::create_dir_all(&dir).unwrap();
    let (cmd, tag) = match family {
        Family::Ecp5 => (format!("synth_ecp5 -top {name}"), "ecp5"),
        Family::Xilinx => (
            format!("synth_xilinx -flatten -family xc7 -top {name}"),
            "xilinx",
        ),
    };
    let stat = dir.join(format!("{name}.{tag}.stat"));
    let log = dir.join(format!("{name}.{tag}.log"));
    let script = format!(
        "read_verilog -sv {}; {cmd}; tee -q -o {} stat",
        path.display(),
        stat.display()
    );
    let t0 = Instant::now();
    let out = Command::new("yosys")
        .arg("-q")
        .arg("-l")
        .arg(&log)
        .arg("-p")
        .arg(&script)
        .output()
        .expect("run yosys");
    let secs = t0.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "yosys {cmd} on {} failed ({}), log {}:\n{}{}",
        path.display(),
        out.status,
        log.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&stat).unwrap();
    let mut cells = BTreeMap::new();
    let mut in_cells = false;
    for l in text.lines() {
        let t = l.trim();
        if t.starts_with("Number of cells:") {
            in_cells = true;
            cells.insert(
                "total".to_string(),
                t.rsplit(' ').next().unwrap().parse().unwrap(),
            );
            continue;
        }
        if in_cells {
            let mut it = t.split_whitespace();
            match (it.next(), it.next().and_then(|n| n.parse::<u64>().ok())) {
                (Some(cell), Some(n)) => {
                    cells.insert(cell.to_string(), n);
                }
                _ => in_cells = false,
            }
        }
    }
    assert!(
        cells.contains_key("total"),
        "no cell statistics in {}",
        stat.display()
    );
    println!("{name} {tag} ({secs:.1} s): {cells:?}");
    cells
}

pub fn count(cells: &BTreeMap<String, u64>, prefix: &str) -> u64 {
    cells
        .iter()
        .filter(|(k, _)| k.starts_with(prefix))
        .map(|(_, v)| v)
        .sum()
}
