//! What the tests stand on: a real server on a free port over a fresh database per test — a
//! SQLite file in a temporary directory, or a schema of its own on the PostgreSQL of
//! `TEST_POSTGRES_URL` (or the local one) — plus, in `http`, the calls tests make to it and,
//! in `fixtures`, the district they make them in.
//!
//! Tests are written once as `async fn name(app: TestApp)` and run on both backends by
//! `both_backends!(name)`; the harness (`harness.rs`) runs the PostgreSQL half only where
//! there is a PostgreSQL, and reports it as ignored, or failed, where there is none.

mod fixtures;
mod http;

use std::sync::Arc;

use chrono::Utc;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use qiyeshao::auth::TokenKeys;
use qiyeshao::config::Settings;
use qiyeshao::db::Db;
use qiyeshao::domain::time::ManualClock;
use qiyeshao::notify::worker::WorkerHandle;
use qiyeshao::startup::Application;

use crate::sms_gateways::Phones;

pub use fixtures::{PASSWORD, User, World, actions, credit_code};
pub use http::{Resp, id_of, multipart_file};

const SECRET: &str = "test-secret-test-secret-test-secret-0123456789";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where a test's PostgreSQL schema lives, to drop it afterwards.
struct PgSchema {
    base_url: String,
    schema: String,
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&self.base_url) {
            let _ = conn.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
        }
    }
}

pub struct TestApp {
    pub backend: Backend,
    pub address: String,
    pub client: reqwest::Client,
    pub settings: Settings,
    pub db: Db,
    pub clock: ManualClock,
    pub tokens: TokenKeys,
    /// What the service functions that write ticket events take.
    pub ctx: qiyeshao::service::tickets::Context,
    /// The deadline scheduler; tests sweep when they choose (it does not run by itself).
    pub scheduler: qiyeshao::background::scheduler::Scheduler,
    server: actix_web::dev::ServerHandle,
    worker: Option<WorkerHandle>,
    _dir: tempfile::TempDir,
    _pg: Option<PgSchema>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stop the server so its workers drop their connection pools before the schema goes.
        let stop = self.server.stop(false);
        let worker = self.worker.take();
        tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(async {
                let _ = tokio::time::timeout(std::time::Duration::from_secs(5), stop).await;
                if let Some(worker) = worker {
                    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), worker.stop())
                        .await;
                }
            })
        });
    }
}

impl TestApp {
    /// The scheduler of another instance of the service over this one's database, with
    /// `settings`: its own pool and calendar, the same outbox and clock.
    pub fn second_scheduler(
        &self,
        settings: Settings,
    ) -> qiyeshao::background::scheduler::Scheduler {
        let settings = Arc::new(settings);
        qiyeshao::background::scheduler::Scheduler::new(
            Db::connect(&settings).expect("pool"),
            self.ctx.outbox.clone(),
            Arc::new(
                qiyeshao::service::calendar::CalendarStore::load(&settings.deadlines.calendar_dir)
                    .expect("calendar"),
            ),
            settings.clone(),
            Arc::new(self.clock.clone()) as Arc<dyn qiyeshao::domain::time::Clock>,
            self.ctx.segmenter.clone(),
        )
    }
}

/// `url` with one more query parameter.
pub fn with_param(url: &str, param: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{param}")
}

/// Settings for a test: a free port, two workers, a small pool, a fixed secret.
pub fn test_settings(dir: &std::path::Path, database_url: String) -> Settings {
    let mut settings = Settings::defaults().expect("default settings");
    settings.server.bind = "127.0.0.1:0".into();
    settings.server.workers = 2;
    settings.database.url = database_url;
    settings.database.max_connections = 6;
    settings.data.dir = dir.to_path_buf();
    settings.auth.jwt_secret = SECRET.into();
    // The worker looks for due messages often, so tests need not wait for it.
    settings.notifications.poll_interval_ms = 20;
    // Tests move the clock and sweep when they choose.
    settings.scheduler.enabled = false;
    settings
}

/// A fresh, empty database for one test: its URL, and what to drop afterwards.
fn fresh_database(backend: Backend, dir: &std::path::Path) -> (String, Option<PgSchema>) {
    match backend {
        Backend::Sqlite => (format!("sqlite://{}", dir.join("test.db").display()), None),
        Backend::Postgres => {
            let base_url = crate::harness::postgres_url().to_string();
            let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
            let mut conn = PgConnection::establish(&base_url)
                .unwrap_or_else(|e| panic!("cannot connect to TEST_POSTGRES_URL: {e}"));
            conn.batch_execute(&format!("CREATE SCHEMA {schema}"))
                .expect("create test schema");
            let url = with_param(&base_url, &format!("options=-csearch_path%3D{schema}"));
            (url, Some(PgSchema { base_url, schema }))
        }
    }
}

/// A fresh database and settings pointing at it, without a server: for migration tests.
pub struct EmptyDatabase {
    pub settings: Settings,
    _dir: tempfile::TempDir,
    _pg: Option<PgSchema>,
}

pub fn empty_database(backend: Backend) -> EmptyDatabase {
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, pg) = fresh_database(backend, dir.path());
    EmptyDatabase {
        settings: test_settings(dir.path(), url),
        _dir: dir,
        _pg: pg,
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

pub async fn spawn_app_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, pg) = fresh_database(backend, dir.path());
    let mut settings = test_settings(dir.path(), url);
    adjust(&mut settings);
    // TEST_LOG=debug (or any filter) shows the servers' logs.
    if let Ok(filter) = std::env::var("TEST_LOG") {
        settings.log.level = filter;
        qiyeshao::telemetry::init(&settings.log);
    }
    let clock = ManualClock::new(Utc::now());
    let mut app = Application::build_with_clock(settings.clone(), Arc::new(clock.clone()))
        .await
        .expect("application starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let db = app.db().clone();
    let server = app.server_handle();
    let worker = app.take_worker();
    let ctx = app.ticket_context();
    let scheduler = app.scheduler().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        backend,
        address,
        client: http_client(),
        tokens: TokenKeys::new(SECRET.as_bytes(), settings.auth.access_token_ttl_secs),
        settings,
        db,
        clock,
        ctx,
        scheduler,
        server,
        worker,
        _dir: dir,
        _pg: pg,
    }
}

/// An HTTP client for talking to the servers under test. reqwest is built with rustls and
/// no crypto provider of its own (as the SMS gateways' client is): install ring first.
pub fn http_client() -> reqwest::Client {
    http_client_builder().build().expect("HTTP client")
}

/// [`http_client`] to be configured further (a timeout, say).
pub fn http_client_builder() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    // The server closes a connection idle for 5 s (actix's keep-alive); a test that pauses
    // longer (a long comparison) must not send its next request down one being closed.
    reqwest::Client::builder().pool_idle_timeout(std::time::Duration::from_secs(2))
}

/// Runs `test` over a fresh database on `backend` (what `both_backends!` registers).
pub async fn on_backend<Fut>(backend: Backend, test: impl FnOnce(TestApp) -> Fut)
where
    Fut: Future<Output = ()>,
{
    let app = spawn_app(backend).await;
    test(app).await;
}

/// Runs `test` over a fresh database on `backend`, the server sending its SMS to the phones'
/// stand-in gateway (what `with_phones!` registers).
pub async fn on_backend_with_phones<Fut>(
    backend: Backend,
    test: impl FnOnce(TestApp, Phones) -> Fut,
) where
    Fut: Future<Output = ()>,
{
    let phones = Phones::start();
    let sms = phones.settings();
    let app = spawn_app_with(backend, |s| s.notifications.sms = sms).await;
    test(app, phones).await;
}

/// A free TCP port on 127.0.0.1, for a server a test starts (and restarts) on a known port.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}
