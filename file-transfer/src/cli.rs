//! The `file-transfer` command line: its subcommands and options (clap derive),
//! and what each one binds and calls ([`run`]). `src/main.rs` is one call
//! to `common::cli::main`.

use crate::{client, download, server, store};
use anyhow::Context;
use clap::Parser;
use common::addr::FILE_PORT;
use common::cli::{ClientOpts, ServerOpts, listen_and_stop};
use common::log::Output;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    version,
    about = "File upload and download with an md5-checked framed header (main lab 2.5, seeds 002, 003)"
)]
pub enum Command {
    /// file_server.py: save uploads into --dir, serve downloads from it
    Server {
        /// Port to listen on
        #[arg(long, default_value_t = FILE_PORT)]
        port: u16,
        #[command(flatten)]
        cfg: server::Config,
        #[command(flatten)]
        opts: ServerOpts,
    },
    /// Seed 003 五's download server.py: send the named file from --dir, raw, to one client
    DownloadServer {
        /// Port to listen on
        #[arg(long, default_value_t = download::PORT)]
        port: u16,
        /// Folder to serve from
        #[arg(long, default_value = ".")]
        dir: PathBuf,
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
        /// Speak seed 003 五's raw download (name, then the bytes) instead; asks for the name without --get
        #[arg(long, value_enum, conflicts_with_all = ["path", "legacy", "out", "overwrite"])]
        seed: Option<download::Seed>,
        /// Where to save a download: a file name, or a folder to keep NAME in [default: 新NAME]
        #[arg(long, value_name = "PATH", requires = "get")]
        out: Option<PathBuf>,
        /// Replace an existing download target instead of keeping both
        #[arg(long, requires = "get")]
        overwrite: bool,
        /// Speak only the original `name|size` header (no md5), as file_client.py does
        #[arg(long, conflicts_with = "get")]
        legacy: bool,
        /// Port to connect to [default: 9996; 8081 with --seed 003]
        #[arg(long)]
        port: Option<u16>,
        #[command(flatten)]
        opts: ClientOpts,
    },
}

/// What each command binds and calls; each binary's `main` is
/// `common::cli::main(args, run)`.
pub fn run(command: Command, out: &Output) -> anyhow::Result<()> {
    match command {
        Command::Server { port, cfg, opts } => {
            let dir = &cfg.dir;
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            // A run that was killed outright could not delete its
            // temporary files; this one does.
            let removed = store::remove_leftovers(dir)
                .with_context(|| format!("cannot read {}", dir.display()))?;
            if !removed.is_empty() {
                common::diag!(
                    "removed {} unfinished upload(s) a previous run left in {}: {}",
                    removed.len(),
                    dir.display(),
                    removed.join(", ")
                );
            }
            let (listener, stop) = listen_and_stop(port, &opts)?;
            server::run(&listener, &cfg, &opts, &stop, out);
        }
        Command::DownloadServer { port, dir, opts } => {
            let (listener, stop) = listen_and_stop(port, &opts)?;
            download::serve(&listener, &dir, opts.idle(), &stop, out);
        }
        Command::Client {
            seed: Some(download::Seed::S003),
            get,
            port,
            opts,
            ..
        } => {
            let addr = opts.host.with_port(port.unwrap_or(download::PORT))?;
            let stdin = std::io::stdin().lock();
            download::fetch(addr, get.as_deref(), stdin, opts.timeout, out)?;
        }
        Command::Client {
            path,
            get,
            out: target,
            overwrite,
            legacy,
            port,
            opts,
            seed: None,
        } => {
            let cfg = client::Config {
                server: opts.host.with_port(port.unwrap_or(FILE_PORT))?,
                legacy,
                timeout: opts.timeout,
            };
            if let Some(name) = get {
                client::download(&cfg, &name, target.as_deref(), overwrite, out)?;
                return Ok(());
            }
            let result = match path {
                Some(path) => client::upload(&cfg, &path, out),
                None => client::interactive(&cfg, std::io::stdin().lock(), out).map(drop),
            };
            // The original says goodbye however the upload went.
            out.line("客户端已退出");
            result?;
        }
    }
    Ok(())
}
