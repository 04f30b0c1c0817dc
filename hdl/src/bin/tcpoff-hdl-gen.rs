//! `tcpoff-hdl-gen` — writes the Verilog of tcpoff's hardware blocks.
//!
//! ```text
//! tcpoff-hdl-gen [--out DIR] [--list] [NAME...]
//! ```
//! Writes `DIR/<name>.v` for each named top module (default: all of them, see `--list`);
//! `DIR` defaults to `build/hdl`. A file whose content is already up to date is not rewritten,
//! so the output is deterministic and its timestamps only move when the Verilog changes.

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: tcpoff-hdl-gen [--out DIR] [--list] [NAME...]";

fn main() -> ExitCode {
    let mut out = PathBuf::from("build/hdl");
    let mut names = Vec::new();
    let mut list = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--out" | "-o" => match args.next() {
                Some(d) => out = PathBuf::from(d),
                None => {
                    eprintln!("--out needs a directory\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            "--list" => list = true,
            "--help" | "-h" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            s if s.starts_with('-') => {
                eprintln!("unknown option {s}\n{USAGE}");
                return ExitCode::from(2);
            }
            s => names.push(s.to_owned()),
        }
    }
    let tops = hdl::verilog::tops();
    if list {
        for t in &tops {
            println!("{:<16} {}", t.name, t.about);
        }
        return ExitCode::SUCCESS;
    }
    for n in &names {
        if !tops.iter().any(|t| t.name == n) {
            eprintln!("unknown module {n:?} (see --list)");
            return ExitCode::from(2);
        }
    }
    if let Err(e) = std::fs::create_dir_all(&out) {
        eprintln!("cannot create {}: {e}", out.display());
        return ExitCode::FAILURE;
    }
    for t in tops
        .iter()
        .filter(|t| names.is_empty() || names.iter().any(|n| n == t.name))
    {
        let text = (t.build)();
        let path = out.join(format!("{}.v", t.name));
        let unchanged = std::fs::read_to_string(&path).is_ok_and(|old| old == text);
        if !unchanged {
            if let Err(e) = std::fs::write(&path, &text) {
                eprintln!("cannot write {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
        }
        println!(
            "{} ({} lines{})",
            path.display(),
            text.lines().count(),
            if unchanged { ", unchanged" } else { "" }
        );
    }
    ExitCode::SUCCESS
}
