//! Wires settings, database, tokens, background work and routes into a running server:
//! [`Application::build`] migrates, opens the pool, binds the listener (port 0 picks a free
//! one) and starts the background work; [`Application::run_until_stopped`] serves.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use anyhow::Context;

use crate::api::state::AppState;
use crate::api::{self, extract, middleware};
use crate::auth::{self, TokenKeys};
use crate::background::scheduler::Scheduler;
use crate::background::{Background, Runs};
use crate::config::Settings;
use crate::db::{self, Db};
use crate::domain::time::{Clock, SystemClock};
use crate::notify::outbox::Outbox;
use crate::notify::worker::WorkerHandle;
use crate::search::routing::Router;
use crate::search::{Segmenter, backfill};
use crate::service::calendar::CalendarStore;
use crate::service::tickets::Context as TicketContext;
use crate::service::tickets::routing as routing_service;

pub struct Application {
    port: u16,
    server: Server,
    db: Db,
    public_url: String,
    calendar: Arc<CalendarStore>,
    background: Background,
    router: Arc<Router>,
    routing_refresh: tokio::task::JoinHandle<()>,
}

/// Learns the routing suggestions from the database (on a blocking thread), logging what it
/// cost: at start-up and at each refresh.
pub async fn learn_routing(db: &Db, router: &Arc<Router>, max_examples: i64) -> anyhow::Result<()> {
    let (db, router) = (db.clone(), router.clone());
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let started = std::time::Instant::now();
        router.begin_refresh();
        let examples = db
            .read(|c| routing_service::history(c, max_examples))
            .map_err(|e| anyhow::anyhow!("reading the routing history: {e}"))?;
        let read_ms = started.elapsed().as_millis();
        router.replace(examples);
        tracing::info!(
            examples = router.examples(),
            read_ms,
            total_ms = started.elapsed().as_millis(),
            "routing suggestions learned"
        );
        Ok(())
    })
    .await
    .context("routing task failed")?
}

/// Learns the routing suggestions again every `routing.refresh_secs`, so that instances
/// sharing one database converge (each learns its own assignments at once).
fn spawn_routing_refresh(
    db: Db,
    router: Arc<Router>,
    settings: Arc<Settings>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let every = std::time::Duration::from_secs(settings.routing.refresh_secs);
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(e) = learn_routing(&db, &router, settings.routing.max_examples).await {
                tracing::warn!(error = %format!("{e:#}"), "routing suggestions: refresh failed");
            }
        }
    })
}

/// The segmenter of `search.words_file`, built once for the process (a missing or bad file
/// stops the start-up, naming it).
pub fn load_segmenter(settings: &Settings) -> anyhow::Result<Arc<Segmenter>> {
    let segmenter = Segmenter::with_words(&settings.search.words_file)
        .context("search.words_file, the district's words for search")?;
    Ok(Arc::new(segmenter))
}

/// Migrates the database, opens the pool, reads the calendar's years and fills in the search
/// words of tickets that have none (`search::backfill`): what every process does first (on a
/// blocking thread: migrations and connecting block).
pub async fn open_database(
    settings: Arc<Settings>,
    calendar: Arc<CalendarStore>,
    segmenter: Arc<Segmenter>,
) -> anyhow::Result<Db> {
    tokio::task::spawn_blocking(move || -> anyhow::Result<Db> {
        let applied = db::migrate(&settings)?;
        if !applied.is_empty() {
            tracing::info!(?applied, "database migrated");
        }
        let db = Db::connect(&settings)?;
        db.read(|c| -> Result<(), crate::error::AppError> { Ok(calendar.refresh(c)?) })
            .map_err(|e| anyhow::anyhow!("reading the calendar years: {e}"))?;
        let indexed = backfill::run(&db, &segmenter)
            .map_err(|e| anyhow::anyhow!("backfilling the search index: {e}"))?;
        if indexed > 0 {
            tracing::info!(indexed, "search index: backfill done");
        }
        Ok(db)
    })
    .await
    .context("start-up task failed")?
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
        let segmenter = load_segmenter(&settings)?;
        let db = open_database(settings.clone(), calendar.clone(), segmenter.clone()).await?;
        let secret = {
            let settings = settings.clone();
            tokio::task::spawn_blocking(move || {
                auth::load_or_create_secret(&settings.auth.jwt_secret, &settings.data.dir)
            })
            .await
            .context("start-up task failed")??
        };
        calendar.missing_near(clock.now());
        let router = Arc::new(Router::new(segmenter.clone()));
        learn_routing(&db, &router, settings.routing.max_examples).await?;
        let routing_refresh = spawn_routing_refresh(db.clone(), router.clone(), settings.clone());

        let listener = TcpListener::bind(&settings.server.bind)
            .with_context(|| format!("cannot listen on {}", settings.server.bind))?;
        let address = listener.local_addr()?;
        let public_url = settings.public_url(&address.to_string());

        let runs = Runs {
            delivery: settings.notifications.worker,
            housekeeping: true,
        };
        let background = Background::start(
            &db,
            settings.clone(),
            clock.clone(),
            calendar.clone(),
            segmenter.clone(),
            &public_url,
            runs,
        )?;
        let state = web::Data::new(AppState {
            db: db.clone(),
            tokens: TokenKeys::new(&secret, settings.auth.access_token_ttl_secs),
            clock,
            settings: settings.clone(),
            outbox: background.outbox().clone(),
            calendar: calendar.clone(),
            segmenter,
            router: router.clone(),
        });
        let log_requests = settings.log.requests;
        let cors_origins: Arc<Vec<String>> = Arc::new(settings.http.cors_allowed_origins.clone());
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(web::QueryConfig::default().error_handler(extract::query_error))
                .app_data(web::PathConfig::default().error_handler(extract::path_error))
                .wrap(middleware::security_headers())
                .wrap_fn(middleware::policies(cors_origins.clone()))
                .wrap(middleware::access_log(log_requests))
                .configure(api::configure)
        })
        .shutdown_timeout(10)
        // The command line listens for the signals itself, from its first moment.
        .disable_signals();
        if settings.server.workers > 0 {
            server = server.workers(settings.server.workers);
        }
        let server = server.listen(listener)?.run();
        Ok(Application {
            port: address.port(),
            server,
            db,
            public_url,
            calendar,
            background,
            router,
            routing_refresh,
        })
    }

    /// The routing suggestions (the demo learns its history once it is written).
    pub fn router(&self) -> &Arc<Router> {
        &self.router
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
        self.background.outbox()
    }

    /// What ticket actions need (for the demo data, which is written beside the API).
    pub fn ticket_context(&self) -> TicketContext {
        self.background.ticket_context()
    }

    pub fn calendar(&self) -> &Arc<CalendarStore> {
        &self.calendar
    }

    /// The deadline scheduler (whether or not it runs by itself), to sweep on demand.
    pub fn scheduler(&self) -> &Scheduler {
        self.background.scheduler()
    }

    /// Takes the in-process delivery worker (if it runs), for a caller that stops the server
    /// itself: tests.
    pub fn take_worker(&mut self) -> Option<WorkerHandle> {
        self.background.take_worker()
    }

    /// Stops the server from elsewhere (tests stop each server they start).
    pub fn server_handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped through [`server_handle`](Self::server_handle) (gracefully:
    /// in-flight requests get up to 10 seconds); then the background work finishes what it
    /// has in hand and stops.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        self.routing_refresh.abort();
        self.background.stop().await;
        served
    }
}
