//! Resource and timing reports of the generated modules: yosys `synth_ecp5` / `synth_xilinx`
//! cell counts and nextpnr-ecp5 place-and-route Fmax, as `tcpoff-hdl-report` prints them.
//!
//! ## Flow (per module)
//! 1. The module's Verilog from [`crate::verilog::by_name`].
//! 2. **Resources**: `yosys synth_ecp5 -top <m>` and `yosys synth_xilinx -family xcup -top <m>`
//!    (UltraScale+), then `stat`; [`parse_yosys_stat`] reads the flattened top module's cells.
//! 3. **Fmax** (ECP5 only; the open tools have no Xilinx place and route): the module's ports do
//!    not fit a package's pins (the SipHash unit alone has 300+), so [`fmax_wrapper`] wraps it in a
//!    module with one data pin in and one out: every input bit comes from a shift register fed by
//!    the pin, every output bit goes into a rotate-and-xor register (a MISR) whose bit 0 drives the
//!    pin. Every input and output stays observable (yosys cannot prune logic) and the wrapper adds
//!    register-to-register paths of one LUT at most, so the critical path is the module's own.
//!    `nextpnr-ecp5 --45k --package CABGA381 --freq <target>` then places and routes it; Fmax and
//!    utilisation come from its `--report` JSON ([`parse_nextpnr_report`]).
//!
//! The wrapper's registers (input bits + output bits) are included in the nextpnr utilisation and
//! excluded from the yosys counts, which are the module's alone.

use crate::verilog::Port;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The ECP5 part and package the report places for (LFE5U-45F, the 45k part of common dev boards).
pub const ECP5_DEVICE: &str = "--45k";
pub const ECP5_PACKAGE: &str = "CABGA381";
/// The default clock target, in MHz (issue: "aim for 125 MHz or better on ECP5").
pub const ECP5_TARGET_MHZ: f64 = 125.0;

/// The name of the wrapper module of `module`.
pub fn wrapper_name(module: &str) -> String {
    format!("fmax_{module}")
}

/// A wrapper with ports `clock`, `din`, `dout` around `module` (whose ports are `ports`, the
/// first being its clock `clock`); see the module docs.
pub fn fmax_wrapper(module: &str, ports: &[Port]) -> String {
    let ins: Vec<&Port> = ports
        .iter()
        .filter(|p| !p.output && p.name != "clock")
        .collect();
    let outs: Vec<&Port> = ports.iter().filter(|p| p.output).collect();
    let n_in: usize = ins.iter().map(|p| p.width).sum::<usize>().max(1);
    let n_out: usize = outs.iter().map(|p| p.width).sum::<usize>().max(1);
    let mut v = String::new();
    let _ = writeln!(
        v,
        "// Fmax wrapper of {module}: inputs from a shift register, outputs into a MISR."
    );
    let _ = writeln!(
        v,
        "module {}(input wire clock, input wire din, output wire dout);",
        wrapper_name(module)
    );
    let _ = writeln!(v, "    reg [{}:0] sr = 0;", n_in.max(2) - 1);
    let _ = writeln!(
        v,
        "    always @(posedge clock) sr <= {{sr[{}:0], din}};",
        n_in.max(2) - 2
    );
    let _ = writeln!(v, "    wire [{}:0] o;", n_out - 1);
    let _ = writeln!(v, "    reg [{}:0] misr = 0;", n_out.max(2) - 1);
    if n_out >= 2 {
        let _ = writeln!(
            v,
            "    always @(posedge clock) misr <= o ^ {{misr[{}:0], misr[{}]}};",
            n_out - 2,
            n_out - 1
        );
    } else {
        let _ = writeln!(v, "    always @(posedge clock) misr <= {{misr[0], o[0]}};");
    }
    let _ = writeln!(v, "    assign dout = misr[0];");
    let _ = writeln!(v, "    {module} uut(");
    let mut conns = vec![".clock(clock)".to_owned()];
    let mut at = 0;
    for p in &ins {
        conns.push(format!(".{}(sr[{}:{}])", p.name, at + p.width - 1, at));
        at += p.width;
    }
    at = 0;
    for p in &outs {
        conns.push(format!(".{}(o[{}:{}])", p.name, at + p.width - 1, at));
        at += p.width;
    }
    let _ = writeln!(v, "        {}", conns.join(",\n        "));
    let _ = writeln!(v, "    );");
    let _ = writeln!(v, "endmodule");
    v
}

/// Cell counts of module `top` from the text yosys's `stat` prints (`=== top ===`, then
/// `Number of cells:` and one `  CELL  COUNT` line per cell type). Empty if the section is absent.
pub fn parse_yosys_stat(text: &str, top: &str) -> BTreeMap<String, u64> {
    let mut cells = BTreeMap::new();
    let header = format!("=== {top} ===");
    let Some(start) = text.rfind(&header) else {
        return cells;
    };
    let mut in_cells = false;
    for line in text[start + header.len()..].lines() {
        let t = line.trim();
        if t.starts_with("===") {
            break;
        }
        if t.starts_with("Number of cells:") {
            in_cells = true;
            continue;
        }
        if !in_cells {
            continue;
        }
        if t.is_empty() {
            if cells.is_empty() {
                continue;
            }
            break;
        }
        let mut it = t.split_whitespace();
        if let (Some(name), Some(n), None) = (it.next(), it.next(), it.next()) {
            if let Ok(n) = n.parse() {
                cells.insert(name.to_owned(), n);
                continue;
            }
        }
        break;
    }
    cells
}

/// The length of the longest combinational path yosys's `ltp -noff` reports
/// (`Longest topological path in top (length=N):`).
pub fn parse_ltp(text: &str) -> Option<u64> {
    let at = text.rfind("Longest topological path in ")?;
    let rest = &text[at..];
    let l = rest.find("(length=")? + "(length=".len();
    let end = rest[l..].find(')')? + l;
    rest[l..end].parse().ok()
}

/// Sum of the counts of cells whose names start with one of `prefixes`.
pub fn count(cells: &BTreeMap<String, u64>, prefixes: &[&str]) -> u64 {
    cells
        .iter()
        .filter(|(k, _)| prefixes.iter().any(|p| k.starts_with(p)))
        .map(|(_, v)| v)
        .sum()
}

/// What nextpnr's `--report` JSON says: the achieved Fmax of the (single) clock and the
/// utilisation per BEL type as (used, available).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PnrReport {
    pub fmax_mhz: Option<f64>,
    pub target_mhz: Option<f64>,
    pub utilization: BTreeMap<String, (u64, u64)>,
}

/// Parses nextpnr's `--report` JSON (`{"fmax": {clk: {"achieved", "constraint"}},
/// "utilization": {bel: {"used", "available"}}}`).
pub fn parse_nextpnr_report(json: &str) -> Result<PnrReport, String> {
    let v: serde_json::Value =
        serde_json::from_str(json).map_err(|e| format!("nextpnr report is not JSON: {e}"))?;
    let mut r = PnrReport::default();
    if let Some(f) = v.get("fmax").and_then(|f| f.as_object()) {
        // One clock domain: take the slowest if there are several.
        for c in f.values() {
            if let Some(a) = c.get("achieved").and_then(|a| a.as_f64()) {
                r.fmax_mhz = Some(r.fmax_mhz.map_or(a, |m: f64| m.min(a)));
            }
            if let Some(t) = c.get("constraint").and_then(|a| a.as_f64()) {
                r.target_mhz = Some(t);
            }
        }
    }
    let util = v
        .get("utilization")
        .and_then(|u| u.as_object())
        .ok_or("nextpnr report has no utilization section")?;
    for (bel, u) in util {
        let used = u.get("used").and_then(|x| x.as_u64()).unwrap_or(0);
        let avail = u.get("available").and_then(|x| x.as_u64()).unwrap_or(0);
        r.utilization.insert(bel.clone(), (used, avail));
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapper_connects_every_bit() {
        let ports = vec![
            Port {
                output: false,
                name: "clock".into(),
                width: 1,
            },
            Port {
                output: false,
                name: "a$x".into(),
                width: 3,
            },
            Port {
                output: true,
                name: "q".into(),
                width: 5,
            },
            Port {
                output: false,
                name: "b".into(),
                width: 1,
            },
        ];
        let v = fmax_wrapper("m", &ports);
        assert!(v.contains("module fmax_m(input wire clock, input wire din, output wire dout);"));
        assert!(v.contains("reg [3:0] sr = 0;"));
        assert!(v.contains(".a$x(sr[2:0])"));
        assert!(v.contains(".b(sr[3:3])"));
        assert!(v.contains(".q(o[4:0])"));
        assert!(v.contains("misr <= o ^ {misr[3:0], misr[4]};"));
    }

    #[test]
    fn reads_the_top_module_section_of_yosys_stat() {
        let text = "=== sub ===\n   Number of cells:  3\n     LUT4  3\n\n\
                    === top ===\n\n   Number of wires:  10\n   Number of cells:  7\n     \
                    CCU2C   2\n     TRELLIS_FF  4\n     DP16KD   1\n\n   Estimated ...\n";
        let c = parse_yosys_stat(text, "top");
        assert_eq!(c.len(), 3);
        assert_eq!(c["TRELLIS_FF"], 4);
        assert_eq!(count(&c, &["CCU2C", "DP16KD"]), 3);
        assert!(parse_yosys_stat(text, "other").is_empty());
    }

    #[test]
    fn reads_the_longest_path() {
        let t = "...\nLongest topological path in header_parser (length=328):\n    0: a\n";
        assert_eq!(parse_ltp(t), Some(328));
        assert_eq!(parse_ltp("no such line"), None);
    }

    #[test]
    fn reads_nextpnr_fmax_and_utilization() {
        let j = r#"{"critical_paths": [], "fmax": {"$glbnet$clock": {"achieved": 248.6, "constraint": 125}},
                   "utilization": {"DP16KD": {"available": 108, "used": 1}}}"#;
        let r = parse_nextpnr_report(j).unwrap();
        assert_eq!(r.fmax_mhz, Some(248.6));
        assert_eq!(r.target_mhz, Some(125.0));
        assert_eq!(r.utilization["DP16KD"], (1, 108));
        assert!(parse_nextpnr_report("{}").is_err());
    }
}
