//! SMS over a JSON webhook of an in-house gateway: one signed POST per message, and what the
//! gateway's HTTP status means for a retry.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::Context;
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

use crate::config::HttpSmsSettings;
use crate::domain::notification::shorten;
use crate::domain::time::Clock;
use crate::notify::sms::sender::{EXCERPT, Gateway, SmsMessage, exchange, mobile_of};
use crate::notify::{Delivered, SendError};

/// The header with the Unix time (seconds) the signature covers.
pub const TIMESTAMP_HEADER: &str = "X-Qiyeshao-Timestamp";
/// The header with the lower-case hex HMAC-SHA256 of `<timestamp>.<body>`.
pub const SIGNATURE_HEADER: &str = "X-Qiyeshao-Signature";

/// Posts each message to `notifications.sms.http.url`.
pub struct HttpSender {
    url: reqwest::Url,
    token: Option<String>,
    secret: Option<String>,
    sign_name: String,
    client: reqwest::Client,
    clock: Arc<dyn Clock>,
}

/// The body: what the gateway needs to send the text itself or to pick a template.
#[derive(Debug, Serialize)]
struct Payload<'a> {
    id: &'a str,
    to: &'a str,
    text: &'a str,
    sign_name: &'a str,
    event: &'a str,
    template_code: Option<&'a str>,
    params: BTreeMap<&'a str, &'a str>,
}

impl HttpSender {
    /// Refuses an empty or unusable `notifications.sms.http.url`; an empty token or secret
    /// means no `Authorization` header or no signature.
    pub fn new(
        settings: &HttpSmsSettings,
        sign_name: &str,
        client: reqwest::Client,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        let url = settings.url.trim();
        anyhow::ensure!(
            !url.is_empty(),
            "notifications.sms.http.url is required when notifications.sms.provider is http"
        );
        // The URL is not repeated: it may carry a key in its query.
        let url = reqwest::Url::parse(url).context("notifications.sms.http.url is not a URL")?;
        anyhow::ensure!(
            matches!(url.scheme(), "https" | "http"),
            "notifications.sms.http.url must be an https:// or http:// URL"
        );
        let optional = |value: &str| Some(value.trim().to_string()).filter(|v| !v.is_empty());
        Ok(HttpSender {
            url,
            token: optional(&settings.token),
            secret: optional(&settings.secret),
            sign_name: sign_name.trim().to_string(),
            client,
            clock,
        })
    }
}

impl Gateway for HttpSender {
    const NAME: &'static str = "http";

    async fn send_one(&self, message: &SmsMessage) -> Result<Delivered, SendError> {
        let phone = mobile_of(Self::NAME, message)?;
        let payload = Payload {
            id: &message.id,
            to: &phone,
            text: &message.text,
            sign_name: &self.sign_name,
            event: message.event.as_str(),
            template_code: message.template_code.as_deref(),
            params: message
                .params
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_str()))
                .collect(),
        };
        let body = serde_json::to_vec(&payload).map_err(|err| {
            SendError::permanent(format!("http: cannot encode the message: {err}"))
        })?;

        let mut request = self
            .client
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json");
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(secret) = &self.secret {
            let timestamp = self.clock.now().timestamp().to_string();
            request = request
                .header(TIMESTAMP_HEADER, &timestamp)
                .header(SIGNATURE_HEADER, signature(secret, &timestamp, &body));
        }
        let (status, text) = exchange(Self::NAME, request.body(body)).await?;
        read_answer(status, &text)
    }
}

/// Lower-case hex HMAC-SHA256, keyed with the secret, of `<timestamp>.<body>`: the timestamp
/// lets the gateway refuse old requests replayed.
pub fn signature(secret: &str, timestamp: &str, body: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    // HMAC takes keys of any length, so this never fails; were it to, the empty signature
    // would be refused by the gateway.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    let mut out = String::with_capacity(64);
    for byte in mac.finalize().into_bytes() {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    out
}

/// What the gateway's answer means: 2xx is sent (with the answer's `id` or `message_id` when
/// it is JSON and has one); 408, 425, 429 and 5xx may pass; any other 4xx will not.
pub fn read_answer(status: u16, body: &str) -> Result<Delivered, SendError> {
    if (200..300).contains(&status) {
        let answer: Option<serde_json::Value> = serde_json::from_str(body).ok();
        let provider_id = answer.as_ref().and_then(|answer| {
            ["id", "message_id"]
                .iter()
                .find_map(|key| match answer.get(key)? {
                    serde_json::Value::String(id) if !id.is_empty() => Some(id.clone()),
                    serde_json::Value::Number(id) => Some(id.to_string()),
                    _ => None,
                })
        });
        return Ok(Delivered { provider_id });
    }
    let detail = format!("http: HTTP {status}: {}", shorten(body.trim(), EXCERPT));
    match status {
        408 | 425 | 429 => Err(SendError::transient(detail)),
        400..=499 => Err(SendError::permanent(detail)),
        // 5xx, and the odd redirect (not followed) or informational status: retried, within
        // the worker's attempt limit.
        _ => Err(SendError::transient(detail)),
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::config::Settings;
    use crate::notify::sms::sender::testing;

    #[test]
    fn signs_timestamp_dot_body() {
        // Computed independently: printf '1700000000.{"id":"1"}' | openssl dgst -sha256 -hmac s3cret
        assert_eq!(
            signature("s3cret", "1700000000", br#"{"id":"1"}"#),
            "2b9dee6c893e4bf012ad34ee7b89d492b9567b4f47740ccbf0f161ba3717dc08"
        );
    }

    #[test]
    fn success_takes_the_id_if_any() {
        let id = |body: &str| read_answer(200, body).expect("sent").provider_id;
        assert_eq!(id(r#"{"id":"gw-1"}"#).as_deref(), Some("gw-1"));
        assert_eq!(id(r#"{"message_id":42}"#).as_deref(), Some("42"));
        assert_eq!(
            id(r#"{"id":"","message_id":"m-2"}"#).as_deref(),
            Some("m-2")
        );
        assert_eq!(id(""), None);
        assert_eq!(id("OK"), None);
        assert_eq!(id("[1]"), None);
        assert_eq!(read_answer(204, "").expect("sent").provider_id, None);
    }

    #[test]
    fn throttling_and_server_errors_are_transient() {
        for status in [408, 425, 429, 500, 502, 503, 504, 302] {
            let err = read_answer(status, "busy").expect_err("failed");
            assert!(!err.permanent, "{status}");
            assert!(err.message.contains(&status.to_string()), "{err}");
            assert!(err.message.contains("busy"), "{err}");
        }
    }

    #[test]
    fn other_client_errors_are_permanent_and_short() {
        let long = "y".repeat(1000);
        for status in [400, 401, 403, 404, 422] {
            let err = read_answer(status, &long).expect_err("failed");
            assert!(err.permanent, "{status}");
            assert!(err.message.chars().count() < 300, "{err}");
        }
    }

    #[test]
    fn refuses_a_missing_url() {
        let settings = Settings::defaults().expect("defaults").notifications.sms;
        let (client, clock) = testing::client_and_clock();
        let mut http = settings.http.clone();
        let Err(err) = HttpSender::new(&http, "企业哨", client.clone(), clock.clone()) else {
            panic!("accepted an empty url");
        };
        assert!(
            err.to_string()
                .contains("notifications.sms.http.url is required"),
            "{err}"
        );
        http.url = "mailto:sms@example.com".into();
        assert!(HttpSender::new(&http, "企业哨", client.clone(), clock.clone()).is_err());
        http.url = "https://sms.example.gov.cn/send".into();
        assert!(HttpSender::new(&http, "企业哨", client, clock).is_ok());
    }
}
