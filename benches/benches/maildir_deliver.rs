//! Maildir delivery benchmark: 4 KiB messages delivered with
//! `maildir::delivery::Maildir::deliver` against the bare system calls a
//! minimal safe delivery needs (`File::create` in tmp/, write, `sync_all`,
//! rename into new/, fsync of new/), in the same run and on the same file
//! system (a scratch directory under `target/`, removed afterwards).
//!
//! Run: `cargo bench -p mailwright-benches --bench maildir_deliver`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use maildir::delivery::Maildir;
use std::fs::{self, File};
use std::hint::black_box;
use std::io::Write;
use std::path::{Path, PathBuf};

const MESSAGE_SIZE: usize = 4096;

/// A 4 KiB message: a few headers, then 76-character CRLF lines.
fn message() -> Vec<u8> {
    let mut m = b"From: Anne <anne@example.com>\r\nTo: Bart <bart@example.com>\r\n\
                  Subject: benchmark\r\n\r\n"
        .to_vec();
    let line = [b'x'; 76];
    while m.len() < MESSAGE_SIZE {
        m.extend_from_slice(&line);
        m.extend_from_slice(b"\r\n");
    }
    m.truncate(MESSAGE_SIZE);
    m
}

/// The scratch directory; removed on drop.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Empties new/ now and then so the directory does not grow without bound.
fn empty_dir(dir: &Path) {
    for e in fs::read_dir(dir).expect("read_dir") {
        fs::remove_file(e.expect("dir entry").path()).expect("remove");
    }
}

fn deliver(c: &mut Criterion) {
    let scratch = Scratch(
        Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("maildir-deliver-{}", std::process::id())),
    );
    let msg = message();
    let mut group = c.benchmark_group("maildir_deliver_4k");
    group.throughput(Throughput::Elements(1));

    let ours = Maildir::create(scratch.0.join("ours")).expect("create maildir");
    let mut n = 0u64;
    group.bench_function("maildir_deliver", |b| {
        b.iter(|| {
            let d = ours.deliver(black_box(&msg)).expect("deliver");
            n += 1;
            if n.is_multiple_of(2000) {
                empty_dir(ours.new_dir());
            }
            d
        })
    });

    let raw = Maildir::create(scratch.0.join("raw")).expect("create maildir");
    let (tmp, new) = (raw.tmp_dir().to_owned(), raw.new_dir().to_owned());
    let mut i = 0u64;
    group.bench_function("raw_syscalls", |b| {
        b.iter(|| {
            i += 1;
            let name = format!("{i}.raw");
            let tmp_path = tmp.join(&name);
            let mut f = File::create(&tmp_path).expect("create");
            f.write_all(black_box(&msg)).expect("write");
            f.sync_all().expect("fsync");
            drop(f);
            let new_path = new.join(&name);
            fs::rename(&tmp_path, &new_path).expect("rename");
            File::open(&new)
                .expect("open new/")
                .sync_all()
                .expect("fsync new/");
            if i.is_multiple_of(2000) {
                empty_dir(&new);
            }
            new_path
        })
    });
    group.finish();
}

criterion_group!(benches, deliver);
criterion_main!(benches);
