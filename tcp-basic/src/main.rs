//! `tcp-basic`: the TCP exercises of the lab, one subcommand per Python
//! program. `cargo run -p tcp-basic -- --help` lists them.

use clap::{Parser, Subcommand};
use common::addr::{CHAT_PORT, ECHO_PORT, TCP_PORT};
use common::cli::{ClientOpts, Endpoint, ServerOpts, report, start_tcp};
use common::log::Output;
use std::process::ExitCode;
use tcp_basic::echo::Reply;

#[derive(Parser)]
#[command(
    version,
    about = "TCP exercises of the socket lab: main lab 2.1, the echo servers of seeds 002-004, the chat of seed 001"
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
    /// The persistent echo of seeds 002-004: answer every message until the client leaves
    EchoServer {
        #[command(flatten)]
        at: Endpoint<ECHO_PORT>,
        /// How to answer each message
        #[arg(long, value_enum, default_value_t = Reply::Upper)]
        reply: Reply,
        /// One thread per client (socketserver.ThreadingTCPServer) instead of one client at a time
        #[arg(long)]
        threaded: bool,
        #[command(flatten)]
        opts: ServerOpts,
    },
    /// The echo client of seeds 002-004: send each line, print the reply; `q` quits
    EchoClient {
        #[command(flatten)]
        at: Endpoint<ECHO_PORT>,
        #[command(flatten)]
        opts: ClientOpts,
    },
    /// Seed 001's chat server: print and ACK every message; Ctrl-C notifies every client
    ChatServer {
        #[command(flatten)]
        at: Endpoint<CHAT_PORT>,
        #[command(flatten)]
        opts: ServerOpts,
    },
    /// Seed 001's chat client: send each line, print each ACK, leave when the server does
    ChatClient {
        #[command(flatten)]
        at: Endpoint<CHAT_PORT>,
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
        Command::EchoServer {
            at,
            reply,
            threaded,
            opts,
        } => {
            let (listener, shutdown) = start_tcp(&at, &opts)?;
            tcp_basic::echo::run(&listener, reply, threaded, &opts, &shutdown, &out);
        }
        Command::EchoClient { at, opts } => {
            tcp_basic::echo::client(at.resolve()?, std::io::stdin().lock(), opts.timeout(), &out)?;
        }
        Command::ChatServer { at, opts } => {
            let (listener, shutdown) = start_tcp(&at, &opts)?;
            tcp_basic::chat::run(&listener, &opts, &shutdown, &out);
        }
        Command::ChatClient { at, opts } => {
            let stdin = std::io::BufReader::new(std::io::stdin());
            tcp_basic::chat::client(at.resolve()?, stdin, opts.timeout(), &out)?;
        }
    }
    Ok(())
}
