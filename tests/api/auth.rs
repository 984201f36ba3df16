//! Signing in, refresh-token rotation and reuse detection, signing out, disabled accounts.

use serde_json::json;

use crate::both_backends;
use crate::helpers::{PASSWORD, TestApp};

async fn refresh(app: &TestApp, token: impl serde::Serialize) -> crate::helpers::Resp {
    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({ "refresh_token": token }),
    )
    .await
}

async fn sign_in_and_use_the_token(app: TestApp) {
    let w = app.world().await;
    let body = app.login("Cadre.A", PASSWORD).await.expect(200);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert_eq!(body["user"]["id"], w.cadre_a.id);
    assert_eq!(body["user"]["role"], "cadre");
    assert_eq!(body["user"]["department_id"], w.dept_a);
    assert!(body["user"].get("password_hash").is_none());
    let token = body["access_token"].as_str().expect("access token");
    let me = app.get("/api/v1/me", Some(token)).await.expect(200);
    assert_eq!(me["username"], "cadre.a");
    assert_eq!(me["name"], "cadre.a 的名字");
}

async fn wrong_credentials_are_refused_alike(app: TestApp) {
    app.world().await;
    let wrong_password = app.login("cadre.a", "Wrong-pass-123").await;
    wrong_password.expect_error(401, "invalid_credentials");
    let no_such_user = app.login("nobody", PASSWORD).await;
    no_such_user.expect_error(401, "invalid_credentials");
    assert_eq!(wrong_password.body["message"], no_such_user.body["message"]);
    app.login("", "")
        .await
        .expect_error(401, "invalid_credentials");
    app.post("/api/v1/auth/login", None, json!({"username": "cadre.a"}))
        .await
        .expect_error(422, "validation_failed");
}

async fn refresh_rotates_and_detects_reuse(app: TestApp) {
    app.world().await;
    let first = app.login("dispatcher", PASSWORD).await.expect(200);
    let r1 = first["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_string();

    let second = app
        .post("/api/v1/auth/refresh", None, json!({"refresh_token": r1}))
        .await
        .expect(200);
    let r2 = second["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_string();
    assert_ne!(r1, r2);
    app.get("/api/v1/me", second["access_token"].as_str())
        .await
        .expect(200);

    // The old one no longer works…
    refresh(&app, r1).await.expect_error(401, "invalid_token");
    // …and presenting it revoked the whole sign-in, including the one it was exchanged for.
    refresh(&app, r2).await.expect_error(401, "invalid_token");

    // A separate sign-in is unaffected.
    let other = app.login("dispatcher", PASSWORD).await.expect(200);
    refresh(&app, &other["refresh_token"]).await.expect(200);
    refresh(&app, "made-up")
        .await
        .expect_error(401, "invalid_token");
}

async fn refresh_tokens_expire(app: TestApp) {
    app.world().await;
    let s = app.login("dispatcher", PASSWORD).await.expect(200);
    app.clock.advance(chrono::Duration::seconds(
        app.settings.auth.refresh_token_ttl_secs + 1,
    ));
    refresh(&app, &s["refresh_token"])
        .await
        .expect_error(401, "token_expired");
}

async fn logout_ends_the_session(app: TestApp) {
    app.world().await;
    let s = app.login("admin", PASSWORD).await.expect(200);
    let r1 = s["refresh_token"].clone();
    let s2 = app
        .post("/api/v1/auth/refresh", None, json!({"refresh_token": r1}))
        .await
        .expect(200);
    let r = app
        .post(
            "/api/v1/auth/logout",
            None,
            json!({"refresh_token": s2["refresh_token"]}),
        )
        .await;
    assert_eq!(r.status, 204);
    refresh(&app, &s2["refresh_token"])
        .await
        .expect_error(401, "invalid_token");
    app.post(
        "/api/v1/auth/logout",
        None,
        json!({"refresh_token": "made-up"}),
    )
    .await
    .expect_error(401, "invalid_token");
}

async fn disabled_accounts_cannot_sign_in_or_refresh(app: TestApp) {
    let w = app.world().await;
    let s = app.login("cadre.b", PASSWORD).await.expect(200);
    app.patch(
        &format!("/api/v1/users/{}", w.cadre_b.id),
        Some(&w.admin.token),
        json!({"disabled": true}),
    )
    .await
    .expect(200);
    app.login("cadre.b", PASSWORD)
        .await
        .expect_error(403, "forbidden");
    refresh(&app, &s["refresh_token"])
        .await
        .expect_error(401, "invalid_token");
    // Re-enabled, a fresh sign-in works; the revoked session stays revoked.
    app.patch(
        &format!("/api/v1/users/{}", w.cadre_b.id),
        Some(&w.admin.token),
        json!({"disabled": false}),
    )
    .await
    .expect(200);
    app.login("cadre.b", PASSWORD).await.expect(200);
    refresh(&app, &s["refresh_token"])
        .await
        .expect_error(401, "invalid_token");
}

async fn changing_a_password_ends_sessions(app: TestApp) {
    let w = app.world().await;
    let s = app.login("ent.a", PASSWORD).await.expect(200);
    app.patch(
        &format!("/api/v1/users/{}", w.ent_a.id),
        Some(&w.admin.token),
        json!({"password": "Brand-new-pass-9"}),
    )
    .await
    .expect(200);
    refresh(&app, &s["refresh_token"])
        .await
        .expect_error(401, "invalid_token");
    app.login("ent.a", PASSWORD)
        .await
        .expect_error(401, "invalid_credentials");
    let reset = app.login("ent.a", "Brand-new-pass-9").await.expect(200);
    // A password the administrator set is temporary: nothing but the user's own account, the
    // change and signing out until the user has chosen their own.
    assert_eq!(reset["user"]["must_change_password"], true);
    let pending = reset["access_token"].as_str().expect("token").to_string();
    app.get("/api/v1/tickets", Some(&pending))
        .await
        .expect_error(403, "password_change_required");
    app.patch("/api/v1/me", Some(&pending), json!({"notify_sms": false}))
        .await
        .expect_error(403, "password_change_required");
    let me = app.get("/api/v1/me", Some(&pending)).await.expect(200);
    assert_eq!(me["must_change_password"], true);
    let change = |current: &str, new: &str| {
        let body = json!({"current_password": current, "new_password": new});
        let token = pending.clone();
        let app = &app;
        async move { app.post("/api/v1/me/password", Some(&token), body).await }
    };
    let wrong = change("Not-the-pass-1", "Chosen-pass-77").await;
    wrong.expect_error(422, "validation_failed");
    assert!(wrong.field("current_password").is_some(), "{}", wrong.text);
    let weak = change("Brand-new-pass-9", "weakpass").await;
    weak.expect_error(422, "validation_failed");
    assert!(weak.field("new_password").is_some(), "{}", weak.text);
    let same = change("Brand-new-pass-9", "Brand-new-pass-9").await;
    same.expect_error(422, "validation_failed");
    assert!(same.field("new_password").is_some(), "{}", same.text);
    // None of those changed anything.
    app.login("ent.a", "Brand-new-pass-9").await.expect(200);
    let chosen = change("Brand-new-pass-9", "Chosen-pass-77")
        .await
        .expect(200);
    assert_eq!(chosen["user"]["must_change_password"], false);
    let token = chosen["access_token"].as_str().expect("token");
    app.get("/api/v1/tickets", Some(token)).await.expect(200);
    // The sessions before the change are over; the new one goes on.
    refresh(&app, &reset["refresh_token"])
        .await
        .expect_error(401, "invalid_token");
    refresh(&app, &chosen["refresh_token"]).await.expect(200);
    app.login("ent.a", "Brand-new-pass-9")
        .await
        .expect_error(401, "invalid_credentials");
    let again = app.login("ent.a", "Chosen-pass-77").await.expect(200);
    assert_eq!(again["user"]["must_change_password"], false);
}

/// Anyone may change their own password from 我的, giving the current one: their other
/// sessions end, and the audit log says so.
async fn users_change_their_own_password(app: TestApp) {
    let w = app.world().await;
    let phone = app.login("cadre.a", PASSWORD).await.expect(200);
    assert_eq!(phone["user"]["must_change_password"], false);
    let desk = app.login("cadre.a", PASSWORD).await.expect(200);
    let token = desk["access_token"].as_str().expect("token");
    let changed = app
        .post(
            "/api/v1/me/password",
            Some(token),
            json!({"current_password": PASSWORD, "new_password": "Cadre-own-2026"}),
        )
        .await
        .expect(200);
    refresh(&app, &phone["refresh_token"])
        .await
        .expect_error(401, "invalid_token");
    refresh(&app, &desk["refresh_token"])
        .await
        .expect_error(401, "invalid_token");
    refresh(&app, &changed["refresh_token"]).await.expect(200);
    app.login("cadre.a", "Cadre-own-2026").await.expect(200);
    let log = app
        .get(
            &format!(
                "/api/v1/audit?action=user.password_change&target_id={}",
                w.cadre_a.id
            ),
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    assert_eq!(log["items"].as_array().expect("items").len(), 1, "{log}");
    // Without a token, nothing.
    app.post(
        "/api/v1/me/password",
        None,
        json!({"current_password": "Cadre-own-2026", "new_password": "Another-2026"}),
    )
    .await
    .expect_error(401, "missing_token");
}

async fn concurrent_refreshes_with_one_token_end_the_sign_in(app: TestApp) {
    app.world().await;
    let s = app.login("dispatcher", PASSWORD).await.expect(200);
    let token = s["refresh_token"].clone();
    let answers = futures_util::future::join_all((0..5).map(|_| refresh(&app, &token))).await;
    let winners: Vec<_> = answers.iter().filter(|r| r.status == 200).collect();
    assert_eq!(winners.len(), 1, "{answers:?}");
    for r in answers.iter().filter(|r| r.status != 200) {
        r.expect_error(401, "invalid_token");
    }
    // The losers presented a spent token: the whole sign-in ended, the winner's new token too.
    refresh(&app, &winners[0].body["refresh_token"])
        .await
        .expect_error(401, "invalid_token");
}

both_backends!(
    concurrent_refreshes_with_one_token_end_the_sign_in,
    sign_in_and_use_the_token,
    wrong_credentials_are_refused_alike,
    refresh_rotates_and_detects_reuse,
    refresh_tokens_expire,
    logout_ends_the_session,
    disabled_accounts_cannot_sign_in_or_refresh,
    changing_a_password_ends_sessions,
    users_change_their_own_password,
);
