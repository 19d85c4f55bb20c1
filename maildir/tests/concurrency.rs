//! Several processes delivering, flagging and expunging on one folder at
//! once: nothing acknowledged is lost, acknowledged expunges are gone,
//! every message is intact and present once, and UIDs are unique and
//! stable (every UID any process reported for a file is the UID it has at
//! the end, and no UID ever names two files).
//!
//! Reproduce a run with `MW_SEED=<seed>`; `MW_CONC_MS=<ms>` sets how long
//! the children run (default 2500); `MW_CONC_NO_DF=1` leaves out
//! `Folder::deliver_flagged`.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::Write;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use maildir::Error;
use maildir::delivery::Maildir;
use maildir::dotlock::DotLockOptions;
use maildir::folder::{Changes, Folder};
use maildir::name::Flags;
use maildir::uidlist::{UIDLIST_FILE, UidList};

mod child;
mod support;

use child::{
    Child, Env, Rng, emit, fail, flags_word, list, message, parse_flags_word, var, var_u64,
};
use support::TempDir;

/// Nobody is killed here, so a lock is never stale; waiting longer than
/// this for it is a failure.
fn lock_options() -> DotLockOptions {
    DotLockOptions::new(Duration::from_secs(20), Duration::from_secs(120))
}

#[test]
fn child_entry() {
    let Ok(role) = std::env::var(child::ROLE_VAR) else {
        return;
    };
    let md = Maildir::open(var(child::DIR_VAR)).unwrap_or_else(|e| fail("open maildir", &e));
    let rng = Rng::new(var_u64(child::SEED_VAR));
    let deadline = Instant::now() + Duration::from_millis(var_u64(child::MS_VAR));
    let max_ops = var_u64(child::OPS_VAR);
    match role.as_str() {
        "deliver" => deliverer(&md, rng, deadline, max_ops),
        "flagger" => flagger(&md, rng, deadline, max_ops),
        "observer" => observer(&md, deadline),
        other => panic!("unknown child role {other}"),
    }
    emit("done");
}

/// Emits a protocol line stamped with the wall-clock time (` @nanos`),
/// so that the parent can put all children's lines in one order.
fn say(line: &str) {
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    emit(&format!("{line} @{t}"));
}

/// Reports the UIDs a refresh found added (`U uid base`) and gone (`G uid`).
fn report(folder: &Folder, changes: &Changes) {
    for &uid in &changes.added {
        if let Some(m) = folder.get(uid) {
            say(&format!("U {uid} {}", m.base_name()));
        }
    }
    for &uid in &changes.expunged {
        say(&format!("G {uid}"));
    }
}

/// Delivers distinct messages: `DN id base` (deliver → new/),
/// `DF id uid base flags` (Folder::deliver_flagged), `DS id base` and
/// `DC id base flags` (streaming into new/ or cur/).
fn deliverer(md: &Maildir, mut rng: Rng, deadline: Instant, max_ops: u64) {
    let mut folder = Folder::open_with(md, lock_options()).unwrap_or_else(|e| fail("open", &e));
    let cseed = var_u64(child::CONTENT_VAR);
    let mut id = var_u64(child::ID_VAR);
    // MW_CONC_NO_DF=1 leaves Folder::deliver_flagged out (to look past a
    // failure in it).
    let flagged = if std::env::var_os("MW_CONC_NO_DF").is_some() {
        35
    } else {
        75
    };
    emit("ready");
    for _ in 0..max_ops {
        if Instant::now() >= deadline {
            break;
        }
        id += 1;
        let msg = message(cseed, id);
        match rng.below(100) {
            0..35 => {
                let d = md.deliver(&msg).unwrap_or_else(|e| fail("deliver", &e));
                say(&format!("DN {id} {}", d.name.without_info()));
            }
            n if n < flagged => {
                let f = rng.flags();
                let uid = folder
                    .deliver_flagged(&msg, &f)
                    .unwrap_or_else(|e| fail("deliver_flagged", &e));
                let base = folder
                    .get(uid)
                    .unwrap_or_else(|| fail("deliver_flagged: UID not in the folder", &uid))
                    .base_name()
                    .to_owned();
                say(&format!("DF {id} {uid} {base} {}", flags_word(&f)));
            }
            _ => {
                let mut d = md.delivery().unwrap_or_else(|e| fail("delivery", &e));
                let mut rest = &msg[..];
                while !rest.is_empty() {
                    let n = 1 + rng.below(rest.len().min(4000) as u64) as usize;
                    d.write_all(&rest[..n])
                        .unwrap_or_else(|e| fail("delivery write", &e));
                    rest = &rest[n..];
                }
                if rng.chance(50) {
                    let done = d.commit().unwrap_or_else(|e| fail("commit", &e));
                    say(&format!("DS {id} {}", done.name.without_info()));
                } else {
                    let f = rng.flags();
                    let done = d
                        .commit_to_cur(&f)
                        .unwrap_or_else(|e| fail("commit_to_cur", &e));
                    let base = done.name.without_info();
                    say(&format!("DC {id} {base} {}", flags_word(&f)));
                }
            }
        }
    }
}

/// Refreshes, then sets random flags on (`SF uid base flags`) or expunges
/// (`SX uid base`) a random message, preferring recent ones so that the
/// flaggers collide with each other and with the deliveries. A failure is
/// reported as `E op uid base error` for the parent to judge.
fn flagger(md: &Maildir, mut rng: Rng, deadline: Instant, max_ops: u64) {
    let mut folder = Folder::open_with(md, lock_options()).unwrap_or_else(|e| fail("open", &e));
    for m in folder.messages() {
        say(&format!("U {} {}", m.uid(), m.base_name()));
    }
    emit("ready");
    let mut ops = 0;
    while ops < max_ops && Instant::now() < deadline {
        if folder.is_empty() || rng.chance(60) {
            let changes = folder.refresh().unwrap_or_else(|e| fail("refresh", &e));
            report(&folder, &changes);
        }
        if folder.is_empty() {
            std::thread::sleep(Duration::from_millis(1));
            continue;
        }
        ops += 1;
        let uids: Vec<u32> = folder.uids().collect();
        let uid = if rng.chance(50) {
            rng.pick(&uids[uids.len().saturating_sub(8)..])
        } else {
            rng.pick(&uids)
        };
        let base = folder.get(uid).unwrap().base_name().to_owned();
        if rng.chance(12) {
            match folder.expunge(uid) {
                Ok(()) => say(&format!("SX {uid} {base}")),
                Err(e) => say(&format!("E x {uid} {base} {}", one_line(&e))),
            }
        } else {
            let f = rng.flags();
            match folder.set_flags(uid, &f) {
                Ok(()) => say(&format!("SF {uid} {base} {}", flags_word(&f))),
                Err(e) => say(&format!("E f {uid} {base} {}", one_line(&e))),
            }
        }
    }
}

/// Refreshes in a loop, reporting what it sees appear and vanish, and
/// now and then opens the folder afresh.
fn observer(md: &Maildir, deadline: Instant) {
    let mut folder = Folder::open_with(md, lock_options()).unwrap_or_else(|e| fail("open", &e));
    emit("ready");
    let mut n = 0u64;
    while Instant::now() < deadline {
        n += 1;
        if n.is_multiple_of(16) {
            let fresh = Folder::open_with(md, lock_options()).unwrap_or_else(|e| fail("open", &e));
            for m in fresh.messages() {
                say(&format!("U {} {}", m.uid(), m.base_name()));
            }
        }
        let changes = folder.refresh().unwrap_or_else(|e| fail("refresh", &e));
        report(&folder, &changes);
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn one_line(e: &Error) -> String {
    let kind = match e {
        Error::NotFound { .. } => "NotFound",
        Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => "IoNotFound",
        Error::Io { .. } => "Io",
        Error::Locked { .. } => "Locked",
        _ => "Other",
    };
    format!("{kind} {e}").replace('\n', " ")
}

/// Every UID ↔ file pairing reported by anyone; each must be one-to-one.
#[derive(Debug, Default)]
struct UidMap {
    uid_of: HashMap<String, u32>,
    base_of: HashMap<u32, String>,
}

impl UidMap {
    /// Records that child `who` saw `base` as `uid`; on a conflict panics
    /// with every line about the file or the UIDs involved.
    fn map(&mut self, uid: u32, base: &str, who: usize, line: &str, all: &[Line], ctx: &str) {
        let conflict = match (self.uid_of.get(base), self.base_of.get(&uid)) {
            (Some(&u), _) if u != uid => Some(format!("{base} has two UIDs: {u} and {uid}")),
            (_, Some(b)) if b != base => Some(format!("UID {uid} names {b} and {base}")),
            _ => None,
        };
        if let Some(what) = conflict {
            let old_uid = self.uid_of.get(base).copied().unwrap_or(uid);
            let old_base = self.base_of.get(&uid).cloned().unwrap_or_default();
            // Lines naming the file, or naming one of the UIDs where a UID
            // is meant (not delivery ids).
            let uid_words = [uid.to_string(), old_uid.to_string()];
            let mut history = String::new();
            for l in all {
                let w: Vec<&str> = l.text.split(' ').collect();
                let names_uid = match w[0] {
                    "U" | "G" | "SF" | "SX" | "E" => {
                        let i = if w[0] == "E" { 2 } else { 1 };
                        w.get(i).is_some_and(|u| uid_words.iter().any(|x| x == u))
                    }
                    "DF" => uid_words.iter().any(|x| x == w[2]),
                    _ => false,
                };
                let names_file = w
                    .iter()
                    .any(|x| *x == base || (!old_base.is_empty() && *x == old_base));
                if names_uid || names_file {
                    history.push_str(&format!("\n  {} child {}: {}", l.time, l.who, l.text));
                }
            }
            panic!("{what} (child {who}: {line}); {ctx}\nlines about them, by time:{history}");
        }
        self.uid_of.insert(base.to_owned(), uid);
        self.base_of.insert(uid, base.to_owned());
    }
}

/// One protocol line from a child.
#[derive(Debug)]
struct Line {
    time: u128,
    who: usize,
    text: String,
}

/// A delivery as acknowledged by a child.
#[derive(Debug)]
struct Delivered {
    base: String,
    uid: Option<u32>,
    flags: Flags,
}

#[test]
fn processes_deliver_flag_and_expunge_at_once() {
    let seed = child::run_seed();
    eprintln!("processes_deliver_flag_and_expunge_at_once: seed {seed}");
    let ms = child::env_count("MW_CONC_MS", 2500);
    let mut rng = Rng::new(seed);
    let cseed = rng.next_u64();
    let dir = TempDir::new("concurrency");
    let md = Maildir::create(&dir.0).unwrap();
    // A few messages to start with, so flaggers have work at once.
    let mut delivered: HashMap<u64, Delivered> = HashMap::new();
    for id in 1..=20 {
        let d = md.deliver(&message(cseed, id)).unwrap();
        let d = Delivered {
            base: d.name.without_info().to_owned(),
            uid: None,
            flags: Flags::new(),
        };
        delivered.insert(id, d);
    }
    let ctx = format!(
        "seed {seed} (MW_SEED={seed} reproduces) in {}",
        md.path().display()
    );
    let start = Instant::now();

    let roles = [
        "deliver", "deliver", "deliver", "flagger", "flagger", "observer",
    ];
    let mut children: Vec<Child> = roles
        .iter()
        .enumerate()
        .map(|(i, role)| {
            let env: Env = vec![
                (child::DIR_VAR, md.path().display().to_string()),
                (child::SEED_VAR, rng.next_u64().to_string()),
                (child::CONTENT_VAR, cseed.to_string()),
                (child::ID_VAR, ((i as u64 + 1) << 24).to_string()),
                (child::MS_VAR, ms.to_string()),
                (child::OPS_VAR, "1500".into()),
            ];
            Child::spawn(role, &env)
        })
        .collect();
    for c in &mut children {
        c.wait_for("ready", Duration::from_secs(30))
            .unwrap_or_else(|e| panic!("{e}; {ctx}"));
    }
    let mut all: Vec<Line> = Vec::new();
    for (i, c) in children.into_iter().enumerate() {
        let (status, lines) = c
            .finish(Duration::from_millis(ms) + Duration::from_secs(40))
            .unwrap_or_else(|e| panic!("{e}; {ctx}"));
        assert!(
            status.success() && lines.last().map(String::as_str) == Some("done"),
            "{} child {i} failed ({status:?}): {:?}; {ctx}",
            roles[i],
            lines.iter().rev().take(3).collect::<Vec<_>>()
        );
        for l in lines {
            let (text, time) = l.rsplit_once(" @").unwrap_or((&l, "0"));
            all.push(Line {
                time: time.parse().unwrap_or(0),
                who: i,
                text: text.to_owned(),
            });
        }
    }
    all.sort_by_key(|l| l.time);
    let ran = start.elapsed();

    // What the children acknowledged.
    let mut uids = UidMap::default();
    let mut set_flags: HashMap<String, Vec<Flags>> = HashMap::new();
    let mut expunged: HashSet<String> = HashSet::new();
    let mut gone_seen: Vec<(usize, u32)> = Vec::new();
    let mut errors: Vec<(usize, String)> = Vec::new();
    let mut counts: HashMap<String, u64> = HashMap::new();
    for line in &all {
        let (who, l) = (&line.who, &line.text);
        let w: Vec<&str> = l.split(' ').collect();
        *counts.entry(w[0].to_owned()).or_default() += 1;
        match w[0] {
            "ready" | "done" => {}
            "DN" | "DS" => {
                let d = Delivered {
                    base: w[2].to_owned(),
                    uid: None,
                    flags: Flags::new(),
                };
                assert!(delivered.insert(w[1].parse().unwrap(), d).is_none());
            }
            "DC" => {
                let d = Delivered {
                    base: w[2].to_owned(),
                    uid: None,
                    flags: parse_flags_word(w[3]),
                };
                assert!(delivered.insert(w[1].parse().unwrap(), d).is_none());
            }
            "DF" => {
                let uid: u32 = w[2].parse().unwrap();
                uids.map(uid, w[3], *who, l, &all, &ctx);
                let d = Delivered {
                    base: w[3].to_owned(),
                    uid: Some(uid),
                    flags: parse_flags_word(w[4]),
                };
                assert!(delivered.insert(w[1].parse().unwrap(), d).is_none());
            }
            "U" => uids.map(w[1].parse().unwrap(), w[2], *who, l, &all, &ctx),
            "SF" => {
                uids.map(w[1].parse().unwrap(), w[2], *who, l, &all, &ctx);
                set_flags
                    .entry(w[2].to_owned())
                    .or_default()
                    .push(parse_flags_word(w[3]));
            }
            "SX" => {
                uids.map(w[1].parse().unwrap(), w[2], *who, l, &all, &ctx);
                expunged.insert(w[2].to_owned());
            }
            "G" => gone_seen.push((*who, w[1].parse().unwrap())),
            "E" => errors.push((*who, l.clone())),
            _ => panic!("child {who} ({}) failed: {l}; {ctx}", roles[*who]),
        }
    }

    // Errors are only acceptable for a message someone expunged, and then
    // only as NotFound.
    for (who, l) in &errors {
        let w: Vec<&str> = l.splitn(6, ' ').collect();
        let (op, base, kind) = (w[1], w[3], w[4]);
        assert!(
            op == "f" && kind == "NotFound" && expunged.contains(base),
            "child {who} ({}): {l}; {ctx}",
            roles[*who]
        );
    }
    // A message seen to vanish was expunged.
    for (who, uid) in &gone_seen {
        let base = uids.base_of.get(uid);
        assert!(
            base.is_some_and(|b| expunged.contains(b)),
            "child {who} ({}) saw UID {uid} ({base:?}) vanish, but nobody expunged it; {ctx}",
            roles[*who]
        );
    }

    // The folder at the end.
    let folder = Folder::open_with(&md, lock_options()).unwrap_or_else(|e| panic!("{e}; {ctx}"));
    assert!(list(md.new_dir()).is_empty(), "{ctx}");
    let cur = list(md.cur_dir());
    assert_eq!(folder.len(), cur.len(), "files not indexed; {ctx}");
    assert!(list(md.tmp_dir()).is_empty(), "tmp/ not empty; {ctx}");
    let mut ids: HashMap<u64, String> = HashMap::new();
    let mut prev = 0;
    for m in folder.messages() {
        let uid = m.uid();
        assert!(uid > prev && uid < folder.next_uid(), "UIDs; {ctx}");
        prev = uid;
        uids.map(uid, m.base_name(), usize::MAX, "final open", &all, &ctx);
        let content = fs::read(folder.path_of(uid).unwrap()).unwrap();
        let id = child::verify_file(cseed, m.file_name(), &content)
            .unwrap_or_else(|e| panic!("{e}; {ctx}"));
        if let Some(other) = ids.insert(id, m.file_name().to_owned()) {
            panic!("message {id} twice: {other} and {}; {ctx}", m.file_name());
        }
        assert!(
            !expunged.contains(m.base_name()),
            "expunged {} is still there; {ctx}",
            m.file_name()
        );
        // Flags are the delivered ones or ones somebody set.
        let flags = m
            .flags()
            .unwrap_or_else(|| panic!("{}; {ctx}", m.file_name()));
        let mut allowed: Vec<Flags> = set_flags.get(m.base_name()).cloned().unwrap_or_default();
        match delivered.get(&id) {
            Some(d) => {
                assert_eq!(d.base, m.base_name(), "message {id}; {ctx}");
                allowed.push(d.flags);
            }
            None => panic!("message {id} was never acknowledged; {ctx}"),
        }
        assert!(
            allowed.contains(&flags),
            "{}: flags {} never set (allowed {:?}); {ctx}",
            m.file_name(),
            flags_word(&flags),
            allowed.iter().map(flags_word).collect::<Vec<_>>()
        );
    }
    for (id, d) in &delivered {
        if !expunged.contains(&d.base) {
            assert!(
                ids.contains_key(id),
                "acknowledged message {id} ({}) lost; {ctx}",
                d.base
            );
        }
        if let Some(uid) = d.uid {
            assert_eq!(uids.uid_of.get(&d.base), Some(&uid), "{ctx}");
        }
    }
    let max_uid = uids.uid_of.values().copied().max().unwrap_or(0);
    assert!(folder.next_uid() > max_uid, "{ctx}");
    let saved = UidList::load(md.path().join(UIDLIST_FILE))
        .unwrap()
        .unwrap();
    assert_eq!(saved.next_uid(), folder.next_uid(), "{ctx}");
    assert_eq!(saved.len(), folder.len(), "{ctx}");
    let again = Folder::open_with(&md, lock_options()).unwrap();
    assert_eq!(again.messages(), folder.messages(), "{ctx}");
    assert_eq!(again.next_uid(), folder.next_uid(), "{ctx}");
    assert_eq!(again.uid_validity(), folder.uid_validity(), "{ctx}");
    assert!(!md.path().join(format!("{UIDLIST_FILE}.lock")).exists());

    let mut counts: Vec<_> = counts.into_iter().collect();
    counts.sort();
    eprintln!(
        "processes_deliver_flag_and_expunge_at_once: {} processes for {ran:?}, \
         {} messages at the end, next UID {}, lines {counts:?}, {} tolerated errors",
        roles.len(),
        folder.len(),
        folder.next_uid(),
        errors.len()
    );
}
