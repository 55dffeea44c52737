//! `bench signin`: settles section 2.4 (3) of the lab with numbers. It starts the thread-per-connection server, the pool server and
//! a bare reference loop (and, with `--python DIR`, the Python originals,
//! also with `listen(1024)`) as processes, drives each with the sign-in
//! workload from `multithread::load`, and reports connections/s, latency,
//! failures, peak threads, peak RSS, and the CPU time per sign-in of the
//! server and of the load generator (from /proc). Each configuration runs
//! `--runs` times, in turns, and the run with the median connections/s is
//! reported. It ends with the ratios the targets are about, and with what
//! starting and ending one thread costs by itself, the price thread per
//! connection pays over the pool. It writes a CSV and an SVG chart.
//!
//! Everything goes to loopback; every load is bounded in count and time.

use crate::load::{LoadReport, load};
use anyhow::{Context, Result, bail};
use plotters::prelude::*;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

#[derive(clap::Args, Debug, Clone)]
pub struct SigninArgs {
    /// Sign-ins per run
    #[arg(long, default_value_t = 10_000)]
    pub connections: usize,
    /// Runs of each server, backlog and concurrency; the table shows the
    /// run with the median connections/s. The runs take turns, so a noisy
    /// moment hits one run of each, not every run of one
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    pub runs: u32,
    /// Concurrency levels (simultaneous clients)
    #[arg(long, value_delimiter = ',', default_value = "20,200,1000")]
    pub concurrency: Vec<usize>,
    /// Listen backlogs to compare
    #[arg(long, value_delimiter = ',', default_value = "5,1024")]
    pub backlogs: Vec<i32>,
    /// A sign-in without a reply within this long counts as failed
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = common::cli::parse_secs)]
    pub timeout: Duration,
    /// Pool sizes for the sweep with per-request work
    #[arg(long, value_delimiter = ',', default_value = "1,2,4,10,50")]
    pub pool_sizes: Vec<usize>,
    /// Server-side work per request in the pool sweep, in milliseconds
    #[arg(long, default_value_t = 5)]
    pub work_ms: u64,
    /// Sign-ins per run of the pool sweep
    #[arg(long, default_value_t = 2_000)]
    pub sweep_connections: usize,
    /// Sign-ins of the soak run (concurrency 500, backlog 1024); 0 skips it
    #[arg(long, default_value_t = 10_000)]
    pub soak: usize,
    /// Folder of the Python originals, to run them the same way
    #[arg(long, value_name = "DIR")]
    pub python: Option<PathBuf>,
    /// Where to write threadpool-bench.csv and threadpool-bench.svg
    #[arg(long, value_name = "DIR", default_value = "bench-results")]
    pub out: PathBuf,
}

const BARE: &str = "bare loop";
const PER_CONNECTION: &str = "thread per connection";
const POOL: &str = "thread pool (10)";
const PYTHON_POOL: &str = "python pool (10)";
const PYTHON_PER_CONNECTION: &str = "python thread per connection";

/// A server under test.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    pub(crate) name: String,
    pub(crate) kind: Kind,
}

#[derive(Clone, Debug)]
pub(crate) enum Kind {
    /// One of this workspace's binaries, with its arguments.
    Rust(PathBuf, Vec<String>),
    /// A Python original, with the backlog it should use.
    Python(PathBuf),
}

/// One measured run.
#[derive(Clone, Debug)]
pub(crate) struct Row {
    pub(crate) server: String,
    pub(crate) backlog: i32,
    pub(crate) concurrency: usize,
    pub(crate) work_ms: u64,
    pub(crate) report: LoadReport,
    /// Peak threads and RSS of the server process, where the OS tells
    /// (Linux's /proc); 0 elsewhere.
    pub(crate) peak_threads: u64,
    pub(crate) peak_rss_kib: u64,
    /// CPU time of the server process and of the load generator's threads.
    pub(crate) server_cpu: Duration,
    pub(crate) load_cpu: Duration,
    /// Context switches of the server's threads during the load, voluntary
    /// (a thread waited) and involuntary (the scheduler took the core
    /// away), where the OS tells (Linux's /proc): the threads alive at the
    /// end (a pool's all are).
    pub(crate) switches: Option<(u64, u64)>,
}

pub fn run(args: &SigninArgs, out: &common::log::Output) -> Result<()> {
    let dir = std::env::current_exe()?
        .parent()
        .context("no folder for the binaries")?
        .to_path_buf();
    let bin = |name: &str| -> Result<PathBuf> {
        let path = dir.join(name);
        if !path.exists() {
            bail!(
                "{} is missing: build it first with `cargo build --release --workspace`",
                path.display()
            );
        }
        Ok(path)
    };
    let rust = |name: &str, binary: &str, extra: &[&str]| -> Result<Target> {
        let mut a = vec!["server".to_string()];
        a.extend(extra.iter().map(|s| s.to_string()));
        Ok(Target {
            name: name.into(),
            kind: Kind::Rust(bin(binary)?, a),
        })
    };
    let mut targets = vec![
        rust(BARE, "bench", &[])?,
        rust(PER_CONNECTION, "multithread", &[])?,
        rust(POOL, "threadpool-server", &["--workers", "10"])?,
    ];
    // The bare loop is the bench's own hidden `reference-server`.
    if let Kind::Rust(_, a) = &mut targets[0].kind {
        a[0] = "reference-server".into();
    }
    if let Some(py) = &args.python {
        for (name, script) in [
            (PYTHON_PER_CONNECTION, "multithread_server.py"),
            (PYTHON_POOL, "threadpool_server.py"),
        ] {
            targets.push(Target {
                name: name.into(),
                kind: Kind::Python(py.join(script)),
            });
        }
    }

    out.line(format!(
        "bench signin: {} sign-ins per run, median of {} runs, timeout {:?}, {} cores",
        args.connections,
        args.runs,
        args.timeout,
        thread::available_parallelism().map_or(0, |n| n.get())
    ));
    let configs: Vec<(&Target, i32, usize)> = targets
        .iter()
        .flat_map(|t| {
            args.backlogs
                .iter()
                .flat_map(move |&b| args.concurrency.iter().map(move |&c| (t, b, c)))
        })
        .collect();
    let mut runs: Vec<Vec<Row>> = vec![Vec::new(); configs.len()];
    for run in 1..=args.runs {
        for (i, &(target, backlog, c)) in configs.iter().enumerate() {
            let row = measure(target, backlog, c, args.connections, 0, args.timeout)?;
            // Every run's failures are shown, not only the median run's.
            common::diag!(
                "run {run}/{}: {}, backlog {backlog}, concurrency {c}: {:.0} conn/s, {} failed",
                args.runs,
                target.name,
                row.report.per_sec(),
                row.report.failed
            );
            runs[i].push(row);
        }
    }
    let rows: Vec<Row> = runs.into_iter().map(median).collect();
    out.line("");
    out.line(header());
    for row in &rows {
        out.line(format_row(row));
    }

    out.line("");
    out.line(format!(
        "pool sweep: {} ms of work per request, concurrency 200, backlog 1024, {} sign-ins",
        args.work_ms, args.sweep_connections
    ));
    out.line(header());
    let mut sweep = Vec::new();
    let mut contenders = vec![rust(PER_CONNECTION, "multithread", &[])?];
    for &n in &args.pool_sizes {
        let workers = n.to_string();
        contenders.push(rust(
            &format!("thread pool ({n})"),
            "threadpool-server",
            &["--workers", &workers],
        )?);
    }
    for target in &contenders {
        let row = measure(
            target,
            1024,
            200,
            args.sweep_connections,
            args.work_ms,
            args.timeout,
        )?;
        out.line(format_row(&row));
        sweep.push(row);
    }

    if args.soak > 0 {
        out.line("");
        out.line(format!(
            "soak: {} sign-ins at concurrency 500, backlog 1024",
            args.soak
        ));
        out.line(header());
        let basic = rust("tcp-basic (one at a time)", "tcp-basic", &[])?;
        for target in [&basic, &targets[1], &targets[2]] {
            let row = measure(target, 1024, 500, args.soak, 0, args.timeout)?;
            out.line(format_row(&row));
            sweep.push(row);
        }
    }

    out.line("");
    out.line(
        "ratios of connections/s, backlog 1024, median runs (the targets: the pool \
         ≥ 0.85 × the bare loop; thread per connection ≥ 3 × Python's at 200):",
    );
    for line in ratios(&rows, &args.concurrency) {
        out.line(line);
    }

    // What thread per connection pays over the pool, measured on its own
    // in the same run.
    let costs = (0..args.runs)
        .map(|_| thread_cost())
        .collect::<Result<Vec<_>>>()?;
    out.line("");
    out.line(format!(
        "starting and ending a std thread ({THREAD_COST_THREADS} threads started as \
         spawn_connection starts them, doing nothing, at most {THREAD_COST_ALIVE} alive at once): \
         {:.1} µs of CPU each, median of {}",
        median_duration(costs).as_secs_f64() * 1e6,
        args.runs
    ));

    std::fs::create_dir_all(&args.out)?;
    let csv = args.out.join("threadpool-bench.csv");
    write_csv(&csv, rows.iter().chain(&sweep))?;
    let svg = args.out.join("threadpool-bench.svg");
    chart(&svg, &rows)?;
    out.line("");
    out.line(format!("wrote {} and {}", csv.display(), svg.display()));
    Ok(())
}

/// Threads started by one [`thread_cost`] measurement.
const THREAD_COST_THREADS: u32 = 20_000;
/// How many of them may be alive at once: about as many as thread per
/// connection has at concurrency 20 (its peak threads).
const THREAD_COST_ALIVE: usize = 16;
/// A thread that has not finished after this long is a failed measurement.
const THREAD_WAIT: Duration = Duration::from_secs(10);

/// What starting and ending one connection thread costs by itself: this
/// process's CPU time per thread, for std threads started exactly as
/// `common::server::spawn_connection` starts them (a `Builder` with a
/// name and a 256 KiB stack) that only say they are done. Nothing else in
/// the process is busy meanwhile.
pub(crate) fn thread_cost() -> Result<Duration> {
    let (done_tx, done) = std::sync::mpsc::channel::<()>();
    let before = process_cpu(std::process::id());
    let mut alive = 0;
    for _ in 0..THREAD_COST_THREADS {
        if alive == THREAD_COST_ALIVE {
            done.recv_timeout(THREAD_WAIT)
                .context("a thread did not finish in time")?;
            alive -= 1;
        }
        let tx = done_tx.clone();
        thread::Builder::new()
            .name("thread cost".into())
            .stack_size(common::server::CONNECTION_STACK)
            .spawn(move || {
                let _ = tx.send(());
            })
            .context("cannot start a thread")?;
        alive += 1;
    }
    for _ in 0..alive {
        done.recv_timeout(THREAD_WAIT)
            .context("a thread did not finish in time")?;
    }
    Ok(process_cpu(std::process::id()).saturating_sub(before) / THREAD_COST_THREADS)
}

/// `d` is never empty: `--runs` is at least 1.
fn median_duration(mut d: Vec<Duration>) -> Duration {
    d.sort();
    d[d.len() / 2]
}

/// One line per concurrency: each Rust server against the bare loop (target
/// ≥ 0.8) and the pool against the Python pool (target ≥ 2 at 200).
fn ratios(rows: &[Row], concurrency: &[usize]) -> Vec<String> {
    let rate = |server: &str, c: usize| {
        rows.iter()
            .find(|r| r.server == server && r.backlog == 1024 && r.concurrency == c)
            .map(|r| r.report.per_sec())
    };
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2} ×", a / b),
        _ => "-".into(),
    };
    concurrency
        .iter()
        .map(|&c| {
            format!(
                "- concurrency {c}: {POOL} {} the bare loop, {} the {PYTHON_POOL}; \
                 {PER_CONNECTION} {} the bare loop, {} {PYTHON_PER_CONNECTION}",
                ratio(rate(POOL, c), rate(BARE, c)),
                ratio(rate(POOL, c), rate(PYTHON_POOL, c)),
                ratio(rate(PER_CONNECTION, c), rate(BARE, c)),
                ratio(rate(PER_CONNECTION, c), rate(PYTHON_PER_CONNECTION, c)),
            )
        })
        .collect()
}

/// The run with the median connections/s (the lower middle one of an even
/// number), whole: its latencies and CPU columns belong to the same run.
fn median(mut runs: Vec<Row>) -> Row {
    runs.sort_by(|a, b| a.report.per_sec().total_cmp(&b.report.per_sec()));
    // `runs` is never empty: `--runs` is at least 1.
    runs.swap_remove((runs.len() - 1) / 2)
}

/// CPU time per sign-in attempted, in µs.
fn per_conn(cpu: Duration, r: &Row) -> f64 {
    cpu.as_secs_f64() * 1e6 / (r.report.ok + r.report.failed).max(1) as f64
}

fn header() -> String {
    "| server | backlog | concurrency | work ms | conn/s | p50 ms | p99 ms | max ms | failed | peak threads | peak RSS MiB | server CPU µs/conn | load CPU µs/conn |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|".into()
}

fn format_row(r: &Row) -> String {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    format!(
        "| {} | {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.0} | {} | {} | {:.1} | {:.0} | {:.0} |",
        r.server,
        r.backlog,
        r.concurrency,
        r.work_ms,
        r.report.per_sec(),
        ms(r.report.percentile(0.5)),
        ms(r.report.percentile(0.99)),
        ms(r.report.percentile(1.0)),
        r.report.failed,
        r.peak_threads,
        r.peak_rss_kib as f64 / 1024.0,
        per_conn(r.server_cpu, r),
        per_conn(r.load_cpu, r),
    )
}

/// Starts the server, runs the load, samples the server's threads and RSS,
/// stops the server.
pub(crate) fn measure(
    target: &Target,
    backlog: i32,
    concurrency: usize,
    total: usize,
    work_ms: u64,
    timeout: Duration,
) -> Result<Row> {
    let run_load = |addr| load(addr, total, concurrency, timeout);
    measure_with(target, backlog, concurrency, work_ms, |_| Ok(()), run_load)
}

/// [`measure`] with any load: `on_start` gets the server's pid before the
/// load starts (to put it in a cgroup), `run_load` its address.
pub(crate) fn measure_with(
    target: &Target,
    backlog: i32,
    concurrency: usize,
    work_ms: u64,
    on_start: impl FnOnce(u32) -> Result<()>,
    run_load: impl FnOnce(SocketAddr) -> LoadReport,
) -> Result<Row> {
    let (child, addr) = start(target, backlog, work_ms)?;
    let pid = child.id();
    if let Err(e) = on_start(pid) {
        crate::stop(child);
        return Err(e);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(Mutex::new((0u64, 0u64)));
    let sampler = {
        let (stop, peak) = (stop.clone(), peak.clone());
        thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                if let Some((threads, rss)) = sample(pid) {
                    let mut p = peak.lock().unwrap_or_else(|p| p.into_inner());
                    p.0 = p.0.max(threads);
                    p.1 = p.1.max(rss);
                }
                thread::sleep(Duration::from_millis(10));
            }
        })
    };
    let server_cpu_before = process_cpu(pid);
    let switches_before = switches(pid);
    let report = run_load(addr);
    let server_cpu = process_cpu(pid).saturating_sub(server_cpu_before);
    let switches = switches(pid).zip(switches_before).map(|(after, before)| {
        (
            after.0.saturating_sub(before.0),
            after.1.saturating_sub(before.1),
        )
    });
    let load_cpu = report.cpu;
    // VmHWM is the kernel's own peak RSS: nothing between samples is missed.
    let hwm = status_field(pid, "VmHWM:");
    stop.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    crate::stop(child);
    let (threads, rss) = *peak.lock().unwrap_or_else(|p| p.into_inner());
    Ok(Row {
        server: target.name.clone(),
        backlog,
        concurrency,
        work_ms,
        report,
        peak_threads: threads,
        peak_rss_kib: hwm.unwrap_or(rss),
        server_cpu,
        load_cpu,
        switches,
    })
}

/// The context switches of a process's live threads so far, voluntary and
/// involuntary (Linux's /proc/PID/task/*/status).
fn switches(pid: u32) -> Option<(u64, u64)> {
    let (mut voluntary, mut involuntary) = (0, 0);
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .ok()?
        .flatten()
    {
        let status = std::fs::read_to_string(task.path().join("status")).unwrap_or_default();
        for line in status.lines() {
            let count = |l: &str| l.split_whitespace().nth(1)?.parse::<u64>().ok();
            match line.split(':').next() {
                Some("voluntary_ctxt_switches") => voluntary += count(line).unwrap_or(0),
                Some("nonvoluntary_ctxt_switches") => involuntary += count(line).unwrap_or(0),
                _ => {}
            }
        }
    }
    Some((voluntary, involuntary))
}

fn start(target: &Target, backlog: i32, work_ms: u64) -> Result<(Child, SocketAddr)> {
    match &target.kind {
        Kind::Rust(bin, args) => {
            let mut cmd = Command::new(bin);
            cmd.args(args)
                .args([
                    "--port",
                    "0",
                    "--backlog",
                    &backlog.to_string(),
                    "--idle-timeout",
                    "30",
                ])
                .args(
                    if work_ms > 0 && ["server", "model-server"].contains(&args[0].as_str()) {
                        vec!["--work-ms".to_string(), work_ms.to_string()]
                    } else {
                        vec![]
                    },
                )
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped());
            let mut child = grader::run::spawn_tracked(&mut cmd)
                .with_context(|| format!("cannot start {}", bin.display()))?;
            // Ready once it says where it listens (stderr).
            let stderr = child.stderr.take().context("stderr")?;
            let mut lines = BufReader::new(stderr).lines();
            let addr = loop {
                let Some(line) = lines.next() else {
                    bail!("{} exited before listening", target.name);
                };
                if let Some(rest) = line?.split("listening on ").nth(1) {
                    break rest.split(' ').next().unwrap_or_default().parse()?;
                }
            };
            // Keep draining stderr so the server never blocks on it.
            thread::spawn(move || lines.for_each(drop));
            Ok((child, addr))
        }
        Kind::Python(script) => {
            let dir = tempfile::tempdir()?;
            let port = std::net::TcpListener::bind("127.0.0.1:0")?
                .local_addr()?
                .port();
            let text = std::fs::read_to_string(script)
                .with_context(|| format!("cannot read {}", script.display()))?;
            let text = grader::python::rewrite(
                &text,
                &grader::python::Rewrite {
                    port,
                    base_path: None,
                    backlog: Some(backlog),
                },
            );
            let copy = dir.path().join(script.file_name().context("script name")?);
            std::fs::write(&copy, text)?;
            // Python reads the script at start; the folder may go after.
            let child = crate::spawn_python(&copy, dir.path(), port)?;
            Ok((child, ([127, 0, 0, 1], port).into()))
        }
    }
}

/// A process's CPU time (user + system), on every OS.
pub(crate) fn process_cpu(pid: u32) -> Duration {
    grader::run::cpu_time(pid).unwrap_or_default()
}

fn sample(pid: u32) -> Option<(u64, u64)> {
    Some((status_field(pid, "Threads:")?, status_field(pid, "VmRSS:")?))
}

fn status_field(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

fn write_csv<'a>(path: &Path, rows: impl Iterator<Item = &'a Row>) -> Result<()> {
    let mut text = String::from(
        "server,backlog,concurrency,work_ms,ok,failed,conn_per_s,p50_ms,p99_ms,max_ms,peak_threads,peak_rss_kib,server_cpu_us_per_conn,load_cpu_us_per_conn\n",
    );
    for r in rows {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        text.push_str(&format!(
            "{},{},{},{},{},{},{:.1},{:.3},{:.3},{:.3},{},{},{:.1},{:.1}\n",
            r.server,
            r.backlog,
            r.concurrency,
            r.work_ms,
            r.report.ok,
            r.report.failed,
            r.report.per_sec(),
            ms(r.report.percentile(0.5)),
            ms(r.report.percentile(0.99)),
            ms(r.report.percentile(1.0)),
            r.peak_threads,
            r.peak_rss_kib,
            per_conn(r.server_cpu, r),
            per_conn(r.load_cpu, r),
        ));
    }
    std::fs::write(path, text)?;
    Ok(())
}

/// Two panels: connections/s and p99 latency against
/// concurrency, one line per server, at the largest backlog measured (the
/// backlog-5 runs are dominated by retransmit timers: see the table).
fn chart(path: &Path, rows: &[Row]) -> Result<()> {
    let backlog = rows.iter().map(|r| r.backlog).max().unwrap_or(1024);
    let rows: Vec<&Row> = rows.iter().filter(|r| r.backlog == backlog).collect();
    let root = SVGBackend::new(path, (1100, 480)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_err)?;
    let (left, right) = root.split_horizontally(550);
    let mut series: Vec<(String, Vec<&Row>)> = Vec::new();
    for &r in &rows {
        let key = r.server.clone();
        match series.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(r),
            None => series.push((key, vec![r])),
        }
    }
    let max_c = rows.iter().map(|r| r.concurrency).max().unwrap_or(1000) as f64 * 1.5;
    let max_rate = rows.iter().map(|r| r.report.per_sec()).fold(1.0, f64::max) * 1.1;
    let max_p99 = rows
        .iter()
        .map(|r| r.report.percentile(0.99).as_secs_f64() * 1000.0)
        .fold(1.0, f64::max)
        * 1.1;
    let panels = [
        Panel {
            area: &left,
            title: "connections/s (backlog 1024)",
            max_y: max_rate,
            value: |r| r.report.per_sec(),
        },
        Panel {
            area: &right,
            title: "p99 latency, ms (backlog 1024)",
            max_y: max_p99,
            value: |r| r.report.percentile(0.99).as_secs_f64() * 1000.0,
        },
    ];
    for (
        i,
        Panel {
            area,
            title,
            max_y,
            value,
        },
    ) in panels.into_iter().enumerate()
    {
        let mut builder = ChartBuilder::on(area);
        builder
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(35)
            .y_label_area_size(60);
        let chart = builder
            .build_cartesian_2d((10f64..max_c).log_scale(), 0f64..max_y)
            .map_err(plot_err)?;
        let legend = if i == 0 {
            SeriesLabelPosition::LowerLeft
        } else {
            SeriesLabelPosition::UpperLeft
        };
        draw_panel(chart, &series, value, legend)?;
    }
    root.present().map_err(plot_err)?;
    Ok(())
}

/// Draws one line per server, with its points and a legend.
fn draw_panel<'a>(
    mut chart: ChartContext<
        'a,
        SVGBackend<'a>,
        Cartesian2d<LogCoord<f64>, plotters::coord::types::RangedCoordf64>,
    >,
    series: &[(String, Vec<&Row>)],
    value: fn(&Row) -> f64,
    legend: SeriesLabelPosition,
) -> Result<()> {
    chart
        .configure_mesh()
        .x_desc("concurrent clients")
        .draw()
        .map_err(plot_err)?;
    for (i, (name, points)) in series.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let data: Vec<(f64, f64)> = points
            .iter()
            .map(|r| (r.concurrency as f64, value(r)))
            .collect();
        chart
            .draw_series(LineSeries::new(data.clone(), color.stroke_width(2)))
            .map_err(plot_err)?
            .label(name.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
            });
        chart
            .draw_series(data.into_iter().map(|p| Circle::new(p, 3, color.filled())))
            .map_err(plot_err)?;
    }
    chart
        .configure_series_labels()
        .position(legend)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 11))
        .draw()
        .map_err(plot_err)?;
    Ok(())
}

/// One panel of the chart: where, what, and how to read it off a row.
struct Panel<'a, 'b> {
    area: &'a DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
    title: &'static str,
    max_y: f64,
    value: fn(&Row) -> f64,
}

fn plot_err<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow::anyhow!("cannot draw the chart: {e}")
}
