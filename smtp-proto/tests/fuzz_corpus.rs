//! Replays every committed smtp fuzz corpus file (and any crash reproducer
//! in `fuzz/artifacts/smtp_*/`) through the same harness the cargo-fuzz
//! targets run, so what fuzzing once found stays fixed in a plain
//! `cargo test`.

#[allow(dead_code, unreachable_pub)]
#[path = "../../fuzz/src/smtp.rs"]
mod fuzz_harness;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use fuzz_harness::Target;

/// The corpus directories of this crate's targets; the others under
/// `fuzz/corpus/` belong to other crates' harnesses.
const PREFIX: &str = "smtp_";

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// The files of `dir`, sorted; none if it does not exist.
fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("readable directory entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

/// How long one input may take before it counts as a hang (libFuzzer's
/// `-timeout`); debug builds are slow, so this is generous.
const HANG: Duration = Duration::from_secs(120);

/// Runs one file; `false` (after the panic message) if a check failed.
fn replay(target: Target, path: &Path) -> bool {
    let data = std::fs::read(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    // On a thread, so that an endless loop fails the test instead of
    // blocking it; the spinning thread ends with the test process.
    let (done, finished) = mpsc::channel();
    let runner = std::thread::spawn(move || {
        let outcome = std::panic::catch_unwind(|| target.run(&data));
        let _ = done.send(());
        outcome.is_ok()
    });
    if finished.recv_timeout(HANG).is_err() {
        eprintln!(
            "{} hangs on {} (no result after {HANG:?})",
            target.name(),
            path.display()
        );
        return false;
    }
    let passed = runner.join().expect("the runner catches panics");
    if !passed {
        eprintln!("{} failed on {}", target.name(), path.display());
    }
    passed
}

/// Replays the corpus and the reproducers of `target`; fails listing every
/// file that failed.
fn replay_corpus(target: Target) {
    let dir = fuzz_dir().join("corpus").join(target.name());
    let corpus = files(&dir);
    assert!(
        !corpus.is_empty(),
        "corpus directory {} is missing or empty",
        dir.display()
    );
    let artifacts = files(&fuzz_dir().join("artifacts").join(target.name()));
    let failed: Vec<String> = corpus
        .iter()
        .chain(&artifacts)
        .filter(|path| !replay(target, path))
        .map(|path| path.display().to_string())
        .collect();
    assert!(
        failed.is_empty(),
        "{} failed on {} file(s):\n{}",
        target.name(),
        failed.len(),
        failed.join("\n")
    );
}

#[test]
fn every_target_has_a_corpus() {
    for target in Target::ALL {
        assert!(target.name().starts_with(PREFIX), "{}", target.name());
        let dir = fuzz_dir().join("corpus").join(target.name());
        assert!(
            !files(&dir).is_empty(),
            "corpus directory {} is missing or empty",
            dir.display()
        );
    }
    // No stray smtp corpus directory of a target that no longer exists.
    for entry in std::fs::read_dir(fuzz_dir().join("corpus")).expect("fuzz/corpus exists") {
        let name = entry.expect("readable directory entry").file_name();
        let name = name.to_string_lossy();
        if !name.starts_with(PREFIX) {
            continue;
        }
        assert!(
            Target::ALL.iter().any(|target| name == target.name()),
            "fuzz/corpus/{name} belongs to no target"
        );
    }
}

macro_rules! corpus_tests {
    ($($test:ident => $target:ident,)*) => {
        $(
            #[test]
            fn $test() {
                replay_corpus(Target::$target);
            }
        )*

        #[test]
        fn every_target_is_replayed() {
            let listed = [$(Target::$target),*];
            assert_eq!(listed, Target::ALL, "add the new target to corpus_tests!");
            for target in Target::ALL {
                assert!(stringify!($($test)*).split_whitespace().any(|name| name == target.name()));
            }
        }
    };
}

corpus_tests! {
    smtp_command => Command,
    smtp_data => Data,
    smtp_reply => Reply,
    smtp_session => Session,
}
