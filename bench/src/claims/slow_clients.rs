//! C6, `slow-clients`: slow clients starve a pool: a fast client's p99
//! while the pool's ten workers are held by slow clients, against the
//! event-driven server.

use super::*;

/// The seed's sentence this experiment measures, verbatim (`…` where
/// the quote skips; our own words marked so).
pub(super) const CLAIM: &str = "如果连接请求到达服务器时，线程池中的所有线程都已经被占用，它们则在一个队列中等待，直到有空闲的线程可用。…Twisted框架是一个完全事件驱动的网络框架 (in our words: slow clients that hold every worker make the others wait; an event-driven server does not)";

/// One run against `model`: as many slow clients as the pool has workers,
/// each taking a second to send its message (one byte), then coming back
/// (the server waits for that byte in recv, as the lab's handler does),
/// while a fast client signs in every 10 ms, `rounds` times or until
/// `budget`. Returns the fast client's p50 and p99 in ms, its failures and
/// how many it tried.
fn fast_client(
    model: ModelName,
    rounds: usize,
    budget: Duration,
) -> Result<(f64, f64, usize, usize)> {
    // An idle limit longer than the run: the slow clients hold on.
    let (addr, stop, handle) = start_model(model, Duration::from_secs(60))?;
    let done = Flag::default();
    let slow: Vec<_> = (0..threadpool_server::WORKERS)
        .map(|_| {
            let done = done.clone();
            thread::spawn(move || {
                while !done.is_up() {
                    let Ok(mut s) = TcpStream::connect(addr) else {
                        break;
                    };
                    let until = Instant::now() + Duration::from_secs(1);
                    while !done.is_up() && Instant::now() < until {
                        thread::sleep(Duration::from_millis(20));
                    }
                    let _ = s.set_read_timeout(Some(WAIT));
                    if s.write_all(b"x").is_err() || s.read(&mut [0u8; 64]).is_err() {
                        break;
                    }
                }
            })
        })
        .collect();
    thread::sleep(Duration::from_millis(200));
    let mut hist = histogram();
    let mut failed = 0;
    let (started, mut tried) = (Instant::now(), 0);
    for i in 0..rounds {
        if started.elapsed() > budget {
            break;
        }
        tried += 1;
        let t = Instant::now();
        let out = common::log::Output::discard();
        match multithread::client::sign_in(addr, i, Duration::from_secs(2), &out) {
            Ok(()) => {
                let _ = hist.record(t.elapsed().as_micros().max(1) as u64);
            }
            Err(_) => failed += 1,
        }
        thread::sleep(Duration::from_millis(10));
    }
    done.raise();
    for s in slow {
        let _ = s.join();
    }
    stop.trigger();
    let _ = handle.join();
    // No answer at all counts as the 2 s the fast client waited.
    let (p50, p99) = match hist.is_empty() {
        true => (2000.0, 2000.0),
        false => (ms(&hist, 0.5), ms(&hist, 0.99)),
    };
    Ok((p50, p99, failed, tried))
}

pub(super) fn slow_clients(scale: Scale, bar: &ProgressBar) -> Result<Finding> {
    // Three runs (one with --quick, which is for a quick look).
    let repeats = scale.n(1, 3);
    bar.set_length((ModelName::ALL.len() * repeats) as u64);
    // Each of the pool's fast sign-ins can wait up to a second: bounded.
    let fast_rounds = scale.n(50, 100);
    // A starved pool answers a fast client only when a slow one lets a
    // worker go, about once a second: the rounds stop at this budget.
    let budget = Duration::from_secs(scale.n(2, 8) as u64);
    let mut csv = String::from("model,trial,fast_p50_ms,fast_p99_ms,fast_failed\n");
    let mut figures = serde_json::Map::new();
    let (mut series, mut spreads) = (Vec::new(), Vec::new());
    let mut p99s = std::collections::HashMap::new();
    for model in ModelName::ALL {
        let name = model.label();
        let mut runs = Vec::new();
        for trial in 0..repeats {
            step(bar, format!("slow-clients: {name}, trial {}", trial + 1));
            let (p50, p99, failed, tried) = fast_client(model, fast_rounds, budget)?;
            let _ = writeln!(csv, "{name},{},{p50:.2},{p99:.2},{failed}", trial + 1);
            runs.push((p99, failed, tried));
        }
        let (p99, p99_min, p99_max) = spread(&runs.iter().map(|r| r.0).collect::<Vec<_>>());
        // The failures and rounds of the median run.
        let (_, failed, tried) = runs
            .iter()
            .copied()
            .find(|r| r.0 == p99)
            .unwrap_or_default();
        let key = match model {
            ModelName::Thread => "thread_p99_ms",
            ModelName::Pool => "pool_p99_ms",
            ModelName::Event => "event_p99_ms",
        };
        figures.insert(key.into(), json!(p99));
        figures.insert(format!("{key}_min"), json!(p99_min));
        figures.insert(format!("{key}_max"), json!(p99_max));
        figures.insert(key.replace("p99_ms", "failed"), json!(failed));
        figures.insert(key.replace("p99_ms", "rounds"), json!(tried));
        p99s.insert(key, (p99, failed, tried));
        series.push((name.to_string(), p99));
        spreads.push((
            "fast client's p99, ms".to_string(),
            name.to_string(),
            p99_min,
            p99_max,
        ));
    }
    let (pool, pool_failed, pool_rounds) = p99s.get("pool_p99_ms").copied().unwrap_or_default();
    let (event, event_failed, _) = p99s.get("event_p99_ms").copied().unwrap_or_default();
    let (thread_p99, _, _) = p99s.get("thread_p99_ms").copied().unwrap_or_default();
    let verdict = slow_clients_verdict(pool, pool_failed, event, event_failed);
    Ok(Finding {
        name: "slow-clients",
        claim: CLAIM,
        seed: "000 §2.4; 004",
        verdict,
        reason: format!(
            "with ten clients each taking a second to send its one-byte message, a fast client signing in every 10 ms (the median of {repeats} runs): p99 {thread_p99:.1} ms with a thread per connection, {pool:.1} ms with the pool of ten ({pool_failed} of {pool_rounds} got no answer within 2 s), {event:.1} ms event-driven"
        ),
        figures: Value::Object(figures),
        csv,
        chart: vec![("fast client's p99, ms".into(), series)],
        unit: "p99, ms, median of the runs (x: the server model)",
        spreads,
    })
}
/// The verdict on slow clients holding a full pool (000 §2.4, 004): the
/// fast client suffers behind the pool (no answer, or a p99 over ten times
/// the event-driven server's), and not behind the event-driven server.
pub(super) fn slow_clients_verdict(
    pool_p99_ms: f64,
    pool_failed: usize,
    event_p99_ms: f64,
    event_failed: usize,
) -> String {
    let pool_suffers = pool_failed > 0 || pool_p99_ms > 10.0 * event_p99_ms.max(0.1);
    match pool_suffers && event_failed == 0 {
        true => "holds".to_string(),
        false => "does not hold here".to_string(),
    }
}

#[cfg(test)]
mod verdict_tests {
    use super::*;

    #[test]
    fn the_verdict_follows_the_figures_both_ways() {
        assert_eq!(slow_clients_verdict(900.0, 0, 2.0, 0), "holds");
        assert_eq!(slow_clients_verdict(5.0, 4, 2.0, 0), "holds");
        assert_eq!(slow_clients_verdict(5.0, 0, 2.0, 0), "does not hold here");
        assert_eq!(slow_clients_verdict(900.0, 0, 2.0, 1), "does not hold here");
    }
}
