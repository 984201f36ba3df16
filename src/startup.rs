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

pub struct Application {
    port: u16,
    server: Server,
    db: Db,
    public_url: String,
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
        let prepared = {
            let settings = settings.clone();
            tokio::task::spawn_blocking(move || -> anyhow::Result<(Db, Vec<u8>)> {
                let applied = db::migrate(&settings)?;
                if !applied.is_empty() {
                    tracing::info!(?applied, "database migrated");
                }
                let db = Db::connect(&settings)?;
                let secret =
                    auth::load_or_create_secret(&settings.auth.jwt_secret, &settings.data.dir)?;
                Ok((db, secret))
            })
            .await
            .context("start-up task failed")??
        };
        let (db, secret) = prepared;
        let state = web::Data::new(AppState {
            db: db.clone(),
            tokens: TokenKeys::new(&secret, settings.auth.access_token_ttl_secs),
            clock: clock.clone(),
            settings: settings.clone(),
        });

        let listener = TcpListener::bind(&settings.server.bind)
            .with_context(|| format!("cannot listen on {}", settings.server.bind))?;
        let address = listener.local_addr()?;
        let public_url = settings.public_url(&address.to_string());
        let log_requests = settings.log.requests;
        let mut server = HttpServer::new(move || {
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
                .wrap(Condition::new(
                    log_requests,
                    // Peer, request line, status, bytes, seconds.
                    Logger::new("%a \"%r\" %s %b %T"),
                ))
                .configure(api::configure)
        })
        .shutdown_timeout(10);
        if settings.server.workers > 0 {
            server = server.workers(settings.server.workers);
        }
        let server = server.listen(listener)?.run();

        spawn_housekeeping(db.clone(), clock, settings.clone());
        Ok(Application {
            port: address.port(),
            server,
            db,
            public_url,
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

    /// Stops the server from elsewhere (tests stop each server they start).
    pub fn server_handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped. On SIGTERM in-flight requests get up to 10 seconds to finish;
    /// SIGINT (Ctrl-C) and SIGQUIT stop at once.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Hourly: forgets idempotency keys past their time and refresh tokens past their expiry.
/// Each delete is idempotent, so several instances on one database may all do it.
fn spawn_housekeeping(db: Db, clock: Arc<dyn Clock>, settings: Arc<Settings>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let cutoff = crate::domain::time::format(
                clock.now() - chrono::Duration::hours(settings.tickets.idempotency_ttl_hours),
            );
            let db = db.clone();
            let now = crate::domain::time::format(clock.now());
            let result = tokio::task::spawn_blocking(move || {
                db.write(move |c| {
                    let keys = db::idempotency::delete_created_before(c, &cutoff)?;
                    let tokens = db::refresh_tokens::delete_expired(c, &now)?;
                    Ok::<_, crate::error::AppError>(keys + tokens)
                })
            })
            .await;
            match result {
                Ok(Ok(n)) if n > 0 => {
                    tracing::info!(
                        removed = n,
                        "expired idempotency keys and refresh tokens removed"
                    )
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "removing expired idempotency keys and refresh tokens failed")
                }
                Err(e) => tracing::warn!(error = %e, "housekeeping task failed"),
            }
        }
    });
}
