//! `listen-backlog`: what `listen(5)` limits. Clients connect to a server
//! that listens with a backlog of 5 and never accepts: how many complete
//! their handshake at once, whether the others are refused or time out,
//! and how long the next one waits once the server takes one from the
//! queue. Then a thread per connection with the same `listen(5)` holds
//! many clients at once. Last, the kernel's own queue of half-done
//! handshakes (SYN_RECV), which 002's name 半连接池 usually means: in a
//! private network namespace whose loopback drops every client's last
//! ACK, with syncookies off and then on (Linux's default).

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
    /// The kernel's half-open queue, where a namespace could be made.
    pub half_open: Option<HalfOpen>,
}

/// What `tried` clients met at a `listen(5)` whose handshakes are never
/// finished (every client's last ACK dropped), each run in a namespace of
/// its own.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct HalfOpen {
    /// Half-done handshakes the server held (SYN_RECV), syncookies off.
    pub held: usize,
    /// Clients whose connect timed out, syncookies off.
    pub timed_out: usize,
    /// Clients whose connect timed out, syncookies on.
    pub timed_out_cookies: usize,
}

/// Fills the queue: `tried` clients connect at once (each with `timeout`)
/// to a listener that never accepts.
fn fill(tried: usize, timeout: Duration) -> Result<(usize, usize, usize)> {
    let listener = common::net::listen(loopback(), BACKLOG)?;
    let (held, refused, timed_out) = connect_all(listener.local_addr()?, tried, timeout)?;
    drop(listener);
    Ok((held.len(), refused, timed_out))
}

/// `tried` clients connect to `addr` at once, each with `timeout`: the
/// connected ones (held open), the refused and the timed-out counts.
fn connect_all(
    addr: SocketAddr,
    tried: usize,
    timeout: Duration,
) -> Result<(Vec<TcpStream>, usize, usize)> {
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
    Ok((held, refused, timed_out))
}

/// `bench half-open-worker`: inside a fresh network namespace, sets
/// `net.ipv4.tcp_syncookies` (the namespace's own), listens with
/// `listen(5)` and never accepts, has nftables drop every client's last
/// ACK to it (so each handshake stays half done, SYN_RECV, as in a SYN
/// flood), and lets `tried` clients connect at once. Prints one line of
/// JSON: `half_open` (SYN_RECV entries on the server, from
/// /proc/net/tcp), `connected`, `refused`, `timed_out`.
pub fn half_open_worker(cookies: bool, tried: usize, timeout: Duration) -> Result<String> {
    ethernet_loopback()?;
    std::fs::write(
        "/proc/sys/net/ipv4/tcp_syncookies",
        if cookies { "1" } else { "0" },
    )
    .context("cannot set net.ipv4.tcp_syncookies in the namespace")?;
    let listener = common::net::listen(loopback(), BACKLOG)?;
    let addr = listener.local_addr()?;
    // A bare ACK (no SYN) to the server's port is the handshake's last step.
    nft(&format!(
        "table inet halfopen {{\n  chain output {{\n    type filter hook output priority 0; policy accept;\n    tcp dport {} tcp flags & (syn | ack) == ack drop\n  }}\n}}\n",
        addr.port()
    ))?;
    let (held, refused, timed_out) = connect_all(addr, tried, timeout)?;
    // The clients are still held (and the listener open) while it is read;
    // state 03 is SYN_RECV.
    let half_open = crate::load::sockets_on(addr)
        .context("cannot read /proc/net/tcp")?
        .iter()
        .filter(|(state, _)| state == "03")
        .count();
    Ok(json!({
        "half_open": half_open,
        "connected": held.len(),
        "refused": refused,
        "timed_out": timed_out,
    })
    .to_string())
}

/// The half-open queue, syncookies off then on, each in a namespace of its
/// own; why not, where one cannot be made.
fn half_open(tried: usize, timeout: Duration) -> std::result::Result<HalfOpen, String> {
    let unshare = namespace()?;
    let run = |cookies: bool| -> std::result::Result<Value, String> {
        let args = [
            "half-open-worker".to_string(),
            format!("--cookies={cookies}"),
            format!("--tried={tried}"),
            format!("--timeout-ms={}", timeout.as_millis()),
        ];
        in_namespace(&unshare, &args, timeout + WAIT).map_err(|e| format!("{e:#}"))
    };
    let (off, on) = (run(false)?, run(true)?);
    let count = |v: &Value, k: &str| v[k].as_u64().map(|n| n as usize);
    let missing = || "the worker's JSON lacks a count".to_string();
    Ok(HalfOpen {
        held: count(&off, "half_open").ok_or_else(missing)?,
        timed_out: count(&off, "timed_out").ok_or_else(missing)?,
        timed_out_cookies: count(&on, "timed_out").ok_or_else(missing)?,
    })
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
    bar.set_length(3 + scale.n(1, 3) as u64);
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
    let served_at_once = served_at_once(clients)?;
    step(
        bar,
        "listen-backlog: the kernel's half-open queue, syncookies off and on",
    );
    let half_open = half_open(tried, timeout);
    let queue = Queue {
        tried,
        at_once,
        refused,
        timed_out,
        timeout_ms: timeout.as_secs_f64() * 1e3,
        next_wait_ms: spread(&waits),
        served_at_once,
        half_open: half_open.as_ref().ok().copied(),
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
        "half_open_held": queue.half_open.map(|h| h.held),
        "half_open_timed_out": queue.half_open.map(|h| h.timed_out),
        "half_open_timed_out_cookies": queue.half_open.map(|h| h.timed_out_cookies),
        "half_open_not_measured": half_open.as_ref().err(),
        "os": std::env::consts::OS,
    });
    let mut csv = format!(
        "figure,value\nbacklog,{BACKLOG}\ntried,{tried}\nconnected_at_once,{at_once}\nrefused,{refused}\ntimed_out,{timed_out}\nnext_wait_ms,{:.1}\nserved_at_once,{}\n",
        queue.next_wait_ms.0, queue.served_at_once
    );
    let mut bars = vec![
        ("listen(5)".into(), BACKLOG as f64),
        ("queued, none accepted".into(), at_once as f64),
        ("timed out".into(), timed_out as f64),
        ("served by 2.4".into(), queue.served_at_once as f64),
    ];
    if let Some(h) = queue.half_open {
        let _ = write!(
            csv,
            "half_open_held,{}\nhalf_open_timed_out,{}\nhalf_open_timed_out_cookies,{}\n",
            h.held, h.timed_out, h.timed_out_cookies
        );
        bars.extend([
            ("SYN_RECV held".into(), h.held as f64),
            ("timed out, off".into(), h.timed_out as f64),
            ("timed out, on".into(), h.timed_out_cookies as f64),
        ]);
    }
    Ok(Finding {
        name: "listen-backlog",
        claim: CLAIM,
        seed: "000 §2.1, 004, 002 §2.1",
        verdict,
        reason: match &half_open {
            Err(e) => {
                format!("{why}; the kernel's queue of half-done handshakes was not measured: {e}")
            }
            Ok(_) => why,
        },
        figures,
        csv,
        chart: vec![("clients".into(), bars)],
        unit: match queue.half_open {
            Some(_) => {
                "clients (x: what is measured; the last three, the kernel's half-open queue with syncookies off and on)"
            }
            None => "clients (x: what is measured)",
        },
        spreads: Vec::new(),
    })
}

/// Three sentences, each judged by its own figures. "At most 5" (000,
/// 004): does not hold if more than 5 connected at once with nothing
/// accepted, or if a thread per connection served more than 5 at once.
/// "A full queue times clients out" (002, whose 半连接池 is the queue of
/// handshakes done that wait for accept): holds if clients beyond the
/// queue timed out rather than being refused, and the next one waited for
/// the kernel's SYN retransmit (over half a second) before it got in.
/// The kernel's own half-open queue, where measured, adds a clause: full,
/// it times clients out with syncookies off; with them on it does not.
pub(super) fn backlog_verdict(q: &Queue) -> (String, String) {
    let limit = BACKLOG as usize;
    let at_most_5 = q.at_once <= limit && q.served_at_once <= limit;
    let times_out = q.timed_out > 0 && q.refused == 0 && q.next_wait_ms.1 > 500.0;
    let mut why = format!(
        "with listen(5) and no accept, {} of {} clients connected at once (the handshake is the kernel's), {} were refused and {} timed out after {:.0} ms; once the server accepted one, the next got in after {:.0} ms (min {:.0}, max {:.0}: the SYN retransmit, the first SYN was dropped); a thread per connection with the same listen(5) held {} clients connected at once. (002's 半连接池 is, as it says, the queue of handshakes done that wait for accept)",
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
    let half_open = q.half_open.map(|h| {
        let _ = write!(
            why,
            "; the kernel's own queue of half-done handshakes, in a private network namespace that drops every client's last ACK (a SYN flood's effect): with syncookies off it held {} (SYN_RECV) and {} of the other clients timed out; with syncookies on (Linux's default, the server answers a full queue with a cookie) {} timed out",
            h.held, h.timed_out, h.timed_out_cookies
        );
        match (h.timed_out > 0, h.timed_out_cookies > 0) {
            (true, false) => "; the kernel's half-open queue, full, times clients out only with syncookies off (Linux's default is on)",
            (true, true) => "; the kernel's half-open queue, full, times clients out, with syncookies on too",
            (false, _) => "; the kernel's half-open queue, full, timed no client out",
        }
    });
    let mut verdict = match (at_most_5, times_out) {
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
    verdict.push_str(half_open.unwrap_or_default());
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
            half_open: None,
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

    #[test]
    fn the_half_open_clause_follows_its_figures_both_ways() {
        let with = |timed_out, timed_out_cookies| Queue {
            half_open: Some(HalfOpen {
                held: 6,
                timed_out,
                timed_out_cookies,
            }),
            ..linux()
        };
        let (verdict, why) = backlog_verdict(&with(6, 0));
        assert!(verdict.ends_with("only with syncookies off (Linux's default is on)"));
        assert!(why.contains("it held 6 (SYN_RECV)"), "{why}");
        assert!(
            backlog_verdict(&with(6, 6))
                .0
                .ends_with("with syncookies on too")
        );
        assert!(
            backlog_verdict(&with(0, 0))
                .0
                .ends_with("timed no client out")
        );
        assert!(!backlog_verdict(&linux()).0.contains("half-open"));
    }
}
