//! `hub`: API and workers in one process (the zero-setup default on SQLite), plus the admin commands.

mod reconcile;

use std::{
    io::{Read, Write},
    net::TcpStream,
    time::Duration,
};

use anyhow::{Context, bail};
use hub_app::{Application, Mode, Settings, admin, telemetry};
use hub_domain::{EventKind, operations::OperationError};

const USAGE: &str = "usage: hub <command>
  serve                      run the API and the workers in one process (the default)
  migrate                    apply pending database migrations and exit
  stores list                the configured stores (never their keys)
  stores check               reach each store's Webservice with its key; report what the key may do
  jobs failed [--limit N]    jobs that failed for good, waiting for an operator
  jobs retry <id>...|--all   queue failed jobs again
  jobs discard <id>...|--all drop failed jobs
  replay --since <time> [--kind product|order]
                             process again every event received since <time> (RFC 3339 or
                             `YYYY-MM-DD HH:MM:SS` UTC); orders are still created once
  reconcile [--since <time>] [--store <code>]
                             compare the source catalog with every client and queue syncs for what drifted
  healthcheck [url]          GET url (default http://127.0.0.1:8080/health); exit 0 on a 2xx (container probes)
  help                       this text
settings: hub.toml, or the file named by HUB_CONFIG; HUB_SECTION__KEY environment variables override it";

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match run(&args).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            1
        }
    };
    std::process::exit(code);
}

fn settings() -> anyhow::Result<Settings> {
    let settings = Settings::load()?;
    telemetry::init(&settings.log);
    Ok(settings)
}

async fn run(args: &[String]) -> anyhow::Result<i32> {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        [] | ["serve"] => {
            Application::build(settings()?, Mode::All).await?.run_until_stopped().await?;
            Ok(0)
        }
        ["migrate"] => {
            let mut settings = settings()?;
            settings.database.auto_migrate = true;
            hub_app::database(&settings).await?;
            println!("migrations applied");
            Ok(0)
        }
        ["stores", "list"] => {
            stores_list(&settings()?);
            Ok(0)
        }
        ["stores", "check"] => stores_check(&settings()?).await,
        ["jobs", "failed", rest @ ..] => jobs_failed(&settings()?, rest).await,
        ["jobs", action @ ("retry" | "discard"), rest @ ..] => jobs_resolve(&settings()?, action, rest).await,
        ["replay", rest @ ..] => replay(&settings()?, rest).await,
        ["reconcile", ..] => {
            reconcile::run(settings()?, &args[1..]).await?;
            Ok(0)
        }
        ["healthcheck"] => healthcheck("http://127.0.0.1:8080/health"),
        ["healthcheck", url] => healthcheck(url),
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            Ok(0)
        }
        _ => {
            eprintln!("unknown command `{}`\n{USAGE}", words.join(" "));
            Ok(2)
        }
    }
}

fn stores_list(settings: &Settings) {
    let rows = admin::stores(settings);
    println!("{:<20} {:<7} {:<7} {:<7} {:<40} RULE", "STORE", "ROLE", "ACTIVE", "SIGNED", "WEBSERVICE");
    for r in rows {
        println!(
            "{:<20} {:<7} {:<7} {:<7} {:<40} {}",
            r.code,
            r.role,
            if r.active { "yes" } else { "no" },
            if r.signed { "yes" } else { "no" },
            r.webservice.unwrap_or_else(|| "—".into()),
            r.rule
        );
    }
}

async fn stores_check(settings: &Settings) -> anyhow::Result<i32> {
    let mut failures = 0;
    for row in admin::check_stores(settings).await? {
        match row.result {
            None => println!("{:<20} {:<7} no Webservice configured", row.code, row.role),
            Some(Ok(check)) => {
                let version = check.version.unwrap_or_else(|| "unknown version".into());
                if check.missing.is_empty() {
                    println!(
                        "{:<20} {:<7} ok: PrestaShop {version}, {} resources, {} ms",
                        row.code,
                        row.role,
                        check.permissions.len(),
                        check.latency_ms
                    );
                } else {
                    failures += 1;
                    println!(
                        "{:<20} {:<7} reachable (PrestaShop {version}, {} ms) but the key lacks: {}",
                        row.code,
                        row.role,
                        check.latency_ms,
                        check.missing.join(", ")
                    );
                }
            }
            Some(Err(e)) => {
                failures += 1;
                println!("{:<20} {:<7} FAILED: {e}", row.code, row.role);
            }
        }
    }
    Ok(if failures > 0 { 1 } else { 0 })
}

fn flag<'a>(rest: &[&'a str], name: &str) -> anyhow::Result<Option<&'a str>> {
    match rest.iter().position(|a| *a == name) {
        Some(i) => rest.get(i + 1).copied().map(Some).with_context(|| format!("{name} needs a value")),
        None => Ok(None),
    }
}

async fn jobs_failed(settings: &Settings, rest: &[&str]) -> anyhow::Result<i32> {
    let limit: u32 = flag(rest, "--limit")?.map(str::parse).transpose().context("--limit: a number")?.unwrap_or(100);
    let admin = admin::Admin::connect(settings).await?;
    let jobs = admin.failed.waiting(limit).await?;
    if jobs.is_empty() {
        println!("no failed job is waiting");
        return Ok(0);
    }
    println!("{:<8} {:<22} {:<32} {:<8} {:<20} ERROR", "ID", "JOB", "SUBJECT", "ATTEMPTS", "FAILED AT (UTC)");
    for j in jobs {
        let error: String = j.error.replace('\n', " ").chars().take(120).collect();
        println!(
            "{:<8} {:<22} {:<32} {:<8} {:<20} {error}",
            j.id,
            j.job,
            j.subject,
            j.attempts,
            j.failed_at.format("%Y-%m-%d %H:%M:%S")
        );
    }
    Ok(0)
}

async fn jobs_resolve(settings: &Settings, action: &str, rest: &[&str]) -> anyhow::Result<i32> {
    let admin = admin::Admin::connect(settings).await?;
    let ids: Vec<i64> = if rest == ["--all"] {
        admin.failed.waiting(u32::MAX).await?.into_iter().map(|j| j.id).collect()
    } else if rest.is_empty() {
        bail!("jobs {action}: name job ids, or --all");
    } else {
        rest.iter().map(|i| i.parse().with_context(|| format!("`{i}` is not a job id"))).collect::<Result<_, _>>()?
    };
    let bar = progress(ids.len() as u64, action);
    let mut failed = 0;
    for id in ids {
        let result = if action == "retry" { admin.failed.retry(id).await } else { admin.failed.discard(id).await };
        match result {
            Ok(()) => say(&bar, format!("job {id}: {}", if action == "retry" { "queued again" } else { "discarded" })),
            Err(e @ (OperationError::Storage(_) | OperationError::Queue(_))) => {
                bar.abandon();
                return Err(e.into());
            }
            Err(e) => {
                failed += 1;
                say(&bar, format!("job {id}: {e}"));
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(if failed > 0 { 1 } else { 0 })
}

/// Prints a line above the progress bar (a hidden bar would swallow `println`).
fn say(bar: &indicatif::ProgressBar, line: String) {
    bar.suspend(|| println!("{line}"));
}

fn progress(len: u64, what: &str) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({per_sec}, {eta})") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_owned());
    bar
}

/// Parses `2026-11-28T10:00:00Z`, `2026-11-28 10:00:00` (UTC) or `2026-11-28`: the forms of `reconcile
/// --since`, plus a bare date.
pub(crate) fn parse_time(text: &str) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    use chrono::{NaiveDate, TimeZone, Utc};
    if let Ok(d) = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        && let Some(t) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(Utc.from_utc_datetime(&t));
    }
    hub_app::reconcile::parse_since(text).map(|t| Utc.from_utc_datetime(&t)).map_err(|_| {
        anyhow::anyhow!("`{text}` is not a time: use RFC 3339 (2026-11-28T10:00:00Z) or `2026-11-28 10:00:00` (UTC)")
    })
}

async fn replay(settings: &Settings, rest: &[&str]) -> anyhow::Result<i32> {
    let since = parse_time(flag(rest, "--since")?.context("replay: --since <time> is required")?)?;
    let kind = match flag(rest, "--kind")? {
        None => None,
        Some("product") => Some(EventKind::Product),
        Some("order") => Some(EventKind::Order),
        Some(other) => bail!("--kind: `product` or `order`, not `{other}`"),
    };
    let admin = admin::Admin::connect(settings).await?;
    let bar = progress(0, "replay");
    bar.set_length(0);
    let done = admin
        .failed
        .replay(since, kind, |n| {
            bar.set_length(n);
            bar.set_position(n);
        })
        .await?;
    bar.finish_and_clear();
    println!("{done} event(s) since {} queued again", since.format("%Y-%m-%d %H:%M:%S UTC"));
    Ok(0)
}

/// A minimal HTTP/1.0 GET, so container images need no curl.
fn healthcheck(url: &str) -> anyhow::Result<i32> {
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
            return Ok(1);
        }
    };
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {host}\r\nConnection: close\r\n\r\n")?;
    let mut answer = String::new();
    let _ = stream.take(64 * 1024).read_to_string(&mut answer);
    let status = answer.split_whitespace().nth(1).and_then(|s| s.parse::<u16>().ok()).unwrap_or(0);
    if (200..300).contains(&status) {
        Ok(0)
    } else {
        eprintln!("unhealthy: HTTP {status}");
        Ok(1)
    }
}
