//! `reuseaddr`: a server that closed its connection first leaves the port
//! in TIME_WAIT; started again at once, its `bind` fails without
//! `SO_REUSEADDR` and succeeds with it. (std's `TcpListener::bind` sets
//! `SO_REUSEADDR` itself on Unix, so the sockets here are socket2's, with
//! the option set or cleared explicitly.)

use super::*;
use socket2::{Domain, Socket, Type};

/// The seed's sentence this experiment measures, verbatim.
pub(super) const CLAIM: &str =
    "重用端口是因为服务端停止后，操作系统不会立刻回收端口，再次启动会报错端口已被占用。";

/// A listening socket on `addr`, with `SO_REUSEADDR` as asked.
fn listener(addr: SocketAddr, reuse: bool) -> std::io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(reuse)?;
    socket.bind(&addr.into())?;
    socket.listen(5)?;
    Ok(socket.into())
}

/// A server on a fresh port (with `SO_REUSEADDR` as asked: Linux lets a
/// port in TIME_WAIT be bound again only when the old socket had it too,
/// as each start of 002's server sets it) serves one client and closes
/// the connection first, so the server's side waits in TIME_WAIT, then
/// stops. Returns the port.
fn serve_and_stop(reuse: bool) -> Result<SocketAddr> {
    let server = listener(loopback(), reuse)?;
    let addr = server.local_addr()?;
    let mut client = TcpStream::connect_timeout(&addr, WAIT)?;
    client.set_read_timeout(Some(WAIT))?;
    let (mut conn, _) = server.accept()?;
    conn.write_all(b"bye")?;
    drop(conn); // the server closes first: its side goes to TIME_WAIT
    let _ = client.read(&mut [0u8; 8])?;
    let _ = client.read(&mut [0u8; 8])?; // EOF
    drop(client);
    drop(server); // the server stops
    Ok(addr)
}

/// What a restart's `bind` said: `Ok` or the error's words.
fn restart(addr: SocketAddr, reuse: bool) -> std::result::Result<(), String> {
    listener(addr, reuse).map(drop).map_err(|e| e.to_string())
}

pub(super) fn reuseaddr(_scale: Scale, bar: &ProgressBar) -> Result<Finding> {
    bar.set_length(2);
    step(bar, "reuseaddr: restart without SO_REUSEADDR");
    let addr = serve_and_stop(false)?;
    let without = restart(addr, false);
    step(bar, "reuseaddr: restart with SO_REUSEADDR");
    let addr = serve_and_stop(true)?;
    let with = restart(addr, true);
    let (verdict, why) = reuseaddr_verdict(&without, &with);
    let said = |r: &std::result::Result<(), String>| match r {
        Ok(()) => "bound".to_string(),
        Err(e) => e.clone(),
    };
    let figures = json!({
        "restart_without_reuseaddr": said(&without),
        "restart_with_reuseaddr": said(&with),
        "without_bound": without.is_ok(),
        "with_bound": with.is_ok(),
        "os": std::env::consts::OS,
    });
    Ok(Finding {
        name: "reuseaddr",
        claim: CLAIM,
        seed: "002 §2.1",
        verdict,
        reason: why,
        csv: format!(
            "restart,bound,said\nwithout SO_REUSEADDR,{},{}\nwith SO_REUSEADDR,{},{}\n",
            without.is_ok(),
            said(&without),
            with.is_ok(),
            said(&with)
        ),
        figures,
        chart: Vec::new(),
        unit: "",
        spreads: Vec::new(),
    })
}

/// Holds when the restart without `SO_REUSEADDR` failed and the one with
/// it bound.
pub(super) fn reuseaddr_verdict(
    without: &std::result::Result<(), String>,
    with: &std::result::Result<(), String>,
) -> (String, String) {
    let verdict = match (without, with) {
        (Err(_), Ok(())) => "holds".to_string(),
        (Ok(()), _) => "does not hold here: the port was free again at once".to_string(),
        (Err(_), Err(e)) => {
            format!("holds only in part: the port stayed taken, with SO_REUSEADDR too ({e})")
        }
    };
    let why = format!(
        "a server that closed its connection first and stopped, started again at once on the same port: without SO_REUSEADDR its bind {}; with it (set at both starts, as 002's server does), {}",
        match without {
            Ok(()) => "succeeded".to_string(),
            Err(e) =>
                format!("failed ({e}): the old connection waits in TIME_WAIT (60 s on Linux)"),
        },
        match with {
            Ok(()) => "it bound".to_string(),
            Err(e) => format!("it failed too ({e})"),
        }
    );
    (verdict, why)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verdict_follows_the_figures_both_ways() {
        let in_use = Err("Address already in use (os error 98)".to_string());
        assert_eq!(reuseaddr_verdict(&in_use, &Ok(())).0, "holds");
        assert!(
            reuseaddr_verdict(&Ok(()), &Ok(()))
                .0
                .starts_with("does not hold here")
        );
    }

    #[test]
    #[cfg_attr(
        windows,
        ignore = "Windows lets a port in TIME_WAIT be bound again; its SO_REUSEADDR means more"
    )]
    fn a_port_in_time_wait_is_taken_without_reuseaddr_and_free_with_it() {
        let addr = serve_and_stop(false).unwrap();
        assert!(restart(addr, false).is_err());
        let addr = serve_and_stop(true).unwrap();
        assert_eq!(restart(addr, true), Ok(()));
    }
}
