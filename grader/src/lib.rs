//! The grader: checks any implementation of the lab's programs, in any
//! language, given as the command that starts it, and scores it. The same
//! checks run in `cargo test` against the Rust port (full marks), the
//! Python originals (the honest table in README.md) and deliberately
//! broken programs (each fails the check that names its defect).
//!
//! A check starts the program afresh, so that one crash fails one check:
//! a server is started, waited for until its port is bound (a bind probe;
//! nothing connects to it before the check does), talked to as one or more
//! clients, and stopped with everything it started; a client is started
//! against a reference server (the Rust port, in this process) with stdin
//! of the check's choosing. Every wait is bounded; all traffic stays on
//! loopback. GRADING.md says what each check means and how to add one.

pub mod checks;
pub mod python;
pub mod run;

use run::Launch;
use serde_json::json;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// What a check is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Category {
    /// The exact bytes the lab specifies, and the printed lines in order.
    Correct,
    /// Against the Python original and against the Rust port.
    Interop,
    /// Invalid UTF-8, empty and reset connections, EOF on stdin, a long
    /// datagram, no server.
    Robust,
    /// For the 2.4 servers: idle clients, many at once, the pool's size.
    Concurrent,
    /// For the file server: traversal, partial files, spins, overwrites.
    Safe,
}

impl Category {
    pub fn name(self) -> &'static str {
        match self {
            Category::Correct => "correct",
            Category::Interop => "interop",
            Category::Robust => "robust",
            Category::Concurrent => "concurrent",
            Category::Safe => "safe",
        }
    }
}

/// How one check went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    /// What happened, on one line.
    Fail(String),
    /// The check could not be made here (why); it scores nothing either way.
    Skip(String),
}

/// One check: its name, what it is about, its points, and how to run it.
pub struct Check {
    pub name: &'static str,
    pub category: Category,
    pub points: u32,
    pub run: fn(&Subject) -> Outcome,
}

/// The program under test, as a check sees it.
pub struct Subject {
    pub program: Program,
    pub launch: Launch,
    /// Where it listens or connects, when its command does not take `{port}`.
    pub port: u16,
    /// The Python originals, for the interop checks (`None`: those skip).
    pub originals: Option<PathBuf>,
    /// The Python to run them with, as a command's words (`None`: the
    /// interop checks skip).
    pub python: Option<Vec<String>>,
}

impl Subject {
    /// The port for a socket the grader binds itself (a reference server,
    /// a UDP sink, a squatter): any free one (0) when the command takes
    /// `{port}`, so the grader reads the real port from the bound socket
    /// and no other program can take it first; else the program's port.
    pub fn grader_port(&self) -> u16 {
        if self.launch.takes_port() {
            0
        } else {
            self.port
        }
    }

    /// The port for a server under test, which binds it itself: one that
    /// was free a moment ago when the command takes `{port}` (another
    /// program may take it first: the caller then tries another), else the
    /// program's own port.
    pub fn program_port(&self) -> u16 {
        if self.launch.takes_port() {
            crate::python::free_port()
        } else {
            self.port
        }
    }
}

/// The programs the grader knows: the main lab's nine, and the servers of
/// seeds 001–004.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Program {
    TcpServer,
    TcpClient,
    UdpServer,
    UdpClient,
    MultithreadServer,
    MultithreadClient,
    ThreadpoolServer,
    FileServer,
    FileClient,
    /// Seed 002 §一's TCP echo server (upper case)
    EchoServer,
    /// Seed 004's tcpSerSock.py (`[ctime] data`)
    CtimeServer,
    /// Seed 002 §二's UDP echo server (upper case)
    UdpEchoServer,
    /// Seed 001's serverTCP (ACKs)
    ChatServer,
    /// Seed 003 五's download server.py
    DownloadServer,
}

impl Program {
    pub const ALL: [Program; 14] = [
        Program::TcpServer,
        Program::TcpClient,
        Program::UdpServer,
        Program::UdpClient,
        Program::MultithreadServer,
        Program::MultithreadClient,
        Program::ThreadpoolServer,
        Program::FileServer,
        Program::FileClient,
        Program::EchoServer,
        Program::CtimeServer,
        Program::UdpEchoServer,
        Program::ChatServer,
        Program::DownloadServer,
    ];

    /// The name on the command line (`tcp-server`).
    pub fn name(self) -> String {
        clap::ValueEnum::to_possible_value(&self)
            .map(|v| v.get_name().to_string())
            .unwrap_or_default()
    }

    /// The original's port.
    pub fn default_port(self) -> u16 {
        match self {
            Program::TcpServer | Program::TcpClient | Program::UdpServer | Program::UdpClient => {
                9999
            }
            Program::MultithreadServer | Program::MultithreadClient => 9998,
            Program::ThreadpoolServer => 9997,
            Program::FileServer | Program::FileClient => 9996,
            Program::EchoServer | Program::UdpEchoServer => 5002,
            Program::CtimeServer => 21567,
            Program::ChatServer => 6666,
            Program::DownloadServer => 8081,
        }
    }

    /// The file name an implementation of it has in a class folder
    /// (`grade all DIR`), as the originals and the seeds name them.
    pub fn file_name(self) -> &'static str {
        match self {
            Program::TcpServer => "tcp_server",
            Program::TcpClient => "tcp_client",
            Program::UdpServer => "udp_server",
            Program::UdpClient => "udp_client",
            Program::MultithreadServer => "multithread_server",
            Program::MultithreadClient => "multithread_client",
            Program::ThreadpoolServer => "threadpool_server",
            Program::FileServer => "file_server",
            Program::FileClient => "file_client",
            Program::EchoServer => "echo_server",
            Program::CtimeServer => "tcpSerSock",
            Program::UdpEchoServer => "udp_echo_server",
            Program::ChatServer => "serverTCP",
            Program::DownloadServer => "download_server",
        }
    }

    /// The Rust port's command for it, `{port}` standing for the port:
    /// `grade exercise CRATE ARGS…`, which runs the exercise's own `main`
    /// inside the `grade` binary at `grade` (so that grading the port needs
    /// nothing but the grader built).
    pub fn rust_command(self, grade: &Path) -> Vec<String> {
        let (bin, args): (&str, &[&str]) = match self {
            Program::TcpServer => ("tcp-basic", &["server"]),
            Program::TcpClient => ("tcp-basic", &["client"]),
            Program::UdpServer => ("udp-basic", &["server"]),
            Program::UdpClient => ("udp-basic", &["client"]),
            Program::MultithreadServer => ("multithread", &["server"]),
            Program::MultithreadClient => ("multithread", &["client"]),
            Program::ThreadpoolServer => ("threadpool-server", &["server"]),
            Program::FileServer => ("file-transfer", &["server"]),
            Program::FileClient => ("file-transfer", &["client"]),
            Program::EchoServer => ("tcp-basic", &["echo-server", "--seed", "002"]),
            Program::CtimeServer => ("tcp-basic", &["echo-server", "--seed", "004"]),
            Program::UdpEchoServer => ("udp-basic", &["echo-server", "--seed", "002"]),
            Program::ChatServer => ("tcp-basic", &["chat-server"]),
            Program::DownloadServer => ("file-transfer", &["download-server"]),
        };
        let mut argv = vec![
            grade.to_string_lossy().into_owned(),
            "exercise".to_string(),
            bin.to_string(),
        ];
        argv.extend(args.iter().map(|a| a.to_string()));
        argv.extend(["--port".to_string(), "{port}".to_string()]);
        argv
    }

    pub fn checks(self) -> Vec<Check> {
        checks::for_program(self)
    }
}

/// One check's result.
#[derive(Clone, Debug)]
pub struct Graded {
    pub check: &'static str,
    pub category: Category,
    pub points: u32,
    pub outcome: Outcome,
}

/// Everything one program scored.
#[derive(Clone, Debug)]
pub struct Report {
    pub program: Program,
    pub command: Vec<String>,
    pub results: Vec<Graded>,
}

impl Report {
    pub fn scored(&self) -> u32 {
        self.results
            .iter()
            .filter(|r| r.outcome == Outcome::Pass)
            .map(|r| r.points)
            .sum()
    }

    /// The points of every check that was made (skips count for nothing).
    pub fn possible(&self) -> u32 {
        self.results
            .iter()
            .filter(|r| !matches!(r.outcome, Outcome::Skip(_)))
            .map(|r| r.points)
            .sum()
    }

    pub fn all_passed(&self) -> bool {
        self.results
            .iter()
            .all(|r| !matches!(r.outcome, Outcome::Fail(_)))
    }

    /// The outcome of the check called `name`.
    pub fn outcome(&self, name: &str) -> Option<&Outcome> {
        self.results
            .iter()
            .find(|r| r.check == name)
            .map(|r| &r.outcome)
    }

    /// The report's table, as text.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{}: {}", self.program.name(), self.command.join(" "));
        let _ = writeln!(out, "| check | category | result | points |");
        let _ = writeln!(out, "|---|---|---|---|");
        for r in &self.results {
            let (result, scored) = match &r.outcome {
                Outcome::Pass => ("pass".to_string(), r.points.to_string()),
                Outcome::Fail(_) => ("FAIL".to_string(), "0".to_string()),
                Outcome::Skip(_) => ("skip".to_string(), "-".to_string()),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {result} | {scored}/{} |",
                r.check,
                r.category.name(),
                r.points
            );
        }
        for r in &self.results {
            match &r.outcome {
                Outcome::Fail(why) => {
                    let _ = writeln!(out, "- {}: {why}", r.check);
                }
                Outcome::Skip(why) => {
                    let _ = writeln!(out, "- {} (skipped): {why}", r.check);
                }
                Outcome::Pass => {}
            }
        }
        let _ = writeln!(out, "total: {}/{}", self.scored(), self.possible());
        out
    }

    /// The same results, for a gradebook.
    pub fn json(&self) -> serde_json::Value {
        json!({
            "program": self.program.name(),
            "command": self.command,
            "scored": self.scored(),
            "possible": self.possible(),
            "passed": self.all_passed(),
            "checks": self.results.iter().map(|r| {
                let (result, detail) = match &r.outcome {
                    Outcome::Pass => ("pass", None),
                    Outcome::Fail(why) => ("fail", Some(why.clone())),
                    Outcome::Skip(why) => ("skip", Some(why.clone())),
                };
                json!({
                    "check": r.check,
                    "category": r.category.name(),
                    "points": r.points,
                    "result": result,
                    "detail": detail,
                })
            }).collect::<Vec<_>>(),
        })
    }
}

/// Runs one exercise's command line, as its own binary would (`args`
/// starting with the crate's name: `["tcp-basic", "server", "--port",
/// "9999"]`). `grade exercise …` calls it, so that `--rust` grades the
/// port's own code with nothing else built.
pub fn run_exercise(args: Vec<std::ffi::OsString>) -> std::process::ExitCode {
    let name = args.first().and_then(|a| a.to_str()).unwrap_or_default();
    match name {
        "tcp-basic" => tcp_basic::cli::main(args),
        "udp-basic" => udp_basic::cli::main(args),
        "multithread" => multithread::cli::main(args),
        "threadpool-server" => threadpool_server::cli::main(args),
        "file-transfer" => file_transfer::cli::main(args),
        _ => {
            eprintln!(
                "grade exercise: no exercise called {name:?} (tcp-basic, udp-basic, multithread, threadpool-server, file-transfer)"
            );
            std::process::ExitCode::from(2)
        }
    }
}

/// Runs every check of `subject.program` against it.
pub fn grade(subject: &Subject) -> Report {
    let results = subject
        .program
        .checks()
        .into_iter()
        .map(|check| Graded {
            check: check.name,
            category: check.category,
            points: check.points,
            outcome: (check.run)(subject),
        })
        .collect();
    Report {
        program: subject.program,
        command: subject.launch.argv.clone(),
        results,
    }
}

/// The programs in a class folder: every file named like one of them
/// (`tcp_server.py`, `tcp_server`, `tcp_server.exe`, …), with the command
/// that runs it: Python for `.py`, the file itself otherwise. A Python
/// file's `ip_port = (...)` line, if it has one, is pointed at `{port}` in
/// a copy, so that each check can use a free port (as the tests do with
/// the originals); a file without one is run on its original's port.
pub fn class_folder(dir: &Path, scratch: &Path, python: &[String]) -> Vec<(Program, Launch)> {
    let mut found = Vec::new();
    for program in Program::ALL {
        let Some(file) = run::files_in(dir).into_iter().find(|f| {
            let stem = f.split('.').next().unwrap_or(f);
            stem == program.file_name()
        }) else {
            continue;
        };
        let path = dir.join(&file);
        let launch = if file.ends_with(".py") {
            python_launch(python, &path, &scratch.join(&file), scratch)
        } else {
            Launch {
                argv: vec![path.to_string_lossy().into_owned()],
                cwd: scratch.to_path_buf(),
            }
        };
        found.push((program, launch));
    }
    found
}

/// A Python script as a program under test. Its `ip_port = (...)` line (or
/// socketserver's inline address), if it has one, is pointed at the port
/// the check chooses, in a copy at `copy`; a script without one runs as it
/// is, on its own port.
pub fn python_launch(python: &[String], script: &Path, copy: &Path, cwd: &Path) -> Launch {
    let text = std::fs::read_to_string(script).unwrap_or_default();
    let takes = text.lines().any(|l| l.trim_start().starts_with("ip_port"))
        || text.contains("socketserver.ThreadingTCPServer((");
    let mut argv = python.to_vec();
    argv.push("-u".into());
    if takes {
        let rewritten = crate::python::rewrite(
            &text,
            &crate::python::Rewrite {
                port: 0,
                base_path: None,
                backlog: None,
            },
        )
        .replace(
            "('127.0.0.1', 0)",
            "('127.0.0.1', int(__import__('sys').argv[1]))",
        );
        let _ = std::fs::write(copy, rewritten);
        argv.push(copy.to_string_lossy().into_owned());
        argv.push("{port}".into());
    } else {
        argv.push(script.to_string_lossy().into_owned());
    }
    Launch {
        argv,
        cwd: cwd.to_path_buf(),
    }
}
