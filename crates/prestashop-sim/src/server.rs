//! A small HTTP/1.1 server on tokio (keep-alive, `Content-Length` and chunked bodies, `Expect:
//! 100-continue`). It is hand-written rather than built on a framework so that a test can make the
//! simulator drop a connection or never answer, which frameworks do not allow.

use std::{sync::Arc, time::Duration};

use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::{
        TcpListener, TcpStream,
        tcp::{OwnedReadHalf, OwnedWriteHalf},
    },
    sync::watch,
    task::JoinSet,
};

use crate::{
    FailureKind, RecordedRequest,
    connector::{self, Connector},
    control::Control,
    ws::{Answer, Incoming, Webservice},
};

const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 32 * 1024 * 1024;

/// Everything a connection needs.
pub(crate) struct Shared {
    pub ws: Webservice,
    pub control: Control,
    pub connector: Connector,
}

impl Shared {
    /// Routes one request: module front controllers (`/index.php?fc=module&…`, `/module/…`) to the
    /// connector, the home page (`/`, `/index.php`) to the front office, everything else to the Webservice
    /// dispatcher.
    pub(crate) fn handle(&self, req: &Incoming<'_>) -> Answer {
        if Connector::routes(req) {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
            self.connector.handle(&self.ws, req, now)
        } else if crate::connector::is_home(req.path) {
            crate::connector::home_page(req.method.eq_ignore_ascii_case("HEAD"))
        } else {
            self.ws.handle(req)
        }
    }
}

struct Request {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    keep_alive: bool,
}

enum Outcome {
    Answer(Answer),
    Drop,
    Hang,
}

/// Accepts connections until `shutdown` turns true, then closes them all.
pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    conns.spawn(connection(stream, Arc::clone(&shared), shutdown.clone()));
                }
            }
            _ = shutdown.changed() => break,
        }
        while conns.try_join_next().is_some() {}
    }
    conns.shutdown().await;
}

async fn connection(stream: TcpStream, shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    let (rd, mut wr) = stream.into_split();
    let mut rd = BufReader::new(rd);
    loop {
        let req = tokio::select! {
            r = read_request(&mut rd, &mut wr) => r,
            _ = shutdown.changed() => return,
        };
        let req = match req {
            Ok(Some(r)) => r,
            Ok(None) => return,
            Err(status) => {
                let a = Answer {
                    status,
                    headers: vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
                    body: b"Bad Request".to_vec(),
                    http10: false,
                    head: false,
                };
                let _ = write_answer(&mut wr, &a, false).await;
                return;
            }
        };
        let keep_alive = req.keep_alive;
        match respond(&shared, req).await {
            Outcome::Answer(a) => {
                let keep = keep_alive && !a.http10;
                if write_answer(&mut wr, &a, keep).await.is_err() || !keep {
                    return;
                }
            }
            Outcome::Drop => return,
            Outcome::Hang => {
                let _ = shutdown.changed().await;
                return;
            }
        }
    }
}

async fn respond(shared: &Shared, req: Request) -> Outcome {
    let resource = connector::resource_of(&req.path, &req.query).to_owned();
    let seq = shared.control.record(RecordedRequest {
        method: req.method.clone(),
        path: req.path.clone(),
        query: req.query.clone(),
        headers: req.headers.clone(),
        body: String::from_utf8_lossy(&req.body).into_owned(),
        status: 0,
    });
    let latency = shared.control.latency();
    if latency > Duration::ZERO {
        tokio::time::sleep(latency).await;
    }
    let failure = shared.control.take_failure(&resource, &req.method);
    let answer = match failure {
        Some(FailureKind::Timeout) => return Outcome::Hang,
        Some(FailureKind::Drop) => return Outcome::Drop,
        Some(FailureKind::Status(code)) => injected(code),
        Some(FailureKind::ProcessThenDrop) | None => {
            let incoming = Incoming {
                method: &req.method,
                path: &req.path,
                query: &req.query,
                headers: &req.headers,
                body: &req.body,
            };
            let a = shared.handle(&incoming);
            if failure == Some(FailureKind::ProcessThenDrop) {
                return Outcome::Drop;
            }
            a
        }
    };
    shared.control.set_status(seq, answer.status);
    tracing::debug!(method = %req.method, path = %req.path, status = answer.status, "prestashop-sim");
    Outcome::Answer(answer)
}

fn injected(code: u16) -> Answer {
    let mut headers = vec![("Content-Type".to_owned(), "text/html; charset=utf-8".to_owned())];
    if code == 429 || code == 503 {
        headers.push(("Retry-After".into(), "1".into()));
    }
    let body = format!("<html><body><h1>{code} {}</h1></body></html>", reason(code)).into_bytes();
    Answer { status: code, headers, body, http10: false, head: false }
}

async fn read_request(rd: &mut BufReader<OwnedReadHalf>, wr: &mut OwnedWriteHalf) -> Result<Option<Request>, u16> {
    let mut head = Vec::new();
    loop {
        let mut line = Vec::new();
        let n = rd.read_until(b'\n', &mut line).await.map_err(|_| 400u16)?;
        if n == 0 {
            return if head.is_empty() { Ok(None) } else { Err(400) };
        }
        if head.is_empty() && (line == b"\r\n" || line == b"\n") {
            continue;
        }
        head.extend_from_slice(&line);
        if line == b"\r\n" || line == b"\n" {
            break;
        }
        if head.len() > MAX_HEAD {
            return Err(431);
        }
    }
    let text = String::from_utf8_lossy(&head);
    let mut lines = text.lines();
    let request_line = lines.next().ok_or(400u16)?;
    let mut parts = request_line.split_whitespace();
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(400);
    };
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned())).collect();
    let header = |name: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
    let connection = header("connection").map(str::to_ascii_lowercase).unwrap_or_default();
    let keep_alive =
        if version == "HTTP/1.0" { connection.contains("keep-alive") } else { !connection.contains("close") };
    if header("expect").is_some_and(|e| e.eq_ignore_ascii_case("100-continue")) {
        wr.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await.map_err(|_| 400u16)?;
    }
    let body = if header("transfer-encoding").is_some_and(|t| t.to_ascii_lowercase().contains("chunked")) {
        read_chunked(rd).await?
    } else {
        let len: usize = header("content-length").map_or(Ok(0), |v| v.parse().map_err(|_| 400u16))?;
        if len > MAX_BODY {
            return Err(413);
        }
        let mut body = vec![0; len];
        rd.read_exact(&mut body).await.map_err(|_| 400u16)?;
        body
    };
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    Ok(Some(Request {
        method: method.to_owned(),
        path: path.to_owned(),
        query: query.to_owned(),
        headers,
        body,
        keep_alive,
    }))
}

async fn read_chunked(rd: &mut BufReader<OwnedReadHalf>) -> Result<Vec<u8>, u16> {
    let mut body = Vec::new();
    loop {
        let mut size_line = String::new();
        rd.read_line(&mut size_line).await.map_err(|_| 400u16)?;
        let size_hex = size_line.trim().split(';').next().unwrap_or("");
        let size = usize::from_str_radix(size_hex, 16).map_err(|_| 400u16)?;
        if size == 0 {
            loop {
                let mut trailer = String::new();
                let n = rd.read_line(&mut trailer).await.map_err(|_| 400u16)?;
                if n == 0 || trailer.trim().is_empty() {
                    return Ok(body);
                }
            }
        }
        if body.len() + size > MAX_BODY {
            return Err(413);
        }
        let start = body.len();
        body.resize(start + size, 0);
        rd.read_exact(&mut body[start..]).await.map_err(|_| 400u16)?;
        let mut crlf = String::new();
        rd.read_line(&mut crlf).await.map_err(|_| 400u16)?;
    }
}

async fn write_answer(wr: &mut OwnedWriteHalf, a: &Answer, keep_alive: bool) -> std::io::Result<()> {
    let version = if a.http10 { "HTTP/1.0" } else { "HTTP/1.1" };
    let mut out = format!("{version} {} {}\r\n", a.status, reason(a.status));
    out.push_str(&format!("Date: {}\r\n", chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S GMT")));
    if !keep_alive {
        out.push_str("Connection: close\r\n");
    }
    for (k, v) in &a.headers {
        if v.is_empty() {
            out.push_str(&format!("{k}:\r\n"));
        } else {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", a.body.len()));
    let mut bytes = out.into_bytes();
    if !a.head {
        bytes.extend_from_slice(&a.body);
    }
    wr.write_all(&bytes).await?;
    wr.flush().await
}

fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Unknown",
    }
}
