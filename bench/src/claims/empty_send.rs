//! `empty-send`: sending nothing. Over TCP, `send(b'')` returns 0 and the
//! peer's `recv` gets nothing (it waits until its timeout); over UDP an
//! empty datagram is sent, received as 0 bytes from its sender, and can
//! be answered with an empty one.

use super::*;

/// The seed's sentences this experiment measures, verbatim.
pub(super) const CLAIM: &str =
    "如果发送数据是发空时可以正常发送的，但是服务端收不到空…UDP是可以发空的，服务端会直接回空。";

/// What was seen of an empty send.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Empties {
    /// What TCP's `send(b'')` returned.
    pub tcp_sent: usize,
    /// Whether the TCP peer's `recv` returned at all before its timeout.
    pub tcp_received: bool,
    pub tcp_waited_ms: f64,
    /// Whether an empty UDP datagram arrived (0 bytes, from its sender).
    pub udp_received: bool,
    /// Whether the server's empty answer came back to the client.
    pub udp_answered: bool,
}

pub(super) fn empties(patience: Duration) -> Result<Empties> {
    // TCP: send nothing, and see whether the peer's recv returns.
    let listener = TcpListener::bind(loopback())?;
    let mut client = TcpStream::connect_timeout(&listener.local_addr()?, WAIT)?;
    let (mut conn, _) = listener.accept()?;
    conn.set_read_timeout(Some(patience))?;
    let tcp_sent = client.write(b"")?;
    let started = Instant::now();
    let tcp_received = match conn.read(&mut [0u8; 1024]) {
        Ok(_) => true,
        Err(e) if common::net::is_timeout(&e) => false,
        Err(e) => return Err(e.into()),
    };
    let tcp_waited_ms = started.elapsed().as_secs_f64() * 1e3;
    // UDP: an empty datagram, answered with an empty one.
    let server = UdpSocket::bind(loopback())?;
    server.set_read_timeout(Some(patience))?;
    let sender = UdpSocket::bind(loopback())?;
    sender.set_read_timeout(Some(patience))?;
    sender.send_to(b"", server.local_addr()?)?;
    let mut buf = [0u8; 1024];
    let udp_received = match server.recv_from(&mut buf) {
        Ok((0, from)) if from == sender.local_addr()? => {
            server.send_to(b"", from)?;
            true
        }
        Ok(_) => false,
        Err(e) if common::net::is_timeout(&e) => false,
        Err(e) => return Err(e.into()),
    };
    let udp_answered = udp_received && matches!(sender.recv_from(&mut buf), Ok((0, _)));
    Ok(Empties {
        tcp_sent,
        tcp_received,
        tcp_waited_ms,
        udp_received,
        udp_answered,
    })
}

pub(super) fn empty_send(scale: Scale, bar: &ProgressBar) -> Result<Finding> {
    bar.set_length(1);
    step(bar, "empty-send: TCP and UDP");
    let patience = Duration::from_millis(scale.n(300, 1000) as u64);
    let e = empties(patience)?;
    let (verdict, why) = empty_send_verdict(&e);
    let figures = json!({
        "tcp_send_returned": e.tcp_sent,
        "tcp_received": e.tcp_received,
        "tcp_waited_ms": e.tcp_waited_ms,
        "udp_received_empty": e.udp_received,
        "udp_answered_empty": e.udp_answered,
    });
    Ok(Finding {
        name: "empty-send",
        claim: CLAIM,
        seed: "002 §2.2, §二",
        verdict,
        reason: why,
        csv: format!(
            "protocol,sent,received\nTCP,{},{}\nUDP,0,{}\n",
            e.tcp_sent, e.tcp_received, e.udp_received
        ),
        figures,
        chart: Vec::new(),
        unit: "",
        spreads: Vec::new(),
    })
}

/// Holds when TCP's empty send "succeeded" (returned 0, no error) while
/// its peer received nothing, and the empty UDP datagram arrived and its
/// empty answer came back.
pub(super) fn empty_send_verdict(e: &Empties) -> (String, String) {
    let tcp = e.tcp_sent == 0 && !e.tcp_received;
    let udp = e.udp_received && e.udp_answered;
    let why = format!(
        "TCP's send(b'') returned {} and the peer's recv {} ({:.0} ms); an empty UDP datagram {}, and the server's empty answer {}",
        e.tcp_sent,
        if e.tcp_received {
            "returned"
        } else {
            "got nothing until its timeout"
        },
        e.tcp_waited_ms,
        if e.udp_received {
            "arrived as 0 bytes from its sender"
        } else {
            "did not arrive"
        },
        if e.udp_answered {
            "came back"
        } else {
            "did not come back"
        },
    );
    let verdict = super::two_parts(
        tcp,
        udp,
        "TCP's empty send arrives as nothing, but no empty UDP datagram came through",
        "an empty UDP datagram is delivered, but TCP's empty send reached the peer",
    );
    (verdict, why)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verdict_follows_the_figures_both_ways() {
        let seen = Empties {
            tcp_sent: 0,
            tcp_received: false,
            tcp_waited_ms: 300.0,
            udp_received: true,
            udp_answered: true,
        };
        assert_eq!(empty_send_verdict(&seen).0, "holds");
        let not = Empties {
            tcp_received: true,
            udp_received: false,
            udp_answered: false,
            ..seen
        };
        assert_eq!(empty_send_verdict(&not).0, "does not hold here");
    }

    #[test]
    fn an_empty_datagram_arrives_and_an_empty_tcp_send_does_not() {
        let e = empties(Duration::from_millis(300)).unwrap();
        assert_eq!((e.tcp_sent, e.tcp_received), (0, false), "{e:?}");
        assert!(e.udp_received && e.udp_answered, "{e:?}");
    }
}
