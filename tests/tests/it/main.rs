//! The integration tests of socket-lab, one module per area (as ripgrep
//! keeps them): each exercise end to end on 127.0.0.1:0, interop with the
//! Python originals in both directions, transcripts, and the binaries as a
//! user runs them.
//!
//! `cargo test --workspace` runs them; with `PY_ORIGINALS=../shared/originals`
//! the Python interop and transcript tests run too (otherwise they say that
//! they were skipped).

mod binaries;
mod file;
mod grade;
mod interop;
mod robust;
mod seeds;
mod signin;
mod tcp;
mod transcript;
mod udp;
mod util;
