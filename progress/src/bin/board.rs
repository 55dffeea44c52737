//! The board once, as `cargo run -- watch` runs it after each change (a
//! binary of its own, so that cargo rebuilds it while the watcher runs).

fn main() -> std::process::ExitCode {
    progress::board(&common::log::Output::stdout());
    std::process::ExitCode::SUCCESS
}
