//! The Python→Rust table that opens each exercise file of the main lab
//! (`| tcp_server.py, line: code | here |`) is the map a student reads the
//! port by: every line number it cites must hold the code it cites, in the
//! original beside the workspace.

use crate::util::originals;
use std::path::Path;

/// The exercise files with a table, from the workspace root.
const FILES: [&str; 10] = [
    "tcp-basic/src/server.rs",
    "tcp-basic/src/client.rs",
    "udp-basic/src/server.rs",
    "udp-basic/src/client.rs",
    "multithread/src/server.rs",
    "multithread/src/client.rs",
    "threadpool-server/src/lib.rs",
    "threadpool-server/src/event.rs",
    "file-transfer/src/server.rs",
    "file-transfer/src/client.rs",
];

/// Each row of a file's table: (script, line, cited code).
fn rows(text: &str) -> Vec<(String, usize, String)> {
    let mut script = None;
    let mut rows = Vec::new();
    for line in text.lines() {
        let Some(row) = line.strip_prefix("//! |") else {
            continue;
        };
        // The first cell: up to a `|` that is not escaped (`\|`).
        let end = row
            .char_indices()
            .find(|&(i, c)| c == '|' && !row[..i].ends_with('\\'))
            .map_or(row.len(), |(i, _)| i);
        let first = row[..end].trim().replace("\\|", "|");
        let first = first.as_str();
        if let Some(name) = first.strip_suffix(", line: code") {
            script = Some(name.to_string());
            continue;
        }
        let (Some(script), Some((number, code))) = (&script, first.split_once(": ")) else {
            continue;
        };
        let Ok(number) = number.trim().parse::<usize>() else {
            continue;
        };
        // The code is the first `…` in the cell; a note may follow it.
        let code = code.split('`').nth(1).unwrap_or(code);
        rows.push((script.clone(), number, code.to_string()));
    }
    rows
}

/// True when `line` holds `code`, where `…` in the code stands for any
/// text.
fn holds(line: &str, code: &str) -> bool {
    let mut rest = line;
    for part in code.split('…').filter(|p| !p.is_empty()) {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

#[test]
fn a_row_holds_the_code_only_where_it_is() {
    let text = "//! | tcp_server.py, line: code | here |\n//! |---|---|\n//! | 25: `conn.recv(1024)` | x |\n";
    assert_eq!(
        rows(text),
        [("tcp_server.py".into(), 25, "conn.recv(1024)".into())]
    );
    assert!(holds(
        "    client_data = conn.recv(1024)",
        "conn.recv(1024)"
    ));
    assert!(holds(
        "conn.sendall('不要回答,不要回答'.encode())",
        "conn.sendall('不要回答…'.encode())"
    ));
    assert!(!holds("print(x)", "conn.recv(1024)"));
}

#[test]
#[cfg_attr(
    not(python_originals),
    ignore = "needs the originals (../shared/originals or PY_ORIGINALS)"
)]
fn every_table_cites_the_line_that_holds_its_code() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut wrong = Vec::new();
    let mut checked = 0;
    for file in FILES {
        let text = std::fs::read_to_string(workspace.join(file)).unwrap();
        let rows = rows(&text);
        assert!(!rows.is_empty(), "{file} has no Python→Rust table");
        for (script, number, code) in rows {
            let original = std::fs::read_to_string(originals().join(&script)).unwrap();
            let line = original.lines().nth(number - 1).unwrap_or_default();
            checked += 1;
            if !holds(line, &code) {
                wrong.push(format!(
                    "{file}: {script}:{number} is {:?}, not `{code}`",
                    line.trim()
                ));
            }
        }
    }
    assert!(checked > 50, "only {checked} rows read");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
