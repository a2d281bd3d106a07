//! Servers of a test's own: a MariaDB and a Redis on a free port and a private directory, which a test may
//! kill (SIGKILL, as a crash or an OOM kill does) and start again on the same data, port and options, to see
//! what the hub does while its database or its queue is gone. Stopping them disturbs no other test. Each is
//! killed, and its directory removed, when dropped.

use std::{
    future::Future,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::helpers::unique;

/// How long a server may take to accept connections (MariaDB recovers InnoDB after a kill first).
const READY_WITHIN: Duration = Duration::from_secs(60);

/// A free TCP port on 127.0.0.1 (free when chosen: the server binds it right after).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A private directory under the system's temporary one.
fn private_dir(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(unique(&format!("hub-{what}-")));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The account the servers run as (`--user`): this one.
fn os_user() -> String {
    std::env::var("USER").ok().filter(|u| !u.is_empty()).unwrap_or_else(|| "root".into())
}

/// Kills `child` with SIGKILL and reaps it.
fn kill_child(child: &mut Option<Child>) {
    if let Some(mut c) = child.take() {
        let _ = c.kill();
        let _ = c.wait();
    }
}

/// Polls `ready` until it holds; panics with `what` and the log at `log` when `child` exits or time runs out.
async fn wait_until_ready<F, Fut>(child: &mut Child, what: &str, log: &Path, ready: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + READY_WITHIN;
    while !tokio::time::timeout(Duration::from_secs(1), ready()).await.unwrap_or(false) {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited with {status}: {}", std::fs::read_to_string(log).unwrap_or_default());
        }
        assert!(Instant::now() < deadline, "{what} not ready within {READY_WITHIN:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A MariaDB server of a test's own (`mariadbd` from the PATH), root without a password on 127.0.0.1.
pub struct PrivateMariaDb {
    dir: PathBuf,
    port: u16,
    child: Option<Child>,
}

#[allow(dead_code, reason = "a shared harness: the chaos suite uses what these tests do not")]
impl PrivateMariaDb {
    /// Initialises a fresh data directory, starts the server on a free port and returns once it accepts
    /// connections.
    pub async fn start() -> Self {
        let dir = private_dir("mariadb");
        let install = tokio::process::Command::new("mariadb-install-db")
            .arg("--no-defaults")
            .arg(format!("--datadir={}", dir.join("data").display()))
            .arg(format!("--user={}", os_user()))
            .args(["--auth-root-authentication-method=normal", "--skip-test-db"])
            .args(Self::server_options())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .await
            .expect("mariadb-install-db on PATH");
        assert!(install.success(), "mariadb-install-db failed: {install}");
        let mut me = Self { dir, port: free_port(), child: None };
        me.start_again().await;
        me
    }

    /// Options given both to the bootstrap and to the server: small logs and buffers (a test's data is
    /// small), and no name resolution (root@127.0.0.1 is granted as such).
    /// `--no-defaults` drops the distribution's configuration, so utf8mb4 is asked for as Debian's
    /// packages (and MySQL 8) set it.
    fn server_options() -> [&'static str; 5] {
        [
            "--skip-name-resolve",
            "--innodb-log-file-size=8M",
            "--innodb-buffer-pool-size=32M",
            "--character-set-server=utf8mb4",
            "--collation-server=utf8mb4_general_ci",
        ]
    }

    /// The server's URL without a database: `mysql://root@127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("mysql://root@127.0.0.1:{}", self.port)
    }

    /// The port it listens on, the same across restarts.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its data directory (which holds its error log, `error.log`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Kills the server with SIGKILL — no shutdown, statements in flight are cut off as in a crash — and
    /// waits for it to exit. Does nothing when it is not running.
    pub fn kill(&mut self) {
        kill_child(&mut self.child);
    }

    /// Starts the server (again) on the same data directory and port, and returns once it accepts
    /// connections; InnoDB first recovers what was committed before a kill.
    pub async fn start_again(&mut self) {
        assert!(self.child.is_none(), "the private MariaDB is already running");
        let log = self.dir.join("error.log");
        let mut child = Command::new("mariadbd")
            .arg("--no-defaults")
            .arg(format!("--datadir={}", self.dir.join("data").display()))
            .arg(format!("--port={}", self.port))
            .arg(format!("--socket={}", self.dir.join("mariadb.sock").display()))
            .arg(format!("--pid-file={}", self.dir.join("mariadb.pid").display()))
            .arg(format!("--log-error={}", log.display()))
            .arg("--bind-address=127.0.0.1")
            .arg(format!("--user={}", os_user()))
            .args(Self::server_options())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mariadbd on PATH");
        // The server greets a client as soon as it listens, which it does once recovery is done.
        let port = self.port;
        wait_until_ready(&mut child, "the private MariaDB", &log, || async move {
            let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)).await else { return false };
            let mut header = [0u8; 4];
            s.read_exact(&mut header).await.is_ok()
        })
        .await;
        self.child = Some(child);
    }

    /// [`Self::kill`], then [`Self::start_again`].
    pub async fn restart(&mut self) {
        self.kill();
        self.start_again().await;
    }
}

impl Drop for PrivateMariaDb {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A Redis server of a test's own (`redis-server` from the PATH).
pub struct PrivateRedis {
    dir: PathBuf,
    port: u16,
    append_only: bool,
    child: Option<Child>,
}

#[allow(dead_code, reason = "a shared harness: the chaos suite uses what these tests do not")]
impl PrivateRedis {
    /// Starts a server on a free port that keeps nothing on disk: a restart empties it.
    pub async fn start() -> Self {
        Self::start_with(false).await
    }

    /// Starts a server on a free port with its append-only file fsynced on every write: a restart keeps
    /// every write it acknowledged.
    pub async fn start_append_only() -> Self {
        Self::start_with(true).await
    }

    async fn start_with(append_only: bool) -> Self {
        let mut me = Self { dir: private_dir("redis"), port: free_port(), append_only, child: None };
        me.start_again().await;
        me
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// The port it listens on, the same across restarts.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its working directory (which holds its log, `redis.log`, and its append-only file).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Kills the server with SIGKILL and waits for it to exit. Does nothing when it is not running.
    pub fn kill(&mut self) {
        kill_child(&mut self.child);
    }

    /// Starts the server (again) on the same directory, port and persistence, and returns once it answers
    /// `PING` (after loading its append-only file, if any).
    pub async fn start_again(&mut self) {
        assert!(self.child.is_none(), "the private Redis is already running");
        let log = self.dir.join("redis.log");
        let mut child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", ""])
            .arg("--dir")
            .arg(&self.dir)
            .arg("--logfile")
            .arg(&log)
            .args(["--appendonly", if self.append_only { "yes" } else { "no" }, "--appendfsync", "always"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server on PATH");
        let port = self.port;
        wait_until_ready(&mut child, "the private Redis", &log, || async move {
            let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)).await else { return false };
            let mut answer = [0u8; 5];
            s.write_all(b"PING\r\n").await.is_ok() && s.read_exact(&mut answer).await.is_ok() && &answer == b"+PONG"
        })
        .await;
        self.child = Some(child);
    }

    /// [`Self::kill`], then [`Self::start_again`].
    pub async fn restart(&mut self) {
        self.kill();
        self.start_again().await;
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
