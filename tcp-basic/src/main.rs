//! `tcp-basic`: the TCP exercises of the lab, one subcommand per Python
//! program. `cargo run -p tcp-basic -- --help` lists them.

fn main() -> std::process::ExitCode {
    common::cli::main(std::env::args_os(), tcp_basic::cli::run)
}
