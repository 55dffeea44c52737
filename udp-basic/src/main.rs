//! `udp-basic`: the UDP exercises of the lab, one subcommand per Python
//! program. `cargo run -p udp-basic -- --help` lists them.

use clap::{Parser, Subcommand};
use common::addr::{UDP_ECHO_PORT, UDP_PORT};
use common::cli::{Endpoint, parse_secs, report, start_udp};
use common::log::Output;
use std::process::ExitCode;
use std::time::Duration;
use udp_basic::echo::Reply;

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
    /// The UDP echo servers of seeds 001, 002 and 004: answer every datagram
    EchoServer {
        #[command(flatten)]
        at: Endpoint<UDP_ECHO_PORT>,
        /// How to answer each datagram
        #[arg(long, value_enum, default_value_t = Reply::Check)]
        reply: Reply,
        /// One thread per datagram (socketserver.ThreadingUDPServer)
        #[arg(long)]
        threaded: bool,
    },
    /// Seed 001's clientUDP: send each line, print the reply; `q` or end of input quits
    EchoClient {
        #[command(flatten)]
        at: Endpoint<UDP_ECHO_PORT>,
        /// Give up waiting for a reply after this long (0 waits forever)
        #[arg(long, value_name = "SECS", default_value = "30", value_parser = parse_secs)]
        timeout: Duration,
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
        Command::EchoServer {
            at,
            reply,
            threaded,
        } => {
            let (socket, shutdown) = start_udp(&at)?;
            udp_basic::echo::run(socket, reply, threaded, &shutdown, &out);
        }
        Command::EchoClient { at, timeout } => {
            udp_basic::echo::client(at.resolve()?, std::io::stdin().lock(), timeout, &out)?;
        }
    }
    Ok(())
}
