//! UDP exercises: main lab 2.2 (`udp_server.py` in [`server`],
//! `udp_client.py` in [`client`]) and the UDP echo programs of seeds 001,
//! 002 and 004 ([`echo`]).
//!
//! Run both ends: `cargo run -p udp-basic -- server` and, in a second
//! terminal, `cargo run -p udp-basic -- client` (or `python3 udp_client.py`).

pub mod cli;
pub mod client;
pub mod echo;
pub mod server;
