//! `tcp-basic`: the TCP exercises of the lab, one subcommand per Python
//! program. `cargo run -p tcp-basic -- --help` lists them.

use clap::{Parser, Subcommand};
use common::addr::TCP_PORT;
use common::cli::{ClientOpts, Endpoint, ServerOpts, report, start_tcp};
use common::log::Output;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    version,
    about = "TCP exercises of the socket lab (main lab 2.1, seeds 001-004)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// tcp_server.py: answer every client once with 不要回答 and close
    Server {
        #[command(flatten)]
        at: Endpoint<TCP_PORT>,
        #[command(flatten)]
        opts: ServerOpts,
    },
    /// tcp_client.py: send 请求占领地球 and print the reply
    Client {
        #[command(flatten)]
        at: Endpoint<TCP_PORT>,
        #[command(flatten)]
        opts: ClientOpts,
    },
}

fn main() -> ExitCode {
    report(run(Cli::parse()))
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let out = Output::stdout();
    match cli.command {
        Command::Server { at, opts } => {
            let (listener, shutdown) = start_tcp(&at, &opts)?;
            tcp_basic::basic::run(&listener, &opts, &shutdown, &out);
        }
        Command::Client { at, opts } => {
            tcp_basic::basic::client(at.resolve()?, opts.timeout(), &out)?;
        }
    }
    Ok(())
}
