//! `listen-backlog`: what `listen(5)` limits. Clients connect to a server
//! that listens with a backlog of 5 and never accepts: how many complete
//! their handshake at once, whether the others are refused or time out,
//! and how long the next one waits once the server takes one from the
//! queue. Then a thread per connection with the same `listen(5)` holds
//! many clients at once.

use super::*;

/// The seeds' sentences this experiment measures, verbatim (000, 004,
/// then 002, whose 半连接池 is the queue of handshakes done that wait for
/// `accept`, as it says).
pub(super) const CLAIM: &str = "设置为被动监听模式，最大并发接收的数量是5…最多同时5个连接进来…如果半连接池满了再有客户端连接就会报超时错误。";

/// The backlog the seeds pass to `listen`.
pub(super) const BACKLOG: i32 = 5;

/// What the queue did, with a backlog of [`BACKLOG`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Queue {
    /// Clients that tried at once.
    pub tried: usize,
    /// Handshakes done with nothing accepted.
    pub at_once: usize,
    /// Clients refused outright (RST).
    pub refused: usize,
    /// Clients whose connect timed out (after `timeout_ms`).
    pub timed_out: usize,
    pub timeout_ms: f64,
    /// The next client's connect, once the server accepted one: ms
    /// (median, min, max of the repeats).
    pub next_wait_ms: (f64, f64, f64),
    /// Clients a thread per connection held at once with `listen(5)`.
    pub served_at_once: usize,
}

/// Fills the queue: `tried` clients connect at once (each with `timeout`)
/// to a listener that never accepts.
fn fill(tried: usize, timeout: Duration) -> Result<(usize, usize, usize)> {
    let listener = common::net::listen(loopback(), BACKLOG)?;
    let addr = listener.local_addr()?;
    let clients: Vec<_> = (0..tried)
        .map(|_| thread::spawn(move || TcpStream::connect_timeout(&addr, timeout)))
        .collect();
    // Nothing is ever accepted: every client that connects, connects while
    // all of them are waiting, and is held (`held`) until the count is done.
    let (mut held, mut refused, mut timed_out) = (Vec::new(), 0, 0);
    for c in clients {
        match c.join().map_err(|_| anyhow::anyhow!("a client panicked"))? {
            Ok(s) => held.push(s),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => refused += 1,
            Err(e) if common::net::is_timeout(&e) => timed_out += 1,
            Err(e) => return Err(e.into()),
        }
    }
    drop(listener);
    Ok((held.len(), refused, timed_out))
}

/// The queue full, one more client starts, and the server accepts one:
/// how long that client's connect took, in ms.
fn next_wait() -> Result<f64> {
    let listener = common::net::listen(loopback(), BACKLOG)?;
    let addr = listener.local_addr()?;
    let mut queued = Vec::new();
    // Fill the queue, one by one: each connects at once while there is room.
    loop {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Ok(s) => queued.push(s),
            Err(e) if common::net::is_timeout(&e) => break,
            Err(e) => return Err(e.into()),
        }
        anyhow::ensure!(queued.len() < 1000, "the queue never filled");
    }
    let dropped = || crate::load::syn_counters().map(|(_, overflows, drops)| overflows + drops);
    let before = dropped();
    let started = Instant::now();
    let next = thread::spawn(move || TcpStream::connect_timeout(&addr, Duration::from_secs(10)));
    // Room is made only once the kernel has dropped the next client's first
    // SYN (its counters say so); where they cannot be read, after 100 ms.
    match before {
        Some(before) => {
            let until = Instant::now() + WAIT;
            while dropped().is_some_and(|now| now <= before) && Instant::now() < until {
                thread::sleep(Duration::from_millis(1));
            }
        }
        None => thread::sleep(Duration::from_millis(100)),
    }
    let (taken, _) = listener.accept()?;
    let got = next
        .join()
        .map_err(|_| anyhow::anyhow!("the client panicked"))?;
    got.context("the next client, once there was room")?;
    drop((taken, queued));
    Ok(started.elapsed().as_secs_f64() * 1e3)
}

/// A thread per connection (2.4) with `listen(5)`: how many clients it
/// holds connected and served at once.
fn served_at_once(clients: usize) -> Result<usize> {
    let (addr, stop, server) = start_server(BACKLOG, |listener, opts, stop, out| {
        multithread::server::run(listener, opts, Duration::ZERO, stop, out)
    })?;
    let mut held = Vec::new();
    for _ in 0..clients {
        held.push(TcpStream::connect_timeout(&addr, WAIT)?);
    }
    let until = Instant::now() + WAIT;
    while stop.live() < clients && Instant::now() < until {
        thread::sleep(Duration::from_millis(5));
    }
    let served = stop.live();
    drop(held);
    stop.trigger();
    let _ = server.join();
    Ok(served)
}

pub(super) fn listen_backlog(scale: Scale, bar: &ProgressBar) -> Result<Finding> {
    bar.set_length(2 + scale.n(1, 3) as u64);
    let (tried, timeout) = (12, Duration::from_millis(scale.n(1500, 2500) as u64));
    step(bar, "listen-backlog: clients at once, nothing accepted");
    let (at_once, refused, timed_out) = fill(tried, timeout)?;
    let mut waits = Vec::new();
    // Three trials (one with --quick, which is for a quick look).
    for trial in 0..scale.n(1, 3) {
        step(
            bar,
            format!("listen-backlog: the next client, trial {}", trial + 1),
        );
        waits.push(next_wait()?);
    }
    step(
        bar,
        "listen-backlog: a thread per connection with listen(5)",
    );
    let clients = scale.n(20, 50);
    let queue = Queue {
        tried,
        at_once,
        refused,
        timed_out,
        timeout_ms: timeout.as_secs_f64() * 1e3,
        next_wait_ms: spread(&waits),
        served_at_once: served_at_once(clients)?,
    };
    let (verdict, why) = backlog_verdict(&queue);
    let figures = json!({
        "backlog": BACKLOG,
        "tried": queue.tried,
        "connected_at_once": queue.at_once,
        "refused": queue.refused,
        "timed_out": queue.timed_out,
        "timeout_ms": queue.timeout_ms,
        "next_wait_ms": queue.next_wait_ms.0,
        "next_wait_ms_min": queue.next_wait_ms.1,
        "next_wait_ms_max": queue.next_wait_ms.2,
        "served_at_once": queue.served_at_once,
        "os": std::env::consts::OS,
    });
    let csv = format!(
        "figure,value\nbacklog,{BACKLOG}\ntried,{tried}\nconnected_at_once,{at_once}\nrefused,{refused}\ntimed_out,{timed_out}\nnext_wait_ms,{:.1}\nserved_at_once,{}\n",
        queue.next_wait_ms.0, queue.served_at_once
    );
    Ok(Finding {
        name: "listen-backlog",
        claim: CLAIM,
        seed: "000 §2.1, 004, 002 §2.1",
        verdict,
        reason: why,
        figures,
        csv,
        chart: vec![(
            "clients".into(),
            vec![
                ("listen(5)".into(), BACKLOG as f64),
                ("connected at once, none accepted".into(), at_once as f64),
                ("timed out".into(), timed_out as f64),
                ("served at once by 2.4".into(), queue.served_at_once as f64),
            ],
        )],
        unit: "clients (x: what is measured)",
        spreads: Vec::new(),
    })
}

/// Three sentences, each judged by its own figures. "At most 5" (000,
/// 004): does not hold if more than 5 connected at once with nothing
/// accepted, or if a thread per connection served more than 5 at once.
/// "A full queue times clients out" (002): holds if clients beyond the
/// queue timed out rather than being refused, and the next one waited
/// for the kernel's SYN retransmit (over half a second) before it got in.
pub(super) fn backlog_verdict(q: &Queue) -> (String, String) {
    let limit = BACKLOG as usize;
    let at_most_5 = q.at_once <= limit && q.served_at_once <= limit;
    let times_out = q.timed_out > 0 && q.refused == 0 && q.next_wait_ms.1 > 500.0;
    let why = format!(
        "with listen(5) and no accept, {} of {} clients connected at once (the handshake is the kernel's), {} were refused and {} timed out after {:.0} ms; once the server accepted one, the next got in after {:.0} ms (min {:.0}, max {:.0}: the SYN retransmit, the first SYN was dropped); a thread per connection with the same listen(5) held {} clients connected at once. (002's 半连接池 is, as it says, the queue of handshakes done that wait for accept; the kernel's queue of half-done handshakes would take a SYN flood to fill, not measured here)",
        q.at_once,
        q.tried,
        q.refused,
        q.timed_out,
        q.timeout_ms,
        q.next_wait_ms.0,
        q.next_wait_ms.1,
        q.next_wait_ms.2,
        q.served_at_once
    );
    let verdict = match (at_most_5, times_out) {
        (true, true) => "holds".to_string(),
        (false, true) => format!(
            "“at most 5” does not hold: listen(5) bounds the queue of connections not yet accepted ({} here), not the clients connected or served; a full queue does time clients out",
            q.at_once
        ),
        (true, false) => {
            "holds only in part: at most 5 connected, but a full queue did not time clients out"
                .to_string()
        }
        (false, false) => "does not hold here".to_string(),
    };
    (verdict, why)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linux() -> Queue {
        Queue {
            tried: 12,
            at_once: 6,
            refused: 0,
            timed_out: 6,
            timeout_ms: 2500.0,
            next_wait_ms: (1020.0, 1010.0, 1040.0),
            served_at_once: 50,
        }
    }

    #[test]
    fn the_verdict_follows_the_figures_both_ways() {
        assert!(
            backlog_verdict(&linux())
                .0
                .starts_with("“at most 5” does not hold")
        );
        let as_said = Queue {
            at_once: 5,
            served_at_once: 5,
            ..linux()
        };
        assert_eq!(backlog_verdict(&as_said).0, "holds");
        let refusing = Queue {
            refused: 6,
            timed_out: 0,
            next_wait_ms: (1.0, 1.0, 1.0),
            ..linux()
        };
        assert_eq!(backlog_verdict(&refusing).0, "does not hold here");
    }
}
