//! The `udp-basic` command line: its subcommands and options (clap derive),
//! and what each one binds and calls ([`run`]). `src/main.rs` is one call
//! to `common::cli::main`.

// NOT IN HANDOUT: the seeds' programs, not the lab's exercises
use crate::echo::Seed;
// END NOT IN HANDOUT
use anyhow::Context;
use clap::Parser;
use common::addr::UDP_PORT;
use common::cli::{ClientOpts, Host, stop_on_signals};
use common::log::Output;
use common::stop::Stop;
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

#[derive(Parser)]
#[command(
    version,
    // NOT IN HANDOUT: the seeds' programs, not the lab's exercises
    about = "UDP exercises of the socket lab (main lab 2.2, seeds 001, 002, 004)"
    // END NOT IN HANDOUT
    // HANDOUT ONLY: about = "UDP exercises of the socket lab (main lab 2.2)"
)]
pub enum Command {
    /// udp_server.py: print every datagram, cut to 1024 bytes as recv(1024) cuts it
    Server {
        /// Port to listen on
        #[arg(long, default_value_t = UDP_PORT)]
        port: u16,
        #[command(flatten)]
        host: Host,
        /// Bytes kept of each datagram, as recv(N)
        #[arg(long, value_name = "N", default_value_t = crate::server::RECV_SIZE as u16,
              value_parser = clap::value_parser!(u16).range(1..))]
        recv_size: u16,
    },
    /// udp_client.py: prompt 数据：, send each stripped line; `exit` or end of input quits
    Client {
        /// Port to send to
        #[arg(long, default_value_t = UDP_PORT)]
        port: u16,
        #[command(flatten)]
        host: Host,
    },
    // NOT IN HANDOUT: the seeds' programs, not the lab's exercises
    /// The UDP echo servers of seeds 001, 002 and 004: answer every datagram
    EchoServer {
        /// Which seed's server to be
        #[arg(long, value_enum, default_value_t = Seed::S001)]
        seed: Seed,
        /// Port to listen on [default: the seed's port]
        #[arg(long)]
        port: Option<u16>,
        #[command(flatten)]
        host: Host,
    },
    /// The UDP echo clients of seeds 001, 002 and 004: send each line, print the reply
    EchoClient {
        /// Which seed's client to be
        #[arg(long, value_enum, default_value_t = Seed::S001)]
        seed: Seed,
        /// Port to send to [default: the seed's port]
        #[arg(long)]
        port: Option<u16>,
        #[command(flatten)]
        opts: ClientOpts,
    },
    // END NOT IN HANDOUT
}

/// The server's socket ([`crate::server::bind`]) and the Ctrl-C / SIGTERM
/// handler. A UDP server has nothing in flight to wait for.
fn start(addr: SocketAddr) -> anyhow::Result<(UdpSocket, Stop)> {
    let sk = crate::server::bind(addr).with_context(|| format!("cannot bind UDP {addr}"))?;
    let stop = stop_on_signals(Duration::ZERO, &format!("{}/udp", sk.local_addr()?))?;
    Ok((sk, stop))
}

/// What each command binds and calls; each binary's `main` is
/// `common::cli::main(args, run)`.
pub fn run(command: Command, out: &Output) -> anyhow::Result<()> {
    match command {
        // NOT IN HANDOUT: the seeds' programs, not the lab's exercises
        Command::EchoServer { seed, port, host } => {
            let (sk, stop) = start(host.with_port(port.unwrap_or(seed.port()))?)?;
            crate::echo::run(sk, seed, &stop, out);
        }
        Command::EchoClient { seed, port, opts } => {
            let addr = opts.host.with_port(port.unwrap_or(seed.port()))?;
            let stdin = std::io::stdin().lock();
            crate::echo::client(addr, seed, stdin, opts.timeout, out)?;
        }
        // END NOT IN HANDOUT
        Command::Server {
            port,
            host,
            recv_size,
        } => {
            let (sk, stop) = start(host.with_port(port)?)?;
            crate::server::run(&sk, recv_size.into(), &stop, out);
        }
        Command::Client { port, host } => {
            crate::client::run(host.with_port(port)?, std::io::stdin().lock(), out)?;
        }
    }
    Ok(())
}
