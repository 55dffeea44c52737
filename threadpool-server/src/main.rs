//! `threadpool-server`: the sign-in server on a thread pool, and the same
//! sign-in client as `multithread`, on port 9997 (main lab 2.4 (2)).
//! `cargo run -p threadpool-server -- --help`.

use clap::{Parser, Subcommand};
use common::addr::THREADPOOL_PORT;
use common::cli::{Endpoint, ServerOpts, report, start_tcp};
use common::log::Output;
use multithread::{ClientArgs, WorkArgs};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    version,
    about = "Thread-pool sign-in server and client (main lab 2.4 (2))"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// threadpool_server.py: the sign-in server on a fixed pool of workers
    Server {
        #[command(flatten)]
        at: Endpoint<THREADPOOL_PORT>,
        /// Worker threads in the pool (max_workers)
        #[arg(long, value_name = "N", default_value_t = threadpool_server::WORKERS)]
        workers: usize,
        #[command(flatten)]
        opts: ServerOpts,
        #[command(flatten)]
        work: WorkArgs,
    },
    /// The bare accept/read/answer/close loop the benchmark compares with (no output)
    #[command(hide = true)]
    ReferenceServer {
        #[command(flatten)]
        at: Endpoint<THREADPOOL_PORT>,
        #[command(flatten)]
        opts: ServerOpts,
    },
    /// Benchmark of section 2.4 (3): thread per connection vs thread pool vs a bare loop
    Bench(threadpool_server::bench::BenchArgs),
    /// multithread_client.py on port 9997: N clients sign in at once
    Client {
        #[command(flatten)]
        at: Endpoint<THREADPOOL_PORT>,
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
        Command::Server {
            at,
            workers,
            opts,
            work,
        } => {
            let (listener, shutdown) = start_tcp(&at, &opts)?;
            threadpool_server::run(&listener, workers, &opts, work.work(), &shutdown, &out);
        }
        Command::Client { at, args } => args.run(at.resolve()?, &out)?,
        Command::ReferenceServer { at, opts } => {
            let (listener, shutdown) = start_tcp(&at, &opts)?;
            threadpool_server::run_reference(&listener, &shutdown);
        }
        Command::Bench(args) => threadpool_server::bench::run(&args, &out)?,
    }
    Ok(())
}
