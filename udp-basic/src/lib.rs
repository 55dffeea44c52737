//! UDP exercises: main lab 2.2 (`udp_server.py` in [`server`],
//! `udp_client.py` in [`client`]) and the UDP echo programs of seeds 001,
//! 002 and 004 ([`echo`]).
//!
//! Run both ends: `cargo run -p udp-basic -- server` and, in a second
//! terminal, `cargo run -p udp-basic -- client` (or `python3 udp_client.py`).

// HANDOUT ONLY: #![allow(unused, unreachable_code)] // the stubs leave names unused: remove this line once every step is written
pub mod cli;
pub mod client;
// NOT IN HANDOUT: the seeds' programs, not the lab's exercises
pub mod echo;
// END NOT IN HANDOUT
pub mod server;
