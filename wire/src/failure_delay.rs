//! The pause before answering a failed login (Dovecot's
//! `auth_failure_delay`), so that guessing passwords is slow.

use std::time::Duration;

/// Tracks a connection's login failures and pauses once per new one.
#[derive(Debug, Clone, Copy, Default)]
pub struct FailureDelay {
    delay: Duration,
    answered: u32,
}

impl FailureDelay {
    /// Pauses `delay` before each new failure's reply.
    pub fn new(delay: Duration) -> Self {
        Self { delay, answered: 0 }
    }

    /// Call before writing replies, with the session's failure count:
    /// waits when it grew since the last call.
    pub async fn before_reply(&mut self, failures: u32) {
        if failures > self.answered {
            self.answered = failures;
            tokio::time::sleep(self.delay).await;
        }
    }
}
