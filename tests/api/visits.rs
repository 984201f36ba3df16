//! Liaison cadres' visits (走访, issue 19): the liaison cadre of enterprise A records a visit
//! and files the difficulties raised as A's requests (channel visit, in the dispatcher's queue,
//! linked to the visit); nobody else's pairing is theirs to record; bad input changes nothing
//! (a bad request rolls the visit back); who reads which visits; the cadre's paired enterprises
//! with their last visit and the 待走访 flag, worked out here from the days the test chose.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, id_of};
use crate::stats::{at, fresh};

fn visit(w: &crate::helpers::World, enterprise: &str, day: &str, requests: Value) -> Value {
    json!({
        "enterprise_id": enterprise,
        "visited_on": day,
        "method": "on_site",
        "people": "王总经理、李财务",
        "findings": "新厂房即将投产，用电报装和道路积水两件事需要协调。",
        "requests": requests,
        "_": w.category,
    })
}

fn without_marker(mut v: Value) -> Value {
    if let Value::Object(m) = &mut v {
        m.remove("_");
    }
    v
}

async fn count(app: &TestApp, user: &crate::helpers::User, path: &str) -> usize {
    app.get(path, Some(&user.token)).await.expect(200)["items"]
        .as_array()
        .map_or(0, Vec::len)
}

async fn recorded_with_requests_filed_on_the_spot(app: TestApp) {
    let w = app.world().await;
    app.clock.set(at("2026-11-20T15:00:00+08:00"));
    let w = fresh(&app, &w);
    let requests = json!([
        {"kind": "problem", "category_id": w.category, "title": "新厂房专变报装未勘查", "description": "630kVA 专变报装三周未勘查。"},
        {"kind": "suggestion", "category_id": w.category, "title": "园区道路排水改造", "description": "雨天厂门口积水，建议改造排水。"},
    ]);
    let body = without_marker(visit(&w, &w.enterprise_a, "2026-11-20", requests));
    // Not the liaison of A, not B's, not an enterprise's to record.
    let before = count(&app, &w.admin, "/api/v1/tickets").await;
    app.post("/api/v1/visits", Some(&w.cadre_a.token), body.clone())
        .await
        .expect_error(403, "forbidden");
    let mut to_b = body.clone();
    to_b["enterprise_id"] = json!(w.enterprise_b);
    app.post("/api/v1/visits", Some(&w.liaison.token), to_b)
        .await
        .expect_error(403, "forbidden");
    app.post("/api/v1/visits", Some(&w.ent_a.token), body.clone())
        .await
        .expect_error(403, "forbidden");
    // Bad input changes nothing: a day in the future, a method, a request's category (the
    // visit is rolled back with it).
    for (field, value, named) in [
        ("visited_on", json!("2026-11-21"), "visited_on"),
        ("visited_on", json!("2026/11/20"), "visited_on"),
        ("method", json!("dinner"), "method"),
    ] {
        let mut bad = body.clone();
        bad[field] = value;
        let r = app
            .post("/api/v1/visits", Some(&w.liaison.token), bad)
            .await;
        assert_eq!(r.status, 422, "{field}: {:?}", r.body);
        assert!(r.field(named).is_some(), "{:?}", r.body);
    }
    let mut bad = body.clone();
    bad["requests"][1]["category_id"] = json!("nope");
    let r = app
        .post("/api/v1/visits", Some(&w.liaison.token), bad)
        .await;
    assert_eq!(r.status, 422, "{:?}", r.body);
    assert!(r.field("requests[1].category_id").is_some(), "{:?}", r.body);
    assert_eq!(count(&app, &w.admin, "/api/v1/visits").await, 0);
    assert_eq!(count(&app, &w.admin, "/api/v1/tickets").await, before);

    // The liaison records it: the two requests are A's, by visit, waiting to be accepted.
    let v = app
        .post("/api/v1/visits", Some(&w.liaison.token), body)
        .await
        .expect(201);
    assert_eq!(
        (&v["cadre_id"], &v["enterprise_id"], &v["visited_on"]),
        (
            &json!(w.liaison.id),
            &json!(w.enterprise_a),
            &json!("2026-11-20")
        )
    );
    let ids: Vec<String> = v["ticket_ids"]
        .as_array()
        .expect("ticket ids")
        .iter()
        .map(|t| t.as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(ids.len(), 2);
    for id in &ids {
        let t = app
            .get(&format!("/api/v1/tickets/{id}"), Some(&w.dispatcher.token))
            .await
            .expect(200);
        assert_eq!(
            (&t["channel"], &t["enterprise_id"], &t["status"]),
            (&json!("visit"), &json!(w.enterprise_a), &json!("submitted"))
        );
        // The enterprise sees its request; the liaison too.
        app.get(&format!("/api/v1/tickets/{id}"), Some(&w.ent_a.token))
            .await
            .expect(200);
    }
    // The enterprise is told each is registered: by SMS to its contact (the ticket's).
    let told = app
        .db
        .read(|c| {
            qiyeshao::db::notifications::list(
                c,
                &qiyeshao::db::notifications::NotificationFilter {
                    event: Some(qiyeshao::domain::notification::MessageTopic::Ticket(
                        qiyeshao::domain::notification::NotifyEvent::TicketFiledOnVisit,
                    )),
                    ..Default::default()
                },
                100,
            )
            .map_err(qiyeshao::error::AppError::from)
        })
        .expect("notifications");
    let sms: Vec<&str> = told
        .iter()
        .filter(|n| n.channel == qiyeshao::domain::notification::NotifyChannel::Sms)
        .filter_map(|n| n.ticket_id.as_deref())
        .collect();
    assert_eq!(sms.len(), 2, "{told:?}");
    assert!(ids.iter().all(|id| sms.contains(&id.as_str())));
    assert!(told.iter().all(|n| n.body.contains("走访")), "{told:?}");
    app.act(&w.dispatcher, &ids[0], "accept", json!({}))
        .await
        .expect(200);
    // Filing stays the enterprises' and dispatchers' otherwise.
    app.post(
        "/api/v1/tickets",
        Some(&w.liaison.token),
        json!({"kind": "problem", "category_id": w.category, "title": "代报", "description": "代报",
               "enterprise_id": w.enterprise_a, "channel": "visit"}),
    )
    .await
    .expect_error(403, "forbidden");
    // A dispatcher records one for the enterprise's liaison by default.
    let by_desk = app
        .post(
            "/api/v1/visits",
            Some(&w.dispatcher.token),
            without_marker(visit(&w, &w.enterprise_a, "2026-10-10", json!([]))),
        )
        .await
        .expect(201);
    assert_eq!(by_desk["cadre_id"], json!(w.liaison.id));
    // Who reads which: the liaison their own, another cadre none, the desk all; filters.
    assert_eq!(count(&app, &w.liaison, "/api/v1/visits").await, 2);
    assert_eq!(count(&app, &w.cadre_b, "/api/v1/visits").await, 0);
    assert_eq!(count(&app, &w.dispatcher, "/api/v1/visits").await, 2);
    let listed = app
        .get(
            "/api/v1/visits?from=2026-11-01&to=2026-11-30",
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        listed["items"][0]["ticket_ids"].as_array().map(Vec::len),
        Some(2)
    );
    app.get("/api/v1/visits?from=yesterday", Some(&w.admin.token))
        .await
        .expect_error(400, "invalid_query");
    app.get("/api/v1/visits", Some(&w.ent_a.token))
        .await
        .expect_error(403, "forbidden");
    let _ = id_of(&v);
}

async fn paired_enterprises_flagged_when_not_visited(app: TestApp) {
    let w = app.world().await;
    app.clock.set(at("2026-11-20T15:00:00+08:00"));
    let w = fresh(&app, &w);
    // Enterprise B paired with the liaison too, never visited; A visited on 1 November.
    app.db
        .write({
            let (b, liaison) = (w.enterprise_b.clone(), w.liaison.id.clone());
            move |c| {
                let mut e = qiyeshao::db::enterprises::find(c, &b)?.expect("B");
                e.liaison_cadre_id = Some(liaison);
                qiyeshao::db::enterprises::update(c, &e)?;
                Ok::<_, qiyeshao::error::AppError>(())
            }
        })
        .expect("pair B");
    app.post(
        "/api/v1/visits",
        Some(&w.liaison.token),
        without_marker(visit(&w, &w.enterprise_a, "2026-11-01", json!([]))),
    )
    .await
    .expect(201);
    // On the 20th: B never visited (due, first); A 19 days ago (not due within 30).
    let list = app
        .get("/api/v1/me/enterprises", Some(&w.liaison.token))
        .await
        .expect(200);
    assert_eq!(list["visit_interval_days"], 30);
    let rows: Vec<(String, Value, bool)> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| {
            (
                e["id"].as_str().unwrap_or("").to_string(),
                e["last_visit"].clone(),
                e["visit_due"].as_bool().unwrap_or(false),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (w.enterprise_b.clone(), Value::Null, true),
            (w.enterprise_a.clone(), json!("2026-11-01"), false)
        ]
    );
    // On 1 December, 30 days after: A is due as well.
    app.clock.set(at("2026-12-01T09:00:00+08:00"));
    let w = fresh(&app, &w);
    let list = app
        .get("/api/v1/me/enterprises", Some(&w.liaison.token))
        .await
        .expect(200);
    assert!(
        list["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|e| e["visit_due"] == true),
        "{list}"
    );
    // Cadres only.
    app.get("/api/v1/me/enterprises", Some(&w.dispatcher.token))
        .await
        .expect_error(403, "forbidden");
    assert_eq!(
        app.get("/api/v1/me/enterprises", Some(&w.cadre_b.token))
            .await
            .expect(200)["items"],
        json!([])
    );
}

both_backends!(
    recorded_with_requests_filed_on_the_spot,
    paired_enterprises_flagged_when_not_visited
);
