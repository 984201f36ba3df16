//! Alibaba Cloud SMS (Dysmsapi `SendSms`, API version 2017-05-25): the form request signed
//! with the RPC signature V1 (HMAC-SHA1), and what the gateway's answers mean for a retry.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha1::Sha1;

use crate::config::AliyunSettings;
use crate::domain::notification::shorten;
use crate::domain::time::Clock;
use crate::notify::sms::sender::{
    EXCERPT, Gateway, SmsMessage, exchange, mobile_of, or_default, template_code,
};
use crate::notify::{Delivered, SendError};

const DEFAULT_ENDPOINT: &str = "https://dysmsapi.aliyuncs.com/";
const DEFAULT_REGION: &str = "cn-hangzhou";
const API_VERSION: &str = "2017-05-25";

/// Codes that will not change by sending again: a wrong number, template, signature or
/// account. Everything else, including codes Aliyun adds later, is retried, because the
/// worker's attempt limit bounds the cost of retrying something hopeless, while giving up on
/// a passing condition loses the message. Transient ones met in practice:
/// `isv.BUSINESS_LIMIT_CONTROL` (per-number throttling), `Throttling*`, `isp.*` (their side),
/// `isv.AMOUNT_NOT_ENOUGH` (until the account is topped up), `SignatureNonceUsed`,
/// `ServiceUnavailable`.
const PERMANENT_CODES: &[&str] = &[
    "isv.MOBILE_NUMBER_ILLEGAL",
    "isv.MOBILE_COUNT_OVER_LIMIT",
    "isv.SMS_TEMPLATE_ILLEGAL",
    "isv.SMS_SIGNATURE_ILLEGAL",
    "isv.TEMPLATE_MISSING_PARAMETERS",
    "isv.INVALID_PARAMETERS",
    "isv.PARAM_LENGTH_LIMIT",
    "isv.BLACK_KEY_CONTROL_LIMIT",
    "isv.DENY_IP_RANGE",
    "isv.ACCOUNT_NOT_EXISTS",
    "isv.ACCOUNT_ABNORMAL",
    "SignatureDoesNotMatch",
];

/// Sends through Dysmsapi with an AccessKey pair.
pub struct AliyunSender {
    access_key_id: String,
    access_key_secret: String,
    endpoint: reqwest::Url,
    region_id: String,
    sign_name: String,
    client: reqwest::Client,
    clock: Arc<dyn Clock>,
}

impl AliyunSender {
    /// Refuses empty credentials or sign name, naming the setting to fill in. An empty
    /// endpoint or region means the defaults (`https://dysmsapi.aliyuncs.com/`, `cn-hangzhou`).
    pub fn new(
        settings: &AliyunSettings,
        sign_name: &str,
        client: reqwest::Client,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        let required = |value: &str, key: &str| -> anyhow::Result<String> {
            let value = value.trim();
            anyhow::ensure!(
                !value.is_empty(),
                "{key} is required when notifications.sms.provider is aliyun"
            );
            Ok(value.to_string())
        };
        let access_key_id = required(
            &settings.access_key_id,
            "notifications.sms.aliyun.access_key_id",
        )?;
        let access_key_secret = required(
            &settings.access_key_secret,
            "notifications.sms.aliyun.access_key_secret",
        )?;
        let sign_name = required(sign_name, "notifications.sms.sign_name")?;
        let endpoint = or_default(&settings.endpoint, DEFAULT_ENDPOINT);
        let endpoint = reqwest::Url::parse(endpoint).with_context(|| {
            format!("notifications.sms.aliyun.endpoint {endpoint:?} is not a URL")
        })?;
        anyhow::ensure!(
            matches!(endpoint.scheme(), "https" | "http"),
            "notifications.sms.aliyun.endpoint must be an https:// (or http://) URL"
        );
        Ok(AliyunSender {
            access_key_id,
            access_key_secret,
            endpoint,
            region_id: or_default(&settings.region_id, DEFAULT_REGION).to_string(),
            sign_name,
            client,
            clock,
        })
    }
}

impl Gateway for AliyunSender {
    const NAME: &'static str = "aliyun";

    async fn send_one(&self, message: &SmsMessage) -> Result<Delivered, SendError> {
        let phone = mobile_of(Self::NAME, message)?;
        let template_code = template_code(Self::NAME, message)?;
        let template_param = serde_json::Value::Object(
            message
                .params
                .iter()
                .map(|(name, value)| (name.clone(), serde_json::Value::String(value.clone())))
                .collect(),
        )
        .to_string();

        let mut params = BTreeMap::new();
        for (name, value) in [
            ("AccessKeyId", self.access_key_id.as_str()),
            ("Action", "SendSms"),
            ("Format", "JSON"),
            ("OutId", message.id.as_str()),
            ("PhoneNumbers", phone.as_str()),
            ("RegionId", self.region_id.as_str()),
            ("SignName", self.sign_name.as_str()),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("TemplateCode", template_code),
            ("TemplateParam", template_param.as_str()),
            ("Version", API_VERSION),
        ] {
            params.insert(name.to_string(), value.to_string());
        }
        // A fresh nonce per request: the gateway refuses a nonce it has seen in the last
        // 15 minutes, so a retried message must not reuse the previous attempt's.
        params.insert(
            "SignatureNonce".to_string(),
            uuid::Uuid::now_v7().to_string(),
        );
        params.insert(
            "Timestamp".to_string(),
            self.clock.now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        );
        let signature = rpc_signature("POST", &params, &self.access_key_secret);
        let body = format!(
            "{}&Signature={}",
            canonicalized_query(&params),
            percent_encode(&signature)
        );

        let request = self
            .client
            .post(self.endpoint.clone())
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body);
        let (status, text) = exchange(Self::NAME, request).await?;
        read_answer(status, &text)
    }
}

/// Percent-encoding the Aliyun POP way: RFC 3986 unreserved characters kept, every other
/// UTF-8 byte as upper-case `%XX` (so a space is `%20`, never `+`).
pub fn percent_encode(text: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(text.len());
    for &byte in text.as_bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
    }
    out
}

/// `k=v` pairs, names and values percent-encoded, sorted by name (the map's order), joined
/// by `&`: both the signed text and, with `Signature` added, the request body.
pub fn canonicalized_query(params: &BTreeMap<String, String>) -> String {
    params
        .iter()
        .map(|(name, value)| format!("{}={}", percent_encode(name), percent_encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `METHOD&%2F&` followed by the percent-encoded canonicalized query.
pub fn string_to_sign(method: &str, params: &BTreeMap<String, String>) -> String {
    format!(
        "{method}&{}&{}",
        percent_encode("/"),
        percent_encode(&canonicalized_query(params))
    )
}

/// Base64 of HMAC-SHA1 of the string to sign, keyed with the AccessKey secret and `&`.
/// `params` must not contain `Signature`.
pub fn rpc_signature(method: &str, params: &BTreeMap<String, String>, secret: &str) -> String {
    let key = format!("{secret}&");
    BASE64.encode(hmac_sha1(
        key.as_bytes(),
        string_to_sign(method, params).as_bytes(),
    ))
}

fn hmac_sha1(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length, so this never fails; were it to, the empty signature
    // would be refused by the gateway as SignatureDoesNotMatch, a permanent error.
    match Hmac::<Sha1>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// Whether an error code means the message cannot be sent as it is.
pub fn is_permanent(code: &str) -> bool {
    // Inactive and unknown keys alike need an operator.
    PERMANENT_CODES.contains(&code) || code.starts_with("InvalidAccessKeyId")
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Answer {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
    biz_id: Option<String>,
    request_id: Option<String>,
}

/// What the gateway's answer (its HTTP status and body) means: `Code: OK` is a sent message
/// with the gateway's `BizId`; any other code is classified by [`is_permanent`]; a server
/// error or a body that is not the gateway's JSON may pass.
pub fn read_answer(status: u16, body: &str) -> Result<Delivered, SendError> {
    let Ok(answer) = serde_json::from_str::<Answer>(body) else {
        return Err(SendError::transient(format!(
            "aliyun: HTTP {status}, not a JSON answer: {}",
            shorten(body.trim(), EXCERPT)
        )));
    };
    if (200..300).contains(&status) && answer.code == "OK" {
        return Ok(Delivered {
            provider_id: answer.biz_id.filter(|id| !id.is_empty()),
        });
    }
    if answer.code.is_empty() {
        return Err(SendError::transient(format!(
            "aliyun: HTTP {status}, an answer without a Code: {}",
            shorten(body.trim(), EXCERPT)
        )));
    }
    let detail = format!(
        "aliyun: HTTP {status}, {}: {} (RequestId {})",
        answer.code,
        shorten(answer.message.trim(), EXCERPT),
        answer.request_id.as_deref().unwrap_or("-")
    );
    if status < 500 && is_permanent(&answer.code) {
        Err(SendError::permanent(detail))
    } else {
        Err(SendError::transient(detail))
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::config::Settings;
    use crate::notify::sms::sender::testing;

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// The example of Aliyun's SMS documentation (signature of a GET request).
    #[test]
    fn signs_the_documented_example() {
        let p = params(&[
            ("AccessKeyId", "testId"),
            ("Action", "SendSms"),
            ("Format", "XML"),
            ("OutId", "123"),
            ("PhoneNumbers", "15300000001"),
            ("RegionId", "cn-hangzhou"),
            ("SignName", "阿里云短信测试专用"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "45e25e9b-0a6f-4070-8c85-2956eda1b466"),
            ("SignatureVersion", "1.0"),
            ("TemplateCode", "SMS_71390007"),
            ("TemplateParam", r#"{"customer":"test"}"#),
            ("Timestamp", "2017-07-12T02:42:19Z"),
            ("Version", "2017-05-25"),
        ]);
        assert_eq!(
            string_to_sign("GET", &p),
            "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123\
             %26PhoneNumbers%3D15300000001%26RegionId%3Dcn-hangzhou%26SignName%3D%25E9%2598\
             %25BF%25E9%2587%258C%25E4%25BA%2591%25E7%259F%25AD%25E4%25BF%25A1%25E6%25B5%258B\
             %25E8%25AF%2595%25E4%25B8%2593%25E7%2594%25A8%26SignatureMethod%3DHMAC-SHA1\
             %26SignatureNonce%3D45e25e9b-0a6f-4070-8c85-2956eda1b466%26SignatureVersion%3D1.0\
             %26TemplateCode%3DSMS_71390007%26TemplateParam%3D%257B%2522customer%2522%253A\
             %2522test%2522%257D%26Timestamp%3D2017-07-12T02%253A42%253A19Z\
             %26Version%3D2017-05-25"
        );
        assert_eq!(
            rpc_signature("GET", &p, "testSecret"),
            "zJDF+Lrzhj/ThnlvIToysFRq6t4="
        );
    }

    #[test]
    fn percent_encodes_like_pop() {
        assert_eq!(percent_encode("AZaz09-_.~"), "AZaz09-_.~");
        assert_eq!(percent_encode("a b+c*d"), "a%20b%2Bc%2Ad");
        assert_eq!(percent_encode("&=/:%"), "%26%3D%2F%3A%25");
        assert_eq!(percent_encode("企"), "%E4%BC%81");
        assert_eq!(percent_encode(""), "");
    }

    #[test]
    fn success_carries_the_biz_id() {
        let body =
            r#"{"Code":"OK","Message":"OK","BizId":"900619746936498440^0","RequestId":"F655A8D5"}"#;
        assert_eq!(
            read_answer(200, body),
            Ok(Delivered {
                provider_id: Some("900619746936498440^0".into())
            })
        );
    }

    #[test]
    fn throttling_and_their_failures_are_transient() {
        for code in [
            "isv.BUSINESS_LIMIT_CONTROL",
            "Throttling.User",
            "Throttling",
            "isp.SYSTEM_ERROR",
            "isp.RAM_PERMISSION_DENY",
            "isv.AMOUNT_NOT_ENOUGH",
            "SignatureNonceUsed",
            "ServiceUnavailable",
        ] {
            let body = format!(r#"{{"Code":"{code}","Message":"触发流控","RequestId":"R1"}}"#);
            let err = read_answer(200, &body).expect_err(code);
            assert!(!err.permanent, "{code}: {err}");
            assert!(err.message.contains(code), "{err}");
            assert!(err.message.contains("R1"), "{err}");
        }
    }

    #[test]
    fn bad_numbers_templates_and_credentials_are_permanent() {
        for code in [
            "isv.MOBILE_NUMBER_ILLEGAL",
            "isv.MOBILE_COUNT_OVER_LIMIT",
            "isv.SMS_TEMPLATE_ILLEGAL",
            "isv.SMS_SIGNATURE_ILLEGAL",
            "isv.TEMPLATE_MISSING_PARAMETERS",
            "isv.INVALID_PARAMETERS",
            "isv.PARAM_LENGTH_LIMIT",
            "isv.BLACK_KEY_CONTROL_LIMIT",
            "isv.DENY_IP_RANGE",
            "InvalidAccessKeyId.NotFound",
            "SignatureDoesNotMatch",
            "isv.ACCOUNT_NOT_EXISTS",
            "isv.ACCOUNT_ABNORMAL",
        ] {
            let body = format!(r#"{{"Code":"{code}","Message":"no","RequestId":"R2"}}"#);
            // Credential errors come with HTTP 400 or 404, business errors with 200.
            for status in [200, 400, 404] {
                let err = read_answer(status, &body).expect_err(code);
                assert!(err.permanent, "{code}: {err}");
                assert!(err.message.contains(code), "{err}");
            }
        }
    }

    #[test]
    fn unknown_codes_are_transient_with_code_and_message() {
        let err = read_answer(200, r#"{"Code":"isv.SOMETHING_NEW","Message":"新的错误"}"#)
            .expect_err("unknown");
        assert!(!err.permanent);
        assert!(err.message.contains("isv.SOMETHING_NEW"), "{err}");
        assert!(err.message.contains("新的错误"), "{err}");
    }

    #[test]
    fn server_errors_and_other_bodies_are_transient_and_short() {
        let page = format!("<html>{}</html>", "x".repeat(1000));
        let err = read_answer(502, &page).expect_err("502");
        assert!(!err.permanent);
        assert!(err.message.contains("502"), "{err}");
        assert!(err.message.chars().count() < 300, "{err}");
        let err = read_answer(200, "").expect_err("empty");
        assert!(!err.permanent, "{err}");
        // Whatever the code, a server error is theirs to fix.
        let err = read_answer(500, r#"{"Code":"isv.INVALID_PARAMETERS","Message":"?"}"#)
            .expect_err("500");
        assert!(!err.permanent, "{err}");
        let err = read_answer(200, r#"{"Message":"?"}"#).expect_err("no code");
        assert!(!err.permanent, "{err}");
    }

    #[test]
    fn refuses_missing_credentials_naming_the_setting() {
        let settings = Settings::defaults().expect("defaults").notifications.sms;
        let (client, clock) = testing::client_and_clock();
        let mut aliyun = settings.aliyun.clone();
        let Err(err) = AliyunSender::new(&aliyun, "企业哨", client.clone(), clock.clone())
        else {
            panic!("accepted an empty access_key_id");
        };
        assert!(
            err.to_string()
                .contains("notifications.sms.aliyun.access_key_id is required"),
            "{err}"
        );
        aliyun.access_key_id = "id".into();
        let Err(err) = AliyunSender::new(&aliyun, "企业哨", client.clone(), clock.clone())
        else {
            panic!("accepted an empty access_key_secret");
        };
        assert!(
            err.to_string()
                .contains("notifications.sms.aliyun.access_key_secret is required"),
            "{err}"
        );
        aliyun.access_key_secret = "secret".into();
        let Err(err) = AliyunSender::new(&aliyun, " ", client.clone(), clock.clone()) else {
            panic!("accepted an empty sign name");
        };
        assert!(
            err.to_string().contains("notifications.sms.sign_name"),
            "{err}"
        );
        aliyun.endpoint = "not a url".into();
        let Err(err) = AliyunSender::new(&aliyun, "企业哨", client.clone(), clock.clone())
        else {
            panic!("accepted a bad endpoint");
        };
        assert!(
            err.to_string()
                .contains("notifications.sms.aliyun.endpoint"),
            "{err}"
        );
        aliyun.endpoint = String::new();
        assert!(AliyunSender::new(&aliyun, "企业哨", client, clock).is_ok());
    }

    /// Refusals that must come before any request: the endpoint is a closed port.
    #[tokio::test]
    async fn refuses_what_no_gateway_can_send() {
        let mut s = Settings::defaults()
            .expect("defaults")
            .notifications
            .sms
            .aliyun;
        s.access_key_id = "id".into();
        s.access_key_secret = "secret".into();
        s.endpoint = "http://127.0.0.1:9/".into();
        let (client, clock) = testing::client_and_clock();
        let sender = AliyunSender::new(&s, "企业哨", client, clock).expect("sender");
        testing::refuses_what_no_gateway_can_send(&sender).await;
    }
}
