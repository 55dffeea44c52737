//! `multithread`: the thread-per-connection sign-in server and the sign-in
//! client of main lab 2.4 (1). `cargo run -p multithread -- --help`.

fn main() -> std::process::ExitCode {
    common::cli::main(std::env::args_os(), multithread::cli::run)
}
