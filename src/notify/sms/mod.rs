//! SMS: the [`SmsSender`] trait and its providers, chosen by `notifications.sms.provider`:
//!
//! - `log` ([`LogSender`]): renders, logs with the number masked, reports it sent — the
//!   default, so that a first run needs no account;
//! - `http` ([`http::HttpSender`]): a JSON webhook for an in-house gateway;
//! - `aliyun` ([`aliyun::AliyunSender`]): Alibaba Cloud Dysmsapi `SendSms`, RPC signature;
//! - `tencent` ([`tencent::TencentSender`]): Tencent Cloud SMS API 3.0 `SendSms`, TC3-HMAC-SHA256.
//!
//! The gateways send pre-approved templates: each message carries the template code and the
//! parameter values its event maps to in `notifications.sms.templates`. Each provider reads
//! its gateway's answer and says whether a failure is worth retrying (throttling, a server
//! error) or not (a bad number, an unknown template).

pub mod aliyun;
pub mod http;
pub mod tencent;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use crate::config::SmsSettings;
use crate::domain::notification::{MessageTopic, NotifyEvent, mask_phone};
use crate::domain::time::Clock;
use crate::notify::{Delivered, SendError, SendFuture};

/// One SMS to one mainland mobile number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsMessage {
    /// The outbox row's id: gateways that take a caller's reference get it (Aliyun's `OutId`,
    /// Tencent's `SessionContext`, the webhook's `id`), so a message can be traced end to end.
    pub id: String,
    /// 11 digits, without +86.
    pub phone: String,
    /// The rendered text (what `log` and `http` send).
    pub text: String,
    /// The gateway's template code for this event, if configured.
    pub template_code: Option<String>,
    /// The template's parameters, in the configured order.
    pub params: Vec<(String, String)>,
    /// The event, e.g. `ticket_assigned`.
    pub event: MessageTopic,
}

/// A way to send SMS.
pub trait SmsSender: Send + Sync {
    /// The provider's name, for logs: `log`, `http`, `aliyun`, `tencent`.
    fn name(&self) -> &'static str;

    /// Sends one message. Never panics; every failure is a [`SendError`] saying whether to
    /// try again.
    fn send<'a>(&'a self, message: &'a SmsMessage) -> SendFuture<'a>;
}

/// Renders nothing anywhere but the log: the number masked, the text as it would be sent.
#[derive(Debug, Default)]
pub struct LogSender;

impl SmsSender for LogSender {
    fn name(&self) -> &'static str {
        "log"
    }

    fn send<'a>(&'a self, message: &'a SmsMessage) -> SendFuture<'a> {
        Box::pin(async move {
            tracing::info!(
                id = %message.id,
                to = %mask_phone(&message.phone),
                event = %message.event,
                template = message.template_code.as_deref().unwrap_or(""),
                text = %message.text,
                "SMS (log provider: not sent to any gateway)"
            );
            Ok(Delivered {
                provider_id: Some(format!("log-{}", message.id)),
            })
        })
    }
}

/// The HTTP client of the gateways: rustls with the ring provider and the public (Mozilla)
/// roots, the configured timeout, no redirects (a gateway that redirects is misconfigured).
pub fn http_client(timeout: Duration) -> anyhow::Result<reqwest::Client> {
    // reqwest insists on a process-wide provider even when given a configuration; ring is the
    // one lettre uses too. Installing fails harmlessly when one is installed already.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .context("TLS configuration for the SMS gateway")?
    .with_root_certificates(roots)
    .with_no_client_auth();
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("qiyeshao/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("building the HTTP client for the SMS gateway")
}

/// Describes a failed HTTP exchange with a gateway: timeouts and connection failures may
/// pass; anything else from reqwest (a body that is not what we sent) is reported as such.
pub fn transport_error(provider: &str, err: &reqwest::Error) -> SendError {
    let what = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    // reqwest's own message leaves out the cause (refused, DNS, certificate): add the chain,
    // but not the URL, which may carry a key.
    let mut text = format!("{provider}: {what}");
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    SendError::transient(text)
}

/// The error with the full number replaced by its masked form: gateways echo the number in
/// their answers (Tencent's status, Aliyun's string to sign), and errors reach the log.
pub fn hide_number(err: SendError, phone: &str) -> SendError {
    if phone.is_empty() || !err.message.contains(phone) {
        return err;
    }
    SendError {
        message: err.message.replace(phone, &mask_phone(phone)),
        ..err
    }
}

/// The sender `notifications.sms.provider` names, or `None` for `off`. Checks that the
/// provider has what it needs (credentials, and a template code for every event when it is a
/// gateway), so a misconfiguration stops the start instead of failing every message.
pub fn build(
    settings: &SmsSettings,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<Option<Arc<dyn SmsSender>>> {
    let timeout = Duration::from_secs(settings.timeout_secs);
    let sender: Arc<dyn SmsSender> = match settings.provider.as_str() {
        "off" => return Ok(None),
        "log" => Arc::new(LogSender),
        "http" => Arc::new(http::HttpSender::new(
            &settings.http,
            &settings.sign_name,
            http_client(timeout)?,
            clock,
        )?),
        "aliyun" => {
            check_gateway_templates(settings)?;
            Arc::new(aliyun::AliyunSender::new(
                &settings.aliyun,
                &settings.sign_name,
                http_client(timeout)?,
                clock,
            )?)
        }
        "tencent" => {
            check_gateway_templates(settings)?;
            Arc::new(tencent::TencentSender::new(
                &settings.tencent,
                &settings.sign_name,
                http_client(timeout)?,
                clock,
            )?)
        }
        other => anyhow::bail!(
            "notifications.sms.provider {other:?} is not one of log, http, aliyun, tencent, off"
        ),
    };
    Ok(Some(sender))
}

/// A gateway sends only approved templates: every event needs its code. (That every
/// parameter is a value the messages have is checked with the templates, by the outbox.)
fn check_gateway_templates(settings: &SmsSettings) -> anyhow::Result<()> {
    anyhow::ensure!(
        !settings.sign_name.trim().is_empty(),
        "notifications.sms.sign_name is required by the {} gateway",
        settings.provider
    );
    for &event in NotifyEvent::ALL {
        let key = event.as_str();
        let template = settings.templates.get(key).with_context(|| {
            format!("notifications.sms.templates.{key} is missing: the {} gateway needs a template for every event", settings.provider)
        })?;
        anyhow::ensure!(
            !template.code.trim().is_empty(),
            "notifications.sms.templates.{key}.code is empty: the {} gateway sends only approved templates",
            settings.provider
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hides_the_number_in_errors() {
        let err = hide_number(
            SendError::permanent("PhoneNumbers=13800138000 is wrong"),
            "13800138000",
        );
        assert_eq!(err.message, "PhoneNumbers=138****8000 is wrong");
        assert!(err.permanent);
        let untouched = hide_number(SendError::transient("timeout"), "13800138000");
        assert_eq!(untouched, SendError::transient("timeout"));
    }
}
