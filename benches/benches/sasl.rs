//! SASL benchmarks: one SCRAM-SHA-256 exchange at 4096 iterations, and
//! PLAIN verified against every password scheme.
//!
//! Run: `cargo bench -p mailwright-benches --bench sasl`.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use sasl::memory::MemoryStore;
use sasl::{
    ClientConfig, ClientSession, Mechanism, PasswordHash, Scheme, ServerConfig, ServerSession,
    ServerStep,
};

const USER: &str = "tim";
const PASSWORD: &str = "tanstaaftanstaaf";

fn block<F: std::future::Future>(future: F) -> F::Output {
    futures_executor::block_on(future)
}

/// Runs one whole exchange and panics unless it succeeds.
fn exchange(mechanism: Mechanism, store: &MemoryStore) {
    let mut client = ClientSession::new(mechanism, ClientConfig::password(USER, PASSWORD))
        .expect("client config");
    let mut server = ServerSession::new(mechanism, ServerConfig::default());
    let initial = client.initial_response();
    let mut step = block(server.start_with(initial.as_deref(), store));
    loop {
        match step {
            ServerStep::Challenge(challenge) => {
                let response = client.step(&challenge).expect("client step");
                step = block(server.step_with(&response, store));
            }
            ServerStep::Success(done) => {
                client
                    .finish(done.additional_data.as_deref())
                    .expect("server verified");
                return;
            }
            other => panic!("exchange failed: {other:?}"),
        }
    }
}

fn store_with(hash: PasswordHash) -> MemoryStore {
    let mut store = MemoryStore::new();
    store.add_user(USER, hash);
    store
}

fn scram(c: &mut Criterion) {
    let mut group = c.benchmark_group("scram_sha256_4096");
    // Server on stored keys (what a directory keeps), client derives once.
    let stored = store_with(
        PasswordHash::generate(Scheme::ScramSha256, PASSWORD.as_bytes()).expect("generate"),
    );
    group.bench_function("exchange_stored_keys", |b| {
        b.iter(|| exchange(Mechanism::ScramSha256, &stored))
    });
    // Server on a plaintext password: both sides run PBKDF2.
    let plain =
        store_with(PasswordHash::generate(Scheme::Plain, PASSWORD.as_bytes()).expect("generate"));
    group.bench_function("exchange_plaintext", |b| {
        b.iter(|| exchange(Mechanism::ScramSha256, &plain))
    });
    group.finish();
}

fn plain_per_scheme(c: &mut Criterion) {
    let mut group = c.benchmark_group("plain_verify");
    group.sample_size(10);
    for &scheme in Scheme::ALL {
        if matches!(scheme, Scheme::ScramSha1 | Scheme::ScramSha256) {
            // Stored SCRAM keys cannot verify a plaintext password.
            continue;
        }
        let Ok(hash) = PasswordHash::generate(scheme, PASSWORD.as_bytes()) else {
            continue;
        };
        let store = store_with(hash);
        group.bench_with_input(BenchmarkId::from_parameter(scheme), &store, |b, store| {
            b.iter(|| exchange(Mechanism::Plain, store))
        });
    }
    group.finish();
}

criterion_group!(benches, scram, plain_per_scheme);
criterion_main!(benches);
