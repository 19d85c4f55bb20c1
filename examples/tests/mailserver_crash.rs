//! Restart with mail in flight: 1,000 concurrent SMTP deliveries, the
//! server SIGKILLed partway, restarted on the same data directory; every
//! message that got its 250 must be there exactly once and complete, on
//! disk and over POP3, and no message may be there twice or truncated.

mod mailserver_support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mailserver_support::{ALICE, ALICE_PASSWORD, Config, Setup, Stored, dot_stuff, test_message};

const MESSAGES: usize = 1000;
const CONNECTIONS: usize = 64;
/// SIGKILL once this many messages got their 250.
const KILL_AFTER: usize = 300;

/// Message `n`: unique subject and Message-ID, a size that varies, and a
/// last line that says it is complete.
fn message(n: usize) -> Vec<u8> {
    let mut body = String::new();
    for line in 0..(5 + n % 40) {
        body.push_str(&format!(
            "message {n:04} line {line:02} {}\r\n",
            "abcdefghij".repeat(1 + line % 7)
        ));
    }
    body.push_str(".a dot-stuffed line\r\n");
    body.push_str(&end_marker(n));
    test_message(
        "load@remote.example",
        ALICE,
        &format!("crash {n:04}"),
        &body,
    )
}

fn end_marker(n: usize) -> String {
    format!("END-OF-MESSAGE {n:04}\r\n")
}

/// The message number in a stored or retrieved message's subject.
fn number_of(bytes: &[u8]) -> Option<usize> {
    let text = String::from_utf8_lossy(bytes);
    let subject = text
        .lines()
        .find_map(|line| line.strip_prefix("Subject: crash "))?;
    subject.trim().parse().ok()
}

/// Checks one stored or retrieved message: which number it is, and that
/// it is complete (ends with message `n` byte for byte).
fn check_complete(bytes: &[u8], what: &str) -> usize {
    let Some(n) = number_of(bytes) else {
        panic!(
            "{what}: no `Subject: crash NNNN`:\n{}",
            String::from_utf8_lossy(bytes)
        );
    };
    assert!(n < MESSAGES, "{what}: message number {n} out of range");
    assert!(
        bytes.ends_with(end_marker(n).as_bytes()) && bytes.ends_with(&message(n)),
        "{what}: message {n} is incomplete or altered ({} bytes):\n{}",
        bytes.len(),
        String::from_utf8_lossy(bytes)
    );
    n
}

#[test]
fn restart_with_mail_in_flight_keeps_every_acknowledged_message_once() {
    let started = Instant::now();
    let config = Config {
        connections_per_ip: 0,
        ..Config::default()
    };
    let setup = Setup::standard("crash", config);
    let mut server = setup.start();
    let first_log = server.log.clone();

    let next = Arc::new(AtomicUsize::new(0));
    let acked_count = Arc::new(AtomicUsize::new(0));
    let acked = Arc::new(Mutex::new(BTreeSet::new()));
    let killed = Arc::new(AtomicBool::new(false));
    // Anything but a 250 before the kill is a failure.
    let refused_before_kill = Arc::new(Mutex::new(Vec::<String>::new()));

    let mut workers = Vec::new();
    for _ in 0..CONNECTIONS {
        let mut smtp = server.smtp("smtp");
        smtp.greeting();
        smtp.ehlo("load.example");
        let (next, acked_count, acked, killed, refused) = (
            Arc::clone(&next),
            Arc::clone(&acked_count),
            Arc::clone(&acked),
            Arc::clone(&killed),
            Arc::clone(&refused_before_kill),
        );
        workers.push(std::thread::spawn(move || {
            loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                if n >= MESSAGES || killed.load(Ordering::SeqCst) {
                    return;
                }
                let mut data = dot_stuff(&message(n));
                data.extend_from_slice(b".\r\n");
                // MAIL, RCPT and DATA pipelined would need PIPELINING;
                // one command at a time keeps the test about the server.
                let steps: [(&[u8], u16); 4] = [
                    (b"MAIL FROM:<load@remote.example>\r\n", 250),
                    (b"RCPT TO:<alice@example.com>\r\n", 250),
                    (b"DATA\r\n", 354),
                    (&data, 250),
                ];
                for (i, (bytes, code)) in steps.iter().enumerate() {
                    let reply = if smtp.try_send(bytes) {
                        smtp.try_reply_quietly()
                    } else {
                        None
                    };
                    match reply {
                        Some(reply) if reply.code == *code => {
                            if i == 3 {
                                acked.lock().unwrap().insert(n);
                                acked_count.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                        other => {
                            if !killed.load(Ordering::SeqCst) {
                                refused
                                    .lock()
                                    .unwrap()
                                    .push(format!("message {n} step {i}: {other:?}"));
                            }
                            return;
                        }
                    }
                }
            }
        }));
    }

    // Kill partway.
    let deadline = Instant::now() + Duration::from_secs(20);
    while acked_count.load(Ordering::SeqCst) < KILL_AFTER {
        assert!(
            Instant::now() < deadline,
            "only {} messages acknowledged in 20 s; refused: {:?}{}",
            acked_count.load(Ordering::SeqCst),
            refused_before_kill.lock().unwrap(),
            first_log.tail()
        );
        assert!(
            refused_before_kill.lock().unwrap().is_empty(),
            "refused before the kill: {:?}{}",
            refused_before_kill.lock().unwrap(),
            first_log.tail()
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    killed.store(true, Ordering::SeqCst);
    let status = server.kill();
    assert!(
        status.is_some_and(|s| s.code().is_none()),
        "the server was not killed by the signal: {status:?}"
    );
    for worker in workers {
        worker.join().expect("a worker panicked");
    }
    let refused = refused_before_kill.lock().unwrap().clone();
    assert!(
        refused.is_empty(),
        "refused before the kill: {refused:?}{}",
        first_log.tail()
    );
    let acked: BTreeSet<usize> = acked.lock().unwrap().clone();
    let attempted = next.load(Ordering::SeqCst).min(MESSAGES);
    assert!(acked.len() >= KILL_AFTER, "{} acknowledged", acked.len());
    assert!(
        acked.len() < MESSAGES,
        "every message was acknowledged before the kill: kill earlier"
    );
    drop(server);

    // Restart on the same data directory.
    let server = setup.start();
    let context = || {
        format!(
            "\n(first run){}\n(after the restart){}",
            first_log.tail(),
            server.log_tail()
        )
    };

    // On disk: new/ and cur/.
    let stored: Vec<Stored> = setup.stored(ALICE);
    let mut on_disk: BTreeMap<usize, Vec<&Stored>> = BTreeMap::new();
    for file in &stored {
        let n = check_complete(&file.bytes, &file.path.display().to_string());
        on_disk.entry(n).or_default().push(file);
    }
    let twice: Vec<usize> = on_disk
        .iter()
        .filter(|(_, files)| files.len() > 1)
        .map(|(n, _)| *n)
        .collect();
    assert!(
        twice.is_empty(),
        "stored more than once: {twice:?}{}",
        context()
    );
    let missing: Vec<usize> = acked
        .iter()
        .filter(|n| !on_disk.contains_key(n))
        .copied()
        .collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged messages are missing: {missing:?}{}",
        missing.len(),
        context()
    );
    let unacked_but_stored = on_disk.len() - acked.len();
    assert!(
        on_disk.keys().all(|n| *n < attempted),
        "a message never sent is stored"
    );

    // Over POP3 (after the restart): the same set, each once, complete,
    // and byte-identical to its file.
    let mut pop3 = server.pop3_tls("pop3s");
    pop3.greeting();
    pop3.login(ALICE, ALICE_PASSWORD);
    let list = pop3.list();
    assert_eq!(
        list.len(),
        stored.len(),
        "POP3 lists {} messages, the Maildir holds {}{}",
        list.len(),
        stored.len(),
        context()
    );
    let mut over_pop3: BTreeMap<usize, usize> = BTreeMap::new();
    for (number, size) in &list {
        let bytes = pop3.retr(*number);
        let what = format!("POP3 message {number}");
        let n = check_complete(&bytes, &what);
        assert_eq!(bytes.len() as u64, *size, "{what}: LIST size");
        let file = &on_disk[&n][0];
        assert!(
            bytes == file.bytes,
            "{what} differs from {}{}",
            file.path.display(),
            context()
        );
        *over_pop3.entry(n).or_default() += 1;
    }
    assert!(
        over_pop3.values().all(|count| *count == 1),
        "a message listed twice over POP3{}",
        context()
    );
    assert!(
        acked.iter().all(|n| over_pop3.contains_key(n)),
        "an acknowledged message is missing over POP3{}",
        context()
    );
    pop3.quit();

    // And the restarted server takes mail again.
    let mut smtp = server.smtp("smtp");
    smtp.greeting();
    smtp.ehlo("load.example");
    let after = test_message("load@remote.example", ALICE, "after restart", "Again.\r\n");
    let reply = smtp.send_message("load@remote.example", &[ALICE], &after);
    assert_eq!(reply.code, 250, "after the restart: {reply}{}", context());
    smtp.quit();
    assert_eq!(setup.stored(ALICE).len(), stored.len() + 1, "{}", context());

    eprintln!(
        "{attempted} attempted, {} acknowledged, {unacked_but_stored} stored without a 250, \
         {:?} in all",
        acked.len(),
        started.elapsed()
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the crash test took {:?}",
        started.elapsed()
    );
}
