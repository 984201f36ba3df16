//! Settings: the defaults compiled in from `config/default.toml`, an optional file given with
//! `--config`, then environment variables.
//!
//! Environment variables read:
//! - `QIYESHAO__<SECTION>__<KEY>`, any key of `config/default.toml` (e.g. `QIYESHAO__AUTH__JWT_SECRET`);
//! - `DATABASE_URL`, an alias of `QIYESHAO__DATABASE__URL` (which wins when both are set);
//! - `RUST_LOG`, which overrides `log.level`.

use std::collections::BTreeMap;
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
    pub notifications: NotificationSettings,
    pub metrics: MetricsSettings,
    pub deadlines: DeadlineSettings,
    pub scheduler: SchedulerSettings,
    pub stats: StatsSettings,
    pub attachments: AttachmentSettings,
    pub search: SearchSettings,
    pub routing: RoutingSettings,
    pub hot_topics: HotTopicSettings,
    pub daily_check: DailyCheckSettings,
    pub bulletin: BulletinSettings,
    pub liaison: LiaisonSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LiaisonSettings {
    /// A paired enterprise not visited for this many days is flagged on its liaison cadre's
    /// list (待走访).
    pub visit_interval_days: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RoutingSettings {
    /// A suggestion at least this confident is pre-filled in the dialogs (0 to 1).
    pub prefill_confidence: f64,
    /// The most recent assigned tickets learned from.
    pub max_examples: i64,
    /// How often the suggestions are learned again from the database, in seconds.
    pub refresh_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DailyCheckSettings {
    /// Send the daily check (每日检查) on working days.
    pub enabled: bool,
    /// From when on a working day (China time, `HH:MM`).
    pub at: String,
    /// Also by SMS, one line (e-mail always, where people have an address and want it).
    pub sms: bool,
    /// A resolved request not rated after this many days is listed to the dispatchers
    /// (待回访: a phone revisit is due).
    pub unrated_days: u32,
    /// The requests named in each section of the e-mail (the rest counted).
    pub items: u32,
}

impl DailyCheckSettings {
    /// `at` as a time of day.
    pub fn time(&self) -> Option<chrono::NaiveTime> {
        chrono::NaiveTime::parse_from_str(self.at.trim(), "%H:%M").ok()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct BulletinSettings {
    /// Draft the weekly bulletin (每周通报) on its day.
    pub enabled: bool,
    /// The day of the week it is drafted on (`mon` … `sun`); it reports on the seven days
    /// before that day.
    pub weekday: String,
    /// From when on that day (China time, `HH:MM`).
    pub at: String,
    /// The bulletin's title (the masthead of the printed page and the Word document).
    pub title: String,
    /// The office that issues it, under the title.
    pub issuing_office: String,
    /// Departments on each of the red and black lists (红黑榜), at most.
    pub red_black: u32,
    /// Overdue requests named (the rest counted), the longest overdue first.
    pub overdue_items: u32,
    /// Tell the department heads by SMS too when a bulletin is published (e-mail always,
    /// where they have an address and want it).
    pub sms: bool,
}

impl BulletinSettings {
    /// `weekday` as a day of the week.
    pub fn day(&self) -> Option<chrono::Weekday> {
        self.weekday.trim().parse().ok()
    }

    /// `at` as a time of day.
    pub fn time(&self) -> Option<chrono::NaiveTime> {
        chrono::NaiveTime::parse_from_str(self.at.trim(), "%H:%M").ok()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct HotTopicSettings {
    /// How often the background count looks for days to count, in seconds: the lag of the
    /// hot topics behind the filings.
    pub refresh_secs: u64,
    /// A day is counted again at each round until it is this many days old, so that a
    /// request's category and department as the dispatcher settles them are counted.
    pub settle_days: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SearchSettings {
    /// The district's words for the Chinese segmenter (`crate::search::Segmenter::with_words`).
    pub words_file: PathBuf,
    /// How many of the most recent matches a search by relevance ranks; older matches follow
    /// newest first (`db::tickets::by_relevance`).
    pub relevance_window: i64,
    /// How many of the most recent candidates sharing a word similar requests are looked for
    /// among (`db::ticket_words::similar`).
    pub similar_window: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AttachmentSettings {
    /// Where uploaded files are kept; empty: `attachments` under the data folder.
    pub dir: PathBuf,
    /// The largest file accepted, in bytes.
    pub max_bytes: u64,
    /// How many files one user may upload in an hour.
    pub uploads_per_hour: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StatsSettings {
    pub weight_resolution_rate: f64,
    pub weight_on_time_rate: f64,
    pub weight_satisfaction_rate: f64,
    pub weight_reopen_rate: f64,
    pub weight_sign_on_time_rate: f64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DeadlineSettings {
    pub calendar_dir: PathBuf,
    pub urgent_hours: u32,
    pub sign_working_days: u32,
    pub urgent_sign_hours: u32,
    pub rework_working_days: u32,
    pub max_extension_working_days: u32,
    pub remind_before_hours: u32,
    /// A ticket is due soon (即将超期, on the workbench) this many hours before its deadline.
    pub due_soon_hours: u32,
    pub urgent_remind_before_hours: u32,
    pub level2_after_working_days: u32,
    pub level3_after_working_days: u32,
    pub revisit_window_days: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SchedulerSettings {
    pub enabled: bool,
    pub interval_secs: u64,
    pub batch_size: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub bind: String,
    /// Addresses of reverse proxies whose `X-Forwarded-For` is believed (for the client's
    /// address in sign-in limits and logs). Empty: the peer's address is the client's.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub workers: usize,
    pub public_url: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    pub url: String,
    pub max_connections: u32,
    pub acquire_timeout_ms: u64,
    /// How long a request (or the delivery worker) waits for the database's answer.
    pub query_timeout_ms: u64,
    pub connect_timeout_secs: u64,
    pub sqlite_busy_timeout_ms: u64,
    /// SQLite's page cache per connection, in KiB.
    pub sqlite_cache_kib: u64,
    pub sqlite_checkpoint_interval_ms: u64,
    /// When SQLite's commits reach the disk (see [`SqliteSynchronous`]).
    pub sqlite_synchronous: SqliteSynchronous,
}

/// SQLite's `synchronous` pragma, in WAL mode: both survive a crash of the process; only
/// `Full` survives a power cut or an operating-system crash with every answered commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum SqliteSynchronous {
    /// The write-ahead log is synced at checkpoints only: a power cut may lose the last
    /// commits (the file stays sound).
    Normal,
    /// The log is synced at every commit (one sync per batch of the writer thread).
    Full,
}

impl TryFrom<String> for SqliteSynchronous {
    type Error = String;

    fn try_from(value: String) -> Result<Self, String> {
        match value.as_str() {
            "normal" => Ok(SqliteSynchronous::Normal),
            "full" => Ok(SqliteSynchronous::Full),
            _ => Err(format!(
                "database.sqlite_synchronous must be \"full\" or \"normal\", not {value:?}"
            )),
        }
    }
}

impl SqliteSynchronous {
    pub fn pragma(self) -> &'static str {
        match self {
            SqliteSynchronous::Normal => "NORMAL",
            SqliteSynchronous::Full => "FULL",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct DataSettings {
    pub dir: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    pub jwt_secret: String,
    /// Failed sign-ins to one account within `lockout_secs` that lock it for that long.
    pub max_failures_per_account: i64,
    /// Failed sign-ins (password, SMS code, registration code) from one address within
    /// `lockout_secs` that refuse it for that long.
    pub max_failures_per_ip: i64,
    pub lockout_secs: i64,
    /// SMS codes one address may have sent in an hour.
    pub sms_codes_per_ip_per_hour: i64,
    pub access_token_ttl_secs: i64,
    pub refresh_token_ttl_secs: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HttpSettings {
    /// Other origins whose pages may call the API from a browser (CORS), exactly as the
    /// browser sends them (`https://app.example.gov.cn`). Empty: none (the default).
    pub cors_allowed_origins: Vec<String>,
    pub max_json_bytes: usize,
    pub default_page_size: i64,
    pub max_page_size: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TicketSettings {
    pub number_prefix: String,
    pub idempotency_ttl_hours: i64,
    /// Whether a progress note is shown to the enterprise when the request does not say.
    pub progress_public_by_default: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    pub level: String,
    pub format: String,
    pub requests: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NotificationSettings {
    pub worker: bool,
    pub templates_dir: PathBuf,
    pub link_base_url: String,
    pub poll_interval_ms: u64,
    pub batch_size: u32,
    pub lease_secs: u64,
    pub max_attempts: u32,
    pub backoff_base_secs: u64,
    pub backoff_max_secs: u64,
    pub sms_per_recipient_per_hour: u32,
    pub email_per_recipient_per_hour: u32,
    pub retention_days: u32,
    /// In-app messages older than this are deleted; 0 keeps them.
    pub messages_retention_days: u32,
    pub email: EmailSettings,
    pub sms: SmsSettings,
    /// Group robots (WeCom, DingTalk): `[[notifications.robots]]`, none by default.
    #[serde(default)]
    pub robots: Vec<RobotSettings>,
    /// Event name → its settings; an event not listed is on.
    #[serde(default)]
    pub events: BTreeMap<String, EventSettings>,
}

/// A group robot (`[[notifications.robots]]`): a WeCom (企业微信) or DingTalk (钉钉) group's
/// webhook.
#[derive(Debug, Clone, Deserialize)]
pub struct RobotSettings {
    /// Its own name: the outbox's recipient, the logs.
    pub name: String,
    /// `wecom` or `dingtalk`.
    pub kind: String,
    /// The webhook, with its key (WeCom) or access token (DingTalk).
    pub url: String,
    /// DingTalk's signing secret (加签, `SEC…`); empty: not signed.
    #[serde(default)]
    pub secret: String,
    /// The department (by name) whose group it is: its new assignments, its overdue
    /// escalations and its daily check.
    #[serde(default)]
    pub department: String,
    /// The leaders' group: the weekly bulletins.
    #[serde(default)]
    pub leaders: bool,
}

/// One notification event's settings (`notifications.events.<event>`).
#[derive(Debug, Clone, Deserialize)]
pub struct EventSettings {
    /// Off: the event writes no e-mail, SMS or in-app message.
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
pub struct EmailSettings {
    pub transport: String,
    pub host: String,
    pub port: u16,
    pub tls: String,
    pub username: String,
    pub password: String,
    pub from: String,
    pub ca_file: String,
    pub pool_size: u32,
    pub timeout_secs: u64,
    pub hello_name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SmsSettings {
    pub provider: String,
    pub sign_name: String,
    pub timeout_secs: u64,
    pub http: HttpSmsSettings,
    pub aliyun: AliyunSettings,
    pub tencent: TencentSettings,
    /// Event name → the gateway template for it.
    pub templates: BTreeMap<String, SmsTemplateSettings>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HttpSmsSettings {
    pub url: String,
    pub token: String,
    pub secret: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AliyunSettings {
    pub access_key_id: String,
    pub access_key_secret: String,
    pub endpoint: String,
    pub region_id: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TencentSettings {
    pub secret_id: String,
    pub secret_key: String,
    pub sdk_app_id: String,
    pub region: String,
    pub endpoint: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SmsTemplateSettings {
    pub code: String,
    pub params: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MetricsSettings {
    pub enabled: bool,
    pub token: String,
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
            (1..=100_000).contains(&self.search.relevance_window)
                && (1..=100_000).contains(&self.search.similar_window),
            "search.relevance_window and search.similar_window must be between 1 and 100000"
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
        self.notifications.check()?;
        let d = &self.deadlines;
        anyhow::ensure!(
            d.urgent_hours >= 1 && d.urgent_sign_hours >= 1,
            "deadlines.urgent_hours and deadlines.urgent_sign_hours must be at least 1"
        );
        anyhow::ensure!(
            d.sign_working_days >= 1 && d.rework_working_days >= 1,
            "deadlines.sign_working_days and deadlines.rework_working_days must be at least 1"
        );
        anyhow::ensure!(
            (1..=365).contains(&d.max_extension_working_days),
            "deadlines.max_extension_working_days must be between 1 and 365"
        );
        anyhow::ensure!(
            d.level2_after_working_days >= 1
                && d.level3_after_working_days > d.level2_after_working_days,
            "deadlines.level2_after_working_days must be at least 1 and less than level3_after_working_days"
        );
        anyhow::ensure!(
            (0.0..=1.0).contains(&self.routing.prefill_confidence),
            "routing.prefill_confidence must be between 0 and 1"
        );
        anyhow::ensure!(
            self.routing.max_examples >= 0 && self.routing.refresh_secs >= 1,
            "routing.max_examples must not be negative and routing.refresh_secs at least 1"
        );
        anyhow::ensure!(
            self.daily_check.time().is_some(),
            "daily_check.at must be a time of day, HH:MM (China time), e.g. 08:30"
        );
        anyhow::ensure!(
            self.daily_check.unrated_days >= 1 && (1..=50).contains(&self.daily_check.items),
            "daily_check.unrated_days must be at least 1 and daily_check.items between 1 and 50"
        );
        anyhow::ensure!(
            (1..=366).contains(&self.liaison.visit_interval_days),
            "liaison.visit_interval_days must be between 1 and 366"
        );
        anyhow::ensure!(
            self.bulletin.day().is_some() && self.bulletin.time().is_some(),
            "bulletin.weekday must be a day of the week (mon … sun) and bulletin.at a time of \
             day, HH:MM (China time)"
        );
        anyhow::ensure!(
            (1..=20).contains(&self.bulletin.red_black)
                && (1..=500).contains(&self.bulletin.overdue_items)
                && !self.bulletin.title.trim().is_empty(),
            "bulletin.red_black must be between 1 and 20, bulletin.overdue_items between 1 and \
             500, and bulletin.title not empty"
        );
        anyhow::ensure!(
            self.hot_topics.refresh_secs >= 1 && (1..=366).contains(&self.hot_topics.settle_days),
            "hot_topics.refresh_secs must be at least 1 and hot_topics.settle_days between 1 and 366"
        );
        anyhow::ensure!(
            self.scheduler.interval_secs >= 1,
            "scheduler.interval_secs must be at least 1"
        );
        let w = &self.stats;
        let weights = [
            w.weight_resolution_rate,
            w.weight_on_time_rate,
            w.weight_satisfaction_rate,
            w.weight_reopen_rate,
            w.weight_sign_on_time_rate,
        ];
        anyhow::ensure!(
            weights.iter().all(|x| x.is_finite() && *x >= 0.0) && weights.iter().any(|x| *x > 0.0),
            "the stats.weight_* settings must be 0 or more, and one of them more than 0"
        );
        anyhow::ensure!(
            (1..=10_000).contains(&self.scheduler.batch_size),
            "scheduler.batch_size must be between 1 and 10000"
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

    /// Where uploaded files are kept.
    pub fn attachments_dir(&self) -> PathBuf {
        if self.attachments.dir.as_os_str().is_empty() {
            self.data.dir.join("attachments")
        } else {
            self.attachments.dir.clone()
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

impl NotificationSettings {
    /// The values each part of the notifier needs; the SMS provider and the templates check
    /// their own settings when they are built at start-up.
    fn check(&self) -> anyhow::Result<()> {
        let n = self;
        anyhow::ensure!(
            n.poll_interval_ms >= 10,
            "notifications.poll_interval_ms must be at least 10"
        );
        anyhow::ensure!(
            (1..=500).contains(&n.batch_size),
            "notifications.batch_size must be between 1 and 500"
        );
        anyhow::ensure!(
            n.lease_secs >= 1,
            "notifications.lease_secs must be at least 1"
        );
        anyhow::ensure!(
            n.max_attempts >= 1,
            "notifications.max_attempts must be at least 1"
        );
        anyhow::ensure!(
            n.backoff_base_secs >= 1 && n.backoff_base_secs <= n.backoff_max_secs,
            "notifications.backoff_base_secs must be at least 1 and at most backoff_max_secs"
        );
        anyhow::ensure!(
            matches!(n.email.transport.as_str(), "smtp" | "log" | "off"),
            "notifications.email.transport must be \"smtp\", \"log\" or \"off\""
        );
        anyhow::ensure!(
            matches!(n.email.tls.as_str(), "none" | "starttls" | "tls"),
            "notifications.email.tls must be \"none\", \"starttls\" or \"tls\""
        );
        if n.email.transport == "smtp" {
            anyhow::ensure!(
                !n.email.host.trim().is_empty(),
                "notifications.email.host is required when notifications.email.transport is \"smtp\""
            );
        }
        anyhow::ensure!(
            n.email.pool_size >= 1,
            "notifications.email.pool_size must be at least 1"
        );
        anyhow::ensure!(
            n.email.timeout_secs >= 1 && n.sms.timeout_secs >= 1,
            "notifications.email.timeout_secs and notifications.sms.timeout_secs must be at least 1"
        );
        anyhow::ensure!(
            matches!(
                n.sms.provider.as_str(),
                "log" | "http" | "aliyun" | "tencent" | "off"
            ),
            "notifications.sms.provider must be one of log, http, aliyun, tencent, off"
        );
        // A lease shorter than a send could let a second worker take a message that is
        // still being sent.
        anyhow::ensure!(
            n.lease_secs > n.email.timeout_secs.max(n.sms.timeout_secs) * 3,
            "notifications.lease_secs must be more than three times the longest send timeout"
        );
        Ok(())
    }
}
