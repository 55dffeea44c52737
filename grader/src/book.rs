//! A teacher's gradebook: every student's programs graded, several at once
//! (each check waits on sockets, not on the CPU, and each has its own
//! ports and folders), into one table, a CSV file, JSON and one transcript
//! per student and program.

use crate::{Category, Protocol, Report, Subject, grade};
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// One program of one student, to grade.
pub struct Submission {
    pub student: String,
    pub subject: Subject,
}

/// Its grade.
pub struct Entry {
    pub student: String,
    pub report: Report,
}

/// Grades every submission, `jobs` at once, calling `done` as each ends;
/// the entries come back in the submissions' order.
pub fn grade_class(
    submissions: Vec<Submission>,
    jobs: usize,
    done: impl Fn(&Entry) + Sync,
) -> Vec<Entry> {
    let next = AtomicUsize::new(0);
    let graded: Mutex<Vec<(usize, Entry)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, submissions.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(submission) = submissions.get(i) else {
                        break;
                    };
                    let entry = Entry {
                        student: submission.student.clone(),
                        report: grade(&submission.subject),
                    };
                    done(&entry);
                    graded
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push((i, entry));
                }
            });
        }
    });
    let mut graded = graded.into_inner().unwrap_or_else(|p| p.into_inner());
    graded.sort_by_key(|(i, _)| *i);
    graded.into_iter().map(|(_, entry)| entry).collect()
}

/// One line of the table: the program, its points and why it lost some.
fn reason(report: &Report) -> String {
    report
        .first_failure()
        .map(|why| common::text::shorten(&why, 100).into_owned())
        .unwrap_or_else(|| "-".into())
}

/// The class as one table: student × program, points, the first failing
/// reason; then each student's total.
pub fn table(entries: &[Entry]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "| student | program | points | first failing reason |");
    let _ = writeln!(out, "|---|---|---|---|");
    for e in entries {
        let _ = writeln!(
            out,
            "| {} | {} | {}/{} | {} |",
            e.student,
            e.report.program.name(),
            e.report.scored(),
            e.report.possible(),
            reason(&e.report)
        );
    }
    let _ = writeln!(out);
    let mut students: Vec<&str> = entries.iter().map(|e| e.student.as_str()).collect();
    students.dedup();
    for student in students {
        let (scored, possible) = entries
            .iter()
            .filter(|e| e.student == student)
            .fold((0, 0), |(s, p), e| {
                (s + e.report.scored(), p + e.report.possible())
            });
        let _ = writeln!(out, "{student}: {scored}/{possible}");
    }
    out
}

/// Per program and check, how many students passed it: where a class as a
/// whole went wrong.
pub fn summary(entries: &[Entry]) -> String {
    let mut out = String::from("| program | check | passed |\n|---|---|---|\n");
    let mut programs: Vec<crate::Program> = entries.iter().map(|e| e.report.program).collect();
    programs.dedup();
    programs.sort_by_key(|p| crate::Program::ALL.iter().position(|q| q == p));
    programs.dedup();
    for program in programs {
        let reports: Vec<&Report> = entries
            .iter()
            .filter(|e| e.report.program == program)
            .map(|e| &e.report)
            .collect();
        let Some(first) = reports.first() else {
            continue;
        };
        for r in &first.results {
            let passed = reports
                .iter()
                .filter(|rep| rep.outcome(r.check) == Some(&crate::Outcome::Pass))
                .count();
            let _ = writeln!(
                out,
                "| {} | {} | {passed} of {} |",
                program.name(),
                r.check,
                reports.len()
            );
        }
    }
    out
}

/// The categories, in the CSV's column order.
pub const CATEGORIES: [Category; 5] = [
    Category::Correct,
    Category::Interop,
    Category::Robust,
    Category::Concurrent,
    Category::Safe,
];

/// The class as CSV: one row per student and program, with the points of
/// each category (`scored/possible`, empty where it has no check).
pub fn csv(entries: &[Entry]) -> String {
    let mut out = String::from("student,program,scored,possible,protocol");
    for c in CATEGORIES {
        let _ = write!(out, ",{}", c.name());
    }
    out.push_str(",first_failure\n");
    for e in entries {
        let r = &e.report;
        let protocol = match r.protocol {
            _ if !r.submitted() => "not-submitted",
            Protocol::Lab => "lab",
            Protocol::Differs(_) => "differs",
        };
        let _ = write!(
            out,
            "{},{},{},{},{protocol}",
            field(&e.student),
            r.program.name(),
            r.scored(),
            r.possible()
        );
        for c in CATEGORIES {
            match r.in_category(c) {
                (_, 0) => out.push(','),
                (s, p) => {
                    let _ = write!(out, ",{s}/{p}");
                }
            }
        }
        let _ = writeln!(out, ",{}", field(&r.first_failure().unwrap_or_default()));
    }
    out
}

/// A CSV field, quoted where it has to be.
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// Writes one transcript per student and program into `dir`
/// (`alice--tcp-server.txt`): the report, then what each check sent and
/// got back.
pub fn write_transcripts(entries: &[Entry], dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for e in entries {
        let name = format!("{}--{}.txt", e.student, e.report.program.name());
        let name: String = name
            .chars()
            .map(|c| if c == '/' || c == '\\' { '_' } else { c })
            .collect();
        std::fs::write(dir.join(name), e.report.transcript())?;
    }
    Ok(())
}

/// The JSON of every entry: each report with its student.
pub fn json(entries: &[Entry]) -> serde_json::Value {
    serde_json::Value::Array(
        entries
            .iter()
            .map(|e| {
                let mut report = e.report.json();
                report["student"] = serde_json::Value::from(e.student.clone());
                report
            })
            .collect(),
    )
}

/// True when no check of any entry failed and every program spoke the
/// lab's protocol.
pub fn all_passed(entries: &[Entry]) -> bool {
    entries.iter().all(|e| e.report.all_passed())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_where_they_must_be() {
        assert_eq!(field("alice"), "alice");
        assert_eq!(field("replied 'a,b'"), "\"replied 'a,b'\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
