//! The workflow through the API: every action, by every role that may take it, and the
//! timeline it leaves.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, actions, id_of};

async fn full_loop_for_every_role(app: TestApp) {
    let w = app.world().await;
    let filed = app
        .file(&w.ent_a, &w.category, "新厂房用电报装进度慢")
        .await;
    let id = id_of(&filed);
    assert_eq!(filed["status"], "submitted");
    assert_eq!(filed["channel"], "online");
    assert_eq!(filed["enterprise_id"], w.enterprise_a);
    assert_eq!(filed["submitter_id"], w.ent_a.id);
    assert_eq!(filed["version"], 1);
    assert_eq!(
        filed["contact_name"], "甲企业有限公司联系人",
        "defaults to the enterprise's contact"
    );
    let number = filed["number"].as_str().expect("number");
    assert!(number.starts_with("QYS") && number.len() == 17, "{number}");
    assert!(
        filed["created_at"]
            .as_str()
            .expect("created_at")
            .ends_with('Z')
    );

    let t = app
        .act(&w.dispatcher, &id, "accept", json!({"note": "受理"}))
        .await
        .expect(200);
    assert_eq!(t["status"], "accepted");
    assert!(t["accepted_at"].is_string());

    let t = app
        .act(
            &w.dispatcher,
            &id,
            "assign",
            json!({"department_id": w.dept_a, "assignee_id": w.cadre_a.id, "co_department_ids": [w.dept_b]}),
        )
        .await
        .expect(200);
    assert_eq!(t["status"], "assigned");
    assert_eq!(t["department_id"], w.dept_a);
    assert_eq!(t["assignee_id"], w.cadre_a.id);
    assert_eq!(t["co_department_ids"], json!([w.dept_b]));
    assert!(t["due_at"].is_string());
    assert_eq!(t["overdue"], false);

    let t = app
        .act(&w.cadre_a, &id, "sign", json!({}))
        .await
        .expect(200);
    assert_eq!(t["status"], "in_progress");
    assert!(t["signed_at"].is_string());

    app.act(
        &w.cadre_a,
        &id,
        "progress",
        json!({"note": "已约定现场勘查", "public": true}),
    )
    .await
    .expect(200);
    app.act(
        &w.cadre_b,
        &id,
        "progress",
        json!({"note": "协办单位内部意见", "public": false}),
    )
    .await
    .expect(200);
    app.act(&w.dispatcher, &id, "urge", json!({"note": "请加快办理"}))
        .await
        .expect(200);

    let t = app
        .act(
            &w.cadre_a,
            &id,
            "resolve",
            json!({"resolution": "已出具供电方案"}),
        )
        .await
        .expect(200);
    assert_eq!(t["status"], "resolved");
    assert_eq!(t["resolution"], "已出具供电方案");
    assert!(t["resolved_at"].is_string());
    assert_eq!(t["adopted"], Value::Null);

    let t = app
        .act(
            &w.ent_a2,
            &id,
            "revisit",
            json!({"rating": "satisfied", "comment": "很满意"}),
        )
        .await
        .expect(200);
    assert_eq!(t["status"], "closed");
    assert_eq!(t["rating"], "satisfied");
    assert!(t["closed_at"].is_string());
    assert_eq!(t["version"], 9);

    // The whole timeline for government users, in order, numbered without gaps.
    let detail = app.detail(&w.admin, &id).await;
    assert_eq!(
        actions(&detail),
        [
            "file", "accept", "assign", "sign", "progress", "progress", "urge", "resolve",
            "revisit"
        ]
    );
    let events = detail["events"].as_array().expect("events");
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["seq"], i as i64 + 1);
    }
    assert_eq!(events[0]["to_status"], "submitted");
    assert_eq!(events[0]["from_status"], Value::Null);
    assert_eq!(events[2]["from_status"], "accepted");
    assert_eq!(events[2]["to_status"], "assigned");
    assert_eq!(events[2]["actor_id"], w.dispatcher.id);
    assert_eq!(events[2]["actor_role"], "dispatcher");
    assert_eq!(events[2]["data"]["department_id"], w.dept_a);
    assert_eq!(events[8]["data"]["rating"], "satisfied");
    assert_eq!(events[8]["note"], "很满意");
    assert_eq!(detail["revisits"][0]["channel"], "online");
    assert_eq!(detail["revisits"][0]["recorded_by"], w.ent_a2.id);

    // The enterprise sees the public steps only: no internal progress, no urging.
    let mine = app.detail(&w.ent_a, &id).await;
    assert_eq!(
        actions(&mine),
        [
            "file", "accept", "assign", "sign", "progress", "resolve", "revisit"
        ]
    );
    assert_eq!(mine["events"][4]["note"], "已约定现场勘查");
}

async fn unsatisfied_revisit_reopens_until_satisfied(app: TestApp) {
    let w = app.world().await;
    let id = app.ticket_in_progress(&w).await;
    app.act(
        &w.cadre_a,
        &id,
        "resolve",
        json!({"resolution": "第一次办结"}),
    )
    .await
    .expect(200);
    // 不满意 needs its reason (the rework and the dispatcher read it): refused without one,
    // blank or absent, and nothing changes.
    let before = app.detail(&w.ent_a, &id).await;
    for body in [
        json!({"rating": "unsatisfied"}),
        json!({"rating": "unsatisfied", "comment": "  "}),
    ] {
        let refused = app.act(&w.ent_a, &id, "revisit", body).await.expect(422);
        assert!(refused["fields"]["comment"].is_string(), "{refused}");
    }
    let unchanged = app.detail(&w.ent_a, &id).await;
    assert_eq!(unchanged["version"], before["version"]);
    assert_eq!(unchanged["status"], "resolved");
    let t = app
        .act(
            &w.ent_a,
            &id,
            "revisit",
            json!({"rating": "unsatisfied", "comment": "问题没解决"}),
        )
        .await
        .expect(200);
    assert_eq!(t["status"], "in_progress");
    // The cadre and the dispatcher see the reason, and the timeline says the rework's
    // deadline replaces the old one.
    for who in [&w.cadre_a, &w.dispatcher] {
        let seen = app.detail(who, &id).await;
        assert_eq!(seen["revisits"][0]["comment"], "问题没解决");
        let event = seen["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == "revisit")
            .cloned()
            .expect("the revisit on the timeline");
        assert_eq!(event["note"], "问题没解决");
        assert_eq!(event["data"]["due_at"], t["due_at"]);
        assert!(before["due_at"].is_string());
        assert_eq!(event["data"]["previous_due_at"], before["due_at"]);
    }
    assert_eq!(t["reopen_count"], 1);
    assert_eq!(t["rating"], "unsatisfied");
    assert_eq!(t["resolved_at"], Value::Null);

    app.act(
        &w.cadre_a,
        &id,
        "resolve",
        json!({"resolution": "第二次办结"}),
    )
    .await
    .expect(200);
    // A dispatcher records the enterprise's answer on the phone.
    let t = app
        .act(
            &w.dispatcher,
            &id,
            "revisit",
            json!({"rating": "basically_satisfied"}),
        )
        .await
        .expect(200);
    assert_eq!(t["status"], "closed");
    assert_eq!(t["reopen_count"], 1);
    assert_eq!(t["resolution"], "第二次办结");

    let detail = app.detail(&w.ent_a, &id).await;
    let revisits = detail["revisits"].as_array().expect("revisits");
    assert_eq!(revisits.len(), 2);
    assert_eq!(revisits[0]["rating"], "unsatisfied");
    assert_eq!(revisits[0]["channel"], "online");
    assert_eq!(revisits[1]["rating"], "basically_satisfied");
    assert_eq!(revisits[1]["channel"], "phone");
}

async fn reject_with_a_reason_the_enterprise_reads(app: TestApp) {
    let w = app.world().await;
    let id = id_of(&app.file(&w.ent_a, &w.category, "重复提交").await);
    app.act(&w.dispatcher, &id, "reject", json!({"reason": ""}))
        .await
        .expect_error(422, "validation_failed");
    let t = app
        .act(
            &w.admin,
            &id,
            "reject",
            json!({"reason": "与已受理诉求重复"}),
        )
        .await
        .expect(200);
    assert_eq!(t["status"], "rejected");
    assert!(t["rejected_at"].is_string());
    let mine = app.detail(&w.ent_a, &id).await;
    assert_eq!(mine["events"][1]["action"], "reject");
    assert_eq!(mine["events"][1]["note"], "与已受理诉求重复");
    // Nothing moves a rejected ticket.
    for (action, body) in [
        ("accept", json!({})),
        ("assign", json!({"department_id": w.dept_a})),
        ("withdraw", json!({})),
    ] {
        let user = if action == "withdraw" {
            &w.ent_a
        } else {
            &w.dispatcher
        };
        let r = app.act(user, &id, action, body).await;
        r.expect_error(409, "illegal_transition");
        assert!(
            r.body["message"]
                .as_str()
                .expect("message")
                .contains("rejected")
        );
    }
}

async fn withdraw_before_assignment_only(app: TestApp) {
    let w = app.world().await;
    let first = id_of(&app.file(&w.ent_a, &w.category, "撤回一").await);
    let t = app
        .act(
            &w.ent_a,
            &first,
            "withdraw",
            json!({"reason": "已自行解决"}),
        )
        .await
        .expect(200);
    assert_eq!(t["status"], "withdrawn");
    assert!(t["withdrawn_at"].is_string());

    let second = id_of(&app.file(&w.ent_a, &w.category, "撤回二").await);
    app.act(&w.dispatcher, &second, "accept", json!({}))
        .await
        .expect(200);
    // Another enterprise cannot even see it.
    app.act(&w.ent_b, &second, "withdraw", json!({}))
        .await
        .expect_error(404, "not_found");
    // The dispatcher may not withdraw on the enterprise's behalf.
    app.act(&w.dispatcher, &second, "withdraw", json!({}))
        .await
        .expect_error(403, "forbidden");
    app.act(&w.ent_a2, &second, "withdraw", json!({}))
        .await
        .expect(200);

    let third = id_of(&app.file(&w.ent_a, &w.category, "撤回三").await);
    app.act(
        &w.dispatcher,
        &third,
        "assign",
        json!({"department_id": w.dept_a}),
    )
    .await
    .expect(200);
    let r = app.act(&w.ent_a, &third, "withdraw", json!({})).await;
    r.expect_error(409, "illegal_transition");
    assert_eq!(
        r.body["message"],
        "cannot withdraw a ticket that is assigned"
    );
}

async fn return_and_reassign(app: TestApp) {
    let w = app.world().await;
    let id = id_of(&app.file(&w.ent_a, &w.category, "退回重派").await);
    app.act(&w.dispatcher, &id, "assign", json!({"department_id": w.dept_a, "assignee_id": w.cadre_a.id, "co_department_ids": [w.dept_c]}))
        .await
        .expect(200);
    app.act(&w.cadre_a, &id, "return", json!({}))
        .await
        .expect_error(422, "validation_failed");
    let t = app
        .act(
            &w.cadre_a,
            &id,
            "return",
            json!({"reason": "不属于本单位职责"}),
        )
        .await
        .expect(200);
    assert_eq!(t["status"], "accepted");
    assert_eq!(t["department_id"], Value::Null);
    assert_eq!(t["assignee_id"], Value::Null);
    assert_eq!(t["due_at"], Value::Null);
    assert_eq!(t["co_department_ids"], json!([]));
    // The returned ticket has left cadre A's list.
    let list = app
        .get("/api/v1/tickets", Some(&w.cadre_a.token))
        .await
        .expect(200);
    assert_eq!(list["items"].as_array().expect("items").len(), 0);

    app.act(
        &w.dispatcher,
        &id,
        "assign",
        json!({"department_id": w.dept_b, "assignee_id": w.cadre_b.id}),
    )
    .await
    .expect(200);
    app.act(&w.cadre_b, &id, "sign", json!({}))
        .await
        .expect(200);
    // The return is internal: the enterprise sees the assignments, not the bounce.
    let mine = app.detail(&w.ent_a, &id).await;
    assert_eq!(actions(&mine), ["file", "assign", "assign", "sign"]);
    let all = app.detail(&w.dispatcher, &id).await;
    assert_eq!(
        actions(&all),
        ["file", "assign", "return", "assign", "sign"]
    );
    assert_eq!(all["events"][2]["note"], "不属于本单位职责");
    assert_eq!(all["events"][2]["public"], false);
}

async fn who_may_sign(app: TestApp) {
    let w = app.world().await;
    // With an assignee, only the assignee signs.
    let id = id_of(&app.file(&w.ent_a, &w.category, "签收一").await);
    app.act(
        &w.dispatcher,
        &id,
        "assign",
        json!({"department_id": w.dept_a, "assignee_id": w.cadre_a.id}),
    )
    .await
    .expect(200);
    app.act(&w.cadre_a2, &id, "sign", json!({}))
        .await
        .expect_error(403, "forbidden");
    app.act(&w.cadre_b, &id, "sign", json!({}))
        .await
        .expect_error(404, "not_found");
    app.act(&w.dispatcher, &id, "sign", json!({}))
        .await
        .expect_error(403, "forbidden");
    let t = app
        .act(&w.cadre_a, &id, "sign", json!({}))
        .await
        .expect(200);
    assert_eq!(t["assignee_id"], w.cadre_a.id);
    let detail = app.detail(&w.admin, &id).await;
    let sign = detail["events"].as_array().expect("events").last().cloned();
    assert_eq!(sign.expect("a sign event")["data"], Value::Null);
    // Signing twice is a transition that does not exist.
    app.act(&w.cadre_a, &id, "sign", json!({}))
        .await
        .expect_error(409, "illegal_transition");

    // Without one, any cadre of the lead department.
    let id = id_of(&app.file(&w.ent_a, &w.category, "签收二").await);
    app.act(
        &w.dispatcher,
        &id,
        "assign",
        json!({"department_id": w.dept_a}),
    )
    .await
    .expect(200);
    let t = app
        .act(&w.cadre_a2, &id, "sign", json!({}))
        .await
        .expect(200);
    assert_eq!(t["status"], "in_progress");
    // The cadre who signs takes the ticket: it is theirs from now on, and the event says so.
    assert_eq!(t["assignee_id"], w.cadre_a2.id);
    let detail = app.detail(&w.dispatcher, &id).await;
    let sign = detail["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["action"] == "sign")
        .expect("a sign event");
    assert_eq!(sign["data"], json!({"assignee_id": w.cadre_a2.id}));
    // The lead department's other cadres still work on it.
    app.act(&w.cadre_a, &id, "progress", json!({"note": "同科室协助"}))
        .await
        .expect(200);
    // A sign request may come with no body at all.
    let id = id_of(&app.file(&w.ent_a, &w.category, "签收三").await);
    app.act(
        &w.dispatcher,
        &id,
        "assign",
        json!({"department_id": w.dept_a}),
    )
    .await
    .expect(200);
    let r = app
        .send(
            app.client
                .post(app.url(&format!("/api/v1/tickets/{id}/sign")))
                .bearer_auth(&w.cadre_a.token),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

async fn co_departments_progress_but_do_not_resolve(app: TestApp) {
    let w = app.world().await;
    let id = id_of(&app.file(&w.ent_a, &w.category, "协办").await);
    app.act(&w.dispatcher, &id, "assign", json!({"department_id": w.dept_a, "assignee_id": w.cadre_a.id, "co_department_ids": [w.dept_b]}))
        .await
        .expect(200);
    app.act(&w.cadre_a, &id, "sign", json!({}))
        .await
        .expect(200);
    app.act(&w.cadre_b, &id, "progress", json!({"note": "协办意见"}))
        .await
        .expect(200);
    app.act(&w.cadre_b, &id, "resolve", json!({"resolution": "x"}))
        .await
        .expect_error(403, "forbidden");
    // The liaison cadre follows the ticket but does not handle it.
    app.detail(&w.liaison, &id).await;
    app.act(&w.liaison, &id, "progress", json!({"note": "x"}))
        .await
        .expect_error(403, "forbidden");
    // A colleague in the lead department may resolve.
    app.act(
        &w.cadre_a2,
        &id,
        "resolve",
        json!({"resolution": "同事办结"}),
    )
    .await
    .expect(200);
}

async fn suggestions_record_adoption(app: TestApp) {
    let w = app.world().await;
    let t = app
        .post(
            "/api/v1/tickets",
            Some(&w.ent_a.token),
            json!({"kind": "suggestion", "category_id": w.category, "title": "建议开通通勤班车", "description": "早晚高峰"}),
        )
        .await
        .expect(201);
    let id = id_of(&t);
    app.act(
        &w.dispatcher,
        &id,
        "assign",
        json!({"department_id": w.dept_a, "assignee_id": w.cadre_a.id}),
    )
    .await
    .expect(200);
    app.act(&w.cadre_a, &id, "sign", json!({}))
        .await
        .expect(200);
    let r = app
        .act(&w.cadre_a, &id, "resolve", json!({"resolution": "已采纳"}))
        .await;
    r.expect_error(422, "validation_failed");
    assert!(r.field("adopted").is_some());
    let t = app
        .act(
            &w.cadre_a,
            &id,
            "resolve",
            json!({"resolution": "已采纳", "adopted": true}),
        )
        .await
        .expect(200);
    assert_eq!(t["adopted"], true);
    assert_eq!(t["kind"], "suggestion");
}

async fn urging_is_for_dispatchers_and_internal(app: TestApp) {
    let w = app.world().await;
    let id = app.ticket_in_progress(&w).await;
    app.act(&w.cadre_a, &id, "urge", json!({"note": "x"}))
        .await
        .expect_error(403, "forbidden");
    app.act(&w.ent_a, &id, "urge", json!({"note": "x"}))
        .await
        .expect_error(403, "forbidden");
    let t = app
        .act(&w.admin, &id, "urge", json!({"note": "请本周内办结"}))
        .await
        .expect(200);
    assert_eq!(t["status"], "in_progress");
    let mine = app.detail(&w.ent_a, &id).await;
    assert!(!actions(&mine).contains(&"urge".to_string()));
}

async fn close_without_rating(app: TestApp) {
    let w = app.world().await;
    let id = app.ticket_in_progress(&w).await;
    app.act(&w.dispatcher, &id, "close", json!({"reason": "x"}))
        .await
        .expect_error(409, "illegal_transition");
    app.act(&w.cadre_a, &id, "resolve", json!({"resolution": "办结"}))
        .await
        .expect(200);
    app.act(&w.cadre_a, &id, "close", json!({"reason": "x"}))
        .await
        .expect_error(403, "forbidden");
    let t = app
        .act(
            &w.dispatcher,
            &id,
            "close",
            json!({"reason": "企业多次联系未果"}),
        )
        .await
        .expect(200);
    assert_eq!(t["status"], "closed");
    assert_eq!(t["rating"], Value::Null);
}

async fn reassigning_restarts_signing(app: TestApp) {
    let w = app.world().await;
    let id = app.ticket_in_progress(&w).await;
    let t = app
        .act(
            &w.dispatcher,
            &id,
            "assign",
            json!({"department_id": w.dept_b, "assignee_id": w.cadre_b.id}),
        )
        .await
        .expect(200);
    assert_eq!(t["status"], "assigned");
    assert_eq!(t["signed_at"], Value::Null);
    assert_eq!(t["department_id"], w.dept_b);
    // Cadre A no longer handles it and no longer sees it.
    app.get(&format!("/api/v1/tickets/{id}"), Some(&w.cadre_a.token))
        .await
        .expect_error(404, "not_found");
    let detail = app.detail(&w.admin, &id).await;
    assert_eq!(detail["events"][3]["data"]["reassigned"], true);
}

async fn deadlines(app: TestApp) {
    let w = app.world().await;
    // 10:00 in China on Thursday 2026-11-19; the category allows 5 working days (Friday,
    // Monday to Thursday), so the close of the next Thursday.
    app.clock
        .set(qiyeshao::domain::time::parse("2026-11-19T10:00:00+08:00").expect("time"));
    let id = id_of(&app.file(&w.ent_a, &w.category, "期限").await);
    let t = app
        .act(
            &w.dispatcher,
            &id,
            "assign",
            json!({"department_id": w.dept_a}),
        )
        .await
        .expect(200);
    assert_eq!(t["due_at"], "2026-11-26T15:59:59.999Z");
    // Signing is due by the close of the next working day.
    assert_eq!(t["sign_due_at"], "2026-11-20T15:59:59.999Z");
    assert_eq!(t["priority"], "normal");

    let id = id_of(&app.file(&w.ent_a, &w.category, "期限二").await);
    app.act(
        &w.dispatcher,
        &id,
        "assign",
        json!({"department_id": w.dept_a, "due_at": "2026-11-01T00:00:00Z"}),
    )
    .await
    .expect_error(422, "validation_failed");
    let r = app
        .act(
            &w.dispatcher,
            &id,
            "assign",
            json!({"department_id": w.dept_a, "due_at": "next week"}),
        )
        .await;
    r.expect_error(422, "validation_failed");
    assert!(r.field("due_at").is_some());
    let t = app
        .act(
            &w.dispatcher,
            &id,
            "assign",
            json!({"department_id": w.dept_a, "due_at": "2026-11-20T18:00:00+08:00"}),
        )
        .await
        .expect(200);
    assert_eq!(t["due_at"], "2026-11-20T10:00:00.000Z");
    assert_eq!(t["overdue"], false);

    // Two days later it is overdue, and the overdue filter finds it.
    app.clock.advance(chrono::Duration::days(2));
    let t = app.detail(&w.dispatcher, &id).await;
    assert_eq!(t["overdue"], true);
    let list = app
        .get("/api/v1/tickets?overdue=true", Some(&w.dispatcher.token))
        .await
        .expect(200);
    let ids: Vec<&str> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|t| t["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, [id.as_str()]);
    let list = app
        .get("/api/v1/tickets?overdue=false", Some(&w.dispatcher.token))
        .await
        .expect(200);
    assert_eq!(list["items"].as_array().expect("items").len(), 1);
}

async fn assignment_references_are_checked(app: TestApp) {
    let w = app.world().await;
    let id = id_of(&app.file(&w.ent_a, &w.category, "派单校验").await);
    let before = app.detail(&w.admin, &id).await;
    for (body, field) in [
        (
            json!({"department_id": "0190c0de-0000-7000-8000-000000000000"}),
            "department_id",
        ),
        (
            json!({"department_id": w.dept_a, "assignee_id": w.cadre_b.id}),
            "assignee_id",
        ),
        (
            json!({"department_id": w.dept_a, "assignee_id": w.dispatcher.id}),
            "assignee_id",
        ),
        (
            json!({"department_id": w.dept_a, "co_department_ids": [w.dept_a]}),
            "co_department_ids",
        ),
        (
            json!({"department_id": w.dept_a, "co_department_ids": ["nope"]}),
            "co_department_ids",
        ),
        (json!({"assignee_id": w.cadre_a.id}), "department_id"),
    ] {
        let r = app.act(&w.dispatcher, &id, "assign", body).await;
        r.expect_error(422, "validation_failed");
        assert!(r.field(field).is_some(), "{field}: {}", r.text);
    }
    // Nothing of the refused attempts stuck.
    let after = app.detail(&w.admin, &id).await;
    assert_eq!(before, after);
}

async fn comments_and_their_audience(app: TestApp) {
    let w = app.world().await;
    let id = app.ticket_in_progress(&w).await;
    let c = app
        .post(
            &format!("/api/v1/tickets/{id}/comments"),
            Some(&w.ent_a.token),
            json!({"body": "补充：附近道路也有破损"}),
        )
        .await
        .expect(201);
    assert_eq!(c["internal"], false);
    app.post(
        &format!("/api/v1/tickets/{id}/comments"),
        Some(&w.ent_a.token),
        json!({"body": "x", "internal": true}),
    )
    .await
    .expect_error(403, "forbidden");
    app.post(
        &format!("/api/v1/tickets/{id}/comments"),
        Some(&w.cadre_a.token),
        json!({"body": "内部：需协调交通局", "internal": true}),
    )
    .await
    .expect(201);
    app.post(
        &format!("/api/v1/tickets/{id}/comments"),
        Some(&w.ent_b.token),
        json!({"body": "x"}),
    )
    .await
    .expect_error(404, "not_found");
    app.post(
        &format!("/api/v1/tickets/{id}/comments"),
        Some(&w.cadre_a.token),
        json!({"body": "  "}),
    )
    .await
    .expect_error(422, "validation_failed");
    let mine = app.detail(&w.ent_a, &id).await;
    assert_eq!(mine["comments"].as_array().expect("comments").len(), 1);
    let theirs = app.detail(&w.cadre_a, &id).await;
    assert_eq!(theirs["comments"].as_array().expect("comments").len(), 2);
    assert_eq!(theirs["comments"][1]["body"], "内部：需协调交通局");
}

async fn staff_file_on_behalf_of_enterprises(app: TestApp) {
    let w = app.world().await;
    let body = |extra: Value| {
        let mut b = json!({"kind": "inquiry", "category_id": w.category, "title": "电话咨询", "description": "企业来电"});
        for (k, v) in extra.as_object().expect("object") {
            b[k] = v.clone();
        }
        b
    };
    let r = app
        .post(
            "/api/v1/tickets",
            Some(&w.dispatcher.token),
            body(json!({})),
        )
        .await;
    r.expect_error(422, "validation_failed");
    assert!(r.field("enterprise_id").is_some());
    let r = app
        .post(
            "/api/v1/tickets",
            Some(&w.dispatcher.token),
            body(json!({"enterprise_id": w.enterprise_b, "channel": "online"})),
        )
        .await;
    assert!(r.field("channel").is_some(), "{}", r.text);
    let r = app
        .post(
            "/api/v1/tickets",
            Some(&w.dispatcher.token),
            body(json!({"enterprise_id": "0190c0de-0000-7000-8000-000000000000"})),
        )
        .await;
    assert!(r.field("enterprise_id").is_some(), "{}", r.text);
    let t = app
        .post(
            "/api/v1/tickets",
            Some(&w.dispatcher.token),
            body(json!({"enterprise_id": w.enterprise_b})),
        )
        .await
        .expect(201);
    assert_eq!(t["channel"], "phone");
    assert_eq!(t["enterprise_id"], w.enterprise_b);
    assert_eq!(t["submitter_id"], w.dispatcher.id);
    let t = app
        .post(
            "/api/v1/tickets",
            Some(&w.admin.token),
            body(json!({"enterprise_id": w.enterprise_b, "channel": "visit"})),
        )
        .await
        .expect(201);
    assert_eq!(t["channel"], "visit");
    // Enterprise B's user sees both; cadres do not file.
    let list = app
        .get("/api/v1/tickets", Some(&w.ent_b.token))
        .await
        .expect(200);
    assert_eq!(list["items"].as_array().expect("items").len(), 2);
    app.post(
        "/api/v1/tickets",
        Some(&w.cadre_a.token),
        body(json!({"enterprise_id": w.enterprise_b})),
    )
    .await
    .expect_error(403, "forbidden");
    // Enterprise users file for themselves only, and online.
    app.post(
        "/api/v1/tickets",
        Some(&w.ent_a.token),
        body(json!({"enterprise_id": w.enterprise_b})),
    )
    .await
    .expect_error(403, "forbidden");
    app.post(
        "/api/v1/tickets",
        Some(&w.ent_a.token),
        body(json!({"channel": "phone"})),
    )
    .await
    .expect_error(422, "validation_failed");
}

async fn refused_actions_change_nothing(app: TestApp) {
    let w = app.world().await;
    let id = app.ticket_in_progress(&w).await;
    let before = app.detail(&w.admin, &id).await;
    let attempts = [
        (&w.dispatcher, "accept", json!({})),
        (&w.ent_a, "withdraw", json!({})),
        (&w.cadre_b, "resolve", json!({"resolution": "x"})),
        (&w.cadre_a, "revisit", json!({"rating": "satisfied"})),
        (&w.ent_a, "revisit", json!({"rating": "satisfied"})),
        (&w.cadre_a, "resolve", json!({"resolution": ""})),
        (
            &w.cadre_a,
            "resolve",
            json!({"resolution": "x", "extra": 1}),
        ),
        (&w.dispatcher, "close", json!({"reason": "x"})),
    ];
    for (user, action, body) in attempts {
        let r = app.act(user, &id, action, body).await;
        assert!(
            [403, 404, 409, 422].contains(&r.status),
            "{action}: {}",
            r.text
        );
    }
    let after = app.detail(&w.admin, &id).await;
    assert_eq!(before, after);
}

async fn unknown_actions_and_tickets(app: TestApp) {
    let w = app.world().await;
    let id = app.ticket_in_progress(&w).await;
    app.act(&w.dispatcher, &id, "explode", json!({}))
        .await
        .expect_error(404, "not_found");
    app.act(
        &w.dispatcher,
        "0190c0de-0000-7000-8000-000000000000",
        "accept",
        json!({}),
    )
    .await
    .expect_error(404, "not_found");
    app.act(&w.dispatcher, "not-an-id", "accept", json!({}))
        .await
        .expect_error(404, "not_found");
    let r = app
        .get(
            &format!("/api/v1/tickets/{id}/accept"),
            Some(&w.dispatcher.token),
        )
        .await;
    r.expect_error(405, "method_not_allowed");
}

/// The dispatcher's queue: extension requests waiting for a decision are a filter and a
/// count of their own (待审批), and the 待受理 queue can be read oldest first, page by page.
async fn dispatchers_find_waiting_extensions_and_the_oldest_requests_first(app: TestApp) {
    let w = app.world().await;
    let ids = |list: &Value| -> Vec<String> {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_string())
            .collect()
    };
    let mut filed = Vec::new();
    for title in ["最早的诉求", "第二个诉求", "第三个诉求"] {
        let t = app.file(&w.ent_a, &w.category, title).await;
        filed.push(t["id"].as_str().unwrap().to_string());
    }
    let token = Some(w.dispatcher.token.as_str());
    let first = app
        .get(
            "/api/v1/tickets?status=submitted&sort=oldest&limit=2",
            token,
        )
        .await
        .expect(200);
    assert_eq!(ids(&first), filed[..2].to_vec());
    let cursor = first["next_cursor"].as_str().expect("a second page");
    let rest = app
        .get(
            &format!("/api/v1/tickets?status=submitted&sort=oldest&limit=2&cursor={cursor}"),
            token,
        )
        .await
        .expect(200);
    assert_eq!(ids(&rest), filed[2..].to_vec());
    assert!(rest["next_cursor"].is_null());
    let newest = app
        .get("/api/v1/tickets?status=submitted", token)
        .await
        .expect(200);
    let mut reversed = filed.clone();
    reversed.reverse();
    assert_eq!(ids(&newest), reversed);
    let refused = app
        .get("/api/v1/tickets?sort=sideways", token)
        .await
        .expect(400);
    assert_eq!(refused["error"], "invalid_query", "{refused}");
    assert!(refused["fields"]["sort"].is_string(), "{refused}");

    // An extension request waiting: in the 待审批 filter and count, until it is decided.
    let id = app.ticket_in_progress(&w).await;
    assert_eq!(waiting(&app, &w.dispatcher).await, (vec![], 0));
    let ext = app
        .post(
            &format!("/api/v1/tickets/{id}/extensions"),
            Some(&w.cadre_a.token),
            json!({"working_days": 3, "reason": "待设备到货"}),
        )
        .await
        .expect(201);
    assert_eq!(waiting(&app, &w.dispatcher).await, (vec![id.clone()], 1));
    let others = app
        .get(
            "/api/v1/tickets?extension_pending=false&status=in_progress",
            token,
        )
        .await
        .expect(200);
    assert!(!ids(&others).contains(&id));
    app.post(
        &format!(
            "/api/v1/tickets/{id}/extensions/{}/approve",
            ext["id"].as_str().unwrap()
        ),
        token,
        json!({}),
    )
    .await
    .expect(200);
    assert_eq!(waiting(&app, &w.dispatcher).await, (vec![], 0));
}

/// The ids in the 待审批 filter and its count, as `who` reads them.
async fn waiting(app: &TestApp, who: &crate::helpers::User) -> (Vec<String>, i64) {
    let list = app
        .get("/api/v1/tickets?extension_pending=true", Some(&who.token))
        .await
        .expect(200);
    let counts = app
        .get("/api/v1/tickets/counts", Some(&who.token))
        .await
        .expect(200);
    let ids = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect();
    (ids, counts["extension_pending"].as_i64().unwrap())
}

both_backends!(
    full_loop_for_every_role,
    unsatisfied_revisit_reopens_until_satisfied,
    dispatchers_find_waiting_extensions_and_the_oldest_requests_first,
    reject_with_a_reason_the_enterprise_reads,
    withdraw_before_assignment_only,
    return_and_reassign,
    who_may_sign,
    co_departments_progress_but_do_not_resolve,
    suggestions_record_adoption,
    urging_is_for_dispatchers_and_internal,
    close_without_rating,
    reassigning_restarts_signing,
    deadlines,
    assignment_references_are_checked,
    comments_and_their_audience,
    staff_file_on_behalf_of_enterprises,
    refused_actions_change_nothing,
    unknown_actions_and_tickets,
);
