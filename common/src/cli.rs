//! Command-line pieces every exercise shares (clap derive), and the one place
//! a binary reports its error.
//!
//! `--port` is declared by each subcommand itself, with its original's port
//! as the default (`#[arg(long, default_value_t = TCP_PORT)] port: u16`):
//! the rest is shared here.

use clap::Args;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

/// `--host`: where to listen or connect; and `--trace`, which every
/// program takes with it.
#[derive(Args, Debug, Clone)]
pub struct Host {
    /// Address to listen on or connect to: IPv4, IPv6 (such as ::1) or a name
    #[arg(long, value_name = "HOST", default_value = crate::addr::DEFAULT_HOST)]
    pub host: String,
    /// Print each socket call (accept, recv, send, …) with its bytes on stderr
    #[arg(long)]
    pub trace: bool,
}

impl Host {
    /// The address `--host` and `port` name together.
    pub fn with_port(&self, port: u16) -> std::io::Result<SocketAddr> {
        crate::net::resolve(&self.host, port)
    }
}

/// `--grace` when none is given, in seconds.
pub const GRACE_DEFAULT: &str = "3";

/// The options every TCP server takes, `--host` with them.
#[derive(Args, Debug, Clone)]
pub struct ServerOpts {
    #[command(flatten)]
    pub host: Host,
    /// Accept queue length, as listen(N); the originals use 5
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub backlog: i32,
    /// Drop a client that sends nothing for this long (0 waits forever)
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = parse_secs)]
    pub idle_timeout: Duration,
    /// On Ctrl-C or SIGTERM, let connections in flight finish for this long
    #[arg(long, value_name = "SECS", default_value = GRACE_DEFAULT, value_parser = parse_secs)]
    pub grace: Duration,
}

impl ServerOpts {
    /// The idle limit (`None` for 0: wait forever).
    pub fn idle(&self) -> Option<Duration> {
        (!self.idle_timeout.is_zero()).then_some(self.idle_timeout)
    }

    /// Options for a server that tests or the tour run in process.
    pub fn for_tests(idle: Duration) -> Self {
        ServerOpts {
            host: Host {
                host: "127.0.0.1".into(),
                trace: false,
            },
            backlog: 128,
            idle_timeout: idle,
            grace: Duration::from_secs(1),
        }
    }
}

/// `--host` and `--timeout` of a client: where, and how long connecting or
/// waiting for a reply may take.
#[derive(Args, Debug, Clone)]
pub struct ClientOpts {
    #[command(flatten)]
    pub host: Host,
    /// Give up on connecting, or on waiting for a reply, after this long
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = parse_positive_secs)]
    pub timeout: Duration,
}

/// Parses a number of seconds (`30`, `0.5`) into a Duration.
pub fn parse_secs(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    Duration::try_from_secs_f64(secs)
        .map_err(|_| format!("{s:?} is not a usable number of seconds"))
}

/// Like [`parse_secs`], but more than zero.
pub fn parse_positive_secs(s: &str) -> Result<Duration, String> {
    match parse_secs(s)? {
        d if d.is_zero() => Err("must be more than 0 (use a large number to wait long)".into()),
        d => Ok(d),
    }
}

/// What a server binary does once its socket is bound: make the stop
/// switch, let Ctrl-C and SIGTERM pull it, and say where it listens (on
/// stderr; stdout stays the original's). `what` is the bound address as
/// shown, such as `127.0.0.1:9999` or `127.0.0.1:9999/udp`.
pub fn stop_on_signals(grace: Duration, what: &str) -> Result<crate::stop::Stop, ctrlc::Error> {
    let stop = crate::stop::Stop::new(grace);
    stop.on_signals()?;
    // A closed stdout (`| head`) stops the server too, quietly.
    let on_closed = stop.clone();
    crate::log::on_stdout_failure(move || on_closed.trigger());
    crate::diag!("listening on {what} (Ctrl-C to stop)");
    Ok(stop)
}

/// What every TCP server's `main` does before it serves: [`net::listen`]
/// on `addr` with `--backlog`, then the Ctrl-C / SIGTERM handler with
/// `--grace`, which says where it listens.
///
/// [`net::listen`]: crate::net::listen
pub fn listen_and_stop(
    port: u16,
    opts: &ServerOpts,
) -> anyhow::Result<(std::net::TcpListener, crate::stop::Stop)> {
    use anyhow::Context;
    let addr = opts.host.with_port(port)?;
    let listener = crate::net::listen(addr, opts.backlog)
        .with_context(|| format!("cannot listen on {addr}"))?;
    let stop = stop_on_signals(opts.grace, &listener.local_addr()?.to_string())?;
    Ok((listener, stop))
}

/// Every exercise binary's `main`, given its arguments (the program's name
/// first): parse them as `C`, run, report. Each exercise's `cli::main`
/// calls it; its `src/main.rs` calls that with the process's arguments,
/// and `grade --rust` with its own, so both run the same code.
pub fn main<C: clap::Parser>(
    args: impl IntoIterator<Item = std::ffi::OsString>,
    run: impl FnOnce(C, &crate::log::Output) -> anyhow::Result<()>,
) -> ExitCode {
    // As C::parse_from, which prints help or the error and exits; the
    // matches are looked at first for `--trace` (in every subcommand's Host).
    let matches = C::command().get_matches_from(args);
    let sub = matches.subcommand().map_or(&matches, |(_, sub)| sub);
    if let Ok(Some(true)) = sub.try_get_one::<bool>("trace") {
        crate::trace::enable();
    }
    let command = C::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    report(run(command, &crate::log::Output::stdout()))
}

/// Runs a binary's body and reports a failure once, on one line of stderr,
/// with its causes (`tcp-basic: error: cannot connect to 127.0.0.1:9999:
/// Connection refused`), and exit status 1.
/// A failed stdout is reported here too, unless it was a closed pipe.
pub fn report(result: anyhow::Result<()>) -> ExitCode {
    let stdout = crate::log::stdout_error();
    match result {
        Err(e) => crate::log::diag(format_args!("error: {e:#}")),
        Ok(()) => match stdout {
            Some(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                crate::log::diag(format_args!("error: cannot write to stdout: {e}"))
            }
            _ => return ExitCode::SUCCESS,
        },
    }
    ExitCode::FAILURE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds() {
        assert_eq!(parse_secs("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_secs("0"), Ok(Duration::ZERO));
        assert!(parse_secs("-1").is_err());
        assert!(parse_secs("soon").is_err());
        assert!(parse_positive_secs("0").is_err());
    }
}
