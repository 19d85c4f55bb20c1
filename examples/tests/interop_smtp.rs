//! `smtp-sink` against real SMTP clients: Python's smtplib, swaks, curl,
//! GNU SASL and Postfix's smtp-source (feature `interop`; scripts/test installs the
//! tools). A missing tool fails the test, naming the package to install.
//!
//! Every test starts its own sink on a loopback port and checks what the
//! sink stored — content and envelope — not just the client's exit code.

mod support;

use std::collections::HashSet;
use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::{Message, Scratch, Sink};

/// The path of `program`, or a panic naming the Debian package that has it.
fn tool(program: &str, package: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    // Postfix's tools live in /usr/sbin, which not every PATH includes.
    let dirs = std::env::split_paths(&path).chain([PathBuf::from("/usr/sbin")]);
    for dir in dirs {
        let candidate = dir.join(program);
        if candidate.is_file() {
            return candidate;
        }
    }
    panic!(
        "{program} not found: install the Debian package `{package}` \
         (scripts/test installs the interop tools)"
    );
}

/// Runs `command` to its end (at most `limit`), returning its output.
fn run(mut command: Command, limit: Duration) -> Output {
    let description = format!("{command:?}");
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot run {description}: {error}"));
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stdout.read_to_end(&mut bytes);
        bytes
    });
    let err = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stderr.read_to_end(&mut bytes);
        bytes
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{description} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// Runs `command` and fails the test unless it succeeds; returns its
/// standard output and error together (for transcripts).
fn run_ok(command: Command) -> String {
    let description = format!("{command:?}");
    let output = run(command, Duration::from_secs(60));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "{description} failed ({}):\n{text}",
        output.status
    );
    text
}

/// A message with CRLF line endings, lines that need dot-stuffing and 8-bit
/// text; written to `dir/message.eml`.
fn message_file(scratch: &Scratch, tag: &str) -> (PathBuf, Vec<u8>) {
    let mut message = format!(
        "From: A <a@example.com>\r\nTo: B <b@example.com>\r\nSubject: interop {tag}\r\n\
         Message-ID: <{tag}@client.example>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    )
    .into_bytes();
    message.extend_from_slice(b".a line that starts with a dot\r\n..and one with two\r\n");
    message.extend_from_slice("gr\u{fc}\u{df}e aus M\u{fc}nchen\r\n".as_bytes());
    for i in 0..300 {
        message.extend_from_slice(format!("line {i}: the quick brown fox\r\n").as_bytes());
    }
    message.extend_from_slice(b"-- \r\nend\r\n");
    let path = scratch.path("message.eml");
    std::fs::write(&path, &message).expect("write message");
    (path, message)
}

/// A certificate for 127.0.0.1 and localhost, written as PEM files, so
/// clients that verify (Python) can trust exactly it.
fn certificate(scratch: &Scratch) -> (PathBuf, PathBuf) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .expect("generate certificate");
    let cert = scratch.path("cert.pem");
    let key = scratch.path("key.pem");
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.key_pair.serialize_pem()).unwrap();
    (cert, key)
}

// ---------------------------------------------------------------- Python

const SMTPLIB: &str = r#"
import smtplib, ssl, sys

port, mode, mech, cafile, message_path = sys.argv[1:6]
user, password = "tim", "secret"
with open(message_path, "rb") as f:
    message = f.read()
context = ssl.create_default_context(cafile=cafile) if cafile != "-" else None
if mode == "smtps":
    s = smtplib.SMTP_SSL("127.0.0.1", int(port), context=context, timeout=30)
else:
    s = smtplib.SMTP("127.0.0.1", int(port), timeout=30)
s.ehlo("client.example")
if mode == "starttls":
    assert s.has_extn("starttls"), s.esmtp_features
    assert not s.has_extn("auth"), "AUTH offered before TLS"
    code, _ = s.starttls(context=context)
    assert code == 220, code
    s.ehlo("client.example")
    assert not s.has_extn("starttls")
if mech == "login()":
    # smtplib picks the mechanism itself (CRAM-MD5 first).
    code, _ = s.login(user, password)
    assert code == 235, code
elif mech != "-":
    offered = s.esmtp_features["auth"].split()
    assert mech in offered, offered
    method = getattr(s, "auth_" + mech.lower().replace("-", "_"))
    s.user, s.password = user, "wrong"
    try:
        s.auth(mech, method)
        sys.exit("a wrong password was accepted")
    except smtplib.SMTPAuthenticationError as e:
        assert e.smtp_code == 535, e
    s.user, s.password = user, password
    code, _ = s.auth(mech, method)
    assert code == 235, code
refused = s.sendmail("a@example.com", ["b@example.com", "c@example.org"], message)
assert refused == {}, refused
s.quit()
print("sent")
"#;

/// Sends the message file with smtplib; `mode` is plain, starttls or
/// smtps, `mech` an AUTH mechanism, `login()` or `-`.
fn smtplib(name: &str, mode: &str, mech: &str, sink_args: &[&str]) {
    let python = tool("python3", "python3");
    let scratch = Scratch::new(name);
    let (cert, key) = certificate(&scratch);
    let (message_path, message) = message_file(&scratch, name);
    let mut args: Vec<&OsStr> = sink_args.iter().map(OsStr::new).collect();
    if mode != "plain" {
        args.extend([
            OsStr::new("--cert"),
            cert.as_os_str(),
            OsStr::new("--key"),
            key.as_os_str(),
        ]);
    }
    let sink = Sink::start_with(name, args);
    let mut command = Command::new(python);
    command
        .arg("-c")
        .arg(SMTPLIB)
        .arg(sink.port().to_string())
        .arg(mode)
        .arg(mech)
        .arg(if mode == "plain" {
            OsStr::new("-")
        } else {
            cert.as_os_str()
        })
        .arg(&message_path);
    let transcript = run_ok(command);
    assert!(transcript.contains("sent"), "{transcript}");
    let Message {
        content, envelope, ..
    } = sink.only_message();
    assert!(
        content == message,
        "smtplib's message was not stored byte for byte"
    );
    assert_eq!(
        envelope,
        "from <a@example.com>\nto <b@example.com>\nto <c@example.org>\n"
    );
}

#[test]
fn python_smtplib_plain() {
    smtplib("py-plain", "plain", "-", &[]);
}

#[test]
fn python_smtplib_starttls_verified_certificate_auth_plain() {
    smtplib(
        "py-starttls",
        "starttls",
        "PLAIN",
        &["--starttls", "--user", "tim:secret", "--require-auth"],
    );
}

#[test]
fn python_smtplib_smtps_auth_login() {
    smtplib(
        "py-smtps",
        "smtps",
        "LOGIN",
        &["--implicit-tls", "--user", "tim:secret", "--require-auth"],
    );
}

#[test]
fn python_smtplib_plaintext_auth_cram_md5() {
    smtplib(
        "py-cram",
        "plain",
        "CRAM-MD5",
        &[
            "--user",
            "tim:secret",
            "--require-auth",
            "--allow-plaintext-auth",
        ],
    );
}

#[test]
fn python_smtplib_login_chooses_a_mechanism() {
    smtplib(
        "py-login",
        "starttls",
        "login()",
        &["--starttls", "--user", "tim:secret", "--require-auth"],
    );
}

// ----------------------------------------------------------------- swaks

/// Runs swaks with the message file and `extra` arguments; returns its
/// transcript after checking what the sink stored.
fn swaks(name: &str, sink_args: &[&str], extra: &[&str], recipients: &[&str]) -> String {
    let swaks = tool("swaks", "swaks");
    let scratch = Scratch::new(name);
    let (message_path, message) = message_file(&scratch, name);
    let sink = Sink::start(name, sink_args);
    let mut data = std::ffi::OsString::from("@");
    data.push(&message_path);
    let mut command = Command::new(swaks);
    command
        .args(["--server", "127.0.0.1", "--port"])
        .arg(sink.port().to_string())
        .args(["--helo", "client.example", "--from", "a@example.com"])
        .arg("--to")
        .arg(recipients.join(","))
        .arg("--data")
        .arg(data)
        .args(extra);
    let transcript = run_ok(command);
    let Message {
        content, envelope, ..
    } = sink.only_message();
    // swaks always ends DATA with CRLF "." CRLF after the file, so a file
    // that ends with CRLF arrives with one empty line more (its transcript
    // shows that line being sent).
    let mut message = message;
    message.extend_from_slice(b"\r\n");
    assert!(
        content == message,
        "swaks' message was not stored byte for byte:\n{}",
        String::from_utf8_lossy(&content)
    );
    let mut expected = "from <a@example.com>\n".to_string();
    for rcpt in recipients {
        expected.push_str(&format!("to <{rcpt}>\n"));
    }
    assert_eq!(envelope, expected);
    transcript
}

#[test]
fn swaks_plain() {
    let transcript = swaks("swaks-plain", &[], &[], &["b@example.com"]);
    assert!(
        transcript.contains("250 2.0.0 OK queued as"),
        "{transcript}"
    );
}

#[test]
fn swaks_pipelining() {
    let transcript = swaks(
        "swaks-pipe",
        &[],
        &["--pipeline"],
        &["b@example.com", "c@example.org", "d@example.net"],
    );
    assert!(transcript.contains("250-PIPELINING"), "{transcript}");
    // The whole envelope went out as one group, before the first reply.
    let data_sent = transcript.find(" -> DATA").expect("DATA sent");
    let mail_answered = transcript
        .find("<-  250 2.1.0 Sender OK")
        .expect("MAIL answered");
    assert!(data_sent < mail_answered, "not pipelined:\n{transcript}");
    assert!(
        transcript.contains("250 2.0.0 OK queued as"),
        "{transcript}"
    );
}

#[test]
fn swaks_starttls_auth_login() {
    let transcript = swaks(
        "swaks-tls",
        &["--starttls", "--user", "tim:secret", "--require-auth"],
        &[
            "--tls",
            "--auth",
            "LOGIN",
            "--auth-user",
            "tim",
            "--auth-password",
            "secret",
        ],
        &["b@example.com"],
    );
    assert!(transcript.contains("TLS started"), "{transcript}");
    assert!(transcript.contains("235 "), "{transcript}");
}

#[test]
fn swaks_smtps_auth_cram_md5() {
    let transcript = swaks(
        "swaks-tlsc",
        &["--implicit-tls", "--user", "tim:secret", "--require-auth"],
        &[
            "--tlsc",
            "--auth",
            "CRAM-MD5",
            "--auth-user",
            "tim",
            "--auth-password",
            "secret",
        ],
        &["b@example.com", "c@example.org"],
    );
    assert!(transcript.contains("TLS started"), "{transcript}");
    assert!(transcript.contains("235 "), "{transcript}");
}

// ------------------------------------------------------------------ curl

fn curl_command(url: &str, message_path: &Path, extra: &[&str]) -> Command {
    let mut command = Command::new(tool("curl", "curl"));
    command
        .args(["--silent", "--show-error", "--max-time", "30", "--url", url])
        .args(["--mail-from", "a@example.com"])
        .args([
            "--mail-rcpt",
            "b@example.com",
            "--mail-rcpt",
            "c@example.org",
        ])
        .arg("--upload-file")
        .arg(message_path)
        .args(extra);
    command
}

fn curl(name: &str, scheme: &str, sink_args: &[&str], extra: &[&str], wrong: Option<&[&str]>) {
    let scratch = Scratch::new(name);
    let (message_path, message) = message_file(&scratch, name);
    let sink = Sink::start(name, sink_args);
    let url = format!("{scheme}://127.0.0.1:{}/client.example", sink.port());
    if let Some(wrong) = wrong {
        let output = run(
            curl_command(&url, &message_path, wrong),
            Duration::from_secs(60),
        );
        // 67: "the user name, password, or similar was not accepted".
        assert_eq!(
            output.status.code(),
            Some(67),
            "curl with a wrong password: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(sink.messages().is_empty());
    }
    run_ok(curl_command(&url, &message_path, extra));
    let Message {
        content, envelope, ..
    } = sink.only_message();
    assert!(
        content == message,
        "curl's message was not stored byte for byte:\n{}",
        String::from_utf8_lossy(&content)
    );
    assert_eq!(
        envelope,
        "from <a@example.com>\nto <b@example.com>\nto <c@example.org>\n"
    );
}

#[test]
fn curl_smtp_plain() {
    curl("curl-plain", "smtp", &[], &[], None);
}

#[test]
fn curl_smtp_starttls_auth() {
    curl(
        "curl-starttls",
        "smtp",
        &["--starttls", "--user", "tim:secret", "--require-auth"],
        &["--ssl-reqd", "--insecure", "--user", "tim:secret"],
        Some(&["--ssl-reqd", "--insecure", "--user", "tim:wrong"]),
    );
}

#[test]
fn curl_smtps_auth() {
    curl(
        "curl-smtps",
        "smtps",
        &["--implicit-tls", "--user", "tim:secret", "--require-auth"],
        &["--insecure", "--user", "tim:secret"],
        Some(&["--insecure", "--user", "tim:wrong"]),
    );
}

#[test]
fn curl_smtps_auth_plain_forced() {
    curl(
        "curl-plain-mech",
        "smtps",
        &["--implicit-tls", "--user", "tim:secret", "--require-auth"],
        &[
            "--insecure",
            "--user",
            "tim:secret",
            "--login-options",
            "AUTH=PLAIN",
        ],
        None,
    );
}

// ----------------------------------------------------------------- gsasl

/// GNU SASL's client authenticates with SCRAM and checks the server's
/// signature ("server trusted"). It cannot send a message afterwards, so
/// these tests check the exchange and that nothing was stored.
fn gsasl(name: &str, sink_args: &[&str], client_args: &[&str], password: &str) -> Output {
    let gsasl = tool("gsasl", "gsasl");
    let scratch = Scratch::new(name);
    let (cert, key) = certificate(&scratch);
    let mut args: Vec<&OsStr> = sink_args.iter().map(OsStr::new).collect();
    if sink_args.contains(&"--starttls") {
        args.extend([
            OsStr::new("--cert"),
            cert.as_os_str(),
            OsStr::new("--key"),
            key.as_os_str(),
        ]);
    }
    let sink = Sink::start_with(name, args);
    let mut ca = std::ffi::OsString::from("--x509-ca-file=");
    ca.push(&cert);
    let mut command = Command::new(gsasl);
    command
        .args(["--smtp", "--verbose", "--authentication-id=tim"])
        .arg(format!("--password={password}"))
        .arg(format!("--connect=127.0.0.1:{}", sink.port()))
        .arg(ca)
        .args(client_args);
    let output = run(command, Duration::from_secs(60));
    assert!(sink.messages().is_empty());
    output
}

fn transcript(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn gsasl_scram_sha_256_plus_over_starttls() {
    let sink_args = ["--starttls", "--user", "tim:secret", "--require-auth"];
    let client_args = ["--starttls", "--mechanism=SCRAM-SHA-256-PLUS"];
    let output = gsasl("gsasl-plus", &sink_args, &client_args, "secret");
    let text = transcript(&output);
    assert!(output.status.success(), "{text}");
    // gsasl verified our certificate, bound the exchange to the TLS 1.3
    // session (tls-exporter) and checked the server signature.
    assert!(text.contains("The certificate is trusted"), "{text}");
    assert!(text.contains("AUTH SCRAM-SHA-256-PLUS"), "{text}");
    assert!(text.contains("235 2.7.0"), "{text}");
    assert!(text.contains("server trusted"), "{text}");

    let output = gsasl("gsasl-plus-wrong", &sink_args, &client_args, "wrong");
    let text = transcript(&output);
    assert!(!output.status.success(), "{text}");
    assert!(text.contains("535 5.7.8"), "{text}");
}

#[test]
fn gsasl_scram_sha_1_without_tls() {
    let output = gsasl(
        "gsasl-sha1",
        &[
            "--user",
            "tim:secret",
            "--require-auth",
            "--allow-plaintext-auth",
        ],
        &["--no-starttls", "--mechanism=SCRAM-SHA-1"],
        "secret",
    );
    let text = transcript(&output);
    assert!(output.status.success(), "{text}");
    assert!(!text.contains("STARTTLS"), "{text}");
    assert!(text.contains("AUTH SCRAM-SHA-1"), "{text}");
    assert!(text.contains("235 2.7.0"), "{text}");
    assert!(text.contains("server trusted"), "{text}");
}

// ----------------------------------------------------------- smtp-source

/// Checks a message as smtp-source generates it with `-l length`: four
/// header lines, a blank line, then `length` octets of X lines and a CRLF.
fn check_smtp_source_message(content: &[u8], length: usize) -> String {
    let text = std::str::from_utf8(content).expect("smtp-source writes ASCII");
    let (header, body) = text.split_once("\r\n\r\n").expect("a header and a body");
    let lines: Vec<&str> = header.split("\r\n").collect();
    assert_eq!(lines.len(), 4, "{header}");
    assert_eq!(lines[0], "From: <a@example.com>");
    assert_eq!(lines[1], "To: <b@example.com>");
    assert!(lines[2].starts_with("Date: "), "{header}");
    let message_id = lines[3]
        .strip_prefix("Message-Id: ")
        .unwrap_or_else(|| panic!("{header}"));
    assert_eq!(body.len(), length + 2, "body of {message_id}");
    assert!(body.ends_with("\r\n"));
    assert!(
        body.bytes()
            .all(|byte| byte == b'X' || byte == b'\r' || byte == b'\n' || byte.is_ascii_digit()),
        "body of {message_id}"
    );
    message_id.to_string()
}

#[test]
fn smtp_source_10000_messages_over_10_sessions() {
    const MESSAGES: usize = 10_000;
    const LENGTH: usize = 4096;
    let smtp_source = tool("smtp-source", "postfix");
    let mut sink = Sink::start("smtp-source", &[]);
    sink.scratch.remove_in_background = true;
    let mut command = Command::new(smtp_source);
    command
        .args([
            "-s",
            "10",
            "-m",
            &MESSAGES.to_string(),
            "-l",
            &LENGTH.to_string(),
        ])
        .args(["-f", "a@example.com", "-t", "b@example.com"])
        .arg(format!("127.0.0.1:{}", sink.port()));
    let description = format!("{command:?}");
    let cpu_before = sink.cpu_time();
    let started = Instant::now();
    let output = run(command, Duration::from_secs(600));
    let elapsed = started.elapsed();
    let cpu = sink
        .cpu_time()
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    assert!(
        output.status.success(),
        "{description} failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let cpu = cpu.map_or_else(
        || "unknown".to_string(),
        |cpu| format!("{:.3} ms/msg", cpu.as_secs_f64() * 1000.0 / MESSAGES as f64),
    );
    eprintln!(
        "smtp-source: {MESSAGES} messages of {LENGTH} bytes over 10 sessions in {elapsed:.2?} \
         ({:.0} msg/s; smtp-sink CPU {cpu})",
        MESSAGES as f64 / elapsed.as_secs_f64()
    );

    let messages = sink.messages();
    assert_eq!(messages.len(), MESSAGES, "every message is stored");
    assert!(sink.files("tmp").is_empty(), "tmp/ is not empty");
    let mut ids = HashSet::new();
    for Message {
        content, envelope, ..
    } in &messages
    {
        ids.insert(check_smtp_source_message(content, LENGTH));
        assert_eq!(envelope, "from <a@example.com>\nto <b@example.com>\n");
    }
    assert_eq!(
        ids.len(),
        MESSAGES,
        "every stored message is a different one"
    );
}

#[test]
fn smtp_source_lmtp_with_three_recipients() {
    const MESSAGES: usize = 1_000;
    const LENGTH: usize = 2048;
    let smtp_source = tool("smtp-source", "postfix");
    let sink = Sink::start("smtp-source-lmtp", &["--lmtp"]);
    let mut command = Command::new(smtp_source);
    command
        .args(["-L", "-s", "5", "-r", "3", "-m", &MESSAGES.to_string()])
        .args(["-l", &LENGTH.to_string()])
        .args(["-f", "a@example.com", "-t", "b@example.com"])
        .arg(format!("127.0.0.1:{}", sink.port()));
    run_ok(command);

    let messages = sink.messages();
    assert_eq!(messages.len(), MESSAGES, "every message is stored once");
    let mut ids = HashSet::new();
    for Message {
        content, envelope, ..
    } in &messages
    {
        ids.insert(check_smtp_source_message(content, LENGTH));
        // smtp-source numbers the extra recipients: 3b@, 2b@, then b@.
        assert_eq!(
            envelope,
            "from <a@example.com>\nto <3b@example.com>\nto <2b@example.com>\nto <b@example.com>\n"
        );
    }
    assert_eq!(ids.len(), MESSAGES);
}
