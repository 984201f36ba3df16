//! `qiyeshao serve` (the HTTP service, with its background work) and `qiyeshao worker` (the
//! background work alone: notification delivery and the deadline sweeps), each until SIGTERM
//! or Ctrl-C, then closing the database before the process exits.

use std::sync::Arc;

use anyhow::Context;

use super::{SpawnTrimmer, backup, demo};
use crate::background::{Background, Runs};
use crate::config::Settings;
use crate::db;
use crate::domain::time::{Clock, SystemClock};
use crate::service::calendar::CalendarStore;
use crate::startup::{Application, open_database};

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")
}

/// `qiyeshao serve [--demo]`.
pub fn serve(
    settings: Settings,
    seed_demo: bool,
    spawn_trimmer: SpawnTrimmer,
) -> anyhow::Result<()> {
    // Held until the process ends: `restore` refuses to replace a database in use.
    let _held = backup::hold(&settings)?;
    spawn_trimmer().context("starting the allocator's trimmer")?;
    runtime()?.block_on(async move {
        let prefix = settings.tickets.number_prefix.clone();
        let db_url = db::redact_url(&settings.database_url());
        let app = Application::build(settings).await?;
        let db = app.db().clone();
        tracing::info!(database = %db_url, url = %app.public_url(), "qiyeshao is listening");
        if seed_demo {
            let (db, ctx) = (db.clone(), app.ticket_context());
            let seeded = tokio::task::spawn_blocking(move || {
                demo::seed(&db, &ctx, &prefix, chrono::Utc::now())
            })
            .await
            .context("seeding the demo data")?
            .map_err(|e| anyhow::anyhow!("seeding the demo data: {e}"))?;
            demo::print_banner(app.public_url(), seeded.as_deref());
        } else {
            println!(
                "qiyeshao is listening on {} (API documentation: {}/api/docs/)",
                app.public_url(),
                app.public_url()
            );
        }
        let served = app.run_until_stopped().await.context("the server failed");
        tokio::task::spawn_blocking(move || db.close()).await?;
        served
    })
}

/// `qiyeshao worker`: the background work alone, stopped by SIGTERM or Ctrl-C after the
/// sweep and the messages in hand are recorded.
pub fn worker(settings: Settings, spawn_trimmer: SpawnTrimmer) -> anyhow::Result<()> {
    let _held = backup::hold(&settings)?;
    spawn_trimmer().context("starting the allocator's trimmer")?;
    runtime()?.block_on(async move {
        let settings = Arc::new(settings);
        let calendar = Arc::new(
            CalendarStore::load(&settings.deadlines.calendar_dir)
                .context("the working-day calendar")?,
        );
        let db = open_database(settings.clone(), calendar.clone()).await?;
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        calendar.missing_near(clock.now());
        // Messages the scheduler queues link to the service's public address.
        let link_base = settings.public_url(&settings.server.bind);
        let runs = Runs {
            delivery: true,
            housekeeping: false,
        };
        let background =
            Background::start(&db, settings.clone(), clock, calendar, &link_base, runs)?;
        tracing::info!(
            database = %db::redact_url(&settings.database_url()),
            "qiyeshao worker is delivering notifications"
        );
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .context("listening for SIGTERM")?;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
        tracing::info!("stopping: finishing the sweep and the messages in hand");
        background.stop().await;
        tokio::task::spawn_blocking(move || db.close()).await?;
        Ok(())
    })
}
