//! The lab as an assignment: the students' handout, made from the model
//! answer (`grade handout DIR`), with every socket step left to write.
//!
//! The model answer marks what the handout changes, with comments, so it
//! builds, runs and tests as it is. One syntax, in `//` comments (`#` in
//! Cargo.toml):
//!
//! ```text
//! // STEP 2.1/5 tcp_server.py:25 `client_data = conn.recv(1024)`: 最多读取 1024 字节 / read at most 1024 bytes
//! // hint: net::recv 就是 Read::read，另外会注意空闲时限和停止
//! // hint: net::recv: one Read::read that also watches the idle limit and the stop
//! // gives: n: usize
//! let n = net::recv(&mut conn, &mut buf, &in_flight)?;
//! // END STEP
//! ```
//!
//! * `STEP section/number script:line `code`: what` opens a step a student
//!   writes: the Python line it ports (a test checks that line holds that
//!   code; `what` is Chinese first, then English: `中文 / English`), then
//!   `hint:` lines (kept in the handout: the std API to use; the Chinese
//!   line first, then the English),
//!   then, where the step's code binds names used after it, `gives:` with
//!   their types. The code up to `END STEP` is the solution. The handout has
//!   one line in its place, `let n: usize = common::todo::step("…");` (or
//!   `common::todo::step::<()>("…");` with no `gives:`), which compiles
//!   where the code did and panics with "还没写 / not written yet: 2.1 第 5 步 / step 5, …".
//! * `NOT IN HANDOUT: why` … `END NOT IN HANDOUT` encloses what the handout
//!   leaves out (the seeds' programs, which are not the lab's exercises):
//!   one line, `(left out of the handout: why)`, stands in its place.
//! * `HANDOUT ONLY: code` is a line of code the handout has and the model
//!   answer does not (the stubs leave names unused: each exercise crate of
//!   the handout allows that until its steps are written).
//!
//! [`restore`] puts a handout file's solutions back from the model answer;
//! the tests check that this gives the model answer byte for byte, for
//! every file, so the handout cannot drift from it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The model answer's files the handout holds, as they are named in both:
/// the main lab's nine programs and what they need. The seeds' programs
/// (echo, chat, the download, the event server) and the tools (bench,
/// grader, the tour) are not in it.
pub const FILES: &[&str] = &[
    "Cargo.toml",
    "Cargo.lock",
    "common/Cargo.toml",
    "common/src/addr.rs",
    "common/src/cli.rs",
    "common/src/frame.rs",
    "common/src/lib.rs",
    "common/src/log.rs",
    "common/src/net.rs",
    "common/src/server.rs",
    "common/src/stop.rs",
    "common/src/text.rs",
    "common/src/todo.rs",
    "common/src/trace.rs",
    "tcp-basic/Cargo.toml",
    "tcp-basic/src/cli.rs",
    "tcp-basic/src/client.rs",
    "tcp-basic/src/lib.rs",
    "tcp-basic/src/main.rs",
    "tcp-basic/src/server.rs",
    "udp-basic/Cargo.toml",
    "udp-basic/src/cli.rs",
    "udp-basic/src/client.rs",
    "udp-basic/src/lib.rs",
    "udp-basic/src/main.rs",
    "udp-basic/src/server.rs",
    "multithread/Cargo.toml",
    "multithread/src/cli.rs",
    "multithread/src/client.rs",
    "multithread/src/lib.rs",
    "multithread/src/main.rs",
    "multithread/src/server.rs",
    "threadpool-server/Cargo.toml",
    "threadpool-server/src/cli.rs",
    "threadpool-server/src/lib.rs",
    "threadpool-server/src/main.rs",
    "file-transfer/Cargo.toml",
    "file-transfer/src/cli.rs",
    "file-transfer/src/client.rs",
    "file-transfer/src/server.rs",
    "progress/Cargo.toml",
    "progress/src/lib.rs",
    "progress/src/main.rs",
    "progress/src/bin/board.rs",
];

/// The rest of file-transfer, given code with no step in it.
pub const GIVEN: &[&str] = &[
    "file-transfer/src/error.rs",
    "file-transfer/src/lib.rs",
    "file-transfer/src/main.rs",
    "file-transfer/src/progress.rs",
    "file-transfer/src/store.rs",
];

/// Why a file's markers cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum MarkerError {
    #[error("{file}:{line}: {why}")]
    Bad {
        file: String,
        line: usize,
        why: String,
    },
    #[error("cannot read {0}: {1}")]
    Read(PathBuf, std::io::Error),
}

/// One step a student writes, as its `STEP` line names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// `2.1`
    pub section: String,
    /// `5`
    pub number: String,
    /// `tcp_server.py`
    pub script: String,
    /// 25
    pub line: usize,
    /// `client_data = conn.recv(1024)`
    pub code: String,
    /// `read at most 1024 bytes`
    pub what: String,
}

impl Step {
    /// What the stub says when it is reached.
    pub fn message(&self) -> String {
        let (section, n, script, line) = (&self.section, &self.number, &self.script, self.line);
        format!(
            "{section} 第 {n} 步 / step {n}, {script}:{line} (`{}`): {}",
            self.code, self.what
        )
    }

    fn parse(rest: &str) -> Option<Step> {
        let (id, rest) = rest.split_once(' ')?;
        let (section, number) = id.split_once('/')?;
        let (place, rest) = rest.split_once(" `")?;
        let (script, line) = place.split_once(':')?;
        let (code, what) = rest.split_once("`: ")?;
        Some(Step {
            section: section.into(),
            number: number.into(),
            script: script.into(),
            line: line.parse().ok()?,
            code: code.into(),
            what: what.into(),
        })
    }
}

/// One marked region of a file, in order.
#[derive(Debug)]
enum Region<'a> {
    /// Lines kept as they are.
    Kept(&'a str),
    /// A step: its header lines (kept), its `gives:`, its code, its end line.
    Step {
        header: Vec<&'a str>,
        step: Step,
        gives: Option<String>,
        code: Vec<&'a str>,
        end: &'a str,
        indent: &'a str,
    },
    /// What the handout leaves out, from its first marker line to its last.
    Out {
        lines: Vec<&'a str>,
        why: String,
        indent: &'a str,
    },
    /// A line only the handout has, commented out in the model answer.
    Only { code: String, indent: &'a str },
}

fn comment_of(file: &str) -> &'static str {
    if file.ends_with(".toml") { "#" } else { "//" }
}

/// Reads a model answer file's markers.
fn regions<'a>(file: &str, text: &'a str) -> Result<Vec<Region<'a>>, MarkerError> {
    let c = comment_of(file);
    let bad = |line: usize, why: &str| MarkerError::Bad {
        file: file.to_string(),
        line: line + 1,
        why: why.to_string(),
    };
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let marker = |l: &str, m: &str| {
        l.trim_start()
            .strip_prefix(c)
            .and_then(|r| r.strip_prefix(' '))
            .and_then(|r| r.strip_prefix(m))
            .map(|r| r.trim_end().to_string())
    };
    let indent_of = |l: &'a str| &l[..l.len() - l.trim_start().len()];
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i];
        if let Some(rest) = marker(l, "STEP ") {
            let step = Step::parse(&rest).ok_or_else(|| {
                bad(
                    i,
                    "a STEP line is `STEP section/n script:line `code`: what`",
                )
            })?;
            let start = i;
            let mut header = vec![l];
            let mut gives = None;
            i += 1;
            while let Some(l) = lines.get(i) {
                if let Some(g) = marker(l, "gives: ") {
                    gives = Some(g);
                } else if marker(l, "hint: ").is_none() {
                    break;
                }
                header.push(l);
                i += 1;
            }
            let mut code = Vec::new();
            while i < lines.len() && marker(lines[i], "END STEP").is_none() {
                if marker(lines[i], "STEP ").is_some() {
                    return Err(bad(i, "a STEP inside a STEP"));
                }
                code.push(lines[i]);
                i += 1;
            }
            let end = *lines
                .get(i)
                .ok_or_else(|| bad(start, "a STEP with no END STEP"))?;
            if code.is_empty() {
                return Err(bad(start, "a STEP with no code"));
            }
            out.push(Region::Step {
                header,
                step,
                gives,
                code,
                end,
                indent: indent_of(l),
            });
        } else if let Some(why) = marker(l, "NOT IN HANDOUT: ") {
            let start = i;
            let mut region = vec![l];
            loop {
                i += 1;
                let l = *lines
                    .get(i)
                    .ok_or_else(|| bad(start, "a NOT IN HANDOUT with no END NOT IN HANDOUT"))?;
                region.push(l);
                if marker(l, "END NOT IN HANDOUT").is_some() {
                    break;
                }
            }
            out.push(Region::Out {
                lines: region,
                why,
                indent: indent_of(l),
            });
        } else if let Some(code) = marker(l, "HANDOUT ONLY: ") {
            out.push(Region::Only {
                code,
                indent: indent_of(l),
            });
        } else if marker(l, "END STEP").is_some() || marker(l, "END NOT IN HANDOUT").is_some() {
            return Err(bad(i, "an END with no beginning"));
        } else {
            out.push(Region::Kept(l));
        }
        i += 1;
    }
    Ok(out)
}

/// The steps a model answer file marks, in order.
pub fn steps(file: &str, text: &str) -> Result<Vec<Step>, MarkerError> {
    Ok(regions(file, text)?
        .into_iter()
        .filter_map(|r| match r {
            Region::Step { step, .. } => Some(step),
            _ => None,
        })
        .collect())
}

/// The handout's version of a model answer file.
pub fn stub(file: &str, text: &str) -> Result<String, MarkerError> {
    let c = comment_of(file);
    let mut out = String::with_capacity(text.len());
    for region in regions(file, text)? {
        match region {
            Region::Kept(l) => out.push_str(l),
            Region::Step {
                header,
                step,
                gives,
                end,
                indent,
                ..
            } => {
                header.iter().for_each(|l| out.push_str(l));
                let message = format!("{:?}", step.message());
                match gives {
                    Some(names) => out.push_str(&format!(
                        "{indent}let {names} = common::todo::step({message});\n"
                    )),
                    None => {
                        out.push_str(&format!("{indent}common::todo::step::<()>({message});\n"))
                    }
                }
                out.push_str(end);
            }
            Region::Out { why, indent, .. } => {
                out.push_str(&format!("{indent}{c} (left out of the handout: {why})\n"));
            }
            Region::Only { code, indent } => {
                out.push_str(&format!("{indent}{code} {c} HANDOUT ONLY\n"));
            }
        }
    }
    Ok(out)
}

/// A handout file with the model answer's solutions, left-out parts and
/// comments put back: the model answer's file, when nothing drifted.
pub fn restore(file: &str, handout: &str, model: &str) -> Result<String, MarkerError> {
    put_back(file, handout, model, true)
}

/// A handout file with the model answer's solutions written in, as a
/// student who finished it would have it (what the handout leaves out
/// stays out).
pub fn solve(file: &str, handout: &str, model: &str) -> Result<String, MarkerError> {
    put_back(file, handout, model, false)
}

fn put_back(file: &str, handout: &str, model: &str, all: bool) -> Result<String, MarkerError> {
    let c = comment_of(file);
    let mut solutions = Vec::new();
    let mut left_out = Vec::new();
    for region in regions(file, model)? {
        match region {
            Region::Step { code, .. } => solutions.push(code.concat()),
            Region::Out { lines, .. } => left_out.push(lines.concat()),
            _ => {}
        }
    }
    let (mut solutions, mut left_out) = (solutions.into_iter(), left_out.into_iter());
    let mut out = String::with_capacity(model.len());
    let lines: Vec<&str> = handout.split_inclusive('\n').collect();
    let bad = |line: usize, why: &str| MarkerError::Bad {
        file: file.to_string(),
        line: line + 1,
        why: why.to_string(),
    };
    let mut in_step = false;
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim_start();
        let indent = &l[..l.len() - t.len()];
        let body = t.strip_prefix(c).map(str::trim_start);
        if body.is_some_and(|b| b.starts_with("STEP ")) {
            in_step = true;
            out.push_str(l);
        } else if body.is_some_and(|b| b.starts_with("END STEP")) {
            in_step = false;
            out.push_str(l);
        } else if in_step && t.contains("common::todo::step") {
            let code = solutions
                .next()
                .ok_or_else(|| bad(i, "a step the model lacks"))?;
            out.push_str(&code);
        } else if all && body.is_some_and(|b| b.starts_with("(left out of the handout: ")) {
            let part = left_out
                .next()
                .ok_or_else(|| bad(i, "a part the model lacks"))?;
            out.push_str(&part);
        } else if let Some(code) = t
            .trim_end()
            .strip_suffix(&format!(" {c} HANDOUT ONLY"))
            .filter(|_| all)
        {
            out.push_str(&format!("{indent}{c} HANDOUT ONLY: {code}\n"));
        } else {
            out.push_str(l);
        }
    }
    Ok(out)
}

/// Every file of the handout, by its path in it: the model answer's
/// [`FILES`] (stubbed) and [`GIVEN`], the root Cargo.toml's members and
/// the README.
pub fn generate(model: &Path) -> Result<BTreeMap<String, String>, MarkerError> {
    let mut files = BTreeMap::new();
    for name in FILES.iter().chain(GIVEN.iter()) {
        let path = model.join(name);
        let text =
            std::fs::read_to_string(&path).map_err(|e| MarkerError::Read(path.clone(), e))?;
        let text = match *name {
            "Cargo.lock" => text,
            _ => stub(name, &text)?,
        };
        files.insert(name.to_string(), text);
    }
    files.insert("README.md".into(), readme());
    files.insert(".gitignore".into(), "/target\n/file_save/\n".into());
    Ok(files)
}

/// The handout with every step's solution written in: a finished
/// student's, for trying the grading on.
pub fn solved(
    model: &Path,
    mut files: BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, MarkerError> {
    for (name, text) in files.iter_mut() {
        let path = model.join(name);
        if !FILES.contains(&name.as_str()) && !GIVEN.contains(&name.as_str())
            || name == "Cargo.lock"
        {
            continue;
        }
        let original = std::fs::read_to_string(&path).map_err(|e| MarkerError::Read(path, e))?;
        *text = solve(name, text, &original)?;
    }
    Ok(files)
}

/// Writes the handout into `dir`, which must not exist or be empty, and the
/// lab's Python programs from `originals` into `dir/python` if given.
pub fn write(
    files: &BTreeMap<String, String>,
    dir: &Path,
    originals: Option<&Path>,
) -> std::io::Result<()> {
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            format!("{} is not empty", dir.display()),
        ));
    }
    for (name, text) in files {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, text)?;
    }
    if let Some(originals) = originals {
        let python = dir.join("python");
        std::fs::create_dir_all(&python)?;
        let mut names: Vec<PathBuf> = std::fs::read_dir(originals)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "py"))
            .collect();
        names.sort();
        for path in names {
            if let Some(name) = path.file_name() {
                std::fs::copy(&path, python.join(name))?;
            }
        }
    }
    Ok(())
}

/// The handout's README: what to write, in what order, how to run it
/// beside the Python, how it is graded. Chinese first, then English.
fn readme() -> String {
    include_str!("handout_readme.md").to_string()
}
