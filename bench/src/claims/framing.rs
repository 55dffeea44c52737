//! C3, `framing` (粘包): small messages back to back into `recv(1024)`:
//! glued and split receives, with Nagle and with TCP_NODELAY; then the same
//! messages framed by seed 002's length header.

use super::*;

/// The seed's sentence this experiment measures, verbatim (`…` where
/// the quote skips; our own words marked so).
pub(super) const CLAIM: &str = "粘包问题的根本原因是一次发送的数据没有收完, 下次再接收就会继续接收上次剩余的数据，并和本次的数据粘在一起发过来。…解决粘包问题就需要判断发送了多少长度，保证接收完成";

/// What a `recv(1024)` receiver saw of messages `m0000;` … sent back to
/// back: receives that held more than one message, and receives that cut
/// one, and a histogram of messages per receive.
pub(super) fn naive_receives(
    messages: usize,
    nodelay: bool,
    behind: bool,
) -> Result<(usize, usize, usize, Vec<usize>)> {
    let listener = TcpListener::bind(loopback())?;
    let addr = listener.local_addr()?;
    let (sent_tx, sent_rx) = std::sync::mpsc::channel::<()>();
    let sender = thread::spawn(move || -> Result<()> {
        let mut s = TcpStream::connect(addr)?;
        s.set_nodelay(nodelay)?;
        for i in 0..messages {
            s.write_all(format!("m{i:04};").as_bytes())?;
        }
        let _ = sent_tx.send(());
        Ok(())
    });
    let (mut conn, _) = listener.accept()?;
    conn.set_read_timeout(Some(WAIT))?;
    if behind {
        // The receiver is busy until everything was sent: the lab's
        // situation when the server does work between recv calls.
        let _ = sent_rx.recv_timeout(WAIT);
    }
    let (mut glued, mut split, mut receives) = (0, 0, 0);
    let mut per_receive = vec![0usize; 200];
    let mut buf = [0u8; 1024];
    let mut total = 0;
    let one = "m0000;".len();
    while total < messages * one {
        let n = conn.read(&mut buf)?;
        if n == 0 {
            break;
        }
        receives += 1;
        let starts_whole = total % one == 0;
        let ends_whole = (total + n) % one == 0;
        let whole_in_it = n / one;
        if n > one {
            glued += 1;
        }
        if !starts_whole || !ends_whole {
            split += 1;
        }
        per_receive[whole_in_it.min(199)] += 1;
        total += n;
    }
    sender
        .join()
        .map_err(|_| anyhow::anyhow!("the sender panicked"))??;
    Ok((glued, split, receives, per_receive))
}

/// The same messages, each behind seed 002's 4-digit length header: how
/// many came out other than as sent (never any).
pub(super) fn framed_errors(messages: usize) -> Result<usize> {
    let listener = TcpListener::bind(loopback())?;
    let addr = listener.local_addr()?;
    let sender = thread::spawn(move || -> Result<()> {
        let mut s = TcpStream::connect(addr)?;
        for i in 0..messages {
            let body = format!("m{i:04};");
            s.write_all(&common::frame::encode_len(body.len())?)?;
            s.write_all(body.as_bytes())?;
        }
        Ok(())
    });
    let (mut conn, _) = listener.accept()?;
    conn.set_read_timeout(Some(WAIT))?;
    let mut errors = 0;
    for i in 0..messages {
        match common::frame::read_frame(&mut conn)? {
            Some(body) if body == format!("m{i:04};").as_bytes() => {}
            _ => errors += 1,
        }
    }
    sender
        .join()
        .map_err(|_| anyhow::anyhow!("the sender panicked"))??;
    Ok(errors)
}

pub(super) fn framing(scale: Scale, bar: &ProgressBar) -> Result<Finding> {
    bar.set_length(6);
    let messages = scale.n(1000, 1000);
    let mut csv = String::from("case,receives,glued,split\n");
    let mut figures = serde_json::Map::new();
    let mut chart = Vec::new();
    let mut worst = (0, 0);
    for (case, nodelay, behind) in [
        ("Nagle on, receiver behind", false, true),
        ("TCP_NODELAY, receiver behind", true, true),
        ("Nagle on, receiver keeping up", false, false),
        ("TCP_NODELAY, receiver keeping up", true, false),
    ] {
        step(bar, format!("framing: {case}"));
        let (glued, split, receives, per_receive) = naive_receives(messages, nodelay, behind)?;
        let _ = writeln!(csv, "{case},{receives},{glued},{split}");
        worst = (worst.0.max(glued), worst.1.max(split));
        figures.insert(
            case.to_string(),
            json!({"receives": receives, "glued": glued, "split": split}),
        );
        let hist: Vec<(String, f64)> = per_receive
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(k, c)| (format!("{k}"), *c as f64))
            .collect();
        chart.push((case.to_string(), hist));
    }
    // One 3000-byte message into recv(1024).
    step(bar, "framing: one 3000-byte message");
    let listener = TcpListener::bind(loopback())?;
    let addr = listener.local_addr()?;
    let sender = thread::spawn(move || -> std::io::Result<()> {
        let mut s = TcpStream::connect(addr)?;
        s.write_all(&[b'x'; 3000])
    });
    let (mut conn, _) = listener.accept()?;
    conn.set_read_timeout(Some(WAIT))?;
    let _ = sender.join();
    let mut pieces = 0usize;
    let mut buf = [0u8; 1024];
    loop {
        match conn.read(&mut buf)? {
            0 => break,
            _ => pieces += 1,
        }
    }
    let _ = writeln!(
        csv,
        "one 3000-byte message,{pieces},0,{}",
        pieces.saturating_sub(1)
    );
    figures.insert("big_message_receives".into(), json!(pieces));
    step(bar, "framing: the same messages with a length header");
    let framed = framed_errors(messages)?;
    let _ = writeln!(csv, "framed (seed 002 §3.2),-,0,{framed}");
    figures.insert("naive_glued".into(), json!(worst.0));
    figures.insert("naive_split".into(), json!(worst.1));
    figures.insert("framed_errors".into(), json!(framed));
    let verdict = framing_verdict(worst.0, worst.1, framed);
    Ok(Finding {
        name: "framing",
        claim: CLAIM,
        seed: "002 §三, §3.2",
        verdict,
        reason: format!(
            "{messages} six-byte messages sent one by one into recv(1024): up to {} receives held several glued, {} cut one; a 3000-byte message took {pieces} receives; with a 4-digit length header, {framed} of {messages} came out wrong",
            worst.0, worst.1
        ),
        figures: Value::Object(figures),
        csv,
        chart,
        unit: "receives (x: whole messages in one receive)",
        spreads: Vec::new(),
    })
}

/// The verdict from the figures alone: glued or cut six-byte messages (a
/// receive holding several, or ending inside one) show 粘包; the length
/// header must then bring every message out whole. (The 3000-byte message
/// takes three receives of 1024 by its size alone, so it is shown, not
/// judged.)
pub(super) fn framing_verdict(glued: usize, split: usize, framed_errors: usize) -> String {
    match (glued + split, framed_errors) {
        (_, wrong) if wrong > 0 => {
            format!("does not hold: with the length header, {wrong} message(s) still came out wrong")
        }
        (0, _) => "not seen here: every receive held exactly one message (the claim says it may happen, and the length header gave no error either)".to_string(),
        _ => format!(
            "holds: up to {glued} receive(s) held several messages glued and {split} ended inside one; with the length header every message came out whole"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framed_messages_arrive_whole() {
        assert_eq!(framed_errors(300).unwrap(), 0);
    }

    #[test]
    fn a_receiver_behind_gets_glued_messages() {
        // Everything was sent before the first recv: the first receive
        // holds many messages (physics of a byte stream, not a speed).
        let (glued, _, receives, _) = naive_receives(200, true, true).unwrap();
        assert!(glued >= 1, "{receives} receives, none glued");
    }

    #[test]
    fn the_framing_verdict_follows_the_figures_both_ways() {
        assert!(framing_verdict(12, 3, 0).starts_with("holds:"));
        assert!(framing_verdict(0, 0, 0).starts_with("not seen here"));
        assert!(framing_verdict(12, 0, 2).starts_with("does not hold"));
        assert!(framing_verdict(0, 0, 1).starts_with("does not hold"));
    }
}
