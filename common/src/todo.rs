//! The handout's stubs. In the students' handout (`grade handout DIR`),
//! each socket step not written yet is a call to [`step`], which compiles
//! where the step's code will stand and stops the program when reached,
//! saying which step it is and which Python line it ports. The model
//! answer never calls it.

/// How the message of a step not written yet starts, Chinese first, as
/// all the handout's student-facing text.
pub const NOT_WRITTEN: &str = "还没写 / not written yet: ";

/// A step not written yet: stops here, naming it (`还没写 / not written
/// yet: 2.1 第 2 步 / step 2, tcp_server.py:25 (…)`) and, through the
/// panic's location, its file and line.
#[track_caller]
pub fn step<T>(what: &str) -> T {
    panic!("{NOT_WRITTEN}{what}")
}
