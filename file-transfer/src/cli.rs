//! The `file-transfer` command line: its subcommands and options (clap derive),
//! and what each one binds and calls ([`run`]). `src/main.rs` is one call
//! to `common::cli::main`.

use crate::{client, server, store};
use anyhow::Context;
use clap::Parser;
use common::addr::FILE_PORT;
use common::cli::{ClientOpts, ServerOpts, listen_and_stop};
use common::log::Output;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    version,
    // NOT IN HANDOUT: the downloads of seed 003, not the lab's exercises
    about = "File upload and download with an md5-checked framed header (main lab 2.5, seeds 002, 003)"
    // END NOT IN HANDOUT
    // HANDOUT ONLY: about = "File upload with an md5-checked framed header (main lab 2.5, seed 002)"
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
    // NOT IN HANDOUT: the downloads of seed 003, not the lab's exercises
    /// Seed 003 五's download server.py: send the named file from --dir, raw, to one client
    DownloadServer {
        /// Port to listen on
        #[arg(long, default_value_t = crate::download::PORT)]
        port: u16,
        /// Folder to serve from
        #[arg(long, default_value = ".")]
        dir: PathBuf,
        #[command(flatten)]
        opts: ServerOpts,
    },
    // END NOT IN HANDOUT
    /// file_client.py: upload FILE (or prompt `path: `), or download with --get
    Client {
        /// The file to upload; without it, prompt for a path as the original does
        // NOT IN HANDOUT: the downloads of seed 003, not the lab's exercises
        #[arg(conflicts_with = "get")]
        // END NOT IN HANDOUT
        path: Option<PathBuf>,
        /// Speak only the original `name|size` header (no md5), as file_client.py does
        // NOT IN HANDOUT: the downloads of seed 003, not the lab's exercises
        #[arg(long, conflicts_with = "get")]
        // END NOT IN HANDOUT
        // HANDOUT ONLY: #[arg(long)]
        legacy: bool,
        /// Port to connect to [default: 9996; 8081 with --seed 003]
        #[arg(long)]
        port: Option<u16>,
        #[command(flatten)]
        opts: ClientOpts,
        // NOT IN HANDOUT: the downloads of seed 003, not the lab's exercises
        #[command(flatten)]
        download: DownloadArgs,
        // END NOT IN HANDOUT
    },
}

/// What each command binds and calls; each binary's `main` is
/// `common::cli::main(args, run)`.
pub fn run(command: Command, out: &Output) -> anyhow::Result<()> {
    match command {
        // NOT IN HANDOUT: the downloads of seed 003, not the lab's exercises
        Command::DownloadServer { port, dir, opts } => {
            let (listener, stop) = listen_and_stop(port, &opts)?;
            crate::download::serve(&listener, &dir, opts.idle(), &stop, out);
        }
        // END NOT IN HANDOUT
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
        Command::Client {
            path,
            legacy,
            port,
            opts,
            // NOT IN HANDOUT: the downloads of seed 003, not the lab's exercises
            download,
            // END NOT IN HANDOUT
        } => {
            // NOT IN HANDOUT: the downloads of seed 003, not the lab's exercises
            if download.wanted() {
                return download.run(port, &opts, out);
            }
            // END NOT IN HANDOUT
            let cfg = client::Config {
                server: opts.host.with_port(port.unwrap_or(FILE_PORT))?,
                legacy,
                timeout: opts.timeout,
            };
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

// NOT IN HANDOUT: the downloads of seed 003, not the lab's exercises
/// The client's downloads: the framed one (`--get`) and seed 003's raw one
/// (`--seed 003`).
#[derive(clap::Args)]
pub struct DownloadArgs {
    /// Download this file from the server's folder instead
    #[arg(long, value_name = "NAME", conflicts_with_all = ["path", "legacy"])]
    get: Option<String>,
    /// Speak seed 003 五's raw download (name, then the bytes) instead; asks for the name without --get
    #[arg(long, value_enum, conflicts_with_all = ["path", "legacy", "out", "overwrite"])]
    seed: Option<crate::download::Seed>,
    /// Where to save a download: a file name, or a folder to keep NAME in [default: 新NAME]
    #[arg(long, value_name = "PATH", requires = "get")]
    out: Option<PathBuf>,
    /// Replace an existing download target instead of keeping both
    #[arg(long, requires = "get")]
    overwrite: bool,
}

impl DownloadArgs {
    /// True when a download, not an upload, was asked for.
    fn wanted(&self) -> bool {
        self.get.is_some() || self.seed.is_some()
    }

    fn run(self, port: Option<u16>, opts: &ClientOpts, out: &Output) -> anyhow::Result<()> {
        if self.seed.is_some() {
            let addr = opts.host.with_port(port.unwrap_or(crate::download::PORT))?;
            let stdin = std::io::stdin().lock();
            crate::download::fetch(addr, self.get.as_deref(), stdin, opts.timeout, out)?;
            return Ok(());
        }
        let cfg = client::Config {
            server: opts.host.with_port(port.unwrap_or(FILE_PORT))?,
            legacy: false,
            timeout: opts.timeout,
        };
        let name = self.get.unwrap_or_default();
        client::download(&cfg, &name, self.out.as_deref(), self.overwrite, out)?;
        Ok(())
    }
}
// END NOT IN HANDOUT
