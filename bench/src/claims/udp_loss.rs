//! C2, `udp-loss`: UDP is unreliable, TCP reliable. Sequence-numbered
//! datagrams at swept rates into a small and the default receive buffer:
//! lost, reordered, duplicated, jitter, the kernel's RcvbufErrors; the same
//! over TCP.

use super::*;

/// The seed's sentence this experiment measures, verbatim (`…` where
/// the quote skips; our own words marked so).
pub(super) const CLAIM: &str =
    "UDP不提供可靠性…数据到达的顺序、可靠性及不重复性就无法保障了…TCP提供可靠传输，适合文件传输";

/// What a receiver saw of `sent` sequence-numbered datagrams.
#[derive(Default, Debug)]
pub(super) struct Tally {
    pub(super) received: u64,
    pub(super) reordered: u64,
    pub(super) duplicated: u64,
    /// RFC 3550 interarrival jitter, µs.
    pub(super) jitter_us: f64,
}

pub(super) fn udp_loss(scale: Scale, bar: &ProgressBar) -> Result<Finding> {
    let n = scale.n(20_000, 70_000) as u64;
    // Three runs each (one with --quick, which is for a quick look).
    let repeats = scale.n(1, 3);
    // Datagrams per second; 0: as fast as the sender can.
    let rates: [u64; 4] = [20_000, 100_000, 400_000, 0];
    // Each rate into each buffer, then TCP, `repeats` times each.
    bar.set_length(((2 * rates.len() + 1) * repeats) as u64);
    let mut csv = String::from(
        "rcvbuf,rate_per_s,sent,received,lost_pct,lost_pct_min,lost_pct_max,reordered,duplicated,jitter_us,rcvbuf_errors\n",
    );
    let mut figures = serde_json::Map::new();
    let (mut chart, mut spreads) = (Vec::new(), Vec::new());
    let mut loss_seen = false;
    for (label, rcvbuf) in [("small (4 KiB)", Some(4096)), ("default", None)] {
        let series_name = format!("UDP, {label} receive buffer");
        let mut series = Vec::new();
        for rate in rates {
            let rate_label = match rate {
                0 => "unlimited".to_string(),
                rate => rate.to_string(),
            };
            let (mut lost, mut jitter, mut errors) = (Vec::new(), Vec::new(), Vec::new());
            let (mut received, mut reordered, mut duplicated) = (0, 0, 0);
            for trial in 0..repeats {
                step(
                    bar,
                    format!(
                        "udp-loss: {label} buffer, {rate_label} /s, trial {}",
                        trial + 1
                    ),
                );
                let errors_before = rcvbuf_errors();
                let tally = udp_stream(n, rate, rcvbuf)?;
                let after = rcvbuf_errors().zip(errors_before);
                errors.extend(after.map(|(a, b)| a.saturating_sub(b) as f64));
                lost.push(100.0 * (n - tally.received.min(n)) as f64 / n as f64);
                jitter.push(tally.jitter_us);
                received += tally.received;
                reordered += tally.reordered;
                duplicated += tally.duplicated;
            }
            let (lost_pct, lost_min, lost_max) = spread(&lost);
            let jitter_us = spread(&jitter).0;
            let errors = (!errors.is_empty()).then(|| spread(&errors).0 as u64);
            loss_seen |= lost_pct > 0.0;
            let _ = writeln!(
                csv,
                "{label},{rate_label},{},{received},{lost_pct:.2},{lost_min:.2},{lost_max:.2},{reordered},{duplicated},{jitter_us:.1},{}",
                n * repeats as u64,
                errors.map_or("-".into(), |e| e.to_string())
            );
            figures.insert(
                format!("{}_{rate_label}", if rcvbuf.is_some() { "small" } else { "default" }),
                json!({"udp_loss_pct": lost_pct, "udp_loss_pct_min": lost_min, "udp_loss_pct_max": lost_max, "reordered": reordered, "duplicated": duplicated, "jitter_us": jitter_us, "rcvbuf_errors": errors}),
            );
            spreads.push((series_name.clone(), rate_label.clone(), lost_min, lost_max));
            series.push((rate_label, lost_pct));
        }
        chart.push((series_name, series));
    }
    let (mut tcp_lost, mut tcp_secs) = (0, Vec::new());
    for trial in 0..repeats {
        step(
            bar,
            format!("udp-loss: the same messages over TCP, trial {}", trial + 1),
        );
        let (lost, secs) = tcp_stream(n)?;
        tcp_lost += lost;
        tcp_secs.push(secs);
    }
    let (tcp_secs, tcp_min, tcp_max) = spread(&tcp_secs);
    let _ = writeln!(
        csv,
        "tcp,unlimited,{},{},0.00,0.00,0.00,0,0,0,-",
        n * repeats as u64,
        n * repeats as u64 - tcp_lost
    );
    figures.insert("tcp_lost".into(), json!(tcp_lost));
    figures.insert("tcp_seconds".into(), json!(tcp_secs));
    figures.insert("tcp_seconds_min".into(), json!(tcp_min));
    figures.insert("tcp_seconds_max".into(), json!(tcp_max));
    figures.insert("repeats".into(), json!(repeats));
    let max_loss = chart
        .iter()
        .flat_map(|(_, s)| s.iter().map(|(_, v)| *v))
        .fold(0.0, f64::max);
    figures.insert("udp_loss_pct".into(), json!(max_loss));
    let verdict = udp_loss_verdict(loss_seen, tcp_lost);
    Ok(Finding {
        name: "udp-loss",
        claim: CLAIM,
        seed: "000 §2.2 and summary; 004",
        verdict,
        reason: format!(
            "{n} numbered datagrams per run, sent as fast as asked, {repeats} runs each (the median shown, min–max as error bars): up to {max_loss:.1} % lost when the sender outruns the receiver's buffer (the kernel drops them, nobody is told); the same {n} messages over TCP, {repeats} runs: {tcp_lost} lost, none out of order ({:.0} ms, min {:.0}, max {:.0})",
            tcp_secs * 1000.0,
            tcp_min * 1000.0,
            tcp_max * 1000.0
        ),
        figures: Value::Object(figures),
        csv,
        chart,
        unit: "% of datagrams lost (x: datagrams sent per second)",
        spreads,
    })
}

/// Sends `n` datagrams `[seq u64][send time µs u64]` at `rate` per second
/// (0: unlimited) to a receiver with `rcvbuf`, and tallies what arrived.
pub(super) fn udp_stream(n: u64, rate: u64, rcvbuf: Option<usize>) -> Result<Tally> {
    let receiver = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None)?;
    if let Some(size) = rcvbuf {
        receiver.set_recv_buffer_size(size)?;
    }
    receiver.bind(&loopback().into())?;
    let receiver: UdpSocket = receiver.into();
    receiver.set_read_timeout(Some(Duration::from_millis(300)))?;
    let to = receiver.local_addr()?;
    let epoch = Instant::now();
    let reader = thread::spawn(move || {
        let mut tally = Tally::default();
        let mut seen = vec![false; n as usize];
        let mut highest = None;
        let mut last: Option<(f64, f64)> = None;
        let mut buf = [0u8; 64];
        // Ends 300 ms after the last datagram: the sender is done by then.
        while let Ok(len) = receiver.recv(&mut buf) {
            if len < 16 {
                continue;
            }
            let seq = u64::from_be_bytes(buf[..8].try_into().unwrap_or_default());
            let sent_us = u64::from_be_bytes(buf[8..16].try_into().unwrap_or_default()) as f64;
            let arrived_us = epoch.elapsed().as_micros() as f64;
            match seen.get_mut(seq as usize) {
                Some(true) => tally.duplicated += 1,
                Some(slot) => {
                    *slot = true;
                    tally.received += 1;
                }
                None => continue,
            }
            if highest.is_some_and(|h| seq < h) {
                tally.reordered += 1;
            }
            highest = highest.max(Some(seq));
            // RFC 3550 §6.4.1: J += (|D| - J) / 16.
            if let Some((prev_sent, prev_arrived)) = last {
                let d = (arrived_us - prev_arrived) - (sent_us - prev_sent);
                tally.jitter_us += (d.abs() - tally.jitter_us) / 16.0;
            }
            last = Some((sent_us, arrived_us));
        }
        tally
    });
    let sender = UdpSocket::bind(loopback())?;
    let started = Instant::now();
    for seq in 0..n {
        if rate > 0 {
            let due = started + Duration::from_secs_f64(seq as f64 / rate as f64);
            while Instant::now() < due {
                std::hint::spin_loop();
            }
        }
        let mut datagram = [0u8; 16];
        datagram[..8].copy_from_slice(&seq.to_be_bytes());
        datagram[8..].copy_from_slice(&(epoch.elapsed().as_micros() as u64).to_be_bytes());
        // A full send buffer is loss too: count it as such, do not stop.
        let _ = sender.send_to(&datagram, to);
    }
    reader
        .join()
        .map_err(|_| anyhow::anyhow!("the receiving thread panicked"))
}

/// The same `n` 16-byte messages over TCP: how many were lost (never any)
/// and how long the sender took.
pub(super) fn tcp_stream(n: u64) -> Result<(u64, f64)> {
    let listener = TcpListener::bind(loopback())?;
    let addr = listener.local_addr()?;
    let reader = thread::spawn(move || -> Result<u64> {
        let (mut conn, _) = listener.accept()?;
        conn.set_read_timeout(Some(WAIT))?;
        let mut next = 0u64;
        let mut msg = [0u8; 16];
        while conn.read_exact(&mut msg).is_ok() {
            let seq = u64::from_be_bytes(msg[..8].try_into().unwrap_or_default());
            anyhow::ensure!(seq == next, "TCP delivered {seq} where {next} was due");
            next += 1;
        }
        Ok(next)
    });
    let mut s = TcpStream::connect(addr)?;
    let started = Instant::now();
    let mut out = std::io::BufWriter::new(&mut s);
    for seq in 0..n {
        let mut msg = [0u8; 16];
        msg[..8].copy_from_slice(&seq.to_be_bytes());
        out.write_all(&msg)?;
    }
    out.flush()?;
    drop(out);
    s.shutdown(std::net::Shutdown::Write)?;
    let secs = started.elapsed().as_secs_f64();
    let got = reader
        .join()
        .map_err(|_| anyhow::anyhow!("the TCP reader panicked"))??;
    Ok((n - got, secs))
}

/// The kernel's count of UDP datagrams dropped for a full receive buffer
/// (Linux's /proc/net/snmp, `RcvbufErrors`); `None` elsewhere.
pub(super) fn rcvbuf_errors() -> Option<u64> {
    let snmp = std::fs::read_to_string("/proc/net/snmp").ok()?;
    let mut udp = snmp.lines().filter(|l| l.starts_with("Udp:"));
    let names: Vec<&str> = udp.next()?.split_whitespace().collect();
    let values: Vec<&str> = udp.next()?.split_whitespace().collect();
    let at = names.iter().position(|n| *n == "RcvbufErrors")?;
    values.get(at)?.parse().ok()
}

/// The verdict on UDP's unreliability against TCP's: datagrams lost
/// in the median of some rate's runs (`loss_seen`), and the messages TCP
/// lost in all its runs.
pub(super) fn udp_loss_verdict(loss_seen: bool, tcp_lost: u64) -> String {
    match (loss_seen, tcp_lost) {
        (true, 0) => "holds".to_string(),
        (false, 0) => "holds only when the receiver falls behind; on this loopback at these rates no datagram was lost".to_string(),
        _ => "does not hold here".to_string(),
    }
}

#[cfg(test)]
mod verdict_tests {
    use super::*;

    #[test]
    fn the_verdict_follows_the_figures_both_ways() {
        assert_eq!(udp_loss_verdict(true, 0), "holds");
        assert!(udp_loss_verdict(false, 0).starts_with("holds only when"));
        assert_eq!(udp_loss_verdict(true, 3), "does not hold here");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_loses_nothing() {
        assert_eq!(tcp_stream(20_000).unwrap().0, 0);
    }
}
