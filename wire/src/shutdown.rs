//! Telling every connection of a server that it is stopping.

use tokio::sync::watch;

/// The receiving side: each connection holds a clone and stops taking new
/// commands once it fires (a transfer under way is finished first).
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let (trigger, mut shutdown) = wire::shutdown_signal();
/// assert!(!shutdown.is_triggered());
/// trigger.trigger();
/// shutdown.triggered().await;
/// assert!(shutdown.is_triggered());
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct Shutdown {
    receiver: watch::Receiver<bool>,
}

/// The sending side, kept by whoever decides to stop the server.
#[derive(Debug)]
pub struct ShutdownTrigger {
    sender: watch::Sender<bool>,
}

/// A new pair: one trigger, any number of [`Shutdown`] clones.
pub fn shutdown_signal() -> (ShutdownTrigger, Shutdown) {
    let (sender, receiver) = watch::channel(false);
    (ShutdownTrigger { sender }, Shutdown { receiver })
}

impl ShutdownTrigger {
    /// Tells every [`Shutdown`] clone, present and future.
    pub fn trigger(&self) {
        self.sender.send_replace(true);
    }

    /// A receiver for a connection made later.
    pub fn subscribe(&self) -> Shutdown {
        Shutdown {
            receiver: self.sender.subscribe(),
        }
    }
}

impl Shutdown {
    /// Whether the server is stopping.
    pub fn is_triggered(&self) -> bool {
        *self.receiver.borrow()
    }

    /// Waits until the server is stopping; at once if it already is. If
    /// the trigger is dropped without firing, waits for ever (a server
    /// that lost its trigger cannot be told to stop).
    pub async fn triggered(&mut self) {
        if self.receiver.wait_for(|stopping| *stopping).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
