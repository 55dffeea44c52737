//! What the tour, the integration tests and the benchmarks share that is
//! not part of any exercise: running the Python originals beside the port.

pub mod originals;
