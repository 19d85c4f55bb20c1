//! Replays every committed sasl fuzz corpus file (and any crash reproducer
//! in `fuzz/artifacts/sasl_*/`) through the same harness the cargo-fuzz
//! targets run.

#[allow(dead_code, unreachable_pub)]
#[path = "../../fuzz/src/lib.rs"]
mod fuzz_harness;

#[macro_use]
#[allow(dead_code, unreachable_pub)]
#[path = "../../fuzz/src/replay.rs"]
mod replay;

use fuzz_harness::Target;

corpus_tests! {
    "sasl_";
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
