//! Crash safety of mbox files: a child appending messages and expunging
//! some is killed with SIGKILL at a random moment, hundreds of times.
//! After every kill the parent reads the mailbox and checks, byte for byte,
//! that every acknowledged append is there whole and once, that
//! acknowledged expunges are gone, that an expunge in flight happened
//! wholly or not at all (the rewrite goes through a temporary file and a
//! rename), and that the only damage a kill can do is the one an mbox
//! append cannot avoid: the message being appended may be cut short.
//!
//! Locks left by a killed child: the kernel drops its `fcntl` and `flock`
//! locks; its dotlock stays, and every process here treats a dotlock as
//! stale at once (only one process uses the file at a time), which is what
//! a restart after the 2-minute stale timeout does.
//!
//! `MW_SEED=<seed>` reproduces a run; `MW_CRASH_MBOX_KILLS=<n>` sets the
//! number of kills (default 600).

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use maildir::dotlock::DotLockOptions;
use maildir::mbox::{Envelope, Format, Locking, Mbox, MboxReader, MboxWriter};

mod child;
mod support;

use child::{Env, Rng, emit, fail, message, message_id, run_and_kill, var, var_u64};
use support::TempDir;

/// Kills per mailbox before starting a fresh one.
const PER_MAILBOX: u64 = 100;
/// Above this many messages the child mostly expunges.
const CROWDED: usize = 30;

fn locking() -> Locking {
    let mut locking = Locking::with_timeout(Duration::from_secs(10));
    locking.dotlock = Some(DotLockOptions::new(Duration::from_secs(10), Duration::ZERO));
    locking
}

fn envelope(id: u64) -> Envelope {
    Envelope::new(
        format!("sender{id}@example.org"),
        "Sat Nov 21 10:00:00 2026",
    )
}

/// The exact bytes an append of message `id` writes after an empty line.
fn wire(cseed: u64, id: u64) -> Vec<u8> {
    let mut w = MboxWriter::new(Vec::new(), Format::Mboxrd);
    w.write_message(&envelope(id), &message(cseed, id)).unwrap();
    w.finish().unwrap()
}

#[test]
fn child_entry() {
    let Ok(role) = std::env::var(child::ROLE_VAR) else {
        return;
    };
    assert_eq!(role, "mbox", "unknown child role");
    let path = PathBuf::from(var(child::DIR_VAR)).join("inbox");
    let mut rng = Rng::new(var_u64(child::SEED_VAR));
    let cseed = var_u64(child::CONTENT_VAR);
    let mut next_id = var_u64(child::ID_VAR);
    let deadline = Instant::now() + Duration::from_millis(var_u64(child::MS_VAR));
    let mbox = Mbox::new(&path, Format::Mboxrd).with_locking(locking());
    emit("ready");
    while Instant::now() < deadline {
        let mut locked = mbox.lock().unwrap_or_else(|e| fail("lock", &e));
        let messages = locked.read_all().unwrap_or_else(|e| fail("read", &e));
        let expunge =
            !messages.is_empty() && rng.chance(if messages.len() > CROWDED { 80 } else { 25 });
        if expunge {
            let mut picked = BTreeSet::new();
            for _ in 0..=rng.below(3) {
                picked.insert(rng.below(messages.len() as u64) as usize);
            }
            let indices: Vec<usize> = picked.into_iter().collect();
            // 0 stands for a message cut short before its id header.
            let ids: Vec<String> = indices
                .iter()
                .map(|&i| message_id(&messages[i].data).unwrap_or(0).to_string())
                .collect();
            emit(&format!("x {}", ids.join(" ")));
            locked
                .expunge(&indices)
                .unwrap_or_else(|e| fail("expunge", &e));
            drop(locked);
            emit(&format!("X {}", ids.join(" ")));
        } else {
            next_id += 1;
            emit(&format!("a {next_id}"));
            locked
                .append(&envelope(next_id), &message(cseed, next_id))
                .unwrap_or_else(|e| fail("append", &e));
            drop(locked);
            emit(&format!("A {next_id}"));
        }
    }
}

/// What the parent knows about one mailbox.
struct MboxCheck {
    seed: u64,
    cseed: u64,
    path: PathBuf,
    /// Acknowledged (or found whole after a kill) and not expunged.
    present: BTreeSet<u64>,
    /// Acknowledged expunges (or found done after a kill).
    expunged: HashSet<u64>,
    /// Appends started but never acknowledged: they may be cut short.
    unacked: HashSet<u64>,
    kills: u64,
    partials_seen: u64,
}

/// One message as found in the file.
struct Found {
    id: Option<u64>,
    raw: Vec<u8>,
}

impl MboxCheck {
    fn ctx(&self) -> String {
        format!(
            "after kill {}; seed {} (MW_SEED={} reproduces); {}",
            self.kills,
            self.seed,
            self.seed,
            self.path.display()
        )
    }

    /// Applies one killed child's lines; returns the expunge in flight.
    fn record(&mut self, lines: &[String]) -> Option<Vec<u64>> {
        let mut in_flight = None;
        for line in lines {
            let mut words = line.split(' ');
            let kind = words.next().unwrap_or_default();
            let ids: Vec<u64> = words.filter_map(|w| w.parse().ok()).collect();
            match kind {
                "ready" => {}
                "a" => {
                    self.unacked.insert(ids[0]);
                }
                "A" => {
                    self.unacked.remove(&ids[0]);
                    self.present.insert(ids[0]);
                }
                "x" => in_flight = Some(ids),
                "X" => {
                    for id in ids.iter().filter(|&&id| id != 0) {
                        self.present.remove(id);
                        self.expunged.insert(*id);
                    }
                    in_flight = None;
                }
                _ => panic!("child failed: {line}; {}", self.ctx()),
            }
        }
        in_flight
    }

    /// Reads the file: each message's id and its raw bytes (from its
    /// separator to the next).
    fn read(&self) -> Vec<Found> {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
            Err(e) => panic!("read: {e}; {}", self.ctx()),
        };
        let mut reader = MboxReader::new(&bytes[..], Format::Mboxrd);
        let mut found: Vec<(u64, Option<u64>)> = Vec::new();
        loop {
            let info = match reader.next_message() {
                Ok(Some(info)) => info,
                Ok(None) => break,
                Err(e) => panic!("the mailbox does not parse: {e}; {}", self.ctx()),
            };
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut reader, &mut data).unwrap();
            found.push((info.offset, message_id(&data)));
        }
        let ends = found
            .iter()
            .skip(1)
            .map(|(o, _)| *o as usize)
            .chain([bytes.len()]);
        found
            .iter()
            .zip(ends)
            .map(|(&(start, id), end)| Found {
                id,
                raw: bytes[start as usize..end].to_vec(),
            })
            .collect()
    }

    /// Whether `raw` is a cut-short append: without its trailing line
    /// breaks, a proper prefix of one of the unacknowledged messages.
    fn is_partial(&self, raw: &[u8], id: Option<u64>) -> bool {
        let cut = trim_newlines(raw);
        let candidates: Vec<u64> = match id {
            Some(id) => vec![id],
            None => self.unacked.iter().copied().collect(),
        };
        candidates.iter().any(|&c| {
            self.unacked.contains(&c) && {
                let w = wire(self.cseed, c);
                cut.len() < w.len() && w.starts_with(cut)
            }
        })
    }

    fn check(&mut self, in_flight: Option<Vec<u64>>) {
        let found = self.read();
        let mut ids = HashSet::new();
        // Ids in the file, cut-short appends included.
        let seen: HashSet<u64> = found.iter().filter_map(|f| f.id).collect();
        for f in &found {
            let Some(id) = f.id.filter(|_| !self.is_partial(&f.raw, f.id)) else {
                if !self.is_partial(&f.raw, f.id) {
                    panic!(
                        "a message that is no test message and no cut-short append: {:?}; {}",
                        String::from_utf8_lossy(&f.raw[..f.raw.len().min(200)]),
                        self.ctx()
                    );
                }
                self.partials_seen += 1;
                continue;
            };
            let w = wire(self.cseed, id);
            // A whole message, maybe followed by the first bytes of an
            // append cut short within its `From ` (then not a separator).
            let whole =
                f.raw == w || (f.raw.starts_with(&w) && self.is_partial(&f.raw[w.len()..], None));
            assert!(whole, "message {id} is damaged; {}", self.ctx());
            assert!(ids.insert(id), "message {id} appears twice; {}", self.ctx());
            assert!(
                !self.expunged.contains(&id),
                "expunged message {id} is back; {}",
                self.ctx()
            );
        }
        for id in &self.present {
            if in_flight.as_ref().is_some_and(|x| x.contains(id)) {
                continue;
            }
            assert!(
                ids.contains(id),
                "acknowledged message {id} is missing; {}",
                self.ctx()
            );
        }
        if let Some(x) = in_flight {
            let known: Vec<u64> = x.into_iter().filter(|&id| id != 0).collect();
            let gone = known.iter().filter(|id| !seen.contains(id)).count();
            assert!(
                gone == 0 || gone == known.len(),
                "an expunge of {known:?} was half done; {}",
                self.ctx()
            );
            for id in known.iter().filter(|_| gone > 0) {
                self.present.remove(id);
                self.expunged.insert(*id);
            }
        }
        // Whole messages whose append was not acknowledged are kept from
        // now on; cut-short ones stay candidates.
        for id in &ids {
            if self.unacked.remove(id) {
                self.present.insert(*id);
            }
        }
    }
}

fn trim_newlines(raw: &[u8]) -> &[u8] {
    let end = raw.iter().rposition(|&b| b != b'\n').map_or(0, |p| p + 1);
    &raw[..end]
}

#[test]
fn sigkill_during_mbox_append_and_expunge() {
    let seed = child::run_seed();
    eprintln!("sigkill_during_mbox_append_and_expunge: seed {seed}");
    let kills = child::env_count("MW_CRASH_MBOX_KILLS", 600);
    let mut rng = Rng::new(seed);
    let cseed = rng.next_u64();
    let start = Instant::now();
    let (mut total, mut child_no, mut partials, mut acked) = (0, 0u64, 0, 0);
    while total < kills {
        let dir = TempDir::new("crash-mbox");
        std::fs::create_dir_all(&dir.0).unwrap();
        let mut st = MboxCheck {
            seed,
            cseed,
            path: dir.0.join("inbox"),
            present: BTreeSet::new(),
            expunged: HashSet::new(),
            unacked: HashSet::new(),
            kills: total,
            partials_seen: 0,
        };
        for _ in 0..PER_MAILBOX.min(kills - total) {
            child_no += 1;
            let env: Env = vec![
                (child::DIR_VAR, dir.0.display().to_string()),
                (child::SEED_VAR, rng.next_u64().to_string()),
                (child::CONTENT_VAR, cseed.to_string()),
                (child::ID_VAR, (child_no << 24).to_string()),
                (child::MS_VAR, "10000".into()),
            ];
            let lines = run_and_kill("mbox", &env, &mut rng, seed);
            total += 1;
            st.kills = total;
            let in_flight = st.record(&lines);
            st.check(in_flight);
        }
        leftovers_are_harmless(&dir.0, &st);
        partials += st.partials_seen;
        acked += st.present.len() + st.expunged.len();
    }
    eprintln!(
        "sigkill_during_mbox_append_and_expunge: {total} kills, {acked} messages kept or \
         expunged, {partials} sightings of a cut-short append, {:?}",
        start.elapsed()
    );
}

/// Besides the mailbox, a kill may leave only its dotlock and the
/// expunge's temporary file; a new writer takes over both.
fn leftovers_are_harmless(dir: &Path, st: &MboxCheck) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            ["inbox", "inbox.lock", ".inbox.expunge"].contains(&name.as_str()),
            "unexpected file {name}; {}",
            st.ctx()
        );
    }
    let mbox = Mbox::new(&st.path, Format::Mboxrd).with_locking(locking());
    let mut locked = mbox.lock().unwrap();
    let count = locked.messages().unwrap().len();
    if count > 0 {
        locked.expunge(&[0]).unwrap();
    }
    drop(locked);
    let names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        !names.iter().any(|n| n == "inbox.lock"),
        "the dotlock was not taken over; {}",
        st.ctx()
    );
}
