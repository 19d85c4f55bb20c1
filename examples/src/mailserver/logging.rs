//! Log lines on standard error, one per event, maillog-style: time,
//! level, then `service: queue-id: what happened`.

use tracing_subscriber::EnvFilter;

/// Logs at `level` (already checked by the configuration) unless
/// `RUST_LOG` says otherwise. Our own crates log at that level; other
/// crates (sqlx, rustls) only warnings.
pub(crate) fn init(level: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(format!(
            "warn,mailserver={level},mailwright_mailstore={level},mailwright_smtp_proto={level},\
             mailwright_pop3_proto={level},mailstore={level},smtp_proto={level},pop3_proto={level}"
        ))
    });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(false)
        .init();
}
