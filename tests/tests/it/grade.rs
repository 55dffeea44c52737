//! The grader on real programs, as `cargo test` runs it: the Rust port
//! scores full marks, the Python originals get the honest table that
//! README.md shows, and each deliberately broken program (grader/broken,
//! one folder per defect) gets the verdict and the reason its defect
//! deserves, no more and no fewer failures.

use crate::util::*;
use grader::book::{self, Entry, Submission};
use grader::run::Launch;
use grader::{Outcome, Program, Protocol, Report, Subject, class_folder, grade};
use std::path::{Path, PathBuf};
use std::process::Command;

fn subject(program: Program, mut launch: Launch) -> Subject {
    // As `grade` runs a student's program: through `grade limit`.
    launch.limiter = Some(bin("grade"));
    Subject {
        program,
        port: program.default_port(),
        launch,
        originals: originals_folder().map(Path::to_path_buf),
        python: grader::python::find(),
        sandbox: None,
        transcript: Default::default(),
    }
}

fn failed(report: &Report) -> Vec<&'static str> {
    report
        .results
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Fail(_)))
        .map(|r| r.check)
        .collect()
}

/// Full marks: every check passes, those against the originals included.
#[test]
#[cfg_attr(
    not(python_originals),
    ignore = "needs Python 3 and the originals (../shared/originals or PY_ORIGINALS)"
)]
fn the_rust_port_scores_full_marks() {
    let grade_exe = bin("grade");
    let scratch = tempfile::tempdir().unwrap();
    let submissions = Program::ALL
        .into_iter()
        .map(|program| Submission {
            student: "rust".into(),
            subject: Subject {
                launch: Launch {
                    argv: program.rust_command(&grade_exe),
                    cwd: scratch.path().to_path_buf(),
                    limiter: None,
                },
                ..subject(program, Launch::default())
            },
        })
        .collect();
    for e in book::grade_class(submissions, 2, |_| {}) {
        let report = &e.report;
        assert!(report.all_passed(), "{}", report.table());
        assert_eq!(report.scored(), report.possible(), "{}", report.table());
        assert!(
            report.results.iter().all(|r| r.outcome == Outcome::Pass),
            "{}",
            report.table()
        );
    }
}

/// A transcript is carried explicitly, so what a check's own threads send
/// is in it: the twenty sign-ins sent at once from twenty threads.
#[test]
fn notes_from_a_checks_threads_reach_its_transcript() {
    let grade_exe = bin("grade");
    let scratch = tempfile::tempdir().unwrap();
    let report = grade(&Subject {
        launch: Launch {
            argv: Program::MultithreadServer.rust_command(&grade_exe),
            cwd: scratch.path().to_path_buf(),
            limiter: None,
        },
        ..subject(Program::MultithreadServer, Launch::default())
    });
    let twenty = report
        .results
        .iter()
        .find(|g| g.check == "twenty sign-ins at once are all answered")
        .unwrap();
    let sent = twenty
        .transcript
        .iter()
        .filter(|l| l.starts_with("在新连接上发送 / sent on a new connection: '拔尖班"))
        .count();
    assert_eq!(sent, 20, "{:#?}", twenty.transcript);
}

/// The event-driven sign-in server passes every check of the sign-in
/// server (thread per connection): the same wire, lines and robustness.
#[test]
#[cfg_attr(
    not(python_originals),
    ignore = "needs Python 3 and the originals (../shared/originals or PY_ORIGINALS)"
)]
fn the_event_driven_server_passes_the_sign_in_servers_checks() {
    let grade_exe = bin("grade").to_string_lossy().into_owned();
    let scratch = tempfile::tempdir().unwrap();
    let argv = [
        grade_exe.as_str(),
        "exercise",
        "threadpool-server",
        "event-server",
        "--port",
        "{port}",
    ];
    let report = grade(&Subject {
        launch: Launch {
            argv: argv.iter().map(|a| a.to_string()).collect(),
            cwd: scratch.path().to_path_buf(),
            limiter: None,
        },
        ..subject(Program::MultithreadServer, Launch::default())
    });
    assert!(report.all_passed(), "{}", report.table());
    assert_eq!(report.scored(), report.possible(), "{}", report.table());
}

/// Grades every student's programs in `dir` as `grade all` does, four at
/// once.
fn grade_folder(dir: &Path) -> Vec<Entry> {
    let scratch = tempfile::tempdir().unwrap();
    let python = grader::python::find().expect("the build found a Python 3");
    let students = class_folder(
        dir,
        scratch.path(),
        &python,
        true,
        &grader::Names::default(),
    )
    .expect("a readable folder")
    .students;
    let submissions = students
        .into_iter()
        .flat_map(|s| {
            let student = s.name;
            s.programs
                .into_iter()
                .map(move |(program, launch)| Submission {
                    student: student.clone(),
                    subject: subject(program, launch),
                })
        })
        .collect();
    book::grade_class(submissions, 4, |_| {})
}

fn report_for<'a>(entries: &'a [Entry], student: &str, program: Program) -> &'a Report {
    entries
        .iter()
        .find(|e| e.student == student && e.report.program == program)
        .map(|e| &e.report)
        .unwrap_or_else(|| panic!("no report for {student} {program:?}"))
}

#[test]
#[cfg_attr(
    not(python_originals),
    ignore = "needs Python 3 and the originals (../shared/originals or PY_ORIGINALS)"
)]
fn the_originals_get_their_honest_table() {
    let entries = grade_folder(&originals());
    let student = "originals";
    for (program, fails) in ORIGINALS_FAIL {
        let report = report_for(&entries, student, program);
        assert_eq!(report.protocol, Protocol::Lab, "{}", report.table());
        assert_eq!(failed(report), fails, "{}", report.table());
    }
    assert_eq!(entries.len(), ORIGINALS_FAIL.len());
    let tcp = report_for(&entries, student, Program::TcpServer);
    assert_outcome(
        tcp,
        "survives invalid UTF-8",
        "fail",
        "exited with status 1 after invalid UTF-8: UnicodeDecodeError",
    );
    let file = report_for(&entries, student, Program::FileServer);
    assert_outcome(
        file,
        "leaves no partial file after a truncated upload",
        "fail",
        "left a partial cut.bin",
    );
}

/// The originals, as they are (each on the port written in it, no copy
/// rewritten), graded by the `grade` binary with each check in a sandbox
/// of its own: the same table, check by check, as with their ports adapted.
#[test]
#[cfg_attr(
    not(all(python_originals, namespaces)),
    ignore = "needs Python 3, the originals and Linux namespaces (unshare --user --net --pid, ip)"
)]
fn the_originals_on_their_own_ports_get_the_same_table_in_the_sandbox() {
    let parsed = graded_in_the_sandbox(&originals());
    for (program, fails) in ORIGINALS_FAIL {
        let report = parsed
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["program"] == program.name())
            .unwrap_or_else(|| panic!("no report for {program:?}"));
        // Never adapted: the command is the script itself.
        assert!(
            report["command"]
                .to_string()
                .contains(&format!("{}.py", program.file_name())),
            "{report}"
        );
        let failed: Vec<&str> = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["result"] == "fail")
            .map(|c| c["check"].as_str().unwrap())
            .collect();
        assert_eq!(failed, fails, "{report:#}");
    }
}

/// `grade all FOLDER --jobs 4` as a teacher runs it on Linux, each check in
/// the sandbox (asserted from what grade says at start): the JSON reports.
fn graded_in_the_sandbox(folder: &Path) -> serde_json::Value {
    let out = tempfile::tempdir().unwrap();
    let json = out.path().join("grades.json");
    let run = Command::new(bin("grade"))
        .arg("all")
        .arg(folder)
        .args(["--jobs", "4", "--json"])
        .arg(&json)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("each check in its own network"), "{stderr}");
    serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap()
}

/// What README.md's table of the originals says, check by check: the
/// checks each original fails.
const ORIGINALS_FAIL: [(Program, &[&str]); 9] = [
    (
        Program::TcpServer,
        &["survives invalid UTF-8", "survives a reset connection"],
    ),
    // A traceback where the lab wants a message.
    (Program::TcpClient, &["exits when no server listens"]),
    (Program::UdpServer, &["survives invalid UTF-8"]),
    (Program::UdpClient, &["ends cleanly at the end of input"]),
    (
        Program::MultithreadServer,
        &["answers a client that sends invalid UTF-8"],
    ),
    (
        Program::MultithreadClient,
        &["exits when no server listens"],
    ),
    (
        Program::ThreadpoolServer,
        &["answers a client that sends invalid UTF-8"],
    ),
    (
        Program::FileServer,
        &[
            "refuses traversal and absolute names",
            "leaves no partial file after a truncated upload",
            "does not spin when a client vanishes mid-upload",
            "does not overwrite a file silently",
        ],
    ),
    (Program::FileClient, &["ends at the end of input"]),
];

/// Asserts that check `check` of `report` ended as `result` with a reason
/// that contains `reason`.
fn assert_outcome(report: &Report, check: &str, result: &str, reason: &str) {
    let outcome = report
        .outcome(check)
        .unwrap_or_else(|| panic!("no check {check:?}:\n{}", report.table()));
    assert_eq!(outcome.name(), result, "{check}:\n{}", report.table());
    let why = outcome.reason().unwrap_or_default();
    assert!(
        why.contains(reason),
        "{check}: {why:?} does not say {reason:?}:\n{}",
        report.table()
    );
}

/// Every check of `report` that ended as `result`.
fn ended_as<'a>(report: &'a Report, result: &str) -> Vec<&'a str> {
    report
        .results
        .iter()
        .filter(|r| r.outcome.name() == result)
        .map(|r| r.check)
        .collect()
}

fn broken() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../grader/broken")
}

#[test]
#[cfg_attr(
    not(python_originals),
    ignore = "needs Python 3 and the originals (../shared/originals or PY_ORIGINALS)"
)]
fn each_broken_program_gets_the_verdict_and_reason_its_defect_deserves() {
    let entries = grade_folder(&broken());
    // grader/broken/classic: six programs, each failing only its check.
    let classic: [(Program, &[&str]); 6] = [
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
            &["serves ten at once and no more (a pool)"],
        ),
        (
            Program::FileServer,
            &["leaves no partial file after a truncated upload"],
        ),
    ];
    for (program, fails) in classic {
        let report = report_for(&entries, "classic", program);
        assert_eq!(failed(report), fails, "{}", report.table());
    }

    // One defect each: the check it fails, and what the reason says.
    let tcp = Program::TcpServer;
    let r = report_for(&entries, "never-closes", tcp);
    assert_outcome(
        r,
        "replies 不要回答 and closes",
        "fail",
        "replied '不要回答,不要回答,不要回答' to '请求占领地球' but did not close within 2s",
    );
    // A client that reads the reply to its end may wait in vain too.
    assert!(
        failed(r)
            .iter()
            .all(|c| ["replies 不要回答 and closes", "serves the Rust client"].contains(c)),
        "{}",
        r.table()
    );

    let r = report_for(&entries, "wrong-reply", tcp);
    assert_outcome(
        r,
        "replies 不要回答 and closes",
        "fail",
        "replied '滚蛋.' to '请求占领地球' instead of '不要回答,不要回答,不要回答'",
    );

    let r = report_for(&entries, "one-client", tcp);
    assert_eq!(
        failed(r),
        ["keeps serving after its first client"],
        "{}",
        r.table()
    );
    assert_outcome(
        r,
        "keeps serving after its first client",
        "fail",
        "exited with status 0 after its first client",
    );
    assert_outcome(
        r,
        "survives invalid UTF-8",
        "not-graded",
        "it also ends after an ordinary client",
    );

    // The accept loop ends on an empty connection, though it serves every
    // ordinary client: that is the very defect its check is for.
    let r = report_for(&entries, "empty-ends-loop", tcp);
    assert_eq!(failed(r), ["survives an empty connection"], "{}", r.table());
    assert_outcome(
        r,
        "survives an empty connection",
        "fail",
        "kept serving after an ordinary client, but exited with status 0 after an empty connection",
    );

    // The pool is checked from below too: a serial server and a pool of 2
    // say how many they served at once.
    let pool = Program::ThreadpoolServer;
    for (student, served) in [("serial-pool", 1), ("pool-of-2", 2)] {
        let r = report_for(&entries, student, pool);
        assert_outcome(
            r,
            "serves ten at once and no more (a pool)",
            "fail",
            &format!("served only {served} client(s) at once"),
        );
    }
    let r = report_for(&entries, "serial-pool", pool);
    assert_outcome(
        r,
        "an idle client does not block the others",
        "fail",
        "idle",
    );

    // A client handed in empty is never seen doing its job: 0, every check
    // saying why.
    let r = report_for(&entries, "empty-client", Program::TcpClient);
    assert_all_failed(r, "never reached the server on port");

    let r = report_for(&entries, "echo-not-signin", Program::MultithreadServer);
    match &r.protocol {
        Protocol::Differs(why) => assert!(
            why.contains("upper-case echo server") && why.contains("'hello' → 'HELLO'"),
            "{why}"
        ),
        Protocol::Lab => panic!("not recognised:\n{}", r.table()),
    }
    assert!(failed(r).is_empty(), "{}", r.table());
    assert_outcome(
        r,
        "twenty sign-ins at once are all answered",
        "not-graded",
        "upper-case echo",
    );

    let file = Program::FileServer;
    let r = report_for(&entries, "saves-nothing", file);
    assert_outcome(
        r,
        "saves a 100 KB name|size upload byte for byte",
        "fail",
        "saved no file 实验报告.bin",
    );
    assert_outcome(
        r,
        "refuses traversal and absolute names",
        "not-graded",
        "no upload succeeded",
    );
    let r = report_for(&entries, "truncates", file);
    assert_outcome(
        r,
        "saves a 100 KB name|size upload byte for byte",
        "fail",
        "saved 1024 of the 100000 bytes",
    );
    assert_eq!(
        ended_as(r, "not-graded").len(),
        4,
        "no safety check passes vacuously:\n{}",
        r.table()
    );

    let r = report_for(&entries, "spins-after-client", Program::MultithreadServer);
    assert_eq!(
        failed(r),
        ["does not spin after a client leaves"],
        "{}",
        r.table()
    );
    assert_outcome(
        r,
        "does not spin after a client leaves",
        "fail",
        "% of a core for 2 s after a client left",
    );

    let r = report_for(&entries, "ctime-bad-utf8", Program::CtimeServer);
    assert_eq!(failed(r), ["survives invalid UTF-8"], "{}", r.table());
    assert_outcome(r, "survives invalid UTF-8", "fail", "UnicodeDecodeError");

    let r = report_for(&entries, "crashes-at-start", Program::UdpServer);
    assert_all_failed(r, "it does not start");
    assert_all_failed(r, "AttributeError");

    let r = report_for(&entries, "pool-of-128", Program::ThreadpoolServer);
    assert_outcome(
        r,
        "serves ten at once and no more (a pool)",
        "fail",
        "more than ten at once",
    );

    let r = report_for(&entries, "other-header", file);
    match &r.protocol {
        Protocol::Differs(why) => assert!(why.contains("speaks another header"), "{why}"),
        Protocol::Lab => panic!("not recognised:\n{}", r.table()),
    }

    let r = report_for(&entries, "floods", tcp);
    assert_outcome(r, "replies 不要回答 and closes", "fail", "printed");
    assert!(
        r.results.iter().any(|g| g
            .outcome
            .reason()
            .is_some_and(|w| w.contains(" GB in ") || w.contains(" MB in "))),
        "{}",
        r.table()
    );

    // Correct programs in forms the grader must not break: a handler not
    // named MyServer, a port set inside a socketserver line, a file client
    // that asks for the path before it connects, a file server that saves
    // beside its own script.
    for (student, program) in [
        ("handler-named-server", Program::EchoServer),
        ("port-in-socketserver-line", tcp),
        ("pinned-host-port", tcp),
        ("asks-path-first", Program::FileClient),
        ("saves-beside-itself", Program::FileServer),
    ] {
        let r = report_for(&entries, student, program);
        assert_eq!(r.scored(), r.possible(), "{}", r.table());
        assert!(r.all_passed(), "{}", r.table());
    }
}

#[test]
#[cfg_attr(
    not(python_originals),
    ignore = "needs Python 3 and the originals (../shared/originals or PY_ORIGINALS)"
)]
fn a_class_folder_gives_the_same_scores_from_a_relative_path_and_writes_a_gradebook() {
    let out = tempfile::tempdir().unwrap();
    let csv = out.path().join("grades.csv");
    let transcripts = out.path().join("transcripts");
    let run = |folder: &Path, cwd: &Path, extra: &[&std::ffi::OsStr]| {
        let out = Command::new(bin("grade"))
            .arg("all")
            .arg(folder)
            .args(extra)
            .current_dir(cwd)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let folder = Path::new("grader/broken/handler-named-server");
    let relative = run(
        folder,
        &workspace,
        &[
            "--csv".as_ref(),
            csv.as_os_str(),
            "--transcripts".as_ref(),
            transcripts.as_os_str(),
        ],
    );
    let absolute = run(&workspace.join(folder), out.path(), &[]);
    assert!(relative.contains("total: 9/9"), "{relative}");
    assert_eq!(
        relative
            .lines()
            .filter(|l| l.starts_with('|'))
            .collect::<Vec<_>>(),
        absolute
            .lines()
            .filter(|l| l.starts_with('|'))
            .collect::<Vec<_>>()
    );
    let csv = std::fs::read_to_string(&csv).unwrap();
    assert!(
        csv.starts_with(
            "student,program,scored,possible,protocol,correct,interop,robust,concurrent,safe,first_failure\n"
        ),
        "{csv}"
    );
    assert!(
        csv.contains("handler-named-server,echo-server,9,9,lab,3/3,,6/6,,,\n"),
        "{csv}"
    );
    let transcript =
        std::fs::read_to_string(transcripts.join("handler-named-server--echo-server.txt")).unwrap();
    assert!(transcript.contains("发送 / sent: 'hello'"), "{transcript}");
    assert!(transcript.contains("收到 / got: 'HELLO'"), "{transcript}");
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
    assert_eq!(parsed[0]["protocol"], "lab");
    assert_eq!(parsed[0]["checks"][0]["result"], "pass");
    // A program that is not there scores 0, with the reason, and exit
    // status 1.
    let out = Command::new(bin("grade"))
        .args(["tcp-server", "--", "no-such-program-here"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("total: 0/12"), "{text}");
    assert!(text.contains("cannot start"), "{text}");
    // Bad usage is a one-line error, exit 2.
    let out = Command::new(bin("grade"))
        .args(["no-such"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// Each attack in grader/hostile fails a check with its reason, leaves no
/// process running, and changes nothing of the good student's grade,
/// graded four at once in the grader's sandbox.
#[test]
#[cfg_attr(
    not(all(python_originals, namespaces)),
    ignore = "needs Python 3 and Linux namespaces (unshare --user --net --pid, ip)"
)]
fn each_attack_fails_its_own_checks_and_harms_no_one_else() {
    let hostile = Path::new(env!("CARGO_MANIFEST_DIR")).join("../grader/hostile");
    let parsed = graded_in_the_sandbox(&hostile);
    let report = |student: &str, program: &str| -> &serde_json::Value {
        parsed
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["student"] == student && r["program"] == program)
            .unwrap_or_else(|| panic!("no report for {student} {program}"))
    };
    // The good student, graded beside the attacks: every check passes or is
    // skipped for the grader's own reason (no originals given here).
    for program in ["tcp-server", "tcp-client"] {
        let r = report("good", program);
        assert_eq!(r["scored"], r["possible"], "{r:#}");
        assert!(
            r["checks"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["result"] == "pass" || c["result"] == "skip"),
            "{r:#}"
        );
    }
    // Each attack: every check fails, the first saying why.
    for (student, program, why) in [
        ("fork-bomb", "tcp-server", "processes at once"),
        ("fills-disk", "tcp-server", "filled its 1024 MiB of disk"),
        ("setsid-sleeper", "tcp-server", "left 1 process(es) running"),
        (
            "other-students-port",
            "tcp-client",
            "never reached the server on port 9999",
        ),
        ("outside", "tcp-client", "Network is unreachable"),
    ] {
        let r = report(student, program);
        assert_eq!(r["scored"], 0, "{student}: {r:#}");
        let first = r["checks"][0]["detail"].as_str().unwrap_or_default();
        assert!(first.contains(why), "{student}: {r:#}");
    }
    // Nothing of theirs is left running.
    let ps = Command::new("ps").args(["-eo", "args"]).output().unwrap();
    let ps = String::from_utf8_lossy(&ps.stdout);
    assert!(
        !ps.lines().any(|l| l.contains("grader/hostile")),
        "left running:\n{ps}"
    );
}

/// A pool built on `multiprocessing.pool.ThreadPool` makes a POSIX
/// semaphore in /dev/shm before it listens. In the sandbox, where the
/// host's files are read-only, it must still start and be graded for what
/// it does (grader/broken/pool-of-128: a pool of the wrong size), not
/// given 0 as a program that does not start.
#[test]
#[cfg_attr(
    not(all(python_originals, namespaces)),
    ignore = "needs Python 3 and Linux namespaces (unshare --user --net --pid, ip)"
)]
fn a_pool_that_needs_dev_shm_is_graded_for_what_it_does_in_the_sandbox() {
    let class = tempfile::tempdir().unwrap();
    let student = class.path().join("pool-of-128");
    std::fs::create_dir(&student).unwrap();
    std::fs::copy(
        broken().join("pool-of-128/threadpool_server.py"),
        student.join("threadpool_server.py"),
    )
    .unwrap();
    let parsed = graded_in_the_sandbox(class.path());
    let r = parsed
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["program"] == "threadpool-server")
        .expect("a report for the pool");
    let check = |name: &str| -> &serde_json::Value {
        r["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["check"] == name)
            .unwrap_or_else(|| panic!("no check {name}: {r:#}"))
    };
    assert_eq!(
        check("twenty sign-ins at once are all answered")["result"],
        "pass",
        "{r:#}"
    );
    let pool = check("serves ten at once and no more (a pool)");
    assert_eq!(pool["result"], "fail", "{r:#}");
    assert!(
        pool["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("more than ten at once"),
        "{r:#}"
    );
}

/// A client file that does not exist scores 0, every check saying the
/// client never reached the server (and why).
#[test]
fn a_missing_client_scores_nothing_with_the_reason() {
    let scratch = tempfile::tempdir().unwrap();
    let launch = Launch {
        argv: vec!["python3".into(), "/no/such/tcp_client.py".into()],
        cwd: scratch.path().to_path_buf(),
        limiter: None,
    };
    let report = grade(&subject(Program::TcpClient, launch));
    assert_all_failed(&report, "never reached the server");
}

/// Asserts that `report` scored nothing, every check failing with a reason
/// that contains `reason`.
fn assert_all_failed(report: &Report, reason: &str) {
    assert_eq!(report.scored(), 0, "{}", report.table());
    assert!(
        report
            .results
            .iter()
            .all(|g| matches!(&g.outcome, Outcome::Fail(why) if why.contains(reason))),
        "{}",
        report.table()
    );
}

/// A class as teachers get them: programs in nested folders, names in any
/// case, a stray file at the class root, a C file beside nothing to run,
/// a student who handed in one program. Every student gets a row for each
/// of the lab's nine programs, out of the same total; the pinned `HOST,
/// PORT` socketserver program scores full marks, with the sandbox (on its
/// own port) and without it (its port adapted).
#[test]
#[cfg_attr(
    not(python_originals),
    ignore = "needs Python 3 and the originals (../shared/originals or PY_ORIGINALS)"
)]
fn a_nested_class_folder_is_a_roster_with_one_denominator() {
    a_nested_class_folder(&["--no-sandbox"]);
}

/// The same class, each check in the sandbox: the scripts run as they are.
#[test]
#[cfg_attr(
    not(all(python_originals, namespaces)),
    ignore = "needs Python 3, the originals and Linux namespaces (unshare --user --net --pid, ip)"
)]
fn a_nested_class_folder_is_a_roster_in_the_sandbox_too() {
    a_nested_class_folder(&[]);
}

/// Grades the class of [`a_nested_class_folder_is_a_roster_with_one_denominator`]
/// with `mode` (`--no-sandbox`, or nothing) and checks its roster.
fn a_nested_class_folder(mode: &[&str]) {
    let class = tempfile::tempdir().unwrap();
    let pinned = broken().join("pinned-host-port/tcp_server.py");
    let put = |path: &str, from: &Path| {
        let to = class.path().join(path);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, &to).unwrap();
    };
    put("alice/lab2/socket/TCP_Server.py", &pinned);
    put(
        "alice/lab2/tcp-client.py",
        &originals().join("tcp_client.py"),
    );
    put("bob/tcp_server.py", &pinned);
    std::fs::write(class.path().join("bob/udp_client.c"), "int main(){}").unwrap();
    put("tcp_server.py", &pinned);
    let out = tempfile::tempdir().unwrap();
    let json = out.path().join("grades.json");
    let run = Command::new(bin("grade"))
        .arg("all")
        .arg(class.path())
        .arg("--originals")
        .arg(originals())
        .args(["--jobs", "4", "--json"])
        .arg(&json)
        .args(mode)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("tcp_server.py is at the class root, in no student's folder: left out"),
        "{stderr}"
    );
    assert!(
        stderr.contains("bob: udp_client.c: found, but only .py"),
        "{stderr}"
    );
    let parsed: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let rows = parsed.as_array().unwrap();
    let of = |student: &str| -> Vec<&serde_json::Value> {
        rows.iter().filter(|r| r["student"] == student).collect()
    };
    let (alice, bob) = (of("alice"), of("bob"));
    assert_eq!(alice.len(), 9, "{mode:?}");
    assert_eq!(bob.len(), 9, "{mode:?}");
    let possible = |rows: &[&serde_json::Value]| -> u64 {
        rows.iter().map(|r| r["possible"].as_u64().unwrap()).sum()
    };
    assert_eq!(possible(&alice), possible(&bob), "{mode:?}");
    for student in [&alice, &bob] {
        let tcp = student
            .iter()
            .find(|r| r["program"] == "tcp-server")
            .unwrap();
        assert_eq!(tcp["scored"], tcp["possible"], "{mode:?} {tcp:#}");
    }
    let alice_client = alice.iter().find(|r| r["program"] == "tcp-client").unwrap();
    assert_eq!(alice_client["protocol"], "lab", "{alice_client:#}");
    let missing = bob.iter().find(|r| r["program"] == "udp-client").unwrap();
    assert_eq!(missing["scored"], 0);
    assert_eq!(missing["possible"], 6);
    assert_eq!(missing["checks"][0]["detail"], "not submitted");
}

/// `--feedback` writes one file per student, Chinese first, with the
/// reason and the transcript of each lost point; alike programs are
/// flagged for the teacher and never in a student's file; `--only`
/// regrades one student and keeps the others' rows and files.
#[test]
#[cfg_attr(
    not(python_originals),
    ignore = "needs Python 3 and the originals (../shared/originals or PY_ORIGINALS)"
)]
fn feedback_per_student_and_one_student_regraded() {
    let class = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    for student in ["alice", "bob"] {
        std::fs::create_dir(class.path().join(student)).unwrap();
        std::fs::copy(
            broken().join("pinned-host-port/tcp_server.py"),
            class.path().join(student).join("tcp_server.py"),
        )
        .unwrap();
    }
    let (csv, feedback) = (out.path().join("grades.csv"), out.path().join("feedback"));
    let grade_all = |extra: &[&str]| {
        let run = Command::new(bin("grade"))
            .arg("all")
            .arg(class.path())
            .arg("--originals")
            .arg(originals())
            .arg("--csv")
            .arg(&csv)
            .arg("--feedback")
            .arg(&feedback)
            .args(extra)
            .output()
            .unwrap();
        String::from_utf8_lossy(&run.stdout).into_owned()
    };
    let table = grade_all(&[]);
    assert!(
        table.contains("tcp-server: the same program (but for comments and spacing): alice, bob"),
        "{table}"
    );
    let alice = std::fs::read_to_string(feedback.join("alice.md")).unwrap();
    let zh = alice.find("总分").unwrap();
    assert!(zh < alice.find("Total").unwrap(), "{alice}");
    assert!(
        alice.contains("2.1 TCP 服务器（tcp-server）: 12 / 12"),
        "{alice}"
    );
    assert!(
        alice.contains("2.1 TCP 客户端（tcp-client）: 0 / 6"),
        "{alice}"
    );
    assert!(alice.contains("未提交 / not submitted"), "{alice}");
    assert!(!alice.contains("same program"), "{alice}");
    let before = std::fs::read_to_string(&csv).unwrap();
    assert!(before.contains("alice,tcp-server,12,12,lab"), "{before}");
    assert!(before.contains("bob,tcp-server,12,12,lab"), "{before}");

    // Bob hands in a server with a wrong reply; only he is regraded.
    std::fs::copy(
        broken().join("wrong-reply/tcp_server.py"),
        class.path().join("bob/tcp_server.py"),
    )
    .unwrap();
    grade_all(&["--only", "bob"]);
    let after = std::fs::read_to_string(&csv).unwrap();
    let rows = |text: &str, who: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.starts_with(&format!("{who},")))
            .map(String::from)
            .collect()
    };
    assert_eq!(rows(&after, "alice"), rows(&before, "alice"));
    assert_eq!(rows(&after, "bob").len(), rows(&before, "bob").len());
    assert!(!after.contains("bob,tcp-server,12,12"), "{after}");
    let bob = std::fs::read_to_string(feedback.join("bob.md")).unwrap();
    // The reason in Chinese first, then in English, each in its own words.
    let why = bob
        .find("原因 / Why: 对 '请求占领地球' 回复了 '滚蛋.")
        .expect(&bob);
    assert!(bob[why..].find(" / replied '滚蛋.'").is_some(), "{bob}");
    // What the check did, in the lab's language first, before the reason.
    assert!(
        bob.contains("检查方法 / How it is checked: 发送“请求占领地球”，收到的必须恰好是"),
        "{bob}"
    );
    assert!(
        bob.contains("在新连接上发送 / sent on a new connection: '请求占领地球'"),
        "{bob}"
    );
    assert_eq!(
        std::fs::read_to_string(feedback.join("alice.md")).unwrap(),
        alice
    );
}

/// SIGTERM (as Ctrl-C) on `grade` stops every program it started, with the
/// sandbox and without it.
#[test]
#[cfg_attr(
    not(all(unix, python_originals)),
    ignore = "needs Python 3, the originals and a signal to send (not on Windows)"
)]
fn stopping_grade_stops_every_program_it_started() {
    stopping_grade_stops_every_program(&["--no-sandbox"]);
}

/// The same, each check in the sandbox.
#[test]
#[cfg_attr(
    not(all(unix, python_originals, namespaces)),
    ignore = "needs Python 3, the originals and Linux namespaces (unshare --user --net --pid, ip)"
)]
fn stopping_grade_stops_every_program_in_the_sandbox_too() {
    stopping_grade_stops_every_program(&[]);
}

/// Starts `grade all` on a one-student class with `mode`, stops it with
/// SIGTERM once the student's server runs, and checks that nothing of it,
/// program or cgroup, is left.
fn stopping_grade_stops_every_program(mode: &[&str]) {
    // A name of its own (through --map), which its adapted copy keeps
    // too, so that its processes can be told from any other test's.
    let class = tempfile::tempdir().unwrap();
    let student = class.path().join("alice");
    std::fs::create_dir(&student).unwrap();
    let mine = format!("stop_test_{}_{}", std::process::id(), mode.len());
    std::fs::copy(
        broken().join("pinned-host-port/tcp_server.py"),
        student.join(format!("{mine}.py")),
    )
    .unwrap();
    let map = class.path().join("names.map");
    std::fs::write(&map, format!("tcp-server: {mine}\n")).unwrap();
    let running = || {
        let ps = Command::new("ps").args(["-eo", "args"]).output().unwrap();
        String::from_utf8_lossy(&ps.stdout)
            .lines()
            .filter(|l| l.contains(&mine) && l.contains("python"))
            .count()
    };
    let mut cmd = Command::new(bin("grade"));
    cmd.arg("all")
        .arg(class.path())
        .arg("--map")
        .arg(&map)
        .args(mode);
    let mut grade = Proc::spawn(cmd);
    wait_for("the student's server to run", || {
        (running() > 0).then_some(())
    })
    .expect("grade started the student's server");
    let pid = grade.id();
    grade.terminate();
    let status = grade.wait(WAIT).expect("grade stops on SIGTERM");
    assert!(!status.success(), "{mode:?}");
    assert!(
        wait_for("every program of it to be gone", || (running() == 0)
            .then_some(()))
        .is_some(),
        "{mode:?}: still running after grade stopped"
    );
    // Nor any cgroup it made for a check.
    let find = Command::new("find")
        .args(["/sys/fs/cgroup", "-maxdepth", "5", "-name"])
        .arg(format!("socket-lab-{pid}-*"))
        .output()
        .unwrap();
    let left = String::from_utf8_lossy(&find.stdout);
    assert!(left.trim().is_empty(), "{mode:?}: cgroups left: {left}");
}
