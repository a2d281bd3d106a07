//! The scenario's private servers: a MariaDB and a Redis of its own, on free ports, with their data in
//! the run's work directory. Each can be killed with SIGKILL and started again on the same port and data
//! (Redis also wiped, as a server without persistence comes back). Every process and the work directory
//! go away when their guards drop, whether the run passed, failed or panicked. The shared MariaDB and
//! Redis of the machine are never touched.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};

/// The run's work directory: removed when dropped, unless asked to keep it (to read the logs).
#[derive(Debug)]
pub struct WorkDir {
    path: PathBuf,
    keep: bool,
}

impl WorkDir {
    /// Creates a fresh directory under the system's temporary directory.
    ///
    /// # Errors
    /// When it cannot be created.
    pub fn create(keep: bool) -> Result<Self> {
        let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
        let path = std::env::temp_dir().join(format!("hub-chaos-{stamp}-{}", std::process::id()));
        std::fs::create_dir_all(&path).with_context(|| format!("creating {}", path.display()))?;
        Ok(Self { path, keep })
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A sub-directory, created if missing.
    ///
    /// # Errors
    /// When it cannot be created.
    pub fn sub(&self, name: &str) -> Result<PathBuf> {
        let p = self.path.join(name);
        std::fs::create_dir_all(&p).with_context(|| format!("creating {}", p.display()))?;
        Ok(p)
    }

    /// Whether it is kept after the run.
    pub fn kept(&self) -> bool {
        self.keep
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// A child process killed (SIGKILL) and reaped when dropped.
#[derive(Debug)]
pub struct Proc {
    child: Child,
}

impl Proc {
    /// Starts `command`.
    ///
    /// # Errors
    /// When the program cannot be started; the message names it.
    pub fn spawn(mut command: Command, what: &str) -> Result<Self> {
        let child = command.spawn().with_context(|| format!("cannot start {what}"))?;
        Ok(Self { child })
    }

    /// Its process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Kills it with SIGKILL and waits for it.
    pub fn kill(mut self) {
        self.stop();
    }

    /// Its exit status if it has exited by itself.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A port nobody listens on now (bound and released; good enough on one machine).
///
/// # Errors
/// When no port can be bound.
pub fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Appends a process's stdout and stderr to `log`.
fn log_to(command: &mut Command, log: &Path) -> Result<()> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("opening {}", log.display()))?;
    command.stdin(Stdio::null()).stdout(file.try_clone()?).stderr(file);
    Ok(())
}

/// Waits until something accepts TCP connections on `port`.
async fn wait_listening(port: u16, within: Duration, what: &str) -> Result<()> {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("{what} did not listen on port {port} within {within:?}")
}

/// Reads the private MariaDB with the `mariadb` command-line client (the run needs MariaDB's programs
/// anyway, and the client keeps no connection that a server restart would break).
#[derive(Debug, Clone)]
pub struct Sql {
    port: u16,
    database: String,
}

impl Sql {
    /// The rows of `sql`, each a list of its columns as text (`NULL` for SQL NULL).
    ///
    /// # Errors
    /// When the server does not answer or refuses the statement.
    pub async fn rows(&self, sql: &str) -> Result<Vec<Vec<String>>> {
        let out = tokio::process::Command::new("mariadb")
            .args([
                "--no-defaults",
                "--protocol=TCP",
                "-h",
                "127.0.0.1",
                "-u",
                "root",
                "--batch",
                "--skip-column-names",
            ])
            .arg(format!("--port={}", self.port))
            .arg(format!("--database={}", self.database))
            .arg("--connect-timeout=3")
            .arg("-e")
            .arg(sql)
            .stdin(Stdio::null())
            .output()
            .await
            .context("cannot run the `mariadb` client")?;
        if !out.status.success() {
            bail!("mariadb: {}", String::from_utf8_lossy(&out.stderr).trim());
        }
        let text = String::from_utf8_lossy(&out.stdout);
        Ok(text.lines().map(|line| line.split('\t').map(unescape).collect()).collect())
    }

    /// The first column of the first row of `sql` as a number.
    ///
    /// # Errors
    /// When the query fails or answers no number.
    pub async fn number(&self, sql: &str) -> Result<i64> {
        let rows = self.rows(sql).await?;
        let cell = rows.first().and_then(|r| r.first()).with_context(|| format!("no row for {sql}"))?;
        cell.parse().with_context(|| format!("`{cell}` is not a number ({sql})"))
    }
}

/// Undoes the `mariadb --batch` escaping of `\n`, `\t`, `\\` and `\0`.
fn unescape(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('0') => out.push('\0'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// A private MariaDB server: one data directory, one port, restartable.
#[derive(Debug)]
pub struct MariaDb {
    dir: PathBuf,
    port: u16,
    proc: Option<Proc>,
}

impl MariaDb {
    /// The hub's database on it.
    pub const DATABASE: &'static str = "hub";

    /// Initialises a data directory under `dir` (`mariadb-install-db`), starts the server on a free port
    /// and creates the hub's database.
    ///
    /// # Errors
    /// When MariaDB's programs are missing or the server does not come up; the message says which.
    pub async fn start(dir: &Path) -> Result<Self> {
        let data = dir.join("data");
        let mut install = Command::new("mariadb-install-db");
        install.args([
            "--no-defaults",
            "--user=root",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            "--skip-name-resolve",
        ]);
        install.arg(format!("--datadir={}", data.display()));
        log_to(&mut install, &dir.join("install.log"))?;
        let status = install.status().context("cannot run mariadb-install-db (is MariaDB installed?)")?;
        if !status.success() {
            bail!("mariadb-install-db failed ({status}); see {}", dir.join("install.log").display());
        }
        let mut me = Self { dir: dir.to_owned(), port: free_port()?, proc: None };
        me.launch().await?;
        Sql { port: me.port, database: "mysql".into() }
            .rows(&format!("CREATE DATABASE `{}`", Self::DATABASE))
            .await
            .context("creating the hub's database")?;
        Ok(me)
    }

    async fn launch(&mut self) -> Result<()> {
        let mut cmd = Command::new("mariadbd");
        cmd.args([
            "--no-defaults",
            "--user=root",
            "--bind-address=127.0.0.1",
            "--skip-name-resolve",
            "--skip-log-bin",
            "--max-connections=400",
            "--innodb-buffer-pool-size=256M",
            // Durable commits, as in production: an accepted event must survive the kill.
            "--innodb-flush-log-at-trx-commit=1",
            // `--no-defaults` drops the distribution's configuration: utf8mb4 as Debian (and MySQL 8) set it.
            "--character-set-server=utf8mb4",
            "--collation-server=utf8mb4_general_ci",
        ]);
        cmd.arg(format!("--datadir={}", self.dir.join("data").display()))
            .arg(format!("--port={}", self.port))
            .arg(format!("--socket={}", self.dir.join("mariadb.sock").display()))
            .arg(format!("--pid-file={}", self.dir.join("mariadb.pid").display()))
            .arg(format!("--log-error={}", self.dir.join("error.log").display()));
        log_to(&mut cmd, &self.dir.join("stdout.log"))?;
        self.proc = Some(Proc::spawn(cmd, "mariadbd (is MariaDB installed?)")?);
        let deadline = Instant::now() + Duration::from_secs(60);
        let sql = Sql { port: self.port, database: "mysql".into() };
        loop {
            if sql.rows("SELECT 1").await.is_ok() {
                return Ok(());
            }
            if let Some(status) = self.proc.as_mut().and_then(Proc::exited) {
                bail!("mariadbd exited ({status}); see {}", self.dir.join("error.log").display());
            }
            if Instant::now() > deadline {
                bail!("mariadbd did not answer within 60 s; see {}", self.dir.join("error.log").display());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Kills the server with SIGKILL (no shutdown, InnoDB recovers at the next start).
    pub fn kill(&mut self) {
        if let Some(p) = self.proc.take() {
            p.kill();
        }
    }

    /// Starts it again on the same port and data directory and waits until it answers.
    ///
    /// # Errors
    /// When it does not come back.
    pub async fn restart(&mut self) -> Result<()> {
        self.kill();
        self.launch().await
    }

    /// The hub's `database.url`.
    pub fn url(&self) -> String {
        format!("mysql://root@127.0.0.1:{}/{}", self.port, Self::DATABASE)
    }

    /// A client of the hub's database.
    pub fn sql(&self) -> Sql {
        Sql { port: self.port, database: Self::DATABASE.into() }
    }
}

/// How a private Redis keeps its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persistence {
    /// The append-only file (`--appendonly yes`, fsync every second): a restart keeps the queue.
    AppendOnly,
    /// Nothing on disk: a restart empties the queue.
    None,
}

/// A private Redis server: one directory, one port, restartable.
#[derive(Debug)]
pub struct Redis {
    dir: PathBuf,
    port: u16,
    persistence: Persistence,
    proc: Option<Proc>,
}

impl Redis {
    /// Starts a server on a free port with its data in `dir`.
    ///
    /// # Errors
    /// When `redis-server` is missing or does not listen.
    pub async fn start(dir: &Path, persistence: Persistence) -> Result<Self> {
        let mut me = Self { dir: dir.to_owned(), port: free_port()?, persistence, proc: None };
        me.launch().await?;
        Ok(me)
    }

    async fn launch(&mut self) -> Result<()> {
        let mut cmd = Command::new("redis-server");
        cmd.args(["--bind", "127.0.0.1", "--save", "", "--daemonize", "no"])
            .args(["--port", &self.port.to_string()])
            .arg("--dir")
            .arg(&self.dir)
            .arg("--logfile")
            .arg(self.dir.join("redis.log"))
            .args(["--appendonly", if self.persistence == Persistence::AppendOnly { "yes" } else { "no" }]);
        log_to(&mut cmd, &self.dir.join("stdout.log"))?;
        self.proc = Some(Proc::spawn(cmd, "redis-server (is Redis installed?)")?);
        wait_listening(self.port, Duration::from_secs(30), "redis-server").await?;
        // Listening is not loaded: a restart with an append-only file answers LOADING until it is read.
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.cli().command(&["PING"]).await.map(|r| r.trim() != "PONG").unwrap_or(true) {
            if Instant::now() > deadline {
                bail!("redis-server did not answer PING within 60 s; see {}", self.dir.join("redis.log").display());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(())
    }

    /// Kills the server with SIGKILL.
    pub fn kill(&mut self) {
        if let Some(p) = self.proc.take() {
            p.kill();
        }
    }

    /// Starts it again on the same port. With [`Persistence::AppendOnly`] it reads back its append-only
    /// file; with [`Persistence::None`] its directory is emptied first, so it comes back with nothing.
    ///
    /// # Errors
    /// When it does not come back.
    pub async fn restart(&mut self, persistence: Persistence) -> Result<()> {
        self.kill();
        if persistence == Persistence::None {
            for entry in std::fs::read_dir(&self.dir)?.flatten() {
                let path = entry.path();
                let is_log = path.extension().is_some_and(|e| e == "log");
                if path.is_dir() {
                    std::fs::remove_dir_all(&path)?;
                } else if !is_log {
                    std::fs::remove_file(&path)?;
                }
            }
        }
        self.persistence = persistence;
        self.launch().await
    }

    /// The hub's `queue.url`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// A client of this server.
    pub fn cli(&self) -> RedisCli {
        RedisCli { port: self.port }
    }
}

/// Reads the private Redis with `redis-cli`.
#[derive(Debug, Clone)]
pub struct RedisCli {
    port: u16,
}

impl RedisCli {
    /// Runs one command; its raw answer.
    ///
    /// # Errors
    /// When the server does not answer or answers an error.
    pub async fn command(&self, args: &[&str]) -> Result<String> {
        let out = tokio::process::Command::new("redis-cli")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .await
            .context("cannot run redis-cli")?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if !out.status.success() || text.starts_with("ERR") || text.starts_with("LOADING") {
            bail!("redis-cli {args:?}: {}{}", text.trim(), String::from_utf8_lossy(&out.stderr).trim());
        }
        Ok(text)
    }

    /// A command answering an integer.
    ///
    /// # Errors
    /// When it fails or answers something else.
    pub async fn integer(&self, args: &[&str]) -> Result<u64> {
        let answer = self.command(args).await?;
        answer.trim().parse().with_context(|| format!("redis-cli {args:?} answered `{}`", answer.trim()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_output_is_unescaped() {
        assert_eq!(unescape(r"a\tb\nc\\d"), "a\tb\nc\\d");
        assert_eq!(unescape("plain"), "plain");
    }
}
