//! The `turfmap` binary: the window when no verb (or `open`) is given, the
//! CLI otherwise. The choice is made here so that the CLI never starts the
//! window.

use std::process::ExitCode;

use clap::Parser;
use turfmap::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None => turfmap::app::run(cli.plan),
        Some(Command::Open(a)) => turfmap::app::run(Some(a.plan)),
        #[cfg(feature = "bench")]
        Some(Command::BenchFrame) => turfmap::app::frame_bench::run(&mut std::io::stdout()),
        #[cfg(feature = "bench")]
        Some(Command::BenchGesture(a)) => {
            turfmap::app::gesture_bench::run(a.accounts, &mut std::io::stdout())
        }
        Some(cmd) => turfmap::cli::run(cmd).map_err(anyhow::Error::from),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("turfmap: error: {}", turfmap::cli::error_line(&e));
            ExitCode::FAILURE
        }
    }
}
