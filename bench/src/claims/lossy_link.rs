//! C2 on a lossy network, `lossy-link`: in a private network namespace
//! whose loopback drops 0–30 % of packets (nftables), the md5 upload over
//! TCP against a naive UDP sender.

use super::*;

/// The shares of packets the lossy link drops, in percent.
pub(super) const LOSS_RATES: [u32; 5] = [0, 1, 5, 10, 30];

/// How long the lossy TCP upload may take, and each end wait for the
/// other (`--quick`, and full). At 30 % of packets lost both ways, TCP's
/// retransmission timer doubles after each loss in a row, and one upload
/// can take a minute: it counts as given up (and says so) after this.
pub(super) const LOSSY_PATIENCE: [Duration; 2] = [Duration::from_secs(10), Duration::from_secs(15)];

/// How much longer than its upload's patience one rate's worker may run
/// (the UDP sender, the namespace) before it counts as failed.
pub(super) const LOSSY_WORKER_EXTRA: Duration = Duration::from_secs(30);

/// `lossy-link` (C2): three runs of `bench lossy-worker` per loss rate, each
/// in a network namespace of its own; skipped, saying what is missing, where
/// the machine cannot make one.
pub(super) fn lossy_link(scale: Scale, bar: &ProgressBar) -> Result<Finding> {
    let skipped = |why: String| Finding {
        name: "lossy-link",
        claim: LOSSY_CLAIM,
        seed: LOSSY_SEED,
        verdict: format!("skipped: {why}"),
        reason: "a lossy link is made with nftables in a private network namespace".into(),
        figures: json!({}),
        csv: LOSSY_CSV_HEADER.into(),
        chart: vec![],
        unit: "",
        spreads: Vec::new(),
    };
    let unshare = match namespace() {
        Ok(unshare) => unshare,
        Err(why) => return Ok(skipped(why)),
    };
    let size = scale.n(16 << 10, 128 << 10);
    let patience = LOSSY_PATIENCE[usize::from(!scale.quick)];
    // Three runs a rate (one with --quick, which is for a quick look).
    let repeats = scale.n(1, 3);
    let mut csv = String::from(LOSSY_CSV_HEADER);
    let mut per_rate = serde_json::Map::new();
    let (mut tcp_series, mut udp_series, mut spreads) = (Vec::new(), Vec::new(), Vec::new());
    let mut outcomes: Vec<Outcome> = Vec::new();
    bar.set_length((LOSS_RATES.len() * repeats) as u64);
    for rate in LOSS_RATES {
        let (mut runs, mut seconds, mut lost) = (Vec::new(), Vec::new(), Vec::new());
        for trial in 0..repeats {
            step(
                bar,
                format!(
                    "lossy-link: {rate} % of packets dropped, trial {}",
                    trial + 1
                ),
            );
            let args = [
                "lossy-worker",
                "--rate",
                &rate.to_string(),
                "--size",
                &size.to_string(),
                "--patience",
                &patience.as_secs().to_string(),
            ];
            let got = in_namespace(
                &unshare,
                &args.map(String::from),
                patience + LOSSY_WORKER_EXTRA,
            )
            .with_context(|| format!("the lossy-link worker at {rate} %"))?;
            let flag = |k: &str| got[k].as_bool().unwrap_or(false);
            let outcome = (
                rate,
                flag("tcp_md5_ok"),
                flag("tcp_gave_up"),
                flag("udp_md5_ok"),
            );
            let tcp_seconds = got["tcp_seconds"].as_f64().unwrap_or(f64::NAN);
            let udp_lost = got["udp_chunks_lost_pct"].as_f64().unwrap_or(f64::NAN);
            let _ = writeln!(
                csv,
                "{rate},{},{},{},{tcp_seconds:.3},{udp_lost:.2},{}",
                trial + 1,
                outcome.1,
                outcome.2,
                outcome.3
            );
            // An upload that gave up counts as the time it was given (it
            // took at least that); a damaged one has no time.
            match outcome {
                (_, true, _, _) => seconds.push(tcp_seconds),
                (_, false, true, _) => seconds.push(patience.as_secs_f64()),
                _ => {}
            }
            lost.push(udp_lost);
            outcomes.push(outcome);
            runs.push(got);
        }
        let x = format!("{rate} %");
        let (tcp_seconds, tcp_min, tcp_max) = match seconds.is_empty() {
            true => (f64::NAN, f64::NAN, f64::NAN),
            false => spread(&seconds),
        };
        let (udp_lost, udp_min, udp_max) = spread(&lost);
        if !seconds.is_empty() {
            spreads.push(("TCP upload, seconds".into(), x.clone(), tcp_min, tcp_max));
        }
        spreads.push(("UDP chunks lost, %".into(), x.clone(), udp_min, udp_max));
        tcp_series.push((x.clone(), tcp_seconds));
        udp_series.push((x, udp_lost));
        per_rate.insert(
            format!("{rate}"),
            json!({
                "runs": runs,
                "tcp_seconds": (!seconds.is_empty()).then_some(tcp_seconds),
                "tcp_seconds_min": (!seconds.is_empty()).then_some(tcp_min),
                "tcp_seconds_max": (!seconds.is_empty()).then_some(tcp_max),
                "udp_chunks_lost_pct": udp_lost,
                "udp_chunks_lost_pct_min": udp_min,
                "udp_chunks_lost_pct_max": udp_max,
            }),
        );
    }
    let tcp_gave_up = rates_where(&outcomes, &|o| !o.1 && o.2);
    let verdict = lossy_verdict(&outcomes, patience.as_secs());
    let reason = format!(
        "a {} file over a loopback with Ethernet's MTU (1500), in a private network namespace, dropping 0–30 % of packets at random, {repeats} run(s) a rate (the median shown, min–max as error bars; an upload that gave up counts as the {} s it was given): the md5-checked TCP upload arrived intact at {}{}; the naive UDP sender (1024-byte chunks, no retransmission) lost about the dropped share of its chunks, and its file differed at {}",
        grader::run::bytes(size as u64),
        patience.as_secs(),
        rates_where(&outcomes, &|o| o.1),
        match tcp_gave_up.as_str() {
            "no rate" => String::new(),
            rates => format!(" and gave up, saying so, at {rates}"),
        },
        rates_where(&outcomes, &|o| !o.3),
    );
    Ok(Finding {
        name: "lossy-link",
        claim: LOSSY_CLAIM,
        seed: LOSSY_SEED,
        verdict,
        reason,
        figures: json!({ "size": size, "patience_s": patience.as_secs(), "repeats": repeats, "rates": per_rate }),
        csv,
        chart: vec![
            ("TCP upload, seconds".into(), tcp_series),
            ("UDP chunks lost, %".into(), udp_series),
        ],
        unit: "seconds / % (x: packets dropped)",
        spreads,
    })
}

pub(super) const LOSSY_CLAIM: &str = "UDP不提供可靠性…TCP提供可靠传输，适合文件传输";
pub(super) const LOSSY_SEED: &str = "000 §2.2 and summary";
pub(super) const LOSSY_CSV_HEADER: &str =
    "rate_pct,trial,tcp_md5_ok,tcp_gave_up,tcp_seconds,udp_chunks_lost_pct,udp_md5_ok\n";

/// `bench lossy-worker`: inside a fresh network namespace, brings its
/// loopback up with an Ethernet MTU, makes it drop `rate` % of packets at
/// random, and moves one `size`-byte file twice: the port's md5-checked
/// upload over TCP, and a naive UDP sender's 1024-byte chunks. Returns one
/// line of JSON: `rate`, `tcp_md5_ok`, `tcp_gave_up`, `tcp_seconds`,
/// `udp_chunks_lost_pct`, `udp_md5_ok`, and the chunk counts.
pub fn lossy_worker(rate: u32, size: usize, patience: Duration) -> Result<String> {
    lossy_loopback(rate)?;
    let dir = tempfile::tempdir()?;
    let data: Vec<u8> = (0..size).map(|i| (i * 131 % 251) as u8).collect();
    let path = dir.path().join("lossy.bin");
    std::fs::write(&path, &data)?;
    let expected = md5_hex(&data);

    let save = dir.path().join("saved");
    std::fs::create_dir(&save)?;
    // TCP retransmits what is lost, waiting longer after each loss in a
    // row; on a link this bad that can be many seconds, so both ends wait
    // up to `patience` for the other before giving up.
    // The whole upload is bounded too: should it still be going after
    // `patience`, it counts as given up, and the process exits with its
    // thread.
    let (done, upload) = std::sync::mpsc::channel();
    {
        let (path, save) = (path.clone(), save.clone());
        thread::spawn(move || {
            let _ = done.send(crate::file::upload_into(&path, &save, false, patience));
        });
    }
    let upload = upload
        .recv_timeout(patience)
        .unwrap_or_else(|_| Err(anyhow::anyhow!("not done within {patience:?}")));
    let (tcp_md5_ok, tcp_gave_up, tcp_seconds) = match upload {
        Ok(took) => {
            let saved = std::fs::read(save.join("lossy.bin")).unwrap_or_default();
            (md5_hex(&saved) == expected, false, took.as_secs_f64())
        }
        Err(e) => {
            common::diag!("the TCP upload gave up: {e:#}");
            (false, true, f64::NAN)
        }
    };
    let (sent, received, udp_bytes) = naive_udp_file(&data)?;
    let lost_pct = 100.0 * (sent - received) as f64 / sent.max(1) as f64;
    Ok(json!({
        "rate": rate,
        "tcp_md5_ok": tcp_md5_ok,
        "tcp_gave_up": tcp_gave_up,
        "tcp_seconds": tcp_seconds,
        "udp_chunks_sent": sent,
        "udp_chunks_received": received,
        "udp_chunks_lost_pct": lost_pct,
        "udp_md5_ok": md5_hex(&udp_bytes) == expected,
    })
    .to_string())
}

/// A naive UDP file sender, the way a student would first write one:
/// 1024-byte chunks, one datagram each, no sequence numbers and no
/// retransmission; the receiver appends what arrives until the sender has
/// been silent for a while. Returns chunks sent, chunks received, and the
/// bytes the receiver ended with.
pub(super) fn naive_udp_file(data: &[u8]) -> Result<(usize, usize, Vec<u8>)> {
    let receiver = UdpSocket::bind(loopback())?;
    receiver.set_read_timeout(Some(Duration::from_millis(500)))?;
    let to = receiver.local_addr()?;
    let collector = thread::spawn(move || {
        let (mut got, mut chunks) = (Vec::new(), 0usize);
        let mut buf = [0u8; 2048];
        while let Ok((n, _)) = receiver.recv_from(&mut buf) {
            got.extend_from_slice(&buf[..n]);
            chunks += 1;
        }
        (chunks, got)
    });
    let sender = UdpSocket::bind(loopback())?;
    let mut sent = 0;
    for chunk in data.chunks(1024) {
        sender.send_to(chunk, to)?;
        sent += 1;
        // Paced, so that what is lost is the link's doing, not a full
        // receive buffer's (udp-loss measures that).
        if sent % 16 == 0 {
            thread::sleep(Duration::from_millis(1));
        }
    }
    let (received, got) = collector
        .join()
        .map_err(|_| anyhow::anyhow!("the UDP receiver panicked"))?;
    Ok((sent, received, got))
}

pub(super) fn md5_hex(data: &[u8]) -> String {
    // Reading from a slice cannot fail.
    common::frame::md5_reader(data, |_| {})
        .map(|(hex, _)| hex)
        .unwrap_or_default()
}
/// One run's outcome at one loss rate: (rate %, TCP's file intact, TCP
/// gave up and said so, the naive UDP sender's file intact).
pub(super) type Outcome = (u32, bool, bool, bool);

/// The verdict on silent damage: TCP delivers the bytes intact or says it
/// could not; a naive UDP sender hands over a damaged file and nobody is
/// told.
pub(super) fn lossy_verdict(outcomes: &[Outcome], patience_s: u64) -> String {
    let tcp_damaged = rates_where(outcomes, &|o| !o.1 && !o.2);
    let tcp_gave_up = rates_where(outcomes, &|o| !o.1 && o.2);
    let udp_damaged = rates_where(outcomes, &|o| !o.3);
    match (tcp_damaged.as_str(), udp_damaged.as_str()) {
        ("no rate", "no rate") => "holds only in part: TCP delivered every file intact, but the naive UDP sender lost nothing either".to_string(),
        ("no rate", _) if tcp_gave_up == "no rate" => "holds".to_string(),
        ("no rate", _) => format!(
            "holds: TCP never delivered a damaged file; at {tcp_gave_up} the upload was not done within {patience_s} s, and said so"
        ),
        _ => format!("does not hold here: the TCP upload delivered a damaged file at {tcp_damaged}"),
    }
}

/// The rates at which `keep` held, each rate's runs counted: "5 %" where
/// every run of it did, "30 % (2 of 3 runs)" where some did; "no rate"
/// where none did. The reason and the verdict both say rates this way.
fn rates_where(outcomes: &[Outcome], keep: &dyn Fn(&Outcome) -> bool) -> String {
    let mut rates: Vec<u32> = outcomes.iter().map(|o| o.0).collect();
    // Several runs of one rate name it once.
    rates.sort_unstable();
    rates.dedup();
    let said: Vec<String> = rates
        .into_iter()
        .filter_map(|rate| {
            let runs = outcomes.iter().filter(|o| o.0 == rate);
            let (all, kept) = (runs.clone().count(), runs.filter(|o| keep(o)).count());
            match kept {
                0 => None,
                k if k == all => Some(format!("{rate} %")),
                k => Some(format!("{rate} % ({k} of {all} runs)")),
            }
        })
        .collect();
    match said.is_empty() {
        true => "no rate".to_string(),
        false => said.join(", "),
    }
}

#[cfg(test)]
mod verdict_tests {
    use super::*;

    #[test]
    fn the_verdict_follows_the_figures_both_ways() {
        assert_eq!(
            lossy_verdict(&[(0, true, false, true), (10, true, false, false)], 60),
            "holds"
        );
        let slow = lossy_verdict(&[(10, true, false, false), (30, false, true, false)], 60);
        assert!(
            slow.starts_with("holds: TCP never") && slow.contains("at 30 %"),
            "{slow}"
        );
        let some = lossy_verdict(&[(30, true, false, false), (30, false, true, false)], 15);
        assert!(some.contains("at 30 % (1 of 2 runs) the upload"), "{some}");
        assert!(lossy_verdict(&[(10, true, false, true)], 60).starts_with("holds only in part"));
        let bad = lossy_verdict(&[(10, false, false, false)], 60);
        assert!(
            bad.starts_with("does not hold here") && bad.contains("10 %"),
            "{bad}"
        );
    }
}
