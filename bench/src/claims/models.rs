//! C5, `models`: a pool against a thread per connection, and the
//! event-driven server: sign-ins/s, p99, failures, peak threads and RSS, each
//! server a process of its own (`bench model-server`).

use super::*;

/// The seed's sentence this experiment measures, verbatim (`…` where
/// the quote skips; our own words marked so).
pub(super) const CLAIM: &str = "由于线程池中线程是创建好的，所以在效率上相对于多线程会高很多。…线程池也在高并发的情况下有着较好的性能；不容易挂掉。多线程在创建线程数较多的情况下，很容易挂掉。";

/// The three sign-in servers that `models` and `slow-clients` compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum ModelName {
    /// multithread: a thread per connection
    Thread,
    /// threadpool-server: a pool of ten
    Pool,
    /// threadpool-server's event-server: one thread, a task per connection
    Event,
}

impl ModelName {
    pub(super) const ALL: [ModelName; 3] = [ModelName::Thread, ModelName::Pool, ModelName::Event];

    pub(super) fn label(self) -> &'static str {
        match self {
            ModelName::Thread => "thread per connection",
            ModelName::Pool => "thread pool (10)",
            ModelName::Event => "event-driven",
        }
    }

    /// Its value for `bench model-server --model`.
    pub(super) fn arg(self) -> &'static str {
        match self {
            ModelName::Thread => "thread",
            ModelName::Pool => "pool",
            ModelName::Event => "event",
        }
    }
}

/// Serves sign-ins with `model` on `listener` until `stop`, printing
/// nothing: the body of `bench model-server`, and of `slow-clients`' servers.
/// `workers` is the pool's size (the other models have none); each sign-in
/// waits `pause` first, as a handler that blocks on I/O would.
pub fn run_model(
    model: ModelName,
    workers: usize,
    pause: Duration,
    listener: &TcpListener,
    opts: &common::cli::ServerOpts,
    stop: &common::stop::Stop,
) {
    let out = common::log::Output::discard();
    match model {
        ModelName::Thread => multithread::server::run(listener, opts, pause, stop, &out),
        ModelName::Pool => threadpool_server::run(listener, workers, opts, pause, stop, &out),
        ModelName::Event => {
            if let Err(e) = threadpool_server::event::run(listener, opts, pause, stop, &out) {
                eprintln!("bench: the event-driven server failed: {e}");
            }
        }
    }
}

/// Starts `model` in this process on a fresh listener; returns its
/// address, stop switch and thread.
pub(super) fn start_model(
    model: ModelName,
    idle: Duration,
) -> Result<(SocketAddr, common::stop::Stop, thread::JoinHandle<()>)> {
    let listener = common::net::listen(loopback(), 1024)?;
    let addr = listener.local_addr()?;
    let stop = common::stop::Stop::new(Duration::from_secs(1));
    let opts = common::cli::ServerOpts::for_tests(idle);
    let s = stop.clone();
    let handle = thread::spawn(move || {
        run_model(
            model,
            threadpool_server::WORKERS,
            Duration::ZERO,
            &listener,
            &opts,
            &s,
        )
    });
    Ok((addr, stop, handle))
}

/// The running `bench` binary, which `models` and `lossy-link` start again
/// as a helper process (`bench model-server`, `bench lossy-worker`).
pub(super) fn bench_binary() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot find the bench binary")?;
    anyhow::ensure!(
        exe.file_stem().is_some_and(|s| s == "bench"),
        "this experiment starts the bench binary again; run it as `bench claims`, not from {}",
        exe.display()
    );
    Ok(exe)
}

/// The listen backlog of every model in `models`: as deep as Linux allows
/// by default (`somaxconn`); the clients are paced besides, so that the
/// queue never holds more than half of it and no SYN is dropped.
pub(super) const MODELS_BACKLOG: i32 = 4096;

/// One run of `model` at `c` clients held at once, `rounds` times, each
/// server a process of its own measured from outside (peak RSS, threads,
/// CPU), under `cap` if given. Returns the run and the SYNs retransmitted
/// and dropped by the kernel meanwhile (None where unreadable).
fn held_run(
    exe: &Path,
    model: ModelName,
    c: usize,
    rounds: usize,
    cap: Option<&grader::run::ThreadCap>,
) -> Result<(crate::signin::Row, Option<u64>)> {
    let target = crate::signin::Target {
        name: model.label().into(),
        kind: crate::signin::Kind::Rust(
            exe.to_path_buf(),
            vec!["model-server".into(), "--model".into(), model.arg().into()],
        ),
    };
    let before = crate::load::syn_counters();
    let room = MODELS_BACKLOG as usize / 2;
    let row = crate::signin::measure_with(
        &target,
        MODELS_BACKLOG,
        c,
        0,
        |pid| cap.map_or(Ok(()), |cap| Ok(cap.add(pid)?)),
        |addr| {
            let mut all = crate::load::LoadReport::default();
            for _ in 0..rounds {
                let r = crate::load::hold_then_sign_in(addr, c, room, Duration::from_secs(20));
                all.ok += r.ok;
                all.failed += r.failed;
                all.latencies.extend(r.latencies);
                all.elapsed += r.elapsed;
                all.cpu += r.cpu;
                all.first_error = all.first_error.or(r.first_error);
            }
            all.latencies.sort();
            all
        },
    )?;
    let after = crate::load::syn_counters();
    let dropped = after
        .zip(before)
        .map(|(a, b)| (a.0 + a.1 + a.2).saturating_sub(b.0 + b.1 + b.2));
    Ok((row, dropped))
}

pub(super) fn models(scale: Scale, bar: &ProgressBar) -> Result<Finding> {
    let mut levels: Vec<usize> = if scale.quick {
        vec![1, 10, 100]
    } else {
        vec![1, 10, 100, 1000, 10_000]
    };
    let mut notes = Vec::new();
    // Each client held holds a socket in this process (and the server, a
    // process of its own, one more): raise the open-file soft limit to the
    // hard limit, and leave out what still does not fit.
    let files = rlimit::increase_nofile_limit(u64::MAX).ok();
    if let Some(files) = files {
        notes.push(format!("open-file limit raised to {files}"));
        levels.retain(|&c| {
            let fits = c as u64 + 256 <= files;
            if !fits {
                notes.push(format!(
                    "{c} clients at once are out of reach: at most {files} open files"
                ));
            }
            fits
        });
    }
    // At least this many sign-ins per run: the clients held at once sign
    // in together, as many rounds as it takes.
    let total = scale.n(300, 1_000);
    let repeats = 3;
    let exe = bench_binary()?;
    let mut csv = String::from(
        "model,clients_held,rate_per_s,p99_ms,failed,peak_rss_kb,peak_threads,server_cpu_us_per_signin,syns_dropped_or_retransmitted\n",
    );
    let mut figures = serde_json::Map::new();
    let (mut chart, mut spreads) = (Vec::new(), Vec::new());
    let mut rows = std::collections::HashMap::new();
    let mut syns_total: Option<u64> = Some(0);
    bar.set_length(
        (ModelName::ALL.len() * levels.len() * repeats + ModelName::ALL.len()) as u64 + 1,
    );
    for model in ModelName::ALL {
        let name = model.label();
        let mut series = Vec::new();
        for &c in &levels {
            // Three runs, each a fresh server: the run with the median
            // rate is kept whole, with the rates' and p99s' spread.
            let mut runs = Vec::new();
            for trial in 0..repeats {
                step(
                    bar,
                    format!("models: {name}, {c} held at once, run {}", trial + 1),
                );
                let (row, syns) = held_run(&exe, model, c, total.div_ceil(c), None)?;
                syns_total = syns_total.zip(syns).map(|(a, b)| a + b);
                runs.push(row);
            }
            let p99_of = |r: &crate::signin::Row| r.report.percentile(0.99).as_secs_f64() * 1e3;
            let rates = spread(&runs.iter().map(|r| r.report.per_sec()).collect::<Vec<_>>());
            let p99s = spread(&runs.iter().map(p99_of).collect::<Vec<_>>());
            runs.sort_by(|a, b| a.report.per_sec().total_cmp(&b.report.per_sec()));
            let row = runs.swap_remove(1);
            let report = &row.report;
            let p99 = p99_of(&row);
            let cpu_us =
                row.server_cpu.as_secs_f64() * 1e6 / (report.ok + report.failed).max(1) as f64;
            let _ = writeln!(
                csv,
                "{name},{c},{:.0},{p99:.2},{},{},{},{cpu_us:.1},{}",
                report.per_sec(),
                report.failed,
                row.peak_rss_kib,
                row.peak_threads,
                syns_total.map_or("unknown".into(), |n| n.to_string()),
            );
            figures.insert(
                format!("{name} @ {c}"),
                json!({
                    "rate": report.per_sec().round(),
                    "rate_min": rates.1.round(),
                    "rate_max": rates.2.round(),
                    "p99_ms": p99,
                    "p99_ms_min": p99s.1,
                    "p99_ms_max": p99s.2,
                    "failed": report.failed,
                    "rss_kb": row.peak_rss_kib,
                    "threads": row.peak_threads,
                    "server_cpu_us_per_signin": cpu_us,
                    "first_failure": report.first_error,
                }),
            );
            series.push((format!("{c}"), report.per_sec()));
            spreads.push((name.to_string(), format!("{c}"), rates.1, rates.2));
            rows.insert((model, c), row);
        }
        chart.push((name.to_string(), series));
    }
    let top = *levels.last().unwrap_or(&1);
    // Where thread per connection falls over: each model again, with its
    // threads capped (the pool's ten workers and the runtime's own threads
    // fit) and more clients held than the cap. Not at the top level: each
    // thread refused costs the accept loop a 50 ms pause.
    let (cap_max, cap_clients) = if scale.quick { (64, 100) } else { (100, 300) };
    let mut capped = serde_json::Map::new();
    match grader::run::ThreadCap::new(&cap_max.to_string()) {
        Ok(cap) => {
            for model in ModelName::ALL {
                step(
                    bar,
                    format!(
                        "models: {}, {cap_clients} held, threads capped at {cap_max}",
                        model.label()
                    ),
                );
                let (row, _) = held_run(&exe, model, cap_clients, 1, Some(&cap))?;
                capped.insert(
                    model.label().to_string(),
                    json!({"failed": row.report.failed, "threads": row.peak_threads}),
                );
            }
        }
        Err(why) => notes.push(format!("the thread cap was skipped: {why}")),
    }
    figures.insert("capped_threads".into(), json!(cap_max));
    figures.insert("capped_clients".into(), json!(cap_clients));
    figures.insert("capped".into(), Value::Object(capped.clone()));
    step(bar, "models: the cost of one thread");
    let (thread_cost_us, cost_min, cost_max) = thread_cost(&mut figures)?;
    figures.insert("open_file_limit".into(), json!(files));
    figures.insert("syns_dropped_or_retransmitted".into(), json!(syns_total));

    let at_top = |model| rows.get(&(model, top));
    let rate = |model| at_top(model).map_or(0.0, |r: &crate::signin::Row| r.report.per_sec());
    let failed = |model| at_top(model).map_or(0, |r: &crate::signin::Row| r.report.failed);
    let threads = |model| at_top(model).map_or(0, |r: &crate::signin::Row| r.peak_threads);
    let rss_mb =
        |model| at_top(model).map_or(0.0, |r: &crate::signin::Row| r.peak_rss_kib as f64 / 1024.0);
    let ratio = rate(ModelName::Pool) / rate(ModelName::Thread).max(1.0);
    figures.insert("pool_vs_thread_at_top".into(), json!(ratio));
    let capped_failed =
        |model: ModelName| capped[model.label()]["failed"].as_u64().map(|n| n as usize);
    let under_cap = capped_failed(ModelName::Thread).zip(capped_failed(ModelName::Pool));
    let verdict = models_verdict(&Scaled {
        ratio,
        top,
        pool_failed: failed(ModelName::Pool),
        thread_failed: failed(ModelName::Thread),
        threads: threads(ModelName::Thread),
        rss_mb: rss_mb(ModelName::Thread),
        cap: under_cap.map(|(thread, pool)| (cap_max, thread, pool)),
    });
    let model_figures = |model: ModelName| {
        format!(
            "{} {:.0}/s, {} failed, {} threads, {:.0} MiB",
            model.label(),
            rate(model),
            failed(model),
            threads(model),
            rss_mb(model)
        )
    };
    let capped_said = match under_cap {
        Some((thread, pool)) => format!(
            "With its threads capped at {cap_max} (a pids cgroup, as a container's limit would) and {cap_clients} clients held, thread per connection failed {thread} of {cap_clients} sign-ins, the pool {pool}, event-driven {}",
            capped_failed(ModelName::Event).unwrap_or(0)
        ),
        None => "The thread cap could not be set here".to_string(),
    };
    Ok(Finding {
        name: "models",
        claim: CLAIM,
        seed: "000 §2.4 (3)",
        verdict,
        reason: format!(
            "{top} clients connected and held at once, then signing in at once (each server a process of its own, backlog {MODELS_BACKLOG}, the connects paced so that the accept queue never filled: {} SYNs dropped or retransmitted in all), the median of {repeats} runs: {}; {}; {}. {capped_said}. The event-driven server runs on one thread (one core), the pool's ten threads and thread per connection on both. Starting and ending one std thread costs {thread_cost_us:.1} µs of CPU here (median of 3, min {cost_min:.1}, max {cost_max:.1}; `bench signin` measures it the same way){}",
            syns_total.map_or("an unknown number of".into(), |n| n.to_string()),
            model_figures(ModelName::Thread),
            model_figures(ModelName::Pool),
            model_figures(ModelName::Event),
            if notes.is_empty() {
                String::new()
            } else {
                format!(" ({})", notes.join("; "))
            }
        ),
        figures: Value::Object(figures),
        csv,
        chart,
        unit: "sign-ins/s, median of 3 (x: clients held at once)",
        spreads,
    })
}

/// What `models` judges, at the top level of clients held at once.
#[derive(Clone, Copy, Debug)]
pub(super) struct Scaled {
    /// The pool's rate over thread per connection's.
    pub ratio: f64,
    pub top: usize,
    pub pool_failed: usize,
    pub thread_failed: usize,
    /// Thread per connection's peak threads and RSS, uncapped.
    pub threads: u64,
    pub rss_mb: f64,
    /// Under a cap of N threads: (N, thread per connection's failures, the pool's).
    pub cap: Option<(usize, usize, usize)>,
}

/// The verdict on C5's three sentences, each judged by its own figures:
/// the pool much faster than thread per connection at the top level (1.5 ×
/// or more, "高很多"); the pool losing no sign-in ("不容易挂掉"); thread per
/// connection failing some ("很容易挂掉"), uncapped or, where it was
/// measured, under a cap on its threads that the pool also had.
pub(super) fn models_verdict(m: &Scaled) -> String {
    let faster = m.ratio >= 1.5;
    let pool_holds = m.pool_failed == 0 && m.cap.is_none_or(|(_, _, pool)| pool == 0);
    let threads_fall = m.thread_failed > 0 || m.cap.is_some_and(|(_, thread, _)| thread > 0);
    match (faster, pool_holds, threads_fall) {
        (true, true, true) => "holds".to_string(),
        (false, false, false) => "does not hold here".to_string(),
        _ => format!(
            "holds only in part: the pool is {:.1} × as fast as thread per connection at {} clients held at once ({}), the pool {}, and thread per connection {} ({} threads, {:.0} MiB at peak{})",
            m.ratio,
            m.top,
            if faster {
                "“高很多”"
            } else {
                "not “高很多”"
            },
            if pool_holds {
                "lost none"
            } else {
                "failed some"
            },
            if threads_fall {
                "failed some"
            } else {
                "did not fall over"
            },
            m.threads,
            m.rss_mb,
            match m.cap {
                Some((cap, thread, _)) => format!("; capped at {cap} threads it failed {thread}"),
                None => String::new(),
            }
        ),
    }
}

#[cfg(test)]
mod verdict_tests {
    use super::*;

    fn scaled() -> Scaled {
        Scaled {
            ratio: 4.0,
            top: 10_000,
            pool_failed: 0,
            thread_failed: 0,
            threads: 10_003,
            rss_mb: 300.0,
            cap: Some((1000, 9000, 0)),
        }
    }

    #[test]
    fn the_verdict_follows_the_figures_both_ways() {
        assert_eq!(models_verdict(&scaled()), "holds");
        let none = Scaled {
            ratio: 1.0,
            pool_failed: 3,
            cap: None,
            ..scaled()
        };
        assert_eq!(models_verdict(&none), "does not hold here");
        let part = models_verdict(&Scaled {
            ratio: 2.1,
            cap: None,
            ..scaled()
        });
        assert!(part.starts_with("holds only in part"), "{part}");
        assert!(
            part.contains("did not fall over") && part.contains("2.1 ×"),
            "{part}"
        );
    }
}
