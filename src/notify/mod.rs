//! Notifications: e-mail and SMS to the people a ticket event concerns, through a durable
//! outbox.
//!
//! - [`outbox`] decides who hears of an event, renders the messages and writes them to the
//!   `notifications` table **inside the transaction of the event**: a rolled-back action
//!   queues nothing, and a queued message survives any outage of the mail server or gateway.
//! - [`worker`] claims due rows (on PostgreSQL with `FOR UPDATE SKIP LOCKED` and a lease, so
//!   several instances never send a message twice), sends them, and records the outcome, with
//!   exponential backoff and jitter between attempts.
//! - [`email`] sends over SMTP with lettre (or writes to the log); [`sms`] holds the
//!   [`sms::SmsSender`] trait and its providers (log, http, aliyun, tencent).
//! - [`robot`] posts to WeCom and DingTalk group robots (markdown, signed, 20 a minute).
//! - [`templates`] renders the texts from `config/templates/`; [`metrics`] counts outcomes.

pub mod email;
pub mod expander;
pub mod metrics;
pub mod outbox;
pub mod robot;
pub mod sms;
pub mod templates;
pub mod worker;

/// A message accepted by the mail server or the SMS gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    /// The provider's id of the message (SMTP: our Message-ID; gateways: theirs).
    pub provider_id: Option<String>,
}

/// Why a message was not delivered, and whether trying again may help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    /// True when the answer will not change (a bad number, a rejected address, a template
    /// the gateway does not know): the message is given up at once.
    pub permanent: bool,
    pub message: String,
}

impl SendError {
    /// A failure that may pass: the server is down, throttling, a timeout.
    pub fn transient(message: impl Into<String>) -> Self {
        SendError {
            permanent: false,
            message: message.into(),
        }
    }

    /// A failure that will not pass by itself.
    pub fn permanent(message: impl Into<String>) -> Self {
        SendError {
            permanent: true,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// A future that a trait object can return.
pub type SendFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Delivered, SendError>> + Send + 'a>>;
