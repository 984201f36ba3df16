//! What the tests stand on: a real server on a free port over a fresh database per test — a
//! SQLite file in a temporary directory, or a schema of its own on the PostgreSQL of
//! `TEST_POSTGRES_URL` (or the local one) — plus fixtures and an HTTP client.
//!
//! Tests are written once as `async fn name(app: TestApp)` and run on both backends by
//! `both_backends!(name)`; the harness (`harness.rs`) runs the PostgreSQL half only where
//! there is a PostgreSQL, and reports it as ignored, or failed, where there is none.

use std::sync::{Arc, OnceLock};

use chrono::Utc;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use qiyeshao::auth::{self, Principal, TokenKeys};
use qiyeshao::config::Settings;
use qiyeshao::db::Db;
use qiyeshao::domain::ticket::Role;
use qiyeshao::domain::time::ManualClock;
use qiyeshao::notify::worker::WorkerHandle;
use qiyeshao::service::accounts::{self, NewUser};
use qiyeshao::service::directory::{self, NewCategory, NewDepartment, NewEnterprise};
use qiyeshao::startup::Application;
use serde_json::{Value, json};

use crate::sms_gateways::Phones;

pub const PASSWORD: &str = "Test-pass-123";
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
    pub scheduler: qiyeshao::scheduler::Scheduler,
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
    reqwest::Client::builder()
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

/// An HTTP answer: status, headers and the body as JSON (null when empty or not JSON).
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Resp {
    /// The `error` code of an error body.
    pub fn code(&self) -> &str {
        self.body["error"].as_str().unwrap_or("")
    }

    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        self.body
    }

    #[track_caller]
    pub fn expect_error(&self, status: u16, code: &str) {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        assert_eq!(
            self.code(),
            code,
            "unexpected error code; body: {}",
            self.text
        );
    }

    /// The message of a 422 for `field`.
    pub fn field(&self, field: &str) -> Option<&str> {
        self.body["fields"][field].as_str()
    }
}

/// A signed-in user of the fixture.
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub token: String,
}

/// A small district: three departments, three enterprises, a category, and users of every role.
#[derive(Debug, Clone)]
pub struct World {
    pub admin: User,
    pub dispatcher: User,
    /// Cadre of department A.
    pub cadre_a: User,
    /// Another cadre of department A.
    pub cadre_a2: User,
    /// Cadre of department B.
    pub cadre_b: User,
    /// Cadre of department C and liaison cadre of enterprise A.
    pub liaison: User,
    /// User of enterprise A.
    pub ent_a: User,
    /// Another user of enterprise A.
    pub ent_a2: User,
    /// User of enterprise B.
    pub ent_b: User,
    pub dept_a: String,
    pub dept_b: String,
    pub dept_c: String,
    pub enterprise_a: String,
    pub enterprise_b: String,
    /// Default department A, deadline 5 days.
    pub category: String,
}

fn password_hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| auth::hash_password(PASSWORD).expect("hash"))
        .clone()
}

pub fn credit_code(n: u32) -> String {
    let body = format!("914301120000{n:05}");
    let check = qiyeshao::domain::credit_code::check_character(&body).expect("body");
    format!("{body}{check}")
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Resp {
        let res = req.send().await.expect("request sent");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.expect("body read");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            body,
            text,
        }
    }

    fn with_token(req: reqwest::RequestBuilder, token: Option<&str>) -> reqwest::RequestBuilder {
        match token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        self.send(Self::with_token(self.client.get(self.url(path)), token))
            .await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.send(Self::with_token(self.client.post(self.url(path)), token).json(&body))
            .await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.send(Self::with_token(self.client.patch(self.url(path)), token).json(&body))
            .await
    }

    /// A token for a user, minted with the app's key and clock (sign-in is tested on its own).
    pub fn token_for(&self, user: &qiyeshao::db::users::UserRow) -> String {
        let who = accounts::principal_of(user).expect("principal");
        self.token(&who)
    }

    /// The same user with a token minted now (after the test moved the clock).
    pub fn reissue(&self, user: &User) -> User {
        let row = self
            .db
            .read(|c| -> Result<_, qiyeshao::error::AppError> {
                Ok(qiyeshao::db::users::find(c, &user.id)?)
            })
            .expect("user")
            .expect("user exists");
        User {
            id: row.id.clone(),
            token: self.token_for(&row),
        }
    }

    pub fn token(&self, who: &Principal) -> String {
        self.tokens
            .issue(who, qiyeshao::domain::time::Clock::now(&self.clock))
            .expect("token")
    }

    /// Creates a user directly in the database and returns it signed in.
    pub fn make_user(
        &self,
        username: &str,
        role: Role,
        department: Option<&str>,
        enterprise: Option<&str>,
    ) -> User {
        let input = NewUser {
            username: username.into(),
            password_hash: password_hash(),
            name: format!("{username} 的名字"),
            phone: None,
            email: None,
            role,
            department_id: department.map(Into::into),
            enterprise_id: enterprise.map(Into::into),
        };
        let row = self
            .db
            .write(move |c| accounts::create_user(c, input, Utc::now()))
            .expect("create user");
        User {
            token: self.token_for(&row),
            id: row.id,
        }
    }

    /// Gives a user a mobile number and an e-mail address, for notifications.
    pub fn set_contact(&self, user: &User, phone: Option<&str>, email: Option<&str>) {
        let (id, phone, email) = (
            user.id.clone(),
            phone.map(str::to_string),
            email.map(str::to_string),
        );
        self.db
            .write(move |c| {
                accounts::update_user(
                    c,
                    &id,
                    accounts::UserChanges {
                        phone: Some(phone),
                        email: Some(email),
                        ..Default::default()
                    },
                    Utc::now(),
                )
            })
            .expect("set contact");
    }

    /// Makes a user the head of a department.
    pub fn set_head(&self, department: &str, user: &User) {
        let (dept, head) = (department.to_string(), user.id.clone());
        self.db
            .write(move |c| {
                directory::update_department(
                    c,
                    &dept,
                    directory::DepartmentChanges {
                        head_user_id: Some(Some(head)),
                        ..Default::default()
                    },
                    Utc::now(),
                )
            })
            .expect("set head");
    }

    pub fn make_department(&self, name: &str) -> String {
        let input = NewDepartment {
            name: name.into(),
            parent_id: None,
            head_user_id: None,
        };
        self.db
            .write(move |c| directory::create_department(c, input, Utc::now()))
            .expect("create department")
            .id
    }

    pub fn make_enterprise(&self, name: &str, n: u32, liaison: Option<&str>) -> String {
        let input = NewEnterprise {
            name: name.into(),
            credit_code: credit_code(n),
            industry_chain: Some("智能终端".into()),
            area: Some("望城经开区".into()),
            address: None,
            contact_name: Some(format!("{name}联系人")),
            contact_phone: Some("13900000000".into()),
            liaison_cadre_id: liaison.map(Into::into),
        };
        self.db
            .write(move |c| directory::create_enterprise(c, input, Utc::now()))
            .expect("create enterprise")
            .id
    }

    pub fn make_category(&self, name: &str, department: Option<&str>, days: i32) -> String {
        let input = NewCategory {
            name: name.into(),
            default_department_id: department.map(Into::into),
            deadline_days: days,
        };
        self.db
            .write(move |c| directory::create_category(c, input, Utc::now()))
            .expect("create category")
            .id
    }

    pub async fn world(&self) -> World {
        let dept_a = self.make_department("部门甲");
        let dept_b = self.make_department("部门乙");
        let dept_c = self.make_department("部门丙");
        let admin = self.make_user("admin", Role::Admin, None, None);
        let dispatcher = self.make_user("dispatcher", Role::Dispatcher, None, None);
        let cadre_a = self.make_user("cadre.a", Role::Cadre, Some(&dept_a), None);
        let cadre_a2 = self.make_user("cadre.a2", Role::Cadre, Some(&dept_a), None);
        let cadre_b = self.make_user("cadre.b", Role::Cadre, Some(&dept_b), None);
        let liaison = self.make_user("liaison", Role::Cadre, Some(&dept_c), None);
        let enterprise_a = self.make_enterprise("甲企业有限公司", 1, Some(&liaison.id));
        let enterprise_b = self.make_enterprise("乙企业有限公司", 2, None);
        let ent_a = self.make_user("ent.a", Role::Enterprise, None, Some(&enterprise_a));
        let ent_a2 = self.make_user("ent.a2", Role::Enterprise, None, Some(&enterprise_a));
        let ent_b = self.make_user("ent.b", Role::Enterprise, None, Some(&enterprise_b));
        let category = self.make_category("用电报装", Some(&dept_a), 5);
        World {
            admin,
            dispatcher,
            cadre_a,
            cadre_a2,
            cadre_b,
            liaison,
            ent_a,
            ent_a2,
            ent_b,
            dept_a,
            dept_b,
            dept_c,
            enterprise_a,
            enterprise_b,
            category,
        }
    }

    /// Files a problem as `user`; returns the ticket.
    pub async fn file(&self, user: &User, category: &str, title: &str) -> Value {
        self.post(
            "/api/v1/tickets",
            Some(&user.token),
            json!({
                "kind": "problem",
                "category_id": category,
                "title": title,
                "description": format!("{title}的详细情况"),
            }),
        )
        .await
        .expect(201)
    }

    /// Takes an action on a ticket; returns the answer.
    pub async fn act(&self, user: &User, ticket: &str, action: &str, body: Value) -> Resp {
        self.post(
            &format!("/api/v1/tickets/{ticket}/{action}"),
            Some(&user.token),
            body,
        )
        .await
    }

    /// The ticket with its timeline, as `user` sees it.
    pub async fn detail(&self, user: &User, ticket: &str) -> Value {
        self.get(&format!("/api/v1/tickets/{ticket}"), Some(&user.token))
            .await
            .expect(200)
    }

    /// Files a ticket as enterprise A and takes it to `in_progress` with cadre A as assignee.
    pub async fn ticket_in_progress(&self, w: &World) -> String {
        let t = self.file(&w.ent_a, &w.category, "设备进场道路破损").await;
        let id = t["id"].as_str().expect("id").to_string();
        self.act(
            &w.dispatcher,
            &id,
            "assign",
            json!({"department_id": w.dept_a, "assignee_id": w.cadre_a.id}),
        )
        .await
        .expect(200);
        self.act(&w.cadre_a, &id, "sign", json!({}))
            .await
            .expect(200);
        id
    }
}
