//! Main lab 2.4 (1): the sign-in server with one thread per connection
//! (`multithread_server.py` in [`server`]) and the client that starts 20
//! sign-ins at once (`multithread_client.py` in [`client`]). The thread-pool
//! server of 2.4 (2) reuses the handler and the client from here.
//!
//! Run both ends: `cargo run -p multithread -- server` and, in a second
//! terminal, `cargo run -p multithread -- client`.

// HANDOUT ONLY: #![allow(unused, unreachable_code)] // the stubs leave names unused: remove this line once every step is written
pub mod cli;
pub mod client;
pub mod server;

use std::time::Duration;

/// The `--work-ms` of both sign-in servers.
#[derive(clap::Args, Debug, Clone)]
pub struct WorkArgs {
    /// Sleep this long in each handler before answering, standing in for real work (section 2.4 (3))
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub work_ms: u64,
}

impl WorkArgs {
    pub fn pause(&self) -> Duration {
        Duration::from_millis(self.work_ms)
    }
}

/// `--clients` and `--timeout` of the sign-in client, shared by the
/// multithread and threadpool-server binaries.
#[derive(clap::Args, Debug, Clone)]
pub struct ClientArgs {
    /// How many clients sign in at once, one thread each
    #[arg(long, value_name = "N", default_value_t = client::CLIENTS)]
    pub clients: usize,
    #[command(flatten)]
    pub opts: common::cli::ClientOpts,
}

impl ClientArgs {
    /// Runs the sign-in client and fails if any client failed.
    pub fn run(
        &self,
        addr: std::net::SocketAddr,
        out: &common::log::Output,
    ) -> Result<(), SignInFailed> {
        match client::run(addr, self.clients, self.opts.timeout, out) {
            0 => Ok(()),
            failed => Err(SignInFailed {
                failed,
                clients: self.clients,
            }),
        }
    }
}

/// Some of the sign-in client's clients failed (each said why on stderr).
#[derive(Debug, thiserror::Error)]
#[error("{failed} of {clients} clients failed to sign in")]
pub struct SignInFailed {
    pub failed: usize,
    pub clients: usize,
}
