//! What the socket-lab exercises share: the originals' addresses and how
//! Python prints them, the framed header (seed 002 §3.2), program output and
//! diagnostics, and what a server needs to stop cleanly.
//!
//! Nothing here is an exercise of its own, and nothing here makes an
//! exercise's socket calls for it: each exercise file calls `bind`,
//! `listen`, `accept`, `recv` and `sendall` itself, in its Python script's
//! order. What they share is the port's additions: the idle limit and the
//! clean stop ([`server`], [`net`]), the framing ([`frame`]) and output
//! ([`log`]).

pub mod addr;
pub mod cli;
pub mod digest;
pub mod frame;
pub mod log;
pub mod net;
pub mod server;
pub mod text;
