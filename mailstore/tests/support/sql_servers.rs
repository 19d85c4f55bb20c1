//! Throwaway PostgreSQL and MariaDB servers for the interop tests: each
//! started as an unprivileged user (`nobody`, via `setpriv`, when run as
//! root) in a scratch directory under `CARGO_TARGET_TMPDIR`, listening
//! only on 127.0.0.1 on a port picked here, with the seeds' database
//! account (`post_user`, password `1234`); stopped and removed on drop.
//! Also Postfixadmin's tables as an operator's dump holds them.
//!
//! Shared through `#[path]` by `mailstore/tests/interop_sql.rs` and
//! `examples/tests/interop_mailserver.rs`. A missing server program is a
//! failed test, never a skipped one.
#![allow(dead_code)]

use std::fs::File;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The database account of the seeds' tutorial (`CREATE USER
/// 'post_user'@'localhost' IDENTIFIED BY '1234'`).
pub(crate) const DB_USER: &str = "post_user";
pub(crate) const DB_PASSWORD: &str = "1234";
/// How long a server may take to start, and to stop before SIGKILL.
pub(crate) const STARTUP: Duration = Duration::from_secs(30);
pub(crate) const SHUTDOWN: Duration = Duration::from_secs(10);
/// How long one client-tool run may take.
pub(crate) const CLIENT: Duration = Duration::from_secs(30);

// --- Processes -------------------------------------------------------------

/// Runs `command` with `stdin`, within `limit`; its stdout, or its exit
/// status and output.
pub(crate) fn try_run(
    mut command: Command,
    stdin: &[u8],
    limit: Duration,
) -> Result<String, String> {
    let shown = format!("{command:?}");
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{shown}: {e}"))?;
    let pid = child.id();
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let output = match rx.recv_timeout(limit) {
        Ok(output) => output.map_err(|e| format!("{shown}: {e}"))?,
        Err(_) => {
            signal(pid, "KILL");
            return Err(format!("{shown} did not finish within {limit:?}"));
        }
    };
    let _ = writer.join();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if output.status.success() {
        Ok(stdout)
    } else {
        Err(format!(
            "{shown} failed ({}):\n{stdout}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

pub(crate) fn run(command: Command, stdin: &[u8], limit: Duration) -> String {
    try_run(command, stdin, limit).unwrap_or_else(|e| panic!("{e}"))
}

/// Sends `SIG<name>` to a process.
pub(crate) fn signal(pid: u32, name: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .stderr(Stdio::null())
        .status();
}

pub(crate) fn id(args: &[&str]) -> u32 {
    let mut command = Command::new("id");
    command.args(args);
    run(command, b"", CLIENT).trim().parse().unwrap()
}

/// `nobody`'s uid and gid when we are root (servers must not run as
/// root; PostgreSQL refuses to), `None` otherwise.
pub(crate) fn unprivileged_ids() -> Option<(u32, u32)> {
    (id(&["-u"]) == 0).then(|| (id(&["-u", "nobody"]), id(&["-g", "nobody"])))
}

/// A command that runs `program` as the unprivileged user.
pub(crate) fn unprivileged(program: &Path) -> Command {
    match unprivileged_ids() {
        Some((uid, gid)) => {
            let mut command = Command::new(find(
                "setpriv",
                &["/usr/bin", "/bin"],
                "util-linux (setpriv)",
            ));
            command
                .arg(format!("--reuid={uid}"))
                .arg(format!("--regid={gid}"))
                .arg("--clear-groups")
                .arg("--")
                .arg(program);
            command
        }
        None => Command::new(program),
    }
}

/// Hands a file or directory we created to the unprivileged user.
pub(crate) fn give_away(path: &Path) {
    if let Some((uid, gid)) = unprivileged_ids() {
        std::os::unix::fs::chown(path, Some(uid), Some(gid)).unwrap();
    }
}

/// `name` on PATH or in one of `dirs`; a failed test naming `package` if
/// it is nowhere.
pub(crate) fn find(name: &str, dirs: &[&str], package: &str) -> PathBuf {
    try_find(name, dirs).unwrap_or_else(|| {
        panic!(
            "interop_sql needs `{name}` (Debian package `{package}`), neither on PATH nor in \
             {dirs:?}; scripts/test installs it"
        )
    })
}

pub(crate) fn try_find(name: &str, dirs: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(dirs.iter().map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// The directory of PostgreSQL's server programs: Debian keeps them in
/// `/usr/lib/postgresql/<version>/bin`, off PATH (the newest wins); else
/// PATH.
pub(crate) fn postgres_bindir() -> PathBuf {
    let needed = ["initdb", "postgres", "psql"];
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, bin)| needed.iter().all(|p| bin.join(p).is_file()))
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return bin;
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .find(|dir| needed.iter().all(|p| dir.join(p).is_file()))
        .unwrap_or_else(|| {
            panic!(
                "interop_sql needs PostgreSQL's initdb, postgres and psql (Debian package \
                 `postgresql`), neither in /usr/lib/postgresql/<version>/bin nor on PATH; \
                 scripts/test installs it"
            )
        })
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

// --- Servers ---------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Postgres,
    MariaDb,
}

/// A database server of our own, stopped and removed on drop.
#[derive(Debug)]
pub(crate) struct Server {
    pub(crate) kind: Kind,
    pub(crate) child: Child,
    pub(crate) dir: PathBuf,
    pub(crate) log: PathBuf,
    pub(crate) port: u16,
    /// `psql` or `mariadb`.
    pub(crate) client: PathBuf,
    /// PostgreSQL: the superuser's password; MariaDB: the socket root
    /// logs in through.
    pub(crate) superuser: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        // PostgreSQL's SIGTERM is a "smart" shutdown that waits for every
        // session to end; SIGINT is its fast one. MariaDB's is SIGTERM.
        let name = match self.kind {
            Kind::Postgres => "INT",
            Kind::MariaDb => "TERM",
        };
        signal(self.child.id(), name);
        let deadline = Instant::now() + SHUTDOWN;
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) | Err(_) => break,
                Ok(None) if Instant::now() > deadline => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    eprintln!("{:?} did not stop within {SHUTDOWN:?}: killed", self.kind);
                    break;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
        if std::thread::panicking() {
            eprintln!("--- {:?} server log ---\n{}", self.kind, self.log_tail());
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A fresh scratch directory for `name`, the unprivileged user's.
pub(crate) fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("interop_sql")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    give_away(&dir);
    dir
}

/// A log file the server's output goes to.
pub(crate) fn log_file(dir: &Path) -> (PathBuf, File) {
    let path = dir.join("server.log");
    let file = File::create(&path).unwrap();
    give_away(&path);
    (path, file)
}

impl Server {
    pub(crate) fn postgres() -> Server {
        let bin = postgres_bindir();
        let dir = scratch("postgres");
        let data = dir.join("data");
        let superuser = format!("super-{}", std::process::id());
        let pwfile = dir.join("superuser-password");
        std::fs::write(&pwfile, &superuser).unwrap();
        give_away(&pwfile);
        let mut initdb = unprivileged(&bin.join("initdb"));
        initdb
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "--auth=scram-sha-256", "--no-sync"])
            .args(["--encoding=UTF8", "--locale=C"])
            .arg(format!("--pwfile={}", pwfile.display()));
        run(initdb, b"", Duration::from_secs(60));
        let port = free_port();
        let (log, out) = log_file(&dir);
        let mut postgres = unprivileged(&bin.join("postgres"));
        postgres
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string()])
            .args(["-c", "listen_addresses=127.0.0.1"])
            .args(["-c", "unix_socket_directories="])
            .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
            .args(["-c", "full_page_writes=off"])
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out);
        let child = postgres.spawn().unwrap();
        let mut server = Server {
            kind: Kind::Postgres,
            child,
            dir,
            log,
            port,
            client: bin.join("psql"),
            superuser,
        };
        server.wait_until_ready();
        server.admin(&format!(
            "CREATE ROLE {DB_USER} LOGIN PASSWORD '{DB_PASSWORD}'"
        ));
        server
    }

    pub(crate) fn mariadb() -> Server {
        let sbin = ["/usr/sbin", "/usr/libexec", "/usr/bin"];
        let mariadbd = find("mariadbd", &sbin, "mariadb-server");
        let install = find("mariadb-install-db", &sbin, "mariadb-server");
        let client = find("mariadb", &sbin, "mariadb-client");
        let dir = scratch("mariadb");
        let data = dir.join("data");
        let socket = dir.join("mysqld.sock");
        // Small and unsynced: a throwaway server.
        let tuning = [
            "--innodb-buffer-pool-size=32M",
            "--innodb-log-file-size=8M",
            "--innodb-flush-log-at-trx-commit=0",
            "--innodb-doublewrite=0",
            "--skip-name-resolve",
        ];
        let mut setup = unprivileged(&install);
        setup
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .args(["--auth-root-authentication-method=normal", "--skip-test-db"])
            .args(tuning);
        run(setup, b"", Duration::from_secs(60));
        let port = free_port();
        let (log, out) = log_file(&dir);
        let mut mariadbd = unprivileged(&mariadbd);
        mariadbd
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--socket={}", socket.display()))
            .arg(format!("--pid-file={}", dir.join("mysqld.pid").display()))
            .arg(format!("--port={port}"))
            .args(["--bind-address=127.0.0.1", "--skip-log-bin"])
            .args(tuning)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out);
        let child = mariadbd.spawn().unwrap();
        let mut server = Server {
            kind: Kind::MariaDb,
            child,
            dir,
            log,
            port,
            client,
            superuser: socket.display().to_string(),
        };
        server.wait_until_ready();
        server.admin(&format!(
            "CREATE USER '{DB_USER}'@'%' IDENTIFIED BY '{DB_PASSWORD}'"
        ));
        server
    }

    pub(crate) fn log_tail(&self) -> String {
        let mut text = String::new();
        if let Ok(mut f) = File::open(&self.log) {
            let _ = f.read_to_string(&mut text);
        }
        let start = text.len().saturating_sub(4000);
        let start = (start..text.len())
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        text[start..].to_owned()
    }

    pub(crate) fn wait_until_ready(&mut self) {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "{:?} exited while starting ({status}):\n{}",
                    self.kind,
                    self.log_tail()
                );
            }
            match self.try_admin("SELECT 1") {
                Ok(_) => return,
                Err(e) if started.elapsed() > STARTUP => panic!(
                    "{:?} did not accept connections within {STARTUP:?}: {e}\n{}",
                    self.kind,
                    self.log_tail()
                ),
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// The client tool, logged in as `user` (the superuser if `None`) to
    /// `database`, reading SQL from stdin and printing bare values.
    pub(crate) fn client(&self, user: Option<&str>, database: &str) -> Command {
        let mut command = Command::new(&self.client);
        match self.kind {
            Kind::Postgres => {
                let (user, password) = match user {
                    Some(user) => (user, DB_PASSWORD),
                    None => ("postgres", self.superuser.as_str()),
                };
                command
                    .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-t", "-A"])
                    .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
                    .args(["-U", user, "-d", database, "-f", "-"])
                    .env("PGPASSWORD", password)
                    .env("PGCONNECT_TIMEOUT", "5");
            }
            Kind::MariaDb => {
                command.args(["--no-defaults", "--batch", "--skip-column-names"]);
                command.arg("--connect-timeout=5");
                match user {
                    // The operator's account, over TCP as Postfix would.
                    Some(user) => {
                        command
                            .args(["--protocol=TCP", "-h", "127.0.0.1"])
                            .args(["-P", &self.port.to_string(), "-u", user])
                            .env("MYSQL_PWD", DB_PASSWORD);
                    }
                    None => {
                        command
                            .arg(format!("--socket={}", self.superuser))
                            .args(["-u", "root"]);
                    }
                }
                command.arg(database);
            }
        }
        command
    }

    pub(crate) fn try_admin(&self, sql: &str) -> Result<String, String> {
        let database = match self.kind {
            Kind::Postgres => "postgres",
            Kind::MariaDb => "mysql",
        };
        try_run(self.client(None, database), sql.as_bytes(), CLIENT)
    }

    /// Runs SQL as the superuser.
    pub(crate) fn admin(&self, sql: &str) -> String {
        self.try_admin(sql).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Runs SQL as the operator's account on `database`, through the
    /// client tool; its output, trimmed.
    pub(crate) fn sql(&self, database: &str, sql: &str) -> String {
        run(self.client(Some(DB_USER), database), sql.as_bytes(), CLIENT)
            .trim()
            .to_owned()
    }

    /// A new empty database that the operator's account owns; its URL.
    pub(crate) fn create_database(&self, name: &str) -> String {
        match self.kind {
            Kind::Postgres => {
                self.admin(&format!("CREATE DATABASE {name} OWNER {DB_USER}"));
            }
            Kind::MariaDb => {
                self.admin(&format!(
                    "CREATE DATABASE {name}; GRANT ALL PRIVILEGES ON {name}.* TO '{DB_USER}'@'%'"
                ));
            }
        }
        self.url(name)
    }

    pub(crate) fn url(&self, database: &str) -> String {
        let scheme = match self.kind {
            Kind::Postgres => "postgres",
            Kind::MariaDb => "mysql",
        };
        format!(
            "{scheme}://{DB_USER}:{DB_PASSWORD}@127.0.0.1:{}/{database}",
            self.port
        )
    }
}

/// Postfixadmin's MySQL tables as an old mysqldump of them reads (latin1,
/// zero-date defaults, `tinyint(1)` flags, extra columns of later
/// versions).
pub(crate) const MYSQL_DUMP: &str = "
/*!40101 SET NAMES utf8 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
DROP TABLE IF EXISTS `domain`;
CREATE TABLE `domain` (
  `domain` varchar(255) NOT NULL,
  `description` varchar(255) NOT NULL,
  `aliases` int(10) NOT NULL DEFAULT '0',
  `mailboxes` int(10) NOT NULL DEFAULT '0',
  `maxquota` bigint(20) NOT NULL DEFAULT '0',
  `quota` bigint(20) NOT NULL DEFAULT '0',
  `transport` varchar(255) NOT NULL,
  `backupmx` tinyint(1) NOT NULL DEFAULT '0',
  `created` datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
  `modified` datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
  `active` tinyint(1) NOT NULL DEFAULT '1',
  PRIMARY KEY (`domain`)
) ENGINE=InnoDB DEFAULT CHARSET=latin1 COMMENT='Postfix Admin - Virtual Domains';
DROP TABLE IF EXISTS `mailbox`;
CREATE TABLE `mailbox` (
  `username` varchar(255) NOT NULL,
  `password` varchar(255) NOT NULL,
  `name` varchar(255) CHARACTER SET utf8 NOT NULL,
  `maildir` varchar(255) NOT NULL,
  `quota` bigint(20) NOT NULL DEFAULT '0',
  `local_part` varchar(255) NOT NULL,
  `domain` varchar(255) NOT NULL,
  `created` datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
  `modified` datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
  `active` tinyint(1) NOT NULL DEFAULT '1',
  `phone` varchar(30) CHARACTER SET utf8 NOT NULL DEFAULT '',
  `email_other` varchar(255) NOT NULL DEFAULT '',
  `token` varchar(255) NOT NULL DEFAULT '',
  `token_validity` datetime NOT NULL DEFAULT '2000-01-01 00:00:00',
  PRIMARY KEY (`username`),
  KEY `domain` (`domain`)
) ENGINE=InnoDB DEFAULT CHARSET=latin1 COMMENT='Postfix Admin - Virtual Mailboxes';
DROP TABLE IF EXISTS `alias`;
CREATE TABLE `alias` (
  `address` varchar(255) NOT NULL,
  `goto` text NOT NULL,
  `domain` varchar(255) NOT NULL,
  `created` datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
  `modified` datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
  `active` tinyint(1) NOT NULL DEFAULT '1',
  PRIMARY KEY (`address`),
  KEY `domain` (`domain`)
) ENGINE=InnoDB DEFAULT CHARSET=latin1 COMMENT='Postfix Admin - Virtual Aliases';
/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
";

/// Postfixadmin's PostgreSQL tables: `boolean` flags, time zones, foreign
/// keys to `domain`.
pub(crate) const POSTGRES_DUMP: &str = "
CREATE TABLE domain (
    domain character varying(255) NOT NULL,
    description character varying(255) NOT NULL DEFAULT '',
    aliases integer NOT NULL DEFAULT 0,
    mailboxes integer NOT NULL DEFAULT 0,
    maxquota bigint NOT NULL DEFAULT 0,
    quota bigint NOT NULL DEFAULT 0,
    transport character varying(255) DEFAULT NULL,
    backupmx boolean NOT NULL DEFAULT false,
    created timestamp with time zone DEFAULT now(),
    modified timestamp with time zone DEFAULT now(),
    active boolean NOT NULL DEFAULT true,
    CONSTRAINT domain_key PRIMARY KEY (domain)
);
CREATE TABLE mailbox (
    username character varying(255) NOT NULL,
    password character varying(255) NOT NULL DEFAULT '',
    name character varying(255) NOT NULL DEFAULT '',
    maildir character varying(255) NOT NULL DEFAULT '',
    quota bigint NOT NULL DEFAULT 0,
    local_part character varying(255) NOT NULL,
    domain character varying(255) REFERENCES domain,
    created timestamp with time zone DEFAULT now(),
    modified timestamp with time zone DEFAULT now(),
    active boolean NOT NULL DEFAULT true,
    phone character varying(30) NOT NULL DEFAULT '',
    email_other character varying(255) NOT NULL DEFAULT '',
    token character varying(255) NOT NULL DEFAULT '',
    token_validity timestamp with time zone NOT NULL DEFAULT '2000-01-01 00:00:00+00',
    CONSTRAINT mailbox_key PRIMARY KEY (username)
);
CREATE INDEX mailbox_domain_idx ON mailbox (domain);
CREATE TABLE alias (
    address character varying(255) NOT NULL,
    goto text NOT NULL,
    domain character varying(255) NOT NULL REFERENCES domain,
    created timestamp with time zone DEFAULT now(),
    modified timestamp with time zone DEFAULT now(),
    active boolean NOT NULL DEFAULT true,
    CONSTRAINT alias_key PRIMARY KEY (address)
);
CREATE INDEX alias_address_active ON alias (address, active);
";
