//! Class folders: `grade all DIR`, where DIR holds one folder per student
//! holding their programs anywhere below it (`alice/lab2/TCP_Server.py`),
//! or one student's programs. Every student gets a row for every program
//! of the lab, a missing one "not submitted" ([`Class`]).
//!
//! In a sandbox (Linux namespaces, [`crate::sandbox`]) a script runs as it
//! is, on the port written in it: each check has a network of its own.
//! Elsewhere a Python script gets the port of each check through its
//! command line: in a copy (the student's file is not touched), the port number is
//! replaced by `int(__import__('sys').argv[1])` wherever the script sets
//! it (see [`adapt_port`]), an expression that brings no name of its own
//! into the student's code. A script whose port cannot be found runs as it
//! is, on its own port, and its report says how to run it instead.

use crate::Program;
use crate::run::{Launch, files_in};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One student's programs, with the commands that run them, and what the
/// teacher should know about how they were found.
#[derive(Debug)]
pub struct Student {
    /// The folder's name.
    pub name: String,
    pub programs: Vec<(Program, Launch)>,
    /// Which file was taken where there were several, and files that were
    /// found but cannot be run ("tcp_server.c: …").
    pub notes: Vec<String>,
    /// The file each program was taken from.
    pub sources: Vec<(Program, PathBuf)>,
    /// Programs handed in that cannot run, with why: a Rust handout
    /// workspace that does not build scores 0 on each, with the
    /// compiler's first error ([`crate::workspace`]).
    pub failed: Vec<(Program, crate::Why)>,
}

/// A class: every student, and the programs every one of them is graded
/// on (the lab's nine, and each seed program that anyone handed in), so
/// that every student's total is out of the same number.
#[derive(Debug)]
pub struct Class {
    pub students: Vec<Student>,
    pub programs: Vec<Program>,
    /// Files at the class root, which belong to no student.
    pub warnings: Vec<String>,
}

/// How a student's files are told apart: the names each program goes by
/// (the lab's, the seeds' and the teacher's `--map`), and the language
/// preferred where a student has several (`--lang`).
#[derive(Clone, Debug)]
pub struct Names {
    stems: BTreeMap<String, Program>,
    /// The extension preferred (`py`), without its dot.
    pub lang: String,
}

impl Default for Names {
    fn default() -> Names {
        let mut stems = BTreeMap::new();
        for program in Program::ALL {
            stems.insert(normal(program.file_name()), program);
        }
        // The seeds' own names for their programs (001–004).
        for (stem, program) in [
            ("serverTCP", Program::ChatServer),
            ("tcpSerSock", Program::CtimeServer),
            ("socketserver_tcp", Program::EchoServer),
            ("socketserver_udp", Program::UdpEchoServer),
            ("download_server", Program::DownloadServer),
        ] {
            stems.insert(normal(stem), program);
        }
        Names {
            stems,
            lang: "py".into(),
        }
    }
}

impl Names {
    /// Adds the names of a `--map` file: one line per program, `PROGRAM:
    /// NAME, NAME…` (`tcp-server: server1, lab2_server`), `#` for comments.
    pub fn read_map(&mut self, text: &str) -> Result<(), String> {
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or_default().trim();
            if line.is_empty() {
                continue;
            }
            let (program, names) = line
                .split_once(':')
                .ok_or_else(|| format!("line {}: expected 'PROGRAM: NAME, NAME…'", i + 1))?;
            let program = <Program as clap::ValueEnum>::from_str(program.trim(), true)
                .map_err(|_| format!("line {}: no program called {:?}", i + 1, program.trim()))?;
            for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                let stem = Path::new(name)
                    .file_stem()
                    .map_or(name.into(), |s| s.to_string_lossy());
                self.stems.insert(normal(&stem), program);
            }
        }
        Ok(())
    }

    /// The program a file's name says it is.
    fn program_of(&self, file: &Path) -> Option<Program> {
        let stem = file.file_stem()?.to_string_lossy();
        self.stems.get(&normal(&stem)).copied()
    }
}

/// A name as it is compared: lower case, `-` as `_`.
fn normal(stem: &str) -> String {
    stem.to_lowercase().replace('-', "_")
}

/// Folders that never hold a student's programs.
const SKIPPED: [&str; 6] = [
    "__pycache__",
    "target",
    "node_modules",
    "venv",
    "build",
    "dist",
];
/// How deep under a student's folder programs are looked for.
const DEPTH: usize = 8;

/// Every file under `dir` whose name is a program's, with that program
/// (hidden folders and build folders skipped; links not followed).
fn programs_under(dir: &Path, names: &Names, depth: usize, found: &mut Vec<(Program, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let Ok(kind) = e.file_type() else { continue };
        if kind.is_dir() && depth > 0 && !name.starts_with('.') && !SKIPPED.contains(&name.as_str())
        {
            programs_under(&e.path(), names, depth - 1, found);
        } else if kind.is_file()
            && let Some(program) = names.program_of(&e.path())
        {
            found.push((program, e.path()));
        }
    }
}

/// The class in `dir`: each folder in it that holds programs named like
/// the lab's, anywhere below it, is a student; files at the class root are
/// left out with a warning. A `dir` with no such folder but programs of its
/// own is one student's. Copies of adapted scripts go into `scratch`, one
/// folder per student; scripts run as they are when `adapt` is false (in
/// the sandbox). `dir` may be relative: it is made absolute first, so the
/// scores do not depend on where the grader runs.
pub fn class_folder(
    dir: &Path,
    scratch: &Path,
    python: &[String],
    adapt: bool,
    names: &Names,
) -> std::io::Result<Class> {
    let dir = dir.canonicalize()?;
    let name_of = |d: &Path| {
        d.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| d.display().to_string())
    };
    let mut folders = Vec::new();
    let mut at_root = Vec::new();
    let mut handouts = Vec::new();
    // One student's Rust handout, given as the class folder itself.
    let whole = crate::workspace::is_handout(&dir);
    if whole {
        handouts.push((name_of(&dir), dir.clone()));
    }
    for name in files_in(&dir).into_iter().filter(|_| !whole) {
        let path = dir.join(&name);
        if path.is_dir() && crate::workspace::is_handout(&path) {
            handouts.push((name, path));
        } else if path.is_dir() && !name.starts_with('.') {
            let mut found = Vec::new();
            programs_under(&path, names, DEPTH, &mut found);
            if !found.is_empty() {
                folders.push((name, path, found));
            }
        } else if path.is_file() && names.program_of(&path).is_some() {
            at_root.push(name);
        }
    }
    let mut warnings = Vec::new();
    if folders.is_empty() && handouts.is_empty() {
        // One student's own folder.
        let mut found = Vec::new();
        programs_under(&dir, names, DEPTH, &mut found);
        if !found.is_empty() {
            folders.push((name_of(&dir), dir.clone(), found));
        }
    } else {
        warnings.extend(
            at_root
                .iter()
                .map(|f| format!("{f} is at the class root, in no student's folder: left out")),
        );
    }
    let mut students = Vec::new();
    for (i, (name, base, found)) in folders.into_iter().enumerate() {
        let copies = scratch.join(format!("student-{i}"));
        std::fs::create_dir_all(&copies)?;
        students.push(choose(name, &base, found, names, python, adapt, &copies));
    }
    // Rust handouts: each built once, into a folder of its own.
    for (i, (name, base)) in handouts.into_iter().enumerate() {
        let copies = scratch.join(format!("handout-{i}"));
        std::fs::create_dir_all(&copies)?;
        eprintln!("grade: building {name}'s Rust workspace");
        let mut student = Student {
            name,
            programs: Vec::new(),
            notes: Vec::new(),
            sources: Vec::new(),
            failed: Vec::new(),
        };
        // Through `grade limit` when this is the grade binary (as tests
        // call this function from their own).
        let grade = std::env::current_exe()
            .ok()
            .filter(|exe| exe.file_stem().is_some_and(|s| s == "grade"));
        match crate::workspace::build(&base, &copies.join("target"), grade.as_deref()) {
            Ok(bin) => student.programs = crate::workspace::launches(&bin, &copies),
            Err(why) => {
                student.notes.push(why.en.clone());
                let lab = Program::ALL.into_iter().filter(|p| p.is_main_lab());
                student.failed = lab.map(|p| (p, why.clone())).collect();
            }
        }
        students.push(student);
    }
    // Every student is graded on the lab's nine, and on each seed program
    // that anyone handed in.
    let programs = Program::ALL
        .into_iter()
        .filter(|p| {
            p.is_main_lab()
                || students
                    .iter()
                    .any(|s| s.programs.iter().any(|(q, _)| q == p))
        })
        .collect();
    Ok(Class {
        students,
        programs,
        warnings,
    })
}

/// A student's programs: one file per program, among those found under
/// their folder `base`: a runnable one (a `.py` script, or an executable without an
/// extension), in the preferred language first, then the one nearest the
/// top, then by name. Notes say what was passed over.
fn choose(
    name: String,
    base: &Path,
    found: Vec<(Program, PathBuf)>,
    names: &Names,
    python: &[String],
    adapt: bool,
    copies: &Path,
) -> Student {
    let shown = |p: &Path| p.strip_prefix(base).unwrap_or(p).display().to_string();
    let mut notes = Vec::new();
    let mut programs = Vec::new();
    let mut sources = Vec::new();
    for program in Program::ALL {
        let mut candidates: Vec<&PathBuf> = found
            .iter()
            .filter(|(p, _)| *p == program)
            .map(|(_, f)| f)
            .collect();
        let (runnable, other): (Vec<&PathBuf>, Vec<&PathBuf>) =
            candidates.drain(..).partition(|f| runs(f));
        if runnable.is_empty() {
            if let Some(f) = other.first() {
                notes.push(format!(
                    "{}: found, but only .py scripts and executables are run (compile it, or hand in the .py)",
                    shown(f)
                ));
            }
            continue;
        }
        let mut runnable = runnable;
        runnable.sort_by_key(|f| {
            let ext = f
                .extension()
                .map(|e| e.to_string_lossy().to_lowercase())
                .unwrap_or_default();
            (ext != names.lang, f.components().count(), f.to_path_buf())
        });
        let chosen = runnable[0];
        if runnable.len() > 1 {
            let others: Vec<String> = runnable[1..].iter().map(|f| shown(f)).collect();
            notes.push(format!(
                "{}: {} taken, not {}",
                program.name(),
                shown(chosen),
                others.join(", ")
            ));
        }
        let file = chosen
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let launch = match chosen
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("py"))
        {
            true if adapt => python_launch(python, chosen, &copies.join(&file), copies),
            true => {
                let mut argv = python.to_vec();
                argv.extend(["-u".into(), chosen.to_string_lossy().into_owned()]);
                Launch {
                    argv,
                    cwd: copies.to_path_buf(),
                    limiter: None,
                }
            }
            false => Launch {
                argv: vec![chosen.to_string_lossy().into_owned()],
                cwd: copies.to_path_buf(),
                limiter: None,
            },
        };
        programs.push((program, launch));
        sources.push((program, chosen.clone()));
    }
    Student {
        name,
        programs,
        notes,
        sources,
        failed: Vec::new(),
    }
}

/// A source as it is compared for likeness: Python comments (from `#` to
/// the end of the line) and all white space removed; other files as they
/// are.
fn normalised(file: &Path) -> Option<Vec<u8>> {
    let bytes = std::fs::read(file).ok()?;
    if !file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("py"))
    {
        return Some(bytes);
    }
    let text = String::from_utf8_lossy(&bytes);
    Some(
        text.lines()
            .map(|l| l.split('#').next().unwrap_or_default())
            .flat_map(|l| l.chars().filter(|c| !c.is_whitespace()))
            .collect::<String>()
            .into_bytes(),
    )
}

/// For the teacher only: programs that are the same as another student's
/// once comments and white space are removed, and originals handed in
/// unchanged (`originals`: the lab's scripts, where found).
pub fn alike(students: &[Student], originals: Option<&Path>) -> Vec<String> {
    let mut flags = Vec::new();
    for program in Program::ALL {
        let mut groups: BTreeMap<Vec<u8>, Vec<&str>> = BTreeMap::new();
        for student in students {
            for (p, file) in &student.sources {
                if *p == program
                    && let Some(text) = normalised(file)
                {
                    groups.entry(text).or_default().push(&student.name);
                }
            }
        }
        let original = originals
            .map(|d| d.join(format!("{}.py", program.file_name())))
            .and_then(|f| normalised(&f));
        for (text, names) in groups {
            if Some(&text) == original.as_ref() {
                flags.push(format!(
                    "{}: the original handed in unchanged (but for comments and spacing): {}",
                    program.name(),
                    names.join(", ")
                ));
            } else if names.len() > 1 {
                flags.push(format!(
                    "{}: the same program (but for comments and spacing): {}",
                    program.name(),
                    names.join(", ")
                ));
            }
        }
    }
    flags
}

/// True for a file the grader can run: a Python script, or an executable
/// without an extension (Unix; a `.exe` on Windows).
fn runs(file: &Path) -> bool {
    match file.extension().map(|e| e.to_string_lossy().to_lowercase()) {
        Some(ext) if ext == "py" => true,
        Some(ext) if ext == "exe" => cfg!(windows),
        Some(_) => false,
        None => is_executable(file),
    }
}

#[cfg(unix)]
fn is_executable(file: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    file.metadata()
        .is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(_: &Path) -> bool {
    false
}

/// A Python script as a program under test: where [`adapt_port`] finds its
/// port, a copy at `copy` takes it from its first argument, `{port}`; a
/// script without one runs as it is, on its own port.
pub fn python_launch(python: &[String], script: &Path, copy: &Path, cwd: &Path) -> Launch {
    let text = std::fs::read_to_string(script).unwrap_or_default();
    let mut argv = python.to_vec();
    argv.push("-u".into());
    match adapt_port(&text).map(|adapted| std::fs::write(copy, adapted)) {
        Some(Ok(())) => {
            argv.push(copy.to_string_lossy().into_owned());
            argv.push("{port}".into());
        }
        _ => argv.push(script.to_string_lossy().into_owned()),
    }
    Launch {
        argv,
        cwd: cwd.to_path_buf(),
        limiter: None,
    }
}

/// What the port becomes in an adapted script: the first command-line
/// argument, through an expression that adds no name to the script.
const PORT_FROM_ARGV: &str = "int(__import__('sys').argv[1])";

/// The script with its port taken from its first argument, or `None` where
/// no port is found. A port is a number from 1024 to 65535 that the script
/// sets in one of the ways the lab's programs do:
/// - the second item of an address pair, `('127.0.0.1', 9999)` or `(HOST,
///   PORT_NUMBER)`, on a line that binds, connects, sends or names an
///   address or a server (`ip_port = (...)`, `ADDR = (...)`,
///   `sk.bind((...))`, `socketserver.ThreadingTCPServer((...), Handler)`);
/// - a constant whose name says port: `PORT = 9999`, `server_port = 9999`.
pub fn adapt_port(script: &str) -> Option<String> {
    let mut adapted = String::with_capacity(script.len() + 64);
    let mut found = false;
    for line in script.split_inclusive('\n') {
        let new = port_constant(line).or_else(|| port_in_pair(line));
        found |= new.is_some();
        adapted.push_str(new.as_deref().unwrap_or(line));
    }
    found.then_some(adapted)
}

/// `PORT = 9999` (a name with "port" in it, set to a port number), also
/// among others: `HOST, PORT = "localhost", 9999`.
fn port_constant(line: &str) -> Option<String> {
    let code = line.split('#').next().unwrap_or(line);
    let (names, values) = code.split_once('=')?;
    if values.contains('=') || values.starts_with('=') {
        return None;
    }
    let names: Vec<&str> = names.split(',').map(str::trim).collect();
    let values: Vec<&str> = values.split(',').collect();
    if names.len() != values.len() {
        return None;
    }
    let is_name = |name: &str| {
        !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && name.to_ascii_lowercase().contains("port")
    };
    let i = names
        .iter()
        .zip(&values)
        .position(|(name, value)| is_name(name) && is_port(value.trim()))?;
    // Where that value stands in the line: after the `=` and the values
    // before it.
    let value_text = values[i].trim();
    let before: usize =
        code.find('=')? + 1 + values[..i].iter().map(|v| v.len() + 1).sum::<usize>();
    let at = before + values[i].find(value_text)?;
    Some(format!(
        "{}{PORT_FROM_ARGV}{}",
        &line[..at],
        &line[at + value_text.len()..]
    ))
}

/// `(…, 9999)` on a line about an address: the number replaced.
fn port_in_pair(line: &str) -> Option<String> {
    let code = line.split('#').next().unwrap_or(line);
    let lower = code.to_ascii_lowercase();
    let about_address = [
        "bind", "connect", "sendto", "server", "addr", "port", "host",
    ]
    .iter()
    .any(|w| lower.contains(w));
    if !about_address {
        return None;
    }
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let before = code[..start].trim_end();
        let after = code[i..].trim_start();
        if before.ends_with(',')
            && after.starts_with(')')
            && before.contains('(')
            && is_port(&code[start..i])
        {
            return Some(format!("{}{PORT_FROM_ARGV}{}", &line[..start], &line[i..]));
        }
    }
    None
}

fn is_port(text: &str) -> bool {
    text.parse::<u32>()
        .is_ok_and(|n| (1024..=65535).contains(&n))
}

/// The script with each string literal that is an absolute path on a
/// Windows drive or in a home folder (`r'C:\Users\…\file_save'`, as
/// file_server.py has one; `'D:/lab2/save'`, `'/Users/alice/lab2/file_save'`,
/// `'/home/bob/save'`) cut to its last part (`file_save`), or `None` where
/// there is none. The program then keeps those files in the folder it runs
/// in, where the checks look, instead of on the student's own path on the
/// grading machine (read-only in the sandbox; elsewhere outside the
/// check's folder). Comments are left as they are.
pub fn home_paths_made_relative(script: &str) -> Option<String> {
    let mut adapted = String::with_capacity(script.len());
    let mut changed = false;
    for line in script.split_inclusive('\n') {
        let mut rest = line;
        // Each literal in turn, up to a comment.
        while let Some(i) = rest.find(['\'', '"', '#']) {
            let quote = rest.as_bytes()[i];
            let body = &rest[i + 1..];
            let end = (quote != b'#').then(|| literal_end(body, quote)).flatten();
            let Some(end) = end else { break };
            adapted.push_str(&rest[..=i]);
            match last_part_of_absolute(&body[..end]) {
                Some(part) => {
                    adapted.push_str(part);
                    changed = true;
                }
                None => adapted.push_str(&body[..end]),
            }
            rest = &body[end..];
        }
        adapted.push_str(rest);
    }
    changed.then_some(adapted)
}

/// Where the literal whose text starts `body` ends: at its closing
/// `quote`, a backslash escaping the character after it (in raw strings
/// too, as Python reads them). `None` where the line ends first.
fn literal_end(body: &str, quote: u8) -> Option<usize> {
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'\n' => return None,
            b if b == quote => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// `C:\…\file_save`, `D:/lab2`, `/Users/…/x` or `/home/…/x`: the last part.
fn last_part_of_absolute(text: &str) -> Option<&str> {
    let b = text.as_bytes();
    let drive =
        b.len() > 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && matches!(b[2], b'\\' | b'/');
    if !drive && !text.starts_with("/Users/") && !text.starts_with("/home/") {
        return None;
    }
    let last = text.split(['\\', '/']).rfind(|p| !p.is_empty())?;
    let plain = !last.ends_with(':') && !last.contains(['\'', '"', '{', '}']);
    plain.then_some(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_paths_of_a_students_machine_become_their_last_part() {
        let cases = [
            (
                "    save = r'C:\\Users\\xiaoming\\lab2\\file_save'  # 保存到这里\n",
                "    save = r'file_save'  # 保存到这里\n",
            ),
            ("SAVE = 'D:\\\\lab2\\\\save\\\\'\n", "SAVE = 'save'\n"),
            ("SAVE = \"D:/lab2/save\"\n", "SAVE = \"save\"\n"),
            (
                "p = os.path.join('/Users/alice/lab2', 'file_save')\n",
                "p = os.path.join('lab2', 'file_save')\n",
            ),
            ("d = f'/home/bob/{x}/out'\n", "d = f'out'\n"),
        ];
        for (script, adapted) in cases {
            assert_eq!(
                home_paths_made_relative(script).as_deref(),
                Some(adapted),
                "{script}"
            );
        }
        for untouched in [
            "base_path = 'file_save'\n",
            "os.open('/dev/null')\n",
            "# r'C:\\Users\\me\\save' in a comment\n",
            "print(\"don't\")  # '/home/x/y'\n",
            "url = 'http://127.0.0.1:9999/'\n",
            "d = 'C:\\\\'\n",
            "d = f'/home/bob/{name}'\n",
            "s = 'it\\'s /home/a/b'\n",
        ] {
            assert_eq!(home_paths_made_relative(untouched), None, "{untouched}");
        }
    }

    #[test]
    fn finds_the_port_wherever_the_lab_puts_it() {
        let cases = [
            (
                "ip_port = ('127.0.0.1', 9999)\n",
                "ip_port = (\'127.0.0.1\', int(__import__(\'sys\').argv[1]))\n",
            ),
            (
                "PORT = 9999  # the port\n",
                "PORT = int(__import__('sys').argv[1])  # the port\n",
            ),
            (
                "server = socketserver.ThreadingTCPServer((HOST, 9999), Server)\n",
                "server = socketserver.ThreadingTCPServer((HOST, int(__import__('sys').argv[1])), Server)\n",
            ),
            (
                "    s.bind(('', 5002))\n",
                "    s.bind(('', int(__import__('sys').argv[1])))\n",
            ),
            (
                "ADDR = (HOST, 21567)\n",
                "ADDR = (HOST, int(__import__('sys').argv[1]))\n",
            ),
            (
                "HOST, PORT = \"localhost\", 9999\n",
                "HOST, PORT = \"localhost\", int(__import__('sys').argv[1])\n",
            ),
            (
                "PORT, BUFSIZ = 9999, 1024\n",
                "PORT, BUFSIZ = int(__import__('sys').argv[1]), 1024\n",
            ),
        ];
        for (script, adapted) in cases {
            assert_eq!(adapt_port(script).as_deref(), Some(adapted), "{script}");
        }
    }

    #[test]
    fn leaves_other_numbers_alone() {
        for script in [
            "data = conn.recv(1024)\n",
            "sk.listen(5)\n",
            "print(x, 2000)\n",
            "BUFSIZ = 1024\n",
            "# bind(('', 9999))\n",
        ] {
            assert_eq!(adapt_port(script), None, "{script}");
        }
        let script = "import socket\nPORT = 9999\ns.recv(1024)\nsk.bind(('127.0.0.1', PORT))\n";
        let adapted = adapt_port(script).unwrap();
        assert!(adapted.contains("s.recv(1024)"));
        assert!(adapted.contains("sk.bind(('127.0.0.1', PORT))"));
        assert!(!adapted.contains("MyServer"));
    }

    #[test]
    fn a_relative_class_folder_is_the_same_as_an_absolute_one() {
        let class = tempfile::tempdir().unwrap();
        let alice = class.path().join("alice");
        std::fs::create_dir(&alice).unwrap();
        std::fs::write(
            alice.join("tcp_server.py"),
            "ip_port = ('127.0.0.1', 9999)\n",
        )
        .unwrap();
        std::fs::write(alice.join("notes.txt"), "not a program").unwrap();
        let scratch = tempfile::tempdir().unwrap();
        let python = vec!["python3".to_string()];
        let students = class_folder(
            class.path(),
            scratch.path(),
            &python,
            true,
            &Names::default(),
        )
        .unwrap()
        .students;
        assert_eq!(students.len(), 1);
        assert_eq!(students[0].name, "alice");
        let (program, launch) = &students[0].programs[0];
        assert_eq!(*program, Program::TcpServer);
        assert!(launch.takes_port());
        assert!(Path::new(&launch.argv[2]).is_absolute());
        // One student's own folder.
        let one = class_folder(&alice, scratch.path(), &python, true, &Names::default())
            .unwrap()
            .students;
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].name, "alice");
    }
}
