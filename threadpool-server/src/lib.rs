//! Main lab 2.4 (2): the sign-in server on a fixed pool of worker threads
//! (`threadpool_server.py`, a `ThreadPoolExecutor(max_workers=10)`). Its
//! handler and its client are those of the `multithread` crate.
//!
//! Server: `cargo run -p threadpool-server -- server` (or `python3 threadpool_server.py`).
//! Client: `cargo run -p threadpool-server -- client` (or `multithread_client.py` on port 9997).

pub mod bench;

use common::addr::PyAddr;
use common::cli::ServerOpts;
use common::log::Output;
use common::server::{Acceptor, Shutdown, guarded};
use std::net::TcpListener;
use std::time::Duration;
use threadpool::ThreadPool;

/// The original's `max_workers=10`.
pub const WORKERS: usize = 10;

/// Accepts connections until `shutdown` fires and queues each one for the
/// pool.
///
/// The pool's threads are started once, here, and then reused: a connection
/// costs a queue push instead of a thread start. When all workers are busy,
/// new connections wait in the pool's queue (not in the kernel's listen
/// queue, which the accept loop keeps draining). A silent client holds a
/// worker only until `--idle-timeout`.
pub fn run(
    listener: &TcpListener,
    workers: usize,
    opts: &ServerOpts,
    work: Duration,
    shutdown: &Shutdown,
    out: &Output,
) {
    out.line("server waiting...");
    let pool = ThreadPool::with_name("pool worker".into(), workers.max(1));
    let mut acceptor = Acceptor::new(listener, shutdown, opts.idle());
    while let Some(conn) = acceptor.accept() {
        let peer = conn.peer;
        let job_out = out.clone();
        // A panic in a job is caught here and logged; the worker lives on.
        // (Python's executor keeps the exception in a Future nobody reads.)
        pool.execute(move || {
            guarded(peer, || {
                multithread::handle_connection(conn, work, &job_out)
            })
        });
        out.line(format!("客户端:\t\t{}连接成功", PyAddr(peer)));
    }
    shutdown.finish(opts.grace);
    pool.join();
}

/// The bare reference loop of the benchmark: one thread, accept → one
/// read → answer → close, no printing, no timeouts. What the machine can do
/// at best, to compare the servers with.
pub fn run_reference(listener: &TcpListener, shutdown: &Shutdown) {
    use std::io::{Read, Write};
    let mut acceptor = Acceptor::new(listener, shutdown, None);
    let mut buf = [0u8; multithread::RECV_SIZE];
    while let Some(mut conn) = acceptor.accept() {
        if conn.stream.read(&mut buf).is_ok() {
            let _ = conn.stream.write_all(multithread::REPLY.as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn a_panicking_job_does_not_take_its_worker_away() {
        let pool = ThreadPool::new(1);
        let done = Arc::new(AtomicUsize::new(0));
        pool.execute(|| guarded("job 0", || panic!("boom")));
        for _ in 0..10 {
            let done = done.clone();
            pool.execute(move || {
                guarded("job", move || {
                    done.fetch_add(1, Ordering::SeqCst);
                })
            });
        }
        pool.join();
        assert_eq!(done.load(Ordering::SeqCst), 10);
        assert_eq!(pool.panic_count(), 0, "the panic was caught inside the job");
    }
}
