//! `grade`: checks a student's implementation of one of the lab's
//! programs, in any language, given as the command that starts it, and
//! scores it; or every program in a class folder. GRADING.md has the
//! details; `cargo run -p tests --bin grade -- --help` the options.

use anyhow::{Context, bail};
use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;
use tests::grade::run::Launch;
use tests::grade::{Program, Report, Subject, class_folder, grade};

/// Grade an implementation of the socket lab: one program, or a class folder
#[derive(Parser)]
#[command(
    version,
    after_help = "Examples:\n  \
    grade tcp-server -- python3 student/tcp_server.py\n  \
    grade file-client --port 9996 -- python3 student/file_client.py\n  \
    grade udp-server -- ./my_server --port {port}\n  \
    grade all student/                    (tcp_server.py, udp_client.py, … in one folder)\n  \
    grade all --rust                      (the Rust port itself)\n\n\
    Programs: tcp-server tcp-client udp-server udp-client multithread-server\n  \
    multithread-client threadpool-server file-server file-client echo-server\n  \
    ctime-server udp-echo-server chat-server download-server"
)]
struct Cli {
    /// The program to grade, or `all` for a class folder
    what: String,
    /// After --: the command that starts it ({port} is replaced by a free port). For `all`: the folder
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    command: Vec<String>,
    /// Where it listens or connects when its command has no {port} [default: the original's port]
    #[arg(long)]
    port: Option<u16>,
    /// The Python originals, for the interop checks [default: the ones found when this was built]
    #[arg(long, value_name = "DIR")]
    originals: Option<PathBuf>,
    /// Grade the Rust port's own binaries (built beside this one) instead of a command
    #[arg(long)]
    rust: bool,
    /// Also write the results to FILE as JSON, for a gradebook
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("grade: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<bool> {
    let originals = cli
        .originals
        .clone()
        .or_else(|| tests::originals::folder().map(PathBuf::from));
    let scratch = tempfile::tempdir()?;
    let bin_dir = std::env::current_exe()?
        .parent()
        .context("no folder for the binaries")?
        .to_path_buf();
    let subjects: Vec<(Program, Launch)> = match (cli.what.as_str(), cli.rust) {
        ("all", true) => Program::ALL
            .into_iter()
            .map(|p| (p, rust_launch(p, &bin_dir, &scratch)))
            .collect(),
        ("all", false) => {
            let [dir] = cli.command.as_slice() else {
                bail!("grade all takes one folder: grade all DIR");
            };
            let found = class_folder(std::path::Path::new(dir), scratch.path());
            if found.is_empty() {
                bail!("{dir} has no file named like the lab's programs (tcp_server.py, …)");
            }
            found
        }
        (name, rust) => {
            let program = <Program as clap::ValueEnum>::from_str(name, true)
                .map_err(|_| anyhow::anyhow!("no program called {name:?} (see --help)"))?;
            if rust {
                vec![(program, rust_launch(program, &bin_dir, &scratch))]
            } else {
                if cli.command.is_empty() {
                    bail!(
                        "give the command that starts it after --, e.g. grade {name} -- python3 {}.py",
                        program.file_name()
                    );
                }
                vec![(
                    program,
                    Launch {
                        argv: cli.command.clone(),
                        cwd: scratch.path().to_path_buf(),
                    },
                )]
            }
        }
    };
    let mut reports: Vec<Report> = Vec::new();
    for (program, launch) in subjects {
        let subject = Subject {
            program,
            port: cli.port.unwrap_or(program.default_port()),
            launch,
            originals: originals.clone(),
        };
        let report = grade(&subject);
        println!("{}", report.table());
        reports.push(report);
    }
    if reports.len() > 1 {
        println!("| program | score | failed checks |");
        println!("|---|---|---|");
        for r in &reports {
            let failed: Vec<&str> = r
                .results
                .iter()
                .filter(|g| matches!(g.outcome, tests::grade::Outcome::Fail(_)))
                .map(|g| g.check)
                .collect();
            println!(
                "| {} | {}/{} | {} |",
                r.program.name(),
                r.scored(),
                r.possible(),
                if failed.is_empty() {
                    "-".into()
                } else {
                    failed.join("; ")
                }
            );
        }
        let (scored, possible): (u32, u32) = reports
            .iter()
            .fold((0, 0), |(s, p), r| (s + r.scored(), p + r.possible()));
        println!("\ntotal: {scored}/{possible}");
    }
    if let Some(path) = &cli.json {
        let json = serde_json::Value::Array(reports.iter().map(Report::json).collect());
        std::fs::write(path, serde_json::to_string_pretty(&json)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(reports.iter().all(Report::all_passed))
}

fn rust_launch(program: Program, bin_dir: &std::path::Path, scratch: &tempfile::TempDir) -> Launch {
    Launch {
        argv: program.rust_command(bin_dir),
        cwd: scratch.path().to_path_buf(),
    }
}
