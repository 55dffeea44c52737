//! `multithread`: the thread-per-connection sign-in server and the sign-in
//! client of main lab 2.4 (1). `cargo run -p multithread -- --help`.

use clap::{Parser, Subcommand};
use common::addr::MULTITHREAD_PORT;
use common::cli::{Endpoint, ServerOpts, report, start_tcp};
use common::log::Output;
use multithread::{ClientArgs, WorkArgs};
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
        #[command(flatten)]
        at: Endpoint<MULTITHREAD_PORT>,
        #[command(flatten)]
        opts: ServerOpts,
        #[command(flatten)]
        work: WorkArgs,
    },
    /// multithread_client.py: N clients sign in at once (拔尖班{i}号签到)
    Client {
        #[command(flatten)]
        at: Endpoint<MULTITHREAD_PORT>,
        #[command(flatten)]
        args: ClientArgs,
    },
}

fn main() -> ExitCode {
    report(run(Cli::parse()))
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let out = Output::stdout();
    match cli.command {
        Command::Server { at, opts, work } => {
            let (listener, shutdown) = start_tcp(&at, &opts)?;
            multithread::run(&listener, &opts, work.work(), &shutdown, &out);
        }
        Command::Client { at, args } => args.run(at.resolve()?, &out)?,
    }
    Ok(())
}
