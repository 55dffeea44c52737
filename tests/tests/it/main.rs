//! The integration tests of socket-lab, one module per area (as ripgrep
//! keeps them): each exercise end to end on 127.0.0.1:0, interop with the
//! Python originals in both directions, transcripts, and the binaries as a
//! user runs them.
//!
//! `cargo test --workspace` runs them. The tests against the lab's Python
//! need Python 3 and the lab's scripts beside the workspace
//! (`../shared/originals`, `../shared/peers`, or `PY_ORIGINALS` and
//! `SOCKET_LAB_PEERS`); where those are missing, `cargo test` lists them as
//! ignored, with the reason.

mod binaries;
mod claims;
mod file;
mod grade;
mod handout;
mod interop;
mod robust;
mod seeds;
mod signin;
mod tables;
mod tcp;
mod transcript;
mod udp;
mod util;
