//! Tencent Cloud SMS (API 3.0 `SendSms`, version 2021-01-11): the JSON request signed with
//! TC3-HMAC-SHA256, and what the gateway's answers mean for a retry.

use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::config::TencentSettings;
use crate::domain::notification::shorten;
use crate::domain::time::Clock;
use crate::notify::sms::sender::{
    EXCERPT, Gateway, SmsMessage, exchange, mobile_of, or_default, template_code,
};
use crate::notify::{Delivered, SendError};

const DEFAULT_ENDPOINT: &str = "https://sms.tencentcloudapi.com/";
const DEFAULT_REGION: &str = "ap-guangzhou";
const SERVICE: &str = "sms";
const API_VERSION: &str = "2021-01-11";
const ALGORITHM: &str = "TC3-HMAC-SHA256";
/// Signed as sent: the gateway rebuilds the canonical request from the header it receives.
const CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// Code families that will not change by sending again: credentials, the request itself,
/// permissions. Everything else, including codes Tencent adds later, is retried, because the
/// worker's attempt limit bounds the cost of retrying something hopeless, while giving up on
/// a passing condition loses the message. Transient ones met in practice:
/// `RequestLimitExceeded*`, `InternalError*`, `ResourceUnavailable*`, the per-number and
/// per-app `LimitExceeded.*` quotas, `FailedOperation.InsufficientBalanceInSmsPackage`.
const PERMANENT_PREFIXES: &[&str] = &[
    "AuthFailure",
    "InvalidParameter",
    "MissingParameter",
    "UnauthorizedOperation",
    "UnsupportedOperation",
];

/// Single codes, among the `FailedOperation.*` that are otherwise left to retry.
const PERMANENT_CODES: &[&str] = &[
    "FailedOperation.TemplateIncorrectOrUnapproved",
    "FailedOperation.SignatureIncorrectOrUnapproved",
    "FailedOperation.PhoneNumberInBlacklist",
    "FailedOperation.ContainSensitiveWord",
];

/// Sends through SMS API 3.0 with a SecretId/SecretKey pair.
pub struct TencentSender {
    secret_id: String,
    secret_key: String,
    sdk_app_id: String,
    region: String,
    endpoint: reqwest::Url,
    /// `host[:port]` of the endpoint, signed and sent as the `Host` header.
    host: String,
    sign_name: String,
    client: reqwest::Client,
    clock: Arc<dyn Clock>,
}

impl TencentSender {
    /// Refuses empty credentials, application id or sign name, naming the setting to fill in.
    /// An empty endpoint or region means the defaults (`https://sms.tencentcloudapi.com/`,
    /// `ap-guangzhou`).
    pub fn new(
        settings: &TencentSettings,
        sign_name: &str,
        client: reqwest::Client,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        let required = |value: &str, key: &str| -> anyhow::Result<String> {
            let value = value.trim();
            anyhow::ensure!(
                !value.is_empty(),
                "{key} is required when notifications.sms.provider is tencent"
            );
            Ok(value.to_string())
        };
        let secret_id = required(&settings.secret_id, "notifications.sms.tencent.secret_id")?;
        let secret_key = required(&settings.secret_key, "notifications.sms.tencent.secret_key")?;
        let sdk_app_id = required(&settings.sdk_app_id, "notifications.sms.tencent.sdk_app_id")?;
        let sign_name = required(sign_name, "notifications.sms.sign_name")?;
        let endpoint = or_default(&settings.endpoint, DEFAULT_ENDPOINT);
        let endpoint = reqwest::Url::parse(endpoint).with_context(|| {
            format!("notifications.sms.tencent.endpoint {endpoint:?} is not a URL")
        })?;
        anyhow::ensure!(
            matches!(endpoint.scheme(), "https" | "http"),
            "notifications.sms.tencent.endpoint must be an https:// (or http://) URL"
        );
        let host = host_header(&endpoint).with_context(|| {
            format!("notifications.sms.tencent.endpoint {endpoint} has no host")
        })?;
        Ok(TencentSender {
            secret_id,
            secret_key,
            sdk_app_id,
            region: or_default(&settings.region, DEFAULT_REGION).to_string(),
            endpoint,
            host,
            sign_name,
            client,
            clock,
        })
    }
}

impl Gateway for TencentSender {
    const NAME: &'static str = "tencent";

    async fn send_one(&self, message: &SmsMessage) -> Result<Delivered, SendError> {
        let phone = mobile_of(Self::NAME, message)?;
        let template_id = template_code(Self::NAME, message)?;
        let payload = serde_json::json!({
            "PhoneNumberSet": [format!("+86{phone}")],
            "SmsSdkAppId": self.sdk_app_id,
            "SignName": self.sign_name,
            "TemplateId": template_id,
            "TemplateParamSet": message.params.iter().map(|(_, value)| value).collect::<Vec<_>>(),
            "SessionContext": message.id,
        })
        .to_string();
        let now = self.clock.now();
        let authorization = authorization(
            &self.secret_id,
            &self.secret_key,
            SERVICE,
            &self.host,
            now,
            payload.as_bytes(),
        );

        let request = self
            .client
            .post(self.endpoint.clone())
            .header(reqwest::header::AUTHORIZATION, authorization)
            .header(reqwest::header::CONTENT_TYPE, CONTENT_TYPE)
            .header(reqwest::header::HOST, &self.host)
            .header("X-TC-Action", "SendSms")
            .header("X-TC-Version", API_VERSION)
            .header("X-TC-Timestamp", now.timestamp().to_string())
            .header("X-TC-Region", &self.region)
            .body(payload);
        let (status, text) = exchange(Self::NAME, request).await?;
        read_answer(status, &text)
    }
}

/// What an HTTP client sends as `Host` for the URL: the port only when it is not the
/// scheme's default.
fn host_header(url: &reqwest::Url) -> Option<String> {
    let host = url.host_str()?.to_ascii_lowercase();
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

/// Lower-case hex of SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

/// The canonical request of a `POST /` with an empty query, signing `content-type` and
/// `host`.
pub fn canonical_request(host: &str, payload: &[u8]) -> String {
    format!(
        "POST\n/\n\ncontent-type:{CONTENT_TYPE}\nhost:{host}\n\ncontent-type;host\n{}",
        sha256_hex(payload)
    )
}

/// The credential scope's date: the UTC day of the timestamp.
fn scope_date(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

/// `TC3-HMAC-SHA256`, the timestamp, the credential scope and the canonical request's hash,
/// one per line.
pub fn string_to_sign(at: DateTime<Utc>, service: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{}\n{}/{service}/tc3_request\n{}",
        at.timestamp(),
        scope_date(at),
        sha256_hex(canonical_request.as_bytes())
    )
}

/// Hex HMAC-SHA256 of the string to sign with the key derived from the secret, the date and
/// the service.
pub fn signature(
    secret_key: &str,
    at: DateTime<Utc>,
    service: &str,
    string_to_sign: &str,
) -> String {
    let date = scope_date(at);
    let k_date = hmac_sha256(format!("TC3{secret_key}").as_bytes(), date.as_bytes());
    let k_service = hmac_sha256(&k_date, service.as_bytes());
    let k_signing = hmac_sha256(&k_service, b"tc3_request");
    hex(&hmac_sha256(&k_signing, string_to_sign.as_bytes()))
}

/// The `Authorization` header of a request with this payload to `host` at `at`.
pub fn authorization(
    secret_id: &str,
    secret_key: &str,
    service: &str,
    host: &str,
    at: DateTime<Utc>,
    payload: &[u8],
) -> String {
    let to_sign = string_to_sign(at, service, &canonical_request(host, payload));
    format!(
        "{ALGORITHM} Credential={secret_id}/{}/{service}/tc3_request, \
         SignedHeaders=content-type;host, Signature={}",
        scope_date(at),
        signature(secret_key, at, service, &to_sign)
    )
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length, so this never fails; were it to, the gateway would
    // refuse the signature as AuthFailure.SignatureFailure, a permanent error.
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &byte in bytes {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    out
}

/// Whether an error code (of the request or of the number) means the message cannot be sent
/// as it is.
pub fn is_permanent(code: &str) -> bool {
    PERMANENT_CODES.contains(&code)
        || PERMANENT_PREFIXES
            .iter()
            .any(|prefix| code.starts_with(prefix))
}

#[derive(Debug, Deserialize)]
struct Envelope {
    #[serde(rename = "Response")]
    response: Response,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Response {
    error: Option<ApiError>,
    #[serde(default)]
    send_status_set: Vec<SendStatus>,
    request_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ApiError {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SendStatus {
    serial_no: Option<String>,
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// What the gateway's answer (its HTTP status and body) means: the number's status `Ok` is
/// a sent message with the gateway's `SerialNo`; an error of the request or of the number is
/// classified by [`is_permanent`]; a server error or a body that is not the gateway's JSON
/// may pass.
pub fn read_answer(status: u16, body: &str) -> Result<Delivered, SendError> {
    let Ok(Envelope { response }) = serde_json::from_str::<Envelope>(body) else {
        return Err(SendError::transient(format!(
            "tencent: HTTP {status}, not a JSON answer: {}",
            shorten(body.trim(), EXCERPT)
        )));
    };
    let request_id = response.request_id.as_deref().unwrap_or("-");
    let failed = |code: &str, message: &str| {
        let detail = format!(
            "tencent: HTTP {status}, {code}: {} (RequestId {request_id})",
            shorten(message.trim(), EXCERPT)
        );
        if status < 500 && is_permanent(code) {
            SendError::permanent(detail)
        } else {
            SendError::transient(detail)
        }
    };
    if let Some(error) = &response.error {
        return Err(failed(&error.code, &error.message));
    }
    match response.send_status_set.first() {
        Some(sent) if sent.code == "Ok" && (200..300).contains(&status) => Ok(Delivered {
            provider_id: sent.serial_no.clone().filter(|id| !id.is_empty()),
        }),
        Some(sent) if !sent.code.is_empty() => Err(failed(&sent.code, &sent.message)),
        _ => Err(SendError::transient(format!(
            "tencent: HTTP {status}, an answer without an error or a send status: {}",
            shorten(body.trim(), EXCERPT)
        ))),
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::config::Settings;
    use crate::notify::sms::sender::testing;

    /// The example of Tencent Cloud's signature documentation (a `cvm` call).
    #[test]
    fn signs_the_documented_example() {
        let payload = br#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;
        let at = DateTime::from_timestamp(1_551_113_065, 0).expect("timestamp");
        let host = "cvm.tencentcloudapi.com";
        let secret_id = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE";
        let secret_key = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE";
        assert_eq!(
            sha256_hex(payload),
            "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
        );
        let canonical = canonical_request(host, payload);
        assert_eq!(
            sha256_hex(canonical.as_bytes()),
            "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
        );
        let to_sign = string_to_sign(at, "cvm", &canonical);
        assert_eq!(
            to_sign,
            "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n\
             5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
        );
        assert_eq!(
            signature(secret_key, at, "cvm", &to_sign),
            "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
        );
        assert_eq!(
            authorization(secret_id, secret_key, "cvm", host, at, payload),
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, \
             SignedHeaders=content-type;host, \
             Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
        );
    }

    #[test]
    fn signs_the_host_with_its_port() {
        let url = reqwest::Url::parse("http://127.0.0.1:8080/").expect("url");
        assert_eq!(host_header(&url).as_deref(), Some("127.0.0.1:8080"));
        let url = reqwest::Url::parse("https://SMS.tencentcloudapi.com:443/").expect("url");
        assert_eq!(
            host_header(&url).as_deref(),
            Some("sms.tencentcloudapi.com")
        );
    }

    fn status_answer(code: &str) -> String {
        serde_json::json!({"Response": {
            "SendStatusSet": [{
                "SerialNo": "5000:1045710669157053657849499619",
                "PhoneNumber": "+8613800138000",
                "Fee": 1,
                "SessionContext": "m1",
                "Code": code,
                "Message": format!("msg of {code}"),
                "IsoCode": "CN"
            }],
            "RequestId": "a0aabda6"
        }})
        .to_string()
    }

    fn error_answer(code: &str) -> String {
        serde_json::json!({"Response": {
            "Error": {"Code": code, "Message": format!("msg of {code}")},
            "RequestId": "b1"
        }})
        .to_string()
    }

    #[test]
    fn success_carries_the_serial_number() {
        assert_eq!(
            read_answer(200, &status_answer("Ok")),
            Ok(Delivered {
                provider_id: Some("5000:1045710669157053657849499619".into())
            })
        );
    }

    const TRANSIENT: &[&str] = &[
        "RequestLimitExceeded",
        "RequestLimitExceeded.UinLimitExceeded",
        "InternalError",
        "InternalError.Timeout",
        "LimitExceeded.PhoneNumberThirtySecondLimit",
        "LimitExceeded.PhoneNumberOneHourLimit",
        "LimitExceeded.PhoneNumberDailyLimit",
        "LimitExceeded.DeliveryFrequencyLimit",
        "LimitExceeded.AppDailyLimit",
        "FailedOperation.InsufficientBalanceInSmsPackage",
        "ResourceUnavailable.SmsPackageExhausted",
    ];

    const PERMANENT: &[&str] = &[
        "AuthFailure.SignatureFailure",
        "AuthFailure.SecretIdNotFound",
        "InvalidParameter",
        "InvalidParameterValue.IncorrectPhoneNumber",
        "UnauthorizedOperation.SmsSdkAppIdVerifyFail",
        "FailedOperation.TemplateIncorrectOrUnapproved",
        "FailedOperation.SignatureIncorrectOrUnapproved",
        "FailedOperation.PhoneNumberInBlacklist",
        "FailedOperation.ContainSensitiveWord",
        "MissingParameter.EmptyPhoneNumberSet",
        "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber",
    ];

    #[test]
    fn throttling_and_their_failures_are_transient() {
        for &code in TRANSIENT {
            for body in [status_answer(code), error_answer(code)] {
                let err = read_answer(200, &body).expect_err(code);
                assert!(!err.permanent, "{code}: {err}");
                assert!(err.message.contains(code), "{err}");
            }
        }
    }

    #[test]
    fn bad_numbers_templates_and_credentials_are_permanent() {
        for &code in PERMANENT {
            for body in [status_answer(code), error_answer(code)] {
                let err = read_answer(200, &body).expect_err(code);
                assert!(err.permanent, "{code}: {err}");
                assert!(err.message.contains(code), "{err}");
            }
        }
    }

    #[test]
    fn unknown_codes_are_transient_with_code_and_message() {
        let err = read_answer(200, &error_answer("FailedOperation.Novel")).expect_err("unknown");
        assert!(!err.permanent);
        assert!(err.message.contains("FailedOperation.Novel"), "{err}");
        assert!(
            err.message.contains("msg of FailedOperation.Novel"),
            "{err}"
        );
        assert!(err.message.contains("b1"), "{err}");
    }

    #[test]
    fn server_errors_and_other_bodies_are_transient_and_short() {
        let page = format!("<html>{}</html>", "x".repeat(1000));
        let err = read_answer(503, &page).expect_err("503");
        assert!(!err.permanent);
        assert!(err.message.contains("503"), "{err}");
        assert!(err.message.chars().count() < 300, "{err}");
        let err = read_answer(500, &error_answer("InvalidParameter")).expect_err("500");
        assert!(!err.permanent, "{err}");
        let err = read_answer(200, r#"{"Response":{"RequestId":"x"}}"#).expect_err("empty");
        assert!(!err.permanent, "{err}");
        let err = read_answer(200, r#"{"Other":1}"#).expect_err("other");
        assert!(!err.permanent, "{err}");
    }

    #[test]
    fn refuses_missing_credentials_naming_the_setting() {
        let settings = Settings::defaults().expect("defaults").notifications.sms;
        let (client, clock) = testing::client_and_clock();
        let mut tencent = settings.tencent.clone();
        // Each required setting in turn: refused while empty, then filled in.
        type Fill = fn(&mut TencentSettings);
        let checks: [(&str, Fill); 3] = [
            ("secret_id", |s| s.secret_id = "AKID".into()),
            ("secret_key", |s| s.secret_key = "key".into()),
            ("sdk_app_id", |s| s.sdk_app_id = "1400000000".into()),
        ];
        for (key, fill) in checks {
            let Err(err) = TencentSender::new(&tencent, "企业哨", client.clone(), clock.clone())
            else {
                panic!("accepted an empty {key}");
            };
            let wanted = format!("notifications.sms.tencent.{key} is required");
            assert!(err.to_string().contains(&wanted), "{err}");
            fill(&mut tencent);
        }
        let Err(err) = TencentSender::new(&tencent, "", client.clone(), clock.clone()) else {
            panic!("accepted an empty sign name");
        };
        assert!(
            err.to_string().contains("notifications.sms.sign_name"),
            "{err}"
        );
        tencent.endpoint = "ftp://sms.example/".into();
        assert!(TencentSender::new(&tencent, "企业哨", client.clone(), clock.clone()).is_err());
        tencent.endpoint = String::new();
        assert!(TencentSender::new(&tencent, "企业哨", client, clock).is_ok());
    }

    /// Refusals that must come before any request: the endpoint is a closed port.
    #[tokio::test]
    async fn refuses_what_no_gateway_can_send() {
        let mut s = Settings::defaults()
            .expect("defaults")
            .notifications
            .sms
            .tencent;
        s.secret_id = "AKID".into();
        s.secret_key = "key".into();
        s.sdk_app_id = "1400000000".into();
        s.endpoint = "http://127.0.0.1:9/".into();
        let (client, clock) = testing::client_and_clock();
        let sender = TencentSender::new(&s, "企业哨", client, clock).expect("sender");
        testing::refuses_what_no_gateway_can_send(&sender).await;
    }
}
