//! `mailserver serve`: the directory, the Maildir store, TLS and every
//! listener composed into one process; signals for reload and shutdown.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use mailstore::delivery::{DeliveryOptions, LocalDelivery};
use mailstore::directory::Directory;
use mailstore::pop3::Pop3Maildrops;
use mailstore::store::Store;
use mailstore::store::maildir_store::MaildirStore;
use tokio::net::TcpListener;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::mpsc;

use super::config::Loaded;
use super::failure::Failure;
use super::limits::ConnectionLimits;
use super::listeners::{Listener, Protocol, Shared};
use super::received::QueueIds;
use super::smtp_service::{Policy, Service, SmtpService};
use super::tls::ReloadableTls;
use super::{directory, logging};

/// Threads for blocking work (fsync, renames, password hashing). More
/// would not make the disk faster: under 100 concurrent deliveries,
/// tokio's default of 512 spent more CPU switching between a hundred
/// threads than it saved (smtp_load: about 1.0 against 1.16 ms/msg).
const BLOCKING_THREADS: usize = 16;

/// How long shutdown waits for sessions still under way.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(60);

/// The mechanisms offered after TLS: the ones that work with hashed
/// passwords, as the directory keeps them.
const MECHANISMS: [sasl::Mechanism; 2] = [sasl::Mechanism::Plain, sasl::Mechanism::Login];

/// Runs the server until SIGTERM or SIGINT.
pub(crate) fn run(loaded: &Loaded) -> Result<(), Failure> {
    logging::init(&loaded.config.log.level);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .max_blocking_threads(BLOCKING_THREADS)
        .enable_all()
        .build()
        .map_err(|e| Failure::Unavailable(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(serve(loaded))
}

async fn serve(loaded: &Loaded) -> Result<(), Failure> {
    let config = &loaded.config;
    std::fs::create_dir_all(&config.data_dir).map_err(|e| {
        Failure::Unavailable(format!("cannot create {}: {e}", config.data_dir.display()))
    })?;
    let (certificate, key) = loaded.tls_files();
    let tls = Arc::new(ReloadableTls::open(certificate, key, &config.hostname)?);
    let directory = directory::resolver(directory::open(loaded).await?, loaded);
    let store: Arc<dyn Store> = Arc::new(
        MaildirStore::new(loaded.maildir_base()).with_max_message_size(config.limits.message_size),
    );
    let (trigger, shutdown) = wire::shutdown_signal();
    let listeners = bind(loaded, &directory, &store, &tls, &shutdown).await?;
    let (sessions, mut finished) = mpsc::channel::<()>(1);
    let shared = Shared {
        hostname: Arc::from(config.hostname.as_str()),
        limits: ConnectionLimits::new(config.limits.connections_per_ip),
        shutdown,
        sessions,
    };
    // Signals are watched before anyone is told we are ready, so that a
    // SIGTERM right after `ready` stops us gracefully instead of killing.
    let signals = Signals::watch()?;
    announce(&listeners);
    tracing::info!(config = %loaded.source, "mailserver ready");
    for listener in listeners {
        tokio::spawn(listener.run(shared.clone()));
    }
    drop(shared);
    signals.wait_for_stop(&tls).await;
    tracing::info!("stopping: no new connections, finishing the sessions under way");
    trigger.trigger();
    if tokio::time::timeout(SHUTDOWN_GRACE, finished.recv())
        .await
        .is_err()
    {
        tracing::warn!("sessions still open after {SHUTDOWN_GRACE:?}: stopping anyway");
    }
    tracing::info!("stopped");
    Ok(())
}

/// The signals the server answers.
struct Signals {
    term: Signal,
    int: Signal,
    hup: Signal,
}

impl Signals {
    fn watch() -> Result<Signals, Failure> {
        let listen = |kind: SignalKind| {
            signal(kind).map_err(|e| Failure::Unavailable(format!("cannot watch signals: {e}")))
        };
        Ok(Signals {
            term: listen(SignalKind::terminate())?,
            int: listen(SignalKind::interrupt())?,
            hup: listen(SignalKind::hangup())?,
        })
    }

    /// Serves signals until SIGTERM or SIGINT; SIGHUP reloads the
    /// certificate.
    async fn wait_for_stop(mut self, tls: &ReloadableTls) {
        loop {
            tokio::select! {
                _ = self.term.recv() => return,
                _ = self.int.recv() => return,
                _ = self.hup.recv() => match tls.reload() {
                    Ok(()) => tracing::info!("SIGHUP: TLS certificate reloaded"),
                    Err(error) => tracing::error!("SIGHUP: keeping the old TLS certificate: {error}"),
                },
            }
        }
    }
}

/// Binds every configured address; any failure stops the start.
async fn bind(
    loaded: &Loaded,
    directory: &Directory,
    store: &Arc<dyn Store>,
    tls: &Arc<ReloadableTls>,
    shutdown: &wire::Shutdown,
) -> Result<Vec<Listener>, Failure> {
    let config = &loaded.config;
    let hostname = config.hostname.as_str();
    let delay = Duration::from_millis(config.auth.failure_delay_ms);
    let acceptor: Arc<dyn wire::TlsAcceptor> = tls.clone();
    let policy = Arc::new(Policy {
        hostname: hostname.to_owned(),
        mynetworks: config.smtp.mynetworks.clone(),
        client_access: {
            let mut map: Vec<_> = config
                .smtp
                .client_access
                .iter()
                .map(|(net, action)| (*net, *action))
                .collect();
            map.sort_by_key(|(net, _)| std::cmp::Reverse(net.0.prefix_len()));
            map
        },
        sender_login_check: config.smtp.sender_login_check,
        ids: QueueIds::new(),
    });
    let mut options = DeliveryOptions::default();
    options.hostname = hostname.to_owned();
    let delivery = LocalDelivery::with_options(directory.clone(), Arc::clone(store), options);
    let smtp = |name: &'static str, service: Service, implicit_tls: bool| {
        let mut session = match service {
            Service::Mta => smtp_proto::server::ServerConfig::new(hostname),
            Service::Submission => {
                smtp_proto::server::ServerConfig::submission(hostname, MECHANISMS.to_vec())
            }
            Service::Lmtp => smtp_proto::server::ServerConfig::lmtp(hostname),
        };
        if service == Service::Mta {
            session.auth_mechanisms = MECHANISMS.to_vec();
        }
        session.require_tls_for_auth = config.auth.tls_only;
        session.max_message_size = config.limits.message_size;
        session.max_recipients = config.limits.recipients;
        let base = smtp_proto::adapter::ServerOptions::new(session)
            .with_auth_failure_delay(delay)
            .with_shutdown(shutdown.clone());
        let options = match (service, implicit_tls) {
            (Service::Lmtp, _) => base,
            (_, true) => base.with_implicit_tls(Arc::clone(&acceptor)),
            (_, false) => base.with_starttls(Arc::clone(&acceptor)),
        };
        let backend = SmtpService {
            name,
            service,
            delivery: delivery.clone(),
            directory: directory.clone(),
            policy: Arc::clone(&policy),
        };
        Protocol::Smtp(Arc::new(backend), Arc::new(options))
    };
    let maildrops = Arc::new(Pop3Maildrops::new(directory.clone(), Arc::clone(store)));
    let pop3 = |implicit_tls: bool| {
        let mut session = pop3_proto::server::ServerConfig::new(hostname);
        session.auth_mechanisms = MECHANISMS.to_vec();
        session.require_tls_for_auth = config.auth.tls_only;
        let base = pop3_proto::adapter::ServerOptions::new(session)
            .with_auth_failure_delay(delay)
            .with_shutdown(shutdown.clone());
        let options = if implicit_tls {
            base.with_implicit_tls(Arc::clone(&acceptor))
        } else {
            base.with_stls(Arc::clone(&acceptor))
        };
        Protocol::Pop3(Arc::clone(&maildrops), Arc::new(options))
    };
    let listen = &config.listen;
    let services: [(&'static str, &[SocketAddr], Protocol); 6] = [
        ("smtp", &listen.smtp, smtp("smtp", Service::Mta, false)),
        (
            "submission",
            &listen.submission,
            smtp("submission", Service::Submission, false),
        ),
        (
            "submissions",
            &listen.submissions,
            smtp("submissions", Service::Submission, true),
        ),
        ("lmtp", &listen.lmtp, smtp("lmtp", Service::Lmtp, false)),
        ("pop3", &listen.pop3, pop3(false)),
        ("pop3s", &listen.pop3s, pop3(true)),
    ];
    let mut listeners = Vec::new();
    for (service, addresses, protocol) in services {
        for address in addresses {
            let socket = TcpListener::bind(address).await.map_err(|e| {
                Failure::Unavailable(format!("{service}: cannot listen on {address}: {e}"))
            })?;
            listeners.push(Listener {
                service,
                socket,
                protocol: protocol.clone(),
            });
        }
    }
    Ok(listeners)
}

/// Tells whoever started us where we listen: `listening SERVICE ADDRESS`
/// per listener, then `ready`, on standard output.
fn announce(listeners: &[Listener]) {
    let mut out = std::io::stdout().lock();
    for listener in listeners {
        if let Ok(address) = listener.socket.local_addr() {
            let _ = writeln!(out, "listening {} {address}", listener.service);
        }
    }
    let _ = writeln!(out, "ready");
    let _ = out.flush();
}
