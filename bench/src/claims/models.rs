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
/// by default (`somaxconn`), so that the queue is not what is measured.
pub(super) const MODELS_BACKLOG: i32 = 4096;

pub(super) fn models(scale: Scale, bar: &ProgressBar) -> Result<Finding> {
    let mut levels: Vec<usize> = if scale.quick {
        vec![1, 10, 100]
    } else {
        vec![1, 10, 100, 1000, 10_000]
    };
    let mut notes = Vec::new();
    // Each client in flight holds a socket in this process (and the
    // server, a process of its own, one more): raise the open-file soft
    // limit to the hard limit, and leave out what still does not fit.
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
    let total = scale.n(500, 10_000);
    let exe = bench_binary()?;
    let mut csv = String::from(
        "model,concurrency,rate_per_s,p99_ms,failed,peak_rss_kb,peak_threads,server_cpu_us_per_signin\n",
    );
    let mut figures = serde_json::Map::new();
    let mut chart = Vec::new();
    let mut rows = std::collections::HashMap::new();
    let mut spreads = Vec::new();
    // Each model at each level, then the cost of one thread.
    bar.set_length((ModelName::ALL.len() * levels.len()) as u64 + 1);
    for model in ModelName::ALL {
        let name = model.label();
        let mut series = Vec::new();
        for &c in &levels {
            step(bar, format!("models: {name}, {c} at once"));
            // Each server is a process of its own, measured from outside:
            // its peak RSS, threads and CPU time are its own.
            let target = crate::signin::Target {
                name: name.into(),
                kind: crate::signin::Kind::Rust(
                    exe.clone(),
                    vec!["model-server".into(), "--model".into(), model.arg().into()],
                ),
            };
            // Three runs, each a fresh server: the run with the median
            // rate is kept whole, with the rates' and p99s' spread.
            let mut runs = Vec::new();
            for _ in 0..3 {
                let timeout = Duration::from_secs(10);
                runs.push(crate::signin::measure(
                    &target,
                    MODELS_BACKLOG,
                    c,
                    total.max(c),
                    0,
                    timeout,
                )?);
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
                "{name},{c},{:.0},{p99:.2},{},{},{},{cpu_us:.1}",
                report.per_sec(),
                report.failed,
                row.peak_rss_kib,
                row.peak_threads,
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
                }),
            );
            series.push((format!("{c}"), report.per_sec()));
            spreads.push((name.to_string(), format!("{c}"), rates.1, rates.2));
            rows.insert((model, c), row);
        }
        chart.push((name.to_string(), series));
    }
    step(bar, "models: the cost of one thread");
    // Measured as `bench signin` measures it (the same function), three
    // times: the median, with the spread kept.
    let mut costs = Vec::new();
    for _ in 0..3 {
        costs.push(crate::signin::thread_cost()?.as_secs_f64() * 1e6);
    }
    let (thread_cost_us, cost_min, cost_max) = spread(&costs);
    figures.insert("thread_cost_us".into(), json!(thread_cost_us));
    figures.insert("thread_cost_us_min".into(), json!(cost_min));
    figures.insert("thread_cost_us_max".into(), json!(cost_max));
    figures.insert("open_file_limit".into(), json!(files));

    let top = *levels.last().unwrap_or(&1);
    let at_top = |model| rows.get(&(model, top));
    let rate = |model| at_top(model).map_or(0.0, |r: &crate::signin::Row| r.report.per_sec());
    let failed = |model| at_top(model).map_or(0, |r: &crate::signin::Row| r.report.failed);
    let threads = |model| at_top(model).map_or(0, |r: &crate::signin::Row| r.peak_threads);
    let rss_mb =
        |model| at_top(model).map_or(0.0, |r: &crate::signin::Row| r.peak_rss_kib as f64 / 1024.0);
    let ratio = rate(ModelName::Pool) / rate(ModelName::Thread).max(1.0);
    figures.insert("pool_vs_thread_at_top".into(), json!(ratio));
    let verdict = models_verdict(
        ratio,
        top,
        failed(ModelName::Pool),
        failed(ModelName::Thread),
        threads(ModelName::Thread),
        rss_mb(ModelName::Thread),
    );
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
    Ok(Finding {
        name: "models",
        claim: CLAIM,
        seed: "000 §2.4 (3)",
        verdict,
        reason: format!(
            "sign-ins at {top} clients at once, each server a process of its own, the median of 3 runs (the spread is in the figures and the chart): {}; {}; {}. Starting and ending one std thread costs {thread_cost_us:.1} µs of CPU here (median of 3, min {cost_min:.1}, max {cost_max:.1}; `bench signin` measures it the same way){}",
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
        unit: "sign-ins/s, median of 3 (x: clients at once)",
        spreads,
    })
}

/// The verdict on C5's three sentences, each judged by its own figures:
/// the pool much faster than thread per connection at `top` clients (1.5 ×
/// or more), the pool losing no sign-in, and thread per connection failing
/// some (创建线程数较多 taking its toll).
pub(super) fn models_verdict(
    ratio: f64,
    top: usize,
    pool_failed: usize,
    thread_failed: usize,
    threads: u64,
    rss_mb: f64,
) -> String {
    let faster = ratio >= 1.5;
    let pool_holds = pool_failed == 0;
    let threads_fall = thread_failed > 0;
    match [faster, pool_holds, threads_fall]
        .iter()
        .filter(|h| **h)
        .count()
    {
        3 => "holds".to_string(),
        0 => "does not hold here".to_string(),
        _ => format!(
            "holds only in part: the pool is {ratio:.1} × as fast as thread per connection at {top} clients ({}), the pool {} and thread per connection {} ({threads} threads, {rss_mb:.0} MiB at peak)",
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
        ),
    }
}

#[cfg(test)]
mod verdict_tests {
    use super::*;

    #[test]
    fn the_verdict_follows_the_figures_both_ways() {
        assert_eq!(models_verdict(4.0, 1000, 0, 12, 900, 300.0), "holds");
        assert_eq!(
            models_verdict(1.0, 1000, 3, 0, 200, 50.0),
            "does not hold here"
        );
        let part = models_verdict(2.1, 1000, 0, 0, 244, 40.0);
        assert!(part.starts_with("holds only in part"), "{part}");
        assert!(
            part.contains("did not fall over") && part.contains("2.1 ×"),
            "{part}"
        );
    }
}
