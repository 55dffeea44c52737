//! `udp-basic`: the UDP exercises of the lab, one subcommand per Python
//! program. `cargo run -p udp-basic -- --help` lists them.

use clap::{Parser, Subcommand};
use common::addr::UDP_PORT;
use common::cli::{Endpoint, report, start_udp};
use common::log::Output;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    version,
    about = "UDP exercises of the socket lab (main lab 2.2, seeds 001, 002, 004)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// udp_server.py: print every datagram
    Server {
        #[command(flatten)]
        at: Endpoint<UDP_PORT>,
    },
    /// udp_client.py: prompt 数据：, send each stripped line; `exit` or end of input quits
    Client {
        #[command(flatten)]
        at: Endpoint<UDP_PORT>,
    },
}

fn main() -> ExitCode {
    report(run(Cli::parse()))
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let out = Output::stdout();
    match cli.command {
        Command::Server { at } => {
            let (socket, shutdown) = start_udp(&at)?;
            udp_basic::basic::run(&socket, &shutdown, &out);
        }
        Command::Client { at } => {
            udp_basic::basic::client(at.resolve()?, std::io::stdin().lock(), &out)?;
        }
    }
    Ok(())
}
