//! Settings: command-line flags, then `TERN_*` environment variables, then the TOML config
//! file, then defaults, in that order of precedence.
//!
//! Everything is validated here, before anything starts, so a mistake is reported once, naming
//! the setting and where it came from, and `ternd` exits with code 64 (`EX_USAGE`) instead of
//! failing halfway through start-up.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use serde::Deserialize;

use crate::clock::Calendar;

/// The exit code for a configuration mistake (`EX_USAGE` from sysexits.h).
pub const EXIT_CONFIG: u8 = 64;

/// `ternd`'s command line.
#[derive(Debug, Parser)]
#[command(
    name = "ternd",
    version,
    about = "Tern: the embedded SMS-provider daemon"
)]
pub struct Cli {
    /// Settings shared by every subcommand.
    #[command(flatten)]
    pub settings: Settings,
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What `ternd` should do.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Run the daemon (the default).
    Serve,
    /// List the plugins in the plugin directory, loaded and refused, then exit.
    Plugins {
        /// Print JSON for scripts instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Restore a snapshot taken with `GET /v1/backup` into an empty data directory, then exit.
    /// Copy the installation's secret.key into the data directory before starting ternd.
    Restore {
        /// The snapshot file, or `-` for standard input.
        #[arg(long = "in", value_name = "FILE")]
        input: PathBuf,
    },
}

/// The settings as given on the command line or in the environment. Every field is optional
/// so that the config file and the defaults can fill in what is missing.
#[derive(Debug, Clone, Default, Args)]
pub struct Settings {
    /// TOML config file.
    #[arg(long, global = true, env = "TERN_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Where the store, the key file and the admin token live [default: ./data].
    #[arg(long, global = true, env = "TERN_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Address of the admin API [default: 127.0.0.1:8780].
    #[arg(long, global = true, env = "TERN_ADMIN_LISTEN", value_name = "ADDR")]
    pub admin_listen: Option<String>,
    /// Address of the public callback listener [default: 127.0.0.1:8781].
    #[arg(long, global = true, env = "TERN_CALLBACK_LISTEN", value_name = "ADDR")]
    pub callback_listen: Option<String>,
    /// Base of the callback URLs handed to providers [default: http:// and the callback
    /// listener's address].
    #[arg(long, global = true, env = "TERN_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// Directory of plugin libraries [default: the directory of the ternd executable].
    #[arg(long, global = true, env = "TERN_PLUGIN_DIR", value_name = "DIR")]
    pub plugin_dir: Option<PathBuf>,
    /// Time limit of one plugin call, in milliseconds [default: 2000].
    #[arg(long, global = true, env = "TERN_PLUGIN_TIMEOUT_MS", value_name = "MS")]
    pub plugin_timeout_ms: Option<String>,
    /// Time limit of one request to a provider, in milliseconds [default: 10000].
    #[arg(
        long,
        global = true,
        env = "TERN_PROVIDER_TIMEOUT_MS",
        value_name = "MS"
    )]
    pub provider_timeout_ms: Option<String>,
    /// How long requests in flight may take to finish at shutdown, in seconds [default: 10].
    #[arg(
        long,
        global = true,
        env = "TERN_SHUTDOWN_GRACE_SECS",
        value_name = "SECS"
    )]
    pub shutdown_grace_secs: Option<String>,
    /// How long a client may take to send request headers, in seconds [default: 10].
    #[arg(
        long,
        global = true,
        env = "TERN_HEADER_TIMEOUT_SECS",
        value_name = "SECS"
    )]
    pub header_timeout_secs: Option<String>,
    /// How long a client may take to send a request body once its headers are in, in seconds
    /// [default: 30].
    #[arg(
        long,
        global = true,
        env = "TERN_BODY_TIMEOUT_SECS",
        value_name = "SECS"
    )]
    pub body_timeout_secs: Option<String>,
    /// Largest accepted request body, in bytes [default: 1048576].
    #[arg(long, global = true, env = "TERN_MAX_BODY_BYTES", value_name = "BYTES")]
    pub max_body_bytes: Option<String>,
    /// How long message records are kept for callback matching, in days [default: 90].
    #[arg(long, global = true, env = "TERN_RETENTION_DAYS", value_name = "DAYS")]
    pub retention_days: Option<String>,
    /// IANA time zone whose calendar days the statistics count in [default: UTC].
    #[arg(long, global = true, env = "TERN_TIMEZONE", value_name = "ZONE")]
    pub timezone: Option<String>,
}

/// The config file. Unknown keys are an error, so a typo is not silently ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    data_dir: Option<PathBuf>,
    admin_listen: Option<String>,
    callback_listen: Option<String>,
    public_url: Option<String>,
    plugin_dir: Option<PathBuf>,
    admin_token: Option<String>,
    plugin_timeout_ms: Option<u64>,
    provider_timeout_ms: Option<u64>,
    shutdown_grace_secs: Option<u64>,
    header_timeout_secs: Option<u64>,
    body_timeout_secs: Option<u64>,
    max_body_bytes: Option<u64>,
    retention_days: Option<u64>,
    timezone: Option<String>,
}

/// A configuration mistake, naming the setting and saying what would be right.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file cannot be read or parsed.
    #[error("config file {path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A setting has a value that cannot be used.
    #[error("invalid setting {setting} ({flag} / {env}): {message}")]
    Invalid {
        /// The config-file key.
        setting: &'static str,
        /// The flag.
        flag: &'static str,
        /// The environment variable.
        env: &'static str,
        /// What is wrong and what would be right.
        message: String,
    },
}

/// The resolved, validated configuration the daemon runs with.
#[derive(Clone)]
pub struct Config {
    /// Data directory: the store, `secret.key` and `admin.token`.
    pub data_dir: PathBuf,
    /// Admin API address.
    pub admin_listen: SocketAddr,
    /// Callback listener address.
    pub callback_listen: SocketAddr,
    /// Base of the callback URLs, without a trailing slash. `None` means "the callback
    /// listener's own address", resolved once it is bound (so port 0 works in tests).
    pub public_url: Option<String>,
    /// Plugin directory.
    pub plugin_dir: PathBuf,
    /// The admin token from `TERN_ADMIN_TOKEN` or the file; `None` means use (or create)
    /// `DATA_DIR/admin.token`.
    pub admin_token: Option<String>,
    /// Time limit of one plugin call.
    pub plugin_timeout: Duration,
    /// Time limit of one request to a provider.
    pub provider_timeout: Duration,
    /// Grace period for requests in flight at shutdown.
    pub shutdown_grace: Duration,
    /// Header read timeout.
    pub header_timeout: Duration,
    /// Body read timeout: a body that has not fully arrived by then gets 408.
    pub body_timeout: Duration,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// How long message records are kept, in days.
    pub retention_days: u32,
    /// The calendar statistics count days in.
    pub calendar: Calendar,
}

impl std::fmt::Debug for Config {
    // By hand, so the admin token can never reach a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field("admin_listen", &self.admin_listen)
            .field("callback_listen", &self.callback_listen)
            .field("public_url", &self.public_url)
            .field("plugin_dir", &self.plugin_dir)
            .field(
                "admin_token",
                &self.admin_token.as_ref().map(|_| "<redacted>"),
            )
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Resolves `settings` against the config file (if any), `TERN_ADMIN_TOKEN` and the
    /// defaults.
    pub fn resolve(settings: &Settings) -> Result<Config, ConfigError> {
        let file = match &settings.config {
            Some(path) => read_file(path)?,
            None => FileSettings::default(),
        };
        let s = settings;
        // An empty variable is an unset one, as for every TERN_* setting.
        let admin_token = match std::env::var("TERN_ADMIN_TOKEN") {
            Ok(token) if !token.is_empty() => Some(token),
            _ => file.admin_token.clone(),
        };
        if let Some(token) = &admin_token {
            if token.trim().len() < 16 || token.chars().any(|c| c.is_whitespace()) {
                return Err(invalid(
                    "admin_token",
                    "no flag",
                    "TERN_ADMIN_TOKEN",
                    "must be at least 16 characters with no white space".into(),
                ));
            }
        }
        let plugin_dir = match s.plugin_dir.clone().or(file.plugin_dir) {
            Some(dir) => dir,
            None => default_plugin_dir().map_err(|message| {
                invalid("plugin_dir", "--plugin-dir", "TERN_PLUGIN_DIR", message)
            })?,
        };
        Ok(Config {
            data_dir: s
                .data_dir
                .clone()
                .or(file.data_dir)
                .unwrap_or_else(|| PathBuf::from("./data")),
            admin_listen: addr(
                "admin_listen",
                "--admin-listen",
                "TERN_ADMIN_LISTEN",
                s.admin_listen.clone().or(file.admin_listen),
                "127.0.0.1:8780",
            )?,
            callback_listen: addr(
                "callback_listen",
                "--callback-listen",
                "TERN_CALLBACK_LISTEN",
                s.callback_listen.clone().or(file.callback_listen),
                "127.0.0.1:8781",
            )?,
            public_url: s
                .public_url
                .clone()
                .or(file.public_url)
                .map(public_url)
                .transpose()?,
            plugin_dir,
            admin_token,
            plugin_timeout: Duration::from_millis(number(
                "plugin_timeout_ms",
                "--plugin-timeout-ms",
                "TERN_PLUGIN_TIMEOUT_MS",
                s.plugin_timeout_ms.as_deref(),
                file.plugin_timeout_ms,
                (1, 600_000, 2_000),
            )?),
            provider_timeout: Duration::from_millis(number(
                "provider_timeout_ms",
                "--provider-timeout-ms",
                "TERN_PROVIDER_TIMEOUT_MS",
                s.provider_timeout_ms.as_deref(),
                file.provider_timeout_ms,
                (1, 600_000, 10_000),
            )?),
            shutdown_grace: Duration::from_secs(number(
                "shutdown_grace_secs",
                "--shutdown-grace-secs",
                "TERN_SHUTDOWN_GRACE_SECS",
                s.shutdown_grace_secs.as_deref(),
                file.shutdown_grace_secs,
                (0, 3_600, 10),
            )?),
            header_timeout: Duration::from_secs(number(
                "header_timeout_secs",
                "--header-timeout-secs",
                "TERN_HEADER_TIMEOUT_SECS",
                s.header_timeout_secs.as_deref(),
                file.header_timeout_secs,
                (1, 600, 10),
            )?),
            body_timeout: Duration::from_secs(number(
                "body_timeout_secs",
                "--body-timeout-secs",
                "TERN_BODY_TIMEOUT_SECS",
                s.body_timeout_secs.as_deref(),
                file.body_timeout_secs,
                (1, 3_600, 30),
            )?),
            max_body_bytes: number(
                "max_body_bytes",
                "--max-body-bytes",
                "TERN_MAX_BODY_BYTES",
                s.max_body_bytes.as_deref(),
                file.max_body_bytes,
                (1_024, 64 * 1024 * 1024, 1024 * 1024),
            )? as usize,
            retention_days: number(
                "retention_days",
                "--retention-days",
                "TERN_RETENTION_DAYS",
                s.retention_days.as_deref(),
                file.retention_days,
                (1, 3_650, 90),
            )? as u32,
            calendar: Calendar::new(
                s.timezone
                    .as_deref()
                    .or(file.timezone.as_deref())
                    .unwrap_or("UTC"),
            )
            .map_err(|message| invalid("timezone", "--timezone", "TERN_TIMEZONE", message))?,
        })
    }
}

fn read_file(path: &Path) -> Result<FileSettings, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|err| ConfigError::File {
        path: path.to_path_buf(),
        message: format!("cannot be read: {err}"),
    })?;
    // The error's own text quotes the offending line, which may hold the admin token: report
    // the position and the problem only.
    toml::from_str(&text).map_err(|err| {
        let line = err
            .span()
            .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
        ConfigError::File {
            path: path.to_path_buf(),
            message: match line {
                Some(line) => format!("line {line}: {}", err.message()),
                None => err.message().to_owned(),
            },
        }
    })
}

fn invalid(
    setting: &'static str,
    flag: &'static str,
    env: &'static str,
    message: String,
) -> ConfigError {
    ConfigError::Invalid {
        setting,
        flag,
        env,
        message,
    }
}

fn addr(
    setting: &'static str,
    flag: &'static str,
    env: &'static str,
    value: Option<String>,
    default: &str,
) -> Result<SocketAddr, ConfigError> {
    let value = value.unwrap_or_else(|| default.to_owned());
    value.parse().map_err(|_| {
        invalid(
            setting,
            flag,
            env,
            format!("{value:?} is not an IP address and port such as {default}"),
        )
    })
}

/// A whole number within `(min, max, default)`, from a flag or variable (text) or the file.
fn number(
    setting: &'static str,
    flag: &'static str,
    env: &'static str,
    given: Option<&str>,
    from_file: Option<u64>,
    (min, max, default): (u64, u64, u64),
) -> Result<u64, ConfigError> {
    let value = match given {
        Some(text) => text.trim().parse::<u64>().map_err(|_| {
            invalid(
                setting,
                flag,
                env,
                format!("{text:?} is not a whole number"),
            )
        })?,
        None => from_file.unwrap_or(default),
    };
    if !(min..=max).contains(&value) {
        return Err(invalid(
            setting,
            flag,
            env,
            format!("{value} is outside {min}..={max}"),
        ));
    }
    Ok(value)
}

fn public_url(value: String) -> Result<String, ConfigError> {
    let bad = |why: &str| {
        invalid(
            "public_url",
            "--public-url",
            "TERN_PUBLIC_URL",
            format!(
                "{value:?} {why}; give the scheme, host and optional path prefix providers use to reach the callback listener, such as https://sms.example.com"
            ),
        )
    };
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
        .ok_or_else(|| bad("is not an http or https URL"))?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err(bad("has no host"));
    }
    if value.contains(['?', '#']) || value.chars().any(|c| c.is_whitespace()) {
        return Err(bad("must not contain a query, a fragment or white space"));
    }
    Ok(value.trim_end_matches('/').to_owned())
}

fn default_plugin_dir() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|err| {
        format!("the directory of the ternd executable is unknown ({err}); set it explicitly")
    })?;
    exe.parent()
        .map(Path::to_path_buf)
        .ok_or_else(|| "the ternd executable has no parent directory; set it explicitly".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_url_is_checked_and_trimmed() {
        assert_eq!(
            public_url("https://sms.example.com/tern/".into()).unwrap(),
            "https://sms.example.com/tern"
        );
        for bad in [
            "ftp://x",
            "http://",
            "https:///x",
            "http://h/?q=1",
            "localhost:8781",
        ] {
            let err = public_url(bad.into()).unwrap_err().to_string();
            assert!(err.contains("public_url"), "{bad}: {err}");
        }
    }

    #[test]
    fn numbers_name_their_setting() {
        let err = number(
            "retention_days",
            "--retention-days",
            "TERN_RETENTION_DAYS",
            Some("ten"),
            None,
            (1, 10, 5),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("retention_days") && err.contains("--retention-days"),
            "{err}"
        );
        assert_eq!(
            number("x", "--x", "X", None, Some(7), (1, 10, 5)).unwrap(),
            7
        );
        assert_eq!(
            number("x", "--x", "X", Some("3"), Some(7), (1, 10, 5)).unwrap(),
            3
        );
        assert!(number("x", "--x", "X", Some("11"), None, (1, 10, 5)).is_err());
    }

    #[test]
    fn file_errors_never_quote_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tern.toml");
        std::fs::write(
            &path,
            "data_dir = \"/x\"\nadmin_token = \"s3cret-token-value\" oops\n",
        )
        .unwrap();
        let err = read_file(&path).unwrap_err().to_string();
        assert!(err.contains("line 2"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
    }

    #[test]
    fn both_listeners_default_to_loopback() {
        let config = Config::resolve(&Settings {
            plugin_dir: Some(PathBuf::from("plugins")),
            ..Settings::default()
        })
        .unwrap();
        assert!(config.admin_listen.ip().is_loopback(), "{config:?}");
        assert!(config.callback_listen.ip().is_loopback(), "{config:?}");
        assert_eq!(config.admin_listen.to_string(), "127.0.0.1:8780");
        assert_eq!(config.callback_listen.to_string(), "127.0.0.1:8781");
    }

    #[test]
    fn unknown_file_keys_are_refused() {
        let err = toml::from_str::<FileSettings>("data_dri = \"/x\"").unwrap_err();
        assert!(err.to_string().contains("data_dri"), "{err}");
    }
}
