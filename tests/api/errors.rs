//! Every refusal the API promises: the status, the stable code, the field named, and nothing
//! written.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, spawn_app_with};

async fn malformed_and_misdeclared_bodies(app: TestApp) {
    let w = app.world().await;
    let post_raw = |body: &'static str, content_type: Option<&'static str>| {
        let mut req = app
            .client
            .post(app.url("/api/v1/tickets"))
            .bearer_auth(&w.ent_a.token)
            .body(body);
        if let Some(ct) = content_type {
            req = req.header("Content-Type", ct);
        }
        app.send(req)
    };
    post_raw("{\"kind\": ", Some("application/json"))
        .await
        .expect_error(400, "malformed_json");
    post_raw("not json", Some("application/json"))
        .await
        .expect_error(400, "malformed_json");
    post_raw("{} {}", Some("application/json"))
        .await
        .expect_error(400, "malformed_json");
    post_raw("{\"kind\":\"problem\"}", Some("text/plain"))
        .await
        .expect_error(415, "unsupported_media_type");
    post_raw("{\"kind\":\"problem\"}", None)
        .await
        .expect_error(415, "unsupported_media_type");
    post_raw("kind=problem", Some("application/x-www-form-urlencoded"))
        .await
        .expect_error(415, "unsupported_media_type");
    let list = app
        .get("/api/v1/tickets", Some(&w.admin.token))
        .await
        .expect(200);
    assert_eq!(list["items"], json!([]));
}

async fn oversized_bodies(app: TestApp) {
    let w = app.world().await;
    let huge = "字".repeat(30_000); // 90 kB of UTF-8, over the 64 KiB limit
    let r = app
        .post(
            "/api/v1/tickets",
            Some(&w.ent_a.token),
            json!({"kind": "problem", "category_id": w.category, "title": "t", "description": huge}),
        )
        .await;
    r.expect_error(413, "payload_too_large");
    // Chunked, without a Content-Length: cut off while reading.
    let status = chunked_post(&app, "/api/v1/tickets", &w.ent_a.token, 100, 1024).await;
    assert!(status.starts_with("HTTP/1.1 413"), "{status}");
}

/// Sends `chunks` chunks of `size` bytes with chunked transfer encoding over a raw socket;
/// returns the status line.
async fn chunked_post(
    app: &TestApp,
    path: &str,
    token: &str,
    chunks: usize,
    size: usize,
) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.expect("head");
    let chunk = format!("{size:x}\r\n{}\r\n", "x".repeat(size));
    for _ in 0..chunks {
        if stream.write_all(chunk.as_bytes()).await.is_err() {
            break; // the server may stop reading once it has refused
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

async fn validation_names_the_field(app: TestApp) {
    let w = app.world().await;
    let base = json!({"kind": "problem", "category_id": w.category, "title": "标题", "description": "描述"});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    let cases = [
        (with("title", json!("")), "title"),
        (with("title", json!("   ")), "title"),
        (with("title", json!("长".repeat(101))), "title"),
        (with("description", json!("")), "description"),
        (with("kind", json!("complaint")), "kind"),
        (with("kind", json!(3)), "kind"),
        (with("contact_phone", json!("12345")), "contact_phone"),
        (
            with("category_id", json!("0190c0de-0000-7000-8000-000000000000")),
            "category_id",
        ),
        (with("surprise", json!(true)), "surprise"),
        (
            json!({"kind": "problem", "title": "t", "description": "d"}),
            "category_id",
        ),
    ];
    for (body, field) in cases {
        let r = app
            .post("/api/v1/tickets", Some(&w.ent_a.token), body)
            .await;
        r.expect_error(422, "validation_failed");
        assert!(r.field(field).is_some(), "{field} not named: {}", r.text);
    }
    // Several faults at once are all named.
    let r = app
        .post(
            "/api/v1/tickets",
            Some(&w.ent_a.token),
            with("title", json!("")).tap(|b| b["description"] = json!("")),
        )
        .await;
    assert!(
        r.field("title").is_some() && r.field("description").is_some(),
        "{}",
        r.text
    );
    // Exactly 100 characters is fine.
    app.post(
        "/api/v1/tickets",
        Some(&w.ent_a.token),
        with("title", json!("长".repeat(100))),
    )
    .await
    .expect(201);
    // Enterprises: invalid credit code and phone.
    let r = app
        .post(
            "/api/v1/enterprises",
            Some(&w.admin.token),
            json!({"name": "丙公司", "credit_code": "91430112MA4L16JQ9X"}),
        )
        .await;
    r.expect_error(422, "validation_failed");
    assert!(
        r.field("credit_code")
            .expect("credit_code named")
            .contains("check character")
    );
    let r = app
        .post(
            "/api/v1/enterprises",
            Some(&w.admin.token),
            json!({"name": "丙公司", "credit_code": crate::helpers::credit_code(9), "contact_phone": "1234"}),
        )
        .await;
    assert!(r.field("contact_phone").is_some(), "{}", r.text);
    let r = app
        .post(
            "/api/v1/users",
            Some(&w.admin.token),
            json!({"username": "u1", "password": "short", "name": "", "role": "boss", "phone": "14012345678", "email": "x"}),
        )
        .await;
    r.expect_error(422, "validation_failed");
    // A wrong enumeration value is a shape error, caught before the rest is checked.
    assert!(r.field("role").is_some(), "{}", r.text);
    let r = app
        .post(
            "/api/v1/users",
            Some(&w.admin.token),
            json!({"username": "u1", "password": "short", "name": "", "role": "cadre", "phone": "14012345678", "email": "x"}),
        )
        .await;
    for field in ["username", "password", "name", "phone", "email"] {
        assert!(r.field(field).is_some(), "{field}: {}", r.text);
    }
}

trait Tap {
    fn tap(self, f: impl FnOnce(&mut Self)) -> Self;
}

impl Tap for Value {
    fn tap(mut self, f: impl FnOnce(&mut Self)) -> Self {
        f(&mut self);
        self
    }
}

async fn text_is_kept_exactly(app: TestApp) {
    let w = app.world().await;
    let titles = [
        "It's \"quoted\" — 引号「」",
        "<script>alert('x')</script>",
        "100% 完成_率",
        "😀 表情 🚀",
        "'; DROP TABLE tickets; --",
        "Robert'); DELETE FROM users WHERE ('1'='1",
        "  leading and trailing spaces  ",
        "tab\tand\nnewline",
    ];
    let mut ids = Vec::new();
    for title in titles {
        let t = app.file(&w.ent_a, &w.category, title).await;
        assert_eq!(t["title"], title);
        ids.push(t["id"].as_str().expect("id").to_string());
    }
    for (id, title) in ids.iter().zip(titles) {
        let t = app.detail(&w.ent_a, id).await;
        assert_eq!(t["title"], title);
        assert_eq!(t["description"], format!("{title}的详细情况"));
    }
    // A search is of words (docs/api.md, "Search"): % and _ are no wildcards (alone they
    // are no word, and find nothing rather than everything); an SQL fragment is just text.
    let search = |q: &'static str| search_titles(&app, &w.ent_a.token, q);
    assert_eq!(search("100%").await, ["100% 完成_率"]);
    assert!(search("%").await.is_empty());
    assert!(search("_").await.is_empty());
    assert_eq!(search("完成_率").await, ["100% 完成_率"]);
    assert_eq!(search("DROP TABLE").await, ["'; DROP TABLE tickets; --"]);
    assert_eq!(search("表情").await, ["😀 表情 🚀"]);
    assert_eq!(
        search("SCRIPT").await,
        ["<script>alert('x')</script>"],
        "case-insensitive"
    );
    // Users and tickets are still all there.
    let list = app
        .get("/api/v1/tickets?limit=100", Some(&w.admin.token))
        .await
        .expect(200);
    assert_eq!(list["items"].as_array().expect("items").len(), titles.len());
    app.get("/api/v1/me", Some(&w.admin.token))
        .await
        .expect(200);
}

async fn search_titles(app: &TestApp, token: &str, q: &str) -> Vec<String> {
    let r = app
        .get(&format!("/api/v1/tickets?q={}", urlencode(q)), Some(token))
        .await
        .expect(200);
    r["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|t| t["title"].as_str().expect("title").to_string())
        .collect()
}

pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

async fn tokens_are_required_and_checked(app: TestApp) {
    let w = app.world().await;
    app.get("/api/v1/tickets", None)
        .await
        .expect_error(401, "missing_token");
    let r = app
        .send(
            app.client
                .get(app.url("/api/v1/tickets"))
                .header("Authorization", "Basic YWRtaW46eA=="),
        )
        .await;
    r.expect_error(401, "invalid_token");
    assert_eq!(
        r.headers
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
    app.get("/api/v1/tickets", Some("not.a.jwt"))
        .await
        .expect_error(401, "invalid_token");
    // Signed with another key.
    let other = qiyeshao::auth::TokenKeys::new(&[1u8; 32], 900);
    let forged = other
        .issue(
            &qiyeshao::auth::Principal {
                user_id: w.admin.id.clone(),
                role: qiyeshao::domain::ticket::Role::Admin,
                department_id: None,
                enterprise_id: None,
                must_change_password: false,
                consent_required: false,
            },
            qiyeshao::domain::time::Clock::now(&app.clock),
        )
        .expect("token");
    app.get("/api/v1/tickets", Some(&forged))
        .await
        .expect_error(401, "invalid_token");
    // Expired: the app's clock moves past the token's life.
    app.clock.advance(chrono::Duration::seconds(
        app.settings.auth.access_token_ttl_secs + 1,
    ));
    app.get("/api/v1/tickets", Some(&w.admin.token))
        .await
        .expect_error(401, "token_expired");
}

async fn roles_are_enforced(app: TestApp) {
    let w = app.world().await;
    let r = app
        .post(
            "/api/v1/departments",
            Some(&w.ent_a.token),
            json!({"name": "新部门"}),
        )
        .await;
    r.expect_error(403, "forbidden");
    app.post(
        "/api/v1/departments",
        Some(&w.dispatcher.token),
        json!({"name": "新部门"}),
    )
    .await
    .expect_error(403, "forbidden");
    app.post("/api/v1/users", Some(&w.cadre_a.token), json!({}))
        .await
        .expect_error(403, "forbidden");
    app.get("/api/v1/users", Some(&w.ent_a.token))
        .await
        .expect_error(403, "forbidden");
    app.get("/api/v1/enterprises", Some(&w.cadre_a.token))
        .await
        .expect_error(403, "forbidden");
    let id = app.file(&w.ent_a, &w.category, "角色").await["id"]
        .as_str()
        .expect("id")
        .to_string();
    let r = app.act(&w.ent_a, &id, "accept", json!({})).await;
    r.expect_error(403, "forbidden");
    assert!(
        r.body["message"]
            .as_str()
            .expect("message")
            .contains("enterprise")
    );
    let list = app
        .get("/api/v1/departments", Some(&w.admin.token))
        .await
        .expect(200);
    assert_eq!(list["items"].as_array().expect("items").len(), 3);
}

async fn duplicates_conflict(app: TestApp) {
    let w = app.world().await;
    let r = app
        .post(
            "/api/v1/users",
            Some(&w.admin.token),
            json!({"username": "CADRE.A", "password": "Another-pass-1", "name": "重名", "role": "dispatcher"}),
        )
        .await;
    r.expect_error(409, "duplicate");
    assert!(
        r.body["message"]
            .as_str()
            .expect("message")
            .contains("username")
    );
    let r = app
        .post(
            "/api/v1/enterprises",
            Some(&w.admin.token),
            json!({"name": "另一家", "credit_code": crate::helpers::credit_code(1).to_lowercase()}),
        )
        .await;
    r.expect_error(409, "duplicate");
    assert!(
        r.body["message"]
            .as_str()
            .expect("message")
            .contains("credit code")
    );
    app.post(
        "/api/v1/departments",
        Some(&w.admin.token),
        json!({"name": "部门甲"}),
    )
    .await
    .expect_error(409, "duplicate");
    app.post(
        "/api/v1/categories",
        Some(&w.admin.token),
        json!({"name": "用电报装", "deadline_days": 3}),
    )
    .await
    .expect_error(409, "duplicate");
    // Renaming onto another's name conflicts too, and changes nothing.
    let r = app
        .patch(
            &format!("/api/v1/departments/{}", w.dept_b),
            Some(&w.admin.token),
            json!({"name": "部门甲"}),
        )
        .await;
    r.expect_error(409, "duplicate");
    let d = app
        .get(
            &format!("/api/v1/departments/{}", w.dept_b),
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    assert_eq!(d["name"], "部门乙");
}

async fn bad_queries(app: TestApp) {
    let w = app.world().await;
    for (query, field) in [
        ("limit=abc", None),
        ("limit=0", Some("limit")),
        ("limit=101", Some("limit")),
        ("status=open", Some("status")),
        ("kind=complaint", Some("kind")),
        ("cursor=zzz", Some("cursor")),
        ("created_from=yesterday", Some("created_from")),
        ("overdue=maybe", None),
        ("unknown=1", None),
    ] {
        let r = app
            .get(&format!("/api/v1/tickets?{query}"), Some(&w.admin.token))
            .await;
        r.expect_error(400, "invalid_query");
        if let Some(f) = field {
            assert!(r.field(f).is_some(), "{query}: {}", r.text);
        }
    }
    let r = app.get("/api/v1/nothing-here", Some(&w.admin.token)).await;
    r.expect_error(404, "not_found");
    let r = app
        .send(
            app.client
                .delete(app.url("/api/v1/tickets"))
                .bearer_auth(&w.admin.token),
        )
        .await;
    r.expect_error(405, "method_not_allowed");
}

async fn security_headers(app: TestApp) {
    let r = app.get("/healthz", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["x-content-type-options"], "nosniff");
    assert_eq!(r.headers["referrer-policy"], "no-referrer");
    assert_eq!(r.headers["x-frame-options"], "DENY");
    assert_eq!(
        r.headers["content-security-policy"],
        "default-src 'none'; frame-ancestors 'none'"
    );
    assert_eq!(r.body["status"], "ok");
    // Errors too; and no CORS unless configured: a cross-origin page gets no permission.
    let r = app
        .send(
            app.client
                .get(app.url("/api/v1/tickets"))
                .header("origin", "https://evil.example"),
        )
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.headers["content-security-policy"],
        "default-src 'none'; frame-ancestors 'none'"
    );
    assert!(!r.headers.contains_key("access-control-allow-origin"));
    let preflight = app
        .send(
            app.client
                .request(reqwest::Method::OPTIONS, app.url("/api/v1/tickets"))
                .header("origin", "https://evil.example")
                .header("access-control-request-method", "POST"),
        )
        .await;
    assert!(
        !preflight
            .headers
            .contains_key("access-control-allow-origin")
    );
    // The API viewer keeps its own scripts but may not be framed.
    let docs = app.get("/api/docs/", None).await;
    assert_eq!(docs.status, 200);
    assert_eq!(
        docs.headers["content-security-policy"],
        "frame-ancestors 'none'"
    );
    let r = app.get("/readyz", None).await;
    assert_eq!(r.body["status"], "ready");
    let expected = match app.backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgresql",
    };
    assert_eq!(r.body["database"], expected);
}

/// A failure nobody foresaw is a 500 that says nothing of its cause: no SQL, no table names.
async fn unexpected_failures_are_opaque(app: TestApp) {
    use diesel::RunQueryDsl;
    let w = app.world().await;
    let id = app.ticket_in_progress(&w).await;
    {
        let mut conn = app.db.conn().expect("connection");
        // On PostgreSQL the attachments' foreign key must go with it.
        let drop = match app.backend {
            Backend::Sqlite => "DROP TABLE comments",
            Backend::Postgres => "DROP TABLE comments CASCADE",
        };
        diesel::sql_query(drop).execute(&mut *conn).expect("drop");
    }
    let r = app
        .get(&format!("/api/v1/tickets/{id}"), Some(&w.cadre_a.token))
        .await;
    r.expect_error(500, "internal_error");
    assert_eq!(
        r.body,
        serde_json::json!({"error": "internal_error", "message": "internal error"})
    );
    assert!(!r.text.to_lowercase().contains("comments"), "{}", r.text);
}

both_backends!(
    unexpected_failures_are_opaque,
    malformed_and_misdeclared_bodies,
    oversized_bodies,
    validation_names_the_field,
    text_is_kept_exactly,
    tokens_are_required_and_checked,
    roles_are_enforced,
    duplicates_conflict,
    bad_queries,
    security_headers,
);

/// With every connection of the pool taken, requests wait the configured time and are then
/// answered 503, and readiness says so; when connections come back, so does service.
async fn database_unavailable(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.database.max_connections = 1;
        s.database.acquire_timeout_ms = 300;
    })
    .await;
    let w = app.world().await;
    let held = app.db.conn().expect("the only connection");
    let started = std::time::Instant::now();
    let r = app.get("/api/v1/tickets", Some(&w.admin.token)).await;
    r.expect_error(503, "database_unavailable");
    assert!(r.headers.contains_key("retry-after"));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "failed fast"
    );
    let r = app.get("/readyz", None).await;
    assert_eq!(r.status, 503);
    assert_eq!(r.body["status"], "not_ready");
    drop(held);
    app.get("/api/v1/tickets", Some(&w.admin.token))
        .await
        .expect(200);
    assert_eq!(app.get("/readyz", None).await.status, 200);
}

crate::tests!(
    #[each_backend]
    database_unavailable,
);
