//! Wires settings, database, tokens and routes into a running server.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{Condition, DefaultHeaders, Logger};
use actix_web::{App, HttpServer, web};
use anyhow::Context;

use crate::api::{self, AppState, extract};
use crate::auth::{self, TokenKeys};
use crate::config::Settings;
use crate::db::{self, Db};
use crate::domain::time::{Clock, SystemClock};
use crate::notify::metrics::Metrics;
use crate::notify::outbox::Outbox;
use crate::notify::worker::{Channels, Worker, WorkerHandle};
use crate::scheduler::{Scheduler, SchedulerHandle};
use crate::service::calendar::CalendarStore;
use crate::service::tickets::Context as TicketContext;

pub struct Application {
    port: u16,
    server: Server,
    db: Db,
    public_url: String,
    outbox: Outbox,
    calendar: Arc<CalendarStore>,
    settings: Arc<Settings>,
    worker: Option<WorkerHandle>,
    scheduler: Scheduler,
    scheduler_handle: Option<SchedulerHandle>,
}

impl Application {
    /// Migrates the database, opens the pool and binds the listener (port 0 picks a free port).
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        Self::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    pub async fn build_with_clock(
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Application> {
        let settings = Arc::new(settings);
        let calendar = Arc::new(
            CalendarStore::load(&settings.deadlines.calendar_dir)
                .context("the working-day calendar")?,
        );
        let prepared = {
            let (settings, calendar) = (settings.clone(), calendar.clone());
            tokio::task::spawn_blocking(move || -> anyhow::Result<(Db, Vec<u8>)> {
                let applied = db::migrate(&settings)?;
                if !applied.is_empty() {
                    tracing::info!(?applied, "database migrated");
                }
                let db = Db::connect(&settings)?;
                db.read(|c| -> Result<(), crate::error::AppError> { Ok(calendar.refresh(c)?) })
                    .map_err(|e| anyhow::anyhow!("reading the calendar years: {e}"))?;
                let secret =
                    auth::load_or_create_secret(&settings.auth.jwt_secret, &settings.data.dir)?;
                Ok((db, secret))
            })
            .await
            .context("start-up task failed")??
        };
        let (db, secret) = prepared;
        calendar.missing_near(clock.now());

        let listener = TcpListener::bind(&settings.server.bind)
            .with_context(|| format!("cannot listen on {}", settings.server.bind))?;
        let address = listener.local_addr()?;
        let public_url = settings.public_url(&address.to_string());

        let metrics = Arc::new(Metrics::default());
        let outbox = Outbox::new(&settings.notifications, &public_url, metrics.clone())
            .context("the notification templates")?;
        let channels = Arc::new(
            Channels::from_settings(&settings.notifications, clock.clone())
                .context("the notification settings")?,
        );
        let state = web::Data::new(AppState {
            db: db.clone(),
            tokens: TokenKeys::new(&secret, settings.auth.access_token_ttl_secs),
            clock: clock.clone(),
            settings: settings.clone(),
            outbox: outbox.clone(),
            calendar: calendar.clone(),
        });
        let log_requests = settings.log.requests;
        let cors_origins: Arc<Vec<String>> = Arc::new(settings.http.cors_allowed_origins.clone());
        let mut server = HttpServer::new(move || {
            let cors_origins = cors_origins.clone();
            App::new()
                .app_data(state.clone())
                .app_data(web::QueryConfig::default().error_handler(extract::query_error))
                .app_data(web::PathConfig::default().error_handler(extract::path_error))
                .wrap(
                    DefaultHeaders::new()
                        .add(("X-Content-Type-Options", "nosniff"))
                        .add(("Referrer-Policy", "no-referrer"))
                        .add(("X-Frame-Options", "DENY"))
                        .add(("Cache-Control", "no-store")),
                )
                // Answers that set no policy of their own (the API's JSON, errors, exports) get
                // one that allows nothing; the API viewer's pages only refuse framing.
                .wrap_fn(move |req, srv| {
                    use actix_web::dev::Service as _;
                    use actix_web::http::header::{CONTENT_SECURITY_POLICY, HeaderValue};
                    let docs = req.path().starts_with("/api/docs");
                    let cors = cors::allowed(&req, &cors_origins);
                    if let Some(origin) = cors.as_ref().filter(|_| cors::is_preflight(&req)) {
                        let res = req.into_response(cors::preflight(origin));
                        return Box::pin(async move { Ok(res) })
                            as futures_util::future::LocalBoxFuture<'static, _>;
                    }
                    let answer = srv.call(req);
                    Box::pin(async move {
                        let mut res = answer.await?.map_into_boxed_body();
                        if let Some(origin) = cors {
                            cors::allow(res.headers_mut(), &origin);
                        }
                        let policy = if docs {
                            "frame-ancestors 'none'"
                        } else {
                            "default-src 'none'; frame-ancestors 'none'"
                        };
                        if !res.headers().contains_key(CONTENT_SECURITY_POLICY) {
                            res.headers_mut()
                                .insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(policy));
                        }
                        Ok(res)
                    })
                })
                .wrap(Condition::new(
                    log_requests,
                    // Peer, method and path, status, bytes, seconds. Not the query string: it
                    // can carry phone numbers and names (a search, an outbox filter).
                    Logger::new("%a \"%{method}xi %U\" %s %b %T")
                        .custom_request_replace("method", |req| req.method().to_string()),
                ))
                .configure(api::configure)
        })
        .shutdown_timeout(10);
        if settings.server.workers > 0 {
            server = server.workers(settings.server.workers);
        }
        let server = server.listen(listener)?.run();

        let worker = settings.notifications.worker.then(|| {
            Worker::new(
                db.clone(),
                channels,
                &settings.notifications,
                clock.clone(),
                metrics,
                Some(outbox.clone()),
            )
            .spawn()
        });
        let scheduler = Scheduler::new(
            db.clone(),
            outbox.clone(),
            calendar.clone(),
            settings.clone(),
            clock.clone(),
        );
        let scheduler_handle = settings
            .scheduler
            .enabled
            .then(|| scheduler.clone().spawn());
        spawn_housekeeping(db.clone(), clock, settings.clone());
        Ok(Application {
            port: address.port(),
            server,
            db,
            public_url,
            outbox,
            calendar,
            settings,
            worker,
            scheduler,
            scheduler_handle,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// Where the service queues notifications.
    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// What ticket actions need (for the demo data, which is written beside the API).
    pub fn ticket_context(&self) -> TicketContext {
        TicketContext {
            outbox: self.outbox.clone(),
            calendar: self.calendar.current(),
            deadlines: self.settings.deadlines.clone(),
        }
    }

    pub fn calendar(&self) -> &Arc<CalendarStore> {
        &self.calendar
    }

    /// The deadline scheduler (whether or not it runs by itself), to sweep on demand.
    pub fn scheduler(&self) -> &Scheduler {
        &self.scheduler
    }

    /// Takes the in-process delivery worker (if it runs), for a caller that stops the server
    /// itself: tests.
    pub fn take_worker(&mut self) -> Option<WorkerHandle> {
        self.worker.take()
    }

    /// Stops the server from elsewhere (tests stop each server they start).
    pub fn server_handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped. On SIGTERM in-flight requests get up to 10 seconds to finish;
    /// SIGINT (Ctrl-C) and SIGQUIT stop at once. Then the delivery worker records the
    /// messages it is sending and stops.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        if let Some(scheduler) = self.scheduler_handle {
            scheduler.stop().await;
        }
        if let Some(worker) = self.worker {
            worker.stop().await;
        }
        served
    }
}

/// Cross-origin requests (CORS), off unless `http.cors_allowed_origins` names the origin.
mod cors {
    use actix_web::HttpResponse;
    use actix_web::dev::ServiceRequest;
    use actix_web::http::header::{self, HeaderMap, HeaderValue};

    /// The request's `Origin`, if it is one of those allowed.
    pub fn allowed(req: &ServiceRequest, origins: &[String]) -> Option<String> {
        let origin = req.headers().get(header::ORIGIN)?.to_str().ok()?;
        origins
            .iter()
            .any(|o| o == origin)
            .then(|| origin.to_string())
    }

    pub fn is_preflight(req: &ServiceRequest) -> bool {
        req.method() == actix_web::http::Method::OPTIONS
            && req
                .headers()
                .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
    }

    pub fn allow(headers: &mut HeaderMap, origin: &str) {
        if let Ok(value) = HeaderValue::from_str(origin) {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
            headers.insert(header::VARY, HeaderValue::from_static("Origin"));
            headers.insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static("ETag, Retry-After, Content-Disposition, Location"),
            );
        }
    }

    /// The answer to a preflight from an allowed origin.
    pub fn preflight(origin: &str) -> HttpResponse {
        let mut res = HttpResponse::NoContent()
            .insert_header((
                header::ACCESS_CONTROL_ALLOW_METHODS,
                "GET, POST, PUT, PATCH",
            ))
            .insert_header((
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                "Authorization, Content-Type, Idempotency-Key, If-Match",
            ))
            .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"))
            .finish();
        allow(res.headers_mut(), origin);
        res
    }
}

/// Forgets idempotency keys past their time, refresh tokens past their expiry, sent
/// notifications past `notifications.retention_days`, SMS codes after a day, and uploads
/// attached to nothing after a day (with their files), and sweeps stray files (see
/// [`sweep_stray_files`]); returns how many records and files went. Each delete is
/// idempotent, so several instances on one database may all do it.
pub fn housekeep(
    db: &Db,
    settings: &Settings,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<usize, crate::error::AppError> {
    use crate::domain::time::format;
    let cutoff = format(now - chrono::Duration::hours(settings.tickets.idempotency_ttl_hours));
    let now_text = format(now);
    let retention = settings.notifications.retention_days;
    let sent_cutoff = format(now - chrono::Duration::days(i64::from(retention)));
    let day_ago = format(now - chrono::Duration::days(1));
    let (removed, orphans) = db.write(move |c| {
        let codes = db::sms_codes::delete_created_before(c, &day_ago)?
            + db::auth_failures::delete_before(c, &day_ago)?;
        let orphans = db::attachments::delete_unattached_before(c, &day_ago, 1000)?;
        let keys = db::idempotency::delete_created_before(c, &cutoff)?;
        let tokens = db::refresh_tokens::delete_expired(c, &now_text)?;
        let sent = if retention > 0 {
            db::notifications::delete_sent_before(c, &sent_cutoff)?
        } else {
            0
        };
        Ok::<_, crate::error::AppError>((codes + orphans.len() + keys + tokens + sent, orphans))
    })?;
    // After the commit: a file whose row is gone is never served again. A crash here leaves
    // files without rows, which the sweep below removes a day later.
    let dir = settings.attachments_dir();
    for id in &orphans {
        let path = crate::service::attachments::path_of(&dir, id);
        if let Err(e) = std::fs::remove_file(&path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(attachment = %id, error = %e, "an unattached upload's file could not be removed");
        }
    }
    let day_before = std::time::SystemTime::from(now - chrono::Duration::days(1));
    Ok(removed + sweep_stray_files(db, &dir, day_before)?)
}

/// Removes the files of the attachments directory that nothing reads: partial uploads a crash
/// or a lost connection left behind, and files whose record is gone (a crash between
/// [`housekeep`]'s commit and its deletions). Only files last written before `before`, so an
/// upload being written, or renamed into place a moment before its record is committed, is
/// never touched. Returns how many went.
fn sweep_stray_files(
    db: &Db,
    dir: &std::path::Path,
    before: std::time::SystemTime,
) -> Result<usize, crate::error::AppError> {
    let old_files = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|shard| shard.path().is_dir())
        .flat_map(|shard| {
            std::fs::read_dir(shard.path())
                .into_iter()
                .flatten()
                .flatten()
        })
        .filter(|file| {
            file.metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|at| at < before)
        })
        .map(|file| file.path());
    // Partial files are stray by their name; the others when no record has their id.
    let (mut stray, named): (Vec<_>, Vec<_>) =
        old_files.partition(|path| path.extension().is_some_and(|e| e == "part"));
    let id_of = |path: &std::path::PathBuf| path.file_name()?.to_str().map(str::to_string);
    for batch in named.chunks(500) {
        let ids: Vec<String> = batch.iter().filter_map(id_of).collect();
        let recorded = db.read(|c| -> Result<_, crate::error::AppError> {
            Ok(db::attachments::existing(c, &ids)?)
        })?;
        stray.extend(
            batch
                .iter()
                .filter(|path| id_of(path).is_some_and(|id| !recorded.contains(&id)))
                .cloned(),
        );
    }
    let mut removed = 0;
    for path in stray {
        match std::fs::remove_file(&path) {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "a stray upload file could not be removed")
            }
        }
    }
    Ok(removed)
}

/// Hourly: [`housekeep`].
fn spawn_housekeeping(db: Db, clock: Arc<dyn Clock>, settings: Arc<Settings>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let (db, settings, now) = (db.clone(), settings.clone(), clock.now());
            let result = tokio::task::spawn_blocking(move || housekeep(&db, &settings, now)).await;
            match result {
                Ok(Ok(n)) if n > 0 => tracing::info!(
                    removed = n,
                    "expired idempotency keys, refresh tokens, SMS codes, unattached uploads and old sent notifications removed"
                ),
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "housekeeping failed"),
                Err(e) => tracing::warn!(error = %e, "housekeeping task failed"),
            }
        }
    });
}
