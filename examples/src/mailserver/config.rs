//! The configuration file: its TOML shape, the embedded defaults, where
//! relative paths point, and the checks `check-config` reports.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use ipnet::IpNet;
use serde::Deserialize;

use super::failure::Failure;

/// The embedded defaults, also printed by `default-config`.
pub(crate) const DEFAULTS: &str = include_str!("defaults.toml");

/// The file looked for when no `--config` is given.
const DEFAULT_FILE: &str = "mailserver.toml";

/// The whole configuration, as written.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Config {
    pub(crate) hostname: String,
    pub(crate) data_dir: PathBuf,
    pub(crate) directory: DirectoryConfig,
    pub(crate) storage: StorageConfig,
    pub(crate) tls: TlsConfig,
    pub(crate) listen: ListenConfig,
    pub(crate) smtp: SmtpConfig,
    pub(crate) auth: AuthConfig,
    pub(crate) limits: LimitsConfig,
    pub(crate) log: LogConfig,
}

/// `[directory]`
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct DirectoryConfig {
    pub(crate) url: String,
    pub(crate) domain_query: Option<String>,
    pub(crate) user_query: Option<String>,
    pub(crate) alias_query: Option<String>,
    pub(crate) maildir_column_base: Option<PathBuf>,
    pub(crate) default_pass_scheme: String,
    pub(crate) recipient_delimiter: String,
    pub(crate) cache_ttl: u64,
}

/// `[storage]`
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct StorageConfig {
    pub(crate) maildir_base: Option<PathBuf>,
}

/// `[tls]`
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct TlsConfig {
    pub(crate) certificate: Option<PathBuf>,
    pub(crate) key: Option<PathBuf>,
}

/// `[listen]`
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ListenConfig {
    pub(crate) smtp: Vec<SocketAddr>,
    pub(crate) submission: Vec<SocketAddr>,
    pub(crate) submissions: Vec<SocketAddr>,
    pub(crate) lmtp: Vec<SocketAddr>,
    pub(crate) pop3: Vec<SocketAddr>,
    pub(crate) pop3s: Vec<SocketAddr>,
}

/// `[smtp]`
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct SmtpConfig {
    pub(crate) mynetworks: Vec<Network>,
    pub(crate) client_access: BTreeMap<Network, AccessAction>,
    pub(crate) sender_login_check: bool,
}

/// `[auth]`
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct AuthConfig {
    pub(crate) tls_only: bool,
    pub(crate) failure_delay_ms: u64,
    pub(crate) password_scheme: String,
}

/// `[limits]`
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct LimitsConfig {
    pub(crate) message_size: u64,
    pub(crate) recipients: usize,
    pub(crate) connections_per_ip: u32,
}

/// `[log]`
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct LogConfig {
    pub(crate) level: String,
}

/// An address or a network, written `192.0.2.1`, `192.0.2.0/24` or `::1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(try_from = "String")]
pub(crate) struct Network(pub(crate) IpNet);

impl TryFrom<String> for Network {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        text.parse()
    }
}

impl FromStr for Network {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if let Ok(net) = text.parse::<IpNet>() {
            return Ok(Network(net.trunc()));
        }
        text.parse::<IpAddr>()
            .map(|ip| Network(IpNet::from(ip)))
            .map_err(|_| format!("not an address or network: {text:?}"))
    }
}

impl Network {
    /// Whether `ip` is in the network (IPv4-mapped IPv6 addresses count
    /// as their IPv4 address).
    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        self.0.contains(&canonical(ip))
    }
}

/// `::ffff:192.0.2.1` as `192.0.2.1`: a dual-stack listener's view of an
/// IPv4 client.
pub(crate) fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// What the client access map says about a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub(crate) enum AccessAction {
    /// Trusted as if in `mynetworks`.
    #[serde(rename = "OK")]
    Ok,
    /// Refused at connect (554 5.7.1).
    #[serde(rename = "REJECT")]
    Reject,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            hostname: "localhost".into(),
            data_dir: "mail-data".into(),
            directory: DirectoryConfig::default(),
            storage: StorageConfig::default(),
            tls: TlsConfig::default(),
            listen: ListenConfig::default(),
            smtp: SmtpConfig::default(),
            auth: AuthConfig::default(),
            limits: LimitsConfig::default(),
            log: LogConfig::default(),
        }
    }
}

impl Default for DirectoryConfig {
    fn default() -> Self {
        DirectoryConfig {
            url: "sqlite".into(),
            domain_query: None,
            user_query: None,
            alias_query: None,
            maildir_column_base: None,
            default_pass_scheme: "MD5-CRYPT".into(),
            recipient_delimiter: "+".into(),
            cache_ttl: 60,
        }
    }
}

impl Default for ListenConfig {
    fn default() -> Self {
        let loopback = |port: u16| vec![SocketAddr::from(([127, 0, 0, 1], port))];
        ListenConfig {
            smtp: loopback(2525),
            submission: loopback(2587),
            submissions: loopback(2465),
            lmtp: loopback(2424),
            pop3: loopback(2110),
            pop3s: loopback(2995),
        }
    }
}

impl Default for SmtpConfig {
    fn default() -> Self {
        SmtpConfig {
            mynetworks: Vec::new(),
            client_access: BTreeMap::new(),
            sender_login_check: true,
        }
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            tls_only: true,
            failure_delay_ms: 2000,
            password_scheme: "ARGON2ID".into(),
        }
    }
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            message_size: 10_240_000,
            recipients: 1000,
            connections_per_ip: 50,
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: "info".into(),
        }
    }
}

/// A configuration with its paths made absolute and its values checked.
#[derive(Debug, Clone)]
pub(crate) struct Loaded {
    pub(crate) config: Config,
    /// Where it came from, for messages: a file or "embedded defaults".
    pub(crate) source: String,
    pub(crate) password_scheme: sasl::Scheme,
    pub(crate) default_pass_scheme: sasl::Scheme,
}

impl Loaded {
    /// `--config FILE`, else `./mailserver.toml` if it exists, else the
    /// embedded defaults. Every error is a configuration error (exit 3).
    pub(crate) fn load(path: Option<&Path>) -> Result<Loaded, Failure> {
        let cwd = std::env::current_dir()
            .map_err(|e| Failure::Config(format!("cannot read the current directory: {e}")))?;
        let file = match path {
            Some(path) => Some(path.to_path_buf()),
            None => Some(PathBuf::from(DEFAULT_FILE)).filter(|p| p.exists()),
        };
        let (text, base, source) = match &file {
            Some(file) => {
                let text = std::fs::read_to_string(file)
                    .map_err(|e| Failure::Config(format!("cannot read {}: {e}", file.display())))?;
                let absolute = cwd.join(file);
                let base = absolute.parent().unwrap_or(&cwd).to_path_buf();
                (text, base, file.display().to_string())
            }
            None => (DEFAULTS.to_owned(), cwd, "embedded defaults".to_owned()),
        };
        let config: Config =
            toml::from_str(&text).map_err(|e| Failure::Config(format!("{source}: {e}")))?;
        Loaded::check(config, &base, source)
    }

    fn check(mut config: Config, base: &Path, source: String) -> Result<Loaded, Failure> {
        let invalid = |what: String| Failure::Config(format!("{source}: {what}"));
        if config.hostname.is_empty()
            || !config
                .hostname
                .split('.')
                .all(|label| !label.is_empty() && label.bytes().all(is_label_byte))
        {
            return Err(invalid(format!(
                "hostname {:?} is not a host name",
                config.hostname
            )));
        }
        config.data_dir = base.join(&config.data_dir);
        let data = config.data_dir.clone();
        let absolute = |path: &mut Option<PathBuf>, default: PathBuf| {
            *path = Some(path.as_ref().map_or(default, |p| base.join(p)));
        };
        absolute(&mut config.storage.maildir_base, data.join("mail"));
        absolute(&mut config.tls.certificate, data.join("tls/cert.pem"));
        absolute(&mut config.tls.key, data.join("tls/key.pem"));
        if let Some(dir) = config.directory.maildir_column_base.as_mut() {
            *dir = base.join(&*dir);
        }
        if config
            .directory
            .recipient_delimiter
            .chars()
            .any(|c| c == '@' || c.is_whitespace())
        {
            return Err(invalid(format!(
                "recipient_delimiter {:?} cannot contain '@' or spaces",
                config.directory.recipient_delimiter
            )));
        }
        let scheme = |name: &str, key: &str| {
            name.parse::<sasl::Scheme>()
                .map_err(|_| invalid(format!("{key}: unknown password scheme {name:?}")))
        };
        let password_scheme = scheme(&config.auth.password_scheme, "auth.password_scheme")?;
        let default_pass_scheme = scheme(
            &config.directory.default_pass_scheme,
            "directory.default_pass_scheme",
        )?;
        if config.limits.message_size == 0 {
            return Err(invalid("limits.message_size must be above 0".into()));
        }
        if config.limits.recipients == 0 {
            return Err(invalid("limits.recipients must be above 0".into()));
        }
        if tracing_subscriber::EnvFilter::try_new(&config.log.level).is_err() {
            return Err(invalid(format!(
                "log.level {:?} is not a level",
                config.log.level
            )));
        }
        Ok(Loaded {
            config,
            source,
            password_scheme,
            default_pass_scheme,
        })
    }

    /// The embedded SQLite database's file, when the directory is it.
    pub(crate) fn embedded_database(&self) -> Option<PathBuf> {
        let url = &self.config.directory.url;
        url.eq_ignore_ascii_case("sqlite")
            .then(|| self.config.data_dir.join("directory.sqlite"))
    }

    /// Where accounts without a maildir column live.
    pub(crate) fn maildir_base(&self) -> &Path {
        self.config
            .storage
            .maildir_base
            .as_deref()
            .expect("made absolute by check")
    }

    /// The certificate and key files.
    pub(crate) fn tls_files(&self) -> (&Path, &Path) {
        let tls = &self.config.tls;
        (
            tls.certificate.as_deref().expect("made absolute by check"),
            tls.key.as_deref().expect("made absolute by check"),
        )
    }
}

fn is_label_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_file_is_the_default() {
        let parsed: Config = toml::from_str(DEFAULTS).unwrap();
        assert_eq!(parsed, Config::default());
    }

    #[test]
    fn unknown_keys_are_errors() {
        assert!(toml::from_str::<Config>("hostnme = \"x\"").is_err());
        assert!(toml::from_str::<Config>("[smtp]\nmynetwork = []").is_err());
    }

    #[test]
    fn networks_and_access() {
        let config: Config = toml::from_str(
            "[smtp]\nmynetworks = [\"127.0.0.0/8\", \"::1\", \"10.1.2.3/8\"]\n\
             client_access = { \"192.0.2.7\" = \"REJECT\", \"198.51.100.0/24\" = \"OK\" }",
        )
        .unwrap();
        let nets = &config.smtp.mynetworks;
        assert!(nets[0].contains("127.9.9.9".parse().unwrap()));
        assert!(nets[0].contains("::ffff:127.0.0.2".parse().unwrap()));
        assert!(nets[1].contains("::1".parse().unwrap()));
        assert!(nets[2].contains("10.200.0.1".parse().unwrap()));
        assert_eq!(config.smtp.client_access.len(), 2);
        assert!(toml::from_str::<Config>("[smtp]\nmynetworks = [\"nope\"]").is_err());
        assert!(
            toml::from_str::<Config>("[smtp]\nclient_access = { \"1.2.3.4\" = \"MAYBE\" }")
                .is_err()
        );
    }

    #[test]
    fn paths_are_relative_to_the_file() {
        let config: Config = toml::from_str("data_dir = \"d\"\n[tls]\nkey = \"/k.pem\"").unwrap();
        let loaded = Loaded::check(config, Path::new("/etc/mail"), "test".into()).unwrap();
        assert_eq!(loaded.config.data_dir, Path::new("/etc/mail/d"));
        assert_eq!(loaded.maildir_base(), Path::new("/etc/mail/d/mail"));
        assert_eq!(
            loaded.tls_files(),
            (Path::new("/etc/mail/d/tls/cert.pem"), Path::new("/k.pem"))
        );
        assert_eq!(
            loaded.embedded_database().unwrap(),
            Path::new("/etc/mail/d/directory.sqlite")
        );
    }

    #[test]
    fn bad_values_are_refused() {
        for text in [
            "hostname = \"bad host\"",
            "[auth]\npassword_scheme = \"ROT13\"",
            "[limits]\nmessage_size = 0",
            "[directory]\nrecipient_delimiter = \"@\"",
        ] {
            let config: Config = toml::from_str(text).unwrap();
            assert!(
                Loaded::check(config, Path::new("/"), "t".into()).is_err(),
                "{text}"
            );
        }
    }
}
