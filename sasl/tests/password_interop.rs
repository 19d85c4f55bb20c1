//! Hashes we generate, checked by the real tools: `doveadm pw -t` for every
//! scheme, and passlib (libxcrypt and argon2-cffi behind it) for the crypt
//! family, Argon2 and the LDAP-style digests. A missing tool fails the test
//! with the package to install; nothing is skipped.
#![cfg(feature = "interop")]

mod password_support;

use std::io::Write as _;
use std::process::{Command, Stdio};

use password_support::{assert_none, failures, wrong_password};
use sasl::password::{PasswordHash, Scheme};

const PASSWORDS: &[&str] = &[
    "pencil",
    "",
    " ",
    "pässwörd 密码🔑",
    "correct horse battery staple",
];

/// Fails with the Debian package (or pip package) to install.
fn require(program: &str, args: &[&str], install: &str) {
    let ok = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|out| out.status.success());
    assert!(
        ok,
        "`{program} {}` is not usable here: {install}",
        args.join(" ")
    );
}

/// Our hashes for every scheme and password (Argon2 for one password: slow
/// in debug builds).
fn generated() -> Vec<(Scheme, &'static str, String)> {
    let jobs: Vec<(Scheme, &str)> = Scheme::ALL
        .iter()
        .flat_map(|&scheme| PASSWORDS.iter().map(move |&pw| (scheme, pw)))
        .filter(|(s, pw)| !matches!(s, Scheme::Argon2i | Scheme::Argon2id) || *pw == PASSWORDS[3])
        .collect();
    let hashes = std::sync::Mutex::new(Vec::new());
    assert_none(
        "generate",
        failures(&jobs, |&(scheme, password)| {
            match PasswordHash::generate(scheme, password.as_bytes()) {
                Ok(hash) => {
                    hashes
                        .lock()
                        .unwrap()
                        .push((scheme, password, hash.to_string()));
                    None
                }
                Err(err) => Some(format!("{scheme}: {err}")),
            }
        }),
    );
    hashes.into_inner().unwrap()
}

/// `doveadm pw -t`: exit 0 and "(verified)" when the password matches.
fn doveadm_verifies(stored: &str, password: &str) -> bool {
    // -c /dev/null: no dovecot.conf (or permission to read it) needed.
    let out = Command::new("doveadm")
        .args(["-c", "/dev/null", "pw", "-t", stored, "-p", password])
        .stdin(Stdio::null())
        .output()
        .expect("doveadm runs");
    out.status.success() && String::from_utf8_lossy(&out.stdout).contains("(verified)")
}

#[test]
fn doveadm_verifies_our_hashes() {
    require(
        "doveadm",
        &["-c", "/dev/null", "pw", "-l"],
        "apt-get install dovecot-core",
    );
    let listed = Command::new("doveadm")
        .args(["-c", "/dev/null", "pw", "-l"])
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout).to_string();
    for &scheme in Scheme::ALL {
        assert!(
            listed.split_whitespace().any(|name| name == scheme.name()),
            "doveadm lacks {scheme} (ARGON2* need a dovecot-core built with libsodium)"
        );
    }
    let hashes = generated();
    assert_none(
        "doveadm pw -t",
        failures(&hashes, |(scheme, password, stored)| {
            if !doveadm_verifies(stored, password) {
                return Some(format!("{scheme} {password:?}: doveadm refused {stored}"));
            }
            if doveadm_verifies(stored, &wrong_password(password)) {
                return Some(format!(
                    "{scheme} {password:?}: doveadm took a wrong password"
                ));
            }
            None
        }),
    );
}

/// passlib handler for the data of our hash, if passlib knows the format.
fn passlib_handler(scheme: Scheme, stored: &str) -> Option<(&'static str, String)> {
    let data = stored[stored.find('}')? + 1..].to_owned();
    let with_prefix = |name: &str| format!("{{{name}}}{data}");
    Some(match scheme {
        Scheme::DesCrypt => ("des_crypt", data),
        Scheme::Md5 | Scheme::Md5Crypt => ("md5_crypt", data),
        Scheme::Sha256Crypt => ("sha256_crypt", data),
        Scheme::Sha512Crypt => ("sha512_crypt", data),
        Scheme::Crypt | Scheme::BlfCrypt => ("bcrypt", data),
        Scheme::Argon2i | Scheme::Argon2id => ("argon2", data),
        Scheme::Ssha => ("ldap_salted_sha1", with_prefix("SSHA")),
        Scheme::Ssha256 => ("ldap_salted_sha256", with_prefix("SSHA256")),
        Scheme::Ssha512 => ("ldap_salted_sha512", with_prefix("SSHA512")),
        Scheme::Smd5 => ("ldap_salted_md5", with_prefix("SMD5")),
        Scheme::Sha1 => ("ldap_sha1", with_prefix("SHA")),
        Scheme::LdapMd5 => ("ldap_md5", with_prefix("MD5")),
        Scheme::PlainMd5 => ("ldap_hex_md5", with_prefix("MD5")),
        _ => return None,
    })
}

#[test]
fn passlib_verifies_our_crypt_argon2_and_ldap_hashes() {
    require("python3", &["--version"], "apt-get install python3");
    let passlib = "pip install passlib (or apt-get install python3-passlib)";
    require("python3", &["-c", "import passlib.hash"], passlib);
    let argon2 = "pip install argon2-cffi (or apt-get install python3-argon2)";
    require("python3", &["-c", "import argon2"], argon2);
    let hashes = generated();
    // One line per check: handler, password, hash; tab-separated, UTF-8.
    let mut lines = String::new();
    let mut labels = Vec::new();
    for (scheme, password, stored) in &hashes {
        if let Some((handler, data)) = passlib_handler(*scheme, stored) {
            for (candidate, expected) in [
                (password.to_string(), true),
                (wrong_password(password), false),
            ] {
                lines.push_str(&format!("{handler}\t{candidate}\t{data}\n"));
                labels.push((format!("{scheme} {candidate:?} {stored}"), expected));
            }
        }
    }
    assert!(
        labels.len() >= 100,
        "too few passlib checks: {}",
        labels.len()
    );
    let script = "import sys, passlib.hash as h\n\
        for line in sys.stdin.read().split('\\n')[:-1]:\n\
        \x20   handler, password, data = line.split('\\t')\n\
        \x20   print(int(getattr(h, handler).verify(password, data)))\n";
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(lines.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "passlib failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verdicts: Vec<bool> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l == "1")
        .collect();
    assert_eq!(verdicts.len(), labels.len());
    let wrong: Vec<String> = labels
        .iter()
        .zip(&verdicts)
        .filter(|((_, expected), got)| expected != *got)
        .map(|((label, expected), _)| format!("{label}: passlib said {}", !expected))
        .collect();
    assert_none("passlib", wrong);
}
