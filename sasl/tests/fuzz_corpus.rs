//! Replays every committed fuzz corpus file (and any crash reproducer in
//! `fuzz/artifacts/`) through the same harness the cargo-fuzz targets run,
//! so what fuzzing once found stays fixed in a plain `cargo test`.

#[allow(dead_code, unreachable_pub)]
#[path = "../../fuzz/src/lib.rs"]
mod fuzz_harness;

use std::path::{Path, PathBuf};

use fuzz_harness::Target;

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

fn replay(target: Target, path: &Path) {
    let data = std::fs::read(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let outcome = std::panic::catch_unwind(|| target.run(&data));
    if let Err(panic) = outcome {
        eprintln!("{} failed on {}", target.name(), path.display());
        std::panic::resume_unwind(panic);
    }
}

fn replay_corpus(target: Target) {
    let dir = fuzz_dir().join("corpus").join(target.name());
    let corpus = files(&dir);
    assert!(
        !corpus.is_empty(),
        "corpus directory {} is missing or empty",
        dir.display()
    );
    for path in &corpus {
        replay(target, path);
    }
    for path in files(&fuzz_dir().join("artifacts").join(target.name())) {
        replay(target, &path);
    }
}

#[test]
fn every_target_has_a_corpus() {
    for target in Target::ALL {
        let dir = fuzz_dir().join("corpus").join(target.name());
        assert!(
            !files(&dir).is_empty(),
            "corpus directory {} is missing or empty",
            dir.display()
        );
    }
    // No stray sasl corpus directory of a target that no longer exists
    // (other crates' replay tests check their own, e.g. `smtp_*`).
    for entry in std::fs::read_dir(fuzz_dir().join("corpus")).expect("fuzz/corpus exists") {
        let name = entry.expect("readable directory entry").file_name();
        if !name.to_string_lossy().starts_with("sasl_") {
            continue;
        }
        assert!(
            Target::ALL
                .iter()
                .any(|target| name.to_str() == Some(target.name())),
            "fuzz/corpus/{} belongs to no target",
            name.to_string_lossy()
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
    sasl_server_plain => ServerPlain,
    sasl_server_login => ServerLogin,
    sasl_server_cram_md5 => ServerCramMd5,
    sasl_server_scram_sha1 => ServerScramSha1,
    sasl_server_scram_sha256 => ServerScramSha256,
    sasl_server_oauthbearer => ServerOAuthBearer,
    sasl_server_xoauth2 => ServerXOAuth2,
    sasl_server_external => ServerExternal,
    sasl_server_anonymous => ServerAnonymous,
    sasl_client_scram => ClientScram,
    sasl_line => Line,
    sasl_password_hash => PasswordHash,
}
