//! The handout's progress board, rustlings-style (`cargo run` in the
//! handout; `cargo run -- watch` shows it again each time a file changes).
//! Each of the lab's nine programs, in the lab's order, is run for real on
//! loopback with its partner (a server with its client), in this process,
//! and shown as:
//!
//! * 完成 done: the exchange worked, each side printing what the Python does;
//! * 出错 failing: what each side printed, and what was expected;
//! * 待写 to write: the first step it reached that is still a stub, with
//!   its file and line and the Python line to port;
//! * 等待 waiting: its partner has a step not written yet, so it cannot be run.
//!
//! `cargo test -p progress` runs the same exchanges as plain tests.

use common::cli::ServerOpts;
use common::log::Output;
use common::stop::Stop;
use common::todo::NOT_WRITTEN;
use std::net::SocketAddr;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

/// How long a client waits for its server's answer.
const WAIT: Duration = Duration::from_secs(2);

/// A program's state on the board.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    Done,
    /// What happened, and what was expected.
    Failing(String),
    /// The stub it reached ("not written yet: 2.1 step 1, …") and where.
    NotWritten {
        step: String,
        at: String,
    },
    /// Its partner has a step not written yet.
    Waiting(String),
}

/// The lab's nine programs, in its order: (name, its file).
pub const EXERCISES: [(&str, &str); 9] = [
    ("2.1 tcp_server", "tcp-basic/src/server.rs"),
    ("2.1 tcp_client", "tcp-basic/src/client.rs"),
    ("2.2 udp_server", "udp-basic/src/server.rs"),
    ("2.2 udp_client", "udp-basic/src/client.rs"),
    ("2.4 multithread_server", "multithread/src/server.rs"),
    ("2.4 multithread_client", "multithread/src/client.rs"),
    ("2.4 threadpool_server", "threadpool-server/src/lib.rs"),
    ("2.5 file_server", "file-transfer/src/server.rs"),
    ("2.5 file_client", "file-transfer/src/client.rs"),
];

/// Runs every exchange and returns the nine states, in [`EXERCISES`]' order.
pub fn states() -> Vec<State> {
    catch_panics();
    let tcp = tcp();
    let udp = udp();
    let (multi_server, multi_client) = multithread();
    let pool = threadpool(&multi_client);
    let file = file();
    vec![
        tcp.0,
        tcp.1,
        udp.0,
        udp.1,
        multi_server,
        multi_client,
        pool,
        file.0,
        file.1,
    ]
}

/// Prints the board; returns how many programs are done.
pub fn board(out: &Output) -> usize {
    let states = states();
    let mut next = None;
    for ((name, file), state) in EXERCISES.iter().zip(&states) {
        let line = match state {
            State::Done => format!("  完成 done         {name}"),
            State::Failing(why) => format!("  出错 failing      {name} ({file}): {why}"),
            State::NotWritten { step, at } => format!("  待写 to write     {name}: {step} ({at})"),
            State::Waiting(why) => format!("  等待 waiting      {name}: {why}"),
        };
        out.line(line);
        if next.is_none() && !matches!(state, State::Done | State::Waiting(_)) {
            next = Some((name, file, state));
        }
    }
    let done = states.iter().filter(|s| **s == State::Done).count();
    let all = EXERCISES.len();
    out.line(format!(
        "\n已完成 {done} / {all} 个程序 / {done} of {all} programs done."
    ));
    match next {
        None if done == EXERCISES.len() => out.line("全部完成 / All done."),
        None => out.line(
            "下一步 / Next: 写等待中的程序需要的步骤 / write the steps the waiting programs need.",
        ),
        Some((_, _, State::NotWritten { step, at })) => {
            out.line(format!("下一步 / Next: {at}: {step}"))
        }
        Some((name, file, _)) => out.line(format!(
            "下一步 / Next: 让 {name} ({file}) 正常工作 / make it work"
        )),
    }
    done
}

/// Shows the board again each time a source file of the workspace
/// changes, until Ctrl-C: `cargo run --bin board` after each change, so
/// that cargo rebuilds what changed first. Files are looked at twice a
/// second, with std alone (no file-watching crate: this works the same on
/// every platform).
pub fn watch(out: &Output) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut seen = None;
    loop {
        let now = newest(&root);
        if now != seen {
            seen = now;
            out.line("\n===== the board (cargo run -- watch: again after each change; Ctrl-C ends it) =====");
            let shown = std::process::Command::new(&cargo)
                .args([
                    "run",
                    "--quiet",
                    "--offline",
                    "-p",
                    "progress",
                    "--bin",
                    "board",
                ])
                .current_dir(&root)
                .status();
            if let Err(e) = shown {
                out.line(format!("无法运行 cargo / cannot run cargo: {e}"));
                return;
            }
        }
        thread::sleep(Duration::from_millis(500));
    }
}

/// The newest modification time of the sources under `root`.
fn newest(root: &std::path::Path) -> Option<std::time::SystemTime> {
    let mut newest = None;
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            if path.is_dir() && name != "target" && !name.to_string_lossy().starts_with('.') {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs" || e == "toml") {
                let modified = entry.metadata().and_then(|m| m.modified()).ok();
                newest = newest.max(modified);
            }
        }
    }
    newest
}

/// A panic seen while an exchange ran: its thread, message and place.
#[derive(Clone, Debug)]
struct Panic {
    thread: String,
    message: String,
    at: String,
}

static PANICS: Mutex<Vec<Panic>> = Mutex::new(Vec::new());

fn panics() -> MutexGuard<'static, Vec<Panic>> {
    // A poisoned list is still a list.
    PANICS.lock().unwrap_or_else(|p| p.into_inner())
}

/// Notes every panic; a step not written yet is shown on the board, not
/// as a backtrace, and any other panic is printed as it would be.
fn catch_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let printed = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            noted(info);
            if !panics()
                .last()
                .is_some_and(|p| p.message.starts_with(NOT_WRITTEN))
            {
                printed(info);
            }
        }));
    });
}

/// Notes one panic.
fn noted(info: &panic::PanicHookInfo<'_>) {
    let payload = info.payload();
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    let at = info
        .location()
        .map(|l| format!("{}:{}", l.file(), l.line()))
        .unwrap_or_default();
    let thread = thread::current().name().unwrap_or_default().to_string();
    panics().push(Panic {
        thread,
        message,
        at,
    });
}

/// What one exchange left behind.
struct Run {
    server: Output,
    client: Output,
    panics: Vec<Panic>,
}

/// Runs `serve` on a thread named `server` until `client`, on one named
/// `client`, has finished, and the server's connections after it.
fn exchange(
    serve: impl FnOnce(&Stop, &Output) + Send + 'static,
    client: impl FnOnce(&Output) + Send + 'static,
) -> Run {
    exchange_until(serve, client, |_| true)
}

/// [`exchange`], then also waiting (at most [`WAIT`]) until `printed`
/// holds for what the server printed: a UDP server has no connection in
/// flight to wait for, only the datagram it is still printing.
fn exchange_until(
    serve: impl FnOnce(&Stop, &Output) + Send + 'static,
    client: impl FnOnce(&Output) + Send + 'static,
    printed: impl Fn(&str) -> bool,
) -> Run {
    panics().clear();
    let stop = Stop::new(Duration::from_millis(200));
    let (server, client_out) = (Output::memory(), Output::memory());
    let (s, o) = (stop.clone(), server.clone());
    let serving = thread::Builder::new()
        .name("server".into())
        .spawn(move || {
            let _ = panic::catch_unwind(AssertUnwindSafe(|| serve(&s, &o)));
        })
        .expect("a thread for the server");
    let c = client_out.clone();
    let asking = thread::Builder::new()
        .name("client".into())
        .spawn(move || client(&c))
        .expect("a thread for the client");
    let _ = asking.join();
    let until = Instant::now() + WAIT;
    while (stop.live() > 0 || !printed(&server.contents())) && Instant::now() < until {
        thread::sleep(Duration::from_millis(10));
    }
    stop.trigger();
    let _ = serving.join();
    Run {
        server,
        client: client_out,
        panics: panics().clone(),
    }
}

/// The stub a side reached, if any: the server's side is its own thread
/// and those it starts; the client's, the rest.
fn not_written(run: &Run, server_side: bool) -> Option<State> {
    let server_thread =
        |t: &str| t == "server" || t.starts_with("connection") || t == "pool worker";
    run.panics
        .iter()
        .find(|p| server_thread(&p.thread) == server_side && p.message.starts_with(NOT_WRITTEN))
        .map(|p| State::NotWritten {
            step: p.message.clone(),
            at: p.at.clone(),
        })
}

/// The two states of a pair: each side's own stub first; then a side
/// whose partner has one waits; then done, or failing with `expected`.
fn judge(run: &Run, done: bool, expected: &str) -> (State, State) {
    let (server, client) = (not_written(run, true), not_written(run, false));
    let failing = || {
        State::Failing(format!(
            "{expected}; 服务器打印了 / the server printed {:?}, 客户端打印了 / the client {:?}",
            run.server.contents(),
            run.client.contents()
        ))
    };
    let finished = |own: Option<State>, other: &Option<State>, partner: &str| match (own, other) {
        (Some(state), _) => state,
        (None, Some(_)) => State::Waiting(format!(
            "{partner} 有一步还没写 / its {partner} has a step not written yet"
        )),
        (None, None) if done => State::Done,
        (None, None) => failing(),
    };
    (
        finished(server.clone(), &client, "client"),
        finished(client, &server, "server"),
    )
}

fn listener() -> std::net::TcpListener {
    let addr: SocketAddr = ([127, 0, 0, 1], 0).into();
    common::net::listen(addr, 128).expect("a listener on 127.0.0.1:0")
}

fn opts() -> ServerOpts {
    ServerOpts::for_tests(WAIT)
}

/// 2.1: the server answers the client's request.
fn tcp() -> (State, State) {
    let l = listener();
    let addr = l.local_addr().expect("a bound listener's address");
    let run = exchange(
        move |s, o| tcp_basic::server::run(&l, &opts(), s, o),
        move |o| {
            let _ = tcp_basic::client::run(addr, WAIT, o);
        },
    );
    let done = run.server.contents().contains(tcp_basic::client::REQUEST)
        && run.client.contents().contains(tcp_basic::server::REPLY);
    judge(
        &run,
        done,
        "服务器应打印 请求占领地球，客户端应打印 不要回答,不要回答,不要回答 / the server should print 请求占领地球 and the client 不要回答,不要回答,不要回答",
    )
}

/// 2.2: the server prints the client's datagram.
fn udp() -> (State, State) {
    // The server's socket is its own step 1: made on the server's thread.
    panics().clear();
    let any: SocketAddr = ([127, 0, 0, 1], 0).into();
    let bound = thread::Builder::new()
        .name("server".into())
        .spawn(move || udp_basic::server::bind(any))
        .expect("a thread for the server")
        .join();
    let sk = match bound {
        Ok(Ok(sk)) => sk,
        Ok(Err(e)) => {
            return (
                State::Failing(format!("bind 失败 / bind failed: {e}")),
                State::Waiting("它的服务器启动不了 / its server does not start".into()),
            );
        }
        Err(_) => {
            let run = Run {
                server: Output::memory(),
                client: Output::memory(),
                panics: panics().clone(),
            };
            let state = not_written(&run, true)
                .unwrap_or(State::Failing("bind 时程序崩溃 / bind panicked".into()));
            return (
                state,
                State::Waiting(
                    "server 有一步还没写 / its server has a step not written yet".into(),
                ),
            );
        }
    };
    let addr = sk.local_addr().expect("a bound socket's address");
    let run = exchange_until(
        move |s, o| udp_basic::server::run(&sk, 1024, s, o),
        move |o| {
            let _ = udp_basic::client::run(addr, "你好，UDP\nexit\n".as_bytes(), o);
        },
        |printed| printed.contains("你好，UDP"),
    );
    let done = run.server.contents().contains("你好，UDP");
    judge(
        &run,
        done,
        "服务器应打印客户端发来的 你好，UDP / the server should print 你好，UDP, sent by the client",
    )
}

/// Three clients of 2.4's sign-in client against `serve`; and how many
/// were answered 你已签到.
fn sign_ins(
    serve: impl FnOnce(&std::net::TcpListener, &Stop, &Output) + Send + 'static,
) -> (Run, usize) {
    let l = listener();
    let addr = l.local_addr().expect("a bound listener's address");
    let run = exchange(
        move |s, o| serve(&l, s, o),
        move |o| {
            multithread::client::run(addr, 3, WAIT, o);
        },
    );
    let answered = run
        .client
        .contents()
        .matches(multithread::server::REPLY)
        .count();
    (run, answered)
}

/// 2.4 (1): three clients sign in to the thread-per-connection server.
fn multithread() -> (State, State) {
    let (run, answered) =
        sign_ins(|l, s, o| multithread::server::run(l, &opts(), Duration::ZERO, s, o));
    let done = answered == 3 && run.server.contents().matches("服务器接收来自").count() == 3;
    judge(
        &run,
        done,
        "三个客户端都应签到成功（你已签到），服务器逐个打印 / three clients should sign in (你已签到), and the server print each",
    )
}

/// 2.4 (2): the pool, with the sign-in client.
fn threadpool(client: &State) -> State {
    let (run, answered) =
        sign_ins(|l, s, o| threadpool_server::run(l, 2, &opts(), Duration::ZERO, s, o));
    let done = answered == 3;
    match (not_written(&run, true), client) {
        (Some(state), _) => state,
        (None, State::Done) if done => State::Done,
        (None, State::Done) => {
            judge(&run, false, "三个客户端都应通过线程池签到 / three clients should sign in through the pool").0
        }
        (None, _) => State::Waiting("它要和 2.4 的客户端一起运行，那个客户端还没完成 / it is run with 2.4's client, which is not done yet".into()),
    }
}

/// 2.5: the client uploads a file, and the server saves it byte for byte.
fn file() -> (State, State) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let save = dir.path().join("file_save");
    let path = dir.path().join("实验报告.txt");
    let made =
        std::fs::create_dir(&save).and_then(|()| std::fs::write(&path, "socket\n".repeat(500)));
    if let Err(e) = made {
        return (State::Failing(e.to_string()), State::Failing(e.to_string()));
    }
    let l = listener();
    let addr = l.local_addr().expect("a bound listener's address");
    let cfg = file_transfer::server::Config {
        dir: save.clone(),
        max_size: None,
        overwrite: false,
        sync: false,
    };
    let client = file_transfer::client::Config {
        server: addr,
        legacy: false,
        timeout: WAIT,
    };
    let upload = path.clone();
    let run = exchange(
        move |s, o| file_transfer::server::run(&l, &cfg, &opts(), s, o),
        move |o| {
            let _ = file_transfer::client::upload(&client, &upload, o);
        },
    );
    let saved = std::fs::read(save.join("实验报告.txt")).ok();
    let done = saved.is_some() && saved == std::fs::read(&path).ok();
    judge(
        &run,
        done,
        "服务器应逐字节保存 实验报告.txt，客户端应打印 文件上传成功！ / the server should save 实验报告.txt byte for byte, and the client print 文件上传成功！",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The panics seen are one list: one exchange at a time.
    static SERIAL: Mutex<()> = Mutex::new(());

    /// Holds the exchanges to one at a time, with panics caught.
    fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
        let one = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        catch_panics();
        one
    }

    fn assert_done(states: (State, State)) {
        assert_eq!(states, (State::Done, State::Done));
    }

    #[test]
    fn tcp_2_1() {
        let _one = one_at_a_time();
        assert_done(tcp());
    }

    #[test]
    fn udp_2_2() {
        let _one = one_at_a_time();
        assert_done(udp());
    }

    #[test]
    fn multithread_2_4() {
        let _one = one_at_a_time();
        assert_done(multithread());
    }

    #[test]
    fn threadpool_2_4() {
        let _one = one_at_a_time();
        assert_eq!(threadpool(&State::Done), State::Done);
    }

    #[test]
    fn file_transfer_2_5() {
        let _one = one_at_a_time();
        assert_done(file());
    }
}
