//! C1, `udp-vs-tcp`: UDP is fast and light. The request/reply rate, p50/p99
//! and CPU per message of UDP, TCP on a kept connection and TCP with a
//! connection per request, at each payload.

use super::*;

/// The seed's sentence this experiment measures, verbatim (`…` where
/// the quote skips; our own words marked so).
pub(super) const CLAIM: &str = "由于UDP在传输数据报前不用在客户和服务器之间建立一个连接，且没有超时重发等机制，故而传输速度很快。它不属于连接型协议，因而具有资源消耗小，处理速度快的优点";

pub(super) const PAYLOADS: [usize; 4] = [1, 64, 1024, 1472];

/// How many times each transport is measured at each payload.
pub(super) const REPEATS: usize = 3;

/// Request/reply rounds with one kind of transport: rate and latencies.
pub(super) struct Rounds {
    pub(super) rate: f64,
    pub(super) hist: Histogram<u64>,
    pub(super) cpu_per_msg_us: f64,
}

pub(super) fn rounds(n: usize, mut one: impl FnMut() -> Result<()>) -> Result<Rounds> {
    let mut hist = histogram();
    let cpu = cpu_now();
    let started = Instant::now();
    for _ in 0..n {
        let t = Instant::now();
        one()?;
        let _ = hist.record(t.elapsed().as_micros().max(1) as u64);
    }
    let elapsed = started.elapsed();
    let cpu = cpu_now().saturating_sub(cpu);
    Ok(Rounds {
        rate: n as f64 / elapsed.as_secs_f64().max(f64::EPSILON),
        hist,
        cpu_per_msg_us: cpu.as_secs_f64() * 1e6 / n as f64,
    })
}

pub(super) fn udp_vs_tcp(scale: Scale, bar: &ProgressBar) -> Result<Finding> {
    bar.set_length(PAYLOADS.len() as u64);
    let n = scale.n(1_000, 10_000);
    let stop = Flag::default();
    // An echo server for each transport, on threads of their own.
    let udp_server = UdpSocket::bind(loopback())?;
    udp_server.set_read_timeout(Some(Duration::from_millis(100)))?;
    let udp_addr = udp_server.local_addr()?;
    let tcp_server = TcpListener::bind(loopback())?;
    let tcp_addr = tcp_server.local_addr()?;
    let s1 = stop.clone();
    let udp_thread = thread::spawn(move || {
        let mut buf = [0u8; 2048];
        while !s1.is_up() {
            if let Ok((n, from)) = udp_server.recv_from(&mut buf) {
                let _ = udp_server.send_to(&buf[..n], from);
            }
        }
    });
    let s2 = stop.clone();
    let tcp_thread = thread::spawn(move || {
        for conn in tcp_server.incoming() {
            if s2.is_up() {
                break;
            }
            let Ok(mut conn) = conn else { continue };
            let _ = conn.set_nodelay(true);
            thread::spawn(move || {
                let mut buf = [0u8; 2048];
                while let Ok(n) = conn.read(&mut buf) {
                    if n == 0 || conn.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            });
        }
    });
    let mut csv = String::from("payload,transport,rate_per_s,p50_ms,p99_ms,cpu_us_per_msg\n");
    let mut figures = serde_json::Map::new();
    let mut spreads = Vec::new();
    let mut chart: Vec<(String, Vec<(String, f64)>)> = vec![
        ("UDP".into(), vec![]),
        ("TCP, kept connection".into(), vec![]),
        ("TCP, new connection".into(), vec![]),
    ];
    let client = UdpSocket::bind(loopback())?;
    client.set_read_timeout(Some(WAIT))?;
    let mut rows = Vec::new();
    for size in PAYLOADS {
        step(bar, format!("udp-vs-tcp: {size}-byte payloads"));
        let payload = vec![b'x'; size];
        let mut buf = vec![0u8; 2048];
        // Each transport REPEATS times, interleaved, so that the machine's
        // drift falls on all three alike; the median is reported, with the
        // spread (min to max) beside it.
        let (mut udps, mut kepts, mut news) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..REPEATS {
            udps.push(rounds(n, || {
                client.send_to(&payload, udp_addr)?;
                // A lost datagram would wait WAIT and fail the run: on
                // loopback at one in flight, none is lost.
                client.recv_from(&mut buf).context("a UDP reply was lost")?;
                Ok(())
            })?);
            let mut kept = TcpStream::connect(tcp_addr)?;
            kept.set_nodelay(true)?;
            kept.set_read_timeout(Some(WAIT))?;
            kepts.push(rounds(n, || {
                kept.write_all(&payload)?;
                kept.read_exact(&mut buf[..size])?;
                Ok(())
            })?);
            drop(kept);
            news.push(rounds(n / 4, || {
                let mut s = TcpStream::connect(tcp_addr)?;
                s.set_nodelay(true)?;
                s.set_read_timeout(Some(WAIT))?;
                s.write_all(&payload)?;
                s.read_exact(&mut buf[..size])?;
                Ok(())
            })?);
        }
        let (udp, udp_fig) = median(udps);
        let (tcp_kept, kept_fig) = median(kepts);
        let (tcp_new, new_fig) = median(news);
        rows.push(Payload {
            size,
            udp: udp_fig,
            kept: kept_fig,
            new: new_fig,
        });
        let mut row = serde_json::Map::new();
        for (key, r, series) in [
            ("udp", &udp, 0),
            ("tcp_kept", &tcp_kept, 1),
            ("tcp_new", &tcp_new, 2),
        ] {
            let _ = writeln!(
                csv,
                "{size},{key},{:.0},{:.3},{:.3},{:.1}",
                r.rate,
                ms(&r.hist, 0.5),
                ms(&r.hist, 0.99),
                r.cpu_per_msg_us
            );
            row.insert(format!("{key}_rps"), json!(r.rate.round()));
            let fig = [&udp_fig, &kept_fig, &new_fig][series];
            row.insert(format!("{key}_rps_min"), json!(fig.min.round()));
            row.insert(format!("{key}_rps_max"), json!(fig.max.round()));
            row.insert(format!("{key}_p50_ms"), json!(ms(&r.hist, 0.5)));
            row.insert(format!("{key}_p99_ms"), json!(ms(&r.hist, 0.99)));
            row.insert(format!("{key}_cpu_us_per_msg"), json!(r.cpu_per_msg_us));
            chart[series].1.push((format!("{size} B"), r.rate));
            spreads.push((
                chart[series].0.clone(),
                format!("{size} B"),
                fig.min,
                fig.max,
            ));
        }
        figures.insert(format!("payload_{size}"), Value::Object(row));
    }
    stop.raise();
    let _ = TcpStream::connect(tcp_addr);
    let _ = udp_thread.join();
    let _ = tcp_thread.join();
    let p1472 = &figures["payload_1472"];
    let (udp, kept, new) = (
        p1472["udp_rps"].as_f64().unwrap_or(0.0),
        p1472["tcp_kept_rps"].as_f64().unwrap_or(0.0),
        p1472["tcp_new_rps"].as_f64().unwrap_or(0.0),
    );
    figures.insert("udp_rps".into(), json!(udp));
    figures.insert("tcp_kept_rps".into(), json!(kept));
    figures.insert("tcp_new_rps".into(), json!(new));
    let (verdict, mut reason) = udp_vs_tcp_verdict(&rows);
    // The thread the echo server starts for each new connection, measured
    // apart.
    let (cost, cost_min, cost_max) = thread_cost(&mut figures)?;
    let _ = write!(
        reason,
        "; starting and ending that thread costs {cost:.1} µs of CPU here, measured apart (median of 3, min {cost_min:.1}, max {cost_max:.1}), of the {:.1}–{:.1} µs of CPU a request on a new connection costs",
        rows.iter().map(|r| r.new.cpu).fold(f64::INFINITY, f64::min),
        rows.iter().map(|r| r.new.cpu).fold(0.0, f64::max)
    );
    Ok(Finding {
        name: "udp-vs-tcp",
        claim: CLAIM,
        seed: "000 §2.2",
        verdict,
        reason,
        figures: Value::Object(figures),
        csv,
        chart,
        unit: "requests/s (x: payload)",
        spreads,
    })
}

/// One transport at one payload: the median run's rate and CPU µs per
/// message, and the slowest and fastest run's rates.
#[derive(Clone, Copy, Debug)]
pub(super) struct Figure {
    pub(super) rate: f64,
    pub(super) cpu: f64,
    pub(super) min: f64,
    pub(super) max: f64,
}

/// One payload size's figures, for UDP, TCP on a kept connection, and TCP
/// with a new connection.
#[derive(Clone, Copy, Debug)]
pub(super) struct Payload {
    pub(super) size: usize,
    pub(super) udp: Figure,
    pub(super) kept: Figure,
    pub(super) new: Figure,
}

/// The run of median rate, and the figure of all the runs.
fn median(mut runs: Vec<Rounds>) -> (Rounds, Figure) {
    runs.sort_by(|a, b| a.rate.total_cmp(&b.rate));
    let (min, max) = (runs[0].rate, runs[runs.len() - 1].rate);
    let mid = runs.swap_remove(runs.len() / 2);
    let figure = Figure {
        rate: mid.rate,
        cpu: mid.cpu_per_msg_us,
        min,
        max,
    };
    (mid, figure)
}

/// Differences smaller than this share of the larger figure are not
/// judged: one run on a shared machine moves by that much.
const MARGIN: f64 = 0.10;

/// How `a` compares with `b`: 1 clearly more, -1 clearly less, 0 within
/// [`MARGIN`] or within `spread` (the runs' own spread: no measurable
/// difference).
fn compare(a: f64, b: f64, spread: f64) -> i32 {
    let margin = (MARGIN * a.max(b)).max(spread);
    if a > b + margin {
        1
    } else if a + margin < b {
        -1
    } else {
        0
    }
}

/// The verdict on 传输速度很快 and 资源消耗小, from the figures alone. The
/// claim is about the transport, so UDP is compared with TCP on a kept
/// connection, at every payload: faster (rate) and lighter (CPU per
/// message), each clearly, beyond [`MARGIN`]. The cost of a connection per
/// request is said as measured, not assumed.
pub(super) fn udp_vs_tcp_verdict(rows: &[Payload]) -> (String, String) {
    let spread = |f: &Figure| f.max - f.min;
    let faster: Vec<i32> = rows
        .iter()
        .map(|r| compare(r.udp.rate, r.kept.rate, spread(&r.udp).max(spread(&r.kept))))
        .collect();
    let lighter: Vec<i32> = rows
        .iter()
        .map(|r| compare(r.kept.cpu, r.udp.cpu, 0.0))
        .collect();
    let all = |v: &[i32], x: i32| !v.is_empty() && v.iter().all(|&c| c == x);
    let sizes = |v: &[i32], x: i32| {
        let s: Vec<String> = rows
            .iter()
            .zip(v)
            .filter(|(_, c)| **c == x)
            .map(|(r, _)| format!("{} B", r.size))
            .collect();
        s.join(", ")
    };
    let verdict = if all(&faster, 1) && all(&lighter, 1) {
        "holds".to_string()
    } else if faster.iter().chain(&lighter).all(|&c| c <= 0) {
        "does not hold here".to_string()
    } else {
        // "faster … at 64 B, 1024 B; no measurable difference at 1 B": the
        // payloads of each outcome, the empty ones left out.
        let part = |what: &str, v: &[i32]| {
            if all(v, 1) {
                return format!("{what} at every payload ({})", sizes(v, 1));
            }
            let said: Vec<String> = [
                (1, what),
                (0, "no measurable difference"),
                (-1, "the opposite"),
            ]
            .into_iter()
            .map(|(x, outcome)| (outcome, sizes(v, x)))
            .filter(|(_, at)| !at.is_empty())
            .map(|(outcome, at)| format!("{outcome} at {at}"))
            .collect();
            said.join(", ")
        };
        format!(
            "holds only in part: speed, {}; CPU, {}",
            part("UDP faster than TCP on a kept connection", &faster),
            part("UDP uses less per message", &lighter)
        )
    };
    let each: Vec<String> = rows
        .iter()
        .map(|r| {
            let f = |x: &Figure| {
                format!(
                    "{:.0}/s ({:.0}–{:.0}), {:.1} µs CPU",
                    x.rate, x.min, x.max, x.cpu
                )
            };
            format!(
                "{} B: UDP {}; TCP kept {}; TCP new {}",
                r.size,
                f(&r.udp),
                f(&r.kept),
                f(&r.new)
            )
        })
        .collect();
    let connection: Vec<String> = rows
        .iter()
        .map(|r| format!("{:.1} ×", r.kept.rate / r.new.rate.max(f64::EPSILON)))
        .collect();
    let reason = format!(
        "one request in flight, the median of {REPEATS} runs (min–max), differences within {:.0} % or the runs' spread not judged; {}; a new TCP connection per request is {} slower than a kept one (the echo server starts a thread per connection, which is part of that cost)",
        MARGIN * 100.0,
        each.join("; "),
        connection.join(", ")
    );
    (verdict, reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fig((rate, cpu): (f64, f64)) -> Figure {
        Figure {
            rate,
            cpu,
            min: rate * 0.99,
            max: rate * 1.01,
        }
    }

    fn row(size: usize, udp: (f64, f64), kept: (f64, f64)) -> Payload {
        Payload {
            size,
            udp: fig(udp),
            kept: fig(kept),
            new: fig((kept.0 / 5.0, kept.1 * 3.0)),
        }
    }

    #[test]
    fn the_verdict_follows_the_figures_both_ways() {
        let fast = [
            row(1, (20000.0, 10.0), (15000.0, 14.0)),
            row(1472, (18000.0, 11.0), (14000.0, 15.0)),
        ];
        assert_eq!(udp_vs_tcp_verdict(&fast).0, "holds");
        let slow = [
            row(1, (15000.0, 14.0), (20000.0, 10.0)),
            row(1472, (14000.0, 15.0), (18000.0, 11.0)),
        ];
        assert_eq!(udp_vs_tcp_verdict(&slow).0, "does not hold here");
        // Faster at one payload, the same within the margin at another, and
        // heavier: only in part, naming which.
        let mixed = [
            row(1, (20000.0, 15.0), (15000.0, 10.0)),
            row(1024, (18000.0, 15.0), (18500.0, 10.0)),
        ];
        let (verdict, reason) = udp_vs_tcp_verdict(&mixed);
        assert!(verdict.starts_with("holds only in part"), "{verdict}");
        assert!(
            verdict.contains(
                "speed, UDP faster than TCP on a kept connection at 1 B, no measurable difference at 1024 B; CPU, the opposite at 1 B, 1024 B"
            ),
            "{verdict}"
        );
        assert!(reason.contains("5.0 ×"), "{reason}");
        // A gap smaller than the runs' own spread is no measurable difference.
        let mut noisy = fast;
        for r in &mut noisy {
            r.udp.min = r.kept.rate * 0.5;
            r.udp.max = r.udp.rate * 1.5;
        }
        let (verdict, _) = udp_vs_tcp_verdict(&noisy);
        assert!(
            verdict.contains("speed, no measurable difference at 1 B, 1472 B;"),
            "{verdict}"
        );
    }
}
