//! TCP exercises: main lab 2.1 (`tcp_server.py` in [`server`],
//! `tcp_client.py` in [`client`]), the echo programs of seeds 002–004
//! ([`echo`]) and the chat with ACKs of seed 001 ([`chat`]).
//!
//! Run both ends: `cargo run -p tcp-basic -- server` and, in a second
//! terminal, `cargo run -p tcp-basic -- client` (or `python3 tcp_client.py`).

// HANDOUT ONLY: #![allow(unused, unreachable_code)] // the stubs leave names unused: remove this line once every step is written
// NOT IN HANDOUT: the seeds' programs, not the lab's exercises
pub mod chat;
// END NOT IN HANDOUT
pub mod cli;
pub mod client;
// NOT IN HANDOUT: the seeds' programs, not the lab's exercises
pub mod echo;
// END NOT IN HANDOUT
pub mod server;
