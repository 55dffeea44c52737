//! `grade`: checks a student's implementation of one of the lab's
//! programs, in any language, given as the command that starts it, and
//! scores it; or every program in a class folder. GRADING.md has the
//! details; `cargo run --release -p grader -- --help` the options.
//!
//! Everything about the machine is found when it runs, not when it is
//! built: Python on PATH (or `--python`), the originals in `--originals`
//! or beside the folder it runs in. `grade exercise CRATE ARGS…` (hidden)
//! runs one of the port's exercises, which is how `--rust` grades the port
//! with nothing but this binary built.

use anyhow::{Context, bail};
use clap::Parser;
use grader::run::Launch;
use grader::{Outcome, Program, Report, Subject, class_folder, grade};
use std::path::Path;
use std::path::PathBuf;
use std::process::ExitCode;

/// Grade an implementation of the socket lab: one program, or a class folder
#[derive(Parser)]
#[command(
    version,
    after_help = "Examples:\n  \
    grade tcp-server -- python3 student/tcp_server.py\n  \
    grade file-client --port 9996 -- python3 student/file_client.py\n  \
    grade udp-server -- ./my_server --port {port}\n  \
    grade all student/                    (tcp_server.py, udp_client.py, … in one folder)\n  \
    grade all --rust                      (the Rust port itself, run by this binary)\n\n\
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
    /// The Python originals, for the interop checks [default: ../shared/originals or shared/originals, from here or from the workspace]
    #[arg(long, value_name = "DIR")]
    originals: Option<PathBuf>,
    /// The Python 3 to run .py files and the originals with [default: python3, python or py -3 on PATH]
    #[arg(long, value_name = "PATH")]
    python: Option<PathBuf>,
    /// Grade the Rust port itself (its exercises run inside this binary) instead of a command
    #[arg(long)]
    rust: bool,
    /// Also write the results to FILE as JSON, for a gradebook
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
}

fn main() -> ExitCode {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "exercise") {
        return grader::run_exercise(args.split_off(2));
    }
    match run(Cli::parse_from(args)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("grade: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<bool> {
    let python = find_python(cli.python.as_deref())?;
    let originals = find_originals(cli.originals.as_deref())?;
    match (&python, &originals) {
        (Some(p), Some(o)) => eprintln!(
            "grade: Python checks use {} and the originals in {}",
            p.join(" "),
            o.display()
        ),
        (None, _) => eprintln!(
            "grade: no Python 3 found (python3, python or py -3 on PATH): the checks against the originals are skipped (give --python PATH)"
        ),
        (_, None) => eprintln!(
            "grade: no originals in ../shared/originals or shared/originals: the checks against them are skipped (give --originals DIR)"
        ),
    }
    let scratch = tempfile::tempdir()?;
    let grade_exe = std::env::current_exe().context("cannot find the grade binary itself")?;
    let subjects: Vec<(Program, Launch)> = match (cli.what.as_str(), cli.rust) {
        ("all", true) => Program::ALL
            .into_iter()
            .map(|p| (p, rust_launch(p, &grade_exe, &scratch)))
            .collect(),
        ("all", false) => {
            let [dir] = cli.command.as_slice() else {
                bail!("grade all takes one folder: grade all DIR");
            };
            let python = python.clone().unwrap_or_else(|| vec!["python3".into()]);
            let found = class_folder(Path::new(dir), scratch.path(), &python);
            if found.is_empty() {
                bail!("{dir} has no file named like the lab's programs (tcp_server.py, …)");
            }
            found
        }
        (name, rust) => {
            let program = <Program as clap::ValueEnum>::from_str(name, true)
                .map_err(|_| anyhow::anyhow!("no program called {name:?} (see --help)"))?;
            if rust {
                vec![(program, rust_launch(program, &grade_exe, &scratch))]
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
            python: python.clone(),
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
                .filter(|g| matches!(g.outcome, Outcome::Fail(_)))
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

fn rust_launch(program: Program, grade_exe: &Path, scratch: &tempfile::TempDir) -> Launch {
    Launch {
        argv: program.rust_command(grade_exe),
        cwd: scratch.path().to_path_buf(),
    }
}

/// `--python PATH` (which must run a Python 3), or the first Python 3 on
/// PATH, or none.
fn find_python(given: Option<&Path>) -> anyhow::Result<Option<Vec<String>>> {
    match given {
        Some(path) => {
            let words = vec![path.to_string_lossy().into_owned()];
            if !grader::python::runs_python3(&words) {
                bail!(
                    "--python {} does not run a Python 3.7 or later",
                    path.display()
                );
            }
            Ok(Some(words))
        }
        None => Ok(grader::python::find()),
    }
}

/// `--originals DIR` (which must hold the lab's scripts), or the first of
/// `../shared/originals` and `shared/originals` that does, looked for from
/// the current folder and then from the workspace (under `cargo run`).
fn find_originals(given: Option<&Path>) -> anyhow::Result<Option<PathBuf>> {
    let has_scripts = |dir: &Path| dir.join("tcp_server.py").is_file();
    if let Some(dir) = given {
        if !has_scripts(dir) {
            bail!("--originals {}: no tcp_server.py there", dir.display());
        }
        return Ok(Some(dir.to_path_buf()));
    }
    let mut roots = vec![std::env::current_dir()?];
    // Set by cargo for `cargo run`: the grader package, in the workspace.
    if let Some(package) = std::env::var_os("CARGO_MANIFEST_DIR") {
        roots.extend(Path::new(&package).parent().map(Path::to_path_buf));
    }
    Ok(roots
        .iter()
        .flat_map(|root| {
            [
                root.join("../shared/originals"),
                root.join("shared/originals"),
            ]
        })
        .find(|dir| has_scripts(dir))
        .map(|dir| dir.canonicalize().unwrap_or(dir)))
}
