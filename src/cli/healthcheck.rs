//! `healthcheck`: asks a server on this machine for `/healthz`, for a container's HEALTHCHECK
//! (the image has no curl). Plain HTTP/1.1 over a socket: the server's own port, found from the
//! same BIND_ADDRESS that `serve` reads.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use clap::Args;

#[derive(Args, Debug)]
pub struct HealthcheckArgs {
    /// The address `serve` binds; a wildcard (0.0.0.0, [::]) is asked on loopback.
    #[arg(long, env = "BIND_ADDRESS", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Seconds to wait for the answer.
    #[arg(long, default_value_t = 3)]
    pub timeout: u64,
}

pub fn run(args: &HealthcheckArgs) -> Result<(), String> {
    let address = probe_address(&args.bind)?;
    let timeout = Duration::from_secs(args.timeout.clamp(1, 60));
    let mut stream = TcpStream::connect_timeout(&address, timeout)
        .map_err(|e| format!("cannot reach {address}: {e}"))?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|e| e.to_string())?;
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("cannot ask {address}: {e}"))?;
    let mut answer = Vec::new();
    // The status line is all that is needed; a server that sends more is read to the end.
    let _ = stream.take(64 * 1024).read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    let status_line = answer.lines().next().unwrap_or_default();
    match status_line.split_whitespace().nth(1) {
        Some("200") => {
            println!("healthy: {address} answered {status_line}");
            Ok(())
        }
        Some(_) => Err(format!("unhealthy: {address} answered {status_line}")),
        None => Err(format!("unhealthy: {address} gave no HTTP answer")),
    }
}

/// Where to ask: the bound address, with a wildcard host replaced by loopback.
fn probe_address(bind: &str) -> Result<SocketAddr, String> {
    let mut address = bind
        .to_socket_addrs()
        .map_err(|e| format!("BIND_ADDRESS {bind:?}: {e}"))?
        .next()
        .ok_or_else(|| format!("BIND_ADDRESS {bind:?} names no address"))?;
    if address.ip().is_unspecified() {
        address.set_ip(match address {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    Ok(address)
}

#[cfg(test)]
mod tests {
    use super::probe_address;

    #[test]
    fn a_wildcard_bind_is_asked_on_loopback() {
        assert_eq!(
            probe_address("0.0.0.0:8080").expect("v4").to_string(),
            "127.0.0.1:8080"
        );
        assert_eq!(probe_address("[::]:9").expect("v6").to_string(), "[::1]:9");
        assert_eq!(
            probe_address("10.1.2.3:80").expect("kept").to_string(),
            "10.1.2.3:80"
        );
        assert!(probe_address("nonsense").is_err());
    }
}
