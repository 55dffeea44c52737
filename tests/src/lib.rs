//! What the tour, the integration tests, the grader and the benchmarks
//! share that is not part of any exercise: running the Python originals
//! beside the port ([`originals`]), and the grader's checks ([`grade`]),
//! which `cargo test` runs against the Rust port, the originals and
//! broken programs.

pub mod grade;
pub mod originals;
