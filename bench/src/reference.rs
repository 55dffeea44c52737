//! The bare reference loop of `bench signin`: one thread, accept → one
//! read → answer → close, no printing, no timeouts, no stop check beyond
//! the accept. What the machine can do at best, to compare the sign-in
//! servers with. Not a lab exercise.

use common::stop::Stop;
use std::io::{Read, Write};
use std::net::TcpListener;

pub fn run(listener: &TcpListener, stop: &Stop) {
    let mut buf = [0u8; multithread::server::RECV_SIZE];
    while let Some((mut conn, _)) = stop.accept(listener) {
        if conn.read(&mut buf).is_ok() {
            let _ = conn.write_all(multithread::server::REPLY.as_bytes());
        }
    }
    stop.finish();
}
