//! Command-line pieces every exercise shares (clap derive), and the one place
//! a binary reports its error.

use clap::Args;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

/// `--host` and `--port`, with the exercise's default port as `PORT`.
///
/// Written out by hand rather than derived: clap's derive keeps a default
/// value in a `static`, and a static inside a generic function is shared by
/// every `PORT`, so all exercises would show the first one's port.
#[derive(Debug, Clone)]
pub struct Endpoint<const PORT: u16> {
    /// Address to listen on or connect to: IPv4, IPv6 (such as ::1) or a name
    pub host: String,
    /// Port to listen on or connect to
    pub port: u16,
}

impl<const PORT: u16> Endpoint<PORT> {
    pub fn resolve(&self) -> std::io::Result<SocketAddr> {
        crate::net::resolve(&self.host, self.port)
    }
}

impl<const PORT: u16> clap::FromArgMatches for Endpoint<PORT> {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        Ok(Endpoint {
            host: matches
                .get_one::<String>("host")
                .cloned()
                .unwrap_or_else(|| crate::addr::DEFAULT_HOST.to_string()),
            port: matches.get_one::<u16>("port").copied().unwrap_or(PORT),
        })
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl<const PORT: u16> Args for Endpoint<PORT> {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        cmd.arg(
            clap::Arg::new("host")
                .long("host")
                .value_name("HOST")
                .default_value(crate::addr::DEFAULT_HOST)
                .help("Address to listen on or connect to: IPv4, IPv6 (such as ::1) or a name"),
        )
        .arg(
            clap::Arg::new("port")
                .long("port")
                .value_name("PORT")
                .value_parser(clap::value_parser!(u16))
                .default_value(PORT.to_string())
                .help("Port to listen on or connect to"),
        )
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

/// The options every TCP server takes.
#[derive(Args, Debug, Clone)]
pub struct ServerOpts {
    /// Accept queue length, as listen(N); the originals use 5
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub backlog: i32,
    /// Drop a client that sends nothing for this long (0 waits forever)
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = parse_secs)]
    pub idle_timeout: Duration,
    /// On Ctrl-C or SIGTERM, let connections in flight finish for this long
    #[arg(long, value_name = "SECS", default_value = "3", value_parser = parse_secs)]
    pub grace: Duration,
}

impl ServerOpts {
    /// The idle timeout as a socket timeout (`None` for 0: wait forever).
    pub fn idle(&self) -> Option<Duration> {
        nonzero(self.idle_timeout)
    }
}

/// Parses a number of seconds (`30`, `0.5`) into a Duration.
pub fn parse_secs(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    Duration::try_from_secs_f64(secs)
        .map_err(|_| format!("{s:?} is not a usable number of seconds"))
}

/// `None` for a zero duration, which the options use to mean "no limit".
pub fn nonzero(d: Duration) -> Option<Duration> {
    (!d.is_zero()).then_some(d)
}

/// Runs a binary's body and reports a failure once, on one line of stderr,
/// with its causes (`tcp-basic: error: cannot connect to 127.0.0.1:9999:
/// Connection refused`), and exit status 1. Buffered stdout is written out
/// first.
pub fn report(result: anyhow::Result<()>) -> ExitCode {
    crate::log::flush_stdout();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            crate::log::diag(format_args!("error: {e:#}"));
            ExitCode::FAILURE
        }
    }
}

/// What a TCP server binary does before calling its library: resolve the
/// address, bind with the backlog, install the signal handler, and say where
/// it listens (on stderr; stdout stays the original's).
pub fn start_tcp<const PORT: u16>(
    at: &Endpoint<PORT>,
    opts: &ServerOpts,
) -> anyhow::Result<(std::net::TcpListener, crate::server::Shutdown)> {
    let addr = at.resolve()?;
    let listener = crate::net::bind_tcp(addr, opts.backlog)?;
    let shutdown = crate::server::Shutdown::new();
    shutdown.on_signals()?;
    crate::diag!("listening on {} (Ctrl-C to stop)", listener.local_addr()?);
    Ok((listener, shutdown))
}

/// The same for a UDP server.
pub fn start_udp<const PORT: u16>(
    at: &Endpoint<PORT>,
) -> anyhow::Result<(std::net::UdpSocket, crate::server::Shutdown)> {
    let addr = at.resolve()?;
    let socket = crate::net::bind_udp(addr)?;
    let shutdown = crate::server::Shutdown::new();
    shutdown.on_signals()?;
    crate::diag!("listening on {}/udp (Ctrl-C to stop)", socket.local_addr()?);
    Ok((socket, shutdown))
}

/// `--timeout` of a client: connect and read timeout.
#[derive(Args, Debug, Clone)]
pub struct ClientOpts {
    /// Give up on connecting, or on waiting for a reply, after this long (0 waits forever)
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = parse_secs)]
    pub timeout: Duration,
}

impl ClientOpts {
    pub fn timeout(&self) -> Option<Duration> {
        nonzero(self.timeout)
    }
}
