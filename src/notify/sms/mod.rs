//! SMS: the providers of the [`SmsSender`] trait (in [`sender`], with what they share), one
//! chosen by `notifications.sms.provider`:
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
pub mod sender;
pub mod tencent;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use crate::config::SmsSettings;
use crate::domain::notification::NotifyEvent;
use crate::domain::time::Clock;
pub use sender::{LogSender, SmsMessage, SmsSender, http_client};

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
