//! The `multithread` command line: its subcommands and options (clap derive),
//! and what each one binds and calls. `src/main.rs` is one call to
//! [`main`].

use crate::{ClientArgs, WorkArgs};
use clap::{Parser, Subcommand};
use common::addr::MULTITHREAD_PORT;
use common::cli::{Host, ServerOpts, listen_and_stop};
use common::log::Output;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    version,
    about = "Thread-per-connection sign-in server and client (main lab 2.4 (1))"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// multithread_server.py: one thread per connection, answers 你已签到
    Server {
        /// Port to listen on
        #[arg(long, default_value_t = MULTITHREAD_PORT)]
        port: u16,
        #[command(flatten)]
        host: Host,
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
            opts,
            work,
        } => {
            let (listener, stop) = listen_and_stop(host.with_port(port)?, &opts)?;
            crate::server::run(&listener, &opts, work.pause(), &stop, &out);
        }
        Command::Client { port, host, args } => args.run(host.with_port(port)?, &out)?,
    }
    Ok(())
}
