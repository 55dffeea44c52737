//! Starting a detached OS thread cheaply: the thread of "one thread per
//! connection" (main lab 2.4 (1), `threading.Thread(target=work).start()`).
//!
//! Why not `std::thread::spawn`: on Linux it makes eight system calls per
//! thread on top of `pthread_create`. The new thread maps, guards and
//! installs a signal stack, and looks up its own guard page
//! (`sched_getaffinity`, `gettid`), so that a stack overflow prints a
//! message. When it ends, it takes the signal stack down again. Unmapping
//! memory in a process whose other threads run on other cores means
//! interrupting those cores to flush their TLBs. On this lab's 2-core VM
//! that doubled the server's CPU time per connection (about 85 µs against
//! 45 µs; BENCHMARKS.md). A server that starts a thread for every
//! connection pays it thousands of times a second.
//!
//! So a connection thread is a plain `pthread_create`, detached, as
//! CPython's `threading` starts its threads. What is given up is the
//! message: a stack overflow on such a thread still hits the guard page
//! and ends the process, with a plain `SIGSEGV`. The handlers keep large
//! buffers on the heap and do not recurse deeply (serde_json caps nesting at
//! 128), far inside [`crate::server::CONNECTION_STACK`].
//!
//! A panic never crosses into C: the job runs under `catch_unwind`.
//! Thread-locals with destructors work as usual (glibc runs them at thread
//! exit), and so does `std::thread::current()`.

use std::io;

/// Runs `job` on a new detached thread with a `stack`-byte stack. The
/// thread ends when `job` returns; nobody joins it. If the system refuses
/// the thread (`EAGAIN`: too many threads, or no memory), `job` is dropped
/// unrun and the error returned.
#[cfg(unix)]
pub fn spawn<F: FnOnce() + Send + 'static>(stack: usize, job: F) -> io::Result<()> {
    use std::ffi::c_void;

    /// The thread's entry point: takes back the job that `spawn` handed
    /// over, and runs it.
    extern "C" fn start<F: FnOnce()>(arg: *mut c_void) -> *mut c_void {
        // SAFETY: `arg` is the `Box<F>` that `spawn` leaked with
        // `Box::into_raw` and handed to this one thread; nothing else uses
        // it after a successful `pthread_create`.
        let job = unsafe { Box::from_raw(arg.cast::<F>()) };
        // Unwinding out of an `extern "C"` function would abort the
        // process; the panic is already reported by the panic hook.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
        std::ptr::null_mut()
    }

    let check = |rc: libc::c_int| match rc {
        0 => Ok(()),
        e => Err(io::Error::from_raw_os_error(e)),
    };
    let arg = Box::into_raw(Box::new(job)).cast::<c_void>();
    // SAFETY: `attr` is initialised by `pthread_attr_init` before any other
    // use and destroyed once, after `pthread_create` has read it.
    // `start::<F>` has the signature pthread expects, and `arg` is a valid
    // `Box<F>`: on success its ownership passes to the new thread; on
    // failure no thread exists, so it is taken back and dropped here.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        check(libc::pthread_attr_init(&mut attr))?;
        let created = check(libc::pthread_attr_setstacksize(&mut attr, stack))
            .and_then(|()| {
                check(libc::pthread_attr_setdetachstate(
                    &mut attr,
                    libc::PTHREAD_CREATE_DETACHED,
                ))
            })
            .and_then(|()| {
                let mut thread: libc::pthread_t = std::mem::zeroed();
                check(libc::pthread_create(&mut thread, &attr, start::<F>, arg))
            });
        libc::pthread_attr_destroy(&mut attr);
        if created.is_err() {
            drop(Box::from_raw(arg.cast::<F>()));
        }
        created
    }
}

/// Elsewhere, std's threads.
#[cfg(not(unix))]
pub fn spawn<F: FnOnce() + Send + 'static>(stack: usize, job: F) -> io::Result<()> {
    std::thread::Builder::new()
        .stack_size(stack)
        .spawn(job)
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::mpsc;
    use std::time::Duration;

    const STACK: usize = 256 * 1024;
    const WAIT: Duration = Duration::from_secs(10);

    #[test]
    fn runs_the_job_on_another_thread() {
        let (tx, rx) = mpsc::channel();
        let here = std::thread::current().id();
        spawn(STACK, move || tx.send(std::thread::current().id()).unwrap()).unwrap();
        let there = rx.recv_timeout(WAIT).unwrap();
        assert_ne!(here, there);
    }

    #[test]
    fn many_threads_each_run_once() {
        let (tx, rx) = mpsc::channel();
        for i in 0..200 {
            let tx = tx.clone();
            spawn(STACK, move || tx.send(i).unwrap()).unwrap();
        }
        drop(tx);
        let mut got: Vec<i32> = (0..200).map(|_| rx.recv_timeout(WAIT).unwrap()).collect();
        got.sort();
        assert_eq!(got, (0..200).collect::<Vec<_>>());
        // Every job, and with it every sender, is gone: the channel closes.
        assert!(rx.recv_timeout(WAIT).is_err());
    }

    #[test]
    fn a_panic_ends_only_its_thread() {
        let (tx, rx) = mpsc::channel::<()>();
        spawn(STACK, move || {
            let _tx = tx;
            panic!("boom (expected by the test)");
        })
        .unwrap();
        // The sender was dropped while unwinding, and this thread lives on.
        assert!(matches!(
            rx.recv_timeout(WAIT),
            Err(mpsc::RecvTimeoutError::Disconnected)
        ));
    }

    #[test]
    fn thread_locals_are_destroyed_at_exit() {
        struct Signal(mpsc::Sender<&'static str>);
        impl Drop for Signal {
            fn drop(&mut self) {
                let _ = self.0.send("destroyed");
            }
        }
        thread_local!(static SLOT: std::cell::RefCell<Option<Signal>> = const { std::cell::RefCell::new(None) });
        let (tx, rx) = mpsc::channel();
        spawn(STACK, move || {
            SLOT.with(|s| *s.borrow_mut() = Some(Signal(tx)))
        })
        .unwrap();
        assert_eq!(rx.recv_timeout(WAIT).unwrap(), "destroyed");
    }

    #[cfg(unix)]
    #[test]
    fn a_refused_thread_drops_its_job_unrun() {
        use std::sync::atomic::{AtomicBool, Ordering};
        let ran = Arc::new(AtomicBool::new(false));
        let flag = ran.clone();
        // No system gives a thread a stack of 2^62 bytes.
        let err = spawn(1 << 62, move || flag.store(true, Ordering::SeqCst)).unwrap_err();
        assert!(err.raw_os_error().is_some(), "{err}");
        assert!(!ran.load(Ordering::SeqCst));
        assert_eq!(
            Arc::strong_count(&ran),
            1,
            "the job was dropped, not leaked"
        );
    }
}
