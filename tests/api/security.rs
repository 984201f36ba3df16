//! Guessing and weak passwords: sign-in limits per account and per address (with the
//! lockout's end), SMS codes per address, trusted proxies, the password rule.

use chrono::Duration;
use serde_json::json;

use crate::helpers::{Backend, PASSWORD, Resp, TestApp, spawn_app_with};

async fn login(app: &TestApp, username: &str, password: &str, forwarded: Option<&str>) -> Resp {
    let mut req = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": username, "password": password}));
    if let Some(addr) = forwarded {
        req = req.header("x-forwarded-for", addr);
    }
    app.send(req).await
}

async fn accounts_lock_after_five_failures_until_the_window_passes(app: TestApp) {
    let w = app.world().await;
    for _ in 0..5 {
        login(&app, "cadre.a", "Wrong-pass-1", None)
            .await
            .expect_error(401, "invalid_credentials");
    }
    // Locked: even the right password is refused, before it is looked at.
    let locked = login(&app, "cadre.a", PASSWORD, None).await;
    locked.expect_error(429, "locked_out");
    assert!(locked.headers.contains_key("retry-after"));
    assert!(
        locked.body["message"]
            .as_str()
            .unwrap()
            .contains("15 more minute"),
        "{}",
        locked.text
    );
    // Other accounts are not affected.
    login(&app, "cadre.b", PASSWORD, None).await.expect(200);
    // The lock ends when the failures leave the window.
    app.clock.advance(Duration::minutes(14));
    login(&app, "cadre.a", PASSWORD, None)
        .await
        .expect_error(429, "locked_out");
    app.clock.advance(Duration::minutes(2));
    login(&app, "cadre.a", PASSWORD, None).await.expect(200);
    // A success forgets the account's failures: four more do not lock it.
    for _ in 0..4 {
        login(&app, "cadre.a", "Wrong-pass-1", None)
            .await
            .expect_error(401, "invalid_credentials");
    }
    login(&app, "cadre.a", PASSWORD, None).await.expect(200);
    // Names that do not exist are counted too (no telling them apart by the answer).
    for _ in 0..5 {
        login(&app, "nobody", "Wrong-pass-1", None)
            .await
            .expect_error(401, "invalid_credentials");
    }
    login(&app, "nobody", "Wrong-pass-1", None)
        .await
        .expect_error(429, "locked_out");
    let _ = w;
}

async fn spawn_strict(backend: Backend, trust_local_proxy: bool) -> Option<TestApp> {
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
        login(&app, user, "Wrong-pass-1", Some("10.0.0.1"))
            .await
            .expect_error(401, "invalid_credentials");
    }
    login(&app, "admin", PASSWORD, Some("10.0.0.1"))
        .await
        .expect_error(429, "too_many_requests");
    // Behind a trusted proxy, another client is another address; without trust, the header is
    // anyone's to write and the peer (the same) counts.
    let other = login(&app, "admin", PASSWORD, Some("10.0.0.2")).await;
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
        app.set_contact(&[&w.ent_a, &w.ent_a2, &w.ent_b][i], Some(phone), None);
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

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_behind_a_trusted_proxy() {
        let app = spawn_strict(Backend::Sqlite, true).await.expect("app");
        addresses_are_refused_after_many_failures(app, true).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_without_a_trusted_proxy() {
        let app = spawn_strict(Backend::Sqlite, false).await.expect("app");
        addresses_are_refused_after_many_failures(app, false).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_behind_a_trusted_proxy() {
        if let Some(app) = spawn_strict(Backend::Postgres, true).await {
            addresses_are_refused_after_many_failures(app, true).await;
        }
    }
}
