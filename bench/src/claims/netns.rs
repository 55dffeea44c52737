//! A private network namespace for an experiment: how to enter one, run a
//! worker (the bench binary itself) in it, and reshape its loopback (MTU,
//! offloads, packet drops with nftables).

use super::*;

/// How to enter a private network namespace whose loopback this process
/// may reshape (`ip`) and filter (`nft`): `unshare --net` as root, or with
/// `--map-root-user` in an unprivileged user namespace. Else why not, and
/// what would make it possible.
pub(super) fn namespace() -> std::result::Result<Vec<&'static str>, String> {
    if !cfg!(target_os = "linux") {
        return Err(
            "needs Linux: a private network namespace (unshare --net) with nftables".into(),
        );
    }
    let unshare = [
        vec!["unshare", "--net"],
        vec!["unshare", "--net", "--map-root-user"],
    ]
    .into_iter()
    .find(|cmd| runs(Command::new(cmd[0]).args(&cmd[1..]).arg("true")))
    .ok_or("cannot make a private network namespace here: `unshare --net` needs root or unprivileged user namespaces, and util-linux's unshare")?;
    for (tool, version, package) in [("nft", "--version", "nftables"), ("ip", "-V", "iproute2")] {
        if !runs(Command::new(tool).arg(version)) {
            return Err(format!(
                "`{tool}` is missing: install it (Debian: apt-get install {package})"
            ));
        }
    }
    Ok(unshare)
}

/// Runs `bench ARGS…` in a private network namespace of its own (see
/// [`namespace`]), for at most `limit`; returns its line of JSON.
pub(super) fn in_namespace(unshare: &[&str], args: &[String], limit: Duration) -> Result<Value> {
    let mut cmd = Command::new(unshare[0]);
    cmd.args(&unshare[1..])
        .arg("--")
        .arg(bench_binary()?)
        .args(args);
    let line = run_worker(cmd, limit)?;
    serde_json::from_str(&line).with_context(|| format!("it printed {line:?}"))
}

/// Whether a command starts and succeeds, its output discarded.
pub(super) fn runs(cmd: &mut Command) -> bool {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs a worker, killing it after `limit`; returns its last line of stdout.
pub(super) fn run_worker(mut cmd: Command, limit: Duration) -> Result<String> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot start it")?;
    let (mut stdout, mut stderr) = (
        child.stdout.take().context("stdout")?,
        child.stderr.take().context("stderr")?,
    );
    let err_reader = thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let out_reader = thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            anyhow::bail!("no result within {limit:?}");
        }
        thread::sleep(Duration::from_millis(20));
    };
    let out = out_reader.join().unwrap_or_default();
    let err = err_reader.join().unwrap_or_default();
    anyhow::ensure!(status.success(), "{status}: {}", err.trim());
    out.lines()
        .last()
        .map(str::to_string)
        .with_context(|| format!("it printed nothing; stderr: {}", err.trim()))
}

/// The namespace's loopback: up, MTU 1500 and one segment per packet (so
/// that a file is many packets, as on Ethernet, not a few 64 KiB ones),
/// and, past 0 %, an nftables rule that drops `rate` % of the packets
/// arriving on it, at random.
pub(super) fn lossy_loopback(rate: u32) -> Result<()> {
    ethernet_loopback()?;
    if rate > 0 {
        nft(&format!(
            "table inet lossy {{\n  chain input {{\n    type filter hook input priority 0; policy accept;\n    iifname \"lo\" numgen random mod 1000 < {} drop\n  }}\n}}\n",
            rate * 10
        ))?;
    }
    Ok(())
}

/// The namespace's loopback, up, with Ethernet's MTU (1500) and one
/// segment per packet.
pub(super) fn ethernet_loopback() -> Result<()> {
    let ip = |args: &[&str]| -> Result<()> {
        let status = Command::new("ip")
            .args(args)
            .status()
            .context("cannot run ip")?;
        anyhow::ensure!(status.success(), "ip {} failed", args.join(" "));
        Ok(())
    };
    ip(&["link", "set", "lo", "up"])?;
    ip(&["link", "set", "lo", "mtu", "1500"])?;
    // And no segmentation offload: loopback would otherwise carry a TCP
    // send of up to 64 KiB as one packet, dropped or kept whole.
    ip(&[
        "link",
        "set",
        "lo",
        "gso_max_size",
        "1500",
        "gso_max_segs",
        "1",
    ])
}

/// How many packets this namespace's loopback has sent (`/proc/net/dev`
/// is the reading process's namespace's).
pub(super) fn lo_packets_sent() -> Result<u64> {
    let dev = std::fs::read_to_string("/proc/net/dev")?;
    let line = dev
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("lo:"))
        .context("no lo in /proc/net/dev")?;
    // Eight receive columns, then transmit: bytes, packets, …
    line.split_whitespace()
        .nth(9)
        .context("a short lo line in /proc/net/dev")?
        .parse()
        .context("a lo packet count that is not a number")
}

/// Loads an nftables ruleset into this namespace.
pub(super) fn nft(rules: &str) -> Result<()> {
    let mut nft = Command::new("nft")
        .args(["-f", "-"])
        .stdin(Stdio::piped())
        .spawn()
        .context("cannot run nft")?;
    nft.stdin
        .take()
        .context("nft's stdin")?
        .write_all(rules.as_bytes())?;
    anyhow::ensure!(nft.wait()?.success(), "nft refused the rules:\n{rules}");
    Ok(())
}
