//! The SMS providers against stand-in gateways: a real HTTP server per test that checks each
//! request as Aliyun, Tencent Cloud or the in-house webhook would — the signature recomputed
//! here from the bytes received, following the providers' documentation and not the crate's
//! signing code — and answers as the test scripts (sent, throttled, bad number, server error).

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use qiyeshao::config::{Settings, SmsSettings};
use qiyeshao::domain::notification::{MessageTopic, NotifyEvent};
use qiyeshao::domain::time::ManualClock;
use qiyeshao::notify::sms::{self, SmsMessage, SmsSender};
use qiyeshao::notify::{Delivered, SendError};
use serde_json::{Value, json};
use sha1::Sha1;
use sha2::{Digest, Sha256};

const PHONE: &str = "13800138000";
const SIGN_NAME: &str = "企业哨";
const TEMPLATE: &str = "SMS_471230001";
/// Characters the encodings must get right: a space, `+`, `*`, `~`, `&`, `=`, `%`, Chinese.
const TITLE: &str = "供电 故障+停电*~&=100%";

const ALIYUN_KEY_ID: &str = "LTAI5tTestKeyId";
const ALIYUN_SECRET: &str = "aliyun-test-secret";
const TENCENT_SECRET_ID: &str = "AKIDtestSecretId";
const TENCENT_SECRET_KEY: &str = "tencent-test-secret-key";
const TENCENT_APP_ID: &str = "1400787878";
const WEBHOOK_TOKEN: &str = "webhook-token";
const WEBHOOK_SECRET: &str = "webhook-secret";

fn fixed_now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-22T08:30:15Z")
        .unwrap()
        .with_timezone(&Utc)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Provider {
    Aliyun,
    Tencent,
    Webhook,
}

/// What the gateway answers to a request that passes its checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    Success,
    Throttled,
    BadNumber,
    ServerError,
}

/// One request as the gateway received it.
#[derive(Debug, Clone)]
struct Received {
    method: String,
    path: String,
    /// Names in lower case, in the order received (repeats kept).
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Whether the signature recomputed here matched.
    signature_ok: bool,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn header_count(&self, name: &str) -> usize {
        self.headers.iter().filter(|(n, _)| n == name).count()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

struct GatewayState {
    provider: Provider,
    /// The secret the gateway knows the caller by.
    secret: String,
    script: Mutex<Script>,
    received: Mutex<Vec<Received>>,
}

struct Gateway {
    url: String,
    state: Arc<GatewayState>,
    server: actix_web::dev::ServerHandle,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let stop = self.server.stop(false);
        tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(async {
                tokio::time::timeout(std::time::Duration::from_secs(5), stop).await
            })
        })
        .ok();
    }
}

impl Gateway {
    fn start(provider: Provider, secret: &str) -> Gateway {
        let state = Arc::new(GatewayState {
            provider,
            secret: secret.to_string(),
            script: Mutex::new(Script::Success),
            received: Mutex::new(Vec::new()),
        });
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let data = web::Data::from(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/received", web::get().to(received_bodies))
                .default_service(web::to(gateway_answer))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Gateway {
            url: format!("http://127.0.0.1:{port}/"),
            state,
            server: handle,
        }
    }

    fn script(&self, script: Script) {
        *self.state.script.lock().unwrap() = script;
    }

    fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    /// Sends one message under `script` and checks that exactly one request arrived.
    async fn send(
        &self,
        sender: &dyn SmsSender,
        script: Script,
        message: &SmsMessage,
    ) -> (Result<Delivered, SendError>, Received) {
        self.script(script);
        let before = self.received().len();
        let result = sender.send(message).await;
        let received = self.received();
        assert_eq!(
            received.len(),
            before + 1,
            "{script:?}: the gateway should receive exactly one request per send"
        );
        let last = received.last().unwrap().clone();
        (result, last)
    }
}

async fn gateway_answer(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<GatewayState>,
) -> HttpResponse {
    let script = *state.script.lock().unwrap();
    let (signature_ok, answer) = match state.provider {
        Provider::Aliyun => aliyun_answer(&state.secret, &req, &body, script),
        Provider::Tencent => tencent_answer(&state.secret, &req, &body, script),
        Provider::Webhook => webhook_answer(&state.secret, &req, &body, script),
    };
    state.received.lock().unwrap().push(Received {
        method: req.method().to_string(),
        path: req.path().to_string(),
        headers: req
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_ascii_lowercase(),
                    v.to_str().unwrap_or("").to_string(),
                )
            })
            .collect(),
        body: body.to_vec(),
        signature_ok,
    });
    answer
}

/// The stand-in's own page, not the provider's: the JSON bodies of the correctly signed
/// requests received, oldest first (for the browser tests, which read SMS codes there).
async fn received_bodies(state: web::Data<GatewayState>) -> HttpResponse {
    let bodies: Vec<Value> = state
        .received
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.signature_ok)
        .filter_map(|r| serde_json::from_slice(&r.body).ok())
        .collect();
    HttpResponse::Ok().json(bodies)
}

fn header<'a>(req: &'a HttpRequest, name: &str) -> &'a str {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

// ---------------------------------------------------------------------------------------
// Aliyun: the RPC signature V1 as in "签名机制" of the Dysmsapi documentation.

/// The documentation's percentEncode: URL-encode as UTF-8, then `+` → `%20`, `*` → `%2A`,
/// `%7E` → `~`; written here as the unreserved set it amounts to.
fn pop_encode(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || "-_.~".contains(c) {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// The form body as the gateway decodes it.
fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    let text = std::str::from_utf8(body).unwrap_or("");
    web::Query::<Vec<(String, String)>>::from_query(text)
        .map(|q| q.into_inner())
        .unwrap_or_default()
}

fn aliyun_expected_signature(
    method: &str,
    params: &BTreeMap<String, String>,
    secret: &str,
) -> String {
    let canonical: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{}={}", pop_encode(k), pop_encode(v)))
        .collect();
    let to_sign = format!(
        "{method}&{}&{}",
        pop_encode("/"),
        pop_encode(&canonical.join("&"))
    );
    let mut mac = Hmac::<Sha1>::new_from_slice(format!("{secret}&").as_bytes()).unwrap();
    mac.update(to_sign.as_bytes());
    BASE64.encode(mac.finalize().into_bytes())
}

fn aliyun_answer(
    secret: &str,
    req: &HttpRequest,
    body: &[u8],
    script: Script,
) -> (bool, HttpResponse) {
    let pairs = form_pairs(body);
    let mut params: BTreeMap<String, String> = BTreeMap::new();
    let mut signature = None;
    let mut repeated = false;
    for (k, v) in pairs {
        if k == "Signature" {
            signature = Some(v);
        } else if params.insert(k, v).is_some() {
            repeated = true;
        }
    }
    let signature_ok = req.method() == actix_web::http::Method::POST
        && header(req, "content-type").starts_with("application/x-www-form-urlencoded")
        && !repeated
        && signature.as_deref()
            == Some(aliyun_expected_signature("POST", &params, secret).as_str());
    let request_id = "8FBB1C69-6E4C-5D41-BF5D-TEST";
    if !signature_ok {
        return (
            false,
            HttpResponse::BadRequest().json(json!({
                "RequestId": request_id,
                "HostId": "dysmsapi.aliyuncs.com",
                "Code": "SignatureDoesNotMatch",
                "Message": "Specified signature is not matched with our calculation.",
                "Recommend": "https://next.api.aliyun.com/troubleshoot?q=SignatureDoesNotMatch"
            })),
        );
    }
    let answer = match script {
        Script::Success => HttpResponse::Ok().json(json!({
            "Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": request_id
        })),
        Script::Throttled => HttpResponse::Ok().json(json!({
            "Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发号码天级流控Permits:10", "RequestId": request_id
        })),
        Script::BadNumber => HttpResponse::Ok().json(json!({
            "Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号", "RequestId": request_id
        })),
        Script::ServerError => HttpResponse::InternalServerError()
            .content_type("text/html")
            .body("<html><body><h1>500 Internal Server Error</h1></body></html>"),
    };
    (true, answer)
}

// ---------------------------------------------------------------------------------------
// Tencent Cloud: TC3-HMAC-SHA256 as in "签名方法 v3" of the API 3.0 documentation.

fn tencent_signature_ok(secret_id: &str, secret_key: &str, req: &HttpRequest, body: &[u8]) -> bool {
    let Some(auth) = header(req, "authorization").strip_prefix("TC3-HMAC-SHA256 ") else {
        return false;
    };
    let fields: BTreeMap<&str, &str> = auth
        .split(", ")
        .filter_map(|part| part.split_once('='))
        .collect();
    let (Some(credential), Some(signed_headers), Some(signature)) = (
        fields.get("Credential"),
        fields.get("SignedHeaders"),
        fields.get("Signature"),
    ) else {
        return false;
    };
    let scope: Vec<&str> = credential.split('/').collect();
    let [id, date, service, "tc3_request"] = scope[..] else {
        return false;
    };
    let timestamp = header(req, "x-tc-timestamp");
    let Some(at) = timestamp
        .parse::<i64>()
        .ok()
        .and_then(|t| DateTime::from_timestamp(t, 0))
    else {
        return false;
    };
    if id != secret_id || service != "sms" || date != at.format("%Y-%m-%d").to_string() {
        return false;
    }
    // Header names and values in lower case, trimmed, in the order SignedHeaders lists them.
    let mut canonical_headers = String::new();
    for name in signed_headers.split(';') {
        canonical_headers.push_str(&format!(
            "{name}:{}\n",
            header(req, name).trim().to_lowercase()
        ));
    }
    let canonical_request = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method(),
        req.path(),
        req.query_string(),
        canonical_headers,
        signed_headers,
        hex(&Sha256::digest(body))
    );
    let string_to_sign = format!(
        "TC3-HMAC-SHA256\n{timestamp}\n{date}/{service}/tc3_request\n{}",
        hex(&Sha256::digest(canonical_request.as_bytes()))
    );
    let k_date = hmac_sha256(format!("TC3{secret_key}").as_bytes(), date.as_bytes());
    let k_service = hmac_sha256(&k_date, service.as_bytes());
    let k_signing = hmac_sha256(&k_service, b"tc3_request");
    // The gateway insists on these two being signed.
    signed_headers.split(';').any(|h| h == "host")
        && signed_headers.split(';').any(|h| h == "content-type")
        && *signature == hex(&hmac_sha256(&k_signing, string_to_sign.as_bytes()))
}

fn tencent_answer(
    secret: &str,
    req: &HttpRequest,
    body: &[u8],
    script: Script,
) -> (bool, HttpResponse) {
    let request_id = "a0aabda6-cf91-4f3e-a4b8-TEST";
    if !tencent_signature_ok(TENCENT_SECRET_ID, secret, req, body) {
        // Tencent answers errors with HTTP 200.
        return (
            false,
            HttpResponse::Ok().json(json!({"Response": {
                "Error": {
                    "Code": "AuthFailure.SignatureFailure",
                    "Message": "The provided credentials could not be validated. Please check your signature is correct."
                },
                "RequestId": request_id
            }})),
        );
    }
    let session = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|b| b["SessionContext"].as_str().map(str::to_string))
        .unwrap_or_default();
    let status = |code: &str, message: &str| {
        HttpResponse::Ok().json(json!({"Response": {
            "SendStatusSet": [{
                "SerialNo": if code == "Ok" { "5000:1045710669157053657849499619" } else { "" },
                "PhoneNumber": format!("+86{PHONE}"),
                "Fee": if code == "Ok" { 1 } else { 0 },
                "SessionContext": session,
                "Code": code,
                "Message": message,
                "IsoCode": "CN"
            }],
            "RequestId": request_id
        }}))
    };
    let answer = match script {
        Script::Success => status("Ok", "send success"),
        Script::Throttled => status(
            "LimitExceeded.PhoneNumberThirtySecondLimit",
            "the number of sms messages sent from a single mobile number within 30 seconds exceeds the upper limit",
        ),
        Script::BadNumber => status(
            "InvalidParameterValue.IncorrectPhoneNumber",
            "incorrect number format",
        ),
        Script::ServerError => HttpResponse::BadGateway().body("502 Bad Gateway"),
    };
    (true, answer)
}

// ---------------------------------------------------------------------------------------
// The in-house webhook: Bearer token, HMAC-SHA256 of "<timestamp>.<body>".

fn webhook_answer(
    secret: &str,
    req: &HttpRequest,
    body: &[u8],
    script: Script,
) -> (bool, HttpResponse) {
    if header(req, "authorization") != format!("Bearer {WEBHOOK_TOKEN}") {
        return (
            false,
            HttpResponse::Unauthorized().json(json!({"error": "bad token"})),
        );
    }
    let timestamp = header(req, "x-qiyeshao-timestamp");
    let mut signed = format!("{timestamp}.").into_bytes();
    signed.extend_from_slice(body);
    if header(req, "x-qiyeshao-signature") != hex(&hmac_sha256(secret.as_bytes(), &signed)) {
        return (
            false,
            HttpResponse::Unauthorized().json(json!({"error": "bad signature"})),
        );
    }
    let answer = match script {
        Script::Success => {
            HttpResponse::Ok().json(json!({"id": "gw-20261122-0001", "status": "queued"}))
        }
        Script::Throttled => HttpResponse::TooManyRequests()
            .insert_header(("Retry-After", "30"))
            .json(json!({"error": "slow down"})),
        Script::BadNumber => {
            HttpResponse::UnprocessableEntity().json(json!({"error": "invalid number"}))
        }
        Script::ServerError => HttpResponse::ServiceUnavailable().body("upstream down"),
    };
    (true, answer)
}

// ---------------------------------------------------------------------------------------

/// The phones of the sign-in tests: the in-house webhook's stand-in gateway, where the SMS
/// codes a server sends are read as a person reads them on their phone (the outbox withholds
/// them once sent).
pub(crate) struct Phones {
    gateway: Gateway,
    /// How many codes each number has had read so far.
    read: Mutex<BTreeMap<String, usize>>,
}

impl Phones {
    pub(crate) fn start() -> Phones {
        Phones {
            gateway: Gateway::start(Provider::Webhook, WEBHOOK_SECRET),
            read: Mutex::default(),
        }
    }

    /// The server's SMS settings for sending here.
    pub(crate) fn settings(&self) -> SmsSettings {
        webhook_settings(&self.gateway, WEBHOOK_SECRET)
    }

    /// Where the browser tests read what arrived: `GET {url}received`.
    pub(crate) fn url(&self) -> &str {
        &self.gateway.url
    }

    /// Makes the gateway refuse every number (as invalid) until called with `false`.
    pub(crate) fn refuse(&self, refusing: bool) {
        self.gateway.script(if refusing {
            Script::BadNumber
        } else {
            Script::Success
        });
    }

    /// The codes `phone` received, oldest first.
    pub(crate) fn codes(&self, phone: &str) -> Vec<String> {
        self.gateway
            .received()
            .iter()
            .filter(|r| r.signature_ok)
            .map(Received::json)
            .filter(|m| m["to"] == phone && m["event"] == "sms_code")
            .map(|m| m["params"]["code"].as_str().unwrap_or("").to_string())
            .collect()
    }

    /// The texts of the messages about `event` that `phone` received, oldest first.
    pub(crate) fn texts(&self, phone: &str, event: &str) -> Vec<String> {
        self.gateway
            .received()
            .iter()
            .filter(|r| r.signature_ok)
            .map(Received::json)
            .filter(|m| m["to"] == phone && m["event"] == event)
            .map(|m| m["text"].as_str().unwrap_or("").to_string())
            .collect()
    }

    /// The texts about `event` that `phone` received, once there are `n` (waiting up to 10 s).
    pub(crate) async fn wait_texts(&self, phone: &str, event: &str, n: usize) -> Vec<String> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let texts = self.texts(phone, event);
            if texts.len() >= n {
                return texts;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{phone} received {} {event} messages, not {n}",
                texts.len()
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// The next code `phone` receives (waiting up to 10 s for it to arrive).
    pub(crate) async fn next_code(&self, phone: &str) -> String {
        let seen = self.read.lock().unwrap().get(phone).copied().unwrap_or(0);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            if let Some(code) = self.codes(phone).get(seen) {
                self.read
                    .lock()
                    .unwrap()
                    .insert(phone.to_string(), seen + 1);
                return code.clone();
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no new SMS code reached {phone}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

fn sms_settings(provider: &str) -> SmsSettings {
    let mut settings = Settings::defaults().unwrap().notifications.sms;
    settings.provider = provider.to_string();
    settings.sign_name = SIGN_NAME.to_string();
    for (n, template) in settings.templates.values_mut().enumerate() {
        template.code = format!("SMS_47123{n:04}");
    }
    settings
}

fn build(settings: &SmsSettings, clock: &ManualClock) -> Arc<dyn SmsSender> {
    sms::build(settings, Arc::new(clock.clone()))
        .expect("the sender builds")
        .expect("a provider, not off")
}

fn message() -> SmsMessage {
    SmsMessage {
        id: uuid::Uuid::now_v7().to_string(),
        phone: PHONE.to_string(),
        text: format!(
            "【{SIGN_NAME}】工单QYS20261122000123（{TITLE}）已分派给您，请于11月25日前办结。"
        ),
        template_code: Some(TEMPLATE.to_string()),
        params: vec![
            ("number".to_string(), "QYS20261122000123".to_string()),
            ("title_short".to_string(), TITLE.to_string()),
            ("due".to_string(), "11月25日".to_string()),
        ],
        event: MessageTopic::Ticket(NotifyEvent::TicketAssigned),
    }
}

#[track_caller]
fn assert_no_phone(err: &SendError) {
    assert!(!err.message.contains(PHONE), "the number leaked: {err}");
}

async fn aliyun_sends_signed_requests_and_classifies_answers() {
    let gateway = Gateway::start(Provider::Aliyun, ALIYUN_SECRET);
    let clock = ManualClock::new(fixed_now());
    let mut settings = sms_settings("aliyun");
    settings.aliyun.access_key_id = ALIYUN_KEY_ID.to_string();
    settings.aliyun.access_key_secret = ALIYUN_SECRET.to_string();
    settings.aliyun.endpoint = gateway.url.clone();
    let sender = build(&settings, &clock);
    assert_eq!(sender.name(), "aliyun");

    let sent = message();
    let (result, request) = gateway.send(sender.as_ref(), Script::Success, &sent).await;
    assert!(
        request.signature_ok,
        "the gateway could not verify the signature"
    );
    assert_eq!(
        result.unwrap().provider_id.as_deref(),
        Some("900619746936498440^0")
    );
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/");
    let raw = std::str::from_utf8(&request.body).unwrap();
    assert!(
        !raw.contains('+') && raw.contains("%20"),
        "a space must be %20 and + must be encoded: {raw}"
    );
    let form: BTreeMap<String, String> = form_pairs(&request.body).into_iter().collect();
    let expected = [
        ("AccessKeyId", ALIYUN_KEY_ID),
        ("Action", "SendSms"),
        ("Format", "JSON"),
        ("OutId", sent.id.as_str()),
        ("PhoneNumbers", PHONE),
        ("RegionId", "cn-hangzhou"),
        ("SignName", SIGN_NAME),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("TemplateCode", TEMPLATE),
        ("Timestamp", "2026-11-22T08:30:15Z"),
        ("Version", "2017-05-25"),
    ];
    for (name, value) in expected {
        assert_eq!(form.get(name).map(String::as_str), Some(value), "{name}");
    }
    let template_param: Value = serde_json::from_str(&form["TemplateParam"]).unwrap();
    assert_eq!(
        template_param,
        json!({"number": "QYS20261122000123", "title_short": TITLE, "due": "11月25日"})
    );
    assert!(uuid::Uuid::parse_str(&form["SignatureNonce"]).is_ok());

    let (result, second) = gateway
        .send(sender.as_ref(), Script::Throttled, &message())
        .await;
    assert!(second.signature_ok);
    let err = result.unwrap_err();
    assert!(!err.permanent, "throttling must be retried: {err}");
    assert!(err.message.contains("isv.BUSINESS_LIMIT_CONTROL"), "{err}");
    assert_ne!(
        form_pairs(&second.body)
            .into_iter()
            .find(|(k, _)| k == "SignatureNonce"),
        Some(("SignatureNonce".to_string(), form["SignatureNonce"].clone())),
        "each request needs a fresh nonce"
    );

    let (result, _) = gateway
        .send(sender.as_ref(), Script::BadNumber, &message())
        .await;
    let err = result.unwrap_err();
    assert!(err.permanent, "a bad number will stay bad: {err}");
    assert!(err.message.contains("isv.MOBILE_NUMBER_ILLEGAL"), "{err}");
    assert_no_phone(&err);

    let (result, _) = gateway
        .send(sender.as_ref(), Script::ServerError, &message())
        .await;
    let err = result.unwrap_err();
    assert!(!err.permanent, "a server error may pass: {err}");
    assert!(err.message.contains("500"), "{err}");
}

async fn aliyun_wrong_secret_fails_the_gateways_check_for_good() {
    let gateway = Gateway::start(Provider::Aliyun, ALIYUN_SECRET);
    let clock = ManualClock::new(fixed_now());
    let mut settings = sms_settings("aliyun");
    settings.aliyun.access_key_id = ALIYUN_KEY_ID.to_string();
    settings.aliyun.access_key_secret = "not-the-secret".to_string();
    settings.aliyun.endpoint = gateway.url.clone();
    let sender = build(&settings, &clock);
    let (result, request) = gateway
        .send(sender.as_ref(), Script::Success, &message())
        .await;
    assert!(!request.signature_ok);
    let err = result.unwrap_err();
    assert!(err.permanent, "{err}");
    assert!(err.message.contains("SignatureDoesNotMatch"), "{err}");
    assert!(!err.message.contains("not-the-secret"), "{err}");
}

fn tencent_settings(gateway: &Gateway, secret_key: &str) -> SmsSettings {
    let mut settings = sms_settings("tencent");
    settings.tencent.secret_id = TENCENT_SECRET_ID.to_string();
    settings.tencent.secret_key = secret_key.to_string();
    settings.tencent.sdk_app_id = TENCENT_APP_ID.to_string();
    settings.tencent.endpoint = gateway.url.clone();
    settings
}

async fn tencent_sends_signed_requests_and_classifies_answers() {
    let gateway = Gateway::start(Provider::Tencent, TENCENT_SECRET_KEY);
    let clock = ManualClock::new(fixed_now());
    let sender = build(&tencent_settings(&gateway, TENCENT_SECRET_KEY), &clock);
    assert_eq!(sender.name(), "tencent");

    let sent = message();
    let (result, request) = gateway.send(sender.as_ref(), Script::Success, &sent).await;
    assert!(
        request.signature_ok,
        "the gateway could not verify the signature"
    );
    assert_eq!(
        result.unwrap().provider_id.as_deref(),
        Some("5000:1045710669157053657849499619")
    );
    assert_eq!(request.method, "POST");
    let host = gateway
        .url
        .trim_start_matches("http://")
        .trim_end_matches('/');
    assert_eq!(request.header_count("host"), 1);
    assert_eq!(request.header("host"), Some(host));
    assert_eq!(
        request.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(request.header("x-tc-action"), Some("SendSms"));
    assert_eq!(request.header("x-tc-version"), Some("2021-01-11"));
    assert_eq!(request.header("x-tc-region"), Some("ap-guangzhou"));
    let timestamp = fixed_now().timestamp().to_string();
    assert_eq!(request.header("x-tc-timestamp"), Some(timestamp.as_str()));
    assert!(
        request.header("authorization").unwrap().contains(&format!(
            "Credential={TENCENT_SECRET_ID}/2026-11-22/sms/tc3_request"
        )),
        "{:?}",
        request.header("authorization")
    );
    assert_eq!(
        request.json(),
        json!({
            "PhoneNumberSet": [format!("+86{PHONE}")],
            "SmsSdkAppId": TENCENT_APP_ID,
            "SignName": SIGN_NAME,
            "TemplateId": TEMPLATE,
            "TemplateParamSet": ["QYS20261122000123", TITLE, "11月25日"],
            "SessionContext": sent.id,
        })
    );

    let (result, _) = gateway
        .send(sender.as_ref(), Script::Throttled, &message())
        .await;
    let err = result.unwrap_err();
    assert!(!err.permanent, "throttling must be retried: {err}");
    assert!(
        err.message
            .contains("LimitExceeded.PhoneNumberThirtySecondLimit"),
        "{err}"
    );

    let (result, _) = gateway
        .send(sender.as_ref(), Script::BadNumber, &message())
        .await;
    let err = result.unwrap_err();
    assert!(err.permanent, "a bad number will stay bad: {err}");
    assert!(
        err.message
            .contains("InvalidParameterValue.IncorrectPhoneNumber"),
        "{err}"
    );
    assert_no_phone(&err);

    let (result, _) = gateway
        .send(sender.as_ref(), Script::ServerError, &message())
        .await;
    let err = result.unwrap_err();
    assert!(!err.permanent, "a server error may pass: {err}");
    assert!(err.message.contains("502"), "{err}");
}

async fn tencent_wrong_secret_fails_the_gateways_check_for_good() {
    let gateway = Gateway::start(Provider::Tencent, TENCENT_SECRET_KEY);
    let clock = ManualClock::new(fixed_now());
    let sender = build(&tencent_settings(&gateway, "not-the-key"), &clock);
    let (result, request) = gateway
        .send(sender.as_ref(), Script::Success, &message())
        .await;
    assert!(!request.signature_ok);
    let err = result.unwrap_err();
    assert!(err.permanent, "{err}");
    assert!(
        err.message.contains("AuthFailure.SignatureFailure"),
        "{err}"
    );
}

fn webhook_settings(gateway: &Gateway, secret: &str) -> SmsSettings {
    let mut settings = sms_settings("http");
    settings.http.url = gateway.url.clone();
    settings.http.token = WEBHOOK_TOKEN.to_string();
    settings.http.secret = secret.to_string();
    settings
}

async fn webhook_sends_signed_requests_and_classifies_answers() {
    let gateway = Gateway::start(Provider::Webhook, WEBHOOK_SECRET);
    let clock = ManualClock::new(fixed_now());
    let sender = build(&webhook_settings(&gateway, WEBHOOK_SECRET), &clock);
    assert_eq!(sender.name(), "http");

    let sent = message();
    let (result, request) = gateway.send(sender.as_ref(), Script::Success, &sent).await;
    assert!(
        request.signature_ok,
        "the gateway could not verify the signature"
    );
    assert_eq!(
        result.unwrap().provider_id.as_deref(),
        Some("gw-20261122-0001")
    );
    let timestamp = fixed_now().timestamp().to_string();
    assert_eq!(
        request.header("x-qiyeshao-timestamp"),
        Some(timestamp.as_str())
    );
    assert!(
        request
            .header("content-type")
            .is_some_and(|ct| ct.starts_with("application/json"))
    );
    assert_eq!(
        request.json(),
        json!({
            "id": sent.id,
            "to": PHONE,
            "text": sent.text,
            "sign_name": SIGN_NAME,
            "event": "ticket_assigned",
            "template_code": TEMPLATE,
            "params": {"number": "QYS20261122000123", "title_short": TITLE, "due": "11月25日"},
        })
    );

    let (result, _) = gateway
        .send(sender.as_ref(), Script::Throttled, &message())
        .await;
    let err = result.unwrap_err();
    assert!(!err.permanent, "throttling must be retried: {err}");
    assert!(err.message.contains("429"), "{err}");

    let (result, _) = gateway
        .send(sender.as_ref(), Script::BadNumber, &message())
        .await;
    let err = result.unwrap_err();
    assert!(err.permanent, "a bad number will stay bad: {err}");
    assert!(
        err.message.contains("422") && err.message.contains("invalid number"),
        "{err}"
    );

    let (result, _) = gateway
        .send(sender.as_ref(), Script::ServerError, &message())
        .await;
    let err = result.unwrap_err();
    assert!(!err.permanent, "a server error may pass: {err}");
    assert!(err.message.contains("503"), "{err}");

    // Without a template the webhook still gets the text, and `template_code` is null.
    let mut plain = message();
    plain.template_code = None;
    let (result, request) = gateway.send(sender.as_ref(), Script::Success, &plain).await;
    assert!(result.is_ok());
    assert_eq!(request.json()["template_code"], Value::Null);
}

async fn webhook_wrong_secret_fails_the_gateways_check_for_good() {
    let gateway = Gateway::start(Provider::Webhook, WEBHOOK_SECRET);
    let clock = ManualClock::new(fixed_now());
    let sender = build(&webhook_settings(&gateway, "not-the-secret"), &clock);
    let (result, request) = gateway
        .send(sender.as_ref(), Script::Success, &message())
        .await;
    assert!(!request.signature_ok);
    let err = result.unwrap_err();
    assert!(err.permanent, "{err}");
    assert!(err.message.contains("401"), "{err}");
}

async fn webhook_without_token_or_secret_sends_neither_header() {
    let gateway = Gateway::start(Provider::Webhook, WEBHOOK_SECRET);
    let clock = ManualClock::new(fixed_now());
    let mut settings = webhook_settings(&gateway, "");
    settings.http.token = String::new();
    let sender = build(&settings, &clock);
    let (result, request) = gateway
        .send(sender.as_ref(), Script::Success, &message())
        .await;
    assert!(result.unwrap_err().permanent);
    assert_eq!(request.header("authorization"), None);
    assert_eq!(request.header("x-qiyeshao-timestamp"), None);
    assert_eq!(request.header("x-qiyeshao-signature"), None);
}

fn build_names_the_missing_setting() {
    let clock: Arc<ManualClock> = Arc::new(ManualClock::new(fixed_now()));
    let cases = [
        (
            "aliyun",
            "notifications.sms.aliyun.access_key_id is required",
        ),
        ("tencent", "notifications.sms.tencent.secret_id is required"),
        ("http", "notifications.sms.http.url is required"),
    ];
    for (provider, wanted) in cases {
        let settings = sms_settings(provider);
        let Err(err) = sms::build(&settings, clock.clone()) else {
            panic!("{provider}: built without credentials");
        };
        assert!(format!("{err:#}").contains(wanted), "{provider}: {err:#}");
    }
    // The gateways refuse to start without a template code for every event.
    let mut settings = sms_settings("aliyun");
    settings.aliyun.access_key_id = ALIYUN_KEY_ID.to_string();
    settings.aliyun.access_key_secret = ALIYUN_SECRET.to_string();
    settings.templates.values_mut().for_each(|t| t.code.clear());
    let Err(err) = sms::build(&settings, clock) else {
        panic!("built without template codes");
    };
    assert!(format!("{err:#}").contains(".code is empty"), "{err:#}");
}

// ---------------------------------------------------------------------------------------
// Through the whole service: a ticket action queues the SMS, the worker sends it to the
// stand-in Tencent gateway, and the gateway's answer decides retry or give up.

async fn tencent_answers_decide_retry_or_give_up(backend: crate::helpers::Backend) {
    let gateway = Gateway::start(Provider::Tencent, TENCENT_SECRET_KEY);
    gateway.script(Script::Throttled);
    let sms = tencent_settings(&gateway, TENCENT_SECRET_KEY);
    let app = crate::helpers::spawn_app_with(backend, move |s| {
        s.notifications.sms = sms;
        s.notifications.email.transport = "off".into();
        // The cadre's message alone: the enterprise's of the same assignment is left out.
        s.notifications.events.insert(
            "ticket_assigned_enterprise".into(),
            qiyeshao::config::EventSettings { enabled: false },
        );
    })
    .await;
    let w = app.world().await;
    app.set_contact(&w.cadre_a, Some("13800000002"), None);
    let ticket = app.file(&w.ent_a, &w.category, "用电报装").await;
    let id = ticket["id"].as_str().unwrap().to_string();
    app.act(
        &w.dispatcher,
        &id,
        "assign",
        json!({"department_id": w.dept_a, "assignee_id": w.cadre_a.id}),
    )
    .await
    .expect(200);
    let row = || {
        app.db
            .read(|c| -> Result<_, qiyeshao::error::AppError> {
                Ok(qiyeshao::db::notifications::list(
                    c,
                    &qiyeshao::db::notifications::NotificationFilter::default(),
                    10,
                )?)
            })
            .unwrap()
            .remove(0)
    };
    let wait = |what: &'static str, check: &dyn Fn() -> bool| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while !check() {
            assert!(std::time::Instant::now() < deadline, "timed out: {what}");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    };
    // Throttled: tried again later.
    tokio::task::block_in_place(|| {
        wait("the throttled attempt is recorded", &|| {
            let r = row();
            r.status.as_str() == "pending" && r.attempts == 1
        })
    });
    let r = row();
    assert!(
        r.last_error
            .as_deref()
            .unwrap_or("")
            .contains("LimitExceeded.PhoneNumberThirtySecondLimit"),
        "{:?}",
        r.last_error
    );
    assert_eq!(gateway.received().len(), 1);
    let first = gateway.received().remove(0).json();
    assert_eq!(first["PhoneNumberSet"], json!(["+8613800000002"]));
    assert_eq!(first["SessionContext"], json!(r.id));
    // The assignment's template and its values in the configured order: number, title, due.
    assert_eq!(first["TemplateId"], json!(r.template_code.clone().unwrap()));
    let number = ticket["number"].as_str().unwrap();
    assert_eq!(first["TemplateParamSet"][0], json!(number));
    assert_eq!(first["TemplateParamSet"][1], json!("用电报装"));

    // The gateway recovers; after the backoff the message goes out.
    gateway.script(Script::Success);
    app.clock.advance(chrono::Duration::minutes(5));
    tokio::task::block_in_place(|| wait("sent", &|| row().status.as_str() == "sent"));
    let r = row();
    assert_eq!(r.attempts, 2);
    assert_eq!(
        r.provider_message_id.as_deref(),
        Some("5000:1045710669157053657849499619")
    );
    assert_eq!(gateway.received().len(), 2);

    // A number the gateway refuses is given up at once.
    gateway.script(Script::BadNumber);
    app.act(&w.dispatcher, &id, "urge", json!({"note": "请尽快"}))
        .await
        .expect(200);
    tokio::task::block_in_place(|| wait("failed", &|| row().status.as_str() == "failed"));
    let r = row();
    assert_eq!((r.event.as_str(), r.attempts), ("ticket_urged", 1));
    assert!(
        r.last_error
            .as_deref()
            .unwrap_or("")
            .contains("InvalidParameterValue.IncorrectPhoneNumber")
    );
    assert_eq!(gateway.received().len(), 3);
}

crate::tests!(
    aliyun_sends_signed_requests_and_classifies_answers,
    aliyun_wrong_secret_fails_the_gateways_check_for_good,
    tencent_sends_signed_requests_and_classifies_answers,
    tencent_wrong_secret_fails_the_gateways_check_for_good,
    webhook_sends_signed_requests_and_classifies_answers,
    webhook_wrong_secret_fails_the_gateways_check_for_good,
    webhook_without_token_or_secret_sends_neither_header,
    build_names_the_missing_setting,
    #[each_backend]
    tencent_answers_decide_retry_or_give_up,
);
