//! Class folders: `grade all DIR`, where DIR holds one student's programs
//! (`tcp_server.py`, `udp_client`, …) or one folder per student holding
//! theirs.
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
use std::path::Path;

/// One student's programs, with the commands that run them.
#[derive(Debug)]
pub struct Student {
    /// The folder's name.
    pub name: String,
    pub programs: Vec<(Program, Launch)>,
}

/// The students in `dir`: `dir` itself when it holds programs named like
/// the lab's, else each folder in it that does. Copies of adapted scripts
/// go into `scratch`, one folder per student. `dir` may be relative: it is
/// made absolute first, so the scores do not depend on where the grader
/// runs.
pub fn class_folder(
    dir: &Path,
    scratch: &Path,
    python: &[String],
    adapt: bool,
) -> std::io::Result<Vec<Student>> {
    let dir = dir.canonicalize()?;
    let name_of = |d: &Path| {
        d.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| d.display().to_string())
    };
    let one = programs_in(&dir, &scratch.join("student"), python, adapt)?;
    if !one.is_empty() {
        return Ok(vec![Student {
            name: name_of(&dir),
            programs: one,
        }]);
    }
    let mut students = Vec::new();
    for (i, name) in files_in(&dir).into_iter().enumerate() {
        let folder = dir.join(&name);
        if !folder.is_dir() {
            continue;
        }
        let programs = programs_in(
            &folder,
            &scratch.join(format!("student-{i}")),
            python,
            adapt,
        )?;
        if !programs.is_empty() {
            students.push(Student { name, programs });
        }
    }
    Ok(students)
}

/// The programs in one student's folder, each with its command.
fn programs_in(
    dir: &Path,
    copies: &Path,
    python: &[String],
    adapt: bool,
) -> std::io::Result<Vec<(Program, Launch)>> {
    let files = files_in(dir);
    let mut found = Vec::new();
    for program in Program::ALL {
        let Some(file) = files.iter().find(|f| {
            let stem = f.split('.').next().unwrap_or(f);
            stem == program.file_name() && dir.join(f).is_file()
        }) else {
            continue;
        };
        std::fs::create_dir_all(copies)?;
        let path = dir.join(file);
        let launch = if file.ends_with(".py") && adapt {
            python_launch(python, &path, &copies.join(file), copies)
        } else if file.ends_with(".py") {
            let mut argv = python.to_vec();
            argv.extend(["-u".into(), path.to_string_lossy().into_owned()]);
            Launch {
                argv,
                cwd: copies.to_path_buf(),
                limiter: None,
            }
        } else {
            Launch {
                argv: vec![path.to_string_lossy().into_owned()],
                cwd: copies.to_path_buf(),
                limiter: None,
            }
        };
        found.push((program, launch));
    }
    Ok(found)
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

#[cfg(test)]
mod tests {
    use super::*;

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
        let students = class_folder(class.path(), scratch.path(), &python, true).unwrap();
        assert_eq!(students.len(), 1);
        assert_eq!(students[0].name, "alice");
        let (program, launch) = &students[0].programs[0];
        assert_eq!(*program, Program::TcpServer);
        assert!(launch.takes_port());
        assert!(Path::new(&launch.argv[2]).is_absolute());
        // One student's own folder.
        let one = class_folder(&alice, scratch.path(), &python, true).unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].name, "alice");
    }
}
