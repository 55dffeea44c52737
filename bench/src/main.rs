//! `bench`: the benchmarks behind BENCHMARKS.md. `bash .ci/bench` runs them
//! all; `cargo run --release -p bench -- --help` lists them.

use clap::{Args, Parser, Subcommand};
use common::cli::{ServerOpts, listen_and_stop, report};
use common::log::Output;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    version,
    about = "The benchmarks behind BENCHMARKS.md (loopback only; every load bounded)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// File transfer: md5 upload against md5sum and the md-5 crate, --legacy against nc, Rust against the Python originals
    File(bench::file::FileArgs),
    /// Section 2.4 (3): thread per connection against a thread pool against a bare loop (and the Python originals)
    Signin(bench::signin::SigninArgs),
    /// The lab's claims measured here (UDP vs TCP, loss, 粘包, datagrams, pool vs threads vs events), each with a verdict
    Claims(bench::claims::ClaimsArgs),
    /// The bare accept/read/answer/close loop the sign-in bench compares with (no output)
    #[command(hide = true)]
    ReferenceServer(Served),
    /// One rate of `bench claims lossy-link`, run inside a fresh network
    /// namespace: prints one line of JSON
    #[command(hide = true)]
    LossyWorker {
        /// Percent of packets the loopback drops
        #[arg(long)]
        rate: u32,
        /// Bytes of the file moved
        #[arg(long)]
        size: usize,
        /// How long the TCP upload may take
        #[arg(long, value_name = "SECS", value_parser = common::cli::parse_secs)]
        patience: std::time::Duration,
    },
    /// `bench claims datagrams`' link of MTU 1500, run inside a fresh
    /// network namespace: prints one line of JSON
    #[command(hide = true)]
    MtuWorker,
    /// `bench claims listen-backlog`'s half-open queue, run inside a fresh
    /// network namespace: prints one line of JSON
    #[command(hide = true)]
    HalfOpenWorker {
        /// Whether the namespace answers a full queue with syncookies
        #[arg(long, action = clap::ArgAction::Set)]
        cookies: bool,
        /// How many clients connect at once
        #[arg(long, default_value_t = 12)]
        tried: usize,
        /// How long each client's connect may take, in ms
        #[arg(long, default_value_t = 2500)]
        timeout_ms: u64,
    },
    /// One of the three sign-in servers, as `bench claims models` runs it:
    /// a process of its own, measured from outside (no output)
    #[command(hide = true)]
    ModelServer {
        /// Which server
        #[arg(long, value_enum)]
        model: bench::claims::ModelName,
        /// The pool's size (`--model pool`)
        #[arg(long, default_value_t = threadpool_server::WORKERS)]
        workers: usize,
        /// Each sign-in waits this long first, as a handler blocked on I/O
        #[arg(long, default_value_t = 0)]
        work_ms: u64,
        #[command(flatten)]
        served: Served,
    },
}

/// Where a hidden server the benchmarks start listens, and how it stops.
#[derive(Args)]
struct Served {
    /// Port to listen on
    #[arg(long, default_value_t = 9997)]
    port: u16,
    #[command(flatten)]
    opts: ServerOpts,
}

impl Served {
    /// Binds the server's port and installs its stop handle.
    fn listen(&self) -> anyhow::Result<(std::net::TcpListener, common::stop::Stop)> {
        listen_and_stop(self.port, &self.opts)
    }
}

fn main() -> ExitCode {
    report(run(Cli::parse()))
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let out = Output::stdout();
    match cli.command {
        Command::File(args) => bench::file::run(&args, &out)?,
        Command::Claims(args) => {
            bench::claims::run(&args, &out)?;
        }
        Command::Signin(args) => {
            bench::install_handler();
            bench::signin::run(&args, &out)?
        }
        Command::ReferenceServer(served) => {
            let (listener, stop) = served.listen()?;
            bench::reference::run(&listener, &stop);
        }
        Command::LossyWorker {
            rate,
            size,
            patience,
        } => {
            out.line(bench::claims::lossy_worker(rate, size, patience)?);
        }
        Command::MtuWorker => out.line(bench::claims::mtu_worker()?),
        Command::HalfOpenWorker {
            cookies,
            tried,
            timeout_ms,
        } => out.line(bench::claims::half_open_worker(
            cookies,
            tried,
            std::time::Duration::from_millis(timeout_ms),
        )?),
        Command::ModelServer {
            model,
            workers,
            work_ms,
            served,
        } => {
            let (listener, stop) = served.listen()?;
            let pause = std::time::Duration::from_millis(work_ms);
            bench::claims::run_model(model, workers, pause, &listener, &served.opts, &stop);
        }
    }
    Ok(())
}
