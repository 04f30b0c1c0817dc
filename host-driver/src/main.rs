//! `tcpoff` — the command operators use: the reference-model demo, and `info` for a device
//! named by the global `--device` (a VFIO card or a vfio-user socket); the simulator and the
//! inspection commands join them as they land.
//!
//! Errors (bad arguments included) are one line on stderr and a non-zero exit status: 2 for usage
//! errors, 1 for failures while running.

mod demo;
mod info;

use tcpoff::device_spec;

#[cfg(test)]
#[path = "../tests/support/fixture.rs"]
mod fixture;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// TCP connection-state offload for FPGA SmartNICs.
#[derive(Parser, Debug)]
#[command(name = "tcpoff", version, about, propagate_version = true)]
struct Cli {
    /// The device to talk to: pci:DDDD:BB:DD.F (a card bound to vfio-pci) or vfio-user:PATH.
    #[arg(long, global = true, value_name = "SPEC")]
    device: Option<device_spec::DeviceSpec>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the reference model of the NIC over a generated workload (legit clients + a spoofed
    /// SYN flood) and print what it did.
    Demo(demo::DemoArgs),
    /// Open the device (--device) and print what it is: identity, register blocks, vectors.
    Info(info::InfoArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let result = match cli.command {
        Command::Demo(args) => demo::run(&args),
        Command::Info(args) => info::run(cli.device.as_ref(), &args),
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
            eprintln!("tcpoff: a subcommand is required: demo, info (see tcpoff --help)");
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
