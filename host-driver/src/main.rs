//! `tcpoff` — the command operators use: today the reference-model demo; the simulator and
//! real-device subcommands join it as they land.
//!
//! Errors (bad arguments included) are one line on stderr and a non-zero exit status: 2 for usage
//! errors, 1 for failures while running.

mod demo;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// TCP connection-state offload for FPGA SmartNICs.
#[derive(Parser, Debug)]
#[command(name = "tcpoff", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the reference model of the NIC over a generated workload (legit clients + a spoofed
    /// SYN flood) and print what it did.
    Demo(demo::DemoArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let result = match cli.command {
        Command::Demo(args) => demo::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("tcpoff: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// `--help` and `--version` print in full (exit 0); every other parse error, a missing subcommand
/// included, is one line on stderr (clap's own wording, e.g. "invalid value 'x' for '--mode
/// <MODE>'"), exit status 2.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand | ErrorKind::MissingSubcommand => {
            eprintln!("tcpoff: a subcommand is required: demo (see tcpoff --help)");
            ExitCode::from(2)
        }
        _ => {
            let text = e.render().to_string();
            let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            eprintln!(
                "tcpoff: {} (see tcpoff --help)",
                first.trim_start_matches("error: ")
            );
            ExitCode::from(2)
        }
    }
}
