//! `file-transfer`: the file server and client of main lab 2.5, with the
//! download of seed 003. `cargo run -p file-transfer -- --help`.

fn main() -> std::process::ExitCode {
    common::cli::main(std::env::args_os(), file_transfer::cli::run)
}
