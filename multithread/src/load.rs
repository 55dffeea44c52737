//! A load generator for the sign-in servers: `total` sign-ins by
//! `concurrency` threads, each connect → send → read to EOF → close, timed.
//! The stress tests and the benchmark of main lab 2.4 (3) use it. It prints
//! nothing, so it measures the server, not a terminal.

use crate::signin_message;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// What a load run saw.
#[derive(Debug, Default, Clone)]
pub struct LoadReport {
    pub ok: usize,
    pub failed: usize,
    /// One latency per successful sign-in, sorted.
    pub latencies: Vec<Duration>,
    pub elapsed: Duration,
    /// The first failure, to say what went wrong.
    pub first_error: Option<String>,
}

impl LoadReport {
    /// Successful sign-ins per second.
    pub fn per_sec(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    /// The latency below which `p` (0..=1) of the sign-ins completed.
    pub fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let i = ((self.latencies.len() - 1) as f64 * p).round() as usize;
        self.latencies[i.min(self.latencies.len() - 1)]
    }
}

/// Runs `total` sign-ins against `server`, `concurrency` at a time. A
/// sign-in fails when it cannot connect, or gets no answer, within
/// `timeout`.
pub fn load(server: SocketAddr, total: usize, concurrency: usize, timeout: Duration) -> LoadReport {
    let next = Arc::new(AtomicUsize::new(0));
    let report = Arc::new(Mutex::new(LoadReport::default()));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency.clamp(1, total.max(1)))
        .filter_map(|_| {
            let (next, report) = (next.clone(), report.clone());
            thread::Builder::new()
                .stack_size(common::server::CONNECTION_STACK)
                .spawn(move || {
                    let mut mine = LoadReport::default();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= total {
                            break;
                        }
                        let t = Instant::now();
                        match signin_quietly(server, i, timeout) {
                            Ok(()) => {
                                mine.ok += 1;
                                mine.latencies.push(t.elapsed());
                            }
                            Err(e) => {
                                mine.failed += 1;
                                mine.first_error.get_or_insert_with(|| e.to_string());
                            }
                        }
                    }
                    let mut all = report.lock().unwrap_or_else(|p| p.into_inner());
                    all.ok += mine.ok;
                    all.failed += mine.failed;
                    all.latencies.append(&mut mine.latencies);
                    if all.first_error.is_none() {
                        all.first_error = mine.first_error;
                    }
                })
                .ok()
        })
        .collect();
    for w in workers {
        let _ = w.join();
    }
    let mut report = report.lock().unwrap_or_else(|p| p.into_inner()).clone();
    report.elapsed = started.elapsed();
    // Sign-ins no thread got to (none could be started) count as failed.
    report.failed = total - report.ok;
    report.latencies.sort();
    report
}

fn signin_quietly(server: SocketAddr, i: usize, timeout: Duration) -> std::io::Result<()> {
    let mut stream = common::net::connect(server, Some(timeout))?;
    stream.write_all(signin_message(i).as_bytes())?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply)?;
    if reply.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "closed without an answer",
        ));
    }
    Ok(())
}
