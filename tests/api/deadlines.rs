//! Deadlines in working days, the calendar's endpoints, extensions (延期), and the scheduler:
//! reminders, escalation (督办) levels, the sign-for reminder and the revisit window, each
//! exactly once, also with two instances sweeping one PostgreSQL.

use qiyeshao::db::notifications::{NotificationFilter, NotificationRow};
use qiyeshao::db::{self, Db};
use qiyeshao::domain::time;

use qiyeshao::background::scheduler::SweepReport;
use qiyeshao::error::AppError;
use qiyeshao::service::calendar::CalendarStore;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, World, id_of, spawn_app};

fn at(text: &str) -> chrono::DateTime<chrono::Utc> {
    time::parse(text).expect("instant")
}

/// The actions on a ticket's timeline, as an administrator sees it.
async fn actions(app: &TestApp, w: &World, id: &str) -> Vec<String> {
    let admin = app.reissue(&w.admin);
    crate::helpers::actions(&app.detail(&admin, id).await)
}

fn count(actions: &[String], action: &str) -> usize {
    actions.iter().filter(|a| *a == action).count()
}

/// (event, channel, recipient) of a ticket's messages, oldest first.
fn messages(db: &Db, ticket: &str) -> Vec<(String, String, String)> {
    let filter = NotificationFilter {
        ticket_id: Some(ticket.into()),
        ..Default::default()
    };
    let mut rows: Vec<NotificationRow> = db
        .read(|c| -> Result<_, AppError> { Ok(db::notifications::list(c, &filter, 1000)?) })
        .expect("notifications");
    rows.reverse();
    rows.into_iter()
        .map(|r| (r.event.to_string(), r.channel.to_string(), r.recipient))
        .collect()
}

fn of_event(messages: &[(String, String, String)], event: &str) -> Vec<String> {
    let mut v: Vec<String> = messages
        .iter()
        .filter(|(e, _, _)| e == event)
        .map(|(_, c, r)| format!("{c}:{r}"))
        .collect();
    v.sort();
    v
}

async fn sweep(app: &TestApp) -> SweepReport {
    app.scheduler.sweep().await.expect("sweep")
}

async fn assign(app: &TestApp, w: &World, id: &str, body: Value) -> Value {
    let dispatcher = app.reissue(&w.dispatcher);
    app.act(&dispatcher, id, "assign", body).await.expect(200)
}

// --- deadlines and the calendar ----------------------------------------------------------

async fn deadlines_count_working_days_and_urgent_hours(app: TestApp) {
    let w = app.world().await;
    // Friday before the 2026 Spring Festival: Saturday 02-14 is a make-up working day, then
    // nine days off (02-15 … 02-23).
    app.clock.set(at("2026-02-13T10:00:00+08:00"));
    let (ent, disp) = (app.reissue(&w.ent_a), app.reissue(&w.dispatcher));
    let id = id_of(&app.file(&ent, &w.category, "春节前的诉求").await);
    let t = assign(&app, &w, &id, json!({"department_id": w.dept_a})).await;
    // Five working days: 02-14, 02-24, 02-25, 02-26, 02-27.
    assert_eq!(t["due_at"], "2026-02-27T15:59:59.999Z");
    assert_eq!(t["sign_due_at"], "2026-02-14T15:59:59.999Z");
    assert_eq!(t["priority"], "normal");

    // Urgent: hours around the clock.
    let r = app
        .post(
            "/api/v1/tickets",
            Some(&ent.token),
            json!({"kind": "problem", "category_id": w.category, "title": "停电", "description": "全厂停电", "priority": "urgent"}),
        )
        .await
        .expect(201);
    assert_eq!(r["priority"], "urgent");
    let t = assign(&app, &w, &id_of(&r), json!({"department_id": w.dept_a})).await;
    assert_eq!(t["due_at"], "2026-02-14T02:00:00.000Z");
    assert_eq!(t["sign_due_at"], "2026-02-13T04:00:00.000Z");
    // A dispatcher can make a normal ticket urgent when assigning it.
    let id2 = id_of(&app.file(&ent, &w.category, "改为加急").await);
    let t = assign(
        &app,
        &w,
        &id2,
        json!({"department_id": w.dept_a, "priority": "urgent"}),
    )
    .await;
    assert_eq!(t["priority"], "urgent");
    assert_eq!(t["due_at"], "2026-02-14T02:00:00.000Z");
    app.post(
        "/api/v1/tickets",
        Some(&ent.token),
        json!({"kind": "problem", "category_id": w.category, "title": "x", "description": "x", "priority": "asap"}),
    )
    .await
    .expect_error(422, "validation_failed");
    // Urgent tickets are reminded closer to their deadline: not yet at assignment, but four
    // hours before it (together with the sign-for reminder, two hours having passed).
    assert_eq!(sweep(&app).await, SweepReport::default());
    app.clock.set(at("2026-02-14T07:00:00+08:00"));
    let report = sweep(&app).await;
    assert_eq!(
        (report.reminded, report.sign_reminded),
        (2, 2),
        "{report:?}"
    );
    app.clock.set(at("2026-02-13T10:00:00+08:00"));

    // The calendar answers the same questions.
    let r = app
        .get(
            "/api/v1/calendar/working-days?from=2026-02-09&to=2026-02-22",
            Some(&disp.token),
        )
        .await
        .expect(200);
    assert_eq!(r["working_days"], 6);
    let days = r["days"].as_array().expect("days");
    assert_eq!(days.len(), 14);
    let sat = days
        .iter()
        .find(|d| d["date"] == "2026-02-14")
        .expect("02-14");
    assert_eq!(
        (&sat["kind"], &sat["working"], &sat["holiday"]),
        (&json!("makeup_workday"), &json!(true), &json!("春节"))
    );
    let r = app
        .get(
            "/api/v1/calendar/add?start=2026-02-13T10:00:00%2B08:00&days=5",
            Some(&ent.token),
        )
        .await
        .expect(200);
    assert_eq!(r["date"], "2026-02-27");
    assert_eq!(r["deadline"], "2026-02-27T15:59:59.999Z");
    for bad in [
        "/api/v1/calendar/working-days?from=2026-02-30&to=2026-03-01",
        "/api/v1/calendar/working-days?from=2026-03-01&to=2026-02-01",
        "/api/v1/calendar/working-days?from=2000-01-01&to=2026-01-01",
        "/api/v1/calendar/add?start=soon&days=3",
        "/api/v1/calendar/add?start=2026-02-13&days=5000",
    ] {
        app.get(bad, Some(&disp.token))
            .await
            .expect_error(400, "invalid_query");
    }
    app.get("/api/v1/calendar/add?start=2026-02-13&days=1", None)
        .await
        .expect_error(401, "missing_token");
}

async fn administrators_load_a_new_year(app: TestApp) {
    let w = app.world().await;
    app.clock.set(at("2026-12-01T10:00:00+08:00"));
    let admin = app.reissue(&w.admin);
    let years = app
        .get("/api/v1/calendar/years", Some(&admin.token))
        .await
        .expect(200);
    let listed: Vec<(i64, String)> = years["years"]
        .as_array()
        .expect("years")
        .iter()
        .map(|y| {
            (
                y["year"].as_i64().unwrap(),
                y["source"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            (2024, "built_in".into()),
            (2025, "built_in".into()),
            (2026, "built_in".into())
        ]
    );
    assert_eq!(years["missing"], json!([2027]));
    let ready = app.get("/readyz", None).await.expect(200);
    assert!(
        ready["warnings"][0].as_str().unwrap().contains("2027"),
        "{ready}"
    );
    // 2027-01-01 is a Friday: without the notice it counts as a working day.
    let r = app
        .get(
            "/api/v1/calendar/add?start=2026-12-31&days=1",
            Some(&admin.token),
        )
        .await
        .expect(200);
    assert_eq!(
        (r["date"].as_str(), &r["unknown_years"]),
        (Some("2027-01-01"), &json!([2027]))
    );

    let year_2027 = json!({"year": 2027, "holidays": [
        {"name": "元旦", "from": "2027-01-01", "to": "2027-01-03"},
        {"name": "春节", "from": "2027-02-06", "to": "2027-02-13", "workdays": ["2027-02-14", "2027-02-20"]},
    ]});
    // Refusals change nothing.
    for user in [&w.dispatcher, &w.cadre_a, &w.ent_a] {
        let user = app.reissue(user);
        app.send(
            app.client
                .put(app.url("/api/v1/calendar/years/2027"))
                .bearer_auth(&user.token)
                .json(&year_2027),
        )
        .await
        .expect_error(403, "forbidden");
    }
    let put = |body: Value, year: &str| {
        app.send(
            app.client
                .put(app.url(&format!("/api/v1/calendar/years/{year}")))
                .bearer_auth(&admin.token)
                .json(&body),
        )
    };
    put(year_2027.clone(), "2028")
        .await
        .expect_error(422, "validation_failed");
    let weekday_workday = json!({"year": 2027, "holidays": [
        {"name": "元旦", "from": "2027-01-01", "to": "2027-01-03", "workdays": ["2027-01-05"]},
    ]});
    let r = put(weekday_workday, "2027").await;
    r.expect_error(422, "validation_failed");
    assert!(
        r.field("holidays").unwrap().contains("not a weekend day"),
        "{}",
        r.text
    );
    let r = put(json!({"year": 2027, "holidays": []}), "2027").await;
    r.expect_error(422, "validation_failed");
    assert!(
        r.field("holidays").unwrap().contains("is empty"),
        "{}",
        r.text
    );
    let years = app
        .get("/api/v1/calendar/years", Some(&admin.token))
        .await
        .expect(200);
    assert_eq!(years["missing"], json!([2027]));

    let loaded = put(year_2027, "2027").await.expect(200);
    assert_eq!(loaded["source"], "database");
    let years = app
        .get("/api/v1/calendar/years", Some(&admin.token))
        .await
        .expect(200);
    assert_eq!(years["missing"], json!([]));
    assert_eq!(years["years"][3]["source"], "database");
    let r = app
        .get(
            "/api/v1/calendar/add?start=2026-12-31&days=1",
            Some(&admin.token),
        )
        .await
        .expect(200);
    assert_eq!(
        (r["date"].as_str(), &r["unknown_years"]),
        (Some("2027-01-04"), &json!([]))
    );
    let ready = app.get("/readyz", None).await.expect(200);
    assert!(ready.get("warnings").is_none(), "{ready}");
    // Another instance (a new calendar over the same database) reads it too.
    let store = CalendarStore::load(&app.settings.deadlines.calendar_dir).expect("store");
    app.db
        .read(|c| -> Result<(), AppError> { Ok(store.refresh(c)?) })
        .expect("refresh");
    assert!(store.current().days.has_year(2027));
}

// --- extensions --------------------------------------------------------------------------

async fn extensions_are_asked_decided_and_counted(app: TestApp) {
    let w = app.world().await;
    app.clock.set(at("2026-11-23T09:00:00+08:00"));
    let w = World {
        ent_a: app.reissue(&w.ent_a),
        dispatcher: app.reissue(&w.dispatcher),
        cadre_a: app.reissue(&w.cadre_a),
        cadre_a2: app.reissue(&w.cadre_a2),
        admin: app.reissue(&w.admin),
        ..w
    };
    app.set_contact(&w.cadre_a, Some("13800000002"), None);
    app.set_contact(&w.dispatcher, None, Some("dispatcher@qys.test"));
    let id = app.ticket_in_progress(&w).await;
    let due = app.detail(&w.dispatcher, &id).await["due_at"].clone();
    assert_eq!(due, "2026-11-30T15:59:59.999Z");
    let path = format!("/api/v1/tickets/{id}/extensions");
    // Only whoever handles it may ask.
    app.post(
        &path,
        Some(&w.cadre_a2.token),
        json!({"working_days": 3, "reason": "x"}),
    )
    .await
    .expect_error(403, "forbidden");
    app.post(
        &path,
        Some(&w.dispatcher.token),
        json!({"working_days": 3, "reason": "x"}),
    )
    .await
    .expect_error(403, "forbidden");
    for bad in [
        json!({"working_days": 0, "reason": "x"}),
        json!({"working_days": 31, "reason": "x"}),
        json!({"working_days": 3, "reason": " "}),
    ] {
        app.post(&path, Some(&w.cadre_a.token), bad)
            .await
            .expect_error(422, "validation_failed");
    }
    let first = app
        .post(
            &path,
            Some(&w.cadre_a.token),
            json!({"working_days": 3, "reason": "需协调供电公司"}),
        )
        .await
        .expect(201);
    assert_eq!(first["status"], "pending");
    assert_eq!(first["due_before"], due);
    app.post(
        &path,
        Some(&w.cadre_a.token),
        json!({"working_days": 2, "reason": "再申请"}),
    )
    .await
    .expect_error(409, "extension_pending");
    // Denied, with a reason: the deadline stays.
    let deny = format!("{path}/{}/deny", id_of(&first));
    app.post(&deny, Some(&w.dispatcher.token), json!({}))
        .await
        .expect_error(422, "validation_failed");
    app.post(&deny, Some(&w.cadre_a.token), json!({"reason": "x"}))
        .await
        .expect_error(403, "forbidden");
    // Outside one's scope the ticket does not exist: 404, as for any other action.
    for outsider in [app.reissue(&w.cadre_b), app.reissue(&w.ent_b)] {
        app.post(&deny, Some(&outsider.token), json!({"reason": "x"}))
            .await
            .expect_error(404, "not_found");
    }
    let denied = app
        .post(
            &deny,
            Some(&w.dispatcher.token),
            json!({"reason": "可在期限内办结"}),
        )
        .await
        .expect(200);
    assert_eq!(denied["extension"]["status"], "denied");
    assert_eq!(denied["ticket"]["due_at"], due);
    app.post(&deny, Some(&w.dispatcher.token), json!({"reason": "again"}))
        .await
        .expect_error(409, "extension_decided");

    // Asked again, approved: the deadline moves by working days from the old one.
    let second = app
        .post(
            &path,
            Some(&w.cadre_a.token),
            json!({"working_days": 3, "reason": "设备到货延迟"}),
        )
        .await
        .expect(201);
    let approved = app
        .post(
            &format!("{path}/{}/approve", id_of(&second)),
            Some(&w.admin.token),
            json!({"note": "同意"}),
        )
        .await
        .expect(200);
    // 11-30 + three working days: 12-01, 12-02, 12-03.
    assert_eq!(approved["ticket"]["due_at"], "2026-12-03T15:59:59.999Z");
    assert_eq!(approved["ticket"]["extension_count"], 1);
    assert_eq!(
        approved["extension"]["due_after"],
        "2026-12-03T15:59:59.999Z"
    );
    app.post(
        &format!("{path}/{}/approve", id_of(&second)),
        Some(&w.admin.token),
        json!({}),
    )
    .await
    .expect_error(409, "extension_decided");

    let acts = actions(&app, &w, &id).await;
    assert_eq!(count(&acts, "extension_request"), 2);
    assert_eq!(count(&acts, "extension_deny"), 1);
    assert_eq!(count(&acts, "extension_approve"), 1);
    // The enterprise sees the approval (its new deadline), not the requests or the denial.
    let mine = app.detail(&w.ent_a, &id).await;
    let public: Vec<&str> = mine["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .filter(|a| a.starts_with("extension"))
        .collect();
    assert_eq!(public, ["extension_approve"]);
    let listed = app.get(&path, Some(&w.ent_a.token)).await.expect(200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let listed = app.get(&path, Some(&w.dispatcher.token)).await.expect(200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
    app.get(&path, Some(&app.reissue(&w.ent_b).token))
        .await
        .expect_error(404, "not_found");

    // Who heard: the dispatchers of each request, the cadre of each decision.
    let msgs = messages(&app.db, &id);
    assert_eq!(
        of_event(&msgs, "extension_requested"),
        ["email:dispatcher@qys.test", "email:dispatcher@qys.test"]
    );
    assert_eq!(
        of_event(&msgs, "extension_decided"),
        ["sms:13800000002", "sms:13800000002"]
    );

    // A resolved ticket has no deadline to extend.
    app.act(&w.cadre_a, &id, "resolve", json!({"resolution": "已办结"}))
        .await
        .expect(200);
    app.post(
        &path,
        Some(&w.cadre_a.token),
        json!({"working_days": 2, "reason": "x"}),
    )
    .await
    .expect_error(409, "illegal_transition");
}

// --- the scheduler -----------------------------------------------------------------------

/// One ticket through its deadline: the sign-for reminder, the reminder, the three
/// escalation levels — each once, to its people — then an extension and a reminder again.
async fn the_scheduler_reminds_and_escalates_once_each(app: TestApp) {
    let w = app.world().await;
    let head = app.make_user(
        "head.a",
        qiyeshao::domain::ticket::Role::Cadre,
        Some(&w.dept_a),
        None,
    );
    app.set_head(&w.dept_a, &head);
    app.set_contact(&w.cadre_a, Some("13800000002"), Some("cadre.a@qys.test"));
    app.set_contact(&head, Some("13800000004"), None);
    app.set_contact(&w.admin, None, Some("admin@qys.test"));
    // Monday: due at the close of the next Monday (11-30); signing due by Tuesday's close.
    app.clock.set(at("2026-11-23T09:00:00+08:00"));
    let ent = app.reissue(&w.ent_a);
    let id = id_of(&app.file(&ent, &w.category, "道路破损").await);
    let t = assign(
        &app,
        &w,
        &id,
        json!({"department_id": w.dept_a, "assignee_id": w.cadre_a.id}),
    )
    .await;
    assert_eq!(t["due_at"], "2026-11-30T15:59:59.999Z");
    assert_eq!(t["sign_due_at"], "2026-11-24T15:59:59.999Z");
    assert_eq!(sweep(&app).await, SweepReport::default());

    // Wednesday, not signed: the department is reminded, once.
    app.clock.set(at("2026-11-25T09:00:00+08:00"));
    assert_eq!(sweep(&app).await.sign_reminded, 1);
    assert_eq!(sweep(&app).await, SweepReport::default());
    let cadre = app.reissue(&w.cadre_a);
    app.act(&cadre, &id, "sign", json!({})).await.expect(200);

    // Within a day of the deadline: the assignee is reminded, once.
    app.clock.set(at("2026-11-30T09:00:00+08:00"));
    assert_eq!(sweep(&app).await.reminded, 1);
    assert_eq!(sweep(&app).await, SweepReport::default());

    // Overdue: escalated to level 1 (the assignee and the head).
    app.clock.set(at("2026-12-01T09:00:00+08:00"));
    assert_eq!(sweep(&app).await.escalated, 1);
    assert_eq!(sweep(&app).await, SweepReport::default());
    let detail = app.detail(&app.reissue(&w.admin), &id).await;
    assert_eq!(
        (
            detail["escalation_level"].as_i64(),
            detail["overdue"].as_bool()
        ),
        (Some(1), Some(true))
    );
    // Three working days late (12-01 … 12-03): level 2, the head.
    app.clock.set(at("2026-12-03T09:00:00+08:00"));
    assert_eq!(sweep(&app).await.escalated, 1);
    // Five (… 12-07, over the weekend): level 3, the administrators.
    app.clock.set(at("2026-12-07T09:00:00+08:00"));
    assert_eq!(sweep(&app).await.escalated, 1);
    assert_eq!(
        sweep(&app).await,
        SweepReport::default(),
        "level 3 is the last"
    );

    let acts = actions(&app, &w, &id).await;
    assert_eq!(
        (
            count(&acts, "sign_remind"),
            count(&acts, "remind"),
            count(&acts, "escalate")
        ),
        (1, 1, 3),
        "{acts:?}"
    );
    let msgs = messages(&app.db, &id);
    assert_eq!(
        of_event(&msgs, "sign_reminder"),
        [
            "email:cadre.a@qys.test",
            "sms:13800000002",
            "sms:13800000004"
        ]
    );
    assert_eq!(
        of_event(&msgs, "deadline_reminder"),
        ["email:cadre.a@qys.test", "sms:13800000002"]
    );
    assert_eq!(
        of_event(&msgs, "ticket_overdue"),
        [
            "email:cadre.a@qys.test",
            "sms:13800000002",
            "sms:13800000004"
        ]
    );
    assert_eq!(of_event(&msgs, "ticket_escalated"), ["sms:13800000004"]);
    assert_eq!(
        of_event(&msgs, "ticket_escalated_admins"),
        ["email:admin@qys.test"]
    );
    let escalated = msgs
        .iter()
        .find(|(e, c, _)| e == "ticket_escalated" && c == "sms");
    assert!(escalated.is_some());

    // An extension gives a new deadline, and its own reminder and escalations.
    let cadre = app.reissue(&w.cadre_a);
    let ext = app
        .post(
            &format!("/api/v1/tickets/{id}/extensions"),
            Some(&cadre.token),
            json!({"working_days": 10, "reason": "待设备到货"}),
        )
        .await
        .expect(201);
    let admin = app.reissue(&w.admin);
    let approved = app
        .post(
            &format!("/api/v1/tickets/{id}/extensions/{}/approve", id_of(&ext)),
            Some(&admin.token),
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(approved["ticket"]["due_at"], "2026-12-14T15:59:59.999Z");
    assert_eq!(approved["ticket"]["escalation_level"], 0);
    assert_eq!(sweep(&app).await, SweepReport::default());
    app.clock.set(at("2026-12-14T08:00:00+08:00"));
    assert_eq!(sweep(&app).await.reminded, 1);
    assert_eq!(sweep(&app).await, SweepReport::default());
    let acts = actions(&app, &w, &id).await;
    assert_eq!(count(&acts, "remind"), 2);

    // So does a re-assignment: five working days from 12-14 (to the close of 12-21).
    let t = assign(
        &app,
        &w,
        &id,
        json!({"department_id": w.dept_a, "assignee_id": w.cadre_a.id}),
    )
    .await;
    assert_eq!(
        (t["due_at"].as_str(), t["escalation_level"].as_i64()),
        (Some("2026-12-21T15:59:59.999Z"), Some(0))
    );
    let cadre = app.reissue(&w.cadre_a);
    app.act(&cadre, &id, "sign", json!({})).await.expect(200);
    assert_eq!(sweep(&app).await, SweepReport::default());
    app.clock.set(at("2026-12-21T08:00:00+08:00"));
    assert_eq!(sweep(&app).await.reminded, 1);
    app.clock.set(at("2026-12-22T09:00:00+08:00"));
    assert_eq!(sweep(&app).await.escalated, 1);
    assert_eq!(sweep(&app).await, SweepReport::default());
    let acts = actions(&app, &w, &id).await;
    assert_eq!((count(&acts, "remind"), count(&acts, "escalate")), (3, 4));
}

async fn unrated_tickets_close_after_the_revisit_window(app: TestApp) {
    let w = app.world().await;
    app.clock.set(at("2026-11-23T09:00:00+08:00"));
    let w = World {
        ent_a: app.reissue(&w.ent_a),
        dispatcher: app.reissue(&w.dispatcher),
        cadre_a: app.reissue(&w.cadre_a),
        ..w
    };
    let id = app.ticket_in_progress(&w).await;
    let rated = app.ticket_in_progress(&w).await;
    for t in [&id, &rated] {
        app.act(&w.cadre_a, t, "resolve", json!({"resolution": "已办结"}))
            .await
            .expect(200);
    }
    app.act(&w.ent_a, &rated, "revisit", json!({"rating": "satisfied"}))
        .await
        .expect(200);
    // Six days on, still waiting; past seven, closed as "no response".
    app.clock.advance(chrono::Duration::days(6));
    assert_eq!(sweep(&app).await.closed_no_response, 0);
    app.clock.advance(chrono::Duration::days(2));
    assert_eq!(sweep(&app).await.closed_no_response, 1);
    assert_eq!(sweep(&app).await, SweepReport::default());
    let ent = app.reissue(&w.ent_a);
    let t = app.detail(&ent, &id).await;
    assert_eq!(
        (
            t["status"].as_str(),
            t["no_response"].as_bool(),
            &t["rating"]
        ),
        (Some("closed"), Some(true), &Value::Null)
    );
    let close = t["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (
            close["action"].as_str(),
            &close["data"]["reason"],
            &close["actor_id"]
        ),
        (Some("close"), &json!("no_response"), &Value::Null)
    );
    app.act(&ent, &id, "revisit", json!({"rating": "satisfied"}))
        .await
        .expect_error(409, "illegal_transition");
    let t = app.detail(&ent, &rated).await;
    assert_eq!(t["no_response"], false);
    // The enterprise is told the unrated ticket was closed (站内消息 too); the rated one, closed
    // by its own rating, tells it nothing.
    let messages = app
        .get("/api/v1/messages?unread=true&limit=100", Some(&ent.token))
        .await
        .expect(200);
    let closed: Vec<&Value> = messages["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["event"] == "ticket_closed_unrated")
        .collect();
    assert_eq!(closed.len(), 1, "{messages}");
    assert_eq!(closed[0]["ticket_id"], id.as_str());
    assert!(
        closed[0]["body"]
            .as_str()
            .unwrap()
            .contains("未在回访期内评价"),
        "{}",
        closed[0]["body"]
    );
}

/// Two instances sweep one PostgreSQL at the same moment, several times: every ticket is
/// reminded once.
async fn two_instances_sweeping_one_postgres_remind_once() {
    let app = spawn_app(Backend::Postgres).await;
    let w = app.world().await;
    app.set_contact(&w.cadre_a, Some("13800000002"), None);
    app.clock.set(at("2026-11-23T09:00:00+08:00"));
    let ent = app.reissue(&w.ent_a);
    let mut tickets = Vec::new();
    for i in 0..20 {
        let id = id_of(&app.file(&ent, &w.category, &format!("并发提醒 {i}")).await);
        assign(
            &app,
            &w,
            &id,
            json!({"department_id": w.dept_a, "assignee_id": w.cadre_a.id}),
        )
        .await;
        tickets.push(id);
    }
    // A second instance: its own pool, calendar and scheduler over the same schema.
    let other = app.second_scheduler(app.settings.clone());
    app.clock.set(at("2026-11-30T09:00:00+08:00"));
    let mut reminded = 0;
    let mut skipped = 0;
    for _ in 0..3 {
        let (a, b) = tokio::join!(app.scheduler.sweep(), other.sweep());
        for r in [a.expect("sweep"), b.expect("sweep")] {
            reminded += r.reminded;
            skipped += usize::from(r.skipped);
        }
    }
    assert_eq!(reminded, 20);
    for id in &tickets {
        assert_eq!(count(&actions(&app, &w, id).await, "remind"), 1, "{id}");
        assert_eq!(
            of_event(&messages(&app.db, id), "deadline_reminder"),
            ["sms:13800000002"]
        );
    }
    eprintln!("{skipped} of 6 sweeps found the other instance sweeping");
}

/// The overdue stay listed while they wait for the next level: the sweep pages through all
/// of them, so a new one is escalated however many older ones there are.
async fn every_overdue_ticket_is_looked_at(backend: Backend) {
    let app = crate::helpers::spawn_app_with(backend, |s| s.scheduler.batch_size = 2).await;
    let w = app.world().await;
    app.clock.set(at("2026-11-23T09:00:00+08:00"));
    let ent = app.reissue(&w.ent_a);
    let mut ids = Vec::new();
    for i in 0..5 {
        let id = id_of(&app.file(&ent, &w.category, &format!("超期 {i}")).await);
        assign(&app, &w, &id, json!({"department_id": w.dept_a})).await;
        ids.push(id);
    }
    app.clock.set(at("2026-12-01T09:00:00+08:00"));
    assert_eq!(sweep(&app).await.escalated, 5);
    // One more, overdue a day later than the others, among five at level 1.
    app.clock.set(at("2026-11-24T09:00:00+08:00"));
    let id = id_of(
        &app.file(&app.reissue(&w.ent_a), &w.category, "超期 5")
            .await,
    );
    assign(&app, &w, &id, json!({"department_id": w.dept_a})).await;
    app.clock.set(at("2026-12-02T09:00:00+08:00"));
    let report = sweep(&app).await;
    // The five older reach level 2 (two working days late), the new one level 1.
    assert_eq!(report.escalated, 6, "{report:?}");
    let admin = app.reissue(&w.admin);
    assert_eq!(app.detail(&admin, &id).await["escalation_level"], 1);
    for old in &ids {
        assert_eq!(app.detail(&admin, old).await["escalation_level"], 2);
    }
}

/// Resolving keeps the working days it took (for the handling-time figures); rework clears
/// them until the next resolution.
async fn resolution_keeps_the_working_days_it_took(app: TestApp) {
    let w = app.world().await;
    // Filed on Friday 2026-02-13; resolved on 02-25: 02-14 (make-up day), 02-24, 02-25.
    app.clock.set(at("2026-02-13T10:00:00+08:00"));
    let w = World {
        ent_a: app.reissue(&w.ent_a),
        dispatcher: app.reissue(&w.dispatcher),
        cadre_a: app.reissue(&w.cadre_a),
        ..w
    };
    let id = app.ticket_in_progress(&w).await;
    assert_eq!(
        app.detail(&w.ent_a, &id).await["handling_days"],
        Value::Null
    );
    app.clock.set(at("2026-02-25T16:00:00+08:00"));
    let w = World {
        ent_a: app.reissue(&w.ent_a),
        cadre_a: app.reissue(&w.cadre_a),
        ..w
    };
    let t = app
        .act(&w.cadre_a, &id, "resolve", json!({"resolution": "已办结"}))
        .await
        .expect(200);
    assert_eq!(t["handling_days"], 3);
    let t = app
        .act(
            &w.ent_a,
            &id,
            "revisit",
            json!({"rating": "unsatisfied", "comment": "没有解决"}),
        )
        .await
        .expect(200);
    assert_eq!(t["handling_days"], Value::Null);
    app.clock.set(at("2026-02-26T09:00:00+08:00"));
    let cadre = app.reissue(&w.cadre_a);
    let t = app
        .act(&cadre, &id, "resolve", json!({"resolution": "重新办结"}))
        .await
        .expect(200);
    assert_eq!(t["handling_days"], 4);
}

both_backends!(
    resolution_keeps_the_working_days_it_took,
    deadlines_count_working_days_and_urgent_hours,
    administrators_load_a_new_year,
    extensions_are_asked_decided_and_counted,
    the_scheduler_reminds_and_escalates_once_each,
    unrated_tickets_close_after_the_revisit_window,
);

crate::tests!(
    #[needs(Postgres)]
    #[workers(4)]
    two_instances_sweeping_one_postgres_remind_once,
    #[each_backend]
    every_overdue_ticket_is_looked_at,
);
