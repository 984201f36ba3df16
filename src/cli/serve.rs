//! `qiyeshao serve` (the HTTP service, with its background work) and `qiyeshao worker` (the
//! background work alone: notification delivery and the deadline sweeps), each until SIGTERM
//! or Ctrl-C, then closing the database before the process exits.

use std::sync::Arc;

use anyhow::Context;
use tokio::signal::unix::{Signal, SignalKind, signal};

use super::{backup, demo, demo_history};
use crate::background::{Background, Runs};
use crate::config::Settings;
use crate::db;
use crate::domain::time::{Clock, SystemClock};
use crate::service::calendar::CalendarStore;
use crate::startup::{Application, learn_routing, load_segmenter, open_database};

/// What the binary does beside the library: start the allocator's trimmer in the commands
/// that run for long (`serve`, `worker`).
pub type SpawnTrimmer = fn() -> std::io::Result<()>;

/// The signals that stop the process, listened to from its first moment: a signal that came
/// before anyone listened would end the process on the spot (its default), and during
/// start-up it could come before the server's own handlers were in place.
struct Stops {
    term: Signal,
    int: Signal,
    quit: Signal,
}

impl Stops {
    fn listen() -> anyhow::Result<Stops> {
        let on = |kind: SignalKind| signal(kind).context("listening for signals");
        Ok(Stops {
            term: on(SignalKind::terminate())?,
            int: on(SignalKind::interrupt())?,
            quit: on(SignalKind::quit())?,
        })
    }

    /// Waits for a signal; true for SIGTERM (finish what is in hand), false for SIGINT
    /// (Ctrl-C) and SIGQUIT.
    async fn next(&mut self) -> bool {
        tokio::select! {
            _ = self.term.recv() => true,
            _ = self.int.recv() => false,
            _ = self.quit.recv() => false,
        }
    }
}

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
        let mut stops = Stops::listen()?;
        let prefix = settings.tickets.number_prefix.clone();
        let settings_prefix = prefix.clone();
        let max_examples = settings.routing.max_examples;
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
            if seeded.is_some() {
                let (db, segmenter) = (app.db().clone(), app.ticket_context().segmenter);
                let prefix = settings_prefix.clone();
                let written = tokio::task::spawn_blocking(move || {
                    demo_history::seed(&db, &segmenter, &prefix, chrono::Utc::now())
                })
                .await
                .context("seeding the demo's routing history")?
                .map_err(|e| anyhow::anyhow!("seeding the demo's routing history: {e}"))?;
                tracing::info!(tickets = written, "demo: routing history written");
                learn_routing(app.db(), app.router(), max_examples).await?;
            }
            demo::print_banner(app.public_url(), seeded.as_deref());
        } else {
            println!(
                "qiyeshao is listening on {} (API documentation: {}/api/docs/)",
                app.public_url(),
                app.public_url()
            );
        }
        // SIGTERM: requests in flight get up to 10 seconds to finish; SIGINT and SIGQUIT stop
        // at once. Then the background work finishes what it has in hand and stops.
        let server = app.server_handle();
        let run = app.run_until_stopped();
        tokio::pin!(run);
        let served = tokio::select! {
            served = &mut run => served,
            graceful = stops.next() => {
                // The stop is carried out by the server's own future: drive both.
                let (served, ()) = tokio::join!(&mut run, server.stop(graceful));
                served
            }
        }
        .context("the server failed");
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
        let mut stops = Stops::listen()?;
        let settings = Arc::new(settings);
        let calendar = Arc::new(
            CalendarStore::load(&settings.deadlines.calendar_dir)
                .context("the working-day calendar")?,
        );
        let segmenter = load_segmenter(&settings)?;
        let db = open_database(settings.clone(), calendar.clone(), segmenter.clone()).await?;
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        calendar.missing_near(clock.now());
        // Messages the scheduler queues link to the service's public address.
        let link_base = settings.public_url(&settings.server.bind);
        let runs = Runs {
            delivery: true,
            housekeeping: false,
        };
        let background = Background::start(
            &db,
            settings.clone(),
            clock,
            calendar,
            segmenter,
            &link_base,
            runs,
        )?;
        tracing::info!(
            database = %db::redact_url(&settings.database_url()),
            "qiyeshao worker is delivering notifications"
        );
        // Any of them: the sweep and the messages in hand are finished either way.
        stops.next().await;
        tracing::info!("stopping: finishing the sweep and the messages in hand");
        background.stop().await;
        tokio::task::spawn_blocking(move || db.close()).await?;
        Ok(())
    })
}
