//! The bare reference loop of `bench signin`: one thread, accept → one
//! read → answer → close, no printing, no timeouts, no stop check beyond
//! the accept. What the machine can do at best, to compare the sign-in
//! servers with. Not a lab exercise.

use common::server::{Shutdown, accept_failed};
use std::io::{Read, Write};
use std::net::TcpListener;

pub fn run(listener: &TcpListener, shutdown: &Shutdown) {
    if let Err(e) = shutdown.wake_on_stop(listener) {
        common::diag!("cannot arrange a clean stop: {e}");
    }
    let mut buf = [0u8; multithread::server::RECV_SIZE];
    while !shutdown.is_stopping() {
        let mut conn = match listener.accept() {
            Ok((conn, _)) => conn,
            Err(e) => {
                accept_failed(&e);
                continue;
            }
        };
        if conn.read(&mut buf).is_ok() {
            let _ = conn.write_all(multithread::server::REPLY.as_bytes());
        }
    }
    shutdown.announce("stopped");
}
