//! The expander: turns queued notices (`notice_queue`, one per timeline entry that tells
//! someone something) into the messages of the outbox — e-mails, SMS and in-app messages —
//! a batch at a time, outside the transactions that made the entries.
//!
//! A change to a ticket used to find the recipients, render every message and check the
//! hourly limits inside its own transaction, which on SQLite is the single writer thread's
//! time: more than a third of a filing's. Now the change writes one row, and the expander,
//! woken by the action as it answers ([`Outbox::expand_soon`]) and otherwise every
//! `notifications.poll_interval_ms`, takes what is queued:
//!
//! - on PostgreSQL in one transaction: the oldest notices locked (`FOR UPDATE SKIP LOCKED`,
//!   so that several instances sharing the database never take the same one), read,
//!   rendered, their messages written and the notices deleted;
//! - on SQLite the reading and rendering on a pooled connection, off the writer thread, then
//!   one write that deletes each notice and writes its messages — only if the notice was
//!   still there, so nothing is written twice.
//!
//! Either way a batch's messages and the removal of its notices commit together: a crash
//! loses nothing and repeats nothing; the notices wait for the next round.

use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::db::{Backend, Db, notice_queue};
use crate::error::AppError;
use crate::notify::outbox::{Lookups, Outbox};

/// How long a round woken by an action waits for more notices before it starts.
const COALESCE: Duration = Duration::from_millis(10);

/// Notices expanded per transaction.
pub const BATCH: i64 = 200;

/// Expands queued notices until none is left (or the others are another instance's);
/// returns how many this call took.
pub async fn expand_all(db: &Db, outbox: &Outbox) -> Result<usize, AppError> {
    let mut total = 0;
    loop {
        let taken = expand_batch(db, outbox).await?;
        total += taken;
        if taken < usize::try_from(BATCH).unwrap_or(usize::MAX) {
            return Ok(total);
        }
    }
}

/// One batch: returns how many notices it took.
async fn expand_batch(db: &Db, outbox: &Outbox) -> Result<usize, AppError> {
    let taken = match db.backend() {
        Backend::Postgres => {
            let outbox = outbox.clone();
            db.write_async(move |c| -> Result<_, AppError> {
                let notices = notice_queue::claim(c, BATCH)?;
                let mut lookups = Lookups::default();
                let rendered = notices
                    .iter()
                    .map(|n| outbox.render(c, n, &mut lookups))
                    .collect::<Result<Vec<_>, _>>()?;
                outbox.store(c, rendered)?;
                Ok(notices.len())
            })
            .await?
        }
        Backend::Sqlite => {
            let renderer = outbox.clone();
            let (taken, rendered) = db
                .run_async(move |db| {
                    db.read(|c| -> Result<_, AppError> {
                        let notices = notice_queue::claim(c, BATCH)?;
                        let mut lookups = Lookups::default();
                        let rendered = notices
                            .iter()
                            .map(|n| renderer.render(c, n, &mut lookups))
                            .collect::<Result<Vec<_>, _>>()?;
                        Ok((notices.len(), rendered))
                    })
                })
                .await?;
            if taken > 0 {
                let writer = outbox.clone();
                db.write_async(move |c| -> Result<_, AppError> { Ok(writer.store(c, rendered)?) })
                    .await?;
            }
            taken
        }
    };
    if taken > 0 {
        // Tell the delivery worker, if anything is to be sent.
        outbox.wake();
    }
    Ok(taken)
}

/// The expander of a running process: stop it to let it expand what is queued and end.
pub struct ExpanderHandle {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl ExpanderHandle {
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(e) = self.task.await {
            tracing::warn!(error = %e, "the notice expander ended abnormally");
        }
    }
}

/// Starts the expander of this process: a round at once (notices left by a stopped
/// process), then one whenever an action asks ([`Outbox::expand_soon`], [`Outbox::settle`]) and every `poll`.
pub fn spawn(db: Db, outbox: Outbox, poll: Duration) -> ExpanderHandle {
    let (stop, mut stopped) = watch::channel(false);
    outbox.expansion().attached.store(true, Ordering::Release);
    let task = tokio::spawn(async move {
        let expansion = outbox.expansion();
        // After a database failure, wait longer each time (up to 30 s).
        let mut failures: u32 = 0;
        loop {
            // The rounds asked for before this one starts: their notices are committed, so
            // this round sees them.
            let covered = expansion.requested.load(Ordering::Acquire);
            let wait = match expand_all(&db, &outbox).await {
                Ok(_) => {
                    failures = 0;
                    poll
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    tracing::warn!(error = %e, "the notice expander cannot reach the queue; it will try again");
                    (poll * failures).min(Duration::from_secs(30))
                }
            };
            // Those waiting are answered either way: what failed stays queued.
            expansion
                .done
                .send_modify(|done| *done = (*done).max(covered));
            if *stopped.borrow() {
                break;
            }
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = expansion.wake.notified() => {
                    // Woken by an action that does not wait: a moment gathers the notices of
                    // the actions committing meanwhile into the round, rather than a round
                    // (two thread hops and a write) per action. A waiter is not kept waiting.
                    if expansion.requested.load(Ordering::Acquire) == covered {
                        tokio::time::sleep(COALESCE).await;
                    }
                }
                _ = stopped.changed() => {}
            }
        }
        expansion.attached.store(false, Ordering::Release);
    });
    ExpanderHandle { stop, task }
}
