//! The `turfmap` binary: the CLI when a verb is given, the window otherwise.

fn main() -> std::process::ExitCode {
    turfmap::cli::main()
}
