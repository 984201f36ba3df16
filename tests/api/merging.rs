//! Merging duplicates (issue 18): a waiting request merged into its primary follows it — its
//! enterprise reads the primary's public steps on its own request, is told of them, and rates
//! the resolution there — until it is taken out again; what is refused, and how merged
//! requests count in the figures.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, User, World, id_of};

async fn file(app: &TestApp, w: &World, user: &User, title: &str, description: &str) -> String {
    app.file_described(user, &w.category, title, description)
        .await
}

/// The events of `user`'s in-app messages about `ticket`, oldest first.
async fn told(app: &TestApp, user: &User, ticket: &str) -> Vec<String> {
    let list = app
        .get("/api/v1/messages?limit=100", Some(&user.token))
        .await
        .expect(200);
    let mut events: Vec<String> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|m| m["ticket_id"] == ticket)
        .map(|m| m["event"].as_str().expect("event").to_string())
        .collect();
    events.reverse();
    events
}

/// What the reader may do to the ticket now.
fn actions(ticket: &Value) -> Vec<String> {
    ticket["allowed_actions"]
        .as_array()
        .expect("allowed_actions")
        .iter()
        .map(|a| a.as_str().expect("an action").to_string())
        .collect()
}

fn text(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_string()
}

/// The (action, from, to) of the timeline as `user` sees it.
fn timeline(detail: &Value) -> Vec<(String, String, String)> {
    detail["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| {
            (
                text(e, "action"),
                text(e, "from_status"),
                text(e, "to_status"),
            )
        })
        .collect()
}

async fn a_duplicate_follows_its_primary_and_rates_its_resolution(app: TestApp) {
    let w = app.world().await;
    let primary = app.assigned_ticket(&w, "园区门前路灯不亮").await;
    let duplicate = file(
        &app,
        &w,
        &w.ent_b,
        "门前路灯坏了",
        "园区大门前的路灯晚上不亮，员工下班看不见路",
    )
    .await;
    app.set_contact(&w.ent_b, None, Some("ent.b@qys.test"));
    let d = &w.dispatcher;
    // The dispatcher finds it among the similar requests, and may merge the waiting one.
    let similar = app
        .get(
            &format!("/api/v1/tickets/{duplicate}/similar"),
            Some(&d.token),
        )
        .await
        .expect(200);
    assert_eq!(similar["items"][0]["id"], primary.as_str(), "{similar:#}");
    assert!(actions(&app.detail(d, &duplicate).await).contains(&"merge".to_string()));
    let primary_number = text(&app.detail(d, &primary).await, "number");
    let merged = app
        .act(
            d,
            &duplicate,
            "merge",
            json!({"primary": primary_number.to_lowercase(), "reason": "同一路段路灯，已由部门甲办理"}),
        )
        .await
        .expect(200);
    assert_eq!(merged["status"], "merged");
    assert_eq!(merged["merged_into_id"], primary.as_str());
    assert!(merged["merged_at"].is_string());
    assert_eq!(actions(&merged), ["unmerge"]);

    // Its enterprise sees the primary's number and status, never its text; and is told.
    let seen = app.detail(&w.ent_b, &duplicate).await;
    assert_eq!(seen["merged_into"]["number"], primary_number.as_str());
    assert_eq!(seen["merged_into"]["status"], "assigned");
    assert!(!seen.to_string().contains("园区门前路灯不亮"), "{seen:#}");
    assert_eq!(seen["duplicates"], json!([]));
    assert!(actions(&seen).is_empty(), "{seen:#}");
    assert_eq!(told(&app, &w.ent_b, &duplicate).await, ["ticket_merged"]);
    // Staff see the duplicates on the primary; its enterprise does not.
    let on_primary = app.detail(d, &primary).await;
    assert_eq!(on_primary["duplicates"][0]["id"], duplicate.as_str());
    assert_eq!(
        on_primary["duplicates"][0]["enterprise_name"],
        "乙企业有限公司"
    );
    assert_eq!(
        app.detail(&w.ent_a, &primary).await["duplicates"],
        json!([])
    );
    // The other enterprise cannot open the primary for all that.
    app.get(&format!("/api/v1/tickets/{primary}"), Some(&w.ent_b.token))
        .await
        .expect_error(404, "not_found");
    // A merged request takes no comments: the work is on the primary.
    app.post(
        &format!("/api/v1/tickets/{duplicate}/comments"),
        Some(&w.ent_b.token),
        json!({"body": "还没修好"}),
    )
    .await
    .expect_error(409, "illegal_transition");

    // The primary moves: its public steps reach the duplicate's timeline and enterprise.
    let c = &w.cadre_a;
    app.act(c, &primary, "sign", json!({})).await.expect(200);
    app.act(
        c,
        &primary,
        "progress",
        json!({"note": "内部：联系供电所", "public": false}),
    )
    .await
    .expect(200);
    app.act(
        c,
        &primary,
        "progress",
        json!({"note": "已派人检修线路", "public": true}),
    )
    .await
    .expect(200);
    app.act(
        c,
        &primary,
        "resolve",
        json!({"resolution": "路灯已更换，恢复照明"}),
    )
    .await
    .expect(200);
    let seen = app.detail(&w.ent_b, &duplicate).await;
    let merged = "merged".to_string();
    assert_eq!(
        timeline(&seen),
        [
            ("file".into(), String::new(), "submitted".into()),
            ("merge".into(), "submitted".into(), merged.clone()),
            ("progress".into(), merged.clone(), merged.clone()),
            ("resolve".into(), merged.clone(), merged.clone()),
        ],
        "{seen:#}"
    );
    assert_eq!(seen["events"][3]["note"], "路灯已更换，恢复照明");
    assert!(!seen.to_string().contains("联系供电所"));
    assert_eq!(seen["merged_into"]["status"], "resolved");
    assert!(seen["resolved_at"].is_string());
    assert_eq!(
        told(&app, &w.ent_b, &duplicate).await,
        ["ticket_merged", "ticket_progress", "ticket_resolved"]
    );
    // The e-mail about the resolution names the duplicate and the primary's department.
    let resolved_mail = crate::notifications::of_ticket(&app.db, &duplicate)
        .into_iter()
        .find(|r| r.event.as_str() == "ticket_resolved" && r.channel.as_str() == "email")
        .expect("an e-mail of the resolution");
    assert_eq!(resolved_mail.recipient, "ent.b@qys.test");
    assert!(
        resolved_mail.body.contains("门前路灯坏了") && resolved_mail.body.contains("部门甲"),
        "{}",
        resolved_mail.body
    );
    assert!(
        resolved_mail
            .body
            .contains(&format!("/tickets/{duplicate}/rate"))
    );

    // Too late to take it out; its enterprise rates the resolution on its own request, once.
    assert_eq!(actions(&seen), ["revisit"]);
    app.act(d, &duplicate, "unmerge", json!({"reason": "误合并"}))
        .await
        .expect_error(409, "illegal_transition");
    let rated = app
        .act(
            &w.ent_b,
            &duplicate,
            "revisit",
            json!({"rating": "basically_satisfied"}),
        )
        .await
        .expect(200);
    assert_eq!(rated["status"], "merged");
    assert_eq!(rated["rating"], "basically_satisfied");
    assert!(actions(&rated).is_empty());
    app.act(
        &w.ent_b,
        &duplicate,
        "revisit",
        json!({"rating": "satisfied"}),
    )
    .await
    .expect_error(409, "illegal_transition");
    assert_eq!(
        app.detail(d, &primary).await["duplicates"][0]["rating"],
        "basically_satisfied"
    );
    // The primary's own enterprise still decides the primary.
    let closed = app
        .act(
            &w.ent_a,
            &primary,
            "revisit",
            json!({"rating": "satisfied"}),
        )
        .await
        .expect(200);
    assert_eq!(closed["status"], "closed");

    // The figures: the duplicate is filed, and nowhere else (docs/kpi.md).
    let today = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("+8"))
        .date_naive();
    let period = format!("from={today}&to={}", today.succ_opt().expect("tomorrow"));
    let every_status =
        "submitted,accepted,assigned,in_progress,resolved,closed,rejected,withdrawn,merged";
    for query in [period.clone(), format!("{period}&status={every_status}")] {
        let s = app
            .get(
                &format!("/api/v1/stats/summary?{query}"),
                Some(&w.admin.token),
            )
            .await
            .expect(200);
        assert_eq!(
            (
                &s["filed"],
                &s["accepted"],
                &s["resolved"],
                &s["rated"],
                &s["satisfied"]
            ),
            (&json!(2), &json!(1), &json!(1), &json!(1), &json!(1)),
            "{query}: {s:#}"
        );
    }
}

async fn merging_is_refused_where_it_makes_no_sense(app: TestApp) {
    let w = app.world().await;
    let d = &w.dispatcher;
    let primary = app.assigned_ticket(&w, "厂区供水压力不足").await;
    let duplicate = file(&app, &w, &w.ent_b, "供水压力低", "厂区水压不够").await;
    let version = app.detail(d, &duplicate).await["version"].clone();
    let merge = |into: &str| json!({"primary": into, "reason": "同一问题"});
    // Into itself, an unknown request, one waiting to be accepted, one of another kind.
    app.act(d, &duplicate, "merge", merge(&duplicate))
        .await
        .expect_error(409, "merge_refused");
    let unknown = app
        .act(d, &duplicate, "merge", merge("QYS20990101000001"))
        .await;
    unknown.expect_error(422, "validation_failed");
    assert!(unknown.field("primary").is_some());
    let waiting = file(&app, &w, &w.ent_a, "供水", "水压不够").await;
    app.act(d, &duplicate, "merge", merge(&waiting))
        .await
        .expect_error(409, "merge_refused");
    let suggestion = id_of(
        &app.post(
            "/api/v1/tickets",
            Some(&w.ent_a.token),
            json!({"kind": "suggestion", "category_id": w.category, "title": "建议增设加压泵", "description": "供水压力不足"}),
        )
        .await
        .expect(201),
    );
    app.act(d, &suggestion, "accept", json!({}))
        .await
        .expect(200);
    let other_kind = app.act(d, &duplicate, "merge", merge(&suggestion)).await;
    other_kind.expect_error(409, "merge_refused");
    assert!(
        other_kind.body["message"]
            .as_str()
            .is_some_and(|m| m.contains("problem") && m.contains("suggestion")),
        "{:#}",
        other_kind.body
    );
    // A resolved primary.
    let resolved = app.ticket_in_progress(&w).await;
    app.act(
        &w.cadre_a,
        &resolved,
        "resolve",
        json!({"resolution": "已处理"}),
    )
    .await
    .expect(200);
    app.act(d, &duplicate, "merge", merge(&resolved))
        .await
        .expect_error(409, "merge_refused");
    // No reason, no primary: 422 naming them.
    let blank = app
        .act(
            d,
            &duplicate,
            "merge",
            json!({"primary": " ", "reason": ""}),
        )
        .await;
    blank.expect_error(422, "validation_failed");
    assert!(blank.field("primary").is_some() && blank.field("reason").is_some());
    // Only those who route requests merge them (a cadre does not even see this one).
    app.act(&w.ent_b, &duplicate, "merge", merge(&primary))
        .await
        .expect_error(403, "forbidden");
    app.act(&w.cadre_a, &duplicate, "merge", merge(&primary))
        .await
        .expect_error(404, "not_found");
    // None of it changed the duplicate.
    assert_eq!(app.detail(d, &duplicate).await["version"], version);

    // A request being handled is not merged; nor is a primary with followers of its own.
    app.act(d, &duplicate, "merge", merge(&primary))
        .await
        .expect(200);
    let handled = app.assigned_ticket(&w, "水压").await;
    app.act(d, &handled, "merge", merge(&primary))
        .await
        .expect_error(409, "illegal_transition");
    let third = file(&app, &w, &w.ent_a, "水压不足", "供水压力不足").await;
    app.act(d, &third, "accept", json!({})).await.expect(200);
    app.act(d, &primary, "merge", merge(&third))
        .await
        .expect_error(409, "illegal_transition");
    // `primary` is assigned, so it cannot be merged anyway; a waiting request with followers:
    app.act(d, &third, "merge", merge(&primary))
        .await
        .expect(200);
    let lead = file(&app, &w, &w.ent_b, "供水压力", "水压不足").await;
    app.act(d, &lead, "accept", json!({})).await.expect(200);
    let follower = file(&app, &w, &w.ent_a, "水压", "水压低").await;
    app.act(d, &follower, "merge", merge(&lead))
        .await
        .expect(200);
    app.act(d, &lead, "merge", merge(&primary))
        .await
        .expect_error(409, "merge_refused");
}

async fn unmerging_puts_it_back_and_a_withdrawn_primary_lets_go(app: TestApp) {
    let w = app.world().await;
    let d = &w.dispatcher;
    let primary = file(&app, &w, &w.ent_a, "园区道路积水", "下雨后道路积水严重").await;
    app.act(d, &primary, "accept", json!({})).await.expect(200);
    let duplicate = file(&app, &w, &w.ent_b, "道路积水", "园区道路一下雨就积水").await;
    app.act(
        d,
        &duplicate,
        "merge",
        json!({"primary": primary, "reason": "同一路段"}),
    )
    .await
    .expect(200);
    // Taken out before the primary is resolved: accepted, on its own, and its enterprise told.
    let back = app
        .act(d, &duplicate, "unmerge", json!({"reason": "不是同一路段"}))
        .await
        .expect(200);
    assert_eq!(back["status"], "accepted");
    assert_eq!(back["merged_into_id"], Value::Null);
    assert!(back["accepted_at"].is_string());
    assert!(actions(&back).contains(&"assign".to_string()));
    assert_eq!(
        told(&app, &w.ent_b, &duplicate).await,
        ["ticket_merged", "ticket_unmerged"]
    );
    assert_eq!(app.detail(d, &primary).await["duplicates"], json!([]));
    // Merged again, then the primary's enterprise withdraws it: the duplicate is let go.
    app.act(
        d,
        &duplicate,
        "merge",
        json!({"primary": primary, "reason": "同一路段"}),
    )
    .await
    .expect(200);
    app.act(&w.ent_a, &primary, "withdraw", json!({}))
        .await
        .expect(200);
    let seen = app.detail(&w.ent_b, &duplicate).await;
    assert_eq!(seen["status"], "accepted");
    let last = seen["events"]
        .as_array()
        .expect("events")
        .last()
        .expect("an entry")
        .clone();
    assert_eq!(last["action"], "unmerge");
    assert_eq!(
        last["note"],
        qiyeshao::service::tickets::merging::PRIMARY_WITHDRAWN
    );
    // The dispatcher assigns it on its own.
    app.act(d, &duplicate, "assign", json!({"department_id": w.dept_a}))
        .await
        .expect(200);
}

both_backends!(
    a_duplicate_follows_its_primary_and_rates_its_resolution,
    merging_is_refused_where_it_makes_no_sense,
    unmerging_puts_it_back_and_a_withdrawn_primary_lets_go,
);
