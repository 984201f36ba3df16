//! The calls tests make to their server: JSON requests with or without a token, sign-in,
//! multipart uploads, and the answer with its status, headers and body.

use serde_json::{Value, json};

use super::TestApp;

/// An HTTP answer: status, headers and the body as JSON (null when empty or not JSON).
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Resp {
    /// The `error` code of an error body.
    pub fn code(&self) -> &str {
        self.body["error"].as_str().unwrap_or("")
    }

    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        self.body
    }

    #[track_caller]
    pub fn expect_error(&self, status: u16, code: &str) {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        assert_eq!(
            self.code(),
            code,
            "unexpected error code; body: {}",
            self.text
        );
    }

    /// The message of a 422 for `field`.
    pub fn field(&self, field: &str) -> Option<&str> {
        self.body["fields"][field].as_str()
    }
}

/// The `id` of a created record, as the API returns it.
pub fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

const BOUNDARY: &str = "qys-test-boundary-7MA4YWxkTrZu0gW";

/// A multipart form with one file, as the part named `part`: its content type and body.
pub fn multipart_file(part: &str, file_name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{part}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Sends a request and reads the answer; then waits for the server's notice expander, so
    /// that the test's next step sees the messages of the action it just made (as a person
    /// looking a moment later would: the action answers before its messages are written).
    pub async fn send(&self, req: reqwest::RequestBuilder) -> Resp {
        let res = req.send().await.expect("request sent");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.expect("body read");
        self.ctx.outbox.settle().await;
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            body,
            text,
        }
    }

    fn with_token(req: reqwest::RequestBuilder, token: Option<&str>) -> reqwest::RequestBuilder {
        match token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        self.send(Self::with_token(self.client.get(self.url(path)), token))
            .await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.send(Self::with_token(self.client.post(self.url(path)), token).json(&body))
            .await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.send(Self::with_token(self.client.patch(self.url(path)), token).json(&body))
            .await
    }

    /// Posts a multipart form with one file as the part `file`.
    pub async fn post_file(&self, path: &str, token: &str, file_name: &str, bytes: &[u8]) -> Resp {
        let (content_type, body) = multipart_file("file", file_name, bytes);
        self.send(
            self.client
                .post(self.url(path))
                .bearer_auth(token)
                .header("content-type", content_type)
                .body(body),
        )
        .await
    }

    /// Signs in with a password.
    pub async fn login(&self, username: &str, password: &str) -> Resp {
        self.send(self.login_request(username, password)).await
    }

    /// Signs in with a password through a proxy that gives the client's address as `client`
    /// (`X-Forwarded-For`).
    pub async fn login_forwarded_for(&self, username: &str, password: &str, client: &str) -> Resp {
        let req = self.login_request(username, password);
        self.send(req.header("x-forwarded-for", client)).await
    }

    fn login_request(&self, username: &str, password: &str) -> reqwest::RequestBuilder {
        self.client
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"username": username, "password": password}))
    }
}
