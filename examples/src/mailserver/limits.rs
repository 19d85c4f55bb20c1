//! Connections per client address, all services together (Postfix's
//! smtpd_client_connection_count_limit).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// Counts open connections by client address.
#[derive(Debug)]
pub(crate) struct ConnectionLimits {
    per_ip: u32,
    open: Mutex<HashMap<IpAddr, u32>>,
}

/// One admitted connection; dropping it frees its place.
#[derive(Debug)]
pub(crate) struct Admitted {
    limits: Arc<ConnectionLimits>,
    ip: IpAddr,
}

impl ConnectionLimits {
    /// At most `per_ip` connections per address; 0 for no limit.
    pub(crate) fn new(per_ip: u32) -> Arc<ConnectionLimits> {
        Arc::new(ConnectionLimits {
            per_ip,
            open: Mutex::new(HashMap::new()),
        })
    }

    /// A place for a connection from `ip`, or `None` when it has all it
    /// may have.
    pub(crate) fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<Admitted> {
        if self.per_ip == 0 {
            return Some(Admitted {
                limits: Arc::clone(self),
                ip,
            });
        }
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(ip).or_insert(0);
        if *count >= self.per_ip {
            return None;
        }
        *count += 1;
        Some(Admitted {
            limits: Arc::clone(self),
            ip,
        })
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        if self.limits.per_ip == 0 {
            return;
        }
        let mut open = self.limits.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_counted_and_given_back() {
        let limits = ConnectionLimits::new(2);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        let a = limits.admit(ip).unwrap();
        let _b = limits.admit(ip).unwrap();
        assert!(limits.admit(ip).is_none());
        assert!(limits.admit(other).is_some());
        drop(a);
        assert!(limits.admit(ip).is_some());
    }

    #[test]
    fn zero_means_no_limit() {
        let limits = ConnectionLimits::new(0);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let held: Vec<_> = (0..1000).map(|_| limits.admit(ip).unwrap()).collect();
        assert_eq!(held.len(), 1000);
        assert!(limits.open.lock().unwrap().is_empty());
    }
}
