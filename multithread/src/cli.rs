//! The `multithread` command line: its subcommands and options (clap derive),
//! and what each one binds and calls ([`run`]). `src/main.rs` is one call
//! to `common::cli::main`.

use crate::{ClientArgs, WorkArgs};
use clap::Parser;
use common::addr::MULTITHREAD_PORT;
use common::cli::{ServerOpts, listen_and_stop};
use common::log::Output;

#[derive(Parser)]
#[command(
    version,
    about = "Thread-per-connection sign-in server and client (main lab 2.4 (1))"
)]
pub enum Command {
    /// multithread_server.py: one thread per connection, answers 你已签到
    Server {
        /// Port to listen on
        #[arg(long, default_value_t = MULTITHREAD_PORT)]
        port: u16,
        #[command(flatten)]
        opts: ServerOpts,
        #[command(flatten)]
        work: WorkArgs,
    },
    /// multithread_client.py: N clients sign in at once (拔尖班{i}号签到)
    Client {
        /// Port to connect to
        #[arg(long, default_value_t = MULTITHREAD_PORT)]
        port: u16,
        #[command(flatten)]
        args: ClientArgs,
    },
}

/// What each command binds and calls; each binary's `main` is
/// `common::cli::main(args, run)`.
pub fn run(command: Command, out: &Output) -> anyhow::Result<()> {
    match command {
        Command::Server { port, opts, work } => {
            let (listener, stop) = listen_and_stop(port, &opts)?;
            crate::server::run(&listener, &opts, work.pause(), &stop, out);
        }
        Command::Client { port, args } => args.run(args.opts.host.with_port(port)?, out)?,
    }
    Ok(())
}
