//! UDP exercises: the datagram sender and printer of main lab 2.2
//! (`udp_client.py`, `udp_server.py`) and the UDP echo servers of seeds 001,
//! 002 and 004.
//!
//! Run both ends: `cargo run -p udp-basic -- server` and, in a second
//! terminal, `cargo run -p udp-basic -- client` (or `python3 udp_client.py`).

pub mod basic;
pub mod echo;

/// The largest UDP payload over IPv4 (65 535 − 8 UDP − 20 IP bytes). The
/// originals read with `recv(1024)`, which silently cuts longer datagrams;
/// the port reads every datagram whole.
pub const MAX_DATAGRAM: usize = 65_507;
