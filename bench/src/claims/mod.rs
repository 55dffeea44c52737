//! `bench claims`: the lab's own claims, measured on the machine it runs
//! on, each beside the seed's sentence, with a verdict from the figures.
//!
//! Every experiment runs on loopback with real sockets, in this process,
//! bounded in count and time. Each writes a CSV file and an SVG chart (no
//! font library needed to draw it), and the run writes `claims.json` and a
//! report, `CLAIMS.md`, into `--out`. One file per experiment
//! (`claims/framing.rs` for 粘包, …), with its verdict and its tests;
//! `netns.rs` enters a network namespace, `report.rs` writes the report.
//!
//! | name | claim | what is measured |
//! |---|---|---|
//! | `udp-vs-tcp` | C1: UDP is fast and light | request/reply rate, p50/p99, CPU per message: UDP, TCP on a kept connection, TCP with a connection per request |
//! | `udp-loss` | C2: UDP is unreliable, TCP reliable | sequence-numbered datagrams at swept rates into a small and the default receive buffer: lost, reordered, duplicated, jitter; the same over TCP |
//! | `lossy-link` | C2 on a lossy network | in a private network namespace whose loopback drops 0–30 % of packets (nftables): the md5 upload over TCP against a naive UDP sender |
//! | `framing` | C3: 粘包, and a length header fixes it | small messages back to back into `recv(1024)`: glued and split receives; the same framed |
//! | `datagrams` | C4: UDP keeps boundaries; its limits | N datagrams → N receives; a datagram larger than the buffer; the largest payload this OS sends |
//! | `models` | C5: pool vs thread per connection | 1 to 10 000 clients connected and held at once, then signing in at once (no SYN dropped): sign-ins/s, p99, failures, peak threads and RSS of thread per connection, the pool and the event-driven server; then each with its threads capped (a pids cgroup) |
//! | `slow-clients` | C6: slow clients starve a pool | a fast client's p99 while the pool's ten workers are held by slow clients |
//! | `one-at-a-time` | C7: one client blocks the next | the second client's wait against the first's hold time, one at a time and a thread each |
//! | `context-switches` | C8: more threads, more switches, more time | context switches per sign-in (the OS's count) and total time, pools of 2 to 512 threads |
//! | `listen-backlog` | C9: `listen(5)`, and a full queue | clients connected at once with nothing accepted, refusals and time-outs, the next one's wait; clients a thread per connection holds; the kernel's half-open queue full, syncookies off and on |
//! | `reuseaddr` | C10: the port is not freed at once | a restart within TIME_WAIT, without and with `SO_REUSEADDR` |
//! | `closed-peer` | C11: `recv` after the peer went | five receives after a close and after a reset |
//! | `empty-send` | C12: sending nothing | TCP's `send(b'')` against an empty datagram and its empty answer |
//! | `udp-serial` | C13: UDP's one-at-a-time serving | a quick request's wait behind a slow one, in turn and a thread each |
//! | `largest-datagram` | C14: up to about 65500 bytes | the largest payload one `sendto` takes, IPv4 and IPv6 |

use anyhow::{Context, Result};
use hdrhistogram::Histogram;
use indicatif::{ProgressBar, ProgressStyle};
use plotters::prelude::*;
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

mod backlog;
mod closed_peer;
mod datagrams;
mod empty_send;
mod framing;
mod largest;
mod lossy_link;
mod models;
mod netns;
mod one_at_a_time;
mod report;
mod reuseaddr;
mod slow_clients;
mod switches;
mod udp_loss;
mod udp_serial;
mod udp_vs_tcp;

pub use backlog::half_open_worker;
pub use datagrams::mtu_worker;
use datagrams::*;
use framing::*;
pub use lossy_link::lossy_worker;
use lossy_link::*;
use models::*;
pub use models::{ModelName, run_model};
use netns::*;
pub use report::table;
use report::*;
use slow_clients::*;
use udp_loss::*;
use udp_vs_tcp::*;

/// `bench claims`.
#[derive(clap::Args, Debug, Clone)]
pub struct ClaimsArgs {
    /// Which experiments to run [default: all]: udp-vs-tcp udp-loss lossy-link framing datagrams models slow-clients one-at-a-time context-switches listen-backlog reuseaddr closed-peer empty-send udp-serial largest-datagram
    pub names: Vec<String>,
    /// Smaller counts: each experiment in a few seconds
    #[arg(long)]
    pub quick: bool,
    /// Where to write claims.json, CLAIMS.md, the CSV files and the charts
    #[arg(long, value_name = "DIR", default_value = "bench/results/claims")]
    pub out: PathBuf,
}

/// Every experiment, in the report's order.
pub const EXPERIMENTS: [&str; 15] = [
    "udp-vs-tcp",
    "udp-loss",
    "lossy-link",
    "framing",
    "datagrams",
    "models",
    "slow-clients",
    "one-at-a-time",
    "context-switches",
    "listen-backlog",
    "reuseaddr",
    "closed-peer",
    "empty-send",
    "udp-serial",
    "largest-datagram",
];

/// One claim's outcome.
#[derive(Debug, Clone)]
pub struct Finding {
    pub name: &'static str,
    /// The seed's sentence, in Chinese.
    pub claim: &'static str,
    /// Where it stands: seed file and section.
    pub seed: &'static str,
    /// `holds`, `holds only when …`, `does not hold here`, `skipped: …`.
    pub verdict: String,
    /// What was measured, in a sentence.
    pub reason: String,
    pub figures: Value,
    /// The experiment's table, as CSV.
    pub csv: String,
    /// Its chart: (series name, [(x label, value)]).
    pub chart: Vec<(String, Vec<(String, f64)>)>,
    /// What the chart's values are.
    pub unit: &'static str,
    /// The spread of the chart's values that are medians of repeats:
    /// (series, x label, min, max), drawn as error bars.
    pub spreads: Vec<(String, String, f64, f64)>,
}

/// A chart of one bar per series, each a (median, min, max) of repeats:
/// the chart and its spreads, for [`Finding`]'s `chart` and `spreads`.
type Bars = (
    Vec<(String, Vec<(String, f64)>)>,
    Vec<(String, String, f64, f64)>,
);

fn one_bar_each(x: &str, series: &[(&str, (f64, f64, f64))]) -> Bars {
    let chart = series
        .iter()
        .map(|(name, m)| (name.to_string(), vec![(x.to_string(), m.0)]))
        .collect();
    let spreads = series
        .iter()
        .map(|(name, m)| (name.to_string(), x.to_string(), m.1, m.2))
        .collect();
    (chart, spreads)
}

impl Finding {
    pub fn json(&self) -> Value {
        json!({
            "name": self.name,
            "claim": self.claim,
            "seed": self.seed,
            "verdict": self.verdict,
            "reason": self.reason,
            "figures": self.figures,
        })
    }
}

/// How big each experiment is.
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    pub quick: bool,
}

impl Scale {
    fn n(self, quick: usize, full: usize) -> usize {
        if self.quick { quick } else { full }
    }
}

/// Runs the named experiments (all when none is named), prints the table,
/// and writes the files. Returns the findings.
pub fn run(args: &ClaimsArgs, out: &common::log::Output) -> Result<Vec<Finding>> {
    let names: Vec<&str> = if args.names.is_empty() {
        EXPERIMENTS.to_vec()
    } else {
        for n in &args.names {
            anyhow::ensure!(
                EXPERIMENTS.contains(&n.as_str()),
                "no experiment called {n:?} (one of: {})",
                EXPERIMENTS.join(" ")
            );
        }
        EXPERIMENTS
            .iter()
            .copied()
            .filter(|e| args.names.iter().any(|n| n == e))
            .collect()
    };
    let scale = Scale { quick: args.quick };
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot make {}", args.out.display()))?;
    let started = Instant::now();
    let mut findings = Vec::new();
    for name in names {
        // One bar per experiment: each experiment sets how many steps it
        // has, and [`step`] moves it on; indicatif draws it on stderr, and
        // hides it when stderr is not a terminal.
        let bar = ProgressBar::new(1).with_message(format!("{name}: starting"));
        bar.set_style(
            ProgressStyle::with_template("{spinner} {elapsed:>4} [{bar:20}] {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        let finding = experiment(name, scale, &bar)
            .with_context(|| format!("the {name} experiment failed"))?;
        bar.finish_with_message(format!("{name}: {}", finding.verdict));
        write_files(&args.out, &finding)?;
        findings.push(finding);
    }
    out.line(table(&findings));
    let json = Value::Array(findings.iter().map(Finding::json).collect());
    std::fs::write(
        args.out.join("claims.json"),
        serde_json::to_string_pretty(&json)?,
    )?;
    std::fs::write(
        args.out.join("CLAIMS.md"),
        report(&findings, args, started.elapsed()),
    )?;
    out.line(format!(
        "wrote {} (claims.json, CLAIMS.md, a CSV and an SVG per experiment) in {:.0} s",
        args.out.display(),
        started.elapsed().as_secs_f64()
    ));
    Ok(findings)
}

/// Runs one experiment by name.
pub fn experiment(name: &str, scale: Scale, bar: &ProgressBar) -> Result<Finding> {
    match name {
        "udp-vs-tcp" => udp_vs_tcp(scale, bar),
        "udp-loss" => udp_loss(scale, bar),
        "lossy-link" => lossy_link(scale, bar),
        "framing" => framing(scale, bar),
        "datagrams" => datagrams(scale, bar),
        "models" => models(scale, bar),
        "slow-clients" => slow_clients(scale, bar),
        "one-at-a-time" => one_at_a_time::one_at_a_time(scale, bar),
        "context-switches" => switches::context_switches(scale, bar),
        "listen-backlog" => backlog::listen_backlog(scale, bar),
        "reuseaddr" => reuseaddr::reuseaddr(scale, bar),
        "closed-peer" => closed_peer::closed_peer(scale, bar),
        "empty-send" => empty_send::empty_send(scale, bar),
        "udp-serial" => udp_serial::udp_serial(scale, bar),
        "largest-datagram" => largest::largest_datagram(scale, bar),
        _ => anyhow::bail!("no experiment called {name:?}"),
    }
}

// The shared pieces.

const WAIT: Duration = Duration::from_secs(5);

/// Starts the next step of an experiment: the bar counts it and says what
/// it is.
fn step(bar: &ProgressBar, what: impl Into<std::borrow::Cow<'static, str>>) {
    bar.inc(1);
    bar.set_message(what);
}

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// This process's CPU time, read portably (as the grader reads a child's).
fn cpu_now() -> Duration {
    crate::signin::process_cpu(std::process::id())
}

fn histogram() -> Histogram<u64> {
    // Microseconds, 1 µs to 60 s, 3 significant digits: these bounds are
    // valid, so this cannot fail.
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds")
}

fn ms(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

/// The verdict of a claim made of two parts: `holds` when both do, `does
/// not hold here` when neither does, else `holds only in part: ` and what
/// the part that held left out.
fn two_parts(first: bool, second: bool, only_first: &str, only_second: &str) -> String {
    match (first, second) {
        (true, true) => "holds".to_string(),
        (false, false) => "does not hold here".to_string(),
        (true, false) => format!("holds only in part: {only_first}"),
        (false, true) => format!("holds only in part: {only_second}"),
    }
}

/// The median, min and max of repeated measurements (the lower middle one
/// of an even number); all zero for none.
fn spread(values: &[f64]) -> (f64, f64, f64) {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match (v.first(), v.last()) {
        (Some(&min), Some(&max)) => (v[(v.len() - 1) / 2], min, max),
        _ => (0.0, 0.0, 0.0),
    }
}

/// The CPU cost of starting and ending one std thread, in µs, measured as
/// `bench signin` measures it (the same function), three times: (median,
/// min, max), also kept in `figures` as `thread_cost_us` and its `_min`
/// and `_max`.
fn thread_cost(figures: &mut serde_json::Map<String, Value>) -> Result<(f64, f64, f64)> {
    let mut costs = Vec::new();
    for _ in 0..3 {
        costs.push(crate::signin::thread_cost()?.as_secs_f64() * 1e6);
    }
    let (median, min, max) = spread(&costs);
    figures.insert("thread_cost_us".into(), json!(median));
    figures.insert("thread_cost_us_min".into(), json!(min));
    figures.insert("thread_cost_us_max".into(), json!(max));
    Ok((median, min, max))
}

/// Starts one of the lab's TCP servers in this process, on a fresh
/// listener with `backlog`: `run` is its `run` with its arguments bound.
/// Returns its address, stop switch and thread.
fn start_server(
    backlog: i32,
    run: impl FnOnce(&TcpListener, &common::cli::ServerOpts, &common::stop::Stop, &common::log::Output)
    + Send
    + 'static,
) -> Result<(SocketAddr, common::stop::Stop, thread::JoinHandle<()>)> {
    let listener = common::net::listen(loopback(), backlog)?;
    let addr = listener.local_addr()?;
    let stop = common::stop::Stop::new(Duration::from_secs(1));
    let opts = common::cli::ServerOpts::for_tests(Duration::from_secs(30));
    let s = stop.clone();
    let server = thread::spawn(move || run(&listener, &opts, &s, &common::log::Output::discard()));
    Ok((addr, stop, server))
}

/// A stop flag for an experiment's server thread.
#[derive(Clone, Default)]
struct Flag(Arc<AtomicBool>);

impl Flag {
    fn raise(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    fn is_up(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// The verdict an experiment's verdict function gives for `figures` (as
/// they stand in `claims.json`), for the experiments whose verdict is a
/// pure function of its figures (`None` for the others, and for figures
/// that lack what it reads): a test checks the report against it.
pub fn verdict_of(name: &str, figures: &Value) -> Option<String> {
    let n = |key: &str| figures[key].as_u64().map(|v| v as usize);
    let f = |key: &str| figures[key].as_f64();
    // A median with its spread: `key`, `key_min`, `key_max`.
    let triple = |key: &str| {
        Some((
            f(key)?,
            f(&format!("{key}_min"))?,
            f(&format!("{key}_max"))?,
        ))
    };
    match name {
        "framing" => Some(framing::framing_verdict(
            n("naive_glued")?,
            n("naive_split")?,
            n("framed_errors")?,
        )),
        "datagrams" => {
            let boundaries = datagrams::Boundaries {
                sent: n("sent")?,
                whole: n("received_whole")?,
                glued: n("glued")?,
            };
            let (verdict, _) = datagrams::datagrams_verdict(
                &boundaries,
                figures["truncated"].as_bool()?,
                n("max_payload")?,
                figures["mtu1500_max_payload"].as_u64(),
            );
            Some(verdict)
        }
        "udp-vs-tcp" => {
            let rows = udp_vs_tcp::PAYLOADS.iter().map(|&size| {
                let p = &figures[format!("payload_{size}")];
                let pair = |t: &str| {
                    let rate = p[format!("{t}_rps")].as_f64()?;
                    let spread = |end: &str| p[format!("{t}_rps_{end}")].as_f64().unwrap_or(rate);
                    Some(udp_vs_tcp::Figure {
                        rate,
                        cpu: p[format!("{t}_cpu_us_per_msg")].as_f64()?,
                        min: spread("min"),
                        max: spread("max"),
                    })
                };
                Some(udp_vs_tcp::Payload {
                    size,
                    udp: pair("udp")?,
                    kept: pair("tcp_kept")?,
                    new: pair("tcp_new")?,
                })
            });
            let rows: Option<Vec<_>> = rows.collect();
            Some(udp_vs_tcp::udp_vs_tcp_verdict(&rows?).0)
        }
        "lossy-link" => {
            let rates = figures["rates"].as_object()?;
            let mut outcomes = Vec::new();
            for (rate, per_rate) in rates {
                for got in per_rate["runs"].as_array()? {
                    let flag = |k: &str| got[k].as_bool();
                    outcomes.push((
                        rate.parse().ok()?,
                        flag("tcp_md5_ok")?,
                        flag("tcp_gave_up")?,
                        flag("udp_md5_ok")?,
                    ));
                }
            }
            // Stable: each rate's runs stay in their order.
            outcomes.sort_by_key(|o| o.0);
            let patience = figures["patience_s"].as_u64()?;
            Some(lossy_link::lossy_verdict(&outcomes, patience))
        }
        "udp-loss" => Some(udp_loss::udp_loss_verdict(
            figures["udp_loss_pct"].as_f64()? > 0.0,
            figures["tcp_lost"].as_u64()?,
        )),
        "slow-clients" => Some(slow_clients::slow_clients_verdict(
            figures["pool_p99_ms"].as_f64()?,
            n("pool_failed")?,
            figures["event_p99_ms"].as_f64()?,
            n("event_failed")?,
        )),
        "one-at-a-time" => Some(one_at_a_time::one_at_a_time_verdict(
            f("hold_ms")?,
            triple("serial_wait_ms")?,
            triple("threaded_wait_ms")?,
            f("serial_connect_ms_max")?,
        )),
        "context-switches" => {
            let mut levels = Vec::new();
            for (key, l) in figures.as_object()? {
                let Some(threads) = key.strip_prefix("pool of ") else {
                    continue;
                };
                let f = |k: &str| l[k].as_f64();
                levels.push(switches::Level {
                    threads: threads.parse().ok()?,
                    switches: (
                        f("switches_per_signin")?,
                        f("switches_min")?,
                        f("switches_max")?,
                    ),
                    total_ms: (f("total_ms")?, f("total_ms_min")?, f("total_ms_max")?),
                });
            }
            levels.sort_by_key(|l| l.threads);
            Some(switches::switches_verdict(&levels).0)
        }
        "listen-backlog" => {
            let f = |k: &str| figures[k].as_f64();
            let queue = backlog::Queue {
                tried: n("tried")?,
                at_once: n("connected_at_once")?,
                refused: n("refused")?,
                timed_out: n("timed_out")?,
                timeout_ms: f("timeout_ms")?,
                next_wait_ms: (
                    f("next_wait_ms")?,
                    f("next_wait_ms_min")?,
                    f("next_wait_ms_max")?,
                ),
                served_at_once: n("served_at_once")?,
                half_open: match figures["half_open_held"].is_null() {
                    true => None,
                    false => Some(backlog::HalfOpen {
                        held: n("half_open_held")?,
                        timed_out: n("half_open_timed_out")?,
                        timed_out_cookies: n("half_open_timed_out_cookies")?,
                    }),
                },
            };
            Some(backlog::backlog_verdict(&queue).0)
        }
        "reuseaddr" => {
            let result = |k: &str, said: &str| match figures[k].as_bool()? {
                true => Some(Ok(())),
                false => Some(Err(figures[said].as_str()?.to_string())),
            };
            Some(
                reuseaddr::reuseaddr_verdict(
                    &result("without_bound", "restart_without_reuseaddr")?,
                    &result("with_bound", "restart_with_reuseaddr")?,
                )
                .0,
            )
        }
        "closed-peer" => {
            let receives = |side: &str| {
                Some(closed_peer::Receives {
                    empty: n(&format!("{side}_empty_receives"))?,
                    errors: figures[format!("{side}_errors")]
                        .as_array()?
                        .iter()
                        .filter_map(|e| e.as_str().map(String::from))
                        .collect(),
                    slowest_ms: figures[format!("{side}_slowest_ms")]
                        .as_f64()
                        .unwrap_or(0.0),
                })
            };
            Some(closed_peer::closed_peer_verdict(&receives("closed")?, &receives("reset")?).0)
        }
        "empty-send" => {
            let b = |k: &str| figures[k].as_bool();
            let e = empty_send::Empties {
                tcp_sent: n("tcp_send_returned")?,
                tcp_received: b("tcp_received")?,
                tcp_waited_ms: figures["tcp_waited_ms"].as_f64()?,
                udp_received: b("udp_received_empty")?,
                udp_answered: b("udp_answered_empty")?,
            };
            Some(empty_send::empty_send_verdict(&e).0)
        }
        "udp-serial" => Some(udp_serial::udp_serial_verdict(
            f("work_ms")?,
            triple("serial_wait_ms")?,
            triple("threaded_wait_ms")?,
        )),
        "largest-datagram" => Some(largest::largest_verdict(n("largest_ipv4")?)),
        "models" => {
            let keys = figures.as_object()?.keys();
            let prefix = "thread per connection @ ";
            let top = keys
                .filter_map(|k| k.strip_prefix(prefix)?.parse::<usize>().ok())
                .max()?;
            let thread = &figures[format!("{prefix}{top}")];
            let pool = &figures[format!("thread pool (10) @ {top}")];
            let capped = |model: &str| {
                figures["capped"][model]["failed"]
                    .as_u64()
                    .map(|n| n as usize)
            };
            let cap = capped("thread per connection").zip(capped("thread pool (10)"));
            Some(models::models_verdict(&models::Scaled {
                ratio: figures["pool_vs_thread_at_top"].as_f64()?,
                top,
                pool_failed: pool["failed"].as_u64()? as usize,
                thread_failed: thread["failed"].as_u64()? as usize,
                threads: thread["threads"].as_u64()?,
                rss_mb: thread["rss_kb"].as_f64()? / 1024.0,
                cap: cap.map(|(thread, pool)| (n("capped_threads").unwrap_or(0), thread, pool)),
            }))
        }
        _ => None,
    }
}

/// Every experiment's claim, as the report quotes it, with the seeds it
/// cites (`"000 004"`): each piece between `…` is the seed's own sentence,
/// verbatim; what follows " (in our words" is the project's reading. A test
/// checks the quotes against the seeds (tests/it/claims.rs).
pub fn quotes() -> [(&'static str, &'static str); 15] {
    [
        (udp_vs_tcp::CLAIM, "000"),
        (udp_loss::CLAIM, "000 004"),
        (lossy_link::LOSSY_CLAIM, "000"),
        (framing::CLAIM, "002"),
        (datagrams::CLAIM, "002"),
        (models::CLAIM, "000"),
        (slow_clients::CLAIM, "000 004"),
        (one_at_a_time::CLAIM, "002 003"),
        (switches::CLAIM, "000"),
        (backlog::CLAIM, "000 004 002"),
        (reuseaddr::CLAIM, "002"),
        (closed_peer::CLAIM, "002"),
        (empty_send::CLAIM, "002"),
        (udp_serial::CLAIM, "002"),
        (largest::CLAIM, "000"),
    ]
}
