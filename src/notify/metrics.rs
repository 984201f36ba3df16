//! Counters of what this process's worker and outbox did, per channel, rendered in the
//! Prometheus text format at `/metrics` (with the outbox's current counts beside them).
//! Counters are per process: each instance reports its own, as Prometheus expects.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::domain::notification::NotifyChannel;

/// One counter per channel.
#[derive(Debug, Default)]
struct PerChannel([AtomicU64; 2]);

impl PerChannel {
    fn slot(channel: NotifyChannel) -> usize {
        match channel {
            NotifyChannel::Email => 0,
            NotifyChannel::Sms => 1,
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

    /// The counters, then `outbox` (channel, status, rows) as a gauge, in the Prometheus text
    /// exposition format.
    pub fn render(&self, outbox: &[(String, String, i64)]) -> String {
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
        let text = m.render(&[("sms".into(), "pending".into(), 3)]);
        assert!(text.contains("# TYPE qiyeshao_notifications_sent_total counter\n"));
        assert!(text.contains("qiyeshao_notifications_sent_total{channel=\"sms\"} 2\n"));
        assert!(text.contains("qiyeshao_notifications_sent_total{channel=\"email\"} 0\n"));
        assert!(text.contains("qiyeshao_notifications_failed_total{channel=\"email\"} 1\n"));
        assert!(text.contains("qiyeshao_notifications{channel=\"sms\",status=\"pending\"} 3\n"));
    }
}
