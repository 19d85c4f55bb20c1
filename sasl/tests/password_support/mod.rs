//! Shared by the password tests: the fixture file and a small parallel map,
//! because the memory-hard schemes take a second or more in debug builds.

#![allow(dead_code, unreachable_pub)] // each test binary uses a different part

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// One line of `data/password-hashes.tsv`.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// The command that made the hash.
    pub generator: String,
    /// The password it was made from.
    pub password: String,
    /// The stored string, `{SCHEME}data`.
    pub stored: String,
}

impl Fixture {
    /// `{NAME}` of the stored string, suffix included.
    pub fn scheme_name(&self) -> &str {
        let end = self
            .stored
            .find('}')
            .expect("fixtures have a {SCHEME} prefix");
        &self.stored[1..end]
    }

    /// The data after `{NAME}`.
    pub fn data(&self) -> &str {
        &self.stored[self.scheme_name().len() + 2..]
    }

    /// Whether verifying this hash is slow in a debug build.
    pub fn is_expensive(&self) -> bool {
        self.stored.contains("$argon2") && !self.generator.contains("m=8192")
    }

    /// Short description for failure messages.
    pub fn label(&self) -> String {
        format!(
            "[{}] password {:?}: {}",
            self.generator, self.password, self.stored
        )
    }
}

/// Every fixture, in file order.
pub fn fixtures() -> Vec<Fixture> {
    include_str!("../data/password-hashes.tsv")
        .lines()
        .filter(|line| !line.starts_with('#'))
        .skip(1) // the column header
        .map(|line| {
            let mut cols = line.split('\t');
            let (Some(generator), Some(password), Some(stored), None) =
                (cols.next(), cols.next(), cols.next(), cols.next())
            else {
                panic!("malformed fixture line {line:?}");
            };
            Fixture {
                generator: generator.to_owned(),
                password: password.to_owned(),
                stored: stored.to_owned(),
            }
        })
        .collect()
}

/// A password that must not match: differs in the first byte, which every
/// scheme reads (DES only reads 8 bytes, bcrypt only 72).
pub fn wrong_password(password: &str) -> String {
    format!("x{password}")
}

/// Runs `check` on every item on a few threads and returns the failures.
pub fn failures<T: Sync>(items: &[T], check: impl Fn(&T) -> Option<String> + Sync) -> Vec<String> {
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(2, 8);
    let next = AtomicUsize::new(0);
    let failed = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                while let Some(item) = items.get(next.fetch_add(1, Ordering::Relaxed)) {
                    if let Some(failure) = check(item) {
                        failed.lock().unwrap().push(failure);
                    }
                }
            });
        }
    });
    failed.into_inner().unwrap()
}

/// Panics listing every failure, if there are any.
pub fn assert_none(what: &str, failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{what}: {} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
