//! `context-switches`: a pool of more and more threads serving the same
//! sign-ins, each server a process of its own (`bench model-server --model
//! pool --workers N`), each sign-in blocking its thread for [`WORK_MS`]
//! first (the seed's paragraph is about threads that block): its threads'
//! context switches per sign-in, from the OS, and the total time.

use super::*;

/// The seed's sentence this experiment measures, verbatim.
pub(super) const CLAIM: &str = "随着线程数的增加，线程将消耗越来越多的系统资源。这将最终导致系统花费更多的时间来处理上下文转换和线程管理，更少的时间来对连接进行服务。那种情况下，加入一个额外的线程实际上可能增加客户端总服务时间。";

/// How long each sign-in blocks its thread, in ms, as a handler waiting
/// on a disk or a database would.
pub(super) const WORK_MS: u64 = 1;

/// One pool size's figures: context switches per sign-in, and the total
/// time of the sign-ins in ms, each (median, min, max) of the repeats.
#[derive(Clone, Copy, Debug)]
pub(super) struct Level {
    pub threads: usize,
    pub switches: (f64, f64, f64),
    pub total_ms: (f64, f64, f64),
}

pub(super) fn context_switches(scale: Scale, bar: &ProgressBar) -> Result<Finding> {
    let levels: Vec<usize> = if scale.quick {
        vec![2, 16, 128]
    } else {
        vec![2, 8, 32, 128, 512]
    };
    let (total, concurrency, repeats) = (scale.n(1_000, 4_000), 512, 3);
    let exe = bench_binary()?;
    bar.set_length((levels.len() * repeats) as u64);
    let mut csv =
        String::from("threads,trial,voluntary_per_signin,involuntary_per_signin,total_ms,failed\n");
    let mut figures = serde_json::Map::new();
    let mut rows = Vec::new();
    for &threads in &levels {
        // Each trial: (voluntary, involuntary) switches per sign-in, and ms.
        let mut trials: Vec<(f64, f64, f64)> = Vec::new();
        for trial in 0..repeats {
            step(
                bar,
                format!("context-switches: a pool of {threads}, trial {}", trial + 1),
            );
            let args = [
                "model-server",
                "--model",
                "pool",
                "--workers",
                &threads.to_string(),
            ];
            let target = crate::signin::Target {
                name: format!("pool of {threads}"),
                kind: crate::signin::Kind::Rust(exe.clone(), args.map(String::from).to_vec()),
            };
            let row =
                crate::signin::measure(&target, MODELS_BACKLOG, concurrency, total, WORK_MS, WAIT)?;
            let Some((voluntary, involuntary)) = row.switches else {
                anyhow::bail!("this OS does not tell a process's context switches (/proc)");
            };
            let per = |n: u64| n as f64 / total as f64;
            let took = total as f64 / row.report.per_sec().max(1e-9) * 1e3;
            let (v, i) = (per(voluntary), per(involuntary));
            let failed = row.report.failed;
            let _ = writeln!(
                csv,
                "{threads},{},{v:.3},{i:.3},{took:.1},{failed}",
                trial + 1
            );
            trials.push((v, i, took));
        }
        let all: Vec<f64> = trials.iter().map(|t| t.0 + t.1).collect();
        let took: Vec<f64> = trials.iter().map(|t| t.2).collect();
        let level = Level {
            threads,
            switches: spread(&all),
            total_ms: spread(&took),
        };
        // The voluntary and involuntary parts of the median trial.
        let median = trials
            .iter()
            .find(|t| t.0 + t.1 == level.switches.0)
            .copied();
        let (voluntary, involuntary, _) = median.unwrap_or_default();
        figures.insert(
            format!("pool of {threads}"),
            json!({
                "switches_per_signin": level.switches.0,
                "switches_min": level.switches.1,
                "switches_max": level.switches.2,
                "voluntary_per_signin": voluntary,
                "involuntary_per_signin": involuntary,
                "total_ms": level.total_ms.0,
                "total_ms_min": level.total_ms.1,
                "total_ms_max": level.total_ms.2,
            }),
        );
        rows.push(level);
    }
    let (verdict, why) = switches_verdict(&rows);
    figures.insert("signins".into(), json!(total));
    figures.insert("clients_at_once".into(), json!(concurrency));
    let series =
        |f: fn(&Level) -> f64| rows.iter().map(|l| (l.threads.to_string(), f(l))).collect();
    let sizes: Vec<String> = levels.iter().map(|t| t.to_string()).collect();
    Ok(Finding {
        name: "context-switches",
        claim: CLAIM,
        seed: "000 §2.4",
        verdict,
        reason: format!(
            "{total} sign-ins, {concurrency} clients at once, each blocking its thread {WORK_MS} ms, served by pools of {} threads, each a process of its own, {repeats} trials each: {why}",
            sizes.join(", ")
        ),
        figures: Value::Object(figures),
        csv,
        chart: vec![
            (
                "context switches per sign-in".into(),
                series(|l| l.switches.0),
            ),
            ("total time, s".into(), series(|l| l.total_ms.0 / 1e3)),
        ],
        unit: "switches per sign-in; seconds (x: threads in the pool)",
        spreads: rows
            .iter()
            .flat_map(|l| {
                let x = l.threads.to_string();
                [
                    (
                        "context switches per sign-in".to_string(),
                        x.clone(),
                        l.switches.1,
                        l.switches.2,
                    ),
                    (
                        "total time, s".to_string(),
                        x,
                        l.total_ms.1 / 1e3,
                        l.total_ms.2 / 1e3,
                    ),
                ]
            })
            .collect(),
    })
}

/// Two sentences, each judged by its own figures: switches per sign-in
/// rise with the threads (the most threads' lowest trial above the fewest
/// threads' highest), and adding threads made the total time worse (the
/// most threads' fastest trial slower than the best level's slowest).
pub(super) fn switches_verdict(levels: &[Level]) -> (String, String) {
    let (Some(few), Some(many)) = (levels.first(), levels.last()) else {
        return ("skipped: nothing measured".into(), String::new());
    };
    let best = levels
        .iter()
        .min_by(|a, b| a.total_ms.0.total_cmp(&b.total_ms.0))
        .unwrap_or(few);
    let more_switches = many.switches.1 > few.switches.2;
    let slower = many.total_ms.1 > best.total_ms.2;
    let why = format!(
        "{:.2} context switches per sign-in (voluntary and involuntary, the OS's count) with {} threads, {:.2} with {} (min–max {:.2}–{:.2} and {:.2}–{:.2}); the sign-ins took {:.0} ms in all with {} threads (min–max {:.0}–{:.0}), and {:.0} ms with {}, the fastest level",
        few.switches.0,
        few.threads,
        many.switches.0,
        many.threads,
        few.switches.1,
        few.switches.2,
        many.switches.1,
        many.switches.2,
        many.total_ms.0,
        many.threads,
        many.total_ms.1,
        many.total_ms.2,
        best.total_ms.0,
        best.threads
    );
    let verdict = super::two_parts(
        more_switches,
        slower,
        "more threads made more context switches, but no measurable rise in total time",
        "the total time rose with the threads, but the context switches per sign-in did not measurably",
    );
    (verdict, why)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(threads: usize, switches: f64, total: f64) -> Level {
        Level {
            threads,
            switches: (switches, switches * 0.95, switches * 1.05),
            total_ms: (total, total * 0.95, total * 1.05),
        }
    }

    #[test]
    fn the_verdict_follows_the_figures_both_ways() {
        let holds = [
            level(2, 2.0, 500.0),
            level(32, 3.0, 450.0),
            level(512, 6.0, 700.0),
        ];
        assert_eq!(switches_verdict(&holds).0, "holds");
        let flat = [level(2, 2.0, 500.0), level(512, 2.0, 500.0)];
        assert_eq!(switches_verdict(&flat).0, "does not hold here");
        let part = [level(2, 2.0, 500.0), level(512, 6.0, 500.0)];
        assert!(switches_verdict(&part).0.starts_with("holds only in part"));
    }
}
