//! Main lab 2.4 (2): the sign-in server on a fixed pool of worker threads
//! (`threadpool_server.py`, a `ThreadPoolExecutor(max_workers=10)`). Its
//! handler and its client are those of the `multithread` crate.
//!
//! Run it: `cargo run -p threadpool-server -- server` (Python: `python3 threadpool_server.py`).
//! Its client: `cargo run -p threadpool-server -- client` (or `multithread_client.py` on port 9997).
//!
//! | threadpool_server.py, line: code             | here                         |
//! |----------------------------------------------|------------------------------|
//! | 19, 21: `sk.bind(ip_port)`, `sk.listen(5)`           | `net::listen`|
//! | 22: `print('server waiting...')`                 | [`run`]                      |
//! | 24: `pool=ThreadPoolExecutor(max_workers=10)`    | `ThreadPool::with_name(…, workers)` |
//! | 26: `conn, addr = sk.accept()`                   | `stop.accept(listener)`  |
//! | 27: `pool.submit(work, conn, addr)`              | `pool.execute(...)`          |
//! | 28: `print(f'客户端:\t\t{addr}连接成功')`        | `out.line`                   |
//!
//! Beside `multithread::server::run`, the accept loop differs in one line,
//! where the connection goes (`spawn_connection(...)` there,
//! `pool.execute(...)` here), and in where each prints its script's
//! `连接成功` line (the two originals print it in different places).

pub mod cli;
pub mod event;
use common::addr::PyAddr;
use common::cli::ServerOpts;
use common::log::Output;
use common::server::logged;
use common::stop::Stop;
use multithread::server::handle_connection;
use std::net::TcpListener;
use std::time::Duration;
use threadpool::ThreadPool;

/// The original's `max_workers=10`.
pub const WORKERS: usize = 10;

/// Accepts connections until Ctrl-C or SIGTERM and queues each one for the
/// pool.
///
/// The pool's threads are started once, here, and then reused: a connection
/// costs a queue push instead of a thread start. When all workers are busy,
/// new connections wait in the pool's queue (not in the kernel's listen
/// queue, which the accept loop keeps draining). A silent client holds a
/// worker only until `--idle-timeout`. A job that panics ends only itself:
/// the threadpool crate replaces the worker.
pub fn run(
    listener: &TcpListener,
    workers: usize,
    opts: &ServerOpts,
    pause: Duration,
    stop: &Stop,
    out: &Output,
) {
    out.line("server waiting...");
    let pool = ThreadPool::with_name("pool worker".into(), workers.max(1));
    // Added: `None` once Ctrl-C or SIGTERM stops the server.
    while let Some((conn, addr)) = stop.accept(listener) {
        // Added: the connection counts as in flight until its job ends.
        let in_flight = stop.admit(opts.idle());
        let job_out = out.clone();
        pool.execute(move || {
            logged(
                addr,
                handle_connection(conn, addr, in_flight, pause, &job_out),
            )
        });
        out.line(format!("客户端:\t\t{}连接成功", PyAddr(addr)));
    }
    // Added: wait (at most --grace) for the connections in flight.
    stop.finish();
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use threadpool::ThreadPool;

    #[test]
    fn a_panicking_job_does_not_take_the_pool_down() {
        let pool = ThreadPool::new(1);
        let done = Arc::new(AtomicUsize::new(0));
        pool.execute(|| panic!("boom (this panic is part of the test)"));
        for _ in 0..10 {
            let done = done.clone();
            pool.execute(move || {
                done.fetch_add(1, Ordering::SeqCst);
            });
        }
        pool.join();
        assert_eq!(done.load(Ordering::SeqCst), 10);
    }
}
