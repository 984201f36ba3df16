//! Settings: the defaults compiled in from `config/default.toml`, an optional file given with
//! `--config`, then environment variables.
//!
//! Environment variables read:
//! - `QIYESHAO__<SECTION>__<KEY>`, any key of `config/default.toml` (e.g. `QIYESHAO__AUTH__JWT_SECRET`);
//! - `DATABASE_URL`, an alias of `QIYESHAO__DATABASE__URL` (which wins when both are set);
//! - `RUST_LOG`, which overrides `log.level`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

const DEFAULTS: &str = include_str!("../config/default.toml");

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub data: DataSettings,
    pub auth: AuthSettings,
    pub http: HttpSettings,
    pub tickets: TicketSettings,
    pub log: LogSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub bind: String,
    pub workers: usize,
    pub public_url: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    pub url: String,
    pub max_connections: u32,
    pub acquire_timeout_ms: u64,
    pub connect_timeout_secs: u64,
    pub sqlite_busy_timeout_ms: u64,
    pub sqlite_checkpoint_interval_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DataSettings {
    pub dir: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    pub jwt_secret: String,
    pub access_token_ttl_secs: i64,
    pub refresh_token_ttl_secs: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HttpSettings {
    pub max_json_bytes: usize,
    pub default_page_size: i64,
    pub max_page_size: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TicketSettings {
    pub number_prefix: String,
    pub idempotency_ttl_hours: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    pub level: String,
    pub format: String,
    pub requests: bool,
}

impl Settings {
    /// Loads the layers in order; later layers win.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Settings> {
        let mut builder = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml));
        if let Some(path) = file {
            anyhow::ensure!(
                path.exists(),
                "configuration file {} not found",
                path.display()
            );
            builder = builder.add_source(config::File::from(path).required(true));
        }
        builder = builder.add_source(
            config::Environment::with_prefix("QIYESHAO")
                .prefix_separator("__")
                .separator("__")
                .try_parsing(true),
        );
        let mut settings: Settings = builder
            .build()
            .context("reading configuration")?
            .try_deserialize()
            .context("configuration has a wrong or missing value")?;
        // DATABASE_URL sits between the file and QIYESHAO__DATABASE__URL.
        if std::env::var_os("QIYESHAO__DATABASE__URL").is_none()
            && let Ok(url) = std::env::var("DATABASE_URL")
            && !url.trim().is_empty()
        {
            settings.database.url = url;
        }
        settings.check()?;
        Ok(settings)
    }

    /// The compiled-in defaults alone, as tests start from.
    pub fn defaults() -> anyhow::Result<Settings> {
        let settings: Settings = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml))
            .build()?
            .try_deserialize()?;
        Ok(settings)
    }

    /// Checks the values; `load` calls it, and callers that change settings afterwards (the
    /// command line's flags) call it again.
    pub fn check(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.database.max_connections > 0,
            "database.max_connections must be at least 1"
        );
        anyhow::ensure!(
            self.auth.access_token_ttl_secs > 0,
            "auth.access_token_ttl_secs must be positive"
        );
        anyhow::ensure!(
            self.auth.refresh_token_ttl_secs > 0,
            "auth.refresh_token_ttl_secs must be positive"
        );
        anyhow::ensure!(
            self.http.default_page_size > 0
                && self.http.default_page_size <= self.http.max_page_size,
            "http.default_page_size must be between 1 and http.max_page_size"
        );
        anyhow::ensure!(
            self.http.max_json_bytes >= 1024,
            "http.max_json_bytes must be at least 1024"
        );
        let url = self.database_url();
        if let Some((scheme, _)) = url.split_once("://") {
            anyhow::ensure!(
                matches!(scheme, "postgres" | "postgresql" | "sqlite"),
                "the database URL scheme {scheme:?} is not supported: use postgres:// or sqlite://"
            );
        }
        anyhow::ensure!(
            matches!(self.log.format.as_str(), "text" | "json"),
            "log.format must be \"text\" or \"json\""
        );
        Ok(())
    }

    /// The database URL in force: the configured one, or the SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        if self.database.url.trim().is_empty() {
            format!("sqlite://{}", self.data.dir.join("qiyeshao.db").display())
        } else {
            self.database.url.trim().to_string()
        }
    }

    /// Where people reach the service.
    pub fn public_url(&self, bound: &str) -> String {
        if self.server.public_url.is_empty() {
            format!("http://{bound}")
        } else {
            self.server.public_url.trim_end_matches('/').to_string()
        }
    }
}
