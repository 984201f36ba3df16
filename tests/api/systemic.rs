//! Systemic issues (症结, issue 18): opening, editing and moving one, linking tickets from
//! both sides, the requests and enterprises behind each, scoping (a cadre sees their
//! department's, enterprises nothing, and their tickets carry nothing of it), refusals that
//! change nothing, and the suggested tickets.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, User, World, id_of};

/// Opens an issue led by `department` as `user`; returns it.
async fn open_issue(app: &TestApp, user: &User, department: &str, title: &str) -> Value {
    app.post(
        "/api/v1/systemic-issues",
        Some(&user.token),
        json!({
            "title": title,
            "analysis": "多家企业反映园区道路路灯损坏，夜间通行不安全，根源在于路灯维护责任未明确",
            "lead_department_id": department,
        }),
    )
    .await
    .expect(201)
}

async fn file(app: &TestApp, w: &World, user: &User, title: &str, description: &str) -> String {
    app.file_described(user, &w.category, title, description)
        .await
}

async fn link(app: &TestApp, user: &User, issue: &str, body: Value) -> crate::helpers::Resp {
    app.post(
        &format!("/api/v1/systemic-issues/{issue}/tickets"),
        Some(&user.token),
        body,
    )
    .await
}

async fn unlink(app: &TestApp, user: &User, issue: &str, ticket: &str) -> crate::helpers::Resp {
    app.send(
        app.client
            .delete(app.url(&format!("/api/v1/systemic-issues/{issue}/tickets/{ticket}")))
            .bearer_auth(&user.token),
    )
    .await
}

async fn issue(app: &TestApp, user: &User, id: &str) -> Value {
    app.get(&format!("/api/v1/systemic-issues/{id}"), Some(&user.token))
        .await
        .expect(200)
}

fn ids(list: &Value, key: &str) -> Vec<String> {
    list[key]
        .as_array()
        .expect("array")
        .iter()
        .map(id_of)
        .collect()
}

async fn patch_issue(
    app: &TestApp,
    user: &User,
    id: &str,
    version: Option<i64>,
    body: Value,
) -> crate::helpers::Resp {
    let mut req = app
        .client
        .patch(app.url(&format!("/api/v1/systemic-issues/{id}")))
        .bearer_auth(&user.token)
        .json(&body);
    if let Some(v) = version {
        req = req.header("If-Match", format!("\"{v}\""));
    }
    app.send(req).await
}

async fn open_edit_and_move(app: TestApp) {
    let w = app.world().await;
    let created = open_issue(&app, &w.dispatcher, &w.dept_a, "园区路灯年久失修").await;
    let id = id_of(&created);
    assert_eq!(created["status"], "open");
    assert_eq!(created["version"], 1);
    assert_eq!(created["measures"], "");
    assert_eq!(created["requests"], 0);
    assert_eq!(created["enterprises"], 0);
    assert_eq!(
        created["allowed"],
        json!(["edit", "edit_measures", "change_status", "link"])
    );
    // The dispatcher edits the title with the version read; the version moves on.
    let edited = patch_issue(
        &app,
        &w.dispatcher,
        &id,
        Some(1),
        json!({"title": "园区道路路灯维护责任不清", "measures": "已召集住建、城管会商"}),
    )
    .await
    .expect(200);
    assert_eq!(edited["version"], 2);
    assert_eq!(edited["title"], "园区道路路灯维护责任不清");
    // An edit meant for version 1 is refused (412) and changes nothing.
    patch_issue(&app, &w.admin, &id, Some(1), json!({"title": "覆盖"}))
        .await
        .expect_error(412, "version_mismatch");
    // The lead department's cadre records measures and the status, and nothing else.
    let moved = patch_issue(
        &app,
        &w.cadre_a,
        &id,
        Some(2),
        json!({"status": "addressing", "measures": "已明确由城管局负责维护"}),
    )
    .await
    .expect(200);
    assert_eq!(moved["status"], "addressing");
    assert_eq!(moved["allowed"], json!(["edit_measures", "change_status"]));
    patch_issue(&app, &w.cadre_a, &id, None, json!({"title": "改标题"}))
        .await
        .expect_error(403, "forbidden");
    // Solved: the moment is kept; opened again: it is cleared.
    let solved = patch_issue(&app, &w.admin, &id, None, json!({"status": "solved"}))
        .await
        .expect(200);
    assert!(solved["solved_at"].is_string());
    let reopened = patch_issue(&app, &w.admin, &id, None, json!({"status": "open"}))
        .await
        .expect(200);
    assert!(reopened["solved_at"].is_null());
    // An edit of nothing changes nothing, not even the version.
    let same = patch_issue(&app, &w.admin, &id, None, json!({}))
        .await
        .expect(200);
    assert_eq!(same["version"], 5);
    let read = issue(&app, &w.dispatcher, &id).await;
    assert_eq!(read["title"], "园区道路路灯维护责任不清");
    assert_eq!(read["measures"], "已明确由城管局负责维护");
    assert_eq!(read["version"], 5);
    // Every write is in the audit log.
    let audit = app
        .get(
            &format!("/api/v1/audit?target_id={id}&limit=50"),
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["action"].as_str().expect("action"))
        .collect();
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "systemic_issue.update")
            .count(),
        4
    );
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "systemic_issue.create")
            .count(),
        1
    );
    // Cadres do not open issues.
    app.post(
        "/api/v1/systemic-issues",
        Some(&w.cadre_a.token),
        json!({"title": "t", "analysis": "a", "lead_department_id": w.dept_a}),
    )
    .await
    .expect_error(403, "forbidden");
}

async fn bad_input_is_422_and_changes_nothing(app: TestApp) {
    let w = app.world().await;
    let d = &w.dispatcher;
    let r = app
        .post(
            "/api/v1/systemic-issues",
            Some(&d.token),
            json!({"title": " ", "analysis": "分析", "lead_department_id": w.dept_a}),
        )
        .await;
    r.expect_error(422, "validation_failed");
    assert!(r.field("title").is_some(), "{}", r.text);
    let r = app
        .post(
            "/api/v1/systemic-issues",
            Some(&d.token),
            json!({"title": "标题", "analysis": "分析", "lead_department_id": uuid::Uuid::now_v7().to_string()}),
        )
        .await;
    r.expect_error(422, "validation_failed");
    assert!(r.field("lead_department_id").is_some(), "{}", r.text);
    let r = app
        .post(
            "/api/v1/systemic-issues",
            Some(&d.token),
            json!({"title": "标", "analysis": "分".repeat(5001), "lead_department_id": w.dept_a}),
        )
        .await;
    assert!(r.field("analysis").is_some(), "{}", r.text);
    let list = app
        .get("/api/v1/systemic-issues", Some(&d.token))
        .await
        .expect(200);
    assert!(list["items"].as_array().expect("items").is_empty());

    let id = id_of(&open_issue(&app, d, &w.dept_a, "招工难").await);
    let r = patch_issue(
        &app,
        d,
        &id,
        None,
        json!({"title": "新标题", "lead_department_id": "not-a-department"}),
    )
    .await;
    r.expect_error(422, "validation_failed");
    assert!(r.field("lead_department_id").is_some(), "{}", r.text);
    let r = patch_issue(&app, d, &id, None, json!({"status": "finished"})).await;
    assert_eq!(r.status, 422, "{}", r.text);
    let read = issue(&app, d, &id).await;
    assert_eq!(read["title"], "招工难");
    assert_eq!(read["version"], 1);
    // Linking something that is not there: 422 naming the field, nothing linked.
    let r = link(
        &app,
        d,
        &id,
        json!({"ticket_id": uuid::Uuid::now_v7().to_string()}),
    )
    .await;
    r.expect_error(422, "validation_failed");
    assert!(r.field("ticket_id").is_some(), "{}", r.text);
    let r = link(&app, d, &id, json!({"number": "QYS20990101000001"})).await;
    r.expect_error(422, "validation_failed");
    assert!(r.field("number").is_some(), "{}", r.text);
    link(&app, d, &id, json!({}))
        .await
        .expect_error(422, "validation_failed");
    assert_eq!(issue(&app, d, &id).await["requests"], 0);
    // A status filter that is no status: 400 naming it.
    app.get("/api/v1/systemic-issues?status=closed", Some(&d.token))
        .await
        .expect_error(400, "invalid_query");
}

async fn linking_from_both_sides_and_the_counts(app: TestApp) {
    let w = app.world().await;
    let d = &w.dispatcher;
    let a1 = file(&app, &w, &w.ent_a, "门前路灯不亮", "厂区门前路灯坏了").await;
    let a2 = file(&app, &w, &w.ent_a, "路灯损坏", "园区道路的路灯不亮").await;
    let b1 = file(&app, &w, &w.ent_b, "道路照明差", "夜间路灯不亮").await;
    let id = id_of(&open_issue(&app, d, &w.dept_a, "园区路灯年久失修").await);
    // From the issue's page, by id and by number (lower case works too).
    let linked = link(&app, d, &id, json!({"ticket_id": a1}))
        .await
        .expect(200);
    assert_eq!(
        (linked["requests"].clone(), linked["enterprises"].clone()),
        (json!(1), json!(1))
    );
    let number = app.detail(d, &a2).await["number"]
        .as_str()
        .expect("number")
        .to_lowercase();
    let linked = link(&app, &w.admin, &id, json!({"number": number}))
        .await
        .expect(200);
    assert_eq!(
        (linked["requests"].clone(), linked["enterprises"].clone()),
        (json!(2), json!(1))
    );
    // Twice: 409.
    link(&app, d, &id, json!({"ticket_id": a1}))
        .await
        .expect_error(409, "duplicate");
    // From the ticket's page: the same call with the ticket's id, then the ticket lists it.
    link(&app, d, &id, json!({"ticket_id": b1}))
        .await
        .expect(200);
    let of_ticket = app
        .get(
            &format!("/api/v1/tickets/{b1}/systemic-issues"),
            Some(&d.token),
        )
        .await
        .expect(200);
    assert_eq!(ids(&of_ticket, "items"), [id.as_str()]);
    assert_eq!(of_ticket["items"][0]["requests"], 3);
    assert_eq!(of_ticket["items"][0]["enterprises"], 2);
    let read = issue(&app, d, &id).await;
    assert_eq!(read["requests"], 3);
    assert_eq!(read["enterprises"], 2);
    let mut listed = ids(&read, "tickets");
    listed.sort();
    let mut all = vec![a1.clone(), a2.clone(), b1.clone()];
    all.sort();
    assert_eq!(listed, all);
    assert_eq!(read["tickets_not_listed"], 0);
    // The list carries the counts too (the dashboard's panel).
    let list = app
        .get(
            "/api/v1/systemic-issues?status=open,addressing",
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    assert_eq!(list["items"][0]["requests"], 3);
    assert_eq!(list["items"][0]["enterprises"], 2);
    // Unlinking B's: one enterprise again; twice: the same (idempotent).
    let after = unlink(&app, d, &id, &b1).await.expect(200);
    assert_eq!(
        (after["requests"].clone(), after["enterprises"].clone()),
        (json!(2), json!(1))
    );
    let again = unlink(&app, d, &id, &b1).await.expect(200);
    assert_eq!(again["requests"], 2);
    assert!(
        app.get(
            &format!("/api/v1/tickets/{b1}/systemic-issues"),
            Some(&d.token)
        )
        .await
        .expect(200)["items"]
            .as_array()
            .expect("items")
            .is_empty()
    );
    // Cadres do not link (403), even of their own department's issue.
    link(&app, &w.cadre_a, &id, json!({"ticket_id": b1}))
        .await
        .expect_error(403, "forbidden");
    unlink(&app, &w.cadre_a, &id, &a1)
        .await
        .expect_error(403, "forbidden");
    // Filters: by status and by department.
    let other = id_of(&open_issue(&app, d, &w.dept_b, "招工难").await);
    patch_issue(&app, d, &other, None, json!({"status": "solved"}))
        .await
        .expect(200);
    let open = app
        .get("/api/v1/systemic-issues?status=open", Some(&d.token))
        .await
        .expect(200);
    assert_eq!(ids(&open, "items"), [id.as_str()]);
    let of_b = app
        .get(
            &format!("/api/v1/systemic-issues?department_id={}", w.dept_b),
            Some(&d.token),
        )
        .await
        .expect(200);
    assert_eq!(ids(&of_b, "items"), [other.as_str()]);
    // Paging: one at a time, newest first.
    let first = app
        .get("/api/v1/systemic-issues?limit=1", Some(&d.token))
        .await
        .expect(200);
    assert_eq!(ids(&first, "items"), [other.as_str()]);
    let cursor = first["next_cursor"].as_str().expect("cursor");
    let second = app
        .get(
            &format!("/api/v1/systemic-issues?limit=1&cursor={cursor}"),
            Some(&d.token),
        )
        .await
        .expect(200);
    assert_eq!(ids(&second, "items"), [id.as_str()]);
}

async fn scoped_to_staff_and_the_lead_department(app: TestApp) {
    let w = app.world().await;
    let d = &w.dispatcher;
    let ticket = app.assigned_ticket(&w, "门前路灯不亮").await;
    let issue_a = open_issue(&app, d, &w.dept_a, "路灯维护责任不清之症结").await;
    let id = id_of(&issue_a);
    link(&app, d, &id, json!({"ticket_id": ticket}))
        .await
        .expect(200);
    // Department A's cadres see it; B's get 404, in the list nothing.
    issue(&app, &w.cadre_a2, &id).await;
    app.get(
        &format!("/api/v1/systemic-issues/{id}"),
        Some(&w.cadre_b.token),
    )
    .await
    .expect_error(404, "not_found");
    patch_issue(&app, &w.cadre_b, &id, None, json!({"measures": "x"}))
        .await
        .expect_error(404, "not_found");
    let list_b = app
        .get("/api/v1/systemic-issues", Some(&w.cadre_b.token))
        .await
        .expect(200);
    assert!(list_b["items"].as_array().expect("items").is_empty());
    let asked_a = app
        .get(
            &format!("/api/v1/systemic-issues?department_id={}", w.dept_a),
            Some(&w.cadre_b.token),
        )
        .await
        .expect(200);
    assert!(asked_a["items"].as_array().expect("items").is_empty());
    let list_a = app
        .get("/api/v1/systemic-issues", Some(&w.cadre_a.token))
        .await
        .expect(200);
    assert_eq!(ids(&list_a, "items"), [id.as_str()]);
    // A co-department sees the ticket but not the issue: the issue is its lead department's.
    let b_ticket = app.assigned_ticket(&w, "道路照明差").await;
    app.act(
        d,
        &b_ticket,
        "assign",
        json!({"department_id": w.dept_a, "assignee_id": w.cadre_a.id, "co_department_ids": [w.dept_b]}),
    )
    .await;
    link(&app, d, &id, json!({"ticket_id": b_ticket}))
        .await
        .expect(200);
    let seen_by_b = app
        .get(
            &format!("/api/v1/tickets/{b_ticket}/systemic-issues"),
            Some(&w.cadre_b.token),
        )
        .await;
    if seen_by_b.status == 200 {
        assert!(
            seen_by_b.body["items"]
                .as_array()
                .expect("items")
                .is_empty()
        );
    } else {
        assert_eq!(seen_by_b.status, 404, "{}", seen_by_b.text);
    }
    // Enterprises: 403 everywhere, and nothing of the issue in their tickets' answers.
    for path in [
        "/api/v1/systemic-issues".to_string(),
        format!("/api/v1/systemic-issues/{id}"),
        format!("/api/v1/systemic-issues/{id}/suggested"),
        format!("/api/v1/tickets/{ticket}/systemic-issues"),
    ] {
        app.get(&path, Some(&w.ent_a.token))
            .await
            .expect_error(403, "forbidden");
    }
    link(&app, &w.ent_a, &id, json!({"ticket_id": ticket}))
        .await
        .expect_error(403, "forbidden");
    app.post(
        "/api/v1/systemic-issues",
        Some(&w.ent_a.token),
        json!({"title": "t", "analysis": "a", "lead_department_id": w.dept_a}),
    )
    .await
    .expect_error(403, "forbidden");
    let seen = app
        .get(&format!("/api/v1/tickets/{ticket}"), Some(&w.ent_a.token))
        .await;
    assert_eq!(seen.status, 200);
    let list = app
        .get("/api/v1/tickets?limit=100", Some(&w.ent_a.token))
        .await;
    for text in [&seen.text, &list.text] {
        assert!(!text.contains(&id), "{text}");
        assert!(!text.contains("症结"), "{text}");
        assert!(!text.contains("systemic"), "{text}");
    }
    // The cadre of A sees the issue on the ticket's page.
    let on_ticket = app
        .get(
            &format!("/api/v1/tickets/{ticket}/systemic-issues"),
            Some(&w.cadre_a.token),
        )
        .await
        .expect(200);
    assert_eq!(ids(&on_ticket, "items"), [id]);
}

async fn suggestions_come_from_similar_tickets(app: TestApp) {
    let w = app.world().await;
    let d = &w.dispatcher;
    let lamp_a = file(
        &app,
        &w,
        &w.ent_a,
        "门前路灯不亮",
        "厂区大门前的路灯坏了一个月",
    )
    .await;
    let lamp_b = file(&app, &w, &w.ent_b, "园区路灯损坏", "园区道路的路灯夜间不亮").await;
    let power = file(&app, &w, &w.ent_a, "新厂房用电报装", "申请专变，进度缓慢").await;
    let id = id_of(&open_issue(&app, d, &w.dept_a, "园区路灯年久失修").await);
    let path = format!("/api/v1/systemic-issues/{id}/suggested");
    let found = app.get(&path, Some(&d.token)).await.expect(200);
    let mut got = ids(&found, "items");
    assert!(!got.contains(&power), "{found}");
    got.sort();
    let mut lamps = vec![lamp_a.clone(), lamp_b.clone()];
    lamps.sort();
    assert_eq!(got, lamps);
    assert!(
        found["items"][0]["shared_words"]
            .as_array()
            .expect("words")
            .iter()
            .any(|w| w == "路灯"),
        "{found}"
    );
    // A linked ticket is no longer suggested.
    link(&app, d, &id, json!({"ticket_id": lamp_a}))
        .await
        .expect(200);
    let found = app.get(&path, Some(&w.admin.token)).await.expect(200);
    assert_eq!(ids(&found, "items"), [lamp_b]);
    // For dispatchers and administrators only; the limit is checked.
    app.get(&path, Some(&w.cadre_a.token))
        .await
        .expect_error(403, "forbidden");
    app.get(&format!("{path}?limit=21"), Some(&d.token))
        .await
        .expect_error(400, "invalid_query");
}

/// What the weekly bulletin will call: the issues not yet solved, and those solved since the
/// week began, each with its counts.
async fn the_bulletin_takes_open_issues_and_those_solved_lately(app: TestApp) {
    let w = app.world().await;
    let d = &w.dispatcher;
    let open = id_of(&open_issue(&app, d, &w.dept_a, "路灯").await);
    let addressing = id_of(&open_issue(&app, d, &w.dept_b, "招工").await);
    let solved = id_of(&open_issue(&app, d, &w.dept_a, "用电").await);
    patch_issue(&app, d, &addressing, None, json!({"status": "addressing"}))
        .await
        .expect(200);
    patch_issue(&app, d, &solved, None, json!({"status": "solved"}))
        .await
        .expect(200);
    let ticket = file(&app, &w, &w.ent_a, "门前路灯不亮", "路灯坏了").await;
    link(&app, d, &open, json!({"ticket_id": ticket}))
        .await
        .expect(200);
    let now = qiyeshao::domain::time::Clock::now(&app.clock);
    let bulletin = |since: chrono::DateTime<chrono::Utc>| {
        app.db
            .read(|c| qiyeshao::service::systemic::for_bulletin(c, since))
            .expect("bulletin")
            .into_iter()
            .map(|v| (v.issue.id, v.counts.requests, v.counts.enterprises))
            .collect::<Vec<_>>()
    };
    let week = bulletin(now - chrono::Duration::days(7));
    assert_eq!(
        week,
        [
            (solved.clone(), 0, 0),
            (addressing.clone(), 0, 0),
            (open.clone(), 1, 1)
        ]
    );
    let later = bulletin(now + chrono::Duration::days(1));
    assert_eq!(later, [(addressing, 0, 0), (open, 1, 1)]);
}

both_backends!(
    the_bulletin_takes_open_issues_and_those_solved_lately,
    open_edit_and_move,
    bad_input_is_422_and_changes_nothing,
    linking_from_both_sides_and_the_counts,
    scoped_to_staff_and_the_lead_department,
    suggestions_come_from_similar_tickets,
);
