//! `tcp-basic`: the TCP exercises of the lab, one subcommand per Python
//! program. `cargo run -p tcp-basic -- --help` lists them.

fn main() -> std::process::ExitCode {
    tcp_basic::cli::main(std::env::args_os())
}
