//! Guessing and weak passwords: sign-in limits per account and per address (with the
//! lockout's end), SMS codes per address, trusted proxies, the password rule.

use chrono::Duration;
use serde_json::json;

use crate::helpers::{Backend, PASSWORD, TestApp, User, spawn_app_with};

async fn accounts_lock_after_five_failures_until_the_window_passes(app: TestApp) {
    let w = app.world().await;
    for _ in 0..5 {
        app.login("cadre.a", "Wrong-pass-1")
            .await
            .expect_error(401, "invalid_credentials");
    }
    // Locked: even the right password is refused, before it is looked at.
    let locked = app.login("cadre.a", PASSWORD).await;
    locked.expect_error(429, "locked_out");
    // Retry-After says when: the fifteen minutes of the window (the page says so in Chinese).
    assert_eq!(locked.headers["retry-after"], "900", "{:?}", locked.headers);
    assert!(
        locked.body["message"]
            .as_str()
            .unwrap()
            .contains("15 more minute"),
        "{}",
        locked.text
    );
    // Other accounts are not affected.
    app.login("cadre.b", PASSWORD).await.expect(200);
    // The lock ends when the failures leave the window.
    app.clock.advance(Duration::minutes(14));
    let later = app.login("cadre.a", PASSWORD).await;
    later.expect_error(429, "locked_out");
    assert_eq!(later.headers["retry-after"], "60", "{:?}", later.headers);
    app.clock.advance(Duration::minutes(2));
    app.login("cadre.a", PASSWORD).await.expect(200);
    // A success forgets the account's failures: four more do not lock it.
    for _ in 0..4 {
        app.login("cadre.a", "Wrong-pass-1")
            .await
            .expect_error(401, "invalid_credentials");
    }
    app.login("cadre.a", PASSWORD).await.expect(200);
    // Names that do not exist are counted too (no telling them apart by the answer).
    for _ in 0..5 {
        app.login("nobody", "Wrong-pass-1")
            .await
            .expect_error(401, "invalid_credentials");
    }
    app.login("nobody", "Wrong-pass-1")
        .await
        .expect_error(429, "locked_out");
    let _ = w;
}

async fn spawn_strict(backend: Backend, trust_local_proxy: bool) -> TestApp {
    spawn_app_with(backend, move |s| {
        s.auth.max_failures_per_ip = 6;
        s.auth.sms_codes_per_ip_per_hour = 3;
        if trust_local_proxy {
            s.server.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        }
    })
    .await
}

async fn addresses_are_refused_after_many_failures(app: TestApp, trusted: bool) {
    let w = app.world().await;
    // Spread over accounts, so that no account locks: the address does.
    for i in 0..6 {
        let user = ["cadre.a", "cadre.b", "ent.a"][i % 3];
        app.login_forwarded_for(user, "Wrong-pass-1", "10.0.0.1")
            .await
            .expect_error(401, "invalid_credentials");
    }
    app.login_forwarded_for("admin", PASSWORD, "10.0.0.1")
        .await
        .expect_error(429, "too_many_requests");
    // Behind a trusted proxy, another client is another address; without trust, the header is
    // anyone's to write and the peer (the same) counts.
    let other = app.login_forwarded_for("admin", PASSWORD, "10.0.0.2").await;
    if trusted {
        other.expect(200);
    } else {
        other.expect_error(429, "too_many_requests");
    }
    // SMS codes: three an hour from one address, whatever the numbers.
    for (i, phone) in ["13911110001", "13911110002", "13911110003"]
        .iter()
        .enumerate()
    {
        app.set_contact([&w.ent_a, &w.ent_a2, &w.ent_b][i], Some(phone), None);
        app.post(
            "/api/v1/auth/sms-code",
            None,
            json!({"phone": phone, "purpose": "login"}),
        )
        .await
        .expect(202);
    }
    app.post(
        "/api/v1/auth/sms-code",
        None,
        json!({"phone": "13911110004", "purpose": "register"}),
    )
    .await
    .expect_error(429, "too_many_requests");
    app.clock.advance(Duration::minutes(61));
    app.post(
        "/api/v1/auth/sms-code",
        None,
        json!({"phone": "13911110004", "purpose": "register"}),
    )
    .await
    .expect(202);
}

async fn passwords_must_mix_three_kinds_of_character(app: TestApp) {
    let w = app.world().await;
    for (password, ok) in [
        ("alllowercase1", false),
        ("ALLUPPER-1", true),
        ("ALLUPPER-X", false),
        ("Mixed-pass-1", true),
        ("12345678", false),
    ] {
        let r = app
            .post(
                "/api/v1/users",
                Some(&w.admin.token),
                json!({"username": format!("u{}", password.len() * 7 + usize::from(ok)), "password": password,
                       "name": "测试", "role": "dispatcher"}),
            )
            .await;
        if ok {
            assert_eq!(r.status, 201, "{password}: {}", r.text);
        } else {
            r.expect_error(422, "validation_failed");
            assert!(r.field("password").unwrap().contains("three"), "{}", r.text);
        }
    }
    let r = app
        .patch(
            &format!("/api/v1/users/{}", w.cadre_a.id),
            Some(&w.admin.token),
            json!({"password": "weakpassword"}),
        )
        .await;
    r.expect_error(422, "validation_failed");
}

crate::both_backends!(
    accounts_lock_after_five_failures_until_the_window_passes,
    passwords_must_mix_three_kinds_of_character,
);

mod addresses {
    use super::*;

    async fn sqlite_behind_a_trusted_proxy() {
        let app = spawn_strict(Backend::Sqlite, true).await;
        addresses_are_refused_after_many_failures(app, true).await;
    }

    async fn sqlite_without_a_trusted_proxy() {
        let app = spawn_strict(Backend::Sqlite, false).await;
        addresses_are_refused_after_many_failures(app, false).await;
    }

    async fn postgres_behind_a_trusted_proxy() {
        let app = spawn_strict(Backend::Postgres, true).await;
        addresses_are_refused_after_many_failures(app, true).await;
    }

    crate::tests!(
        sqlite_behind_a_trusted_proxy,
        sqlite_without_a_trusted_proxy,
        #[needs(Postgres)]
        postgres_behind_a_trusted_proxy,
    );
}

async fn administrative_actions_are_audited_and_the_log_cannot_be_changed(app: TestApp) {
    use diesel::RunQueryDsl;
    let w = app.world().await;
    let created = app
        .post(
            "/api/v1/users",
            Some(&w.admin.token),
            json!({"username": "new.dispatcher", "password": "Mixed-pass-1", "name": "新受理员",
                   "role": "dispatcher", "phone": "13912340000"}),
        )
        .await
        .expect(201);
    let user_id = created["id"].as_str().unwrap().to_string();
    app.patch(
        &format!("/api/v1/users/{user_id}"),
        Some(&w.admin.token),
        json!({"role": "admin", "phone": "13912340001", "disabled": true}),
    )
    .await
    .expect(200);
    // A refused action leaves nothing.
    app.patch(
        &format!("/api/v1/users/{user_id}"),
        Some(&w.admin.token),
        json!({"password": "weak"}),
    )
    .await
    .expect_error(422, "validation_failed");
    let dept = app
        .post(
            "/api/v1/departments",
            Some(&w.admin.token),
            json!({"name": "区数据局"}),
        )
        .await
        .expect(201);
    app.patch(
        &format!("/api/v1/categories/{}", w.category),
        Some(&w.admin.token),
        json!({"deadline_days": 7}),
    )
    .await
    .expect(200);
    let ledger = app
        .client
        .get(app.url("/api/v1/ledger.csv?status=submitted"))
        .bearer_auth(&w.dispatcher.token)
        .send()
        .await
        .unwrap();
    assert_eq!(ledger.status(), 200);
    let _ = ledger.bytes().await.unwrap();

    let log = app
        .get("/api/v1/audit?limit=100", Some(&w.admin.token))
        .await
        .expect(200);
    let items = log["items"].as_array().unwrap();
    let actions: Vec<&str> = items
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "export.ledger",
            "category.update",
            "department.create",
            "user.update",
            "user.create"
        ],
        "{log}"
    );
    let export = &items[0];
    assert_eq!(export["actor_id"], w.dispatcher.id.as_str());
    assert_eq!(export["actor_role"], "dispatcher");
    assert_eq!(export["detail"]["format"], "csv");
    assert_eq!(export["detail"]["query"], "status=submitted");
    assert_eq!(export["ip"], "127.0.0.1");
    let update = &items[3];
    assert_eq!(update["actor_id"], w.admin.id.as_str());
    assert_eq!(update["target_type"], "user");
    assert_eq!(update["target_id"], user_id.as_str());
    assert_eq!(update["detail"]["role"], "admin");
    assert_eq!(update["detail"]["disabled"], true);
    assert_eq!(
        update["detail"]["fields"],
        json!(["phone", "role", "disabled"])
    );
    // Which fields changed, never their values.
    assert!(!log.to_string().contains("13912340001"), "{log}");
    assert_eq!(items[2]["target_id"], dept["id"]);
    assert_eq!(items[1]["detail"]["fields"], json!(["deadline_days"]));
    // Filters.
    let users = app
        .get("/api/v1/audit?action=user.", Some(&w.admin.token))
        .await
        .expect(200);
    assert_eq!(users["items"].as_array().unwrap().len(), 2);
    let by = app
        .get(
            &format!("/api/v1/audit?actor_id={}", w.dispatcher.id),
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    assert_eq!(by["items"].as_array().unwrap().len(), 1);
    let page = app
        .get("/api/v1/audit?limit=2", Some(&w.admin.token))
        .await
        .expect(200);
    let next = page["next_cursor"].as_str().unwrap();
    let rest = app
        .get(
            &format!("/api/v1/audit?limit=100&cursor={next}"),
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    assert_eq!(rest["items"].as_array().unwrap().len(), 3);
    app.get("/api/v1/audit?from=yesterday", Some(&w.admin.token))
        .await
        .expect_error(400, "invalid_query");

    // Administrators only, and read-only: no method changes it, nor can the database.
    for who in [&w.dispatcher, &w.cadre_a, &w.ent_a] {
        assert_eq!(app.get("/api/v1/audit", Some(&who.token)).await.status, 403);
    }
    for method in [
        reqwest::Method::POST,
        reqwest::Method::PATCH,
        reqwest::Method::DELETE,
        reqwest::Method::PUT,
    ] {
        let r = app
            .send(
                app.client
                    .request(method.clone(), app.url("/api/v1/audit"))
                    .bearer_auth(&w.admin.token),
            )
            .await;
        assert_eq!(r.status, 405, "{method}");
    }
    let mut conn = app.db.conn().unwrap();
    for statement in [
        "UPDATE audit_log SET actor_role = 'x'",
        "DELETE FROM audit_log",
    ] {
        let refused = diesel::sql_query(statement).execute(&mut *conn);
        assert!(refused.is_err(), "{statement}");
    }
}

crate::both_backends!(administrative_actions_are_audited_and_the_log_cannot_be_changed);

/// A record as the token's holder reads it by id, and as it appears in the first page of its
/// list (if it does).
async fn read_both(
    app: &TestApp,
    token: &str,
    collection: &str,
    id: &str,
) -> (serde_json::Value, Option<serde_json::Value>) {
    let one = app
        .get(&format!("/api/v1/{collection}/{id}"), Some(token))
        .await
        .expect(200);
    let list = app
        .get(&format!("/api/v1/{collection}?limit=100"), Some(token))
        .await
        .expect(200);
    let listed = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == id)
        .cloned();
    (one, listed)
}

async fn contact_phones_are_for_those_handling_the_ticket(app: TestApp) {
    let w = app.world().await;
    let t = app
        .post(
            "/api/v1/tickets",
            Some(&w.ent_a.token),
            json!({"kind": "problem", "category_id": w.category, "title": "联系人电话",
                   "description": "x", "contact_name": "赵强", "contact_phone": "13912345678"}),
        )
        .await
        .expect(201);
    let id = t["id"].as_str().unwrap().to_string();
    let phone_seen_by = |user: &crate::helpers::User| {
        let (app, id, token, filer_id) = (&app, id.clone(), user.token.clone(), w.ent_a.id.clone());
        async move {
            let (detail, listed) = read_both(app, &token, "tickets", &id).await;
            let listed = listed.map(|x| (x["contact_phone"].clone(), x["contact_name"].clone()));
            assert_eq!(
                listed,
                Some((
                    detail["contact_phone"].clone(),
                    detail["contact_name"].clone()
                )),
                "list and detail agree"
            );
            // The flag the pages read to offer a call or not says the same as the number.
            let masked = detail["contact_masked"].as_bool().unwrap();
            assert_eq!(
                masked,
                detail["contact_phone"].as_str().unwrap().contains('*'),
                "contact_masked agrees with the number"
            );
            // And the enterprise's own people in the timeline are masked exactly when the
            // contact is (the filing enterprise user is its first event's actor).
            let filer = detail["people"][&filer_id].as_str().unwrap();
            assert_eq!(
                filer,
                if masked {
                    "e********"
                } else {
                    "ent.a 的名字"
                }
            );
            format!(
                "{} {}",
                detail["contact_phone"].as_str().unwrap(),
                detail["contact_name"].as_str().unwrap()
            )
        }
    };
    // Handed to the department: its cadres may sign for it, so they see the number.
    app.act(
        &w.dispatcher,
        &id,
        "assign",
        json!({"department_id": w.dept_a}),
    )
    .await
    .expect(200);
    for who in [&w.ent_a, &w.dispatcher, &w.admin, &w.cadre_a, &w.cadre_a2] {
        assert_eq!(phone_seen_by(who).await, "13912345678 赵强");
    }
    assert_eq!(phone_seen_by(&w.liaison).await, "139****5678 赵*");
    // Once it is cadre A's, colleagues and the liaison see it masked.
    app.act(
        &w.dispatcher,
        &id,
        "assign",
        json!({"department_id": w.dept_a, "assignee_id": w.cadre_a.id}),
    )
    .await
    .expect(200);
    let signed = app
        .act(&w.cadre_a, &id, "sign", json!({}))
        .await
        .expect(200);
    assert_eq!(signed["contact_phone"], "13912345678");
    assert_eq!(signed["contact_name"], "赵强");
    for who in [&w.ent_a, &w.dispatcher, &w.cadre_a] {
        assert_eq!(phone_seen_by(who).await, "13912345678 赵强");
    }
    for who in [&w.cadre_a2, &w.liaison] {
        assert_eq!(phone_seen_by(who).await, "139****5678 赵*");
    }
    // The ledger too.
    let ledger_of = |user: &crate::helpers::User| {
        let (app, token) = (&app, user.token.clone());
        async move {
            let res = app
                .client
                .get(app.url("/api/v1/ledger.csv"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            res.text().await.unwrap()
        }
    };
    let csv = ledger_of(&w.cadre_a2).await;
    assert!(
        csv.contains("139****5678") && !csv.contains("13912345678") && !csv.contains("赵强"),
        "{csv}"
    );
    let csv = ledger_of(&w.dispatcher).await;
    assert!(csv.contains("13912345678"), "{csv}");
}

/// Dispatchers read accounts to pick cadres: enterprise users' phones, e-mails and
/// phone-number usernames are masked for them; staff accounts and administrators' reads are
/// whole.
async fn dispatchers_see_enterprise_users_contacts_masked(app: TestApp) {
    let w = app.world().await;
    app.set_contact(&w.ent_a, Some("13911112222"), Some("zhang@example.com"));
    app.set_contact(
        &w.cadre_a,
        Some("13822223333"),
        Some("cadre@gov.example.cn"),
    );
    let by_phone = app
        .post(
            "/api/v1/users",
            Some(&w.admin.token),
            json!({"username": "13700001111", "password": "Qiye-2026x", "name": "手机号用户",
                   "phone": "13700001111", "role": "enterprise", "enterprise_id": w.enterprise_a}),
        )
        .await
        .expect(201);
    let by_phone = by_phone["id"].as_str().unwrap().to_string();
    let seen = |reader: &User, id: &str| {
        let (app, token, id) = (&app, reader.token.clone(), id.to_string());
        async move {
            let (one, listed) = read_both(app, &token, "users", &id).await;
            let listed = listed.expect("listed");
            assert_eq!(listed, one, "list and detail agree");
            format!("{} {} {}", one["username"], one["phone"], one["email"])
        }
    };
    let ent_a_name = app
        .get(
            &format!("/api/v1/users/{}", w.ent_a.id),
            Some(&w.admin.token),
        )
        .await
        .expect(200)["username"]
        .to_string();
    assert_eq!(
        seen(&w.dispatcher, &w.ent_a.id).await,
        format!("{ent_a_name} \"139****2222\" \"z***@example.com\"")
    );
    assert_eq!(
        seen(&w.dispatcher, &by_phone).await,
        "\"137****1111\" \"137****1111\" null"
    );
    let cadre_whole = seen(&w.dispatcher, &w.cadre_a.id).await;
    assert!(
        cadre_whole.ends_with("\"13822223333\" \"cadre@gov.example.cn\""),
        "{cadre_whole}"
    );
    assert_eq!(
        seen(&w.admin, &w.ent_a.id).await,
        format!("{ent_a_name} \"13911112222\" \"zhang@example.com\"")
    );
    assert_eq!(
        seen(&w.admin, &by_phone).await,
        "\"13700001111\" \"13700001111\" null"
    );
    // Nor can a dispatcher find the number by searching: `q` meets enterprise users' names,
    // not their usernames. Administrators search both; staff usernames stay searchable.
    let found = |reader: &User, q: &str| {
        let (app, token) = (&app, reader.token.clone());
        let path = format!("/api/v1/users?q={}", crate::errors::urlencode(q));
        async move {
            let page = app.get(&path, Some(&token)).await.expect(200);
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|u| u["id"].as_str().expect("id").to_string())
                .collect::<Vec<_>>()
        }
    };
    assert!(!found(&w.dispatcher, "1370000").await.contains(&by_phone));
    assert!(found(&w.admin, "1370000").await.contains(&by_phone));
    assert!(found(&w.dispatcher, "手机号").await.contains(&by_phone));
    let cadre_username = app
        .get(
            &format!("/api/v1/users/{}", w.cadre_a.id),
            Some(&w.admin.token),
        )
        .await
        .expect(200)["username"]
        .as_str()
        .expect("username")
        .to_string();
    assert!(
        found(&w.dispatcher, &cadre_username)
            .await
            .contains(&w.cadre_a.id)
    );
}

crate::both_backends!(
    contact_phones_are_for_those_handling_the_ticket,
    dispatchers_see_enterprise_users_contacts_masked,
);

async fn cors_is_for_the_configured_origins_only(app: TestApp) {
    let allowed = "https://app.example.gov.cn";
    let get = |origin: &'static str| {
        let app = &app;
        async move {
            app.send(
                app.client
                    .get(app.url("/api/v1/tickets"))
                    .header("origin", origin),
            )
            .await
        }
    };
    let ok = get(allowed).await;
    assert_eq!(ok.status, 401);
    assert_eq!(ok.headers["access-control-allow-origin"], allowed);
    assert_eq!(ok.headers["vary"], "Origin");
    let other = get("https://evil.example").await;
    assert!(!other.headers.contains_key("access-control-allow-origin"));
    let preflight = |origin: &'static str| {
        let app = &app;
        async move {
            app.send(
                app.client
                    .request(reqwest::Method::OPTIONS, app.url("/api/v1/tickets/x/sign"))
                    .header("origin", origin)
                    .header("access-control-request-method", "POST")
                    .header("access-control-request-headers", "authorization, if-match"),
            )
            .await
        }
    };
    let p = preflight(allowed).await;
    assert_eq!(p.status, 204);
    assert_eq!(p.headers["access-control-allow-origin"], allowed);
    let headers = p.headers["access-control-allow-headers"].to_str().unwrap();
    assert!(
        headers.contains("If-Match") && headers.contains("Authorization"),
        "{headers}"
    );
    let refused = preflight("https://evil.example").await;
    assert!(!refused.headers.contains_key("access-control-allow-origin"));
    assert_ne!(refused.status, 204);
}

mod cors {
    use super::*;

    async fn sqlite() {
        let app = spawn_app_with(Backend::Sqlite, |s| {
            s.http.cors_allowed_origins = vec!["https://app.example.gov.cn".into()];
        })
        .await;
        cors_is_for_the_configured_origins_only(app).await;
    }

    crate::tests!(sqlite);
}
