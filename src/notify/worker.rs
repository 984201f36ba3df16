//! The delivery worker: claims due messages from the outbox, sends them, records what
//! happened. Runs inside `qiyeshao serve` (unless `notifications.worker = false`) or alone as
//! `qiyeshao worker`.
//!
//! A claim marks rows `sending` with a lease (`notifications.lease_secs`) and a token of its
//! own, in one short transaction; the sends happen outside any transaction; each outcome is
//! written only while the token still holds the row. So on PostgreSQL several workers never
//! take the same row (`FOR UPDATE SKIP LOCKED`), a worker that dies mid-send leaves its rows
//! to be claimed again once the lease runs out, and a slow worker whose lease ran out cannot
//! overwrite the outcome of the one that took over. On SQLite one process delivers.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::NotificationSettings;
use crate::db::notifications::{self, AttemptOutcome, NotificationRow};
use crate::db::{Db, new_id};
use crate::domain::notification::{MessageTopic, NotifyChannel, backoff, mask_recipient};
use crate::domain::time::{self, Clock};
use crate::error::AppError;
use crate::notify::email::{EmailSender, OutgoingEmail};
use crate::notify::metrics::{Metrics, Outcome};
use crate::notify::outbox::{Outbox, withhold_code};
use crate::notify::robot::Robots;
use crate::notify::sms::{SmsMessage, SmsSender};
use crate::notify::{Delivered, SendError};

/// How long a woken worker waits for more messages before it claims.
const COALESCE: Duration = Duration::from_millis(10);

/// The ways out: e-mail, SMS and the group robots, each possibly off.
pub struct Channels {
    pub email: Option<EmailSender>,
    pub sms: Option<Arc<dyn SmsSender>>,
    pub robots: Option<Arc<Robots>>,
}

impl Channels {
    /// The channels the settings describe; fails on a misconfiguration.
    pub fn from_settings(
        settings: &NotificationSettings,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Channels> {
        // The log transports are for a first run: what they write is in clear.
        if settings.sms.provider.trim() == "log" {
            tracing::warn!(
                "notifications.sms.provider = \"log\": SMS, sign-in codes included, are written to the log in clear and sent to nobody; set a gateway for production (docs/operations.md, \"SMS\")"
            );
        }
        if settings.email.transport.trim() == "log" {
            tracing::warn!(
                "notifications.email.transport = \"log\": e-mails are written to the log in clear and sent to nobody; set transport = \"smtp\" for production"
            );
        }
        Ok(Channels {
            email: EmailSender::from_settings(&settings.email)?,
            sms: crate::notify::sms::build(&settings.sms, clock.clone())?,
            robots: Robots::from_settings(
                &settings.robots,
                Duration::from_secs(settings.sms.timeout_secs),
                clock,
            )?,
        })
    }
}

/// What a worker needs.
pub struct Worker {
    db: Db,
    channels: Arc<Channels>,
    clock: Arc<dyn Clock>,
    metrics: Arc<Metrics>,
    /// Wakes the worker early when this process queued something.
    outbox: Option<Outbox>,
    batch_size: u32,
    lease: chrono::Duration,
    max_attempts: u32,
    backoff_base: Duration,
    backoff_max: Duration,
    poll_interval: Duration,
}

/// A running worker: stop it to let it finish the batch in hand and end.
pub struct WorkerHandle {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl WorkerHandle {
    /// Asks the worker to stop and waits until the messages it is sending are recorded.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(e) = self.task.await {
            tracing::warn!(error = %e, "the notification worker ended abnormally");
        }
    }
}

impl Worker {
    pub fn new(
        db: Db,
        channels: Arc<Channels>,
        settings: &NotificationSettings,
        clock: Arc<dyn Clock>,
        metrics: Arc<Metrics>,
        outbox: Option<Outbox>,
    ) -> Worker {
        Worker {
            db,
            channels,
            clock,
            metrics,
            outbox,
            batch_size: settings.batch_size,
            lease: chrono::Duration::seconds(i64::try_from(settings.lease_secs).unwrap_or(300)),
            max_attempts: settings.max_attempts,
            backoff_base: Duration::from_secs(settings.backoff_base_secs),
            backoff_max: Duration::from_secs(settings.backoff_max_secs),
            poll_interval: Duration::from_millis(settings.poll_interval_ms),
        }
    }

    /// Runs the worker on the current tokio runtime until stopped.
    pub fn spawn(self) -> WorkerHandle {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(self.run(stopped));
        WorkerHandle { stop, task }
    }

    async fn run(self, mut stopped: watch::Receiver<bool>) {
        tracing::info!(
            email = self.channels.email.is_some(),
            robots = self.channels.robots.is_some(),
            sms = self.channels.sms.as_ref().map_or("off", |s| s.name()),
            "notification worker started"
        );
        // After a database failure, wait longer each time (up to 30 s) instead of hammering.
        let mut failures: u32 = 0;
        loop {
            if *stopped.borrow() {
                break;
            }
            let round = self.run_once().await;
            self.metrics.worker_round(round.is_ok());
            let wait = match round {
                // A full batch: more may be due at once.
                Ok(n) if n >= self.batch_size as usize => {
                    failures = 0;
                    continue;
                }
                Ok(_) => {
                    failures = 0;
                    self.poll_interval
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    tracing::warn!(error = %e, "the notification worker cannot reach the outbox; it will try again");
                    (self.poll_interval * failures).min(Duration::from_secs(30))
                }
            };
            let woken = async {
                match &self.outbox {
                    Some(outbox) => outbox.woken().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                // Under load every commit wakes the worker: a moment's wait gathers what the
                // next ones queue into the same claim, rather than one claim per message.
                _ = woken => tokio::time::sleep(COALESCE).await,
                _ = stopped.changed() => {}
            }
        }
        tracing::info!("notification worker stopped");
    }

    /// One round: claims a batch of due messages, sends them concurrently and records the
    /// outcomes. A claimed message that has had all its attempts already (its worker died
    /// during the last one) is given up instead of sent. Returns how many it claimed.
    pub async fn run_once(&self) -> Result<usize, AppError> {
        let now = self.clock.now();
        let now_text = time::format(now);
        let lease_until = time::format(now + self.lease);
        let token = new_id();
        let batch = self.batch_size;
        let claimed = {
            let token = token.clone();
            self.db
                .write_async(move |c| -> Result<_, AppError> {
                    Ok(notifications::claim_due(
                        c,
                        &now_text,
                        &lease_until,
                        &token,
                        batch,
                    )?)
                })
                .await?
        };
        if claimed.is_empty() {
            return Ok(0);
        }
        let count = claimed.len();
        let max_attempts = i32::try_from(self.max_attempts).unwrap_or(i32::MAX);
        let results = futures_util::future::join_all(claimed.iter().map(|row| async move {
            if row.attempts > max_attempts {
                return Err(SendError::permanent(
                    "the worker delivering it stopped during the last attempt; it may or may not have arrived",
                ));
            }
            self.deliver(row).await
        }))
        .await;
        let finished = self.clock.now();
        let outcomes: Vec<(String, AttemptOutcome)> = claimed
            .iter()
            .zip(results)
            .map(|(row, result)| (row.id.clone(), self.outcome(row, result, finished)))
            .collect();
        // A sign-in code is withheld once its message is sent or given up: it is not sent again.
        let withheld: Vec<(String, (String, String))> = claimed
            .iter()
            .zip(&outcomes)
            .filter(|(row, (_, outcome))| {
                row.event == MessageTopic::SmsCode
                    && !matches!(outcome, AttemptOutcome::Retry { .. })
            })
            .filter_map(|(row, _)| {
                let content = withhold_code(&row.body, row.template_params.as_deref())?;
                Some((row.id.clone(), content))
            })
            .collect();
        let finished_text = time::format(finished);
        let lost = self
            .db
            .write_async(move |c| -> Result<_, AppError> {
                let mut lost = Vec::new();
                for (id, outcome) in &outcomes {
                    if !notifications::record(c, id, &token, outcome, &finished_text)? {
                        lost.push(id.clone());
                    }
                }
                for (id, (body, params)) in &withheld {
                    if !lost.contains(id) {
                        notifications::rewrite_content(c, id, body, params)?;
                    }
                }
                Ok(lost)
            })
            .await?;
        for id in lost {
            tracing::warn!(%id, "a message's lease ran out before its outcome was recorded; another worker may have sent it again");
        }
        Ok(count)
    }

    /// Sends one claimed message over its channel.
    async fn deliver(&self, row: &NotificationRow) -> Result<Delivered, SendError> {
        match row.channel {
            NotifyChannel::Email => {
                let Some(email) = &self.channels.email else {
                    return Err(SendError::permanent(
                        "e-mail is turned off (notifications.email.transport = \"off\")",
                    ));
                };
                email
                    .send(&OutgoingEmail {
                        id: &row.id,
                        to: &row.recipient,
                        to_name: row.recipient_name.as_deref(),
                        subject: row.subject.as_deref().unwrap_or(""),
                        text: &row.body,
                        html: row.html_body.as_deref(),
                    })
                    .await
            }
            NotifyChannel::Sms => {
                let Some(sms) = &self.channels.sms else {
                    return Err(SendError::permanent(
                        "SMS is turned off (notifications.sms.provider = \"off\")",
                    ));
                };
                let params: Vec<(String, String)> = match row.template_params.as_deref() {
                    None => Vec::new(),
                    Some(p) => serde_json::from_str(p).map_err(|e| {
                        SendError::permanent(format!(
                            "the stored template parameters cannot be read: {e}"
                        ))
                    })?,
                };
                sms.send(&SmsMessage {
                    id: row.id.clone(),
                    phone: row.recipient.clone(),
                    text: row.body.clone(),
                    template_code: row.template_code.clone(),
                    params,
                    event: row.event,
                })
                .await
            }
            NotifyChannel::Robot => {
                let Some(robots) = &self.channels.robots else {
                    return Err(SendError::permanent(
                        "no group robot is configured (notifications.robots)",
                    ));
                };
                robots
                    .send(
                        &row.recipient,
                        row.subject.as_deref().unwrap_or(""),
                        &row.body,
                    )
                    .await
            }
        }
    }

    /// What to record after an attempt, counting and logging it.
    fn outcome(
        &self,
        row: &NotificationRow,
        result: Result<Delivered, SendError>,
        now: chrono::DateTime<Utc>,
    ) -> AttemptOutcome {
        let channel = row.channel;
        let to = mask_recipient(channel, &row.recipient);
        match result {
            Ok(delivered) => {
                self.metrics.count(channel, Outcome::Sent);
                tracing::info!(id = %row.id, %channel, %to, event = %row.event, attempt = row.attempts, "notification sent");
                AttemptOutcome::Sent {
                    provider_message_id: delivered.provider_id,
                }
            }
            Err(e)
                if e.permanent
                    || row.attempts >= i32::try_from(self.max_attempts).unwrap_or(i32::MAX) =>
            {
                self.metrics.count(channel, Outcome::Failed);
                tracing::warn!(id = %row.id, %channel, %to, event = %row.event, attempt = row.attempts, error = %e, permanent = e.permanent, "notification failed; given up");
                AttemptOutcome::Failed { error: e.message }
            }
            Err(e) => {
                self.metrics.count(channel, Outcome::Retried);
                let attempt = u32::try_from(row.attempts).unwrap_or(1);
                let delay = backoff(attempt, self.backoff_base, self.backoff_max, jitter());
                let next = now
                    + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::seconds(60));
                tracing::info!(id = %row.id, %channel, %to, attempt = row.attempts, error = %e, retry_in_secs = delay.as_secs(), "notification not delivered; will retry");
                AttemptOutcome::Retry {
                    next_attempt_at: time::format(next),
                    error: e.message,
                }
            }
        }
    }
}

/// A number in [0, 1), for backoff jitter; the exact spread does not matter.
fn jitter() -> f64 {
    let mut bytes = [0u8; 4];
    if getrandom::fill(&mut bytes).is_err() {
        return 0.5;
    }
    f64::from(u32::from_le_bytes(bytes)) / (f64::from(u32::MAX) + 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/operations.md promises that with the defaults a message is tried for 2.5 to 5
    /// hours, so an outage of an hour or two loses nothing.
    #[test]
    fn the_default_attempts_span_hours() {
        let n = crate::config::Settings::defaults()
            .expect("defaults")
            .notifications;
        let (base, max) = (
            Duration::from_secs(n.backoff_base_secs),
            Duration::from_secs(n.backoff_max_secs),
        );
        // The waits after failures 1 … max_attempts - 1; the last failure gives up.
        let span = |jitter: f64| -> Duration {
            (1..n.max_attempts)
                .map(|attempt| backoff(attempt, base, max, jitter))
                .sum()
        };
        let shortest = span(0.0);
        let longest = span(1.0);
        assert!(shortest >= Duration::from_secs(9000), "{shortest:?}");
        assert!(
            longest <= Duration::from_secs(5 * 3600 + 300),
            "{longest:?}"
        );
    }

    #[test]
    fn jitter_is_in_range() {
        for _ in 0..1000 {
            let j = jitter();
            assert!((0.0..1.0).contains(&j), "{j}");
        }
    }
}
