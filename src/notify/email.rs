//! E-mail: multipart (plain text + HTML) messages sent over SMTP with lettre, or written to
//! the log (`notifications.email.transport = "log"`, the default, so a first run needs no
//! mail server). lettre encodes Chinese subjects and names (RFC 2047) and bodies.

use std::time::Duration;

use anyhow::Context;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::EmailSettings;
use crate::domain::notification::mask_email;
use crate::notify::{Delivered, SendError};

/// One e-mail to one recipient.
#[derive(Debug, Clone)]
pub struct OutgoingEmail<'a> {
    /// The outbox row's id; the Message-ID is built from it.
    pub id: &'a str,
    pub to: &'a str,
    pub to_name: Option<&'a str>,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: Option<&'a str>,
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Log,
}

/// Sends e-mail as configured.
pub struct EmailSender {
    transport: Transport,
    from: Mailbox,
    /// The part of Message-IDs after the `@`: the sender's domain.
    id_domain: String,
}

impl std::fmt::Debug for EmailSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailSender")
            .field("from", &self.from.to_string())
            .field(
                "transport",
                &match self.transport {
                    Transport::Smtp(_) => "smtp",
                    Transport::Log => "log",
                },
            )
            .finish()
    }
}

impl EmailSender {
    /// The sender the settings describe, or `None` when e-mail is off. Fails on a bad sender
    /// address, an unreadable CA file or an impossible TLS setting.
    pub fn from_settings(settings: &EmailSettings) -> anyhow::Result<Option<EmailSender>> {
        let from: Mailbox = settings.from.parse().with_context(|| {
            format!(
                "notifications.email.from {:?} is not an address such as \"企业哨 <noreply@example.gov.cn>\"",
                settings.from
            )
        })?;
        let id_domain = from.email.domain().to_string();
        let transport = match settings.transport.as_str() {
            "off" => return Ok(None),
            "log" => Transport::Log,
            "smtp" => Transport::Smtp(smtp_transport(settings)?),
            other => anyhow::bail!(
                "notifications.email.transport {other:?} is not one of smtp, log, off"
            ),
        };
        Ok(Some(EmailSender {
            transport,
            from,
            id_domain,
        }))
    }

    /// The Message-ID of the outbox row `id`: the same on every attempt, so a receiving
    /// server (or a person) can tell a retry from a new message.
    pub fn message_id(&self, id: &str) -> String {
        format!("<{id}@{}>", self.id_domain)
    }

    /// Sends one message. A 5xx answer and an address that cannot be written are permanent;
    /// everything else (connection refused, timeouts, 4xx) may pass.
    pub async fn send(&self, email: &OutgoingEmail<'_>) -> Result<Delivered, SendError> {
        let message_id = self.message_id(email.id);
        let message = self.build(email, &message_id)?;
        match &self.transport {
            Transport::Log => {
                tracing::info!(
                    id = %email.id,
                    to = %mask_email(email.to),
                    subject = %email.subject,
                    text = %email.text,
                    "e-mail (log transport: not sent to any server)"
                );
            }
            Transport::Smtp(smtp) => {
                smtp.send(message).await.map_err(|e| {
                    let text = format!("SMTP: {e}");
                    if e.is_permanent() {
                        SendError::permanent(text)
                    } else {
                        SendError::transient(text)
                    }
                })?;
            }
        }
        Ok(Delivered {
            provider_id: Some(message_id),
        })
    }

    fn build(&self, email: &OutgoingEmail<'_>, message_id: &str) -> Result<Message, SendError> {
        let address = email.to.parse().map_err(|e| {
            SendError::permanent(format!(
                "{} is not an e-mail address: {e}",
                mask_email(email.to)
            ))
        })?;
        let to = Mailbox::new(email.to_name.map(str::to_string), address);
        let text = SinglePart::builder()
            .header(ContentType::TEXT_PLAIN)
            .body(email.text.to_string());
        let body = match email.html {
            Some(html) => MultiPart::alternative().singlepart(text).singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_HTML)
                    .body(html.to_string()),
            ),
            None => MultiPart::mixed().singlepart(text),
        };
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject)
            .message_id(Some(message_id.to_string()))
            .multipart(body)
            .map_err(|e| SendError::permanent(format!("the message cannot be built: {e}")))
    }
}

fn smtp_transport(settings: &EmailSettings) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let host = settings.host.trim();
    let tls = match settings.tls.as_str() {
        "none" => Tls::None,
        mode => {
            let mut params = TlsParameters::builder(host.to_string());
            if !settings.ca_file.trim().is_empty() {
                let pem = std::fs::read(settings.ca_file.trim()).with_context(|| {
                    format!(
                        "cannot read notifications.email.ca_file {}",
                        settings.ca_file
                    )
                })?;
                let cert = Certificate::from_pem(&pem).with_context(|| {
                    format!(
                        "notifications.email.ca_file {} holds no PEM certificate",
                        settings.ca_file
                    )
                })?;
                params = params.add_root_certificate(cert);
            }
            let params = params
                .build_rustls()
                .context("the TLS settings of notifications.email")?;
            if mode == "tls" {
                Tls::Wrapper(params)
            } else {
                Tls::Required(params)
            }
        }
    };
    let timeout = Duration::from_secs(settings.timeout_secs);
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(settings.port)
        .tls(tls)
        .timeout(Some(timeout))
        .pool_config(
            PoolConfig::new()
                .max_size(settings.pool_size)
                .idle_timeout(Duration::from_secs(60)),
        );
    if !settings.username.is_empty() {
        builder = builder.credentials(Credentials::new(
            settings.username.clone(),
            settings.password.clone(),
        ));
    }
    if !settings.hello_name.trim().is_empty() {
        builder = builder.hello_name(ClientId::Domain(settings.hello_name.trim().to_string()));
    }
    Ok(builder.build())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> EmailSettings {
        crate::config::Settings::defaults()
            .expect("defaults")
            .notifications
            .email
    }

    #[test]
    fn builds_a_multipart_message_with_encoded_chinese_headers() {
        let sender = EmailSender::from_settings(&settings())
            .expect("builds")
            .expect("on");
        let email = OutgoingEmail {
            id: "0190-abc",
            to: "zhang.san@example.gov.cn",
            to_name: Some("张三"),
            subject: "【企业哨】新交办诉求 QYS20261122000001",
            text: "张三，您好：\n\n请及时签收。",
            html: Some("<p>张三，您好：</p>"),
        };
        let message = sender
            .build(&email, &sender.message_id(email.id))
            .expect("message");
        let raw = String::from_utf8(message.formatted()).expect("ascii");
        // Headers are 7-bit: the Chinese subject and name are RFC 2047 encoded words.
        let headers = raw.split("\r\n\r\n").next().expect("headers");
        assert!(headers.is_ascii(), "{headers}");
        assert!(headers.contains("Subject: =?utf-8?b?"), "{headers}");
        assert!(headers.contains("Message-ID: <0190-abc@qiyeshao.localhost>"));
        assert!(headers.contains("<zhang.san@example.gov.cn>"));
        assert!(raw.contains("multipart/alternative"));
        assert!(raw.contains("text/plain; charset=utf-8"));
        assert!(raw.contains("text/html; charset=utf-8"));
    }

    #[test]
    fn refuses_bad_settings_with_the_key_named() {
        let mut s = settings();
        s.from = "not an address".into();
        let err = EmailSender::from_settings(&s).expect_err("bad from");
        assert!(format!("{err:#}").contains("notifications.email.from"));

        let mut s = settings();
        s.transport = "smtp".into();
        s.host = "mail.example.gov.cn".into();
        s.tls = "starttls".into();
        s.ca_file = "/nonexistent/ca.pem".into();
        let err = EmailSender::from_settings(&s).expect_err("bad ca");
        assert!(format!("{err:#}").contains("notifications.email.ca_file"));

        let mut s = settings();
        s.transport = "off".into();
        assert!(EmailSender::from_settings(&s).expect("off").is_none());
    }

    #[tokio::test]
    async fn a_bad_address_is_a_permanent_failure() {
        let sender = EmailSender::from_settings(&settings())
            .expect("builds")
            .expect("on");
        let err = sender
            .send(&OutgoingEmail {
                id: "x",
                to: "not-an-address",
                to_name: None,
                subject: "s",
                text: "t",
                html: None,
            })
            .await
            .expect_err("refused");
        assert!(err.permanent);
    }
}
