//! The grader: checks any implementation of the lab's programs, in any
//! language, given as the command that starts it, and scores it. The same
//! checks run in `cargo test` against the Rust port (full marks), the
//! Python originals (the honest table in README.md) and deliberately
//! broken programs (each gets the verdict and the reason its defect
//! deserves).
//!
//! Grading a program goes in three steps ([`grade`]):
//! 1. A server is started once: one that does not start scores 0, with the
//!    last line of its stderr as the reason.
//! 2. It is sent the lab's first request, and what comes back is
//!    classified ([`checks::recognise`]): a program that speaks another
//!    protocol (an echo where sign-in is expected, another header) is told
//!    so at the top of its report, and the checks that depend on the
//!    protocol are *not graded*, with that reason, instead of failing for
//!    false reasons.
//! 3. Every check starts the program afresh, so that one crash fails one
//!    check: a server is started, waited for until its port is bound (a
//!    bind probe; nothing connects to it before the check does), talked to
//!    as one or more clients, and stopped with everything it started; a
//!    client is started against a reference server (the Rust port, in this
//!    process) with stdin of the check's choosing.
//!
//! Every wait is bounded, all traffic stays on loopback, and what a program
//! may print and use is bounded ([`run`]). GRADING.md says what each check
//! means and how to add one.

pub mod book;
pub mod checks;
pub mod class;
pub mod handout;
pub mod machine;
pub mod ports;
pub mod python;
pub mod run;
pub mod sandbox;
pub mod workspace;

pub use class::{Class, Names, Student, class_folder, python_launch};
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

/// Why a check ended as it did, in the course's two languages: Chinese
/// for the student, first, and English beside it. Each is written where
/// the reason is made ([`why!`]), never translated from the other's
/// finished text; what a program printed, or an error said, is quoted as
/// it is in both.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Why {
    pub zh: String,
    pub en: String,
}

impl Why {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Why {
        Why {
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// Text that reads the same in both: a program's last line, an
    /// error the system gave.
    pub fn quoted(text: impl Into<String>) -> Why {
        let text = text.into();
        Why::new(text.clone(), text)
    }

    /// This reason, then what else the program did that fails the check:
    /// "…；而且它… / …; and it …".
    pub fn and_it(self, more: &Why) -> Why {
        Why::new(
            format!("{}；而且它{}", self.zh, more.zh),
            format!("{}; and it {}", self.en, more.en),
        )
    }

    /// Does either language say `text`?
    pub fn contains(&self, text: &str) -> bool {
        self.zh.contains(text) || self.en.contains(text)
    }
}

/// `中文 / English`, or the one text where both are the same.
impl std::fmt::Display for Why {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.zh == self.en {
            true => f.write_str(&self.en),
            false => write!(f, "{} / {}", self.zh, self.en),
        }
    }
}

/// A [`Why`] from a Chinese and an English format string, each with its
/// own words and the same named values: `why!("回复了 {got}", "replied
/// {got}")`.
#[macro_export]
macro_rules! why {
    ($zh:literal, $en:literal $(,)?) => {
        $crate::Why::new(format!($zh), format!($en))
    };
}

/// How one check went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    /// What was sent, what came back and what was expected, on one line.
    Fail(Why),
    /// The check could not be made on this machine (why); it scores
    /// nothing either way.
    Skip(Why),
    /// The program does not do what the check is about (it speaks another
    /// protocol, or serves one client by design): why; it scores nothing
    /// either way.
    NotGraded(Why),
}

impl Outcome {
    /// The name JSON and CSV give it.
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail(_) => "fail",
            Outcome::Skip(_) => "skip",
            Outcome::NotGraded(_) => "not-graded",
        }
    }

    /// Its reason, where it has one.
    pub fn why(&self) -> Option<&Why> {
        match self {
            Outcome::Pass => None,
            Outcome::Fail(why) | Outcome::Skip(why) | Outcome::NotGraded(why) => Some(why),
        }
    }

    /// Its reason in English, where it has one.
    pub fn reason(&self) -> Option<&str> {
        self.why().map(|why| why.en.as_str())
    }
}

/// What a check returns: `Ok(())` when it passes, else the outcome that
/// ended it, so that `?` passes a failure to start on (`let server =
/// start_server(s, false)?;`).
pub type Verdict = Result<(), Outcome>;

/// Whether the program speaks the lab's protocol, as the first request
/// showed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Protocol {
    Lab,
    /// What it seems to be instead, with the exchange that shows it:
    /// "this looks like an upper-case echo server, not the lab's sign-in
    /// server: 'hello' → 'HELLO'".
    Differs(Why),
}

/// One check: its name, what it is about, its points, and how to run it.
pub struct Check {
    pub name: &'static str,
    /// Its name in the lab's language, for a student's feedback.
    pub zh: &'static str,
    pub category: Category,
    pub points: u32,
    pub run: fn(&Subject) -> Verdict,
    /// True when it needs the lab's protocol: where the program speaks
    /// another, it is not graded.
    pub protocol: bool,
    /// What it does, for GRADING.md's table ([`checks::table`]) and a
    /// student's feedback.
    pub does: &'static str,
    /// The same, in the lab's language.
    pub does_zh: &'static str,
}

impl Check {
    /// This check holds whatever the program speaks (starting, surviving
    /// hostile clients, not spinning); others need the lab's protocol.
    pub fn whatever_it_speaks(self) -> Check {
        Check {
            protocol: false,
            ..self
        }
    }

    /// The check, saying what it does, in English and in the lab's language.
    pub fn does(self, does: &'static str, does_zh: &'static str) -> Check {
        Check {
            does,
            does_zh,
            ..self
        }
    }
}

/// The program under test, as a check sees it.
#[derive(Clone, Debug)]
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
    /// Where each check runs: in a sandbox of its own (Linux namespaces),
    /// or in this process (`None`).
    pub sandbox: Option<sandbox::Sandbox>,
    /// What the current check sent and got: each check runs with a fresh
    /// one ([`run_check`]).
    pub transcript: run::Transcript,
}

impl Subject {
    /// The program run as a command (`{port}` replaced by a port).
    pub fn new(program: Program, launch: Launch) -> Subject {
        Subject {
            program,
            port: program.default_port(),
            launch,
            originals: None,
            python: None,
            sandbox: None,
            transcript: run::Transcript::default(),
        }
    }
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
            crate::ports::free_port()
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

    /// True for the servers (the grader connects to them).
    pub fn is_server(self) -> bool {
        !matches!(
            self,
            Program::TcpClient
                | Program::UdpClient
                | Program::MultithreadClient
                | Program::FileClient
        )
    }

    /// True for the main lab's nine programs (not the seeds').
    pub fn is_main_lab(self) -> bool {
        Program::ALL[..9].contains(&self)
    }

    /// True for the UDP programs.
    pub fn is_udp(self) -> bool {
        matches!(
            self,
            Program::UdpServer | Program::UdpClient | Program::UdpEchoServer
        )
    }

    /// What the lab calls it, for a report ("the lab's sign-in server").
    pub fn lab_name(self) -> &'static str {
        match self {
            Program::TcpServer => "the lab's 2.1 server (不要回答)",
            Program::MultithreadServer => "the lab's sign-in server (2.4)",
            Program::ThreadpoolServer => "the lab's sign-in pool server (2.4)",
            Program::FileServer => "the lab's file server (2.5)",
            Program::EchoServer => "seed 002's upper-case echo server",
            Program::CtimeServer => "seed 004's ctime server",
            Program::ChatServer => "seed 001's chat server (ACK)",
            Program::UdpServer => "the lab's UDP server (2.2)",
            Program::UdpEchoServer => "seed 002's UDP upper-case echo server",
            Program::DownloadServer => "seed 003's download server",
            Program::TcpClient => "the lab's 2.1 client",
            Program::UdpClient => "the lab's UDP client",
            Program::MultithreadClient => "the lab's sign-in client",
            Program::FileClient => "the lab's file client",
        }
    }

    /// What the lab calls it, in the lab's language, for a student's
    /// feedback.
    pub fn zh_name(self) -> &'static str {
        match self {
            Program::TcpServer => "2.1 TCP 服务器",
            Program::TcpClient => "2.1 TCP 客户端",
            Program::UdpServer => "2.2 UDP 服务器",
            Program::UdpClient => "2.2 UDP 客户端",
            Program::MultithreadServer => "2.4 多线程签到服务器",
            Program::MultithreadClient => "2.4 签到客户端",
            Program::ThreadpoolServer => "2.4 线程池签到服务器",
            Program::FileServer => "2.5 文件传输服务器",
            Program::FileClient => "2.5 文件传输客户端",
            Program::EchoServer => "种子 002 大写回显服务器",
            Program::CtimeServer => "种子 004 时间戳服务器",
            Program::UdpEchoServer => "种子 002 UDP 大写回显服务器",
            Program::ChatServer => "种子 001 聊天服务器（ACK）",
            Program::DownloadServer => "种子 003 文件下载服务器",
        }
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
        let (bin, args) = self.rust_binary();
        let mut argv = vec![
            grade.to_string_lossy().into_owned(),
            "exercise".to_string(),
            bin.to_string(),
        ];
        argv.extend(args.iter().map(|a| a.to_string()));
        argv.extend(["--port".to_string(), "{port}".to_string()]);
        argv
    }

    /// The port's binary (its package's name) and subcommand that is this
    /// program.
    pub fn rust_binary(self) -> (&'static str, &'static [&'static str]) {
        match self {
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
        }
    }

    pub fn checks(self) -> Vec<Check> {
        checks::for_program(self)
    }
}

/// One check's result.
#[derive(Clone, Debug)]
pub struct Graded {
    pub check: &'static str,
    /// Its name in the lab's language.
    pub zh: &'static str,
    pub category: Category,
    pub points: u32,
    pub outcome: Outcome,
    /// What was sent and what came back, for the student.
    pub transcript: Vec<String>,
}

impl Graded {
    /// `check`'s result: its names and points, with what it came to.
    pub fn of(check: &Check, outcome: Outcome, transcript: Vec<String>) -> Graded {
        Graded {
            check: check.name,
            zh: check.zh,
            category: check.category,
            points: check.points,
            outcome,
            transcript,
        }
    }
}

/// Everything one program scored.
#[derive(Clone, Debug)]
pub struct Report {
    pub program: Program,
    pub command: Vec<String>,
    pub protocol: Protocol,
    pub results: Vec<Graded>,
}

impl Report {
    /// The row of a program the student did not hand in: every check
    /// failed, "not submitted".
    pub fn not_submitted(program: Program) -> Report {
        Report::all_failed(program, Vec::new(), &not_submitted())
    }

    /// A program every check of which failed for one reason (it did not
    /// start, it never did its job, it was not handed in).
    pub fn all_failed(program: Program, command: Vec<String>, why: &Why) -> Report {
        Report {
            program,
            command,
            protocol: Protocol::Lab,
            results: program
                .checks()
                .into_iter()
                .map(|check| Graded::of(&check, Outcome::Fail(why.clone()), Vec::new()))
                .collect(),
        }
    }

    /// False for a program the student did not hand in.
    pub fn submitted(&self) -> bool {
        !self.command.is_empty()
    }

    pub fn scored(&self) -> u32 {
        self.results
            .iter()
            .filter(|r| r.outcome == Outcome::Pass)
            .map(|r| r.points)
            .sum()
    }

    /// The points of every check of the program, whatever their outcome:
    /// the lab fixes them, so every student's total is out of the same
    /// number (a skip or a check not graded scores nothing of its points).
    pub fn possible(&self) -> u32 {
        self.results.iter().map(|r| r.points).sum()
    }

    pub fn all_passed(&self) -> bool {
        self.protocol == Protocol::Lab
            && self
                .results
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

    /// The first failing check's reason, after its name (or, for another
    /// protocol, that).
    pub fn first_failure(&self) -> Option<Why> {
        if !self.submitted() {
            return Some(not_submitted());
        }
        if let Protocol::Differs(why) = &self.protocol {
            return Some(why.clone());
        }
        self.results.iter().find_map(|r| match &r.outcome {
            Outcome::Fail(why) => Some(Why::new(
                format!("{}：{}", r.zh, why.zh),
                format!("{}: {}", r.check, why.en),
            )),
            _ => None,
        })
    }

    /// The points scored in `category`, and the points possible there.
    pub fn in_category(&self, category: Category) -> (u32, u32) {
        self.results
            .iter()
            .filter(|r| r.category == category)
            .fold((0, 0), |(s, p), r| {
                let got = if r.outcome == Outcome::Pass {
                    r.points
                } else {
                    0
                };
                (s + got, p + r.points)
            })
    }

    /// The report's table, as text.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{}: {}", self.program.name(), self.command.join(" "));
        if let Protocol::Differs(why) = &self.protocol {
            let _ = writeln!(out, "NOTE: {why}");
        }
        let _ = writeln!(out, "| check | category | result | points |");
        let _ = writeln!(out, "|---|---|---|---|");
        for r in &self.results {
            let (result, scored) = match &r.outcome {
                Outcome::Pass => ("pass", r.points.to_string()),
                Outcome::Fail(_) => ("FAIL", "0".to_string()),
                Outcome::Skip(_) => ("skip", "-".to_string()),
                Outcome::NotGraded(_) => ("not graded", "-".to_string()),
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
                Outcome::NotGraded(why) => {
                    let _ = writeln!(out, "- {} (not graded): {why}", r.check);
                }
                Outcome::Pass => {}
            }
        }
        let _ = writeln!(out, "total: {}/{}", self.scored(), self.possible());
        out
    }

    /// The report, then each check's transcript: what a student reads to
    /// see what failed.
    pub fn transcript(&self) -> String {
        let mut out = self.table();
        for r in &self.results {
            let _ = writeln!(out, "\n## {} ({})", r.check, r.outcome.name());
            for line in &r.transcript {
                let _ = writeln!(out, "  {line}");
            }
        }
        out
    }

    /// The same results, for a gradebook.
    pub fn json(&self) -> serde_json::Value {
        let (protocol, detail) = match &self.protocol {
            _ if !self.submitted() => ("not-submitted", None),
            Protocol::Lab => ("lab", None),
            Protocol::Differs(why) => ("differs", Some(why)),
        };
        json!({
            "program": self.program.name(),
            "command": self.command,
            "protocol": protocol,
            "protocol_detail": detail.map(|why| &why.en),
            "protocol_detail_zh": detail.map(|why| &why.zh),
            "scored": self.scored(),
            "possible": self.possible(),
            "passed": self.all_passed(),
            "checks": self.results.iter().map(|r| {
                json!({
                    "check": r.check,
                    "category": r.category.name(),
                    "points": r.points,
                    "result": r.outcome.name(),
                    "detail": r.outcome.reason(),
                    "detail_zh": r.outcome.why().map(|why| &why.zh),
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
        "tcp-basic" => common::cli::main(args, tcp_basic::cli::run),
        "udp-basic" => common::cli::main(args, udp_basic::cli::run),
        "multithread" => common::cli::main(args, multithread::cli::run),
        "threadpool-server" => common::cli::main(args, threadpool_server::cli::run),
        "file-transfer" => common::cli::main(args, file_transfer::cli::run),
        _ => {
            eprintln!(
                "grade exercise: no exercise called {name:?} (tcp-basic, udp-basic, multithread, threadpool-server, file-transfer)"
            );
            std::process::ExitCode::from(2)
        }
    }
}

/// What a program the student did not hand in says for every check.
pub fn not_submitted() -> Why {
    why!("未提交", "not submitted")
}

/// How a step of the Rust handout that is not written yet starts its
/// message (common::todo::step).
pub use common::todo::NOT_WRITTEN;

/// A reason as the student reads it: where a step of the handout was not
/// written yet, that step alone ("还没写 / not written yet: 2.1 第 1 步 …"), not
/// what the grader saw of the crash it caused.
fn plain(why: Why) -> Why {
    match why.en.find(NOT_WRITTEN) {
        Some(at) => Why::quoted(why.en[at..].split(['\n', '"']).next().unwrap_or_default()),
        None => why,
    }
}

/// Runs one check in this process: its outcome (a flood of output fails
/// it, beside whatever else it found) and its transcript.
pub fn run_check(subject: &Subject, check: &Check) -> (Outcome, Vec<String>) {
    let subject = Subject {
        transcript: run::Transcript::default(),
        ..subject.clone()
    };
    let outcome = match (check.run)(&subject) {
        Ok(()) => Outcome::Pass,
        Err(outcome) => outcome,
    };
    let outcome = match (subject.transcript.flood(), outcome) {
        (None, outcome) => outcome,
        (Some(flood), Outcome::Fail(why)) => Outcome::Fail(why.and_it(&flood)),
        (Some(flood), _) => Outcome::Fail(Why::new(
            format!("它{}", flood.zh),
            format!("it {}", flood.en),
        )),
    };
    (outcome, subject.transcript.lines())
}

/// Recognises the program's protocol in this process
/// ([`checks::recognise`]), with its transcript.
pub fn run_recognise(subject: &Subject) -> (Result<Protocol, Outcome>, Vec<String>) {
    let subject = Subject {
        transcript: run::Transcript::default(),
        ..subject.clone()
    };
    let recognised = checks::recognise(&subject);
    (recognised, subject.transcript.lines())
}

/// Grades one program: a server that does not start scores 0 with its
/// reason; one that speaks another protocol has its protocol's checks not
/// graded; every other check runs on a fresh process, in a sandbox of its
/// own where [`Subject::sandbox`] is set.
pub fn grade(subject: &Subject) -> Report {
    let checks = subject.program.checks();
    let recognised = match &subject.sandbox {
        Some(sb) => sandbox::recognise(sb, subject),
        None => run_recognise(subject).0,
    };
    let protocol = match recognised {
        Ok(protocol) => protocol,
        Err(reason) => {
            let why = match reason.why() {
                Some(why) => plain(why.clone()),
                None => why!("它没有启动", "it does not start"),
            };
            return Report::all_failed(subject.program, subject.launch.argv.clone(), &why);
        }
    };
    let run = |check: &Check| match &subject.sandbox {
        Some(sb) => sandbox::check(sb, subject, check.name),
        None => run_check(subject, check),
    };
    let results = checks
        .into_iter()
        .map(|check| {
            let (outcome, transcript) = match (&protocol, check.protocol) {
                (Protocol::Differs(why), true) => (Outcome::NotGraded(why.clone()), Vec::new()),
                // A skip is the grader's own trouble, not the program's:
                // tried once more, then reported as it is (it keeps its
                // points in the total, unscored).
                _ => match run(&check) {
                    (Outcome::Skip(_), _) => run(&check),
                    done => done,
                },
            };
            let outcome = match outcome {
                Outcome::Fail(why) => Outcome::Fail(plain(why)),
                outcome => outcome,
            };
            Graded::of(&check, outcome, transcript)
        })
        .collect();
    Report {
        program: subject.program,
        command: subject.launch.argv.clone(),
        protocol,
        results,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_reads_chinese_first_and_joins_in_both_languages() {
        let got = "'滚蛋.'";
        let why = why!("回复了 {got}", "replied {got}");
        assert_eq!(why.to_string(), "回复了 '滚蛋.' / replied '滚蛋.'");
        // The same words in both (a program's own) are said once.
        assert_eq!(Why::quoted("ValueError").to_string(), "ValueError");
        let more = why!("写满了磁盘", "filled its disk");
        let joined = why.and_it(&more);
        assert_eq!(joined.zh, "回复了 '滚蛋.'；而且它写满了磁盘");
        assert_eq!(joined.en, "replied '滚蛋.'; and it filled its disk");
        assert!(joined.contains("而且") && joined.contains("and it"));
        let failed = Outcome::Fail(joined);
        assert_eq!(
            failed.reason(),
            Some("replied '滚蛋.'; and it filled its disk")
        );
    }
}
