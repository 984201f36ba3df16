//! The work a process does beside answering requests: delivering the outbox's messages
//! (`notify::worker`) and writing them from the queued notices (`notify::expander`), the
//! deadline sweeps ([`scheduler`]), the hourly [`housekeeping`] and
//! the statistics' [`stats_folder`] and the [`hot_topics`]' count.
//! [`Background::start`] builds all of it the same way for `qiyeshao serve` and
//! `qiyeshao worker`; [`Background::stop`] lets the work in hand finish.

pub mod hot_topics;
pub mod housekeeping;
pub mod scheduler;
pub mod stats_folder;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::task::JoinHandle;

use crate::config::Settings;
use crate::db::Db;
use crate::domain::time::Clock;
use crate::notify::expander::{self, ExpanderHandle};
use crate::notify::metrics::Metrics;
use crate::notify::outbox::Outbox;
use crate::notify::worker::{Channels, Worker, WorkerHandle};
use crate::search::Segmenter;
use crate::service::calendar::CalendarStore;
use crate::service::tickets::Context as TicketContext;
use scheduler::{Scheduler, SchedulerHandle};

/// Which of the background work a process runs (the scheduler runs where
/// `scheduler.enabled` says).
#[derive(Debug, Clone, Copy)]
pub struct Runs {
    /// Deliver the outbox's messages.
    pub delivery: bool,
    /// Remove what time made useless, hourly.
    pub housekeeping: bool,
}

/// The outbox every ticket change queues into, and the work running beside the requests.
pub struct Background {
    outbox: Outbox,
    calendar: Arc<CalendarStore>,
    segmenter: Arc<Segmenter>,
    settings: Arc<Settings>,
    scheduler: Scheduler,
    worker: Option<WorkerHandle>,
    sweeps: Option<SchedulerHandle>,
    housekeeping: Option<JoinHandle<()>>,
    folder: JoinHandle<()>,
    hot_topics: JoinHandle<()>,
    expander: ExpanderHandle,
}

impl Background {
    /// Builds the outbox (checking the templates and the SMS settings) and starts what `runs`
    /// asks for. `public_url` is where the links in messages point. Runs on a tokio runtime.
    pub fn start(
        db: &Db,
        settings: Arc<Settings>,
        clock: Arc<dyn Clock>,
        calendar: Arc<CalendarStore>,
        segmenter: Arc<Segmenter>,
        public_url: &str,
        runs: Runs,
    ) -> anyhow::Result<Background> {
        let metrics = Arc::new(Metrics::default());
        let outbox = Outbox::new(&settings.notifications, public_url, metrics.clone())
            .context("the notification templates")?;
        let worker = if runs.delivery {
            let channels = Channels::from_settings(&settings.notifications, clock.clone())
                .context("the notification settings")?;
            let worker = Worker::new(
                db.clone(),
                Arc::new(channels),
                &settings.notifications,
                clock.clone(),
                metrics.clone(),
                Some(outbox.clone()),
            );
            Some(worker.spawn())
        } else {
            None
        };
        let scheduler = Scheduler::new(
            db.clone(),
            outbox.clone(),
            calendar.clone(),
            settings.clone(),
            clock.clone(),
            segmenter.clone(),
        );
        let sweeps = settings
            .scheduler
            .enabled
            .then(|| scheduler.clone().spawn());
        let housekeeping = runs
            .housekeeping
            .then(|| housekeeping::spawn(db.clone(), clock.clone(), settings.clone()));
        let folder = stats_folder::spawn(db.clone());
        let hot_topics = hot_topics::spawn(
            db.clone(),
            segmenter.clone(),
            clock,
            settings.hot_topics.clone(),
        );
        let expander = expander::spawn(
            db.clone(),
            outbox.clone(),
            Duration::from_millis(settings.notifications.poll_interval_ms),
        );
        Ok(Background {
            outbox,
            calendar,
            segmenter,
            settings,
            scheduler,
            worker,
            sweeps,
            housekeeping,
            folder,
            hot_topics,
            expander,
        })
    }

    /// Where ticket changes queue their messages.
    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// What the functions that write ticket events need.
    pub fn ticket_context(&self) -> TicketContext {
        TicketContext {
            outbox: self.outbox.clone(),
            calendar: self.calendar.current(),
            deadlines: self.settings.deadlines.clone(),
            progress_public_by_default: self.settings.tickets.progress_public_by_default,
            segmenter: self.segmenter.clone(),
            words: None,
        }
    }

    /// The deadline scheduler (whether or not it runs by itself), to sweep on demand.
    pub fn scheduler(&self) -> &Scheduler {
        &self.scheduler
    }

    /// Takes the delivery worker (if it runs), for a caller that stops it itself: tests.
    pub fn take_worker(&mut self) -> Option<WorkerHandle> {
        self.worker.take()
    }

    /// Stops everything: the sweep in hand and the messages being sent are finished and
    /// recorded first.
    pub async fn stop(self) {
        if let Some(housekeeping) = self.housekeeping {
            housekeeping.abort();
        }
        // A fold in hand commits or rolls back whole; the journal keeps what it did not do.
        self.folder.abort();
        // A day being counted commits whole or not at all; the next start counts it again.
        self.hot_topics.abort();
        if let Some(sweeps) = self.sweeps {
            sweeps.stop().await;
        }
        // What the last actions and sweeps queued becomes messages, for the worker to send.
        self.expander.stop().await;
        if let Some(worker) = self.worker {
            worker.stop().await;
        }
    }
}
