//! `one-at-a-time`: a server that serves one client at a time (2.1's
//! `tcp_server`, which handles each connection before the next `accept`)
//! makes the next client wait for the first: the second client's wait
//! against how long the first one holds its connection, beside the same
//! with a thread per connection (2.4's `multithread_server`).

use super::*;

/// The seeds' sentences this experiment measures, verbatim (`…` where the
/// quote skips from 002 to 003).
pub(super) const CLAIM: &str = "前面我们实现的服务端只能同时响应一个客户端。…如果第一个客户端保持连接，后面的客户端连接上了但会卡住";

/// One trial: the first client connects and says nothing for `hold`; the
/// second connects, sends, and waits for its reply. Returns the second's
/// connect time and its wait for the reply, in ms, and whether its reply
/// came before the first client spoke (what a one-at-a-time server can
/// never do, however slow the machine).
pub(super) fn second_client(serial: bool, hold: Duration) -> Result<(f64, f64, bool)> {
    let (addr, stop, server) = start_server(16, move |listener, opts, stop, out| match serial {
        true => tcp_basic::server::run(listener, opts, stop, out),
        false => multithread::server::run(listener, opts, Duration::ZERO, stop, out),
    })?;
    let mut first = TcpStream::connect_timeout(&addr, WAIT)?;
    first.set_read_timeout(Some(WAIT))?;
    // The server has taken the first client once it is in flight.
    let until = Instant::now() + WAIT;
    while stop.live() == 0 && Instant::now() < until {
        thread::sleep(Duration::from_millis(1));
    }
    let releaser = thread::spawn(move || -> Result<Instant> {
        thread::sleep(hold);
        let released = Instant::now();
        first.write_all(b"first")?;
        let _ = first.read(&mut [0u8; 1024])?;
        Ok(released)
    });
    let started = Instant::now();
    let mut second = TcpStream::connect_timeout(&addr, WAIT)?;
    let connected = started.elapsed();
    second.set_read_timeout(Some(hold + WAIT))?;
    second.write_all(b"second")?;
    let got = second.read(&mut [0u8; 1024])?;
    let replied = Instant::now();
    anyhow::ensure!(got > 0, "the second client got no reply");
    let released = releaser
        .join()
        .map_err(|_| anyhow::anyhow!("the first client panicked"))??;
    stop.trigger();
    let _ = server.join();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    Ok((ms(connected), ms(replied - started), replied < released))
}

pub(super) fn one_at_a_time(scale: Scale, bar: &ProgressBar) -> Result<Finding> {
    let hold = Duration::from_millis(scale.n(300, 1000) as u64);
    let repeats = 3;
    bar.set_length(2 * repeats as u64);
    let mut csv = String::from("server,trial,connect_ms,wait_ms\n");
    let mut waits = [Vec::new(), Vec::new()];
    let mut connects = Vec::new();
    for trial in 0..repeats {
        for (i, serial) in [true, false].into_iter().enumerate() {
            let name = if serial {
                "one at a time"
            } else {
                "thread per connection"
            };
            step(bar, format!("one-at-a-time: {name}, trial {}", trial + 1));
            let (connect, wait, _) = second_client(serial, hold)?;
            let _ = writeln!(csv, "{name},{},{connect:.2},{wait:.2}", trial + 1);
            waits[i].push(wait);
            if serial {
                connects.push(connect);
            }
        }
    }
    let hold_ms = hold.as_secs_f64() * 1e3;
    let (serial, threaded, connect) = (spread(&waits[0]), spread(&waits[1]), spread(&connects));
    let verdict = one_at_a_time_verdict(hold_ms, serial, threaded, connect.2);
    let figures = json!({
        "hold_ms": hold_ms,
        "serial_wait_ms": serial.0, "serial_wait_ms_min": serial.1, "serial_wait_ms_max": serial.2,
        "threaded_wait_ms": threaded.0, "threaded_wait_ms_min": threaded.1, "threaded_wait_ms_max": threaded.2,
        "serial_connect_ms_max": connect.2,
        "repeats": repeats,
    });
    let (chart, spreads) = one_bar_each(
        "second client's wait",
        &[
            ("one at a time (2.1)", serial),
            ("thread per connection (2.4)", threaded),
        ],
    );
    Ok(Finding {
        name: "one-at-a-time",
        claim: CLAIM,
        seed: "002 §五, 003 三(二)",
        verdict,
        reason: format!(
            "the first client holds its connection {hold_ms:.0} ms without a word; the second connects at once (at most {:.2} ms) and then waits {:.0} ms for its reply from 2.1's one-at-a-time server (min {:.0}, max {:.0}, {repeats} trials), {:.1} ms from 2.4's thread per connection (min {:.1}, max {:.1})",
            connect.2, serial.0, serial.1, serial.2, threaded.0, threaded.1, threaded.2
        ),
        figures,
        csv,
        chart,
        unit: "ms, median of 3 (x: what is measured)",
        spreads,
    })
}

/// The claim holds when the second client connected at once (its handshake
/// is the kernel's, 连接上了) yet waited about as long as the first held
/// the server (at least 80 % of it, 卡住), while a thread per connection
/// answered it in under a fifth of that. Each figure is (median, min, max).
pub(super) fn one_at_a_time_verdict(
    hold_ms: f64,
    serial: (f64, f64, f64),
    threaded: (f64, f64, f64),
    connect_max_ms: f64,
) -> String {
    let connected = connect_max_ms < hold_ms / 5.0;
    let stuck = serial.1 >= 0.8 * hold_ms;
    let control = threaded.2 < hold_ms / 5.0;
    match (connected, stuck, control) {
        (true, true, true) => "holds".into(),
        (_, false, _) => format!(
            "does not hold here: the second client waited {:.0} ms of the first's {hold_ms:.0}",
            serial.1
        ),
        (false, true, _) => format!(
            "holds only in part: the second client waited, but its connect too took {connect_max_ms:.0} ms"
        ),
        (true, true, false) => format!(
            "holds only in part: the second client waited on the one-at-a-time server, but as long ({:.0} ms) with a thread per connection",
            threaded.2
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verdict_follows_the_figures_both_ways() {
        let holds = one_at_a_time_verdict(1000.0, (995.0, 990.0, 999.0), (0.4, 0.3, 0.6), 0.2);
        assert_eq!(holds, "holds");
        let fast = one_at_a_time_verdict(1000.0, (1.0, 0.5, 2.0), (0.4, 0.3, 0.6), 0.2);
        assert!(fast.starts_with("does not hold here"), "{fast}");
        let slow_connect =
            one_at_a_time_verdict(1000.0, (995.0, 990.0, 999.0), (0.4, 0.3, 0.6), 900.0);
        assert!(
            slow_connect.starts_with("holds only in part"),
            "{slow_connect}"
        );
    }

    #[test]
    fn the_second_client_waits_for_the_first_on_the_one_at_a_time_server() {
        // An order, not a time: the server is busy with the first client by
        // design, so it answers the second only after the first has spoken.
        let (_, _, answered_first) = second_client(true, Duration::from_millis(300)).unwrap();
        assert!(!answered_first);
    }
}
