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
        .map(|why| common::text::shorten(&why.en, 100).into_owned())
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
        let first = r.first_failure().unwrap_or_default();
        let _ = writeln!(out, ",{}", field(&first.en));
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
        let name = format!("{}--{}.txt", file_name(&e.student), e.report.program.name());
        std::fs::write(dir.join(name), e.report.transcript())?;
    }
    Ok(())
}

/// One student's feedback, in Markdown, in the lab's language first and
/// then in English: their total, a table per program, and for each lost
/// point why and what was sent and what came back.
pub fn feedback(student: &str, entries: &[Entry]) -> String {
    let mine: Vec<&Entry> = entries.iter().filter(|e| e.student == student).collect();
    let (scored, possible) = mine.iter().fold((0, 0), |(s, p), e| {
        (s + e.report.scored(), p + e.report.possible())
    });
    let mut out = String::new();
    let _ = writeln!(out, "# {student}：评分反馈 / grading feedback\n");
    let _ = writeln!(out, "总分 / Total: **{scored} / {possible}**\n");
    let _ = writeln!(
        out,
        "每个程序的每项检查都重新启动你的程序；下面列出每个失分项的检查方法和原因，以及评分程序发送了什么、收到了什么。\n\
         Each check starts your program afresh; for every point lost, how it is checked, the reason and what the grader sent and got back are below.\n"
    );
    for e in &mine {
        let r = &e.report;
        let _ = writeln!(
            out,
            "## {}（{}）: {} / {}\n",
            r.program.zh_name(),
            r.program.name(),
            r.scored(),
            r.possible()
        );
        if !r.submitted() {
            let _ = writeln!(out, "未提交 / not submitted: 0 / {}\n", r.possible());
            continue;
        }
        if let Protocol::Differs(why) = &r.protocol {
            let _ = writeln!(
                out,
                "注意 / Note: 它使用的协议与实验要求不同：{} / it speaks another protocol: {}\n",
                why.zh, why.en
            );
        }
        let _ = writeln!(
            out,
            "| 检查 / check | 结果 / result | 得分 / points |\n|---|---|---|"
        );
        for g in &r.results {
            let (result, got) = match &g.outcome {
                crate::Outcome::Pass => ("通过 / pass", g.points),
                crate::Outcome::Fail(_) => ("未通过 / **fail**", 0),
                crate::Outcome::Skip(_) => ("未能检查 / not checked", 0),
                crate::Outcome::NotGraded(_) => ("不评分 / not graded", 0),
            };
            let _ = writeln!(
                out,
                "| {}<br>{} | {result} | {got}/{} |",
                g.zh, g.check, g.points
            );
        }
        let _ = writeln!(out);
        // Each check's description, found by its name (unique in a program).
        let checks = r.program.checks();
        for g in r
            .results
            .iter()
            .filter(|g| g.outcome != crate::Outcome::Pass)
        {
            let _ = writeln!(out, "### {} / {}\n", g.zh, g.check);
            if let Some(c) = checks.iter().find(|c| c.name == g.check) {
                let _ = writeln!(
                    out,
                    "检查方法 / How it is checked: {} / {}\n",
                    c.does_zh, c.does
                );
            }
            if let Some(why) = g.outcome.why() {
                let _ = writeln!(out, "原因 / Why: {why}\n");
            }
            if !g.transcript.is_empty() {
                let _ = writeln!(out, "过程 / What happened:\n\n```text");
                for line in &g.transcript {
                    let _ = writeln!(out, "{line}");
                }
                let _ = writeln!(out, "```\n");
            }
        }
    }
    out
}

/// A student's name as a file name: `/` and `\\` become `_`.
fn file_name(student: &str) -> String {
    student
        .chars()
        .map(|c| if c == '/' || c == '\\' { '_' } else { c })
        .collect()
}

/// Writes one feedback file per student into `dir` (`alice.md`), leaving
/// other students' files as they are.
pub fn write_feedback(entries: &[Entry], dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut students: Vec<&str> = entries.iter().map(|e| e.student.as_str()).collect();
    students.dedup();
    for student in students {
        let path = dir.join(format!("{}.md", file_name(student)));
        std::fs::write(path, feedback(student, entries))?;
    }
    Ok(())
}

/// `existing` (a CSV this grader wrote) with the rows of `students`
/// replaced by those in `new` (another CSV of the same columns): where
/// their first row stood, else at the end. For `--only`.
pub fn merge_csv(existing: &str, new: &str, students: &[&str]) -> String {
    let student_of = |line: &str| -> String {
        match line.strip_prefix('"') {
            Some(rest) => {
                // A quoted field ends at a quote not doubled.
                let mut out = String::new();
                let mut chars = rest.chars().peekable();
                while let Some(c) = chars.next() {
                    match (c, chars.peek()) {
                        ('"', Some('"')) => {
                            out.push('"');
                            chars.next();
                        }
                        ('"', _) => break,
                        (c, _) => out.push(c),
                    }
                }
                out
            }
            None => line.split(',').next().unwrap_or_default().to_string(),
        }
    };
    let mut lines = existing.lines();
    let header = lines.next().unwrap_or_default();
    let fresh: Vec<&str> = new.lines().skip(1).collect();
    let mut out = format!("{header}\n");
    let mut placed = false;
    for line in lines {
        if students.contains(&student_of(line).as_str()) {
            if !placed {
                for f in &fresh {
                    let _ = writeln!(out, "{f}");
                }
                placed = true;
            }
            continue;
        }
        let _ = writeln!(out, "{line}");
    }
    if !placed {
        for f in &fresh {
            let _ = writeln!(out, "{f}");
        }
    }
    out
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
    fn a_merged_csv_replaces_one_students_rows_in_place() {
        let existing = "student,program\nalice,tcp-server\n\"b,ob\",tcp-server\n\"b,ob\",udp-server\ncarol,tcp-server\n";
        let new = "student,program\n\"b,ob\",tcp-client\n";
        assert_eq!(
            merge_csv(existing, new, &["b,ob"]),
            "student,program\nalice,tcp-server\n\"b,ob\",tcp-client\ncarol,tcp-server\n"
        );
        assert_eq!(
            merge_csv(
                "student,program\nalice,x\n",
                "student,program\ndan,y\n",
                &["dan"]
            ),
            "student,program\nalice,x\ndan,y\n"
        );
    }

    #[test]
    fn csv_fields_are_quoted_where_they_must_be() {
        assert_eq!(field("alice"), "alice");
        assert_eq!(field("replied 'a,b'"), "\"replied 'a,b'\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
