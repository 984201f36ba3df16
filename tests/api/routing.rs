//! Routing suggestions (issue 18): `GET /tickets/{id}/routing` is the dispatchers' and
//! administrators'; an assignment teaches it at once, a return takes it back, and the
//! history learned at start-up and at each refresh is the assigned, not returned tickets.

use qiyeshao::service::tickets::routing::history;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, User, id_of};

async fn routing(app: &TestApp, user: &User, id: &str) -> Value {
    app.get(&format!("/api/v1/tickets/{id}/routing"), Some(&user.token))
        .await
        .expect(200)
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|s| s["id"].as_str().expect("id").to_string())
        .collect()
}

/// The tickets the history holds, by id.
fn learned(app: &TestApp) -> Vec<String> {
    app.db
        .read(|c| history(c, 100))
        .expect("history")
        .into_iter()
        .map(|e| e.ticket_id)
        .collect()
}

async fn for_dispatchers_and_administrators_only(app: TestApp) {
    let w = app.world().await;
    let id = id_of(
        &app.file(&w.ent_a, &w.category, "新厂房用电报装进度慢")
            .await,
    );
    let path = format!("/api/v1/tickets/{id}/routing");
    for user in [&w.ent_a, &w.cadre_a, &w.liaison] {
        app.get(&path, Some(&user.token))
            .await
            .expect_error(403, "forbidden");
    }
    app.get(&path, None).await.expect(401);
    app.get(
        "/api/v1/tickets/0190a0a0-0000-7000-8000-000000000000/routing",
        Some(&w.dispatcher.token),
    )
    .await
    .expect_error(404, "not_found");
    // Nothing assigned yet: nothing to suggest, and nothing pre-filled.
    for user in [&w.dispatcher, &w.admin] {
        let r = routing(&app, user, &id).await;
        assert_eq!(r["ticket_id"], id.as_str());
        assert_eq!(r["categories"], json!([]));
        assert_eq!(r["departments"], json!([]));
        assert_eq!(r["learned_from"], 0);
        assert_eq!(r["prefill_confidence"], 0.95);
    }
}

async fn an_assignment_updates_the_suggestions(app: TestApp) {
    let w = app.world().await;
    let power = app.make_category("供电服务", None, 3);
    let earlier = id_of(&app.file(&w.ent_a, &power, "新厂房用电报装进度慢").await);
    app.act(
        &w.dispatcher,
        &earlier,
        "assign",
        json!({"department_id": w.dept_b}),
    )
    .await
    .expect(200);
    let now = id_of(
        &app.file(&w.ent_b, &w.category, "用电报装一个月没人来勘查")
            .await,
    );
    let r = routing(&app, &w.dispatcher, &now).await;
    assert_eq!(r["learned_from"], 1);
    assert_eq!(ids(&r["categories"]), [power.as_str()]);
    assert_eq!(ids(&r["departments"]), [w.dept_b.as_str()]);
    let first = &r["departments"][0];
    assert_eq!(first["name"], "部门乙", "{r}");
    assert_eq!(first["confidence"], 1.0);
    assert_eq!(first["prefill"], true);

    // A second department learned: both suggested, the likelier first, with confidences
    // that add up to one.
    let lamp = id_of(&app.file(&w.ent_a, &w.category, "门前路灯不亮").await);
    app.act(
        &w.dispatcher,
        &lamp,
        "assign",
        json!({"department_id": w.dept_c}),
    )
    .await
    .expect(200);
    let r = routing(&app, &w.dispatcher, &now).await;
    assert_eq!(r["learned_from"], 2);
    assert_eq!(
        ids(&r["departments"]),
        [w.dept_b.as_str(), w.dept_c.as_str()]
    );
    let sum: f64 = r["departments"]
        .as_array()
        .expect("departments")
        .iter()
        .map(|s| s["confidence"].as_f64().expect("confidence"))
        .sum();
    assert!((sum - 1.0).abs() < 1e-9, "{r}");
    assert_eq!(r["departments"][1]["prefill"], false);
    assert_eq!(sorted(learned(&app)), sorted(vec![earlier, lamp]));
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

async fn a_returned_assignment_is_not_learned(app: TestApp) {
    let w = app.world().await;
    let wrong = id_of(
        &app.file(&w.ent_a, &w.category, "新厂房用电报装进度慢")
            .await,
    );
    app.act(
        &w.dispatcher,
        &wrong,
        "assign",
        json!({"department_id": w.dept_b, "assignee_id": w.cadre_b.id}),
    )
    .await
    .expect(200);
    let now = id_of(
        &app.file(&w.ent_b, &w.category, "用电报装一个月没人来勘查")
            .await,
    );
    assert_eq!(
        ids(&routing(&app, &w.dispatcher, &now).await["departments"]),
        [w.dept_b.as_str()]
    );
    // The cadre returns it: the routing was wrong, and is forgotten at once …
    app.act(
        &w.cadre_b,
        &wrong,
        "return",
        json!({"reason": "不属于我单位职责"}),
    )
    .await
    .expect(200);
    let r = routing(&app, &w.dispatcher, &now).await;
    assert_eq!(r["departments"], json!([]), "{r}");
    assert_eq!(r["learned_from"], 0);
    // … and left out of the history learned at start-up and at each refresh.
    assert!(learned(&app).is_empty());
    // Assigned again, to the right department, it is learned again.
    app.act(
        &w.dispatcher,
        &wrong,
        "assign",
        json!({"department_id": w.dept_c}),
    )
    .await
    .expect(200);
    let r = routing(&app, &w.dispatcher, &now).await;
    assert_eq!(ids(&r["departments"]), [w.dept_c.as_str()]);
    assert_eq!(learned(&app), [wrong]);
}

both_backends!(
    for_dispatchers_and_administrators_only,
    an_assignment_updates_the_suggestions,
    a_returned_assignment_is_not_learned,
);
