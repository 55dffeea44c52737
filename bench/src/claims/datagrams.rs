//! C4, `datagrams`: UDP keeps boundaries, and its limits: N datagrams, N
//! receives; a datagram larger than the buffer; the largest payload this OS
//! sends; where 1472 comes from, on a link of MTU 1500 (`bench mtu-worker`).

use super::*;

/// The seed's sentence this experiment measures, verbatim (`…` where
/// the quote skips; our own words marked so).
pub(super) const CLAIM: &str = "UDP没有粘包问题，UDP协议每一条消息都是完整的报文。…假设发送了5个字节，但是只接受了3个，另外两个就会被认为丢掉不要了…在windows上会直接报错用户接受数据的缓冲区比数据报小。UDP最大长度是1472字节";

pub(super) fn datagrams(scale: Scale, bar: &ProgressBar) -> Result<Finding> {
    bar.set_length(4);
    let n = scale.n(100, 1000);
    let receiver = UdpSocket::bind(loopback())?;
    receiver.set_read_timeout(Some(Duration::from_millis(500)))?;
    let to = receiver.local_addr()?;
    let sender = UdpSocket::bind(loopback())?;
    step(bar, "datagrams: boundaries");
    // Sent in batches of BATCH, every one of a batch queued before the
    // first is read: were UDP a byte stream, a receive would hold several
    // (as TCP's do in `framing`). Each receive is then one datagram whole,
    // or glued (more than one), or something else.
    let mut boundaries = Boundaries {
        sent: 0,
        whole: 0,
        glued: 0,
    };
    let mut buf = vec![0u8; 65_536];
    for batch in 0..n.div_ceil(BATCH) {
        let ids: Vec<usize> = (batch * BATCH..((batch + 1) * BATCH).min(n)).collect();
        for i in &ids {
            sender.send_to(format!("d{i};").as_bytes(), to)?;
        }
        boundaries.sent += ids.len();
        for _ in &ids {
            let Ok((got, _)) = receiver.recv_from(&mut buf) else {
                break;
            };
            let text = String::from_utf8_lossy(&buf[..got]);
            match text.matches(';').count() {
                1 if ids.iter().any(|i| text == format!("d{i};")) => boundaries.whole += 1,
                n if n > 1 => boundaries.glued += 1,
                _ => {}
            }
        }
    }
    let kept = boundaries.whole;
    step(bar, "datagrams: one larger than the buffer");
    // What std's recv_from says: the first bytes (Linux, macOS) or an
    // error (Windows); the rest is gone either way.
    sender.send_to(b"hello", to)?;
    let mut small = [0u8; 3];
    let truncated_std = match receiver.recv_from(&mut small) {
        Ok((got, _)) => format!(
            "recv into 3 bytes gave {got} bytes ({:?}); the other {} were lost",
            String::from_utf8_lossy(&small[..got]),
            5 - got
        ),
        Err(e) => format!("recv into 3 bytes failed: {e} (the datagram is lost)"),
    };
    // What the OS tells underneath, via socket2: the truncated flag
    // (MSG_TRUNC; Windows' WSAEMSGSIZE becomes the same flag).
    sender.send_to(b"hello", to)?;
    let mut small = [std::mem::MaybeUninit::<u8>::uninit(); 3];
    let (got, flags, _) = socket2::SockRef::from(&receiver)
        .recv_from_vectored(&mut [socket2::MaybeUninitSlice::new(&mut small)])?;
    let truncated = flags.is_truncated();
    step(bar, "datagrams: the largest payload");
    let mut lo = 1_000usize;
    let mut hi = 70_000usize;
    let probe = UdpSocket::bind(loopback())?;
    while lo + 1 < hi {
        let mid = (lo + hi) / 2;
        if probe.send_to(&vec![0u8; mid], to).is_ok() {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    // Drain what the search sent.
    while receiver.recv_from(&mut buf).is_ok() {}
    let max_payload = lo;
    let refused = probe
        .send_to(&vec![0u8; max_payload + 1], to)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_else(|| "accepted".into());
    step(bar, "datagrams: on a link of MTU 1500");
    // A helper process in a namespace: only from the bench binary itself.
    let ready =
        namespace().and_then(|unshare| bench_binary().map(|_| unshare).map_err(|e| e.to_string()));
    let mtu = ready.map(|unshare| {
        in_namespace(
            &unshare,
            &["mtu-worker".to_string()],
            Duration::from_secs(30),
        )
        .context("the MTU 1500 demonstration")
    });
    let (mtu1500, mtu_said) = match mtu {
        Ok(Ok(got)) => (
            got.clone(),
            format!(
                "on a loopback of MTU 1500 a 1472-byte datagram went as {} packet(s) and a 1473-byte one as {}; with fragments dropped the largest that arrived was {} bytes",
                got["packets_1472"], got["packets_1473"], got["mtu1500_max_payload"]
            ),
        ),
        Ok(Err(e)) => return Err(e),
        Err(why) => (Value::Null, format!("the MTU 1500 link was skipped: {why}")),
    };
    let csv = format!(
        "figure,value\nsent,{n}\nreceived_whole,{kept}\ntruncated_flag,{truncated}\nmax_payload,{max_payload}\nmtu1500_max_payload,{}\n",
        mtu1500["mtu1500_max_payload"]
    );
    let (verdict, why) = datagrams_verdict(
        &boundaries,
        truncated,
        max_payload,
        mtu1500["mtu1500_max_payload"].as_u64(),
    );
    let figures = json!({
        "boundaries_kept": boundaries.glued == 0 && kept == n,
        "glued": boundaries.glued,
        "batch": BATCH,
        "sent": n,
        "received_whole": kept,
        "truncated": truncated,
        "truncated_received": got,
        "truncated_std": truncated_std,
        "max_payload": max_payload,
        "one_more_byte": refused,
        "mtu1500_max_payload": mtu1500["mtu1500_max_payload"],
        "mtu1500": mtu1500,
    });
    Ok(Finding {
        name: "datagrams",
        claim: CLAIM,
        seed: "002 §四",
        verdict,
        reason: format!(
            "{why}. {truncated_std}; an IPv4 UDP socket sends at most {max_payload} bytes here, {} refused: {refused}. {mtu_said}",
            max_payload + 1
        ),
        figures,
        csv,
        chart: vec![(
            "bytes".into(),
            vec![
                ("largest UDP payload here".into(), max_payload as f64),
                ("one Ethernet frame (1500 − 28)".into(), 1472.0),
            ],
        )],
        unit: "bytes (x: what is measured)",
        spreads: Vec::new(),
    })
}

/// How many datagrams are queued before the first of them is read.
pub(super) const BATCH: usize = 50;

/// What the boundary experiment saw: datagrams sent, receives that held
/// exactly one of them, receives that held more than one.
pub(super) struct Boundaries {
    pub(super) sent: usize,
    pub(super) whole: usize,
    pub(super) glued: usize,
}

/// The verdict on the seed's three sentences, from the figures alone, and
/// why: the boundaries (every receive one datagram, none glued), the lost
/// rest of a datagram larger than the buffer (the OS's truncated flag), and
/// 1472 as UDP's largest (the largest payload this OS sends; what fits one
/// frame of MTU 1500, where that was measured).
pub(super) fn datagrams_verdict(
    b: &Boundaries,
    truncated: bool,
    max_payload: usize,
    mtu1500_max: Option<u64>,
) -> (String, String) {
    let boundaries = match (b.glued, b.whole == b.sent) {
        (0, true) => "holds for the boundaries".to_string(),
        (0, false) => format!(
            "holds for the boundaries where datagrams arrived ({} of {} did, none glued)",
            b.whole, b.sent
        ),
        (glued, _) => format!(
            "does not hold for the boundaries: {glued} receive(s) held more than one datagram"
        ),
    };
    let rest = match truncated {
        true => "holds for the lost rest",
        false => "does not hold for the lost rest: the OS did not flag the datagram truncated",
    };
    let largest = match (max_payload == 1472, mtu1500_max) {
        (true, _) => "holds for 1472: it is the largest payload here".to_string(),
        (false, Some(1472)) => format!(
            "does not hold as written for 1472: UDP sends up to {max_payload} bytes here; 1472 is the most one frame of MTU 1500 carries unfragmented (measured)"
        ),
        (false, Some(m)) => format!(
            "does not hold for 1472: UDP sends up to {max_payload} bytes here, and a link of MTU 1500 carried {m} unfragmented"
        ),
        (false, None) => format!(
            "does not hold as written for 1472: UDP sends up to {max_payload} bytes here (1472 = 1500 − 20 − 8 would be one Ethernet frame; not measured here)"
        ),
    };
    let why = format!(
        "{} datagrams sent {BATCH} at a time, each batch queued before its first was read: {} arrived as exactly one receive each, {} receive(s) held more than one; a datagram larger than the buffer was flagged truncated: {truncated}",
        b.sent, b.whole, b.glued
    );
    (format!("{boundaries}; {rest}; {largest}"), why)
}

/// `bench mtu-worker`: where 1472 comes from, shown in a fresh network
/// namespace whose loopback has Ethernet's MTU (1500). It counts the
/// packets one datagram of 1472 and of 1473 bytes takes (1 and 2: the
/// second is cut in fragments), then forbids fragments (nftables drops
/// every one before reassembly) and finds by search the largest payload
/// that still arrives. Returns one line of JSON: `packets_1472`,
/// `packets_1473`, `mtu1500_max_payload`.
pub fn mtu_worker() -> Result<String> {
    ethernet_loopback()?;
    let receiver = UdpSocket::bind(loopback())?;
    receiver.set_read_timeout(Some(Duration::from_millis(200)))?;
    let to = receiver.local_addr()?;
    let sender = UdpSocket::bind(loopback())?;
    let mut buf = vec![0u8; 65_536];
    // Whether a datagram of `len` bytes arrives, whole.
    let mut arrives = |len: usize| -> Result<bool> {
        sender.send_to(&vec![7u8; len], to)?;
        Ok(matches!(receiver.recv_from(&mut buf), Ok((n, _)) if n == len))
    };
    let mut packets = |len: usize| -> Result<u64> {
        let before = lo_packets_sent()?;
        anyhow::ensure!(arrives(len)?, "a {len}-byte datagram did not arrive");
        Ok(lo_packets_sent()? - before)
    };
    let (packets_1472, packets_1473) = (packets(1472)?, packets(1473)?);
    nft(
        "table ip nofrag {\n  chain pre {\n    type filter hook prerouting priority -500; policy accept;\n    ip frag-off & 0x3fff != 0 drop\n  }\n}\n",
    )?;
    let (mut lo, mut hi) = (1usize, 9000usize);
    anyhow::ensure!(arrives(lo)? && !arrives(hi)?, "fragments were not dropped");
    while lo + 1 < hi {
        let mid = (lo + hi) / 2;
        if arrives(mid)? {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(json!({
        "packets_1472": packets_1472,
        "packets_1473": packets_1473,
        "mtu1500_max_payload": lo,
    })
    .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quiet() -> ProgressBar {
        ProgressBar::hidden()
    }

    #[test]
    fn datagram_boundaries_are_kept_and_the_largest_payload_is_the_os_limit() {
        let f = datagrams(Scale { quick: true }, &quiet()).unwrap();
        assert_eq!(f.figures["boundaries_kept"], true, "{}", f.figures);
        // An IPv4 UDP payload: 65535 − 20 − 8 at most; less where the OS
        // says so (macOS's default send buffer is 9216).
        let max = f.figures["max_payload"].as_u64().unwrap();
        assert!(max <= 65_507, "{max}");
        if cfg!(target_os = "linux") {
            assert_eq!(max, 65_507);
        }
        // Linux and macOS truncate a datagram into a smaller buffer;
        // Windows reports an error. Either way the rest is gone, and the
        // OS says so: the truncated flag, on every OS.
        let from_std = f.figures["truncated_std"].as_str().unwrap();
        assert!(
            from_std.contains("gave 3 bytes") || from_std.contains("failed"),
            "{from_std}"
        );
        assert_eq!(f.figures["truncated"], true, "{}", f.figures);
        // Where the OS truncates, the first 3 bytes come with the flag;
        // Windows may hand over the first bytes with WSAEMSGSIZE or none
        // (Wine gives none), so there only the flag is asserted.
        if !cfg!(windows) {
            assert_eq!(f.figures["truncated_received"], 3, "{}", f.figures);
        }
        // The MTU-1500 link needs the bench binary in a namespace of its
        // own: tests/it/claims.rs runs it, or says why it cannot.
    }

    fn boundaries(sent: usize, whole: usize, glued: usize) -> Boundaries {
        Boundaries { sent, whole, glued }
    }

    #[test]
    fn the_datagrams_verdict_follows_the_figures_both_ways() {
        let kept = boundaries(100, 100, 0);
        let (v, _) = datagrams_verdict(&kept, true, 65_507, Some(1472));
        assert!(
            v.starts_with("holds for the boundaries; holds for the lost rest;"),
            "{v}"
        );
        assert!(v.contains("does not hold as written for 1472"), "{v}");
        let glued = boundaries(100, 60, 20);
        let (v, _) = datagrams_verdict(&glued, false, 1472, None);
        assert!(
            v.starts_with("does not hold for the boundaries: 20 receive(s)"),
            "{v}"
        );
        assert!(v.contains("does not hold for the lost rest"), "{v}");
        assert!(
            v.ends_with("holds for 1472: it is the largest payload here"),
            "{v}"
        );
        let lost = boundaries(100, 90, 0);
        let (v, _) = datagrams_verdict(&lost, true, 9216, Some(1400));
        assert!(
            v.contains("where datagrams arrived (90 of 100 did, none glued)"),
            "{v}"
        );
        assert!(v.contains("a link of MTU 1500 carried 1400"), "{v}");
    }
}
