//! The students' handout (`grade handout DIR`, grader::handout): made from
//! the model answer, it must give the model answer back when every
//! solution is put back, hold no solution, cite Python lines that hold the
//! code they cite, and build without a warning as it is handed out.

use crate::util::*;
use grader::handout::{self, FILES, GIVEN};
use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn model(file: &str) -> String {
    std::fs::read_to_string(workspace().join(file)).unwrap()
}

/// Every file of the handout but the lock file, which is copied as it is.
fn marked() -> impl Iterator<Item = &'static str> {
    FILES
        .iter()
        .chain(GIVEN.iter())
        .copied()
        .filter(|f| *f != "Cargo.lock")
}

#[test]
fn putting_every_solution_back_gives_the_model_answer_byte_for_byte() {
    let files = handout::generate(&workspace()).unwrap();
    let mut steps = 0;
    for file in marked() {
        let model = model(file);
        let handed_out = &files[file];
        let restored = handout::restore(file, handed_out, &model).unwrap();
        assert!(restored == model, "{file} does not round-trip");
        steps += handout::steps(file, &model).unwrap().len();
    }
    assert!(steps >= 30, "only {steps} steps are marked");
    // The same commit gives the same handout, byte for byte.
    assert!(files == handout::generate(&workspace()).unwrap());
}

#[test]
fn the_handout_holds_no_solution() {
    let files = handout::generate(&workspace()).unwrap();
    let everything: String = files.values().map(String::as_str).collect();
    for file in marked() {
        let model = model(file);
        for block in solutions(&model) {
            assert!(
                !everything.contains(&block),
                "{file}: a solution is in the handout:\n{block}"
            );
        }
    }
    // Nor are the seeds' programs, nor the tools.
    for left_out in ["echo", "chat", "download", "event", "grader", "bench"] {
        assert!(
            !files.keys().any(|f| f.contains(left_out)),
            "{left_out} is in the handout"
        );
    }
}

/// Each step's code, as one block of lines.
fn solutions(model: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut in_step = false;
    let mut block = String::new();
    for line in model.lines() {
        let t = line.trim_start();
        if t.starts_with("// STEP ") {
            in_step = true;
            block.clear();
        } else if t.starts_with("// END STEP") {
            in_step = false;
            blocks.push(block.trim().to_string());
        } else if in_step && !t.starts_with("// hint:") && !t.starts_with("// gives:") {
            block.push_str(line);
            block.push('\n');
        }
    }
    blocks
}

#[test]
fn markers_are_read_strictly() {
    let ok = "fn f() {\n    // STEP 2.1/1 a.py:3 `x = 1`: set x\n    // hint: let\n    // gives: x: u8\n    let x = 1;\n    // END STEP\n    let _ = x;\n}\n";
    let stubbed = handout::stub("a.rs", ok).unwrap();
    assert!(stubbed.contains(
        "    let x: u8 = common::todo::step(\"2.1 第 1 步 / step 1, a.py:3 (`x = 1`): set x\");\n"
    ));
    assert!(!stubbed.contains("let x = 1;"));
    assert_eq!(handout::restore("a.rs", &stubbed, ok).unwrap(), ok);
    for bad in [
        "// STEP 2.1/1 a.py:3 `x`: y\nlet x = 1;\n",
        "// STEP 2.1/1 a.py:3 `x`: y\n// END STEP\n",
        "// STEP 2.1 a.py:3 `x`: y\nx;\n// END STEP\n",
        "// END STEP\n",
        "// NOT IN HANDOUT: z\nx;\n",
    ] {
        assert!(handout::stub("a.rs", bad).is_err(), "{bad:?}");
    }
    let out = "a\n    // NOT IN HANDOUT: seeds\n    b\n    // END NOT IN HANDOUT\n// HANDOUT ONLY: #![allow(unused)]\nc\n";
    let stubbed = handout::stub("a.rs", out).unwrap();
    assert_eq!(
        stubbed,
        "a\n    // (left out of the handout: seeds)\n#![allow(unused)] // HANDOUT ONLY\nc\n"
    );
    assert_eq!(handout::restore("a.rs", &stubbed, out).unwrap(), out);
}

#[test]
#[cfg_attr(
    not(python_originals),
    ignore = "needs the originals (../shared/originals or PY_ORIGINALS)"
)]
fn every_step_cites_the_python_line_that_holds_its_code() {
    let mut wrong = Vec::new();
    for file in marked() {
        for step in handout::steps(file, &model(file)).unwrap() {
            let original = std::fs::read_to_string(originals().join(&step.script)).unwrap();
            let line = original.lines().nth(step.line - 1).unwrap_or_default();
            if !line.contains(&step.code) {
                wrong.push(format!(
                    "{file}: {}:{} is {:?}, not `{}`",
                    step.script,
                    step.line,
                    line.trim(),
                    step.code
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The handout as a teacher makes it, built as a student first builds it:
/// no warning from the compiler or from clippy, and the given code's tests
/// pass. It shares this workspace's target folder, so that the crates it
/// depends on are not built again.
#[test]
fn the_handout_builds_without_a_warning_and_its_given_tests_pass() {
    let dir = tempfile::tempdir().unwrap();
    handout_in(dir.path());
    let target = workspace().join("target/handout");
    let cargo = |args: &[&str]| {
        let out = Command::new(env!("CARGO"))
            .args(args)
            .current_dir(dir.path())
            .env("CARGO_TARGET_DIR", &target)
            .env("RUSTFLAGS", "-D warnings")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "cargo {args:?} failed:\n{err}");
        err
    };
    cargo(&[
        "clippy",
        "--offline",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]);
    cargo(&["test", "--offline", "--workspace", "--exclude", "progress"]);
    // The board's tests are the student's: each fails, on a step not written.
    let board = Command::new(env!("CARGO"))
        .args(["test", "--offline", "-p", "progress"])
        .current_dir(dir.path())
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .unwrap();
    assert!(!board.status.success());
    let said = String::from_utf8_lossy(&board.stdout);
    assert!(
        said.contains("还没写 / not written yet: 2.1 第 1 步 / step 1"),
        "{said}"
    );
    cargo(&["build", "--offline", "--workspace"]);
    // Reached, a step not written says which it is.
    let closed = closed_port();
    let run = Command::new(
        target
            .join("debug")
            .join(format!("tcp-basic{}", std::env::consts::EXE_SUFFIX)),
    )
    .args(["client", "--port", &closed.port.to_string()])
    .output()
    .unwrap();
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("还没写 / not written yet: 2.1 第 5 步 / step 5, tcp_client.py:13"),
        "{err}"
    );
}

/// `grade handout DIR`, as a teacher runs it.
fn handout_in(dir: &Path) {
    let out = Command::new(bin("grade"))
        .arg("handout")
        .arg(dir)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
}

/// A handout with the solutions of `files` put back from the model answer.
fn solved(files: &[&str], dir: &Path) {
    for file in files {
        let path = dir.join(file);
        let handed_out = std::fs::read_to_string(&path).unwrap();
        std::fs::write(
            &path,
            handout::solve(file, &handed_out, &model(file)).unwrap(),
        )
        .unwrap();
    }
}

/// `grade all CLASS` on handout workspaces, with a Python student beside
/// them: the untouched handout scores 0 on every check, each for the step
/// not written yet; the one with every solution put back scores full
/// marks on the nine programs; the one with only 2.1 written scores 2.1's
/// points and no others; and all four are one gradebook.
#[test]
#[cfg_attr(
    not(python_originals),
    ignore = "needs Python 3 and the originals (../shared/originals or PY_ORIGINALS): the interop checks run them"
)]
fn a_class_of_handouts_is_graded_from_not_written_to_full_marks() {
    let class = tempfile::tempdir().unwrap();
    let make = |name: &str| {
        let dir = class.path().join(name);
        handout_in(&dir);
        dir
    };
    make("untouched");
    let all: Vec<&str> = marked().collect();
    solved(&all, &make("finished"));
    solved(
        &["tcp-basic/src/server.rs", "tcp-basic/src/client.rs"],
        &make("only-2.1"),
    );
    let python = class.path().join("python-student");
    std::fs::create_dir(&python).unwrap();
    for script in ["tcp_server.py", "tcp_client.py"] {
        std::fs::copy(originals().join(script), python.join(script)).unwrap();
    }
    let json = class.path().join("grades.json");
    let started = std::time::Instant::now();
    let run = Command::new(bin("grade"))
        .arg("all")
        .arg(class.path())
        .args(["--jobs", "2", "--json"])
        .arg(&json)
        .output()
        .unwrap();
    eprintln!("graded a class of four in {:?}", started.elapsed());
    let stderr = String::from_utf8_lossy(&run.stderr);
    let rows: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(&json).unwrap_or_default())
            .unwrap_or_else(|e| panic!("{e}: {stderr}"));
    let row = |student: &str, program: &str| {
        rows.iter()
            .find(|r| r["student"] == student && r["program"] == program)
            .unwrap_or_else(|| panic!("no row for {student} {program}: {stderr}"))
    };
    let nine = [
        "tcp-server",
        "tcp-client",
        "udp-server",
        "udp-client",
        "multithread-server",
        "multithread-client",
        "threadpool-server",
        "file-server",
        "file-client",
    ];
    for program in nine {
        let untouched = row("untouched", program);
        assert_eq!(untouched["scored"], 0, "{untouched}");
        for check in untouched["checks"].as_array().unwrap() {
            let why = check["detail"].as_str().unwrap_or_default();
            assert!(why.starts_with(grader::NOT_WRITTEN), "{program}: {check}");
        }
        let finished = row("finished", program);
        assert_eq!(finished["scored"], finished["possible"], "{finished}");
        let partial = row("only-2.1", program);
        match program.starts_with("tcp-") {
            true => assert_eq!(partial["scored"], partial["possible"], "{partial}"),
            false => assert_eq!(partial["scored"], 0, "{partial}"),
        }
    }
    // The Python student is in the same gradebook.
    assert!(
        row("python-student", "tcp-server")["scored"]
            .as_u64()
            .unwrap()
            > 0
    );
}
