//! Dovecot's passwd-file: every field, the old and libpam formats, quota
//! rules, errors with their lines, duplicates, per-domain files, reloading
//! (and a broken reload), and passwords through `sasl::CredentialStore`.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use futures_executor::block_on;
use mailstore::ErrorKind;
use mailstore::directory::{Directory, DirectorySource, PasswdFile, QuotaLimit, User};
use sasl::{CredentialStore, PasswordHash, Scheme, Secret};

mod support;

use support::Scratch;

fn open(name: &str, contents: &str) -> (Scratch, PasswdFile) {
    let file = Scratch::new("passwd-file", name, contents);
    let users = PasswdFile::open(&file.0).unwrap();
    (file, users)
}

fn user(source: &PasswdFile, name: &str) -> User {
    block_on(source.user(name))
        .unwrap()
        .unwrap_or_else(|| panic!("no {name}"))
}

/// The error of opening a file with these contents.
fn open_error(name: &str, contents: impl AsRef<[u8]>) -> (Scratch, mailstore::Error) {
    let file = Scratch::new("passwd-file", name, contents);
    let err = PasswdFile::open(&file.0).unwrap_err();
    (file, err)
}

#[test]
fn every_field() {
    let (_f, users) = open(
        "fields",
        "alice@example.org:{PLAIN}secret:5000:5001:Alice A.:/srv/mail/alice:/bin/false:\
         userdb_mail=maildir:~/Maildir userdb_quota_rule=*:storage=1G nologin \
         allow_nets=127.0.0.1/8,::1 userdb_foo=bar userdb_quota_rule2=Trash:storage=+100M\n",
    );
    let alice = user(&users, "alice@example.org");
    assert_eq!(alice.name, "alice@example.org");
    let password = alice.password.as_ref().unwrap();
    assert_eq!(password.scheme(), Scheme::Plain);
    assert!(password.verify(b"secret"));
    assert_eq!(alice.uid, Some(5000));
    assert_eq!(alice.gid, Some(5001));
    assert_eq!(alice.home, Some(PathBuf::from("/srv/mail/alice")));
    assert_eq!(alice.mail.as_deref(), Some("maildir:~/Maildir"));
    assert_eq!(
        alice.quota,
        QuotaLimit {
            bytes: Some(1 << 30),
            messages: None
        }
    );
    assert!(alice.enabled);
    let extra: Vec<(&str, &str)> = alice
        .extra
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        extra,
        [
            ("nologin", ""),
            ("allow_nets", "127.0.0.1/8,::1"),
            ("userdb_foo", "bar"),
            ("userdb_quota_rule2", "Trash:storage=+100M"),
        ]
    );
    assert_eq!(alice.extra("allow_nets"), Some("127.0.0.1/8,::1"));
}

#[test]
fn partial_lines_comments_and_blank_lines() {
    let (_f, users) = open(
        "partial",
        "# a comment\n\
         \n\
         :{PLAIN}nameless\n\
         bare@example.org\n\
         nopass@example.org:\n\
         twofields@example.org:{PLAIN}x\n\
         empty@example.org::::::\n\
         crlf@example.org:{PLAIN}y:7:8\r\n\
         home@example.org:{PLAIN}z:::gecos:/home/h\n\
         Upper@Example.ORG:{PLAIN}u\n\
         #commented@example.org:{PLAIN}c\n",
    );
    for name in [
        "bare@example.org",
        "nopass@example.org",
        "empty@example.org",
    ] {
        let u = user(&users, name);
        assert!(u.password.is_none(), "{name}");
        assert_eq!(
            (u.uid, u.gid, u.home.clone(), u.mail.clone()),
            (None, None, None, None)
        );
        assert!(u.quota.is_unlimited());
        assert!(u.extra.is_empty());
    }
    let two = user(&users, "twofields@example.org");
    assert!(two.password.unwrap().verify(b"x"));
    assert_eq!(two.uid, None);
    let crlf = user(&users, "crlf@example.org");
    assert_eq!((crlf.uid, crlf.gid), (Some(7), Some(8)));
    assert!(crlf.password.unwrap().verify(b"y"));
    let home = user(&users, "home@example.org");
    assert_eq!(home.home, Some(PathBuf::from("/home/h")));
    // Folded key, name as written.
    assert_eq!(user(&users, "upper@example.org").name, "Upper@Example.ORG");
    assert!(
        block_on(users.user("#commented@example.org"))
            .unwrap()
            .is_none()
    );
    assert!(block_on(users.user("")).unwrap().is_none());
    assert!(
        block_on(users.user("nobody@example.org"))
            .unwrap()
            .is_none()
    );
    let names: Vec<String> = users.users().unwrap().into_iter().map(|u| u.name).collect();
    assert_eq!(
        names,
        [
            "bare@example.org",
            "nopass@example.org",
            "twofields@example.org",
            "empty@example.org",
            "crlf@example.org",
            "home@example.org",
            "Upper@Example.ORG",
        ]
    );
}

#[test]
fn old_format_mail_and_userdb_overrides() {
    let (_f, users) = open(
        "old",
        "old@example.org:{PLAIN}p:10:10::/home/old:/bin/false::mbox:~/mail:INBOX=/var/mail/old\n\
         over@example.org:{PLAIN}p:10:10::/home/col::userdb_uid=20 userdb_gid=21 userdb_home=/home/field\n",
    );
    let old = user(&users, "old@example.org");
    assert_eq!(old.mail.as_deref(), Some("mbox:~/mail:INBOX=/var/mail/old"));
    assert!(old.extra.is_empty());
    let over = user(&users, "over@example.org");
    assert_eq!((over.uid, over.gid), (Some(20), Some(21)));
    assert_eq!(over.home, Some(PathBuf::from("/home/field")));
}

#[test]
fn password_formats() {
    let sha = PasswordHash::generate(Scheme::Sha512Crypt, b"pw")
        .unwrap()
        .to_string();
    let bare_sha = sha.strip_prefix("{SHA512-CRYPT}").unwrap().to_owned();
    assert!(bare_sha.starts_with("$6$"));
    let des = PasswordHash::generate(Scheme::DesCrypt, b"pw")
        .unwrap()
        .to_string();
    let bare_des = des.strip_prefix("{DES-CRYPT}").unwrap().to_owned();
    assert_eq!(bare_des.len(), 13);
    let (_f, users) = open(
        "passwords",
        &format!(
            "sha@example.org:{sha}\n\
             crypt@example.org:{bare_sha}\n\
             md5crypt@example.org:$1$FobARdWt$A9vrbQxH8/0dGqJOrXb0u/\n\
             pam34@example.org:098f6bcd4621d373cade4e832627b4f6[34]\n\
             pam13@example.org:{bare_des}[13]\n\
             hex@example.org:{{SHA256.HEX}}9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n"
        ),
    );
    let scheme = |name| user(&users, name).password.unwrap().scheme();
    assert_eq!(scheme("sha@example.org"), Scheme::Sha512Crypt);
    assert_eq!(scheme("crypt@example.org"), Scheme::Crypt);
    assert_eq!(scheme("md5crypt@example.org"), Scheme::Md5Crypt);
    assert_eq!(scheme("pam34@example.org"), Scheme::PlainMd5);
    assert_eq!(scheme("pam13@example.org"), Scheme::Crypt);
    for (name, pw) in [
        ("sha@example.org", "pw"),
        ("crypt@example.org", "pw"),
        ("md5crypt@example.org", "test"),
        ("pam34@example.org", "test"),
        ("pam13@example.org", "pw"),
        ("hex@example.org", "test"),
    ] {
        let hash = user(&users, name).password.unwrap();
        assert!(hash.verify(pw.as_bytes()), "{name}");
        assert!(!hash.verify(b"wrong"), "{name}");
    }
}

#[test]
fn quota_rules() {
    let (_f, users) = open(
        "quota",
        "kib@x.org:::::::userdb_quota_rule=*:storage=100\n\
         bytes@x.org:::::::userdb_quota_rule=*:bytes=100\n\
         units@x.org:::::::userdb_quota_rule=*:storage=2m:messages=1k\n\
         longunit@x.org:::::::userdb_quota_rule=*:storage=3GB\n\
         tera@x.org:::::::userdb_quota_rule=?:storage=1T userdb_quota_rule2=*:messages=500\n\
         override@x.org:::::::userdb_quota_rule=*:storage=1G userdb_quota_rule3=*:storage=2G\n\
         zero@x.org:::::::userdb_quota_rule=*:storage=0:messages=10\n\
         ignore@x.org:::::::userdb_quota_rule=*:storage=1G userdb_quota_rule2=*:ignore\n\
         none@x.org:::::::userdb_quota_rule=*:messages=5 userdb_quota_rule2=none\n\
         mailbox@x.org:::::::userdb_quota_rule=INBOX:storage=+10M userdb_quota_rule2=*:backend=x\n",
    );
    let q = |name: &str| user(&users, name).quota;
    let limit = |bytes, messages| QuotaLimit { bytes, messages };
    assert_eq!(q("kib@x.org"), limit(Some(100 * 1024), None));
    assert_eq!(q("bytes@x.org"), limit(Some(100), None));
    assert_eq!(q("units@x.org"), limit(Some(2 << 20), Some(1024)));
    assert_eq!(q("longunit@x.org"), limit(Some(3 << 30), None));
    assert_eq!(q("tera@x.org"), limit(Some(1 << 40), Some(500)));
    assert_eq!(q("override@x.org"), limit(Some(2 << 30), None));
    assert_eq!(q("zero@x.org"), limit(None, Some(10)));
    assert!(q("ignore@x.org").is_unlimited());
    assert!(q("none@x.org").is_unlimited());
    let mailbox = user(&users, "mailbox@x.org");
    assert!(mailbox.quota.is_unlimited());
    assert_eq!(
        mailbox.extra("userdb_quota_rule"),
        Some("INBOX:storage=+10M")
    );
    assert_eq!(mailbox.extra("userdb_quota_rule2"), Some("*:backend=x"));
}

#[test]
fn errors_name_file_and_line() {
    let cases: &[(&str, &str, usize, &str)] = &[
        (
            "scheme",
            "ok@x.org:{PLAIN}a\n# c\nbad@x.org:{NOSUCH}TopSecret\n",
            3,
            "bad password field",
        ),
        (
            "scheme-enc",
            "bad@x.org:{SHA256.NOPE}TopSecret\n",
            1,
            "bad password field",
        ),
        ("digest", "bad@x.org:TopSecret1234[56]\n", 1, "DIGEST-MD5"),
        ("uid0", "\nroot@x.org:{PLAIN}a:0:0\n", 2, "UID 0"),
        (
            "uid",
            "a@x.org:{PLAIN}a:vmail:10\n",
            1,
            "invalid UID (not a number",
        ),
        (
            "gid",
            "a@x.org:{PLAIN}a:10:-1\n",
            1,
            "invalid GID (not a number",
        ),
        (
            "control",
            "a@x.org:{PLAIN}a\nb\u{0}@x.org:{PLAIN}b\n",
            2,
            "the user name has a control character",
        ),
        (
            "userdb-uid",
            "a@x.org:{PLAIN}a:::::: userdb_uid=x\n",
            1,
            "invalid UID (not a number",
        ),
        (
            "percent",
            "a@x.org:::::::userdb_quota_rule=*:storage=10%\n",
            1,
            "percentage",
        ),
        (
            "plus",
            "a@x.org:::::::userdb_quota_rule=*:storage=+10M\n",
            1,
            "relative",
        ),
        (
            "unit",
            "a@x.org:::::::userdb_quota_rule=*:storage=10X\n",
            1,
            "unknown unit",
        ),
        (
            "limit",
            "a@x.org:::::::userdb_quota_rule=*:size=10\n",
            1,
            "unknown limit 'size'",
        ),
        (
            "nocolon",
            "a@x.org:::::::userdb_quota_rule=10M\n",
            1,
            "no mailbox name",
        ),
        (
            "nonumber",
            "a@x.org:::::::userdb_quota_rule=*:storage=M\n",
            1,
            "no number",
        ),
        (
            "overflow",
            "a@x.org:::::::userdb_quota_rule=*:storage=99999999999999999T\n",
            1,
            "too large",
        ),
    ];
    for &(name, contents, line, what) in cases {
        let (file, err) = open_error(name, contents);
        assert_eq!(err.kind(), ErrorKind::Invalid, "{name}: {err}");
        let context = err.context();
        let prefix = format!("passwd-file {}:{line}: ", file.0.display());
        assert!(context.starts_with(&prefix), "{name}: {context}");
        assert!(context.contains(what), "{name}: {context}");
        assert!(!context.contains("TopSecret"), "{name}: {context}");
    }
    let (file, err) = open_error("utf8", b"a@x.org:{PLAIN}a\nb@x.org:{PLAIN}\xff\n");
    assert_eq!(err.kind(), ErrorKind::Invalid);
    assert_eq!(
        err.context(),
        format!("passwd-file {}:2: not UTF-8", file.0.display())
    );
    let missing = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("passwd-file-does-not-exist");
    let err = PasswdFile::open(&missing).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Temporary);
}

#[test]
fn duplicates_first_wins() {
    let (_f, users) = open(
        "dup",
        "alice@example.org:{PLAIN}first:1:1\nALICE@example.org:{PLAIN}second:2:2\n",
    );
    let alice = user(&users, "alice@example.org");
    assert_eq!(alice.name, "alice@example.org");
    assert_eq!(alice.uid, Some(1));
    assert!(alice.password.unwrap().verify(b"first"));
    assert_eq!(users.users().unwrap().len(), 1);
}

#[test]
fn domains() {
    let (_f, users) = open(
        "domains",
        "a@one.example:{PLAIN}a\nb@Two.Example:{PLAIN}b\nlocal:{PLAIN}c\n",
    );
    assert!(block_on(users.has_domain("one.example")).unwrap());
    assert!(block_on(users.has_domain("two.example")).unwrap());
    assert!(!block_on(users.has_domain("three.example")).unwrap());
    assert!(!block_on(users.has_domain("")).unwrap());
    // A bare name is found only as it is.
    assert_eq!(user(&users, "local").name, "local");
    assert!(block_on(users.user("local@one.example")).unwrap().is_none());
}

#[test]
fn per_domain_file() {
    let file = Scratch::new(
        "passwd-file",
        "per-domain",
        "alice:{PLAIN}a:1:1\nbob@example.org:{PLAIN}b\ncarol@other.org:{PLAIN}c\n",
    );
    let users = PasswdFile::open(&file.0)
        .unwrap()
        .with_domain("Example.ORG");
    assert!(block_on(users.has_domain("example.org")).unwrap());
    assert!(!block_on(users.has_domain("other.org")).unwrap());
    let alice = user(&users, "alice@example.org");
    assert_eq!(alice.name, "alice@example.org");
    assert_eq!(alice.uid, Some(1));
    assert_eq!(user(&users, "bob@example.org").name, "bob@example.org");
    assert!(block_on(users.user("alice")).unwrap().is_none());
    assert!(block_on(users.user("alice@other.org")).unwrap().is_none());
    assert!(block_on(users.user("carol@other.org")).unwrap().is_none());
    let names: Vec<String> = users.users().unwrap().into_iter().map(|u| u.name).collect();
    assert_eq!(
        names,
        ["alice@example.org", "bob@example.org", "carol@other.org"]
    );
}

#[test]
fn reload_when_the_file_changes() {
    let file = Scratch::new("passwd-file", "reload", "");
    file.rewrite("alice@example.org:{PLAIN}old:1:1\n", 1_000_000);
    let users = PasswdFile::open(&file.0)
        .unwrap()
        .with_check_interval(Duration::ZERO);
    assert_eq!(user(&users, "alice@example.org").uid, Some(1));

    // Same size, other mtime.
    file.rewrite("alice@example.org:{PLAIN}new:2:2\n", 1_000_100);
    let alice = user(&users, "alice@example.org");
    assert_eq!(alice.uid, Some(2));
    assert!(alice.password.unwrap().verify(b"new"));

    // A new user, and a new domain.
    file.rewrite(
        "alice@example.org:{PLAIN}new:2:2\nbob@other.org:{PLAIN}b\n",
        1_000_200,
    );
    assert!(block_on(users.has_domain("other.org")).unwrap());
    assert_eq!(user(&users, "bob@other.org").name, "bob@other.org");
    assert!(!users.reload().unwrap(), "nothing changed");

    // Replaced by rename (a new inode), same size and mtime as before.
    let tmp = PathBuf::from(format!("{}.new", file.0.display()));
    std::fs::write(
        &tmp,
        "carol@other.org:{PLAIN}c\nalice@example.org:{PLAIN}n:2:2\n",
    )
    .unwrap();
    std::fs::File::options()
        .write(true)
        .open(&tmp)
        .unwrap()
        .set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_200))
        .unwrap();
    std::fs::rename(&tmp, &file.0).unwrap();
    assert!(block_on(users.user("bob@other.org")).unwrap().is_none());
    assert_eq!(user(&users, "carol@other.org").name, "carol@other.org");
}

#[test]
fn reload_waits_for_the_interval_unless_forced() {
    let file = Scratch::new("passwd-file", "interval", "");
    file.rewrite("alice@example.org:{PLAIN}a:1:1\n", 2_000_000);
    let users = PasswdFile::open(&file.0)
        .unwrap()
        .with_check_interval(Duration::from_secs(3600));
    file.rewrite("alice@example.org:{PLAIN}a:2:2\n", 2_000_100);
    assert_eq!(
        user(&users, "alice@example.org").uid,
        Some(1),
        "checked within the interval"
    );
    assert!(users.reload().unwrap());
    assert_eq!(user(&users, "alice@example.org").uid, Some(2));
}

#[test]
fn broken_reload_is_a_temporary_error_until_fixed() {
    let file = Scratch::new("passwd-file", "broken", "");
    file.rewrite("alice@example.org:{PLAIN}a:1:1\n", 3_000_000);
    let users = PasswdFile::open(&file.0)
        .unwrap()
        .with_check_interval(Duration::ZERO);
    assert!(block_on(users.has_domain("example.org")).unwrap());

    file.rewrite(
        "alice@example.org:{PLAIN}a:1:1\nbob@example.org:{BOGUS}b\n",
        3_000_100,
    );
    for _ in 0..2 {
        let err = block_on(users.user("alice@example.org")).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Temporary);
        assert!(err.context().contains(":2: bad password field"), "{err}");
        assert_eq!(
            block_on(users.has_domain("example.org"))
                .unwrap_err()
                .kind(),
            ErrorKind::Temporary
        );
        assert_eq!(users.users().unwrap_err().kind(), ErrorKind::Temporary);
    }
    // The directory (and so SASL) fails too, rather than serve the old file.
    let directory = Directory::new(users);
    assert!(block_on(directory.verify_password("alice@example.org", &Secret::from("a"))).is_err());

    // Fixed: served again.
    file.rewrite(
        "alice@example.org:{PLAIN}a:1:1\nbob@example.org:{PLAIN}b\n",
        3_000_200,
    );
    assert!(block_on(directory.verify_password("bob@example.org", &Secret::from("b"))).unwrap());

    // Removed: temporary failure; back: served.
    let saved = std::fs::read(&file.0).unwrap();
    std::fs::remove_file(&file.0).unwrap();
    let err = block_on(directory.user("alice@example.org")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Temporary);
    std::fs::write(&file.0, saved).unwrap();
    assert!(
        block_on(directory.user("alice@example.org"))
            .unwrap()
            .is_some()
    );
}

#[test]
fn sasl_verify_password() {
    let sha = PasswordHash::generate(Scheme::Sha512Crypt, b"sha pass").unwrap();
    let bcrypt = PasswordHash::generate(Scheme::BlfCrypt, b"bcrypt pass")
        .unwrap()
        .to_string();
    let bare_bcrypt = bcrypt.strip_prefix("{BLF-CRYPT}").unwrap();
    assert!(bare_bcrypt.starts_with("$2y$"), "{bare_bcrypt}");
    let sha6 = PasswordHash::generate(Scheme::Sha512Crypt, b"crypt6 pass")
        .unwrap()
        .to_string();
    let bare_sha6 = sha6.strip_prefix("{SHA512-CRYPT}").unwrap();
    let file = Scratch::new(
        "passwd-file",
        "sasl",
        format!(
            "plain@example.org:{{PLAIN}}plain pass\n\
             sha@example.org:{sha}\n\
             bcrypt@example.org:{bare_bcrypt}\n\
             crypt6@example.org:{bare_sha6}\n\
             nopass@example.org:::::::nopassword\n"
        ),
    );
    let directory = Directory::new(PasswdFile::open(&file.0).unwrap());
    let verify = |user: &str, pw: &str| {
        block_on(directory.verify_password(user, &Secret::from(pw))).unwrap()
    };
    for (user, pw) in [
        ("plain@example.org", "plain pass"),
        ("Sha@Example.org", "sha pass"),
        ("bcrypt@example.org", "bcrypt pass"),
        ("crypt6@example.org", "crypt6 pass"),
    ] {
        assert!(verify(user, pw), "{user}");
        assert!(!verify(user, "wrong"), "{user}");
        assert!(!verify(user, ""), "{user}");
    }
    // No password: nobody logs in, whatever `nopassword` says.
    assert!(!verify("nopass@example.org", ""));
    assert!(!verify("nopass@example.org", "anything"));
    assert!(!verify("nobody@example.org", "plain pass"));
}
