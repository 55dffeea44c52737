//! `udp-serial`: a UDP server answers one datagram at a time, so "two UDP
//! clients served at once" holds only while each answer is quick. One
//! client's request takes the server `work` (simulated, as the seed
//! suggests, by a sleep); a second client's request sent just after it
//! waits for that work. Beside it, a server that answers each datagram on
//! a thread of its own (socketserver's ThreadingUDPServer, the seed's "真正
//! 的并发").

use super::*;

/// The seed's sentence this experiment measures, verbatim.
pub(super) const CLAIM: &str = "看起来UDP默认就支持并发，其实这不是真正的并发，是因为服务端响应比较快，在短时间内分别响应了多个客户端，如果其中一个客户端数据量比较大，那另一个客户端会阻塞等待响应";

/// Serves until `stop`: each datagram is answered with itself, after
/// `work` for one that starts with `slow`, in turn (`threaded`: each on a
/// thread of its own).
fn serve(sk: UdpSocket, work: Duration, threaded: bool, stop: Flag) -> Result<()> {
    sk.set_read_timeout(Some(Duration::from_millis(50)))?;
    let sk = Arc::new(sk);
    let mut buf = [0u8; 1024];
    while !stop.is_up() {
        let Ok((n, from)) = sk.recv_from(&mut buf) else {
            continue;
        };
        let (data, sk) = (buf[..n].to_vec(), sk.clone());
        let answer = move || {
            if data.starts_with(b"slow") {
                thread::sleep(work);
            }
            let _ = sk.send_to(&data, from);
        };
        if threaded {
            thread::spawn(answer);
        } else {
            answer();
        }
    }
    Ok(())
}

/// One trial: the slow request, then at once the quick one (a socket's
/// queue keeps their order). Returns the quick one's round trip, in ms,
/// and whether the slow one had its answer by then (what a one-at-a-time
/// server always does, however slow the machine).
pub(super) fn quick_wait(work: Duration, threaded: bool) -> Result<(f64, bool)> {
    let sk = UdpSocket::bind(loopback())?;
    let addr = sk.local_addr()?;
    let stop = Flag::default();
    let s = stop.clone();
    let server = thread::spawn(move || serve(sk, work, threaded, s));
    let slow = UdpSocket::bind(loopback())?;
    slow.set_read_timeout(Some(work + WAIT))?;
    let quick = UdpSocket::bind(loopback())?;
    quick.set_read_timeout(Some(work + WAIT))?;
    slow.send_to(b"slow request", addr)?;
    let started = Instant::now();
    quick.send_to(b"quick request", addr)?;
    let mut buf = [0u8; 64];
    let (n, _) = quick
        .recv_from(&mut buf)
        .context("the quick client's answer")?;
    let waited = started.elapsed().as_secs_f64() * 1e3;
    anyhow::ensure!(&buf[..n] == b"quick request", "a wrong answer");
    // Answered already? Look without waiting, then wait for it if not.
    slow.set_nonblocking(true)?;
    let slow_first = slow.recv_from(&mut buf).is_ok();
    slow.set_nonblocking(false)?;
    if !slow_first {
        slow.recv_from(&mut buf)
            .context("the slow client's answer")?;
    }
    stop.raise();
    server
        .join()
        .map_err(|_| anyhow::anyhow!("the server panicked"))??;
    Ok((waited, slow_first))
}

pub(super) fn udp_serial(scale: Scale, bar: &ProgressBar) -> Result<Finding> {
    let work = Duration::from_millis(scale.n(200, 500) as u64);
    let repeats = 3;
    bar.set_length(2 * repeats as u64);
    let mut csv = String::from("server,trial,quick_client_wait_ms\n");
    let mut waits = [Vec::new(), Vec::new()];
    for trial in 0..repeats {
        for (i, threaded) in [false, true].into_iter().enumerate() {
            let name = if threaded {
                "a thread per datagram"
            } else {
                "one at a time"
            };
            step(bar, format!("udp-serial: {name}, trial {}", trial + 1));
            let (waited, _) = quick_wait(work, threaded)?;
            let _ = writeln!(csv, "{name},{},{waited:.2}", trial + 1);
            waits[i].push(waited);
        }
    }
    let work_ms = work.as_secs_f64() * 1e3;
    let (serial, threaded) = (spread(&waits[0]), spread(&waits[1]));
    let verdict = udp_serial_verdict(work_ms, serial, threaded);
    let (chart, spreads) = one_bar_each(
        "the second client's wait",
        &[
            ("one datagram at a time", serial),
            ("a thread per datagram", threaded),
        ],
    );
    Ok(Finding {
        name: "udp-serial",
        claim: CLAIM,
        seed: "002 §5.2",
        verdict,
        reason: format!(
            "one client's request takes the server {work_ms:.0} ms; a second client's request sent right after it waited {:.0} ms for its answer from a server that answers one datagram at a time (min {:.0}, max {:.0}, {repeats} trials), {:.2} ms from one that answers each on a thread of its own (min {:.2}, max {:.2})",
            serial.0, serial.1, serial.2, threaded.0, threaded.1, threaded.2
        ),
        figures: json!({
            "work_ms": work_ms,
            "serial_wait_ms": serial.0, "serial_wait_ms_min": serial.1, "serial_wait_ms_max": serial.2,
            "threaded_wait_ms": threaded.0, "threaded_wait_ms_min": threaded.1, "threaded_wait_ms_max": threaded.2,
            "repeats": repeats,
        }),
        csv,
        chart,
        unit: "ms, median of 3 (x: what is measured)",
        spreads,
    })
}

/// Holds when the second client waited for most of the first's work (at
/// least half of it, in every trial) from the one-at-a-time server, and
/// under a fifth of it, in every trial, from the threaded one.
pub(super) fn udp_serial_verdict(
    work_ms: f64,
    serial: (f64, f64, f64),
    threaded: (f64, f64, f64),
) -> String {
    let blocked = serial.1 >= work_ms / 2.0;
    let control = threaded.2 < work_ms / 5.0;
    match (blocked, control) {
        (true, true) => "holds".to_string(),
        (true, false) => format!(
            "holds only in part: the second client waited, but as long ({:.0} ms) when each datagram had a thread",
            threaded.2
        ),
        (false, _) => format!(
            "does not hold here: the second client waited {:.0} ms of the first's {work_ms:.0}",
            serial.1
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verdict_follows_the_figures_both_ways() {
        assert_eq!(
            udp_serial_verdict(500.0, (480.0, 470.0, 490.0), (0.2, 0.1, 0.4)),
            "holds"
        );
        let not = udp_serial_verdict(500.0, (0.3, 0.2, 0.4), (0.2, 0.1, 0.4));
        assert!(not.starts_with("does not hold here"), "{not}");
    }

    #[test]
    fn a_slow_request_holds_up_the_next_client_of_a_one_at_a_time_server() {
        // An order, not a time: answering one datagram at a time, the
        // server has answered the slow request before the quick one.
        let (_, slow_first) = quick_wait(Duration::from_millis(200), false).unwrap();
        assert!(slow_first);
    }
}
