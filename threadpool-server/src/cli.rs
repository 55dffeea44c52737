//! The `threadpool-server` command line: its subcommands and options (clap derive),
//! and what each one binds and calls ([`run`]). `src/main.rs` is one call
//! to `common::cli::main`.

use clap::Parser;
use common::addr::THREADPOOL_PORT;
use common::cli::{ServerOpts, listen_and_stop};
use common::log::Output;
use multithread::{ClientArgs, WorkArgs};

#[derive(Parser)]
#[command(
    version,
    // NOT IN HANDOUT: the event-driven server is not one of the lab's exercises
    about = "Thread-pool sign-in server and client (main lab 2.4 (2)), and the same server event-driven"
    // END NOT IN HANDOUT
    // HANDOUT ONLY: about = "Thread-pool sign-in server and client (main lab 2.4 (2))"
)]
pub enum Command {
    /// threadpool_server.py: the sign-in server on a fixed pool of workers
    Server {
        /// Port to listen on
        #[arg(long, default_value_t = THREADPOOL_PORT)]
        port: u16,
        /// Worker threads in the pool (max_workers)
        #[arg(long, value_name = "N", default_value_t = crate::WORKERS)]
        workers: usize,
        #[command(flatten)]
        opts: ServerOpts,
        #[command(flatten)]
        work: WorkArgs,
    },
    // NOT IN HANDOUT: the event-driven server is not one of the lab's exercises
    /// The same sign-in server, event-driven: one thread, a task per connection (tokio)
    EventServer {
        /// Port to listen on
        #[arg(long, default_value_t = THREADPOOL_PORT)]
        port: u16,
        #[command(flatten)]
        opts: ServerOpts,
        #[command(flatten)]
        work: WorkArgs,
    },
    // END NOT IN HANDOUT
    /// multithread_client.py on port 9997: N clients sign in at once
    Client {
        /// Port to connect to
        #[arg(long, default_value_t = THREADPOOL_PORT)]
        port: u16,
        #[command(flatten)]
        args: ClientArgs,
    },
}

/// What each command binds and calls; each binary's `main` is
/// `common::cli::main(args, run)`.
pub fn run(command: Command, out: &Output) -> anyhow::Result<()> {
    match command {
        // NOT IN HANDOUT: the event-driven server is not one of the lab's exercises
        Command::EventServer { port, opts, work } => {
            let (listener, stop) = listen_and_stop(port, &opts)?;
            crate::event::run(&listener, &opts, work.pause(), &stop, out)?;
        }
        // END NOT IN HANDOUT
        Command::Server {
            port,
            workers,
            opts,
            work,
        } => {
            let (listener, stop) = listen_and_stop(port, &opts)?;
            crate::run(&listener, workers, &opts, work.pause(), &stop, out);
        }
        Command::Client { port, args } => args.run(args.opts.host.with_port(port)?, out)?,
    }
    Ok(())
}
