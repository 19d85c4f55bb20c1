//! The passwd-file and aliases readers against the real thing: Dovecot
//! 2.3 (`doveadm user`, `doveadm auth test`) reads the same passwd-file,
//! Postfix's `postalias` the same aliases file. A missing tool fails the
//! test; every subprocess runs under a timeout.
#![cfg(feature = "interop")]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use futures_executor::block_on;
use mailstore::directory::{AliasFile, Directory, DirectorySource, PasswdFile};
use sasl::{CredentialStore, PasswordHash, Scheme, Secret};

const DOVECOT: &str = "/usr/sbin/dovecot";
const DOVEADM: &str = "/usr/bin/doveadm";
const POSTALIAS: &str = "/usr/sbin/postalias";
const TIMEOUT: Duration = Duration::from_secs(20);

fn require(tool: &str) {
    assert!(
        Path::new(tool).exists(),
        "{tool} is not installed: the interop tests need it (install dovecot-core / postfix)"
    );
}

/// A scratch directory, removed when dropped.
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new(name: &str) -> ScratchDir {
        let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("interop-dirfiles-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        ScratchDir(path)
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs a command to completion, killing it after [`TIMEOUT`].
fn run(cmd: &mut Command) -> Output {
    let what = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not finish within {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A running Dovecot, stopped with SIGTERM when dropped.
struct Dovecot {
    child: Child,
    conf: PathBuf,
    dir: PathBuf,
}

impl Dovecot {
    fn start(dir: &Path, users: &Path) -> Dovecot {
        require(DOVECOT);
        require(DOVEADM);
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let conf = dir.join("dovecot.conf");
        std::fs::create_dir_all(dir.join("run")).unwrap();
        std::fs::create_dir_all(dir.join("state")).unwrap();
        std::fs::write(
            &conf,
            format!(
                "base_dir = {dir}/run\n\
                 state_dir = {dir}/state\n\
                 log_path = {dir}/dovecot.log\n\
                 protocols = imap\n\
                 listen = 127.0.0.1\n\
                 service imap-login {{\n  inet_listener imap {{\n    port = {port}\n  }}\n  \
                 inet_listener imaps {{\n    port = 0\n  }}\n}}\n\
                 ssl = no\n\
                 default_internal_user = nobody\n\
                 default_login_user = nobody\n\
                 auth_mechanisms = plain\n\
                 auth_failure_delay = 0\n\
                 passdb {{\n  driver = passwd-file\n  args = {users}\n}}\n\
                 userdb {{\n  driver = passwd-file\n  args = {users}\n}}\n",
                dir = dir.display(),
                users = users.display(),
            ),
        )
        .unwrap();
        let child = Command::new(DOVECOT)
            .arg("-c")
            .arg(&conf)
            .arg("-F")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot start dovecot");
        let mut dovecot = Dovecot {
            child,
            conf,
            dir: dir.to_owned(),
        };
        // Ready when the auth socket answers.
        let start = Instant::now();
        loop {
            if let Some(status) = dovecot.child.try_wait().unwrap() {
                panic!("dovecot exited with {status}: {}", dovecot.log());
            }
            if dovecot
                .doveadm(&["user", "-u", "*"])
                .status
                .code()
                .is_some()
                && dir.join("run/auth-userdb").exists()
            {
                break;
            }
            assert!(
                start.elapsed() < TIMEOUT,
                "dovecot did not start: {}",
                dovecot.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        dovecot
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("dovecot.log")).unwrap_or_default()
    }

    fn doveadm(&self, args: &[&str]) -> Output {
        run(Command::new(DOVEADM).arg("-c").arg(&self.conf).args(args))
    }

    /// `doveadm user USER` as field → value.
    fn user(&self, user: &str) -> Option<Vec<(String, String)>> {
        let out = self.doveadm(&["user", user]);
        match out.status.code() {
            Some(0) => {}
            // EX_NOUSER
            Some(67) => return None,
            other => panic!(
                "doveadm user {user}: {other:?}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        }
        let text = String::from_utf8(out.stdout).unwrap();
        Some(
            text.lines()
                .skip(1) // "field\tvalue"
                .filter_map(|l| l.split_once('\t'))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        )
    }

    /// Whether `doveadm auth test` accepts the password.
    fn auth(&self, user: &str, password: &str) -> bool {
        let out = self.doveadm(&["auth", "test", user, password]);
        match out.status.code() {
            Some(0) => true,
            Some(77) => false,
            other => panic!(
                "doveadm auth test {user}: {other:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let start = Instant::now();
        while start.elapsed() < TIMEOUT {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn passwd_file_agrees_with_dovecot() {
    let dir = ScratchDir::new("dovecot");
    let sha = PasswordHash::generate(Scheme::Sha512Crypt, b"sha pass").unwrap();
    let sha6 = PasswordHash::generate(Scheme::Sha512Crypt, b"crypt6 pass")
        .unwrap()
        .to_string();
    let bare_sha6 = sha6.strip_prefix("{SHA512-CRYPT}").unwrap();
    let bcrypt = PasswordHash::generate(Scheme::BlfCrypt, b"bcrypt pass")
        .unwrap()
        .to_string();
    let bare_bcrypt = bcrypt.strip_prefix("{BLF-CRYPT}").unwrap();
    let home = |u: &str| dir.0.join(u).display().to_string();
    let users_path = dir.0.join("users");
    std::fs::write(
        &users_path,
        format!(
            "# interop accounts\n\
             alice@example.org:{{PLAIN}}alice pass:65534:65534:Alice:{alice}::userdb_mail=maildir:~/Maildir userdb_quota_rule=*:storage=1G userdb_quota_rule2=*:messages=100\n\
             \n\
             sha@example.org:{sha}:65534:65534::{sha_home}\n\
             crypt6@example.org:{bare_sha6}:65534:65534::{crypt6_home}:/bin/false:userdb_quota_rule=*:storage=2048\n\
             bcrypt@example.org:{bare_bcrypt}:65534:65534::{bcrypt_home}\n\
             old@example.org:{{PLAIN}}old pass:65534:65534::{old_home}:/bin/false::mbox:~/mail:INBOX=/tmp/inbox\n\
             over@example.org:{{PLAIN}}over pass:65534:65534::{over_home}::userdb_home={over_home}2 userdb_mail=maildir:/tmp/over\n\
             empty@example.org::65534:65534::{empty_home}\n\
             nopw@example.org::65534:65534::{nopw_home}::nopassword\n\
             dup@example.org:{{PLAIN}}first:65534:65534::{dup_home}\n\
             dup@example.org:{{PLAIN}}second:65534:65534::{dup_home}x\n",
            alice = home("alice"),
            sha_home = home("sha"),
            crypt6_home = home("crypt6"),
            bcrypt_home = home("bcrypt"),
            old_home = home("old"),
            over_home = home("over"),
            empty_home = home("empty"),
            nopw_home = home("nopw"),
            dup_home = home("dup"),
        ),
    )
    .unwrap();
    let ours = PasswdFile::open(&users_path).unwrap();
    let dovecot = Dovecot::start(&dir.0, &users_path);

    let names = [
        "alice@example.org",
        "sha@example.org",
        "crypt6@example.org",
        "bcrypt@example.org",
        "old@example.org",
        "over@example.org",
        "empty@example.org",
        "nopw@example.org",
        "dup@example.org",
    ];
    for name in names {
        let theirs = dovecot
            .user(name)
            .unwrap_or_else(|| panic!("dovecot does not know {name}"));
        let field = |k: &str| {
            theirs
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        let user = block_on(ours.user(name)).unwrap().unwrap();
        assert_eq!(field("uid"), user.uid.map(|u| u.to_string()), "{name} uid");
        assert_eq!(field("gid"), user.gid.map(|g| g.to_string()), "{name} gid");
        assert_eq!(
            field("home"),
            user.home.as_ref().map(|h| h.display().to_string()),
            "{name} home"
        );
        // An empty `mail` is the global default, which is empty here.
        let mail = field("mail").filter(|m| !m.is_empty());
        assert_eq!(mail, user.mail, "{name} mail");
        // Dovecot passes the rules on as strings; read them our way.
        let mut expected = (None, None);
        for (key, rule) in &theirs {
            if key.starts_with("quota_rule") {
                for limit in rule.strip_prefix("*:").unwrap().split(':') {
                    let (k, v) = limit.split_once('=').unwrap();
                    match (k, v) {
                        ("storage", "1G") => expected.0 = Some(1u64 << 30),
                        ("storage", "2048") => expected.0 = Some(2048 * 1024),
                        ("messages", n) => expected.1 = Some(n.parse::<u64>().unwrap()),
                        other => panic!("unexpected rule {other:?}"),
                    }
                }
            }
        }
        assert_eq!(
            (user.quota.bytes, user.quota.messages),
            expected,
            "{name} quota"
        );
    }
    assert!(dovecot.user("nobody@example.org").is_none());
    assert!(block_on(ours.user("nobody@example.org")).unwrap().is_none());

    let directory = Directory::new(ours);
    let verify = |user: &str, pw: &str| {
        block_on(directory.verify_password(user, &Secret::from(pw))).unwrap()
    };
    for (user, password) in [
        ("alice@example.org", "alice pass"),
        ("sha@example.org", "sha pass"),
        ("crypt6@example.org", "crypt6 pass"),
        ("bcrypt@example.org", "bcrypt pass"),
        ("old@example.org", "old pass"),
        ("dup@example.org", "first"),
        ("dup@example.org", "second"),
        ("empty@example.org", "x"),
        ("nobody@example.org", "x"),
    ] {
        for pw in [password, "wrong"] {
            assert_eq!(
                verify(user, pw),
                dovecot.auth(user, pw),
                "{user} with {pw:?}: {}",
                dovecot.log()
            );
        }
    }
    assert!(verify("dup@example.org", "first"));
    // The one deliberate difference: Dovecot's `nopassword` accepts any
    // password; this reader keeps the account without a password.
    assert!(dovecot.auth("nopw@example.org", "anything"));
    assert!(!verify("nopw@example.org", "anything"));
}

#[test]
fn aliases_file_agrees_with_postalias() {
    require(POSTALIAS);
    let dir = ScratchDir::new("postalias");
    std::fs::write(
        dir.0.join("main.cf"),
        format!(
            "compatibility_level = 3.6\n\
             maillog_file_prefixes = {d}\n\
             maillog_file = {d}/maillog\n",
            d = dir.0.display()
        ),
    )
    .unwrap();
    let aliases = dir.0.join("aliases");
    // Only bare names: postalias refuses others ("name must be local").
    std::fs::write(
        &aliases,
        "# system aliases\n\
         postmaster: root\n\
         root: alice@example.org, bob\n\
         \n\
         team: alice@example.org,\n\
         \x20 # an indented comment\n\
         \n\
         \tbob@example.org ,\n\
         \x20 carol@example.net,\n\
         \"quoted name\": a, \"b c\"@example.org ,, d@example.org\n\
         Mixed: M@Example.ORG\r\n\
         dup: first@example.org\n\
         dup: second@example.org\n\
         spaced :   s@example.org\n",
    )
    .unwrap();
    let ours = AliasFile::open(&aliases).unwrap();
    let out = run(Command::new(POSTALIAS).arg("-c").arg(&dir.0).arg(&aliases));
    assert!(
        out.status.success(),
        "postalias failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let entries = ours.entries().unwrap();
    assert_eq!(entries.len(), 7);
    for (key, targets) in &entries {
        let out = run(Command::new(POSTALIAS)
            .arg("-c")
            .arg(&dir.0)
            .arg("-q")
            .arg(key)
            .arg(format!("hash:{}", aliases.display())));
        assert!(
            out.status.success(),
            "postalias -q {key}: {:?} {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let theirs: Vec<&str> = text
            .trim_end_matches('\n')
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect();
        assert_eq!(&theirs, targets, "{key}");
        // Through the directory interface, bare targets get the domain.
        let looked_up = block_on(ours.alias(&format!("{key}@example.com")))
            .unwrap()
            .unwrap();
        let qualified: Vec<String> = theirs
            .iter()
            .map(|t| {
                if t.contains('@') {
                    t.to_string()
                } else {
                    format!("{t}@example.com")
                }
            })
            .collect();
        assert_eq!(looked_up, qualified, "{key}");
    }
    // Keys are folded on both sides; unknown keys are unknown to both.
    for (key, known) in [("MIXED", true), ("Dup", true), ("nobody", false)] {
        let out = run(Command::new(POSTALIAS)
            .arg("-c")
            .arg(&dir.0)
            .arg("-q")
            .arg(key)
            .arg(format!("hash:{}", aliases.display())));
        assert_eq!(out.status.success(), known, "postalias -q {key}");
        let folded = key.to_ascii_lowercase();
        assert_eq!(
            block_on(ours.alias(&folded)).unwrap().is_some(),
            known,
            "{key}"
        );
    }
    // Both keep the first of a duplicate.
    assert_eq!(
        block_on(ours.alias("dup")).unwrap().unwrap(),
        ["first@example.org"]
    );
}
