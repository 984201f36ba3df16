//! What the web pages need of the API: SMS codes, enterprise registration, attachments, the
//! enterprise import, the workbench's counts, and the pages themselves.

use chrono::Duration;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Resp, TestApp, User, credit_code, multipart_file, spawn_app_with};
use crate::sms_gateways::Phones;

async fn upload(app: &TestApp, user: &User, file_name: &str, bytes: &[u8]) -> Resp {
    app.post_file("/api/v1/attachments", &user.token, file_name, bytes)
        .await
}

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
const JPEG: &[u8] = b"\xFF\xD8\xFF\xE0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0\xFF\xD9";

/// The status and bytes of an attachment as `token` gets it.
async fn fetch(app: &TestApp, id: &str, token: &str) -> (u16, Vec<u8>, String) {
    let res = app
        .client
        .get(app.url(&format!("/api/v1/attachments/{id}")))
        .bearer_auth(token)
        .send()
        .await
        .expect("sent");
    let status = res.status().as_u16();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (
        status,
        res.bytes().await.expect("body").to_vec(),
        content_type,
    )
}

async fn ticket_count(app: &TestApp, admin: &User) -> usize {
    app.get("/api/v1/tickets?limit=100", Some(&admin.token))
        .await
        .expect(200)["items"]
        .as_array()
        .expect("items")
        .len()
}

async fn attachments_are_typed_by_their_bytes_and_shown_only_in_scope(app: TestApp) {
    let w = app.world().await;
    // The type comes from the bytes: a PNG named .pdf is a PNG; a web page named .jpg and
    // an SVG (which can carry script) are refused.
    let png = upload(&app, &w.ent_a, "现场照片.pdf", PNG)
        .await
        .expect(201);
    assert_eq!(png["content_type"], "image/png");
    assert_eq!(png["file_name"], "现场照片.pdf");
    assert_eq!(png["size"], PNG.len());
    assert!(png["ticket_id"].is_null());
    for (name, bytes) in [
        ("photo.jpg", &b"<html><script>alert(1)</script></html>"[..]),
        (
            "chart.svg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script/></svg>",
        ),
    ] {
        upload(&app, &w.ent_a, name, bytes)
            .await
            .expect_error(415, "unsupported_type");
    }
    upload(&app, &w.ent_a, "empty.png", b"")
        .await
        .expect_error(400, "empty_file");
    let (content_type, body) = multipart_file("other", "a.png", PNG);
    app.send(
        app.client
            .post(app.url("/api/v1/attachments"))
            .bearer_auth(&w.ent_a.token)
            .header("content-type", content_type)
            .body(body),
    )
    .await
    .expect_error(400, "missing_file");
    app.send(
        app.client
            .post(app.url("/api/v1/attachments"))
            .bearer_auth(&w.ent_a.token)
            .header("content-type", "image/png")
            .body(PNG.to_vec()),
    )
    .await
    .expect_error(415, "unsupported_media_type");
    let anonymous = app
        .send(
            app.client
                .post(app.url("/api/v1/attachments"))
                .body(PNG.to_vec()),
        )
        .await;
    assert_eq!(anonymous.status, 401);

    // Before it is attached, only its uploader has it.
    let png_id = png["id"].as_str().unwrap().to_string();
    let (status, bytes, content_type) = fetch(&app, &png_id, &w.ent_a.token).await;
    assert_eq!((status, bytes.as_slice()), (200, PNG));
    assert_eq!(content_type, "image/png");
    for other in [&w.ent_a2, &w.ent_b, &w.admin] {
        assert_eq!(fetch(&app, &png_id, &other.token).await.0, 404);
    }

    // A photo of several megabytes goes to disk as it arrives and comes back byte for byte,
    // with its length and checksum.
    let mut big = JPEG.to_vec();
    big.extend((0..3_000_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
    let stored = upload(&app, &w.ent_a, "大图.jpg", &big).await.expect(201);
    assert_eq!(stored["size"], big.len());
    assert_eq!(stored["content_type"], "image/jpeg");
    let stored_id = stored["id"].as_str().unwrap().to_string();
    let row = app
        .db
        .read(|c| -> Result<_, qiyeshao::error::AppError> {
            Ok(qiyeshao::db::attachments::find(c, &stored_id)?)
        })
        .unwrap()
        .unwrap();
    assert_eq!(row.sha256, qiyeshao::auth::sha256_hex(&big));
    let (status, bytes, _) = fetch(&app, stored["id"].as_str().unwrap(), &w.ent_a.token).await;
    assert_eq!(status, 200);
    assert!(bytes == big, "{} bytes back for {}", bytes.len(), big.len());

    // Filing with it attaches it; then whoever may see the ticket has it.
    let jpeg = upload(&app, &w.ent_a, "2.jpg", JPEG).await.expect(201);
    let jpeg_id = jpeg["id"].as_str().unwrap().to_string();
    let t = app
        .post(
            "/api/v1/tickets",
            Some(&w.ent_a.token),
            json!({"kind": "problem", "category_id": w.category, "title": "厂区道路破损",
                   "description": "见照片", "attachment_ids": [png_id, jpeg_id]}),
        )
        .await
        .expect(201);
    let ticket = t["id"].as_str().unwrap().to_string();
    let detail = app.detail(&w.ent_a, &ticket).await;
    let listed: Vec<&str> = detail["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [png_id.as_str(), jpeg_id.as_str()]);
    assert_eq!(detail["attachments"][0]["ticket_id"], ticket);
    for allowed in [&w.ent_a, &w.ent_a2, &w.dispatcher, &w.admin, &w.liaison] {
        assert_eq!(fetch(&app, &png_id, &allowed.token).await.0, 200);
    }
    for refused in [&w.ent_b, &w.cadre_a, &w.cadre_b] {
        assert_eq!(fetch(&app, &png_id, &refused.token).await.0, 404);
    }
    app.act(
        &w.dispatcher,
        &ticket,
        "assign",
        json!({"department_id": w.dept_a, "assignee_id": w.cadre_a.id}),
    )
    .await
    .expect(200);
    assert_eq!(fetch(&app, &jpeg_id, &w.cadre_a.token).await.0, 200);
    // The cadre's page names the enterprise and the people on the timeline.
    let seen = app.detail(&w.cadre_a, &ticket).await;
    assert_eq!(seen["enterprise_name"], "甲企业有限公司");
    let people = seen["people"].as_object().unwrap();
    for who in [&w.ent_a, &w.dispatcher, &w.cadre_a] {
        assert!(people.contains_key(&who.id), "{who:?}: {people:?}");
    }
    assert_eq!(fetch(&app, &jpeg_id, &w.cadre_b.token).await.0, 404);

    // An attachment goes on one ticket only; a refused filing writes nothing.
    let before = ticket_count(&app, &w.admin).await;
    let again = app
        .post(
            "/api/v1/tickets",
            Some(&w.ent_a.token),
            json!({"kind": "problem", "category_id": w.category, "title": "再次提交",
                   "description": "同一张照片", "attachment_ids": [png_id]}),
        )
        .await;
    again.expect_error(422, "validation_failed");
    assert!(again.field("attachment_ids").is_some(), "{}", again.text);
    // Nor someone else's upload.
    let theirs = upload(&app, &w.ent_b, "b.png", PNG).await.expect(201);
    let r = app
        .post(
            "/api/v1/tickets",
            Some(&w.ent_a.token),
            json!({"kind": "problem", "category_id": w.category, "title": "别人的照片",
                   "description": "x", "attachment_ids": [theirs["id"]]}),
        )
        .await;
    r.expect_error(422, "validation_failed");
    // Nor more than nine.
    let mut ten = Vec::new();
    for i in 0..10 {
        ten.push(
            upload(&app, &w.ent_a, &format!("{i}.png"), PNG)
                .await
                .expect(201)["id"]
                .clone(),
        );
    }
    let r = app
        .post(
            "/api/v1/tickets",
            Some(&w.ent_a.token),
            json!({"kind": "problem", "category_id": w.category, "title": "十张照片",
                   "description": "x", "attachment_ids": ten}),
        )
        .await;
    r.expect_error(422, "validation_failed");
    assert_eq!(ticket_count(&app, &w.admin).await, before);
    // Nine may go with the enterprise's supplement (补充材料).
    let nine: Vec<Value> = ten[..9].to_vec();
    app.post(
        &format!("/api/v1/tickets/{ticket}/comments"),
        Some(&w.ent_a.token),
        json!({"body": "补充照片", "attachment_ids": nine}),
    )
    .await
    .expect(201);
    assert_eq!(
        app.detail(&w.ent_a, &ticket).await["attachments"]
            .as_array()
            .unwrap()
            .len(),
        11
    );

    // A file on an internal comment is for staff only.
    let internal = upload(&app, &w.cadre_a, "内部.pdf", b"%PDF-1.7\n%%EOF\n")
        .await
        .expect(201);
    assert_eq!(internal["content_type"], "application/pdf");
    let internal_id = internal["id"].as_str().unwrap().to_string();
    app.post(
        &format!("/api/v1/tickets/{ticket}/comments"),
        Some(&w.cadre_a.token),
        json!({"body": "内部材料", "internal": true, "attachment_ids": [internal_id]}),
    )
    .await
    .expect(201);
    let seen_by = |detail: &Value| {
        detail["attachments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == internal_id.as_str())
    };
    assert!(seen_by(&app.detail(&w.cadre_a, &ticket).await));
    assert!(!seen_by(&app.detail(&w.ent_a, &ticket).await));
    assert_eq!(fetch(&app, &internal_id, &w.ent_a.token).await.0, 404);
    let (status, bytes, content_type) = fetch(&app, &internal_id, &w.dispatcher.token).await;
    assert_eq!(status, 200);
    assert!(bytes.starts_with(b"%PDF-"));
    assert_eq!(content_type, "application/pdf");

    // A file's answer cannot run anything if opened on its own.
    let res = app
        .client
        .get(app.url(&format!("/api/v1/attachments/{png_id}")))
        .bearer_auth(&w.ent_a.token)
        .send()
        .await
        .unwrap();
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(
        header("content-security-policy"),
        "default-src 'none'; sandbox"
    );
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert!(
        header("content-disposition").contains("filename*=UTF-8''"),
        "{}",
        header("content-disposition")
    );
    assert_eq!(fetch(&app, "not-a-uuid", &w.ent_a.token).await.0, 404);
}

async fn unattached_uploads_are_removed_after_a_day(app: TestApp) {
    let w = app.world().await;
    let kept = upload(&app, &w.ent_a, "kept.png", PNG).await.expect(201);
    let dropped = upload(&app, &w.ent_a, "dropped.png", PNG).await.expect(201);
    app.post(
        "/api/v1/tickets",
        Some(&w.ent_a.token),
        json!({"kind": "problem", "category_id": w.category, "title": "有照片",
               "description": "x", "attachment_ids": [kept["id"]]}),
    )
    .await
    .expect(201);
    let dir = app.settings.attachments_dir();
    let now = chrono::Utc::now();
    // Within the day nothing goes.
    qiyeshao::background::housekeeping::housekeep(
        &app.db,
        &app.settings,
        now + Duration::hours(23),
    )
    .unwrap();
    assert_eq!(walk(&dir).len(), 2);
    qiyeshao::background::housekeeping::housekeep(
        &app.db,
        &app.settings,
        now + Duration::hours(25),
    )
    .unwrap();
    let left = walk(&dir);
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0].ends_with(kept["id"].as_str().unwrap()), "{left:?}");
    let owner = app.reissue(&w.ent_a);
    let dropped_id = dropped["id"].as_str().unwrap();
    assert_eq!(fetch(&app, dropped_id, &owner.token).await.0, 404);
    assert_eq!(
        fetch(&app, kept["id"].as_str().unwrap(), &owner.token)
            .await
            .0,
        200
    );
    // And again: nothing more to do, no error.
    qiyeshao::background::housekeeping::housekeep(
        &app.db,
        &app.settings,
        now + Duration::hours(26),
    )
    .unwrap();

    // Files nothing reads go a day after they were last written: a partial upload a crash
    // left, and a file whose record is gone. Younger ones, and recorded ones, stay.
    let shard = walk(&dir)[0].parent().unwrap().to_path_buf();
    let partial = shard.join("0190c0de-0000-7000-8000-00000000aa01.part");
    let unrecorded = shard.join("0190c0de-0000-7000-8000-00000000aa02");
    let young = shard.join("0190c0de-0000-7000-8000-00000000aa03.part");
    for file in [&partial, &unrecorded, &young] {
        std::fs::write(file, PNG).unwrap();
    }
    let two_days_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 86_400);
    for file in [&partial, &unrecorded] {
        std::fs::File::options()
            .write(true)
            .open(file)
            .unwrap()
            .set_modified(two_days_ago)
            .unwrap();
    }
    let removed =
        qiyeshao::background::housekeeping::housekeep(&app.db, &app.settings, now).unwrap();
    assert_eq!(removed, 2);
    let mut left: Vec<_> = walk(&dir)
        .into_iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    left.sort();
    let mut expected = vec![
        kept["id"].as_str().unwrap().to_string(),
        "0190c0de-0000-7000-8000-00000000aa03.part".to_string(),
    ];
    expected.sort();
    assert_eq!(left, expected);
}

async fn oversized_uploads_are_refused_and_not_kept(app: TestApp) {
    let w = app.world().await;
    let max = app.settings.attachments.max_bytes as usize;
    let mut big = PNG.to_vec();
    big.resize(max + 1, 0);
    upload(&app, &w.ent_a, "big.png", &big)
        .await
        .expect_error(413, "too_large");
    let mut fits = PNG.to_vec();
    fits.resize(max, 0);
    let ok = upload(&app, &w.ent_a, "fits.png", &fits).await.expect(201);
    assert_eq!(ok["size"], max);
    // Only the one that fitted is stored.
    let dir = app.settings.attachments_dir();
    let stored: Vec<_> = walk(&dir);
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(std::fs::metadata(&stored[0]).unwrap().len() as usize, max);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The SMS-code messages to `phone` in the outbox, newest first, as an administrator reads them.
async fn codes_in_outbox(app: &TestApp, admin: &User, phone: &str) -> Vec<Value> {
    let list = app
        .get(
            &format!("/api/v1/notifications?event=sms_code&recipient={phone}"),
            Some(&admin.token),
        )
        .await
        .expect(200);
    list["items"].as_array().expect("items").clone()
}

/// The newest SMS-code message to `phone` once the worker has finished with it.
async fn settled_code_message(app: &TestApp, admin: &User, phone: &str) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let newest = codes_in_outbox(app, admin, phone).await[0].clone();
        if newest["status"] == "sent" || newest["status"] == "failed" {
            return newest;
        }
        assert!(std::time::Instant::now() < deadline, "{newest}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

async fn ask_code(app: &TestApp, phone: &str, purpose: &str) -> Resp {
    app.post(
        "/api/v1/auth/sms-code",
        None,
        json!({"phone": phone, "purpose": purpose}),
    )
    .await
}

async fn sms_codes_sign_in_once_and_are_limited(app: TestApp, phones: Phones) {
    let w = app.world().await;
    let phone = "13911112222";
    app.set_contact(&w.ent_a, Some(phone), None);
    let sent = ask_code(&app, phone, "login").await.expect(202);
    assert_eq!(sent["expires_in"], 300);
    assert_eq!(sent["resend_after"], 60);
    // Once a minute.
    let again = ask_code(&app, phone, "login").await;
    again.expect_error(429, "too_many_requests");
    assert_eq!(again.headers["retry-after"], "60");
    let code = phones.next_code(phone).await;
    assert_eq!(code.len(), 6, "{code}");
    assert!(code.chars().all(|c| c.is_ascii_digit()), "{code}");
    let login = |code: String| {
        let app = &app;
        async move {
            app.post(
                "/api/v1/auth/sms-login",
                None,
                json!({"phone": phone, "code": code}),
            )
            .await
        }
    };
    let wrong = if code == "000000" { "111111" } else { "000000" };
    login(wrong.into()).await.expect_error(401, "invalid_code");
    let session = login(code.clone()).await.expect(200);
    assert_eq!(session["user"]["id"], w.ent_a.id.as_str());
    let token = session["access_token"].as_str().unwrap();
    assert_eq!(
        app.get("/api/v1/me", Some(token)).await.expect(200)["role"],
        "enterprise"
    );
    // Used once only.
    login(code.clone()).await.expect_error(401, "invalid_code");
    // Once sent, the outbox withholds the code: an administrator cannot sign in with it.
    let sent = settled_code_message(&app, &w.admin, phone).await;
    assert_eq!(sent["status"], "sent", "{sent}");
    let shown = sent.to_string();
    assert!(!shown.contains(&code), "{shown}");
    assert!(shown.contains("验证码******"), "{shown}");
    assert_eq!(sent["template_params"][0][1], "******", "{shown}");
    // A code the gateway refused is withheld too, and is not sent again.
    app.clock.advance(Duration::seconds(61));
    phones.refuse(true);
    ask_code(&app, phone, "login").await.expect(202);
    let failed = settled_code_message(&app, &w.admin, phone).await;
    phones.refuse(false);
    assert_eq!(failed["status"], "failed", "{failed}");
    assert!(
        failed["body"].as_str().unwrap().contains("******"),
        "{failed}"
    );
    app.post(
        &format!(
            "/api/v1/notifications/{}/retry",
            failed["id"].as_str().unwrap()
        ),
        Some(&w.admin.token),
        json!({}),
    )
    .await
    .expect_error(409, "not_retryable");

    // Five wrong tries use a code up.
    app.clock.advance(Duration::seconds(61));
    ask_code(&app, phone, "login").await.expect(202);
    let code = phones.next_code(phone).await;
    for _ in 0..5 {
        login(wrong.into()).await.expect_error(401, "invalid_code");
    }
    login(code.clone()).await.expect_error(401, "invalid_code");
    // And codes run out after five minutes.
    app.clock.advance(Duration::seconds(61));
    ask_code(&app, phone, "login").await.expect(202);
    let code = phones.next_code(phone).await;
    app.clock.advance(Duration::seconds(301));
    login(code).await.expect_error(401, "invalid_code");
    // A register code does not sign in.
    ask_code(&app, phone, "register").await.expect(202);
    let code = phones.next_code(phone).await;
    login(code).await.expect_error(401, "invalid_code");

    // Code-first: a number without an account gets a code too, which proves the number for
    // registering it (tests/api/members.rs follows that path).
    ask_code(&app, "13722223333", "login").await.expect(202);
    let code = phones.next_code("13722223333").await;
    let proven = app
        .post(
            "/api/v1/auth/sms-login",
            None,
            json!({"phone": "13722223333", "code": code}),
        )
        .await
        .expect(202);
    assert!(proven["phone_proof"].is_string(), "{proven}");
    // Bad input.
    let bad = ask_code(&app, "12345", "login").await;
    bad.expect_error(422, "validation_failed");
    assert!(bad.field("phone").is_some());
    assert_eq!(ask_code(&app, phone, "unlock").await.status, 422);
    // Ten a day at most (the refused one counts).
    for _ in 0..5 {
        app.clock.advance(Duration::seconds(61));
        ask_code(&app, phone, "login").await.expect(202);
    }
    app.clock.advance(Duration::seconds(61));
    ask_code(&app, phone, "login")
        .await
        .expect_error(429, "too_many_requests");
    app.clock.advance(Duration::hours(24));
    ask_code(&app, phone, "login").await.expect(202);
}

async fn enterprises_register_with_their_credit_code(app: TestApp, phones: Phones) {
    let w = app.world().await;
    let phone = "13600001111";
    let code_of = |n| credit_code(n);
    let register = |body: Value| {
        let app = &app;
        async move { app.post("/api/v1/auth/register", None, body).await }
    };
    ask_code(&app, phone, "register").await.expect(202);
    let code = phones.next_code(phone).await;
    let good = json!({
        "credit_code": code_of(501), "enterprise_name": "望城新材料有限公司",
        "contact_name": "周敏", "phone": phone, "code": code, "password": "Xincai2026",
        "consent_version": 1,
    });
    // Bad fields are all named, and the code is not used up by them.
    let mut bad = good.clone();
    bad["credit_code"] = json!("91430112000000501X");
    bad["password"] = json!("short");
    bad["enterprise_name"] = json!(" ");
    let r = register(bad).await;
    r.expect_error(422, "validation_failed");
    for field in ["credit_code", "password", "enterprise_name"] {
        assert!(r.field(field).is_some(), "{field}: {}", r.text);
    }
    let mut wrong_code = good.clone();
    wrong_code["code"] = json!(if code == "000000" { "111111" } else { "000000" });
    register(wrong_code).await.expect_error(401, "invalid_code");

    let session = register(good.clone()).await.expect(201);
    assert_eq!(session["user"]["role"], "enterprise");
    assert_eq!(session["user"]["username"], phone);
    let token = session["access_token"].as_str().unwrap().to_string();
    let enterprise_id = session["user"]["enterprise_id"]
        .as_str()
        .unwrap()
        .to_string();
    let e = app
        .get(
            &format!("/api/v1/enterprises/{enterprise_id}"),
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    assert_eq!(e["credit_code"], code_of(501));
    assert_eq!(e["name"], "望城新材料有限公司");
    assert_eq!(e["contact_phone"], phone);
    // The new account files requests and signs in with its password.
    let me = User {
        id: session["user"]["id"].as_str().unwrap().into(),
        token,
    };
    app.file(&me, &w.category, "新厂房用电报装").await;
    app.login(phone, "Xincai2026").await.expect(200);

    // The phone cannot register twice.
    app.clock.advance(Duration::seconds(61));
    ask_code(&app, phone, "register").await.expect(202);
    let mut twice = good.clone();
    twice["code"] = json!(phones.next_code(phone).await);
    twice["credit_code"] = json!(code_of(502));
    register(twice).await.expect_error(409, "phone_registered");
    // An enterprise known with another contact phone cannot be claimed.
    let other = "13600002222";
    ask_code(&app, other, "register").await.expect(202);
    let claim = json!({
        "credit_code": credit_code(1), "enterprise_name": "甲企业有限公司",
        "contact_name": "冒名者", "phone": other,
        "code": phones.next_code(other).await, "password": "Maoming2026", "consent_version": 1,
    });
    register(claim)
        .await
        .expect_error(409, "enterprise_registered");
    // An imported enterprise whose contact is this phone is joined, not duplicated.
    app.patch(
        &format!("/api/v1/enterprises/{}", w.enterprise_b),
        Some(&w.admin.token),
        json!({"contact_phone": "13600003333"}),
    )
    .await
    .expect(200);
    let third = "13600003333";
    ask_code(&app, third, "register").await.expect(202);
    let join = json!({
        "credit_code": credit_code(2), "enterprise_name": "乙企业有限公司",
        "contact_name": "联系人", "phone": third,
        "code": phones.next_code(third).await, "password": "Yiqiye2026", "consent_version": 1,
    });
    let joined = register(join).await.expect(201);
    assert_eq!(joined["user"]["enterprise_id"], w.enterprise_b.as_str());
}

/// An .xlsx with a header row and these rows.
pub(crate) fn workbook(header: &[&str], rows: &[Vec<&str>]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if v.is_empty() {
                continue;
            }
            // A phone typed as a number, as Excel users do.
            if let Ok(n) = v.parse::<f64>()
                && v.len() == 11
            {
                sheet.write_number(r as u32 + 1, c as u16, n).unwrap();
            } else {
                sheet.write_string(r as u32 + 1, c as u16, *v).unwrap();
            }
        }
    }
    book.save_to_buffer().unwrap()
}

const HEADER: [&str; 8] = [
    "企业名称",
    "统一社会信用代码",
    "产业链",
    "所在区域",
    "地址",
    "联系人",
    "联系电话",
    "联络干部",
];

async fn enterprise_count(app: &TestApp, admin: &User) -> usize {
    app.get("/api/v1/enterprises?limit=100", Some(&admin.token))
        .await
        .expect(200)["items"]
        .as_array()
        .unwrap()
        .len()
}

async fn enterprises_import_from_a_ledger_all_or_nothing(app: TestApp) {
    let w = app.world().await;
    let import = |query: &'static str, bytes: Vec<u8>, token: String| {
        let app = &app;
        async move {
            app.post_file(
                &format!("/api/v1/enterprises/import{query}"),
                &token,
                "企业台账.xlsx",
                &bytes,
            )
            .await
        }
    };
    let (new_code, a_code) = (credit_code(601), credit_code(1));
    let bad_code = format!("{}0", &credit_code(602)[..17]);
    let (c601, c603, c604, c605) = (
        new_code.clone(),
        credit_code(603),
        credit_code(604),
        credit_code(605),
    );
    let rows = vec![
        vec![
            "望城智造有限公司",
            c601.as_str(),
            "智能制造",
            "高塘岭街道",
            "望城大道1号",
            "刘洋",
            "13700001111",
            "cadre.a",
        ],
        vec![
            "甲企业有限公司（更名）",
            a_code.as_str(),
            "",
            "",
            "",
            "",
            "",
            "",
        ],
        vec!["错码公司", bad_code.as_str(), "", "", "", "", "", ""],
        vec!["", c603.as_str(), "", "", "", "", "", ""],
        vec!["坏电话公司", c604.as_str(), "", "", "", "", "12345", ""],
        vec!["无此干部公司", c605.as_str(), "", "", "", "", "", "nobody"],
        vec!["重复公司", c601.as_str(), "", "", "", "", "", ""],
    ];
    let before = enterprise_count(&app, &w.admin).await;
    let r = import("", workbook(&HEADER, &rows), w.admin.token.clone()).await;
    r.expect_error(422, "import_rejected");
    let errors: Vec<(u64, String)> = r.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap(),
                e["column"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [
            (4, "统一社会信用代码".to_string()),
            (5, "企业名称".to_string()),
            (6, "联系电话".to_string()),
            (7, "联络干部".to_string()),
            (8, "统一社会信用代码".to_string()),
        ],
        "{}",
        r.text
    );
    assert!(
        r.body["message"].as_str().unwrap().contains("5 of 7"),
        "{}",
        r.text
    );
    assert_eq!(enterprise_count(&app, &w.admin).await, before);

    // The good rows: a dry run says what would happen and writes nothing.
    let good = workbook(&HEADER, &rows[..2]);
    let dry = import("?dry_run=true", good.clone(), w.admin.token.clone())
        .await
        .expect(200);
    assert_eq!(
        (
            dry["rows"].as_u64(),
            dry["created"].as_u64(),
            dry["updated"].as_u64()
        ),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(enterprise_count(&app, &w.admin).await, before);
    let done = import("", good, w.admin.token.clone()).await.expect(200);
    assert_eq!(
        (done["created"].as_u64(), done["updated"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(enterprise_count(&app, &w.admin).await, before + 1);
    let found = app
        .get(
            &format!("/api/v1/enterprises?q={new_code}"),
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    let e = &found["items"][0];
    assert_eq!(e["name"], "望城智造有限公司");
    assert_eq!(e["contact_phone"], "13700001111");
    assert_eq!(e["liaison_cadre_id"], w.cadre_a.id.as_str());
    assert_eq!(e["industry_chain"], "智能制造");
    let a = app
        .get(
            &format!("/api/v1/enterprises/{}", w.enterprise_a),
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    assert_eq!(a["name"], "甲企业有限公司（更名）");
    // Empty cells keep what an enterprise had.
    assert_eq!(a["liaison_cadre_id"], w.liaison.id.as_str());

    // Columns in another order, extra columns ignored; the two required ones must be there.
    let shuffled = workbook(
        &["备注", "统一社会信用代码", "企业名称"],
        &[vec!["x", c603.as_str(), "换序公司"]],
    );
    assert_eq!(
        import("", shuffled, w.admin.token.clone())
            .await
            .expect(200)["created"],
        1
    );
    let r = import(
        "",
        workbook(&["名称", "代码"], &[vec!["a", "b"]]),
        w.admin.token.clone(),
    )
    .await;
    r.expect_error(400, "invalid_spreadsheet");
    assert!(r.text.contains("企业名称"), "{}", r.text);
    import("", b"not a workbook".to_vec(), w.admin.token.clone())
        .await
        .expect_error(400, "invalid_spreadsheet");
    import("", workbook(&HEADER, &[]), w.admin.token.clone())
        .await
        .expect_error(400, "invalid_spreadsheet");
    // Administrators only.
    for who in [&w.dispatcher, &w.cadre_a, &w.ent_a] {
        assert_eq!(
            import("", workbook(&HEADER, &rows[..1]), who.token.clone())
                .await
                .status,
            403
        );
    }

    // The template is a workbook with the header row.
    let res = app
        .client
        .get(app.url("/api/v1/enterprises/import-template.xlsx"))
        .bearer_auth(&w.admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.unwrap().to_vec();
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> =
        calamine::Xlsx::new(std::io::Cursor::new(bytes.clone())).unwrap();
    let name = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&name).unwrap();
    let header: Vec<String> = range
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(header, HEADER);
    // Imported back as it is, it is refused for having no rows.
    import("", bytes, w.admin.token.clone())
        .await
        .expect_error(400, "invalid_spreadsheet");
}

async fn the_workbench_counts_its_tabs(app: TestApp) {
    let w = app.world().await;
    let counts = |user: &User| {
        let app = &app;
        let token = user.token.clone();
        async move {
            app.get("/api/v1/tickets/counts", Some(&token))
                .await
                .expect(200)
        }
    };
    let zero = counts(&w.cadre_a).await;
    for tab in [
        "submitted",
        "accepted",
        "assigned",
        "in_progress",
        "due_soon",
        "overdue",
        "resolved",
        "closed",
    ] {
        assert_eq!(zero[tab], 0, "{tab}");
    }
    app.file(&w.ent_a, &w.category, "待受理").await;
    let assigned = app.file(&w.ent_a, &w.category, "待签收").await;
    let assigned = assigned["id"].as_str().unwrap().to_string();
    app.act(
        &w.dispatcher,
        &assigned,
        "assign",
        json!({"department_id": w.dept_a}),
    )
    .await
    .expect(200);
    let handling = app.ticket_in_progress(&w).await;
    let d = counts(&w.dispatcher).await;
    assert_eq!(
        (
            d["submitted"].as_i64(),
            d["assigned"].as_i64(),
            d["in_progress"].as_i64()
        ),
        (Some(1), Some(1), Some(1))
    );
    let a = counts(&w.cadre_a).await;
    assert_eq!(
        (
            a["submitted"].as_i64(),
            a["assigned"].as_i64(),
            a["in_progress"].as_i64()
        ),
        (Some(0), Some(1), Some(1))
    );
    let b = counts(&w.cadre_b).await;
    assert_eq!(
        (b["assigned"].as_i64(), b["in_progress"].as_i64()),
        (Some(0), Some(0))
    );
    let e = counts(&w.ent_b).await;
    assert_eq!(e["submitted"], 0);

    // Move the clock to within the due-soon window of the deadline, then past it.
    let due = app.detail(&w.cadre_a, &handling).await["due_at"]
        .as_str()
        .unwrap()
        .to_string();
    let due = chrono::DateTime::parse_from_rfc3339(&due)
        .unwrap()
        .with_timezone(&chrono::Utc);
    let window = Duration::hours(i64::from(app.settings.deadlines.due_soon_hours));
    app.clock.set(due - window + Duration::minutes(1));
    let (cadre_a, cadre_b) = (app.reissue(&w.cadre_a), app.reissue(&w.cadre_b));
    let a = counts(&cadre_a).await;
    assert!(a["due_soon"].as_i64().unwrap() >= 1, "{a}");
    assert_eq!(a["overdue"], 0);
    let soon = app
        .get("/api/v1/tickets?due_soon=true", Some(&cadre_a.token))
        .await
        .expect(200);
    let ids: Vec<&str> = soon["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&handling.as_str()), "{soon}");
    assert!(
        app.get("/api/v1/tickets?due_soon=true", Some(&cadre_b.token))
            .await
            .expect(200)["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    app.clock.set(due + Duration::minutes(1));
    let cadre_a = app.reissue(&w.cadre_a);
    let a = counts(&cadre_a).await;
    assert!(a["overdue"].as_i64().unwrap() >= 1, "{a}");
    let soon = app
        .get("/api/v1/tickets?due_soon=true", Some(&cadre_a.token))
        .await
        .expect(200);
    assert!(
        !soon["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == handling.as_str())
    );
    assert_eq!(app.get("/api/v1/tickets/counts", None).await.status, 401);
}

async fn actions_can_name_the_version_they_are_meant_for(app: TestApp) {
    let w = app.world().await;
    let t = app.file(&w.ent_a, &w.category, "版本校验").await;
    let id = t["id"].as_str().unwrap().to_string();
    let read = app
        .get(&format!("/api/v1/tickets/{id}"), Some(&w.dispatcher.token))
        .await;
    assert_eq!(read.headers["etag"], "\"1\"");
    // Someone else acts first; the page's action for version 1 is refused and changes nothing.
    app.act(&w.admin, &id, "accept", json!({}))
        .await
        .expect(200);
    let stale = app
        .send(
            app.client
                .post(app.url(&format!("/api/v1/tickets/{id}/reject")))
                .bearer_auth(&w.dispatcher.token)
                .header("if-match", "\"1\"")
                .json(&json!({"reason": "重复"})),
        )
        .await;
    stale.expect_error(412, "version_mismatch");
    let now = app.detail(&w.dispatcher, &id).await;
    assert_eq!(
        (now["status"].as_str(), now["version"].as_i64()),
        (Some("accepted"), Some(2))
    );
    // For the version it is, it goes through.
    for (header, status) in [("\"2\"", 200), ("\"2\"", 412)] {
        let r = app
            .send(
                app.client
                    .post(app.url(&format!("/api/v1/tickets/{id}/assign")))
                    .bearer_auth(&w.dispatcher.token)
                    .header("if-match", header)
                    .json(&json!({"department_id": w.dept_a})),
            )
            .await;
        assert_eq!(r.status, status, "{}", r.text);
    }
    let bad = app
        .send(
            app.client
                .post(app.url(&format!("/api/v1/tickets/{id}/urge")))
                .bearer_auth(&w.dispatcher.token)
                .header("if-match", "*")
                .json(&json!({"note": "x"})),
        )
        .await;
    bad.expect_error(400, "invalid_if_match");
}

async fn the_pages_are_served_with_a_strict_policy(app: TestApp) {
    let res = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let header = |res: &reqwest::Response, name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let csp = header(&res, "content-security-policy");
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(header(&res, "content-type").starts_with("text/html"));
    let etag = header(&res, "etag");
    let html = res.text().await.unwrap();
    assert!(html.contains("/assets/js/main."), "{html}");
    // No inline script: every script is a file of ours.
    assert!(!html.contains("<script>"), "{html}");
    let again = app
        .client
        .get(app.url("/"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    for (path, kind) in [
        ("/assets/js/main.js", "text/javascript"),
        ("/assets/app.css", "text/css"),
    ] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert!(header(&res, "content-type").starts_with(kind), "{path}");
    }
    for path in [
        "/assets/nope.js",
        "/assets/../Cargo.toml",
        "/assets/%2e%2e/Cargo.toml",
        "/assets/.hidden",
    ] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
    }
    // The links in messages lead to the page's routes.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let id = "01900000-0000-7000-8000-000000000001";
    for (path, to) in [
        (format!("/tickets/{id}"), format!("/#/t/{id}")),
        (format!("/tickets/{id}/rate"), format!("/#/t/{id}/rate")),
        ("/tickets/<script>".to_string(), "/#/t/c".to_string()),
    ] {
        let res = no_redirects.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), 302, "{path}");
        assert_eq!(header(&res, "location"), to, "{path}");
    }
}

/// A forgotten password of an enterprise account: a code sent for `reset` to its phone, and a
/// new password; the account signs in with it, its other sessions end. Nothing tells who has an
/// account, and staff reset theirs through an administrator.
async fn enterprises_reset_a_forgotten_password_by_sms(app: TestApp, phones: Phones) {
    let w = app.world().await;
    let phone = "13966667777";
    app.set_contact(&w.ent_a, Some(phone), None);
    let before = app
        .login("ent.a", crate::helpers::PASSWORD)
        .await
        .expect(200);
    ask_code(&app, phone, "reset").await.expect(202);
    let code = phones.next_code(phone).await;
    let reset = |phone: &str, code: &str, password: &str| {
        let body = json!({"phone": phone, "code": code, "new_password": password});
        let app = &app;
        async move { app.post("/api/v1/auth/password-reset", None, body).await }
    };
    // A weak password: refused before the code is looked at (the code still works after).
    let weak = reset(phone, &code, "weakpass").await;
    weak.expect_error(422, "validation_failed");
    assert!(weak.field("new_password").is_some(), "{}", weak.text);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    reset(phone, wrong, "Found-it-2026")
        .await
        .expect_error(401, "invalid_code");
    let session = reset(phone, &code, "Found-it-2026").await.expect(200);
    assert_eq!(session["user"]["id"], w.ent_a.id.as_str());
    assert_eq!(session["user"]["must_change_password"], false);
    // Once only; the old password and the sessions before are over.
    reset(phone, &code, "Again-it-2026")
        .await
        .expect_error(401, "invalid_code");
    app.login("ent.a", crate::helpers::PASSWORD)
        .await
        .expect_error(401, "invalid_credentials");
    app.login("ent.a", "Found-it-2026").await.expect(200);
    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({"refresh_token": before["refresh_token"]}),
    )
    .await
    .expect_error(401, "invalid_token");
    // A number without an account, and a staff member's, get the same answer and no code; a
    // reset with any code is a wrong code.
    let staff = "13955556666";
    app.set_contact(&w.cadre_a, Some(staff), None);
    for number in ["13944443333", staff] {
        let asked = ask_code(&app, number, "reset").await.expect(202);
        assert_eq!(asked["expires_in"], 300);
        reset(number, "123456", "Found-it-2026")
            .await
            .expect_error(401, "invalid_code");
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(phones.codes("13944443333").is_empty());
    assert!(phones.codes(staff).is_empty());
    app.login("cadre.a", crate::helpers::PASSWORD)
        .await
        .expect(200);
}

crate::with_phones!(
    enterprises_reset_a_forgotten_password_by_sms,
    sms_codes_sign_in_once_and_are_limited,
    enterprises_register_with_their_credit_code,
);

both_backends!(
    attachments_are_typed_by_their_bytes_and_shown_only_in_scope,
    enterprises_import_from_a_ledger_all_or_nothing,
    the_workbench_counts_its_tabs,
    the_pages_are_served_with_a_strict_policy,
    unattached_uploads_are_removed_after_a_day,
    actions_can_name_the_version_they_are_meant_for,
);

mod oversized {
    use super::*;
    use crate::helpers::Backend;

    async fn sqlite() {
        let app = spawn_app_with(Backend::Sqlite, |s| s.attachments.max_bytes = 4096).await;
        oversized_uploads_are_refused_and_not_kept(app).await;
    }

    async fn postgres() {
        let app = spawn_app_with(Backend::Postgres, |s| s.attachments.max_bytes = 4096).await;
        oversized_uploads_are_refused_and_not_kept(app).await;
    }

    crate::tests!(
        sqlite,
        #[needs(Postgres)]
        postgres
    );
}
