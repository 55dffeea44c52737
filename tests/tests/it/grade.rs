//! The grader's checks, run as `cargo test` runs them: the Rust port
//! scores full marks, the Python originals get the honest table that
//! README.md shows, and each deliberately broken program (tests/broken)
//! fails the check that names its defect and passes the others.

use crate::util::*;
use grader::run::Launch;
use grader::{Outcome, Program, Report, Subject, class_folder, grade};
use std::path::Path;
use std::process::Command;

fn graded(program: Program, launch: Launch) -> Report {
    grade(&Subject {
        program,
        port: program.default_port(),
        launch,
        originals: originals_folder().map(Path::to_path_buf),
        python: grader::python::find(),
    })
}

fn failed(report: &Report) -> Vec<&'static str> {
    report
        .results
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Fail(_)))
        .map(|r| r.check)
        .collect()
}

#[test]
fn the_rust_port_scores_full_marks() {
    let grade_exe = bin("grade");
    let scratch = tempfile::tempdir().unwrap();
    for program in Program::ALL {
        let launch = Launch {
            argv: program.rust_command(&grade_exe),
            cwd: scratch.path().to_path_buf(),
        };
        let report = graded(program, launch);
        assert!(report.all_passed(), "{}", report.table());
        if cfg!(python_originals) {
            assert_eq!(report.scored(), report.possible(), "{}", report.table());
            assert!(
                report.results.iter().all(|r| r.outcome == Outcome::Pass),
                "{}",
                report.table()
            );
        }
    }
}

/// Grades every program in `dir` as `grade all` does.
fn grade_folder(dir: &Path) -> Vec<Report> {
    let scratch = tempfile::tempdir().unwrap();
    let python = grader::python::find().expect("the build found a Python 3");
    class_folder(dir, scratch.path(), &python)
        .into_iter()
        .map(|(program, launch)| graded(program, launch))
        .collect()
}

fn report_for(reports: &[Report], program: Program) -> &Report {
    reports
        .iter()
        .find(|r| r.program == program)
        .unwrap_or_else(|| panic!("no report for {program:?}"))
}

#[test]
#[cfg_attr(
    not(python_originals),
    ignore = "needs Python 3 and the originals (../shared/originals or PY_ORIGINALS)"
)]
fn the_originals_get_their_honest_table() {
    let reports = grade_folder(&originals());
    // What README.md's table of the originals says, check by check.
    let expected: [(Program, &[&str]); 9] = [
        (
            Program::TcpServer,
            &["survives invalid UTF-8", "survives a reset connection"],
        ),
        (Program::TcpClient, &[]),
        (Program::UdpServer, &["survives invalid UTF-8"]),
        (Program::UdpClient, &["ends cleanly at the end of input"]),
        (
            Program::MultithreadServer,
            &["answers a client that sends invalid UTF-8"],
        ),
        (Program::MultithreadClient, &[]),
        (
            Program::ThreadpoolServer,
            &["answers a client that sends invalid UTF-8"],
        ),
        (
            Program::FileServer,
            &[
                "refuses traversal and absolute names",
                "leaves no partial file after a truncated upload",
                "does not spin when a client vanishes",
                "does not overwrite a file silently",
            ],
        ),
        (Program::FileClient, &["ends at the end of input"]),
    ];
    assert_eq!(reports.len(), expected.len());
    for (program, fails) in expected {
        let report = report_for(&reports, program);
        assert_eq!(failed(report), fails, "{}", report.table());
    }
    let tcp = report_for(&reports, Program::TcpServer);
    match tcp.outcome("survives invalid UTF-8") {
        Some(Outcome::Fail(why)) => assert!(why.contains("UnicodeDecodeError"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[test]
#[cfg_attr(
    not(python_originals),
    ignore = "needs Python 3 (python3, python or py -3)"
)]
fn each_broken_program_fails_the_check_that_names_its_defect() {
    let reports = grade_folder(&Path::new(env!("CARGO_MANIFEST_DIR")).join("broken"));
    let expected: [(Program, &[&str]); 6] = [
        // The wrong reply also fails the checks that read the reply.
        (
            Program::TcpServer,
            &[
                "replies 不要回答 and closes",
                "serves the Rust client",
                "serves the Python client",
            ],
        ),
        (
            Program::TcpClient,
            &["exits when the server closes without a reply"],
        ),
        (
            Program::UdpClient,
            &["prompts 数据： and sends each stripped line"],
        ),
        (
            Program::MultithreadServer,
            &["an idle client does not block the others"],
        ),
        (
            Program::ThreadpoolServer,
            &["serves at most ten at once (a pool)"],
        ),
        (
            Program::FileServer,
            &["leaves no partial file after a truncated upload"],
        ),
    ];
    assert_eq!(reports.len(), expected.len());
    for (program, fails) in expected {
        let report = report_for(&reports, program);
        assert_eq!(failed(report), fails, "{}", report.table());
    }
}

#[test]
fn the_grade_command_reports_scores_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("grades.json");
    let out = Command::new(bin("grade"))
        .args(["tcp-server", "--rust", "--json", json.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("| replies 不要回答 and closes | correct | pass | 3/3 |"),
        "{text}"
    );
    let parsed: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(parsed[0]["program"], "tcp-server");
    assert_eq!(parsed[0]["passed"], true);
    // A program that is not there fails, with a reason, and exit status 1.
    let out = Command::new(bin("grade"))
        .args(["tcp-server", "--", "no-such-program-here"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("FAIL"));
    // Bad usage is a one-line error, exit 2.
    let out = Command::new(bin("grade"))
        .args(["no-such"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
