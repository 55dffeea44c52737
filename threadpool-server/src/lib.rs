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

// HANDOUT ONLY: #![allow(unused, unreachable_code)] // the stubs leave names unused: remove this line once every step is written
pub mod cli;
// NOT IN HANDOUT: the event-driven server is not one of the lab's exercises
pub mod event;
// END NOT IN HANDOUT
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
    // STEP 2.4/11 threadpool_server.py:24 `pool=ThreadPoolExecutor(max_workers=10)`: 启动一个有 `workers` 个线程的线程池 / start a pool of `workers` threads
    // hint: threadpool::ThreadPool::with_name(name, workers)，至少一个线程
    // hint: threadpool::ThreadPool::with_name(name, workers), at least one
    // gives: pool: ThreadPool
    let pool = ThreadPool::with_name("pool worker".into(), workers.max(1));
    // END STEP
    loop {
        // STEP 2.4/12 threadpool_server.py:26 `conn, addr = sk.accept()`: 等待下一个客户端 / wait for the next client
        // hint: stop.accept(listener) 就是 TcpListener::accept，Ctrl-C 或 SIGTERM 停止服务器后返回 None：这时 break
        // hint: stop.accept(listener) is TcpListener::accept that gives None once Ctrl-C or SIGTERM stops the server: then break
        // gives: (conn, addr): (std::net::TcpStream, std::net::SocketAddr)
        let Some((conn, addr)) = stop.accept(listener) else {
            break;
        };
        // END STEP
        // Added: the connection counts as in flight until its job ends.
        let in_flight = stop.admit(opts.idle());
        let job_out = out.clone();
        // STEP 2.4/13 threadpool_server.py:27 `pool.submit(work, conn, addr)`: 把客户端交给线程池 / hand the client to the pool
        // hint: ThreadPool::execute(move || …)，任务和 multithread 的线程一样：logged(addr, handle_connection(…))
        // hint: ThreadPool::execute(move || …), with the same job as multithread's thread: logged(addr, handle_connection(…))
        pool.execute(move || {
            logged(
                addr,
                handle_connection(conn, addr, in_flight, pause, &job_out),
            )
        });
        // END STEP
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
