//! `bench claims --quick`, as a student runs it: every experiment, a
//! verdict for each, and the files it promises. What is asserted are the
//! shapes and the physical facts, never a speed.

use crate::util::*;
use serde_json::Value;
use std::process::Command;
use std::time::Duration;

/// Where 1472 comes from, as `bench claims datagrams` shows it: in a
/// network namespace whose loopback has Ethernet's MTU (1500), a 1472-byte
/// datagram goes as one packet and a 1473-byte one as two, and with
/// fragments dropped 1472 bytes is the largest that arrives.
#[test]
#[cfg_attr(
    not(all(namespaces, nftables)),
    ignore = "needs Linux network namespaces (unshare --net, ip) and nftables (nft)"
)]
fn on_a_link_of_mtu_1500_one_frame_holds_1472_bytes_of_udp() {
    let mut cmd = Command::new("unshare");
    cmd.args(["--net", "--map-root-user", "--"])
        .arg(bin("bench"))
        .arg("mtu-worker");
    let mut run = Proc::spawn(cmd);
    let status = run.wait(Duration::from_secs(30)).expect("the worker ends");
    assert!(status.success(), "{}", run.stderr());
    let out = run.stdout();
    let mtu: Value = serde_json::from_str(out.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {out:?}"));
    assert_eq!(mtu["packets_1472"], 1, "{mtu}");
    assert_eq!(mtu["packets_1473"], 2, "{mtu}");
    assert_eq!(mtu["mtu1500_max_payload"], 1472, "{mtu}");
}

/// What 002's 半连接池 is usually taken to mean, the kernel's queue of
/// half-done handshakes: in a network namespace whose loopback drops every
/// client's last ACK, `listen(5)` holds about five handshakes half done
/// (SYN_RECV) and the clients beyond them time out with syncookies off;
/// with syncookies on (Linux's default) none does.
#[test]
#[cfg_attr(
    not(all(namespaces, nftables)),
    ignore = "needs Linux network namespaces (unshare --net, ip) and nftables (nft)"
)]
fn a_full_half_open_queue_times_clients_out_only_without_syncookies() {
    let worker = |cookies: &str| -> Value {
        let mut cmd = Command::new("unshare");
        cmd.args(["--net", "--map-root-user", "--"])
            .arg(bin("bench"))
            .args(["half-open-worker", "--tried=10", "--timeout-ms=2000"])
            .arg(format!("--cookies={cookies}"));
        let mut run = Proc::spawn(cmd);
        let status = run.wait(Duration::from_secs(30)).expect("the worker ends");
        assert!(status.success(), "{}", run.stderr());
        let out = run.stdout();
        serde_json::from_str(out.lines().last().unwrap_or_default())
            .unwrap_or_else(|e| panic!("{e}: {out:?}"))
    };
    let off = worker("false");
    let held = off["half_open"].as_u64().unwrap();
    assert!((1..=6).contains(&held), "{off}");
    assert!(off["timed_out"].as_u64().unwrap() >= 1, "{off}");
    assert_eq!(off["refused"], 0, "{off}");
    let on = worker("true");
    assert_eq!(on["timed_out"], 0, "{on}");
    assert_eq!(on["connected"], 10, "{on}");
}

/// Every quote of the report is the seed's own sentence, verbatim, in a
/// seed it cites (the project's own words are marked "(in our words").
#[test]
#[cfg_attr(
    not(lab_seeds),
    ignore = "needs the lab's documents (../shared/seeds beside the workspace)"
)]
fn every_quote_is_verbatim_in_a_seed_it_cites() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/seeds");
    let seeds: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| {
            let name = e.file_name().to_string_lossy().chars().take(3).collect();
            (name, std::fs::read_to_string(e.path()).unwrap())
        })
        .collect();
    assert!(
        seeds.len() >= 5,
        "{} seeds in {}",
        seeds.len(),
        dir.display()
    );
    for (claim, cited) in bench::claims::quotes() {
        let quote = claim.split(" (in our words").next().unwrap_or(claim);
        for piece in quote.split('…').map(str::trim).filter(|p| !p.is_empty()) {
            let found = seeds
                .iter()
                .any(|(n, text)| cited.contains(n.as_str()) && text.contains(piece));
            assert!(found, "not verbatim in seed {cited}: {piece:?}");
        }
    }
}

/// The report in the repository (bench/CLAIMS.md, from
/// bench/results/claims/claims.json) says what its figures say: every
/// experiment is there, and each verdict is the one its verdict function
/// gives for the figures beside it.
#[test]
fn the_committed_report_has_every_verdict_its_figures_give() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../bench/results/claims/claims.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let json: Value = serde_json::from_str(&text).unwrap();
    let claims = json.as_array().unwrap();
    let names: Vec<&str> = claims.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        bench::claims::EXPERIMENTS,
        "every experiment, in order"
    );
    for c in claims {
        let name = c["name"].as_str().unwrap();
        let verdict = bench::claims::verdict_of(name, &c["figures"])
            .unwrap_or_else(|| panic!("{name}: its figures do not give a verdict"));
        assert_eq!(c["verdict"], verdict, "{name}");
    }
}

/// How long a quick run may take before the test calls it hung.
const RUN_LIMIT: Duration = Duration::from_secs(300);

#[test]
#[cfg_attr(
    windows,
    ignore = "runs every experiment (a minute of load); on Windows, run `cargo run --release -p bench -- claims --quick` by hand"
)]
fn a_quick_run_writes_every_claim_with_a_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(bin("bench"));
    cmd.args(["claims", "--quick", "--out"]).arg(dir.path());
    let mut run = Proc::spawn(cmd);
    drop(run.stdin.take());
    // Bounded: a quick run takes seconds in a release build, under a
    // minute in a debug one; this is a hang detector, not a speed limit.
    let status = run.wait(RUN_LIMIT);
    assert!(
        status.is_some_and(|s| s.success()),
        "{status:?}; stderr: {}",
        run.stderr()
    );
    let stdout = run.stdout();
    assert!(stdout.contains("| claim |"), "{stdout}");
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("claims.json")).unwrap())
            .unwrap();
    let names: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, bench::claims::EXPERIMENTS);
    let mut recomputed = 0;
    for c in json.as_array().unwrap() {
        for key in ["claim", "seed", "verdict", "reason"] {
            assert!(!c[key].as_str().unwrap().is_empty(), "{c}");
        }
        assert!(c["figures"].is_object(), "{c}");
        // Where the verdict is a function of the figures, the report's
        // verdict is the one that function gives for the figures beside it.
        if let Some(verdict) = bench::claims::verdict_of(c["name"].as_str().unwrap(), &c["figures"])
        {
            assert_eq!(c["verdict"], verdict, "{c}");
            recomputed += 1;
        }
    }
    // Every verdict, where its experiment ran (the lossy link needs a
    // network namespace and nftables).
    let skipped = json
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["verdict"].as_str().unwrap().starts_with("skipped"))
        .count();
    assert_eq!(
        recomputed + skipped,
        bench::claims::EXPERIMENTS.len(),
        "every experiment's verdict"
    );
    // The lossy link runs where the machine can make one (CI installs
    // nftables); elsewhere it must say what is missing.
    let lossy = &json[2];
    let verdict = lossy["verdict"].as_str().unwrap();
    if verdict.starts_with("skipped: ") {
        eprintln!("lossy-link {verdict}");
    } else {
        let rates = lossy["figures"]["rates"].as_object().unwrap();
        assert_eq!(rates.len(), 5, "{lossy}");
        for (rate, per_rate) in rates {
            // md5-checked TCP delivers the file intact, or gives up and
            // says so; it never hands over a damaged one.
            for got in per_rate["runs"].as_array().unwrap() {
                assert!(
                    got["tcp_md5_ok"] == true || got["tcp_gave_up"] == true,
                    "{rate} %: {got}"
                );
            }
        }
        // With nothing dropped, even the naive UDP sender's file arrives.
        for got in rates["0"]["runs"].as_array().unwrap() {
            assert_eq!(got["udp_md5_ok"], true, "{lossy}");
        }
    }
    // One Ethernet frame holds 1472 bytes of UDP payload, shown where an
    // MTU-1500 loopback could be made.
    let datagrams = &json[4]["figures"];
    assert_eq!(datagrams["truncated"], true, "{datagrams}");
    if !datagrams["mtu1500"].is_null() {
        assert_eq!(datagrams["mtu1500_max_payload"], 1472, "{datagrams}");
        assert_eq!(datagrams["mtu1500"]["packets_1473"], 2, "{datagrams}");
    }
    let models = &json[5]["figures"];
    for model in ["thread per connection", "thread pool (10)", "event-driven"] {
        let at_100 = &models[format!("{model} @ 100")];
        // Every sign-in of a quick run is answered, by every model.
        assert_eq!(at_100["failed"], 0, "{model}: {at_100}");
        if cfg!(target_os = "linux") {
            assert!(at_100["threads"].as_u64().unwrap() >= 1, "{at_100}");
            assert!(at_100["rss_kb"].as_u64().unwrap() > 0, "{at_100}");
        }
    }
    // One thread per connection: more threads than the pool's fixed set.
    if cfg!(target_os = "linux") {
        let threads = |m: &str| models[format!("{m} @ 100")]["threads"].as_u64().unwrap();
        assert!(
            threads("event-driven") < threads("thread pool (10)"),
            "{models}"
        );
    }
    assert!(dir.path().join("CLAIMS.md").is_file());
    assert!(dir.path().join("framing.svg").is_file());
    assert!(dir.path().join("udp-loss.csv").is_file());
}
