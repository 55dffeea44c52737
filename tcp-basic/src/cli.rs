//! The `tcp-basic` command line: its subcommands and options (clap derive),
//! and what each one binds and calls ([`run`]). `src/main.rs` is one call
//! to `common::cli::main`.

// NOT IN HANDOUT: the seeds' programs, not the lab's exercises
use crate::echo::Seed;
// END NOT IN HANDOUT
use clap::Parser;
use common::addr::{CHAT_PORT, TCP_PORT};
use common::cli::{ClientOpts, ServerOpts, listen_and_stop};
use common::log::Output;

#[derive(Parser)]
#[command(
    version,
    // NOT IN HANDOUT: the seeds' programs, not the lab's exercises
    about = "TCP exercises of the socket lab: main lab 2.1, the echo programs of seeds 002-004, the chat of seed 001"
    // END NOT IN HANDOUT
    // HANDOUT ONLY: about = "TCP exercises of the socket lab: main lab 2.1"
)]
pub enum Command {
    /// tcp_server.py: answer every client once with 不要回答 and close
    Server {
        /// Port to listen on
        #[arg(long, default_value_t = TCP_PORT)]
        port: u16,
        #[command(flatten)]
        opts: ServerOpts,
    },
    /// tcp_client.py: send 请求占领地球 and print the reply
    Client {
        /// Port to connect to
        #[arg(long, default_value_t = TCP_PORT)]
        port: u16,
        #[command(flatten)]
        opts: ClientOpts,
    },
    // NOT IN HANDOUT: the seeds' programs, not the lab's exercises
    /// The echo servers of seeds 002-004: answer every message until the client leaves
    EchoServer {
        /// Which seed's server to be
        #[arg(long, value_enum, default_value_t = Seed::S002)]
        seed: Seed,
        /// Port to listen on [default: the seed's port]
        #[arg(long)]
        port: Option<u16>,
        #[command(flatten)]
        opts: ServerOpts,
    },
    /// The echo clients of seeds 002-004: send each line typed, print each reply
    EchoClient {
        /// Which seed's client to be
        #[arg(long, value_enum, default_value_t = Seed::S002)]
        seed: Seed,
        /// Port to connect to [default: the seed's port]
        #[arg(long)]
        port: Option<u16>,
        #[command(flatten)]
        opts: ClientOpts,
    },
    /// Seed 001's serverTCP: print and ACK every message; Ctrl-C closes every client
    ChatServer {
        /// Port to listen on
        #[arg(long, default_value_t = CHAT_PORT)]
        port: u16,
        #[command(flatten)]
        opts: ServerOpts,
    },
    /// Seed 001's serverClient: send each line, print a status line per ACK
    ChatClient {
        /// Port to connect to
        #[arg(long, default_value_t = CHAT_PORT)]
        port: u16,
        #[command(flatten)]
        opts: ClientOpts,
    },
    // END NOT IN HANDOUT
}

/// What each command binds and calls; each binary's `main` is
/// `common::cli::main(args, run)`.
pub fn run(command: Command, out: &Output) -> anyhow::Result<()> {
    match command {
        // NOT IN HANDOUT: the seeds' programs, not the lab's exercises
        Command::EchoServer { seed, port, opts } => {
            let (listener, stop) = listen_and_stop(port.unwrap_or(seed.port()), &opts)?;
            crate::echo::run(&listener, seed, &opts, &stop, out);
        }
        Command::EchoClient { seed, port, opts } => {
            let addr = opts.host.with_port(port.unwrap_or(seed.port()))?;
            let stdin = std::io::stdin().lock();
            crate::echo::client(addr, seed, stdin, opts.timeout, out)?;
        }
        Command::ChatServer { port, opts } => {
            let (listener, stop) = listen_and_stop(port, &opts)?;
            crate::chat::run(&listener, &opts, &stop, out);
        }
        Command::ChatClient { port, opts } => {
            let addr = opts.host.with_port(port)?;
            let stdin = std::io::BufReader::new(std::io::stdin());
            crate::chat::client(addr, stdin, opts.timeout, out)?;
        }
        // END NOT IN HANDOUT
        Command::Server { port, opts } => {
            let (listener, stop) = listen_and_stop(port, &opts)?;
            crate::server::run(&listener, &opts, &stop, out);
        }
        Command::Client { port, opts } => {
            let addr = opts.host.with_port(port)?;
            crate::client::run(addr, opts.timeout, out)?;
        }
    }
    Ok(())
}
