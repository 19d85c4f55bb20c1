//! What the load examples that run a real peer beside our server share:
//! CPU accounting from /proc, a scratch directory, and Dovecot started
//! from a throwaway configuration. Included by each example with
//! `#[path = "support/mod.rs"] mod support;` (a directory without a
//! `main.rs` is no example of its own).

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Clock ticks per second in /proc's CPU times.
pub(crate) const TICKS_PER_SECOND: f64 = 100.0;

/// utime + stime (+ cutime + cstime) of a process, in clock ticks.
pub(crate) fn ticks_of(stat: &str, with_children: bool) -> u64 {
    // The command name is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')').map_or(0, |i| i + 2)..];
    let fields: Vec<u64> = rest
        .split(' ')
        .skip(11)
        .take(4)
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    let own = fields.first().copied().unwrap_or(0) + fields.get(1).copied().unwrap_or(0);
    let reaped = fields.get(2).copied().unwrap_or(0) + fields.get(3).copied().unwrap_or(0);
    if with_children { own + reaped } else { own }
}

/// CPU of this process (where our server runs), not counting reaped
/// children (the load generators and clients).
pub(crate) fn self_ticks() -> u64 {
    ticks_of(&fs::read_to_string("/proc/self/stat").expect("stat"), false)
}

/// CPU of `root` and every process below it, reaped children included.
pub(crate) fn tree_ticks(root: u32) -> u64 {
    tree_pids(root)
        .into_iter()
        .filter_map(|pid| fs::read_to_string(format!("/proc/{pid}/stat")).ok())
        .map(|stat| ticks_of(&stat, true))
        .sum()
}

/// `root` and its descendants, as /proc shows them now.
pub(crate) fn tree_pids(root: u32) -> Vec<u32> {
    let mut parents = Vec::new();
    for entry in fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // The command name is in parentheses and may hold spaces.
        let rest = &stat[stat.rfind(')').map_or(0, |i| i + 2)..];
        let ppid: u32 = rest
            .split(' ')
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        parents.push((pid, ppid));
    }
    let mut found = vec![root];
    let mut i = 0;
    while let Some(&pid) = found.get(i) {
        found.extend(parents.iter().filter(|(_, p)| *p == pid).map(|(c, _)| *c));
        i += 1;
    }
    found
}

/// A directory under the system's temporary directory, removed on drop.
pub(crate) struct Scratch(pub(crate) PathBuf);

impl Scratch {
    /// `mailwright-<tag>-<pid>`, empty.
    pub(crate) fn new(tag: &str) -> Scratch {
        let path = std::env::temp_dir().join(format!("mailwright-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("scratch");
        Scratch(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Dovecot on a loopback port from a throwaway config in `dir`, serving
/// `<dir>/<domain>/<local>/Maildir` to the users of a passwd-file; killed
/// on drop.
pub(crate) struct Dovecot {
    /// Its master process.
    pub(crate) child: Child,
    /// The port of its one listener.
    pub(crate) port: u16,
}

impl Dovecot {
    /// Starts `binary` with the common settings and `service(port)`: the
    /// protocol's own lines (`protocols = …`, its service block).
    pub(crate) fn start(
        binary: &Path,
        dir: &Path,
        users: &Path,
        service: impl Fn(u16) -> String,
    ) -> Dovecot {
        let port = TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port();
        fs::create_dir_all(dir.join("run")).expect("run dir");
        let conf = dir.join("dovecot.conf");
        fs::write(
            &conf,
            format!(
                "base_dir = {d}/run\nstate_dir = {d}/run\nlog_path = {d}/log\n\
                 listen = 127.0.0.1\nssl = no\n\
                 default_internal_user = nobody\ndefault_login_user = nobody\n\
                 mail_location = maildir:{d}/%d/%n/Maildir\n\
                 passdb {{\n  driver = passwd-file\n  args = {users}\n}}\n\
                 userdb {{\n  driver = passwd-file\n  args = {users}\n}}\n{service}",
                d = dir.display(),
                users = users.display(),
                service = service(port),
            ),
        )
        .expect("dovecot.conf");
        // The mail belongs to nobody, as the passwd-file says.
        let _ = Command::new("chown")
            .args(["-R", "nobody:nogroup"])
            .arg(dir)
            .status();
        if let Some(parent) = dir.parent() {
            let _ = Command::new("chmod").args(["755"]).arg(parent).status();
        }
        let child = Command::new(binary)
            .arg("-c")
            .arg(&conf)
            .arg("-F")
            .stdin(Stdio::null())
            .spawn()
            .expect("start dovecot");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "dovecot did not listen; its log: {}",
                fs::read_to_string(dir.join("log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Dovecot { child, port }
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}
