//! Maildir folder index benchmark on a folder of 100,000 messages (tiny
//! files in cur/ plus a matching `dovecot-uidlist`, in a scratch directory
//! under `target/`, removed afterwards):
//!
//! - `open_warm`: `Folder::open` with the directory in the page cache and
//!   nothing to change (target < 150 ms); `open_and_close` adds dropping
//!   the index;
//! - `get_uid`: UID lookup (target < 1 µs);
//! - `set_flags`: one flag change, the rename included (target < 50 µs
//!   plus the rename); `rename_only` is the bare `rename(2)` for comparison.
//!
//! Run: `cargo bench -p mailwright-benches --bench maildir_folder`.

use criterion::{Criterion, criterion_group, criterion_main};
use maildir::delivery::Maildir;
use maildir::folder::Folder;
use maildir::name::{Flag, Flags};
use maildir::uidlist::UidList;
use std::fs::{self, File};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

const MESSAGES: u32 = 100_000;

/// The scratch directory; removed on drop.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A Maildir with `MESSAGES` empty files in cur/ and their uidlist.
fn build(root: &Path) -> Maildir {
    let md = Maildir::create(root).expect("create maildir");
    let mut list = UidList::new(1_700_000_000, [0x42; 16]).expect("uidlist");
    for i in 0..MESSAGES {
        let name = format!(
            "{}.M{}P{}Q{i}.bench,S=1000,W=1020:2,{}",
            1_700_000_000 + i / 100,
            i % 1_000_000,
            1000 + i % 7,
            if i % 3 == 0 { "S" } else { "" }
        );
        File::create(md.cur_dir().join(&name)).expect("create message");
        list.append(&name).expect("append");
    }
    fs::write(md.path().join("dovecot-uidlist"), list.to_bytes()).expect("write uidlist");
    md
}

fn folder(c: &mut Criterion) {
    let scratch = Scratch(
        Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("maildir-folder-{}", std::process::id())),
    );
    let md = build(&scratch.0);
    // First open: warms the caches.
    let mut folder = Folder::open(&md).expect("open");
    assert_eq!(folder.len(), MESSAGES as usize);

    let mut group = c.benchmark_group("maildir_folder_100k");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    // The folders opened are dropped outside the timing: closing (freeing
    // the index, ~20 ms here) is not opening, and is measured below.
    group.bench_function("open_warm", |b| {
        b.iter_with_large_drop(|| Folder::open(black_box(&md)).expect("open"))
    });
    group.bench_function("open_and_close", |b| {
        b.iter(|| Folder::open(black_box(&md)).expect("open"))
    });
    group.finish();

    let mut group = c.benchmark_group("maildir_folder_100k");
    let mut uid = 0u32;
    group.bench_function("get_uid", |b| {
        b.iter(|| {
            uid = (uid + 7919) % MESSAGES;
            black_box(folder.get(black_box(uid + 1)))
        })
    });
    group.bench_function("uid_of_name", |b| {
        let name = folder
            .get(MESSAGES / 2)
            .expect("message")
            .file_name()
            .to_owned();
        b.iter(|| black_box(folder.uid_of(black_box(&name))))
    });

    let (seen, unseen) = ([Flag::Seen].into_iter().collect::<Flags>(), Flags::new());
    let mut toggle = false;
    let target = MESSAGES / 2;
    group.bench_function("set_flags", |b| {
        b.iter(|| {
            toggle = !toggle;
            let f = if toggle { &seen } else { &unseen };
            folder.set_flags(black_box(target), f).expect("set_flags");
        })
    });

    let base = folder.get(target).expect("message").base_name().to_owned();
    let (a, bpath) = (
        md.cur_dir().join(format!("{base}:2,")),
        md.cur_dir().join(format!("{base}:2,S")),
    );
    if bpath.exists() {
        fs::rename(&bpath, &a).expect("rename");
    }
    let mut flip = false;
    group.bench_function("rename_only", |b| {
        b.iter(|| {
            flip = !flip;
            if flip {
                fs::rename(&a, &bpath).expect("rename");
            } else {
                fs::rename(&bpath, &a).expect("rename");
            }
        })
    });
    group.finish();
}

criterion_group!(benches, folder);
criterion_main!(benches);
