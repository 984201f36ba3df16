//! What every SMS provider is and shares: the message, the [`SmsSender`] trait, the `log`
//! provider, the HTTP client (rustls with ring, the public roots), and how a transport error
//! is reported without the number in it.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use crate::domain::notification::{MessageTopic, mask_phone};
use crate::domain::phone::normalize_mobile;
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

/// How much of a gateway's text goes into an error: enough to recognise it, not a page of HTML.
pub const EXCERPT: usize = 200;

/// A gateway's request for one message. Every gateway is an [`SmsSender`] through it, which
/// keeps the number out of any error it reports.
pub trait Gateway: Send + Sync {
    /// The provider's name, for logs and errors.
    const NAME: &'static str;

    fn send_one<'a>(
        &'a self,
        message: &'a SmsMessage,
    ) -> impl Future<Output = Result<Delivered, SendError>> + Send + 'a;
}

impl<G: Gateway> SmsSender for G {
    fn name(&self) -> &'static str {
        G::NAME
    }

    fn send<'a>(&'a self, message: &'a SmsMessage) -> SendFuture<'a> {
        Box::pin(async move {
            self.send_one(message)
                .await
                .map_err(|err| hide_number(err, &message.phone))
        })
    }
}

/// The message's number as a gateway takes it (11 digits), or a failure not worth retrying.
pub fn mobile_of(provider: &str, message: &SmsMessage) -> Result<String, SendError> {
    normalize_mobile(&message.phone).map_err(|_| {
        SendError::permanent(format!(
            "{provider}: {} is not a mainland mobile number",
            mask_phone(&message.phone)
        ))
    })
}

/// The gateway's template code for the message's event, or a failure naming the setting.
pub fn template_code<'a>(provider: &str, message: &'a SmsMessage) -> Result<&'a str, SendError> {
    message
        .template_code
        .as_deref()
        .map(str::trim)
        .filter(|code| !code.is_empty())
        .ok_or_else(|| {
            SendError::permanent(format!(
                "{provider}: notifications.sms.templates.{}.code is missing",
                message.event
            ))
        })
}

/// Sends a gateway's request and reads its whole answer: the status and the body. A failure
/// of the transport is worth retrying; it is reported without the URL, which may carry a key.
pub async fn exchange(
    provider: &str,
    request: reqwest::RequestBuilder,
) -> Result<(u16, String), SendError> {
    let response = request
        .send()
        .await
        .map_err(|err| transport_error(provider, &err.without_url()))?;
    let status = response.status().as_u16();
    let text = response
        .text()
        .await
        .map_err(|err| transport_error(provider, &err.without_url()))?;
    Ok((status, text))
}

/// A setting's value, or `default` when it is blank.
pub fn or_default<'a>(value: &'a str, default: &'a str) -> &'a str {
    match value.trim() {
        "" => default,
        set => set,
    }
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

/// What the providers' tests share: a message, a client and a clock, and the refusals no
/// gateway may send a request for.
#[cfg(test)]
#[allow(clippy::expect_used)]
pub mod testing {
    use std::sync::Arc;
    use std::time::Duration;

    use super::{SmsMessage, SmsSender, http_client};
    use crate::domain::notification::{MessageTopic, NotifyEvent};
    use crate::domain::time::{Clock, ManualClock};

    /// A `ticket_filed` message to `phone`.
    pub fn message(phone: &str, template_code: Option<&str>) -> SmsMessage {
        SmsMessage {
            id: "m1".into(),
            phone: phone.into(),
            text: "text".into(),
            template_code: template_code.map(str::to_string),
            params: vec![("number".into(), "QYS1".into())],
            event: MessageTopic::Ticket(NotifyEvent::TicketFiled),
        }
    }

    /// A client with a short timeout, and a clock at now.
    pub fn client_and_clock() -> (reqwest::Client, Arc<dyn Clock>) {
        let client = http_client(Duration::from_secs(1)).expect("client");
        (client, Arc::new(ManualClock::new(chrono::Utc::now())))
    }

    /// Refusals that must come before any request (give the sender a closed port as its
    /// endpoint): a message without a template code, and a number that is not a mobile's,
    /// which the error does not repeat.
    pub async fn refuses_what_no_gateway_can_send(sender: &dyn SmsSender) {
        let err = sender
            .send(&message("13800138000", None))
            .await
            .expect_err("no template");
        assert!(err.permanent);
        assert!(
            err.message
                .contains("notifications.sms.templates.ticket_filed.code is missing"),
            "{err}"
        );
        let err = sender
            .send(&message("1380013800", Some("T1")))
            .await
            .expect_err("bad number");
        assert!(err.permanent);
        assert!(!err.message.contains("1380013800"), "{err}");
    }
}
