//! `threadpool-server`: the sign-in server on a thread pool, and the same
//! sign-in client as `multithread`, on port 9997 (main lab 2.4 (2)).
//! `cargo run -p threadpool-server -- --help`.

fn main() -> std::process::ExitCode {
    common::cli::main(std::env::args_os(), threadpool_server::cli::run)
}
