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
        Some(cmd) => {
            if !measures_the_window(&cmd) {
                fixed_malloc_thresholds();
            }
            turfmap::cli::run(cmd).map_err(anyhow::Error::from)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("turfmap: error: {}", turfmap::cli::error_line(&e));
            ExitCode::FAILURE
        }
    }
}

/// The benchmark verbs time what the window does (edits, metrics,
/// balancing): they keep its allocator settings.
fn measures_the_window(cmd: &Command) -> bool {
    #[cfg(feature = "bench")]
    if matches!(
        cmd,
        Command::Bench(_) | Command::BenchEdit(_) | Command::BenchBalance | Command::BenchPostal(_)
    ) {
        return true;
    }
    let _ = cmd;
    false
}

/// Fixes glibc's malloc thresholds for a command-line verb at their
/// defaults (128 KiB). Left alone, freeing a large block (a verb's input
/// read whole, a list grown past its start) raises the mmap threshold to
/// its size and the trim threshold to twice that, so every later block up
/// to that size comes from the heap and freed memory stays with the
/// process: importing 100,000 territories peaked 8 MiB higher. Not for
/// the window, whose frames want the high thresholds (tessellation
/// allocates and frees large buffers every frame).
fn fixed_malloc_thresholds() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const THRESHOLD: libc::c_int = 128 * 1024;
        // SAFETY: mallopt only sets allocator parameters; it is called
        // before the verb starts any thread or allocates much, and a
        // refused setting (return value 0) leaves glibc's default.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, THRESHOLD);
            libc::mallopt(libc::M_TRIM_THRESHOLD, THRESHOLD);
        }
    }
}
