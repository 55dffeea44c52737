//! C1, `udp-vs-tcp`: UDP is fast and light. The request/reply rate, p50/p99
//! and CPU per message of UDP, TCP on a kept connection and TCP with a
//! connection per request, at each payload.

use super::*;

/// The seed's sentence this experiment measures, verbatim (`…` where
/// the quote skips; our own words marked so).
pub(super) const CLAIM: &str = "由于UDP在传输数据报前不用在客户和服务器之间建立一个连接，且没有超时重发等机制，故而传输速度很快。它不属于连接型协议，因而具有资源消耗小，处理速度快的优点";

pub(super) const PAYLOADS: [usize; 4] = [1, 64, 1024, 1472];

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
    let mut chart: Vec<(String, Vec<(String, f64)>)> = vec![
        ("UDP".into(), vec![]),
        ("TCP, kept connection".into(), vec![]),
        ("TCP, new connection".into(), vec![]),
    ];
    let client = UdpSocket::bind(loopback())?;
    client.set_read_timeout(Some(WAIT))?;
    let mut all_udp_faster_than_new = true;
    for size in PAYLOADS {
        step(bar, format!("udp-vs-tcp: {size}-byte payloads"));
        let payload = vec![b'x'; size];
        let mut buf = vec![0u8; 2048];
        let udp = rounds(n, || {
            client.send_to(&payload, udp_addr)?;
            // A lost datagram would wait WAIT and fail the run: on loopback
            // at one in flight, none is lost.
            client.recv_from(&mut buf).context("a UDP reply was lost")?;
            Ok(())
        })?;
        let mut kept = TcpStream::connect(tcp_addr)?;
        kept.set_nodelay(true)?;
        kept.set_read_timeout(Some(WAIT))?;
        let tcp_kept = rounds(n, || {
            kept.write_all(&payload)?;
            kept.read_exact(&mut buf[..size])?;
            Ok(())
        })?;
        drop(kept);
        let tcp_new = rounds(n / 4, || {
            let mut s = TcpStream::connect(tcp_addr)?;
            s.set_nodelay(true)?;
            s.set_read_timeout(Some(WAIT))?;
            s.write_all(&payload)?;
            s.read_exact(&mut buf[..size])?;
            Ok(())
        })?;
        all_udp_faster_than_new &= udp.rate > tcp_new.rate;
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
            row.insert(format!("{key}_p50_ms"), json!(ms(&r.hist, 0.5)));
            row.insert(format!("{key}_p99_ms"), json!(ms(&r.hist, 0.99)));
            row.insert(format!("{key}_cpu_us_per_msg"), json!(r.cpu_per_msg_us));
            chart[series].1.push((format!("{size} B"), r.rate));
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
    let verdict = if all_udp_faster_than_new && udp >= kept {
        "holds".to_string()
    } else if all_udp_faster_than_new {
        "holds only when TCP opens a connection per request, as the lab's clients do".to_string()
    } else {
        "does not hold here".to_string()
    };
    Ok(Finding {
        name: "udp-vs-tcp",
        claim: CLAIM,
        seed: "000 §2.2",
        verdict,
        reason: format!(
            "at 1472 bytes, one request in flight: UDP {udp:.0}/s, TCP on a kept connection {kept:.0}/s, TCP with a new connection per request {new:.0}/s; most of TCP's cost is the connection, not the stream"
        ),
        figures: Value::Object(figures),
        csv,
        chart,
        unit: "requests/s",
    })
}
