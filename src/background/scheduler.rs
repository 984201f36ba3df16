//! The scheduler: at `scheduler.interval_secs` it sweeps the tickets for what time alone
//! decides — a reminder before the deadline, escalation (督办) when it has passed and again
//! after more working days, a reminder to sign, and closing tickets whose revisit window ran
//! out; and after each sweep, the archive of the month before's assessment (每月评估,
//! `service::assessments`), the weekly bulletin's draft (每周通报, `service::bulletins`) and
//! the daily check (每日检查, `service::daily_check`). Runs in
//! `qiyeshao serve` and `qiyeshao worker` (`scheduler.enabled`).
//!
//! Each step is a timeline event written like any action (`tickets::write_change`: version
//! check, event, notifications in one transaction) and leaves a mark on the ticket
//! (`reminded_at`, `escalation_level`, …) that the deadline's next change clears, so each
//! fires once per deadline. With several instances on one PostgreSQL a sweep runs in one of
//! them at a time (a session advisory lock); and were two to overlap, the version check and
//! the marks would still let each step happen once.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Settings;
use crate::db::assessments::AssessmentRow;
use crate::db::tickets as ticket_db;
use crate::db::{Db, locks};
use crate::domain::ticket::Priority;
use crate::domain::ticket::apply::{Sweep, apply_sweep};
use crate::domain::time::{self, Clock};
use crate::error::{AppError, ErrorCode};
use crate::notify::outbox::Outbox;
use crate::search::Segmenter;
use crate::service::calendar::CalendarStore;
use crate::service::stats::Weights;
use crate::service::tickets::Context;
use crate::service::tickets::changes::write_change;
use crate::service::{assessments, bulletins, daily_check};

/// Names the advisory lock that lets one instance at a time sweep, together with the schema
/// (advisory locks are per database, and deployments — or tests — may share a database in
/// schemas of their own).
const SWEEP_LOCK: i32 = 0x7173_7377;

/// What one sweep did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SweepReport {
    /// Another instance held the sweep lock: nothing was done.
    pub skipped: bool,
    pub reminded: usize,
    pub sign_reminded: usize,
    /// Escalation steps taken (a ticket that reached level 3 counts for each level).
    pub escalated: usize,
    pub closed_no_response: usize,
}

#[derive(Clone)]
pub struct Scheduler {
    db: Db,
    outbox: Outbox,
    calendar: Arc<CalendarStore>,
    settings: Arc<Settings>,
    clock: Arc<dyn Clock>,
    segmenter: Arc<Segmenter>,
    /// One sweep at a time in this process.
    running: Arc<tokio::sync::Mutex<()>>,
}

/// A running scheduler: stop it to let the sweep in hand finish.
pub struct SchedulerHandle {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl SchedulerHandle {
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(e) = self.task.await {
            tracing::warn!(error = %e, "the scheduler ended abnormally");
        }
    }
}

impl Scheduler {
    pub fn new(
        db: Db,
        outbox: Outbox,
        calendar: Arc<CalendarStore>,
        settings: Arc<Settings>,
        clock: Arc<dyn Clock>,
        segmenter: Arc<Segmenter>,
    ) -> Scheduler {
        Scheduler {
            db,
            outbox,
            calendar,
            settings,
            clock,
            segmenter,
            running: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// Sweeps every `scheduler.interval_secs` until stopped.
    pub fn spawn(self) -> SchedulerHandle {
        let (stop, mut stopped) = watch::channel(false);
        let interval = Duration::from_secs(self.settings.scheduler.interval_secs);
        let task = tokio::spawn(async move {
            loop {
                match self.sweep().await {
                    Ok(report) if report != SweepReport::default() => {
                        tracing::info!(?report, "deadline sweep")
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "the deadline sweep failed; it runs again at the next interval")
                    }
                }
                match self.archive_assessment().await {
                    Ok(Some(version)) => {
                        tracing::info!(month = %version.month, "the monthly assessment archived")
                    }
                    Ok(None) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "archiving the monthly assessment failed; it is tried again at the next interval")
                    }
                }
                match self.draft_bulletin().await {
                    Ok(Some(b)) => {
                        tracing::info!(week = %b.row.period_from, "the weekly bulletin drafted")
                    }
                    Ok(None) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "drafting the weekly bulletin failed; it is tried again at the next interval")
                    }
                }
                match self.push_policies().await {
                    Ok(report) if report.pushed > 0 => {
                        tracing::info!(?report, "policies pushed")
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "pushing policies failed; it is tried again at the next interval")
                    }
                }
                match self.daily_check().await {
                    Ok(report) if report.sent > 0 => {
                        tracing::info!(?report, "daily check sent")
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "the daily check failed; it is tried again at the next interval")
                    }
                }
                tokio::select! {
                    _ = tokio::time::sleep(interval) => {}
                    _ = stopped.changed() => break,
                }
            }
        });
        SchedulerHandle { stop, task }
    }

    /// One sweep, now.
    pub async fn sweep(&self) -> Result<SweepReport, AppError> {
        let _one_at_a_time = self.running.lock().await;
        let this = self.clone();
        let outbox = self.outbox.clone();
        let report = tokio::task::spawn_blocking(move || this.sweep_blocking())
            .await
            .map_err(AppError::internal)??;
        outbox.settle().await;
        Ok(report)
    }

    /// The daily check (`service::daily_check::run`), now: its digests are sent once a
    /// working day from `daily_check.at`; at any other time this does nothing.
    pub async fn daily_check(&self) -> Result<daily_check::Report, AppError> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            daily_check::run(
                &this.db,
                &this.outbox,
                &this.calendar.current().days,
                &this.settings.daily_check,
                this.clock.now(),
            )
        })
        .await
        .map_err(AppError::internal)?
    }

    /// Pushes policies to the enterprises that newly fit them (`service::policy_push`): what
    /// a publication's own push left, and enterprises whose information changed.
    pub async fn push_policies(&self) -> Result<crate::service::policy_push::PushReport, AppError> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            crate::service::policy_push::run(&this.db, &this.outbox, this.clock.now())
        })
        .await
        .map_err(AppError::internal)?
    }

    /// Drafts the week's bulletin if it is due and not drafted yet (`service::bulletins`):
    /// the first sweep after `bulletin.at` on `bulletin.weekday` does it.
    pub async fn draft_bulletin(&self) -> Result<Option<bulletins::Bulletin>, AppError> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let calendar = this.calendar.current();
            let d = bulletins::Drafting {
                calendar: &calendar.days,
                settings: &this.settings.bulletin,
                weights: Weights::of(&this.settings.stats),
            };
            bulletins::draft_due(&this.db, &d, this.clock.now())
        })
        .await
        .map_err(AppError::internal)?
    }

    /// Archives the month before's assessment if it is not yet (`service::assessments`):
    /// the first sweep of a month does it.
    pub async fn archive_assessment(&self) -> Result<Option<AssessmentRow>, AppError> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            assessments::archive_due(
                &this.db,
                &this.segmenter,
                &Weights::of(&this.settings.stats),
                this.clock.now(),
            )
        })
        .await
        .map_err(AppError::internal)?
    }

    fn sweep_blocking(&self) -> Result<SweepReport, AppError> {
        let Some(_lock) = self.take_lock()? else {
            return Ok(SweepReport {
                skipped: true,
                ..Default::default()
            });
        };
        self.db
            .read(|c| -> Result<(), AppError> { Ok(self.calendar.refresh(c)?) })?;
        let now = self.clock.now();
        self.calendar.missing_near(now);
        let ctx = Context {
            outbox: self.outbox.clone(),
            calendar: self.calendar.current(),
            deadlines: self.settings.deadlines.clone(),
            progress_public_by_default: self.settings.tickets.progress_public_by_default,
            segmenter: self.segmenter.clone(),
            words: None,
        };
        let d = &self.settings.deadlines;
        // Tickets read at a time: what a sweep takes of each kind (the rest is taken by the
        // next sweep), and the page size of the overdue, which are all looked at.
        let batch = i64::from(self.settings.scheduler.batch_size);
        let now_text = time::format(now);
        let mut report = SweepReport::default();

        // Overdue first: a ticket past its deadline needs no reminder that it is near. The
        // overdue stay listed while they wait for the next level: page through all of them.
        let mut after = String::new();
        loop {
            let overdue = self.db.read(|c| -> Result<_, AppError> {
                Ok(ticket_db::overdue_below_level(
                    c, &now_text, 3, &after, batch,
                )?)
            })?;
            let Some(last) = overdue.last() else {
                break;
            };
            after = last.id.clone();
            let full = i64::try_from(overdue.len()).unwrap_or(i64::MAX) >= batch;
            for t in overdue {
                let Some(due) = t.due_at.as_deref().and_then(time::parse) else {
                    continue;
                };
                let days_late = ctx.calendar.days.working_days_after(due, now);
                let target = if days_late >= u64::from(d.level3_after_working_days) {
                    3
                } else if days_late >= u64::from(d.level2_after_working_days) {
                    2
                } else {
                    1
                };
                for level in (t.escalation_level + 1)..=target {
                    if self.step(&ctx, &t.id, now, Sweep::Escalate { level, days_late })? {
                        report.escalated += 1;
                    }
                }
            }
            if !full {
                break;
            }
        }

        // Urgent tickets are due within hours: their reminder comes closer to the deadline.
        for (priority, hours) in [
            (Priority::Normal, d.remind_before_hours),
            (Priority::Urgent, d.urgent_remind_before_hours),
        ] {
            let until = time::format(now + chrono::Duration::hours(i64::from(hours)));
            let near = self.db.read(|c| -> Result<_, AppError> {
                Ok(ticket_db::due_for_reminder(
                    c, &now_text, &until, priority, batch,
                )?)
            })?;
            for t in near {
                if self.step(&ctx, &t.id, now, Sweep::Remind)? {
                    report.reminded += 1;
                }
            }
        }

        let unsigned = self.db.read(|c| -> Result<_, AppError> {
            Ok(ticket_db::unsigned_past(c, &now_text, batch)?)
        })?;
        for t in unsigned {
            if self.step(&ctx, &t.id, now, Sweep::SignRemind)? {
                report.sign_reminded += 1;
            }
        }

        if d.revisit_window_days > 0 {
            let cutoff =
                time::format(now - chrono::Duration::days(i64::from(d.revisit_window_days)));
            let unrated = self.db.read(|c| -> Result<_, AppError> {
                Ok(ticket_db::resolved_before(c, &cutoff, batch)?)
            })?;
            for t in unrated {
                if self.step(
                    &ctx,
                    &t.id,
                    now,
                    Sweep::CloseUnrated {
                        cutoff: cutoff.clone(),
                    },
                )? {
                    report.closed_no_response += 1;
                }
            }
        }
        Ok(report)
    }

    /// The sweep lock: `None` when another instance holds it.
    fn take_lock(&self) -> Result<Option<locks::Held>, AppError> {
        locks::try_take(&self.db, SWEEP_LOCK)
    }

    /// Takes one step on a ticket in a transaction of its own, after reading it afresh: it
    /// may have changed since the sweep listed it. Returns whether the step was taken.
    fn step(
        &self,
        ctx: &Context,
        ticket_id: &str,
        now: DateTime<Utc>,
        step: Sweep,
    ) -> Result<bool, AppError> {
        let (ctx, id) = (ctx.clone(), ticket_id.to_string());
        let result = self.db.write(move |c| -> Result<bool, AppError> {
            let Some(before) = ticket_db::find(c, &id)? else {
                return Ok(false);
            };
            let Some(applied) = apply_sweep(&before, &step, now) else {
                return Ok(false);
            };
            write_change(
                c,
                &ctx,
                None,
                before.version,
                &applied.ticket,
                applied.entry,
                now,
            )?;
            Ok(true)
        });
        match result {
            // Someone acted on the ticket meanwhile: the next sweep judges it again.
            Err(e) if e.code == ErrorCode::ConcurrentUpdate => Ok(false),
            other => other,
        }
    }
}
