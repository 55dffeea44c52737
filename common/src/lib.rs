//! What the socket-lab exercises share: the originals' addresses and how
//! Python prints them, program output and diagnostics, and what a server
//! needs to stop cleanly.
//!
//! Nothing here is an exercise of its own. The exercises' socket calls go
//! through these helpers, in their Python scripts' order, each one helper
//! deep from the exercise file: `socket`/`bind`/`listen` through
//! [`net::listen`] (called from each exercise's `cli`), `accept` through
//! [`stop::Stop::accept`], `recv` and `sendall` through [`net::recv`] and
//! [`net::send_all`] (a file's bytes through [`net::send_file`]); each adds what the originals lack: the idle limit and
//! the clean stop ([`stop`]). Besides those, what the exercises share is
//! starting a connection's thread ([`server`]), output ([`log`]), the
//! command-line pieces ([`cli`]), `--trace` ([`trace`]), and seed 002's
//! framed header with its md5 ([`frame`]), which the file transfer speaks
//! and the bench measures.

pub mod addr;
pub mod cli;
pub mod frame;
pub mod log;
pub mod net;
pub mod server;
pub mod stop;
pub mod text;
pub mod todo;
pub mod trace;
