//! Accounts people manage themselves: code-first SMS sign-in into registration, consent to the
//! legal texts (and again when they change), several users per enterprise (the manager
//! invites, disables and hands over; requests to join are decided by the manager or a
//! dispatcher), and changing one's phone with a code sent to the new number.

use chrono::Duration;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, Resp, TestApp, User, credit_code};
use crate::sms_gateways::Phones;

async fn ask_code(app: &TestApp, phone: &str, purpose: &str) -> Resp {
    app.post(
        "/api/v1/auth/sms-code",
        None,
        json!({"phone": phone, "purpose": purpose}),
    )
    .await
}

async fn sms_login(app: &TestApp, phone: &str, code: &str) -> Resp {
    app.post(
        "/api/v1/auth/sms-login",
        None,
        json!({"phone": phone, "code": code}),
    )
    .await
}

/// Signs `phone` in by SMS code (asking for one first).
async fn by_code(app: &TestApp, phones: &Phones, phone: &str) -> Resp {
    ask_code(app, phone, "login").await.expect(202);
    let code = phones.next_code(phone).await;
    sms_login(app, phone, &code).await
}

fn user_of(session: &Value) -> User {
    User {
        id: session["user"]["id"].as_str().expect("id").into(),
        token: session["access_token"].as_str().expect("token").into(),
    }
}

fn token(session: &Value) -> &str {
    session["access_token"].as_str().expect("token")
}

async fn code_first_sign_in_registers_a_new_number(app: TestApp, phones: Phones) {
    let w = app.world().await;
    let phone = "13711110001";
    // Any number gets a code; with no account, the code proves the number.
    let proven = by_code(&app, &phones, phone).await.expect(202);
    assert_eq!(proven["expires_in"], 1800);
    assert!(proven["join_request"].is_null(), "{proven}");
    let proof = proven["phone_proof"].as_str().expect("proof").to_string();
    let legal = app.get("/api/v1/legal", None).await.expect(200);
    assert_eq!(legal["version"], 1);
    assert!(legal["privacy"].as_str().unwrap().contains("手机号码"));
    let body = json!({
        "credit_code": credit_code(701), "enterprise_name": "望城先进制造有限公司",
        "contact_name": "罗刚", "phone": phone, "phone_proof": proof,
        "password": "Xianjin2026", "consent_version": 1,
    });
    let register = |body: Value| {
        let app = &app;
        async move { app.post("/api/v1/auth/register", None, body).await }
    };
    // The texts must be the ones in force; a proof is for its own number only, and cannot be
    // forged; a code and a proof are not both given.
    let mut stale = body.clone();
    stale["consent_version"] = json!(0);
    let r = register(stale).await;
    r.expect_error(422, "validation_failed");
    assert!(r.field("consent_version").is_some(), "{}", r.text);
    let mut missing = body.clone();
    missing.as_object_mut().unwrap().remove("consent_version");
    register(missing)
        .await
        .expect_error(422, "validation_failed");
    let mut other = body.clone();
    other["phone"] = json!("13711110002");
    register(other).await.expect_error(401, "invalid_code");
    let mut forged = body.clone();
    forged["phone_proof"] = json!(format!("{proof}x"));
    register(forged).await.expect_error(401, "invalid_code");
    let mut both = body.clone();
    both["code"] = json!("123456");
    let r = register(both).await;
    r.expect_error(422, "validation_failed");
    assert!(r.field("phone_proof").is_some(), "{}", r.text);
    // None of that made anything.
    let found = app
        .get(
            &format!("/api/v1/enterprises?q={}", credit_code(701)),
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    assert_eq!(found["items"].as_array().unwrap().len(), 0, "{found}");

    let session = register(body.clone()).await.expect(201);
    assert_eq!(session["user"]["username"], phone);
    assert_eq!(session["user"]["consented_version"], 1);
    assert_eq!(session["user"]["consent_required"], false);
    assert_eq!(session["user"]["enterprise_manager"], true);
    app.get("/api/v1/tickets", Some(token(&session)))
        .await
        .expect(200);
    // The proof is spent by the account it made.
    register(body).await.expect_error(409, "phone_registered");
    // From now on a code signs the number in.
    app.clock.advance(Duration::seconds(61));
    let again = by_code(&app, &phones, phone).await.expect(200);
    assert_eq!(again["user"]["id"], session["user"]["id"]);
    // A proof runs out after half an hour.
    let late = by_code(&app, &phones, "13711110003").await.expect(202);
    app.clock.advance(Duration::seconds(1801));
    let expired = json!({
        "credit_code": credit_code(702), "enterprise_name": "迟到有限公司",
        "contact_name": "迟到", "phone": "13711110003", "phone_proof": late["phone_proof"],
        "password": "Chidao2026", "consent_version": 1,
    });
    register(expired).await.expect_error(401, "invalid_code");
}

async fn codes_answer_alike_whether_or_not_a_number_has_an_account(app: TestApp, phones: Phones) {
    let w = app.world().await;
    let known = "13711112001";
    app.set_contact(&w.ent_a, Some(known), None);
    let unknown = "13711112002";
    for purpose in ["login", "reset", "register"] {
        for number in [known, unknown] {
            let first = ask_code(&app, number, purpose).await.expect(202);
            assert_eq!(first["resend_after"], 60);
            let second = ask_code(&app, number, purpose).await;
            second.expect_error(429, "too_many_requests");
            assert_eq!(second.headers["retry-after"], "60", "{purpose} {number}");
        }
        app.clock.advance(Duration::seconds(61));
    }
    // A code for a new phone is asked for by its user, not here.
    let r = ask_code(&app, unknown, "phone").await;
    r.expect_error(422, "validation_failed");
    assert!(r.field("purpose").is_some(), "{}", r.text);
    // A reset code reaches only an enterprise account's number.
    phones.wait_texts(known, "sms_code", 3).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(phones.codes(unknown).len(), 2, "login and register only");
}

async fn a_manager_invites_disables_and_hands_over(app: TestApp, phones: Phones) {
    let w = app.world().await;
    let manager_phone = "13711113000";
    app.set_contact(&w.ent_a, Some(manager_phone), None);
    // The enterprise's first user manages its account; the second does not.
    let members = app
        .get("/api/v1/enterprise/members", Some(&w.ent_a.token))
        .await
        .expect(200);
    let items = members["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{members}");
    assert_eq!(items[0]["id"], w.ent_a.id.as_str());
    assert_eq!(items[0]["enterprise_manager"], true);
    assert_eq!(items[1]["enterprise_manager"], false);
    for who in [&w.ent_a2, &w.cadre_a, &w.dispatcher] {
        app.get("/api/v1/enterprise/members", Some(&who.token))
            .await
            .expect_error(403, "forbidden");
    }
    app.post(
        "/api/v1/enterprise/members",
        Some(&w.ent_a2.token),
        json!({"phone": "13711113001", "name": "钱七"}),
    )
    .await
    .expect_error(403, "forbidden");
    // Bad input is named; a number with an account is refused.
    let bad = app
        .post(
            "/api/v1/enterprise/members",
            Some(&w.ent_a.token),
            json!({"phone": "123", "name": " "}),
        )
        .await;
    bad.expect_error(422, "validation_failed");
    assert!(bad.field("phone").is_some() && bad.field("name").is_some());
    app.post(
        "/api/v1/enterprise/members",
        Some(&w.ent_a.token),
        json!({"phone": manager_phone, "name": "重复"}),
    )
    .await
    .expect_error(409, "phone_registered");

    // An invited colleague signs in by code and accepts the legal texts first.
    let colleague_phone = "13711113001";
    let invited = app
        .post(
            "/api/v1/enterprise/members",
            Some(&w.ent_a.token),
            json!({"phone": colleague_phone, "name": "钱七"}),
        )
        .await
        .expect(201);
    assert_eq!(invited["enterprise_id"], w.enterprise_a.as_str());
    assert_eq!(invited["enterprise_manager"], false);
    let told = phones
        .wait_texts(colleague_phone, "member_invited", 1)
        .await;
    assert!(told[0].contains("甲企业有限公司"), "{told:?}");
    // No password signs the invited account in.
    app.login(colleague_phone, PASSWORD)
        .await
        .expect_error(401, "invalid_credentials");
    let first = by_code(&app, &phones, colleague_phone).await.expect(200);
    assert_eq!(first["user"]["consent_required"], true, "{first}");
    app.get("/api/v1/tickets", Some(token(&first)))
        .await
        .expect_error(403, "consent_required");
    let me = app.get("/api/v1/me", Some(token(&first))).await.expect(200);
    assert_eq!(me["consent_required"], true);
    app.post(
        "/api/v1/me/consent",
        Some(token(&first)),
        json!({"version": 7}),
    )
    .await
    .expect_error(422, "validation_failed");
    let accepted = app
        .post(
            "/api/v1/me/consent",
            Some(token(&first)),
            json!({"version": 1}),
        )
        .await
        .expect(200);
    assert_eq!(accepted["user"]["consent_required"], false);
    assert_eq!(accepted["user"]["consented_version"], 1);
    let colleague = user_of(&accepted);
    app.get("/api/v1/tickets", Some(&colleague.token))
        .await
        .expect(200);

    // Disabled: the colleague's sessions end and signing in is refused.
    let path = |id: &str, what: &str| format!("/api/v1/enterprise/members/{id}/{what}");
    app.post(
        &path(&w.ent_a.id, "disable"),
        Some(&w.ent_a.token),
        json!({}),
    )
    .await
    .expect_error(409, "illegal_transition");
    app.post(
        &path(&w.ent_b.id, "disable"),
        Some(&w.ent_a.token),
        json!({}),
    )
    .await
    .expect_error(404, "not_found");
    let off = app
        .post(
            &path(&colleague.id, "disable"),
            Some(&w.ent_a.token),
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(off["disabled"], true);
    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({"refresh_token": accepted["refresh_token"]}),
    )
    .await
    .expect_error(401, "invalid_token");
    app.clock.advance(Duration::seconds(61));
    ask_code(&app, colleague_phone, "login").await.expect(202);
    let code = phones.next_code(colleague_phone).await;
    // A disabled account's number is not free to register either.
    let proof = sms_login(&app, colleague_phone, &code).await.expect(202);
    app.post(
        "/api/v1/auth/register",
        None,
        json!({
            "credit_code": credit_code(703), "enterprise_name": "另起炉灶有限公司",
            "contact_name": "钱七", "phone": colleague_phone,
            "phone_proof": proof["phone_proof"], "password": "Lingqi2026", "consent_version": 1,
        }),
    )
    .await
    .expect_error(409, "phone_registered");
    let on = app
        .post(
            &path(&colleague.id, "enable"),
            Some(&w.ent_a.token),
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(on["disabled"], false);

    // Handing over: the colleague manages the account, the former manager no longer does.
    app.post(
        &path(&colleague.id, "manager"),
        Some(&w.ent_a.token),
        json!({}),
    )
    .await
    .expect(200);
    app.get("/api/v1/enterprise/members", Some(&w.ent_a.token))
        .await
        .expect_error(403, "forbidden");
    let now_managed = app
        .get("/api/v1/enterprise/members", Some(&colleague.token))
        .await
        .expect(200);
    let managers: Vec<&Value> = now_managed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["enterprise_manager"] == true)
        .collect();
    assert_eq!(managers.len(), 1);
    assert_eq!(managers[0]["id"], colleague.id.as_str());
    // Each change is in the audit log, by whom it was made.
    let log = app
        .get(
            &format!("/api/v1/audit?target_id={}", colleague.id),
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["user.update", "user.update", "user.update", "user.create"],
        "{log}"
    );
}

async fn requests_to_join_are_decided_by_the_manager_or_a_dispatcher(app: TestApp, phones: Phones) {
    let w = app.world().await;
    app.set_contact(&w.ent_a, Some("13711114000"), None);
    let asker = "13711114001";
    let proof = by_code(&app, &phones, asker).await.expect(202);
    let body = json!({
        "credit_code": credit_code(1), "enterprise_name": "甲企业",
        "contact_name": "孙八", "phone": asker, "phone_proof": proof["phone_proof"],
        "password": "Sunba-2026", "consent_version": 1,
    });
    let register = |body: Value| {
        let app = &app;
        async move { app.post("/api/v1/auth/register", None, body).await }
    };
    // Registered by someone else: told what to do, and nothing made.
    register(body.clone())
        .await
        .expect_error(409, "enterprise_registered");
    let mut join = body.clone();
    join["join"] = json!(true);
    let request = register(join.clone()).await.expect(202);
    assert_eq!(request["status"], "pending");
    assert_eq!(request["enterprise_id"], w.enterprise_a.as_str());
    assert_eq!(request["enterprise_name"], "甲企业有限公司");
    register(join).await.expect_error(409, "join_pending");
    // The manager hears of it; signing in by code shows the request waiting.
    let told = phones.wait_texts("13711114000", "join_requested", 1).await;
    assert!(told[0].contains("孙八"), "{told:?}");
    app.clock.advance(Duration::seconds(61));
    let waiting = by_code(&app, &phones, asker).await.expect(202);
    assert_eq!(waiting["join_request"]["id"], request["id"]);
    // Who sees it: the manager of enterprise A and staff who decide; not enterprise B's
    // manager, a colleague or a cadre.
    let listed = |token: &str| {
        let app = &app;
        let token = token.to_string();
        async move {
            app.get("/api/v1/join-requests?status=pending", Some(&token))
                .await
        }
    };
    for who in [&w.ent_a, &w.dispatcher, &w.admin] {
        let list = listed(&who.token).await.expect(200);
        assert_eq!(list["items"][0]["id"], request["id"], "{list}");
    }
    let b = listed(&w.ent_b.token).await.expect(200);
    assert_eq!(b["items"].as_array().unwrap().len(), 0, "{b}");
    listed(&w.ent_a2.token).await.expect_error(403, "forbidden");
    listed(&w.cadre_a.token)
        .await
        .expect_error(403, "forbidden");
    app.get("/api/v1/join-requests?status=later", Some(&w.admin.token))
        .await
        .expect_error(400, "invalid_query");
    let id = request["id"].as_str().unwrap();
    let approve = format!("/api/v1/join-requests/{id}/approve");
    app.post(&approve, Some(&w.ent_b.token), json!({}))
        .await
        .expect_error(404, "not_found");
    let reject = format!("/api/v1/join-requests/{id}/reject");
    let r = app
        .post(&reject, Some(&w.dispatcher.token), json!({"reason": " "}))
        .await;
    r.expect_error(422, "validation_failed");
    assert!(r.field("reason").is_some());

    // Approved by the manager: the person signs in with the password they chose, having
    // accepted the texts when asking.
    let approved = app
        .post(&approve, Some(&w.ent_a.token), json!({}))
        .await
        .expect(200);
    assert_eq!(approved["status"], "approved");
    app.post(&approve, Some(&w.dispatcher.token), json!({}))
        .await
        .expect_error(409, "illegal_transition");
    let told = phones.wait_texts(asker, "join_approved", 1).await;
    assert!(told[0].contains("已通过"), "{told:?}");
    let session = app.login(asker, "Sunba-2026").await.expect(200);
    assert_eq!(session["user"]["enterprise_id"], w.enterprise_a.as_str());
    assert_eq!(session["user"]["consent_required"], false);
    assert_eq!(session["user"]["enterprise_manager"], false);

    // Rejected by a dispatcher, with the reason told by SMS; the number may ask again.
    let other = "13711114002";
    let proof = by_code(&app, &phones, other).await.expect(202);
    let second = register(json!({
        "credit_code": credit_code(1), "enterprise_name": "甲企业",
        "contact_name": "周九", "phone": other, "phone_proof": proof["phone_proof"],
        "password": "Zhoujiu-2026", "consent_version": 1, "join": true,
    }))
    .await
    .expect(202);
    let reject = format!(
        "/api/v1/join-requests/{}/reject",
        second["id"].as_str().unwrap()
    );
    let rejected = app
        .post(
            &reject,
            Some(&w.dispatcher.token),
            json!({"reason": "非本企业员工"}),
        )
        .await
        .expect(200);
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["reason"], "非本企业员工");
    let told = phones.wait_texts(other, "join_rejected", 1).await;
    assert!(told[0].contains("非本企业员工"), "{told:?}");
    app.login(other, "Zhoujiu-2026")
        .await
        .expect_error(401, "invalid_credentials");
}

async fn a_new_phone_is_proven_with_a_code_sent_to_it(app: TestApp, phones: Phones) {
    let w = app.world().await;
    // The user's number is also the enterprise's contact (as registration leaves it).
    let old = "13900000000";
    app.set_contact(&w.ent_a, Some(old), None);
    let code_for = |phone: &str| {
        let app = &app;
        let body = json!({"phone": phone});
        let token = w.ent_a.token.clone();
        async move { app.post("/api/v1/me/phone-code", Some(&token), body).await }
    };
    let taken = "13711115001";
    app.set_contact(&w.ent_b, Some(taken), None);
    code_for(taken).await.expect_error(409, "phone_registered");
    let r = code_for(old).await;
    r.expect_error(422, "validation_failed");
    assert!(r.field("phone").is_some());
    code_for("123").await.expect_error(422, "validation_failed");
    let new = "13711115002";
    code_for(new).await.expect(202);
    code_for(new).await.expect_error(429, "too_many_requests");
    let code = phones.next_code(new).await;
    let change = |code: &str| {
        let app = &app;
        let body = json!({"phone": new, "code": code});
        let token = w.ent_a.token.clone();
        async move { app.post("/api/v1/me/phone", Some(&token), body).await }
    };
    let wrong = if code == "000000" { "111111" } else { "000000" };
    change(wrong).await.expect_error(401, "invalid_code");
    let me = app
        .get("/api/v1/me", Some(&w.ent_a.token))
        .await
        .expect(200);
    assert_eq!(me["phone"], old);
    let changed = change(&code).await.expect(200);
    assert_eq!(changed["phone"], new);
    assert_eq!(changed["username"], "ent.a");
    change(&code).await.expect_error(422, "validation_failed");
    let e = app
        .get(
            &format!("/api/v1/enterprises/{}", w.enterprise_a),
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    assert_eq!(e["contact_phone"], new);
    // The other enterprises with that contact number keep it.
    let b = app
        .get(
            &format!("/api/v1/enterprises/{}", w.enterprise_b),
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    assert_eq!(b["contact_phone"], old);
    // The new number signs in by code; the old one is no one's now.
    app.clock.advance(Duration::seconds(61));
    let signed = by_code(&app, &phones, new).await.expect(200);
    assert_eq!(signed["user"]["id"], w.ent_a.id.as_str());
    by_code(&app, &phones, old).await.expect(202);
}

async fn a_new_version_of_the_legal_texts_is_accepted_at_the_next_sign_in(
    app: TestApp,
    _phones: Phones,
) {
    let w = app.world().await;
    let publish = |token: &str, body: Value| {
        let app = &app;
        let token = token.to_string();
        async move { app.post("/api/v1/legal", Some(&token), body).await }
    };
    let v1 = app.get("/api/v1/legal", None).await.expect(200);
    let texts = json!({
        "terms": format!("{}\n七、新增条款。", v1["terms"].as_str().unwrap()),
        "privacy": v1["privacy"], "note": "新增第七条",
    });
    publish(&w.dispatcher.token, texts.clone())
        .await
        .expect_error(403, "forbidden");
    let same = json!({"terms": v1["terms"], "privacy": v1["privacy"], "note": "无变化"});
    publish(&w.admin.token, same)
        .await
        .expect_error(409, "duplicate");
    let r = publish(
        &w.admin.token,
        json!({"terms": "", "privacy": "x", "note": ""}),
    )
    .await;
    r.expect_error(422, "validation_failed");
    assert!(r.field("terms").is_some() && r.field("note").is_some());
    let v2 = publish(&w.admin.token, texts).await.expect(201);
    assert_eq!(v2["version"], 2);
    let versions = app.get("/api/v1/legal/versions", None).await.expect(200);
    assert_eq!(versions["items"][0]["version"], 2);
    assert_eq!(versions["items"][1]["version"], 1);
    let old = app.get("/api/v1/legal?version=1", None).await.expect(200);
    assert_eq!(old["terms"], v1["terms"]);
    app.get("/api/v1/legal?version=9", None)
        .await
        .expect_error(404, "not_found");

    // An enterprise user is asked again at the next sign-in; staff are not.
    let session = app.login("ent.a", PASSWORD).await.expect(200);
    assert_eq!(session["user"]["consent_required"], true);
    app.get("/api/v1/tickets", Some(token(&session)))
        .await
        .expect_error(403, "consent_required");
    app.post(
        "/api/v1/me/consent",
        Some(token(&session)),
        json!({"version": 1}),
    )
    .await
    .expect_error(422, "validation_failed");
    let accepted = app
        .post(
            "/api/v1/me/consent",
            Some(token(&session)),
            json!({"version": 2}),
        )
        .await
        .expect(200);
    app.get("/api/v1/tickets", Some(token(&accepted)))
        .await
        .expect(200);
    let again = app.login("ent.a", PASSWORD).await.expect(200);
    assert_eq!(again["user"]["consent_required"], false);
    let staff = app.login("cadre.a", PASSWORD).await.expect(200);
    assert_eq!(staff["user"]["consent_required"], false);
    app.get("/api/v1/tickets", Some(token(&staff)))
        .await
        .expect(200);
    let log = app
        .get("/api/v1/audit?action=legal.publish", Some(&w.admin.token))
        .await
        .expect(200);
    assert_eq!(log["items"][0]["target_id"], "2");
}

async fn an_administrator_names_the_manager_of_an_enterprise(app: TestApp, _phones: Phones) {
    let w = app.world().await;
    let patch = |id: &str, body: Value| {
        let app = &app;
        let (path, token) = (format!("/api/v1/users/{id}"), w.admin.token.clone());
        async move { app.patch(&path, Some(&token), body).await }
    };
    // The manager left: disabled, the enterprise's colleague is named in their place.
    patch(
        &w.ent_a.id,
        json!({"disabled": true, "enterprise_manager": false}),
    )
    .await
    .expect(200);
    app.get("/api/v1/enterprise/members", Some(&w.ent_a2.token))
        .await
        .expect_error(403, "forbidden");
    let named = patch(&w.ent_a2.id, json!({"enterprise_manager": true}))
        .await
        .expect(200);
    assert_eq!(named["enterprise_manager"], true);
    let members = app
        .get("/api/v1/enterprise/members", Some(&w.ent_a2.token))
        .await
        .expect(200);
    assert_eq!(members["items"][0]["id"], w.ent_a2.id.as_str());
    // Staff do not manage an enterprise's account.
    let r = patch(&w.cadre_a.id, json!({"enterprise_manager": true})).await;
    r.expect_error(422, "validation_failed");
    assert!(r.field("enterprise_manager").is_some(), "{}", r.text);
    let log = app
        .get(
            &format!("/api/v1/audit?target_id={}", w.ent_a2.id),
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    assert!(
        log["items"][0]["detail"]["fields"]
            .to_string()
            .contains("enterprise_manager"),
        "{log}"
    );
}

crate::with_phones!(
    an_administrator_names_the_manager_of_an_enterprise,
    code_first_sign_in_registers_a_new_number,
    codes_answer_alike_whether_or_not_a_number_has_an_account,
    a_manager_invites_disables_and_hands_over,
    requests_to_join_are_decided_by_the_manager_or_a_dispatcher,
    a_new_phone_is_proven_with_a_code_sent_to_it,
    a_new_version_of_the_legal_texts_is_accepted_at_the_next_sign_in,
);
