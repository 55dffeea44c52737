//! The `threadpool-server` command line: its subcommands and options (clap derive),
//! and what each one binds and calls. `src/main.rs` is one call to
//! [`main`].

use clap::{Parser, Subcommand};
use common::addr::THREADPOOL_PORT;
use common::cli::{Host, ServerOpts, listen_and_stop};
use common::log::Output;
use multithread::{ClientArgs, WorkArgs};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    version,
    about = "Thread-pool sign-in server and client (main lab 2.4 (2)), and the same server event-driven"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// threadpool_server.py: the sign-in server on a fixed pool of workers
    Server {
        /// Port to listen on
        #[arg(long, default_value_t = THREADPOOL_PORT)]
        port: u16,
        #[command(flatten)]
        host: Host,
        /// Worker threads in the pool (max_workers)
        #[arg(long, value_name = "N", default_value_t = crate::WORKERS)]
        workers: usize,
        #[command(flatten)]
        opts: ServerOpts,
        #[command(flatten)]
        work: WorkArgs,
    },
    /// The same sign-in server, event-driven: one thread, a task per connection (tokio)
    EventServer {
        /// Port to listen on
        #[arg(long, default_value_t = THREADPOOL_PORT)]
        port: u16,
        #[command(flatten)]
        host: Host,
        #[command(flatten)]
        opts: ServerOpts,
        #[command(flatten)]
        work: WorkArgs,
    },
    /// multithread_client.py on port 9997: N clients sign in at once
    Client {
        /// Port to connect to
        #[arg(long, default_value_t = THREADPOOL_PORT)]
        port: u16,
        #[command(flatten)]
        host: Host,
        #[command(flatten)]
        args: ClientArgs,
    },
}

/// The binary's `main` ([`common::cli::main`] with this crate's commands).
pub fn main(args: impl IntoIterator<Item = std::ffi::OsString>) -> ExitCode {
    common::cli::main(args, run)
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let out = Output::stdout();
    match cli.command {
        Command::Server {
            port,
            host,
            workers,
            opts,
            work,
        } => {
            let (listener, stop) = listen_and_stop(host.with_port(port)?, &opts)?;
            crate::run(&listener, workers, &opts, work.pause(), &stop, &out);
        }
        Command::EventServer {
            port,
            host,
            opts,
            work,
        } => {
            let (listener, stop) = listen_and_stop(host.with_port(port)?, &opts)?;
            crate::event::run(&listener, &opts, work.pause(), &stop, &out)?;
        }
        Command::Client { port, host, args } => args.run(host.with_port(port)?, &out)?,
    }
    Ok(())
}
