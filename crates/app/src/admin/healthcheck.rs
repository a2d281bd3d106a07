//! `hub healthcheck [URL]`: a minimal HTTP/1.0 GET for container probes, so images need no curl.

use std::{
    io::{Read, Write},
    net::TcpStream,
    process::ExitCode,
    time::Duration,
};

use anyhow::Context;

/// GETs `url` (http:// only): success on a 2xx answer; failure, with `unhealthy: …` on stderr, when the
/// server cannot be reached or answers anything else.
///
/// # Errors
/// Not an http:// URL, a host that does not resolve, a socket that cannot be set up or written to.
pub(super) fn run(url: &str) -> anyhow::Result<ExitCode> {
    let rest = url.strip_prefix("http://").context("healthcheck: an http:// URL")?;
    let (host, path) = rest.split_once('/').map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let addr = std::net::ToSocketAddrs::to_socket_addrs(host)
        .with_context(|| format!("healthcheck: cannot resolve {host}"))?
        .next()
        .context("healthcheck: no address")?;
    let mut stream = match TcpStream::connect_timeout(&addr, Duration::from_secs(3)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("unhealthy: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {host}\r\nConnection: close\r\n\r\n")?;
    let mut answer = String::new();
    let _ = stream.take(64 * 1024).read_to_string(&mut answer);
    let status = answer.split_whitespace().nth(1).and_then(|s| s.parse::<u16>().ok()).unwrap_or(0);
    if (200..300).contains(&status) {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("unhealthy: HTTP {status}");
        Ok(ExitCode::FAILURE)
    }
}
