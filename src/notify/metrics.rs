//! Counters of what this process's worker and outbox did, per channel, rendered in the
//! Prometheus text format at `/metrics` (with the outbox's current counts beside them).
//! Counters are per process: each instance reports its own, as Prometheus expects.

use std::fmt::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::domain::notification::NotifyChannel;

/// One counter per channel.
#[derive(Debug, Default)]
struct PerChannel([AtomicU64; 3]);

impl PerChannel {
    fn slot(channel: NotifyChannel) -> usize {
        match channel {
            NotifyChannel::Email => 0,
            NotifyChannel::Sms => 1,
            NotifyChannel::Robot => 2,
        }
    }

    fn add(&self, channel: NotifyChannel) {
        self.0[Self::slot(channel)].fetch_add(1, Ordering::Relaxed);
    }

    fn get(&self, channel: NotifyChannel) -> u64 {
        self.0[Self::slot(channel)].load(Ordering::Relaxed)
    }
}

#[derive(Debug, Default)]
pub struct Metrics {
    queued: PerChannel,
    sent: PerChannel,
    failed: PerChannel,
    retried: PerChannel,
    rate_limited: PerChannel,
    /// Rounds of the delivery worker that could not reach the outbox (the database).
    outbox_unreachable: AtomicU64,
    /// Whether the worker's last round failed that way: it is waiting for the database.
    worker_paused: AtomicBool,
}

/// What happened to a message, for counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Queued,
    Sent,
    /// Given up: a permanent error, or the last attempt failed.
    Failed,
    /// Failed this time, to be tried again.
    Retried,
    /// Not sent: too many messages to this recipient in the last hour.
    RateLimited,
}

/// Messages of the outbox by (channel, status): how many.
pub type OutboxCount = (String, String, i64);

impl Metrics {
    pub fn count(&self, channel: NotifyChannel, outcome: Outcome) {
        match outcome {
            Outcome::Queued => self.queued.add(channel),
            Outcome::Sent => self.sent.add(channel),
            Outcome::Failed => self.failed.add(channel),
            Outcome::Retried => self.retried.add(channel),
            Outcome::RateLimited => self.rate_limited.add(channel),
        }
    }

    pub fn get(&self, channel: NotifyChannel, outcome: Outcome) -> u64 {
        match outcome {
            Outcome::Queued => self.queued.get(channel),
            Outcome::Sent => self.sent.get(channel),
            Outcome::Failed => self.failed.get(channel),
            Outcome::Retried => self.retried.get(channel),
            Outcome::RateLimited => self.rate_limited.get(channel),
        }
    }

    /// Notes how the worker's last round went: `false` when it could not reach the outbox.
    pub fn worker_round(&self, reached_outbox: bool) {
        if !reached_outbox {
            self.outbox_unreachable.fetch_add(1, Ordering::Relaxed);
        }
        self.worker_paused.store(!reached_outbox, Ordering::Relaxed);
    }

    /// Whether the worker is waiting for the database, and how many rounds it has failed.
    pub fn worker_state(&self) -> (bool, u64) {
        (
            self.worker_paused.load(Ordering::Relaxed),
            self.outbox_unreachable.load(Ordering::Relaxed),
        )
    }

    /// The counters, then the outbox's rows by (channel, status) as a gauge, in the Prometheus
    /// text exposition format. `outbox` is `None` when the database did not answer: then
    /// `qiyeshao_database_up` is 0 and the rest is still reported, so that monitoring sees the
    /// outage instead of losing the target.
    /// `outbox`: the outbox's messages by channel and status, and the notices not yet
    /// expanded; `None` when the database did not answer.
    pub fn render(&self, outbox: Option<(&[OutboxCount], i64)>) -> String {
        let mut out = String::new();
        let counters: [(&str, &str, Outcome); 5] = [
            (
                "qiyeshao_notifications_queued_total",
                "Messages written to the outbox by this process.",
                Outcome::Queued,
            ),
            (
                "qiyeshao_notifications_sent_total",
                "Messages this process delivered to the mail server or SMS gateway.",
                Outcome::Sent,
            ),
            (
                "qiyeshao_notifications_failed_total",
                "Messages this process gave up on (permanent error or attempts exhausted).",
                Outcome::Failed,
            ),
            (
                "qiyeshao_notifications_retried_total",
                "Delivery attempts by this process that failed and will be retried.",
                Outcome::Retried,
            ),
            (
                "qiyeshao_notifications_rate_limited_total",
                "Messages this process did not send because the recipient had too many in the last hour.",
                Outcome::RateLimited,
            ),
        ];
        for (name, help, outcome) in counters {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} counter");
            for &channel in NotifyChannel::ALL {
                let _ = writeln!(
                    out,
                    "{name}{{channel=\"{channel}\"}} {}",
                    self.get(channel, outcome)
                );
            }
        }
        let (paused, unreachable) = self.worker_state();
        let gauges = [
            (
                "qiyeshao_database_up",
                "Whether the database answered this scrape (1) or not (0).",
                u64::from(outbox.is_some()),
                "gauge",
            ),
            (
                "qiyeshao_worker_paused",
                "Whether this process's delivery worker is waiting for the database (1).",
                u64::from(paused),
                "gauge",
            ),
            (
                "qiyeshao_worker_outbox_unreachable_total",
                "Rounds of this process's delivery worker that could not reach the outbox.",
                unreachable,
                "counter",
            ),
        ];
        for (name, help, value, kind) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} {kind}");
            let _ = writeln!(out, "{name} {value}");
        }
        let Some((outbox, notices)) = outbox else {
            return out;
        };
        let name = "qiyeshao_notices_queued";
        let _ = writeln!(
            out,
            "# HELP {name} Ticket events whose messages are not written yet (all instances)."
        );
        let _ = writeln!(out, "# TYPE {name} gauge");
        let _ = writeln!(out, "{name} {notices}");
        let name = "qiyeshao_notifications";
        let _ = writeln!(
            out,
            "# HELP {name} Messages in the outbox (all instances), by channel and status."
        );
        let _ = writeln!(out, "# TYPE {name} gauge");
        for (channel, status, n) in outbox {
            let _ = writeln!(
                out,
                "{name}{{channel=\"{channel}\",status=\"{status}\"}} {n}"
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::default();
        m.count(NotifyChannel::Sms, Outcome::Sent);
        m.count(NotifyChannel::Sms, Outcome::Sent);
        m.count(NotifyChannel::Email, Outcome::Failed);
        let text = m.render(Some((&[("sms".into(), "pending".into(), 3)], 4)));
        assert!(text.contains("# TYPE qiyeshao_notifications_sent_total counter\n"));
        assert!(text.contains("qiyeshao_notifications_sent_total{channel=\"sms\"} 2\n"));
        assert!(text.contains("qiyeshao_notifications_sent_total{channel=\"email\"} 0\n"));
        assert!(text.contains("qiyeshao_notifications_failed_total{channel=\"email\"} 1\n"));
        assert!(text.contains("qiyeshao_notifications{channel=\"sms\",status=\"pending\"} 3\n"));
        assert!(text.contains("# TYPE qiyeshao_notices_queued gauge\nqiyeshao_notices_queued 4\n"));
    }

    #[test]
    fn reports_the_database_and_the_worker_during_an_outage() {
        let m = Metrics::default();
        m.worker_round(false);
        m.worker_round(false);
        let text = m.render(None);
        assert!(text.contains("qiyeshao_database_up 0\n"), "{text}");
        assert!(text.contains("qiyeshao_worker_paused 1\n"), "{text}");
        assert!(
            text.contains("qiyeshao_worker_outbox_unreachable_total 2\n"),
            "{text}"
        );
        assert!(!text.contains("qiyeshao_notifications{"), "{text}");
        m.worker_round(true);
        let text = m.render(Some((&[], 0)));
        assert!(text.contains("qiyeshao_database_up 1\n"), "{text}");
        assert!(text.contains("qiyeshao_worker_paused 0\n"), "{text}");
        assert!(
            text.contains("qiyeshao_worker_outbox_unreachable_total 2\n"),
            "{text}"
        );
    }
}
