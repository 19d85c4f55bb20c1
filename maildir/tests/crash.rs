//! Crash safety: a child process delivering messages or changing flags is
//! killed with SIGKILL at a random moment, over and over (thousands of
//! times across the two tests). After every kill the parent checks that
//! every acknowledged message is present exactly once and intact, that no
//! partial file is in `new/` or `cur/`, that flags are old or new (never
//! garbage), that acknowledged expunges stay gone, and that the UID list
//! parses, keeps every UID and never reuses one.
//!
//! A killed child may leave `dovecot-uidlist.lock` behind. The library
//! breaks a lock only once it is older than `stale_timeout` (Dovecot's 2
//! minutes; the lock carries no pid). In these tests at most one process
//! uses the folder at any time (the parent checks only after the child has
//! been reaped), so every process here uses a stale timeout of zero: that
//! is what a restart after the stale timeout would do, without waiting two
//! minutes. Once per test the parent also checks that with the default
//! stale timeout such a lock is reported as `Error::Locked`.
//!
//! Reproduce a run with `MW_SEED=<seed>` (each test prints its seed and
//! every failure names it); `MW_CRASH_KILLS=<n>` sets the number of kills
//! per test (default 800 for delivery and 1200 for flag changes: 2000).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use maildir::Error;
use maildir::delivery::{Maildir, TMP_MAX_AGE};
use maildir::dotlock::DotLockOptions;
use maildir::folder::Folder;
use maildir::name::{Flags, MessageName};
use maildir::uidlist::{UIDLIST_FILE, UidList, base_name};

mod child;
mod support;

use child::{
    Env, Rng, emit, fail, flags_word, list, message, parse_flags_word, run_and_kill, var, var_u64,
};
use support::TempDir;

/// Lock options for a folder only one process uses at a time: wait up to
/// 10 s, and treat any leftover lock (from a killed process) as stale.
fn crash_lock() -> DotLockOptions {
    DotLockOptions::new(Duration::from_secs(10), Duration::ZERO)
}

#[test]
fn child_entry() {
    let Ok(role) = std::env::var(child::ROLE_VAR) else {
        return;
    };
    match role.as_str() {
        "deliver" => deliver_child(),
        "flags" => flags_child(),
        other => panic!("unknown child role {other}"),
    }
}

// ---------------------------------------------------------------------
// Delivery under SIGKILL.

/// Delivers distinct messages in four ways until killed:
/// `D id base` (deliver → new/), `F id uid flags` (Folder::deliver_flagged),
/// `S id base` / `C id base flags` (streaming, commit / commit_to_cur),
/// `A id` (streaming, then abort or drop: must never appear).
fn deliver_child() {
    let md = Maildir::open(var(child::DIR_VAR)).unwrap_or_else(|e| fail("open maildir", &e));
    let mut folder = Folder::open_with(&md, crash_lock()).unwrap_or_else(|e| fail("open", &e));
    let mut rng = Rng::new(var_u64(child::SEED_VAR));
    let cseed = var_u64(child::CONTENT_VAR);
    let mut id = var_u64(child::ID_VAR);
    let deadline = Instant::now() + Duration::from_millis(var_u64(child::MS_VAR));
    emit("ready");
    while Instant::now() < deadline {
        id += 1;
        let msg = message(cseed, id);
        match rng.below(100) {
            0..30 => {
                let d = md.deliver(&msg).unwrap_or_else(|e| fail("deliver", &e));
                emit(&format!("D {id} {}", d.name.without_info()));
            }
            30..60 => {
                let f = rng.flags();
                let uid = folder
                    .deliver_flagged(&msg, &f)
                    .unwrap_or_else(|e| fail("deliver_flagged", &e));
                emit(&format!("F {id} {uid} {}", flags_word(&f)));
            }
            60..90 => {
                let mut d = md.delivery().unwrap_or_else(|e| fail("delivery", &e));
                let mut rest = &msg[..];
                while !rest.is_empty() {
                    let n = 1 + rng.below(rest.len().min(6000) as u64) as usize;
                    d.write_all(&rest[..n])
                        .unwrap_or_else(|e| fail("delivery write", &e));
                    rest = &rest[n..];
                    if rng.chance(20) {
                        d.flush().unwrap_or_else(|e| fail("delivery flush", &e));
                    }
                }
                if rng.chance(50) {
                    let done = d.commit().unwrap_or_else(|e| fail("commit", &e));
                    emit(&format!("S {id} {}", done.name.without_info()));
                } else {
                    let f = rng.flags();
                    let done = d
                        .commit_to_cur(&f)
                        .unwrap_or_else(|e| fail("commit_to_cur", &e));
                    emit(&format!(
                        "C {id} {} {}",
                        done.name.without_info(),
                        flags_word(&f)
                    ));
                }
            }
            _ => {
                let mut d = md.delivery().unwrap_or_else(|e| fail("delivery", &e));
                d.write_all(&msg[..msg.len() / 2])
                    .unwrap_or_else(|e| fail("delivery write", &e));
                if rng.chance(50) {
                    d.abort().unwrap_or_else(|e| fail("abort", &e));
                } else {
                    drop(d);
                }
                emit(&format!("A {id}"));
            }
        }
    }
}

/// What the parent knows about one acknowledged delivery.
#[derive(Debug)]
struct Acked {
    base: Option<String>,
    uid: Option<u32>,
    flags: Flags,
}

/// The parent's view of the delivery folder across kills.
#[derive(Debug)]
struct DeliveryCheck {
    seed: u64,
    cseed: u64,
    md: Maildir,
    /// Base name → message id, for every file ever seen in new/ or cur/
    /// (content checked when first seen).
    files: HashMap<String, u64>,
    /// Message id → base name.
    ids: HashMap<u64, String>,
    acked: HashMap<u64, Acked>,
    aborted: HashSet<u64>,
    /// Base name → UID, once seen.
    uids: HashMap<String, u32>,
    validity: Option<u32>,
    next_uid: u32,
    kills: u64,
    leftover_locks: u64,
    locked_checked: bool,
}

impl DeliveryCheck {
    fn ctx(&self) -> String {
        format!(
            "seed {} (MW_SEED={} reproduces), kill {} in {}",
            self.seed,
            self.seed,
            self.kills,
            self.md.path().display()
        )
    }

    /// Takes in the child's acknowledged operations.
    fn record(&mut self, lines: &[String]) {
        for l in lines {
            let w: Vec<&str> = l.split(' ').collect();
            let id = || -> u64 { w[1].parse().unwrap() };
            match w[0] {
                "ready" => {}
                "D" | "S" => {
                    let a = Acked {
                        base: Some(w[2].to_owned()),
                        uid: None,
                        flags: Flags::new(),
                    };
                    assert!(self.acked.insert(id(), a).is_none(), "id twice: {l}");
                }
                "C" => {
                    let a = Acked {
                        base: Some(w[2].to_owned()),
                        uid: None,
                        flags: parse_flags_word(w[3]),
                    };
                    assert!(self.acked.insert(id(), a).is_none(), "id twice: {l}");
                }
                "F" => {
                    let a = Acked {
                        base: None,
                        uid: Some(w[2].parse().unwrap()),
                        flags: parse_flags_word(w[3]),
                    };
                    assert!(self.acked.insert(id(), a).is_none(), "id twice: {l}");
                }
                "A" => {
                    self.aborted.insert(id());
                }
                _ => panic!("child failed: {l}; {}", self.ctx()),
            }
        }
    }

    /// The invariants, checked with no other process touching the folder.
    fn check(&mut self) {
        let ctx = self.ctx();
        let md = self.md.clone();
        note_leftover_lock(
            &md,
            &mut self.leftover_locks,
            &mut self.locked_checked,
            &ctx,
        );

        // Every file in new/ and cur/ is a complete message, each once.
        let mut present: HashMap<String, String> = HashMap::new(); // base → name
        for (dir, names) in [
            (md.new_dir(), list(md.new_dir())),
            (md.cur_dir(), list(md.cur_dir())),
        ] {
            for name in names {
                let base = base_name(&name).to_owned();
                if !self.files.contains_key(&base) {
                    let content = fs::read(dir.join(&name)).unwrap();
                    let id = child::verify_file(self.cseed, &name, &content)
                        .unwrap_or_else(|e| panic!("{e}; {ctx}"));
                    if let Some(other) = self.ids.insert(id, base.clone()) {
                        panic!("message {id} delivered twice: {other} and {name}; {ctx}");
                    }
                    self.files.insert(base.clone(), id);
                }
                if let Some(prev) = present.insert(base, name.clone()) {
                    panic!("one message under two names: {prev} and {name}; {ctx}");
                }
            }
        }
        // Nothing is removed in this test: every file once seen is still there.
        for (base, id) in &self.files {
            assert!(
                present.contains_key(base),
                "message {id} ({base}) vanished; {ctx}"
            );
        }
        // Acknowledged deliveries are present, with the name and flags given.
        for (id, a) in &self.acked {
            let base = self
                .ids
                .get(id)
                .unwrap_or_else(|| panic!("acknowledged message {id} ({a:?}) missing; {ctx}"));
            if let Some(b) = &a.base {
                assert_eq!(b, base, "message {id} under another name; {ctx}");
            }
            let name = &present[base];
            let flags = MessageName::parse(name)
                .unwrap()
                .flags()
                .unwrap_or_default();
            assert_eq!(flags, a.flags, "message {id} {name}: flags; {ctx}");
        }
        for id in &self.aborted {
            assert!(
                !self.ids.contains_key(id),
                "aborted message {id} was delivered; {ctx}"
            );
        }

        // The folder opens, indexes every file, keeps every UID.
        let folder = Folder::open_with(&md, crash_lock())
            .unwrap_or_else(|e| panic!("Folder::open after a kill: {e}; {ctx}"));
        assert!(list(md.new_dir()).is_empty(), "new/ not emptied; {ctx}");
        assert_eq!(folder.len(), present.len(), "files not indexed; {ctx}");
        if let Some(v) = self.validity {
            assert_eq!(folder.uid_validity(), v, "UIDVALIDITY changed; {ctx}");
        }
        self.validity = Some(folder.uid_validity());
        assert!(
            folder.next_uid() >= self.next_uid,
            "next UID went back from {} to {}; {ctx}",
            self.next_uid,
            folder.next_uid()
        );
        let mut prev = 0;
        for m in folder.messages() {
            assert!(m.uid() > prev, "UIDs not unique/ascending; {ctx}");
            prev = m.uid();
            assert!(m.uid() < folder.next_uid(), "UID ≥ next UID; {ctx}");
            match self.uids.get(m.base_name()) {
                Some(&u) => assert_eq!(u, m.uid(), "{}: UID changed; {ctx}", m.base_name()),
                None => {
                    assert!(
                        m.uid() >= self.next_uid,
                        "{} got UID {} below the earlier next UID {} (reused); {ctx}",
                        m.base_name(),
                        m.uid(),
                        self.next_uid
                    );
                    self.uids.insert(m.base_name().to_owned(), m.uid());
                }
            }
        }
        self.next_uid = folder.next_uid();
        for (id, a) in &self.acked {
            if let Some(uid) = a.uid {
                let base = &self.ids[id];
                assert_eq!(
                    self.uids.get(base),
                    Some(&uid),
                    "message {id} ({base}) acknowledged with UID {uid}; {ctx}"
                );
            }
        }

        // The file itself parses and agrees.
        let saved = UidList::load(md.path().join(UIDLIST_FILE))
            .unwrap_or_else(|e| panic!("uidlist: {e}; {ctx}"))
            .unwrap_or_else(|| panic!("no uidlist; {ctx}"));
        assert_eq!(saved.next_uid(), folder.next_uid(), "{ctx}");
        assert_eq!(saved.len(), folder.len(), "{ctx}");
        for e in saved.entries() {
            assert_eq!(self.uids.get(e.name()), Some(&e.uid()), "{ctx}");
        }
    }

    /// Re-reads every message and compares it byte for byte.
    fn full_check(&self) {
        let ctx = self.ctx();
        for dir in [self.md.new_dir(), self.md.cur_dir()] {
            for name in list(dir) {
                let content = fs::read(dir.join(&name)).unwrap();
                let id = child::verify_file(self.cseed, &name, &content)
                    .unwrap_or_else(|e| panic!("{e}; {ctx}"));
                assert_eq!(self.files.get(base_name(&name)), Some(&id), "{ctx}");
            }
        }
    }
}

/// Checks that `clean_tmp` leaves fresh files and removes every file left
/// by the killed children once they are old enough.
fn check_clean_tmp(md: &Maildir, ctx: &str) -> usize {
    let left = list(md.tmp_dir()).len();
    assert_eq!(md.clean_tmp(SystemTime::now()).unwrap(), 0, "{ctx}");
    let later = SystemTime::now() + TMP_MAX_AGE + Duration::from_secs(3600);
    assert_eq!(md.clean_tmp(later).unwrap(), left, "{ctx}");
    assert!(list(md.tmp_dir()).is_empty(), "{ctx}");
    left
}

/// Spawns a child, waits for "ready", lets it run a random while, kills
/// it and returns what it acknowledged.
/// Counts a uidlist lock left by a killed child, and the first time shows
/// that with Dovecot's stale timeout it blocks the folder.
fn note_leftover_lock(md: &Maildir, leftovers: &mut u64, checked: &mut bool, ctx: &str) {
    if !md.path().join(format!("{UIDLIST_FILE}.lock")).exists() {
        return;
    }
    *leftovers += 1;
    if !*checked {
        let opts = DotLockOptions::new(Duration::from_millis(30), Duration::from_secs(120));
        match Folder::open_with(md, opts) {
            Err(Error::Locked { .. }) => {}
            other => panic!("leftover lock: expected Locked, got {other:?}; {ctx}"),
        }
        *checked = true;
    }
}

#[test]
fn sigkill_during_delivery() {
    let seed = child::run_seed();
    eprintln!("sigkill_during_delivery: seed {seed}");
    let kills = child::env_count("MW_CRASH_KILLS", 800);
    let per_folder = 50;
    let mut rng = Rng::new(seed);
    let cseed = rng.next_u64();
    let start = Instant::now();
    let (mut total_kills, mut child_no, mut acked, mut tmp_left, mut locks) = (0, 0u64, 0, 0, 0);
    let mut locked_checked = false;
    while total_kills < kills {
        let dir = TempDir::new("crash-deliver");
        let md = Maildir::create(&dir.0).unwrap();
        let mut st = DeliveryCheck {
            seed,
            cseed,
            md: md.clone(),
            files: HashMap::new(),
            ids: HashMap::new(),
            acked: HashMap::new(),
            aborted: HashSet::new(),
            uids: HashMap::new(),
            validity: None,
            next_uid: 1,
            kills: total_kills,
            leftover_locks: 0,
            locked_checked,
        };
        for _ in 0..per_folder.min(kills - total_kills) {
            child_no += 1;
            let env: Env = vec![
                (child::DIR_VAR, md.path().display().to_string()),
                (child::SEED_VAR, rng.next_u64().to_string()),
                (child::CONTENT_VAR, cseed.to_string()),
                (child::ID_VAR, (child_no << 24).to_string()),
                (child::MS_VAR, "10000".into()),
            ];
            let lines = run_and_kill("deliver", &env, &mut rng, seed);
            total_kills += 1;
            st.kills = total_kills;
            st.record(&lines);
            st.check();
            if total_kills.is_multiple_of(50) {
                st.full_check();
            }
        }
        st.full_check();
        acked += st.acked.len();
        locks += st.leftover_locks;
        locked_checked = st.locked_checked;
        tmp_left += check_clean_tmp(&md, &st.ctx());
        st.check();
        st.full_check();
    }
    eprintln!(
        "sigkill_during_delivery: {total_kills} kills, {acked} acknowledged deliveries, \
         {tmp_left} tmp/ files left, {locks} leftover locks, {:?}",
        start.elapsed()
    );
}

// ---------------------------------------------------------------------
// Flag changes and expunges under SIGKILL.

/// Opens the folder and changes flags (mostly), expunges and delivers
/// until killed. Each operation is announced before (`f uid flags`,
/// `x uid`, `a id flags`) and acknowledged after (`F uid flags`, `X uid`,
/// `A id uid flags`).
fn flags_child() {
    let md = Maildir::open(var(child::DIR_VAR)).unwrap_or_else(|e| fail("open maildir", &e));
    let mut folder = Folder::open_with(&md, crash_lock()).unwrap_or_else(|e| fail("open", &e));
    let mut rng = Rng::new(var_u64(child::SEED_VAR));
    let cseed = var_u64(child::CONTENT_VAR);
    let mut id = var_u64(child::ID_VAR);
    let deadline = Instant::now() + Duration::from_millis(var_u64(child::MS_VAR));
    emit("ready");
    while Instant::now() < deadline {
        let uids: Vec<u32> = folder.uids().collect();
        let r = rng.below(100);
        if r < 6 && uids.len() > 30 {
            let uid = rng.pick(&uids);
            emit(&format!("x {uid}"));
            folder
                .expunge(uid)
                .unwrap_or_else(|e| fail(&format!("expunge {uid}"), &e));
            emit(&format!("X {uid}"));
        } else if r < 12 && uids.len() < 90 {
            id += 1;
            let f = rng.flags();
            emit(&format!("a {id} {}", flags_word(&f)));
            let uid = folder
                .deliver_flagged(&message(cseed, id), &f)
                .unwrap_or_else(|e| fail("deliver_flagged", &e));
            emit(&format!("A {id} {uid} {}", flags_word(&f)));
        } else if !uids.is_empty() {
            let uid = rng.pick(&uids);
            let f = rng.flags();
            emit(&format!("f {uid} {}", flags_word(&f)));
            folder
                .set_flags(uid, &f)
                .unwrap_or_else(|e| fail(&format!("set_flags {uid}"), &e));
            emit(&format!("F {uid} {}", flags_word(&f)));
        }
    }
}

#[derive(Debug, Clone)]
struct Msg {
    id: u64,
    /// Unknown for a message the child delivered until the parent sees it.
    base: Option<String>,
    flags: Flags,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Pending {
    Flags(u32, Flags),
    Expunge(u32),
    Deliver(u64, Flags),
}

#[derive(Debug)]
struct FlagsCheck {
    seed: u64,
    cseed: u64,
    md: Maildir,
    msgs: BTreeMap<u32, Msg>,
    /// Expunged UIDs → base (acknowledged or observed gone).
    expunged: HashMap<u32, Option<String>>,
    acked_expunges: u64,
    acked_flags: u64,
    acked_delivers: u64,
    pending: Option<Pending>,
    validity: u32,
    next_uid: u32,
    kills: u64,
    leftover_locks: u64,
    locked_checked: bool,
}

impl FlagsCheck {
    fn ctx(&self) -> String {
        format!(
            "seed {} (MW_SEED={} reproduces), kill {} in {}",
            self.seed,
            self.seed,
            self.kills,
            self.md.path().display()
        )
    }

    fn record(&mut self, lines: &[String]) {
        self.pending = None;
        for l in lines {
            let w: Vec<&str> = l.split(' ').collect();
            let n = |i: usize| -> u64 { w[i].parse().unwrap() };
            match w[0] {
                "ready" => {}
                "f" => self.pending = Some(Pending::Flags(n(1) as u32, parse_flags_word(w[2]))),
                "F" => {
                    let m = self.msgs.get_mut(&(n(1) as u32)).unwrap_or_else(|| {
                        panic!("child set flags on an unknown UID: {l}; seed {}", self.seed)
                    });
                    m.flags = parse_flags_word(w[2]);
                    self.acked_flags += 1;
                    self.pending = None;
                }
                "x" => self.pending = Some(Pending::Expunge(n(1) as u32)),
                "X" => {
                    let uid = n(1) as u32;
                    let m = self.msgs.remove(&uid).unwrap_or_else(|| {
                        panic!("child expunged an unknown UID: {l}; seed {}", self.seed)
                    });
                    self.expunged.insert(uid, m.base);
                    self.acked_expunges += 1;
                    self.pending = None;
                }
                "a" => self.pending = Some(Pending::Deliver(n(1), parse_flags_word(w[2]))),
                "A" => {
                    let uid = n(2) as u32;
                    assert!(
                        uid >= self.next_uid && !self.msgs.contains_key(&uid),
                        "delivery got a used UID: {l}; {}",
                        self.ctx()
                    );
                    let m = Msg {
                        id: n(1),
                        base: None,
                        flags: parse_flags_word(w[3]),
                    };
                    self.msgs.insert(uid, m);
                    self.acked_delivers += 1;
                    self.pending = None;
                }
                _ => panic!("child failed: {l}; {}", self.ctx()),
            }
        }
    }

    fn check(&mut self) {
        let ctx = self.ctx();
        let md = self.md.clone();
        note_leftover_lock(
            &md,
            &mut self.leftover_locks,
            &mut self.locked_checked,
            &ctx,
        );
        assert!(list(md.new_dir()).is_empty(), "file in new/; {ctx}");
        let cur = list(md.cur_dir());
        let folder = Folder::open_with(&md, crash_lock())
            .unwrap_or_else(|e| panic!("Folder::open after a kill: {e}; {ctx}"));
        assert_eq!(folder.len(), cur.len(), "files not indexed; {ctx}");
        assert_eq!(folder.uid_validity(), self.validity, "{ctx}");
        assert!(
            folder.next_uid() >= self.next_uid,
            "next UID went back; {ctx}"
        );
        let mut prev = 0;
        let mut ids = HashSet::new();
        for m in folder.messages() {
            let uid = m.uid();
            assert!(uid > prev && uid < folder.next_uid(), "UIDs; {ctx}");
            prev = uid;
            let flags = m
                .flags()
                .unwrap_or_else(|| panic!("{}: flags do not parse; {ctx}", m.file_name()));
            match self.msgs.get_mut(&uid) {
                Some(known) => {
                    match &known.base {
                        Some(b) => assert_eq!(b, m.base_name(), "UID {uid} moved; {ctx}"),
                        None => {
                            let content = fs::read(md.cur_dir().join(m.file_name())).unwrap();
                            let id = child::verify_file(self.cseed, m.file_name(), &content)
                                .unwrap_or_else(|e| panic!("{e}; {ctx}"));
                            assert_eq!(id, known.id, "UID {uid} is another message; {ctx}");
                            known.base = Some(m.base_name().to_owned());
                        }
                    }
                    let in_flight = self.pending == Some(Pending::Flags(uid, flags));
                    assert!(
                        flags == known.flags || in_flight,
                        "UID {uid} {}: flags {} are neither the acknowledged {} nor {:?}; {ctx}",
                        m.file_name(),
                        flags_word(&flags),
                        flags_word(&known.flags),
                        self.pending
                    );
                    known.flags = flags;
                }
                None => {
                    // Only the delivery in flight when the child was killed.
                    let content = fs::read(md.cur_dir().join(m.file_name())).unwrap();
                    let id = child::verify_file(self.cseed, m.file_name(), &content)
                        .unwrap_or_else(|e| panic!("{e}; {ctx}"));
                    assert!(
                        uid >= self.next_uid,
                        "unknown UID {uid} ({}) below the earlier next UID {}: reused or \
                         changed (expunged: {:?}); {ctx}",
                        m.file_name(),
                        self.next_uid,
                        self.expunged.get(&uid)
                    );
                    assert_eq!(
                        self.pending,
                        Some(Pending::Deliver(id, flags)),
                        "unexpected message UID {uid} {}; {ctx}",
                        m.file_name()
                    );
                    let msg = Msg {
                        id,
                        base: Some(m.base_name().to_owned()),
                        flags,
                    };
                    self.msgs.insert(uid, msg);
                }
            }
            let id = self.msgs[&uid].id;
            assert!(ids.insert(id), "message {id} present twice; {ctx}");
        }
        // Every message not expunged is still there.
        let gone: Vec<u32> = self
            .msgs
            .keys()
            .copied()
            .filter(|u| folder.get(*u).is_none())
            .collect();
        for uid in gone {
            assert_eq!(
                self.pending,
                Some(Pending::Expunge(uid)),
                "UID {uid} ({:?}) lost; {ctx}",
                self.msgs[&uid]
            );
            let m = self.msgs.remove(&uid).unwrap();
            self.expunged.insert(uid, m.base);
        }
        // Expunged ones stay gone (their files too: every cur/ file is indexed).
        for (uid, base) in &self.expunged {
            assert!(
                folder.get(*uid).is_none(),
                "expunged UID {uid} is back; {ctx}"
            );
            if let Some(b) = base {
                assert!(folder.uid_of(b).is_none(), "expunged {b} is back; {ctx}");
            }
        }
        self.next_uid = folder.next_uid();
        let saved = UidList::load(md.path().join(UIDLIST_FILE))
            .unwrap_or_else(|e| panic!("uidlist: {e}; {ctx}"))
            .unwrap_or_else(|| panic!("no uidlist; {ctx}"));
        assert_eq!(saved.next_uid(), folder.next_uid(), "{ctx}");
        assert_eq!(saved.len(), folder.len(), "{ctx}");
        for e in saved.entries() {
            assert_eq!(folder.uid_of(e.name()), Some(e.uid()), "{ctx}");
        }
    }

    fn full_check(&self) {
        let ctx = self.ctx();
        let folder = Folder::open_with(&self.md, crash_lock()).unwrap();
        for m in folder.messages() {
            let path = folder.path_of(m.uid()).unwrap();
            let content = fs::read(&path).unwrap();
            let id = child::verify_file(self.cseed, m.file_name(), &content)
                .unwrap_or_else(|e| panic!("{e}; {ctx}"));
            assert_eq!(self.msgs[&m.uid()].id, id, "{ctx}");
        }
        assert_eq!(folder.len(), self.msgs.len(), "{ctx}");
    }
}

#[test]
fn sigkill_during_flag_changes_and_expunges() {
    let seed = child::run_seed();
    eprintln!("sigkill_during_flag_changes_and_expunges: seed {seed}");
    let kills = child::env_count("MW_CRASH_KILLS", 1200);
    let mut rng = Rng::new(seed ^ 0x5eed);
    let cseed = rng.next_u64();
    let start = Instant::now();
    let dir = TempDir::new("crash-flags");
    let md = Maildir::create(&dir.0).unwrap();
    let mut folder = Folder::open_with(&md, crash_lock()).unwrap();
    let mut msgs = BTreeMap::new();
    for id in 1..=60 {
        let f = rng.flags();
        let uid = folder.deliver_flagged(&message(cseed, id), &f).unwrap();
        let base = folder.get(uid).unwrap().base_name().to_owned();
        msgs.insert(
            uid,
            Msg {
                id,
                base: Some(base),
                flags: f,
            },
        );
    }
    let mut st = FlagsCheck {
        seed,
        cseed,
        md: md.clone(),
        msgs,
        expunged: HashMap::new(),
        acked_expunges: 0,
        acked_flags: 0,
        acked_delivers: 0,
        pending: None,
        validity: folder.uid_validity(),
        next_uid: folder.next_uid(),
        kills: 0,
        leftover_locks: 0,
        locked_checked: false,
    };
    drop(folder);
    for k in 1..=kills {
        let env: Env = vec![
            (child::DIR_VAR, md.path().display().to_string()),
            (child::SEED_VAR, rng.next_u64().to_string()),
            (child::CONTENT_VAR, cseed.to_string()),
            (child::ID_VAR, (k << 24).to_string()),
            (child::MS_VAR, "10000".into()),
        ];
        let lines = run_and_kill("flags", &env, &mut rng, seed);
        st.kills = k;
        st.record(&lines);
        st.check();
        if k.is_multiple_of(50) {
            st.full_check();
        }
    }
    st.full_check();
    let tmp_left = check_clean_tmp(&md, &st.ctx());
    st.pending = None;
    st.check();
    // A second open agrees with the first.
    let a = Folder::open(&md).unwrap();
    let b = Folder::open(&md).unwrap();
    assert_eq!(a.messages(), b.messages());
    assert_eq!(a.next_uid(), b.next_uid());
    assert!(Path::new(&md.path().join(UIDLIST_FILE)).exists());
    eprintln!(
        "sigkill_during_flag_changes_and_expunges: {kills} kills, {} flag changes, \
         {} expunges, {} deliveries acknowledged, {} messages at the end, \
         {tmp_left} tmp/ files left, {} leftover locks, {:?}",
        st.acked_flags,
        st.acked_expunges,
        st.acked_delivers,
        st.msgs.len(),
        st.leftover_locks,
        start.elapsed()
    );
}
