//! The `smtp-sink` binary, driven over raw SMTP and LMTP from std sockets.

mod support;

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use base64::Engine;

use support::{Message, Scratch, Sink, dot_stuff};

impl Sink {
    fn connect(&self) -> Client {
        Client::connect(self.addr)
    }
}

/// A raw SMTP client.
struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Client {
    fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let writer = stream.try_clone().unwrap();
        let mut client = Client {
            reader: BufReader::new(stream),
            writer,
        };
        client.expect(220);
        client
    }

    fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).expect("write");
    }

    /// Reads one (possibly multi-line) reply: its code and its lines' text.
    fn reply(&mut self) -> (u16, Vec<String>) {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            let n = self.reader.read_line(&mut line).expect("read reply");
            assert!(n > 0, "connection closed; reply so far: {lines:?}");
            assert!(line.ends_with("\r\n"), "reply line without CRLF: {line:?}");
            let code: u16 = line[..3].parse().expect("reply code");
            let last = line.as_bytes()[3] == b' ';
            lines.push(line[4..line.len() - 2].to_string());
            if last {
                return (code, lines);
            }
        }
    }

    fn expect(&mut self, code: u16) -> Vec<String> {
        let (got, lines) = self.reply();
        assert_eq!(got, code, "expected {code}, got {got} {lines:?}");
        lines
    }

    fn command(&mut self, line: &str, code: u16) -> Vec<String> {
        self.send(format!("{line}\r\n").as_bytes());
        self.expect(code)
    }

    /// MAIL, RCPT for each recipient, DATA and the dot-stuffed `body`
    /// (which must end with CRLF); returns the final reply's text.
    fn send_message(&mut self, from: &str, to: &[&str], body: &[u8]) -> String {
        self.command(&format!("MAIL FROM:<{from}>"), 250);
        for rcpt in to {
            self.command(&format!("RCPT TO:<{rcpt}>"), 250);
        }
        self.command("DATA", 354);
        self.send(&dot_stuff(body));
        self.send(b".\r\n");
        self.expect(250).remove(0)
    }
}

/// The name in "OK queued as NAME".
fn queued_name(text: &str) -> &str {
    text.rsplit(' ').next().unwrap()
}

#[test]
fn message_arrives_byte_exact_with_its_envelope() {
    let sink = Sink::start("exact", &[]);
    let mut client = sink.connect();
    let lines = client.command("EHLO client.example", 250);
    assert!(lines.iter().any(|line| line == "PIPELINING"), "{lines:?}");
    assert!(
        !lines.iter().any(|line| line.starts_with("STARTTLS")),
        "{lines:?}"
    );
    let mut body = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: exact\r\n\r\n".to_vec();
    body.extend_from_slice(b".a line that starts with a dot\r\n..two dots\r\n.\r\n");
    body.extend_from_slice("8-bit: gr\u{fc}\u{df}e, \u{65e5}\u{672c}\r\n".as_bytes());
    body.extend_from_slice(&[b'x'; 900]);
    body.extend_from_slice(b"\r\n\tend\r\n");
    // Bigger than one read and one chunk, to cross buffer boundaries.
    for i in 0..20_000 {
        body.extend_from_slice(format!("line {i} of the long tail\r\n").as_bytes());
    }
    let reply = client.send_message("a@example.com", &["b@example.com", "c@example.org"], &body);
    assert!(reply.starts_with("2.0.0 OK queued as "), "{reply}");
    client.command("QUIT", 221);

    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    let Message {
        name,
        content,
        envelope,
    } = &messages[0];
    assert_eq!(name, queued_name(&reply));
    assert!(
        content == &body,
        "stored message differs from what was sent"
    );
    assert_eq!(
        envelope,
        "from <a@example.com>\nto <b@example.com>\nto <c@example.org>\n"
    );
    assert!(sink.files("tmp").is_empty());
}

#[test]
fn null_sender_and_several_messages_per_connection() {
    let sink = Sink::start("null", &[]);
    let mut client = sink.connect();
    client.command("EHLO client.example", 250);
    client.command("MAIL FROM:<>", 250);
    client.command("RCPT TO:<postmaster@example.com>", 250);
    client.command("DATA", 354);
    client.send(b"Subject: bounce\r\n\r\nfirst\r\n.\r\n");
    let first = client.expect(250).remove(0);
    // RSET discards a transaction: its recipients must not leak into the next.
    client.command("MAIL FROM:<x@example.com>", 250);
    client.command("RCPT TO:<leak@example.com>", 250);
    client.command("RSET", 250);
    let second = client.send_message("c@example.com", &["d@example.com"], b"second\r\n");
    client.command("QUIT", 221);

    let messages = sink.messages();
    assert_eq!(messages.len(), 2);
    let by_name = |name: &str| {
        messages
            .iter()
            .find(|stored| stored.name == name)
            .expect("stored under the name in the reply")
    };
    let Message {
        content, envelope, ..
    } = by_name(queued_name(&first));
    assert_eq!(content, b"Subject: bounce\r\n\r\nfirst\r\n");
    assert_eq!(envelope, "from <>\nto <postmaster@example.com>\n");
    let Message {
        content, envelope, ..
    } = by_name(queued_name(&second));
    assert_eq!(content, b"second\r\n");
    assert_eq!(envelope, "from <c@example.com>\nto <d@example.com>\n");
}

#[test]
fn lmtp_answers_once_per_recipient() {
    let sink = Sink::start("lmtp", &["--lmtp"]);
    let mut client = sink.connect();
    client.command("EHLO client.example", 500);
    client.command("LHLO client.example", 250);
    client.command("MAIL FROM:<a@example.com>", 250);
    let recipients = ["one@example.com", "two@example.com", "three@example.com"];
    for rcpt in recipients {
        client.command(&format!("RCPT TO:<{rcpt}>"), 250);
    }
    client.command("DATA", 354);
    client.send(b"Subject: lmtp\r\n\r\nhello\r\n.\r\n");
    let mut names = HashSet::new();
    for rcpt in recipients {
        let text = client.expect(250).remove(0);
        assert!(text.contains(&format!("<{rcpt}>")), "{text}");
        names.insert(queued_name(&text).to_string());
    }
    // Nothing more was sent: the next reply belongs to the next command.
    client.command("NOOP", 250);
    client.command("QUIT", 221);

    let messages = sink.messages();
    assert_eq!(messages.len(), 1, "one stored copy for all recipients");
    let Message {
        name,
        content,
        envelope,
    } = &messages[0];
    assert_eq!(names, HashSet::from([name.clone()]));
    assert_eq!(content, b"Subject: lmtp\r\n\r\nhello\r\n");
    assert_eq!(
        envelope,
        "from <a@example.com>\nto <one@example.com>\nto <two@example.com>\nto <three@example.com>\n"
    );
}

#[test]
fn oversize_message_is_refused_and_the_connection_stays_usable() {
    let sink = Sink::start("size", &["--max-size", "1000"]);
    let mut client = sink.connect();
    let lines = client.command("EHLO client.example", 250);
    assert!(lines.iter().any(|line| line == "SIZE 1000"), "{lines:?}");
    // Declared too big: refused at MAIL.
    client.command("MAIL FROM:<a@example.com> SIZE=5000", 552);
    // Not declared: refused after the body, which is drained.
    client.command("MAIL FROM:<a@example.com>", 250);
    client.command("RCPT TO:<b@example.com>", 250);
    client.command("DATA", 354);
    let big = "0123456789abcdefghijklmnopqrstuvwxyz\r\n".repeat(200);
    client.send(big.as_bytes());
    client.send(b".\r\n");
    let text = client.expect(552).remove(0);
    assert!(text.starts_with("5.3.4"), "{text}");
    assert!(sink.messages().is_empty());
    sink.wait_for_tmp(0);
    // The same connection still delivers.
    let reply = client.send_message("a@example.com", &["b@example.com"], b"small\r\n");
    client.command("QUIT", 221);
    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].name, queued_name(&reply));
    assert_eq!(messages[0].content, b"small\r\n");
}

#[test]
fn an_interrupted_body_leaves_nothing_behind() {
    let sink = Sink::start("abort", &[]);
    let mut client = sink.connect();
    client.command("EHLO client.example", 250);
    client.command("MAIL FROM:<a@example.com>", 250);
    client.command("RCPT TO:<b@example.com>", 250);
    client.command("DATA", 354);
    client.send(b"Subject: cut short\r\n\r\nthe first half of the message\r\n");
    // The message is being written...
    sink.wait_for_tmp(1);
    // ...when the client goes away.
    drop(client);
    sink.wait_for_tmp(0);
    assert!(sink.messages().is_empty());
    assert!(sink.files("new").is_empty(), "no stray envelope either");
    // The sink itself carries on.
    let mut client = sink.connect();
    client.command("HELO client.example", 250);
    client.send_message("a@example.com", &["b@example.com"], b"after\r\n");
    assert_eq!(sink.messages().len(), 1);
}

#[test]
fn parallel_sessions_store_under_distinct_names() {
    const SESSIONS: usize = 10;
    const PER_SESSION: usize = 20;
    let sink = Sink::start("parallel", &[]);
    let addr = sink.addr;
    let threads: Vec<_> = (0..SESSIONS)
        .map(|session| {
            std::thread::spawn(move || {
                let mut client = Client::connect(addr);
                client.command("EHLO client.example", 250);
                let mut names = Vec::new();
                for message in 0..PER_SESSION {
                    let body =
                        format!("Subject: {session}/{message}\r\n\r\nbody {session} {message}\r\n");
                    let rcpt = format!("s{session}@example.com");
                    let reply = client.send_message("a@example.com", &[&rcpt], body.as_bytes());
                    names.push((queued_name(&reply).to_string(), body, rcpt));
                }
                client.command("QUIT", 221);
                names
            })
        })
        .collect();
    let sent: Vec<(String, String, String)> = threads
        .into_iter()
        .flat_map(|thread| thread.join().expect("client thread"))
        .collect();
    let distinct: HashSet<&str> = sent.iter().map(|(name, _, _)| name.as_str()).collect();
    assert_eq!(distinct.len(), SESSIONS * PER_SESSION, "names collided");

    let stored = sink.messages();
    assert_eq!(stored.len(), SESSIONS * PER_SESSION);
    for (name, body, rcpt) in &sent {
        let Message {
            content, envelope, ..
        } = stored
            .iter()
            .find(|stored| &stored.name == name)
            .expect("every acknowledged message is stored");
        assert_eq!(content, body.as_bytes());
        assert_eq!(envelope, &format!("from <a@example.com>\nto <{rcpt}>\n"));
    }
    assert!(sink.files("tmp").is_empty());
}

#[test]
fn bdat_chunks_are_stored_in_order() {
    let sink = Sink::start("bdat", &["--lmtp"]);
    let mut client = sink.connect();
    let lines = client.command("LHLO client.example", 250);
    assert!(lines.iter().any(|line| line == "CHUNKING"), "{lines:?}");
    client.command("MAIL FROM:<a@example.com> BODY=BINARYMIME", 250);
    client.command("RCPT TO:<b@example.com>", 250);
    client.command("RCPT TO:<c@example.com>", 250);
    // Binary content, a lone "." line and bare line endings are all just
    // octets inside BDAT.
    let first = b"Subject: bdat\r\n\r\n.\r\nbare\nlf\0nul\xff".to_vec();
    let second = b"\r\n.\r\nlast chunk\r\n".to_vec();
    client.send(format!("BDAT {}\r\n", first.len()).as_bytes());
    client.send(&first);
    client.expect(250);
    client.send(format!("BDAT {} LAST\r\n", second.len()).as_bytes());
    client.send(&second);
    let one = client.expect(250).remove(0);
    let two = client.expect(250).remove(0);
    assert!(one.contains("<b@example.com>") && two.contains("<c@example.com>"));
    client.command("QUIT", 221);

    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    let Message {
        content, envelope, ..
    } = &messages[0];
    assert_eq!(content, &[first, second].concat());
    assert_eq!(
        envelope,
        "from <a@example.com>\nto <b@example.com>\nto <c@example.com>\n"
    );
}

#[test]
fn a_disk_error_is_answered_451_and_leaves_nothing_behind() {
    let sink = Sink::start("disk-error", &[]);
    // Replace new/ by a plain file: the envelope cannot be written there.
    let new = sink.spool.join("new");
    std::fs::remove_dir(&new).unwrap();
    std::fs::write(&new, b"not a directory").unwrap();
    let mut client = sink.connect();
    client.command("EHLO client.example", 250);
    client.command("MAIL FROM:<a@example.com>", 250);
    client.command("RCPT TO:<b@example.com>", 250);
    client.command("DATA", 354);
    client.send(b"Subject: lost\r\n\r\nbody\r\n.\r\n");
    let text = client.expect(451).remove(0);
    assert!(text.starts_with("4.3.0"), "{text}");
    assert!(sink.files("tmp").is_empty(), "the message file was removed");
    // Once the disk is back, the same connection delivers.
    std::fs::remove_file(&new).unwrap();
    std::fs::create_dir(&new).unwrap();
    client.send_message("a@example.com", &["b@example.com"], b"kept\r\n");
    client.command("QUIT", 221);
    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].content, b"kept\r\n");
}

#[test]
fn auth_is_required_checked_and_hidden_before_tls() {
    // Without --allow-plaintext-auth, AUTH waits for STARTTLS.
    let sink = Sink::start("tls-auth", &["--starttls", "--user", "tim:secret"]);
    let mut client = sink.connect();
    let lines = client.command("EHLO client.example", 250);
    assert!(lines.iter().any(|line| line == "STARTTLS"), "{lines:?}");
    assert!(
        !lines.iter().any(|line| line.starts_with("AUTH")),
        "{lines:?}"
    );
    client.command("AUTH PLAIN AHRpbQBzZWNyZXQ=", 538);
    drop(sink);

    let sink = Sink::start(
        "plain-auth",
        &[
            "--user",
            "tim:secret",
            "--user",
            "ann:other:colon",
            "--require-auth",
            "--allow-plaintext-auth",
        ],
    );
    let mut client = sink.connect();
    let lines = client.command("EHLO client.example", 250);
    let auth = lines
        .iter()
        .find(|line| line.starts_with("AUTH "))
        .expect("AUTH advertised");
    for mechanism in ["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256"] {
        assert!(auth.split(' ').any(|word| word == mechanism), "{auth}");
    }
    // No channel bindings without TLS: no -PLUS.
    assert!(!auth.contains("-PLUS"), "{auth}");
    client.command("MAIL FROM:<a@example.com>", 530);
    let plain = |user: &str, password: &str| {
        base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0{password}"))
    };
    client.command(&format!("AUTH PLAIN {}", plain("tim", "wrong")), 535);
    client.command(&format!("AUTH PLAIN {}", plain("ann", "other:colon")), 235);
    client.send_message("a@example.com", &["b@example.com"], b"authenticated\r\n");
    client.command("QUIT", 221);
    assert_eq!(sink.messages().len(), 1);
}

#[test]
fn bad_command_lines_are_refused() {
    for (args, message) in [
        (&["--starttls", "--implicit-tls"][..], "cannot be used with"),
        (&["--require-auth"][..], "--require-auth needs"),
        (&["--user", "tim:secret"][..], "--allow-plaintext-auth"),
        (&["--user", "nopassword"][..], "NAME:PASSWORD"),
        (&["--cert", "c.pem", "--key", "k.pem"][..], "--starttls"),
    ] {
        let scratch = Scratch::new("cli");
        let output = Command::new(env!("CARGO_BIN_EXE_smtp-sink"))
            .args(["--listen", "127.0.0.1:0", "--dir"])
            .arg(scratch.path("spool"))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run smtp-sink");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn a_missing_certificate_file_is_reported() {
    let scratch = Scratch::new("cert");
    let missing = Path::new("/nonexistent/mailwright/cert.pem");
    let output = Command::new(env!("CARGO_BIN_EXE_smtp-sink"))
        .args(["--listen", "127.0.0.1:0", "--starttls", "--dir"])
        .arg(scratch.path("spool"))
        .arg("--cert")
        .arg(missing)
        .arg("--key")
        .arg(missing)
        .stdin(Stdio::null())
        .output()
        .expect("run smtp-sink");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("/nonexistent/mailwright/cert.pem"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn implicit_tls_speaks_tls_first() {
    let sink = Sink::start("smtps", &["--implicit-tls"]);
    let mut stream = TcpStream::connect(sink.addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    // A plaintext client waiting for a greeting gets nothing: the server
    // waits for a ClientHello.
    let mut byte = [0u8; 1];
    let waited = stream.read(&mut byte);
    assert!(
        waited.is_err(),
        "the server spoke first on an implicit-TLS port: {waited:?} {byte:?}"
    );
    // Garbage instead of a ClientHello ends the connection without a greeting.
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(b"EHLO client.example\r\n").unwrap();
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);
    assert!(
        !rest.starts_with(b"220"),
        "{:?}",
        String::from_utf8_lossy(&rest)
    );
}
