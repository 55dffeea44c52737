//! `file-transfer`: the file server and client of main lab 2.5, with the
//! download of seed 003. `cargo run -p file-transfer -- --help`.

use anyhow::Context;
use clap::{Parser, Subcommand};
use common::addr::FILE_PORT;
use common::cli::{ClientOpts, Endpoint, ServerOpts, report, start_tcp};
use common::log::Output;
use file_transfer::{client, server};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    version,
    about = "File upload and download with an md5-checked framed header (main lab 2.5, seeds 002, 003)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// file_server.py: save uploads into --dir, serve downloads from it
    Server {
        #[command(flatten)]
        at: Endpoint<FILE_PORT>,
        /// Folder to save into and serve from (created if missing)
        #[arg(long, default_value = "file_save")]
        dir: PathBuf,
        /// Refuse files larger than this many bytes, before they are sent
        #[arg(long, value_name = "BYTES")]
        max_size: Option<u64>,
        /// Replace an existing file instead of keeping both as `name (1).ext`
        #[arg(long)]
        overwrite: bool,
        /// Flush every file to disk before giving it its final name
        #[arg(long)]
        sync: bool,
        #[command(flatten)]
        opts: ServerOpts,
    },
    /// file_client.py: upload FILE (or prompt `path: `), or download with --get
    Client {
        /// The file to upload; without it, prompt for a path as the original does
        #[arg(conflicts_with = "get")]
        path: Option<PathBuf>,
        /// Download this file from the server's folder instead
        #[arg(long, value_name = "NAME")]
        get: Option<String>,
        /// Where to save a download [default: 新NAME]
        #[arg(long, value_name = "PATH", requires = "get")]
        out: Option<PathBuf>,
        /// Replace an existing download target instead of keeping both
        #[arg(long, requires = "get")]
        overwrite: bool,
        /// Speak the original `name|size` header (no md5), for file_server.py
        #[arg(long, conflicts_with = "get")]
        legacy: bool,
        #[command(flatten)]
        at: Endpoint<FILE_PORT>,
        #[command(flatten)]
        opts: ClientOpts,
    },
    /// Measure upload speed against md5sum, a bare socket and (with --python) the originals
    Bench(file_transfer::bench::BenchArgs),
}

fn main() -> ExitCode {
    report(run(Cli::parse()))
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let out = Output::stdout();
    match cli.command {
        Command::Server {
            at,
            dir,
            max_size,
            overwrite,
            sync,
            opts,
        } => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let (listener, shutdown) = start_tcp(&at, &opts)?;
            let cfg = server::Config {
                dir,
                max_size,
                overwrite,
                sync,
            };
            server::run(&listener, &cfg, &opts, &shutdown, &out);
        }
        Command::Client {
            path,
            get,
            out: target,
            overwrite,
            legacy,
            at,
            opts,
        } => {
            let cfg = client::Config {
                server: at.resolve()?,
                legacy,
                timeout: opts.timeout(),
            };
            let result = match (get, path) {
                (Some(name), _) => {
                    client::download(&cfg, &name, target.as_deref(), overwrite, &out).map(drop)
                }
                (None, Some(path)) => client::upload(&cfg, &path, &out),
                (None, None) => client::interactive(&cfg, std::io::stdin().lock(), &out).map(drop),
            };
            // The original says goodbye however the upload went.
            out.line("客户端已退出");
            result?;
        }
        Command::Bench(args) => file_transfer::bench::run(&args, &out)?,
    }
    Ok(())
}
