//! Filings at the same time: distinct numbers, idempotent retries, and actions that race.

use std::collections::BTreeSet;

use futures_util::future::join_all;
use serde_json::json;

use crate::both_backends;
use crate::helpers::TestApp;

async fn fifty_concurrent_filings_get_fifty_numbers(app: TestApp) {
    let w = app.world().await;
    let body = json!({"kind": "problem", "category_id": w.category, "title": "并发", "description": "同时提交"});
    let requests = (0..50).map(|i| {
        let user = if i % 2 == 0 { &w.ent_a } else { &w.ent_b };
        app.post("/api/v1/tickets", Some(&user.token), body.clone())
    });
    let answers = join_all(requests).await;
    let mut numbers = BTreeSet::new();
    for r in answers {
        assert_eq!(r.status, 201, "{}", r.text);
        numbers.insert(r.body["number"].as_str().expect("number").to_string());
    }
    assert_eq!(numbers.len(), 50);
    // One day's sequence, 1 to 50. (On PostgreSQL a filing that rolls back after taking its
    // number leaves a gap; none does here.)
    let day = qiyeshao::domain::time::china_date(qiyeshao::domain::time::Clock::now(&app.clock));
    let expected: BTreeSet<String> = (1..=50)
        .map(|n| qiyeshao::domain::ticket::format_number("QYS", day, n))
        .collect();
    assert_eq!(numbers, expected);
}

async fn idempotency_key_returns_the_first_result(app: TestApp) {
    let w = app.world().await;
    let body = json!({"kind": "problem", "category_id": w.category, "title": "网络重试", "description": "同一请求"});
    let file = |key: &'static str, token: String, body: serde_json::Value| {
        app.send(
            app.client
                .post(app.url("/api/v1/tickets"))
                .bearer_auth(token)
                .header("Idempotency-Key", key)
                .json(&body),
        )
    };
    let first = file("key-1", w.ent_a.token.clone(), body.clone()).await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert!(first.headers.get("idempotent-replayed").is_none());
    let again = file("key-1", w.ent_a.token.clone(), body.clone()).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(again.body["id"], first.body["id"]);
    assert_eq!(again.body["number"], first.body["number"]);
    // The same key with another body is refused and files nothing.
    let mut changed = body.clone();
    changed["title"] = json!("另一个标题");
    file("key-1", w.ent_a.token.clone(), changed)
        .await
        .expect_error(422, "idempotency_key_reused");
    // Keys are per user.
    let other = file("key-1", w.ent_a2.token.clone(), body.clone()).await;
    assert_eq!(other.status, 201);
    assert_ne!(other.body["id"], first.body["id"]);
    // Ten retries at once still make one ticket.
    let racing =
        join_all((0..10).map(|_| file("key-2", w.ent_b.token.clone(), body.clone()))).await;
    let ids: BTreeSet<String> = racing
        .iter()
        .map(|r| {
            assert_eq!(r.status, 201, "{}", r.text);
            r.body["id"].as_str().expect("id").to_string()
        })
        .collect();
    assert_eq!(ids.len(), 1);
    let list = app
        .get("/api/v1/tickets", Some(&w.admin.token))
        .await
        .expect(200);
    assert_eq!(list["items"].as_array().expect("items").len(), 3);
    // After the key's time, it may be used afresh.
    app.clock.advance(chrono::Duration::hours(
        app.settings.tickets.idempotency_ttl_hours + 1,
    ));
    let ent_a = app.reissue(&w.ent_a);
    let later = file("key-1", ent_a.token.clone(), body.clone()).await;
    assert_eq!(later.status, 201);
    assert_ne!(later.body["id"], first.body["id"]);
    // A key must be sensible.
    let long = "k".repeat(256);
    let r = app
        .send(
            app.client
                .post(app.url("/api/v1/tickets"))
                .bearer_auth(&ent_a.token)
                .header("Idempotency-Key", long)
                .json(&body),
        )
        .await;
    r.expect_error(400, "invalid_idempotency_key");
}

async fn racing_actions_do_not_both_apply(app: TestApp) {
    let w = app.world().await;
    let id = app.file(&w.ent_a, &w.category, "抢单").await["id"]
        .as_str()
        .expect("id")
        .to_string();
    let answers = join_all([
        app.act(&w.dispatcher, &id, "accept", json!({})),
        app.act(&w.admin, &id, "accept", json!({})),
        app.act(&w.dispatcher, &id, "reject", json!({"reason": "重复"})),
        app.act(&w.ent_a, &id, "withdraw", json!({})),
    ])
    .await;
    let ok = answers.iter().filter(|r| r.status == 200).count();
    assert!(ok >= 1, "one action wins");
    for r in &answers {
        assert!(r.status == 200 || r.status == 409, "{}", r.text);
    }
    let detail = app.detail(&w.admin, &id).await;
    let events = detail["events"].as_array().expect("events");
    // The timeline is consistent: each event starts where the previous one ended.
    for pair in events.windows(2) {
        assert_eq!(pair[1]["from_status"], pair[0]["to_status"]);
    }
    assert_eq!(events.len(), 1 + ok);
    assert_eq!(detail["version"], events.len() as i64);
}

both_backends!(
    fifty_concurrent_filings_get_fifty_numbers,
    idempotency_key_returns_the_first_result,
    racing_actions_do_not_both_apply,
);
