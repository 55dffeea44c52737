//! `progress`: the handout's board, rustlings-style. `cargo run` in the
//! handout shows which of the lab's nine programs are done; `cargo run --
//! watch` shows it again each time a file changes.

fn main() -> std::process::ExitCode {
    let out = common::log::Output::stdout();
    match std::env::args().nth(1).as_deref() {
        None => match progress::board(&out) {
            done if done == progress::EXERCISES.len() => std::process::ExitCode::SUCCESS,
            _ => std::process::ExitCode::FAILURE,
        },
        Some("watch") => {
            progress::watch(&out);
            std::process::ExitCode::SUCCESS
        }
        Some(_) => {
            eprintln!(
                "usage: cargo run [-- watch]\n\nShows which of the lab's nine programs work; with watch, again after each change to a file (Ctrl-C ends it)."
            );
            std::process::ExitCode::from(2)
        }
    }
}
