//! `udp-basic`: the UDP exercises of the lab, one subcommand per Python
//! program. `cargo run -p udp-basic -- --help` lists them.

fn main() -> std::process::ExitCode {
    common::cli::main(std::env::args_os(), udp_basic::cli::run)
}
