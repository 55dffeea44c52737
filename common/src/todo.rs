//! The handout's stubs. In the students' handout (`grade handout DIR`),
//! each socket step not written yet is a call to [`step`], which compiles
//! where the step's code will stand and stops the program when reached,
//! saying which step it is and which Python line it ports. The model
//! answer never calls it.

/// A step not written yet: stops here, naming it (`not written yet: 2.1
/// step 5, as tcp_server.py line 25 does (…)`) and, through the panic's
/// location, its file and line.
#[track_caller]
pub fn step<T>(what: &str) -> T {
    panic!("not written yet: {what}")
}
