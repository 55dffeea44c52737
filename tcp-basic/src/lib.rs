//! TCP exercises: the one-shot request and reply of main lab 2.1
//! (`tcp_server.py`, `tcp_client.py`), the persistent echo of seeds 002–004,
//! and the chat with ACKs of seed 001.
//!
//! Run both ends: `cargo run -p tcp-basic -- server` and, in a second
//! terminal, `cargo run -p tcp-basic -- client` (or `python3 tcp_client.py`).

pub mod basic;
pub mod chat;
pub mod echo;
