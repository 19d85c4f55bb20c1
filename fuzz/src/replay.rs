//! Corpus replay for the crates' `tests/fuzz_corpus.rs`, which include this
//! file with `#[macro_use] #[path] mod`. Every committed corpus file and any
//! crash reproducer in `fuzz/artifacts/<target>/` runs through the same
//! harness the cargo-fuzz targets call, so what fuzzing once found stays
//! fixed in a plain `cargo test`.
//!
//! The including test defines `Target` (with `ALL`, `name()` and `run()`)
//! and lists its targets with [`corpus_tests!`].

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

/// `fuzz/`, seen from the including crate (one level below the workspace root).
pub fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// The files of `dir`, sorted; none if it does not exist.
pub fn files(dir: &Path) -> Vec<PathBuf> {
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
fn replay(name: &str, run: fn(&[u8]), path: &Path) -> bool {
    let data = std::fs::read(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    // On a thread, so that an endless loop fails the test instead of
    // blocking it; the spinning thread ends with the test process.
    let (done, finished) = mpsc::channel();
    let runner = std::thread::spawn(move || {
        let outcome = std::panic::catch_unwind(|| run(&data));
        let _ = done.send(());
        outcome.is_ok()
    });
    if finished.recv_timeout(HANG).is_err() {
        eprintln!(
            "{name} hangs on {} (no result after {HANG:?})",
            path.display()
        );
        return false;
    }
    let passed = runner.join().expect("the runner catches panics");
    if !passed {
        eprintln!("{name} failed on {}", path.display());
    }
    passed
}

/// Replays the corpus and the reproducers of target `name`; fails listing
/// every file that failed.
pub fn replay_corpus(name: &str, run: fn(&[u8])) {
    let dir = fuzz_dir().join("corpus").join(name);
    let corpus = files(&dir);
    assert!(
        !corpus.is_empty(),
        "corpus directory {} is missing or empty",
        dir.display()
    );
    let artifacts = files(&fuzz_dir().join("artifacts").join(name));
    let failed: Vec<String> = corpus
        .iter()
        .chain(&artifacts)
        .filter(|path| !replay(name, run, path))
        .map(|path| path.display().to_string())
        .collect();
    assert!(
        failed.is_empty(),
        "{name} failed on {} file(s):\n{}",
        failed.len(),
        failed.join("\n")
    );
}

/// Every target in `names` has a non-empty corpus, and every corpus
/// directory starting with `prefix` (this crate's) belongs to a target.
pub fn check_corpus_directories(prefix: &str, names: &[&str]) {
    for name in names {
        assert!(name.starts_with(prefix), "{name} lacks the prefix {prefix}");
        let dir = fuzz_dir().join("corpus").join(name);
        assert!(
            !files(&dir).is_empty(),
            "corpus directory {} is missing or empty",
            dir.display()
        );
    }
    for entry in std::fs::read_dir(fuzz_dir().join("corpus")).expect("fuzz/corpus exists") {
        let name = entry.expect("readable directory entry").file_name();
        let name = name.to_string_lossy();
        if name.starts_with(prefix) {
            assert!(
                names.contains(&name.as_ref()),
                "fuzz/corpus/{name} belongs to no target"
            );
        }
    }
}

/// One `#[test]` per target replaying its corpus, plus checks that the
/// list is complete and the corpus directories match: `corpus_tests!("smtp_";
/// smtp_command => Command, ...)`.
macro_rules! corpus_tests {
    ($prefix:literal; $($test:ident => $target:ident,)*) => {
        $(
            #[test]
            fn $test() {
                replay::replay_corpus(Target::$target.name(), |data| Target::$target.run(data));
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

        #[test]
        fn every_target_has_a_corpus() {
            let names: Vec<&str> = Target::ALL.iter().map(|target| target.name()).collect();
            replay::check_corpus_directories($prefix, &names);
        }
    };
}
