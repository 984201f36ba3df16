//! Who sees which tickets — in lists, in search and by id — and the list's filters and pages.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::both_backends;
use crate::errors::urlencode;
use crate::helpers::{TestApp, User};

fn ids(list: &Value) -> BTreeSet<String> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|t| t["id"].as_str().expect("id").to_string())
        .collect()
}

async fn visible(app: &TestApp, user: &User, query: &str) -> BTreeSet<String> {
    ids(&app
        .get(
            &format!("/api/v1/tickets?limit=100&{query}"),
            Some(&user.token),
        )
        .await
        .expect(200))
}

fn set(items: &[&String]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).clone()).collect()
}

async fn enterprises_see_only_their_own(app: TestApp) {
    let w = app.world().await;
    let a1 = app.file(&w.ent_a, &w.category, "甲企业的诉求：用电").await["id"]
        .as_str()
        .expect("id")
        .to_string();
    let a2 = app.file(&w.ent_a2, &w.category, "甲企业的第二条诉求").await["id"]
        .as_str()
        .expect("id")
        .to_string();
    let b1 = app.file(&w.ent_b, &w.category, "乙企业的诉求：用电").await["id"]
        .as_str()
        .expect("id")
        .to_string();

    assert_eq!(visible(&app, &w.ent_a, "").await, set(&[&a1, &a2]));
    assert_eq!(visible(&app, &w.ent_a2, "").await, set(&[&a1, &a2]));
    assert_eq!(visible(&app, &w.ent_b, "").await, set(&[&b1]));
    // Search and filters cannot widen the scope.
    assert_eq!(
        visible(&app, &w.ent_a, &format!("q={}", urlencode("用电"))).await,
        set(&[&a1])
    );
    assert_eq!(
        visible(&app, &w.ent_a, &format!("enterprise_id={}", w.enterprise_b)).await,
        set(&[])
    );
    assert_eq!(
        visible(&app, &w.ent_b, &format!("q={}", urlencode("甲企业"))).await,
        set(&[])
    );
    // By id it does not exist for them: 404, not 403.
    for id in [&a1, &a2] {
        app.get(&format!("/api/v1/tickets/{id}"), Some(&w.ent_b.token))
            .await
            .expect_error(404, "not_found");
    }
    app.get(&format!("/api/v1/tickets/{b1}"), Some(&w.ent_a.token))
        .await
        .expect_error(404, "not_found");
    app.act(&w.ent_b, &a1, "withdraw", json!({}))
        .await
        .expect_error(404, "not_found");
    // Dispatchers and administrators see everything.
    assert_eq!(
        visible(&app, &w.dispatcher, "").await,
        set(&[&a1, &a2, &b1])
    );
    assert_eq!(visible(&app, &w.admin, "").await, set(&[&a1, &a2, &b1]));
    // Their own enterprise record, not the other's.
    app.get(
        &format!("/api/v1/enterprises/{}", w.enterprise_a),
        Some(&w.ent_a.token),
    )
    .await
    .expect(200);
    app.get(
        &format!("/api/v1/enterprises/{}", w.enterprise_b),
        Some(&w.ent_a.token),
    )
    .await
    .expect_error(404, "not_found");
}

async fn cadres_see_what_they_handle_or_follow(app: TestApp) {
    let w = app.world().await;
    // t1: enterprise A (liaison: the liaison cadre), assigned to cadre A, co-handled by B.
    let t1 = app.file(&w.ent_a, &w.category, "一").await["id"]
        .as_str()
        .expect("id")
        .to_string();
    app.act(&w.dispatcher, &t1, "assign", json!({"department_id": w.dept_a, "assignee_id": w.cadre_a.id, "co_department_ids": [w.dept_b]}))
        .await
        .expect(200);
    // t2: enterprise B, department A without an assignee.
    let t2 = app.file(&w.ent_b, &w.category, "二").await["id"]
        .as_str()
        .expect("id")
        .to_string();
    app.act(
        &w.dispatcher,
        &t2,
        "assign",
        json!({"department_id": w.dept_a}),
    )
    .await
    .expect(200);
    // t3: enterprise B, department B.
    let t3 = app.file(&w.ent_b, &w.category, "三").await["id"]
        .as_str()
        .expect("id")
        .to_string();
    app.act(
        &w.dispatcher,
        &t3,
        "assign",
        json!({"department_id": w.dept_b, "assignee_id": w.cadre_b.id}),
    )
    .await
    .expect(200);
    // t4: enterprise B, still submitted.
    let t4 = app.file(&w.ent_b, &w.category, "四").await["id"]
        .as_str()
        .expect("id")
        .to_string();
    // t5: enterprise A, still submitted: its liaison cadre follows it from the start.
    let t5 = app.file(&w.ent_a, &w.category, "五").await["id"]
        .as_str()
        .expect("id")
        .to_string();

    assert_eq!(visible(&app, &w.cadre_a, "").await, set(&[&t1, &t2]));
    assert_eq!(visible(&app, &w.cadre_a2, "").await, set(&[&t1, &t2]));
    assert_eq!(visible(&app, &w.cadre_b, "").await, set(&[&t1, &t3]));
    assert_eq!(visible(&app, &w.liaison, "").await, set(&[&t1, &t5]));
    assert_eq!(
        visible(&app, &w.cadre_a, &format!("assignee_id={}", w.cadre_a.id)).await,
        set(&[&t1])
    );
    for (user, hidden) in [
        (&w.cadre_a, &t3),
        (&w.cadre_b, &t2),
        (&w.cadre_a, &t4),
        (&w.liaison, &t4),
    ] {
        app.get(&format!("/api/v1/tickets/{hidden}"), Some(&user.token))
            .await
            .expect_error(404, "not_found");
    }
    assert_eq!(
        visible(&app, &w.dispatcher, "").await,
        set(&[&t1, &t2, &t3, &t4, &t5])
    );
}

async fn filters(app: TestApp) {
    let w = app.world().await;
    let other_category = app.make_category("用工招聘", Some(&w.dept_b), 3);
    let p = app.file(&w.ent_a, &w.category, "用电报装慢").await["id"]
        .as_str()
        .expect("id")
        .to_string();
    let s = app
        .post(
            "/api/v1/tickets",
            Some(&w.ent_a.token),
            json!({"kind": "suggestion", "category_id": other_category, "title": "ＡＢＣ全角建议", "description": "招聘会"}),
        )
        .await
        .expect(201)["id"]
        .as_str()
        .expect("id")
        .to_string();
    let i = app
        .post(
            "/api/v1/tickets",
            Some(&w.dispatcher.token),
            json!({"kind": "inquiry", "category_id": w.category, "title": "咨询", "description": "政策", "enterprise_id": w.enterprise_b}),
        )
        .await
        .expect(201)["id"]
        .as_str()
        .expect("id")
        .to_string();
    app.act(
        &w.dispatcher,
        &p,
        "assign",
        json!({"department_id": w.dept_a, "assignee_id": w.cadre_a.id}),
    )
    .await
    .expect(200);
    app.act(&w.dispatcher, &i, "accept", json!({}))
        .await
        .expect(200);
    let d = &w.dispatcher;
    assert_eq!(visible(&app, d, "status=assigned").await, set(&[&p]));
    assert_eq!(
        visible(&app, d, "status=assigned,accepted").await,
        set(&[&p, &i])
    );
    assert_eq!(visible(&app, d, "status=submitted").await, set(&[&s]));
    assert_eq!(visible(&app, d, "kind=suggestion").await, set(&[&s]));
    assert_eq!(
        visible(&app, d, "kind=problem,inquiry").await,
        set(&[&p, &i])
    );
    assert_eq!(
        visible(&app, d, &format!("category_id={other_category}")).await,
        set(&[&s])
    );
    assert_eq!(
        visible(&app, d, &format!("department_id={}", w.dept_a)).await,
        set(&[&p])
    );
    assert_eq!(
        visible(&app, d, &format!("assignee_id={}", w.cadre_a.id)).await,
        set(&[&p])
    );
    assert_eq!(
        visible(&app, d, &format!("enterprise_id={}", w.enterprise_b)).await,
        set(&[&i])
    );
    // Search folds full-width letters and case, and finds Chinese substrings and numbers.
    assert_eq!(visible(&app, d, "q=abc").await, set(&[&s]));
    assert_eq!(
        visible(&app, d, &format!("q={}", urlencode("报装"))).await,
        set(&[&p])
    );
    assert_eq!(
        visible(&app, d, &format!("q={}", urlencode("招聘会"))).await,
        set(&[&s])
    );
    let number = app.detail(d, &i).await["number"]
        .as_str()
        .expect("number")
        .to_string();
    assert_eq!(
        visible(&app, d, &format!("q={}", number.to_lowercase())).await,
        set(&[&i])
    );
    // Dates: everything was filed today (China time); nothing tomorrow.
    let now = qiyeshao::domain::time::Clock::now(&app.clock);
    let today = qiyeshao::domain::time::china_date(now);
    let tomorrow = today.succ_opt().expect("tomorrow");
    assert_eq!(
        visible(&app, d, &format!("created_from={today}"))
            .await
            .len(),
        3
    );
    assert_eq!(
        visible(&app, d, &format!("created_from={tomorrow}"))
            .await
            .len(),
        0
    );
    assert_eq!(
        visible(&app, d, &format!("created_to={today}")).await.len(),
        0
    );
    assert_eq!(
        visible(&app, d, &format!("created_to={tomorrow}"))
            .await
            .len(),
        3
    );
    let instant = urlencode(&qiyeshao::domain::time::format(
        now + chrono::Duration::seconds(1),
    ));
    assert_eq!(
        visible(&app, d, &format!("created_to={instant}"))
            .await
            .len(),
        3
    );
}

async fn pages_cover_everything_once(app: TestApp) {
    let w = app.world().await;
    let mut filed = BTreeSet::new();
    for n in 0..23 {
        let t = app.file(&w.ent_a, &w.category, &format!("第{n}条")).await;
        filed.insert(t["id"].as_str().expect("id").to_string());
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/tickets?limit=5&cursor={c}"),
            None => "/api/v1/tickets?limit=5".to_string(),
        };
        let page = app.get(&path, Some(&w.ent_a.token)).await.expect(200);
        pages += 1;
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= 5);
        seen.extend(
            items
                .iter()
                .map(|t| t["id"].as_str().expect("id").to_string()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(pages, 5);
    assert_eq!(seen.len(), 23);
    assert_eq!(seen.iter().cloned().collect::<BTreeSet<_>>(), filed);
    // Newest first.
    let mut sorted = seen.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(seen, sorted);
    // The default page is 20.
    let page = app
        .get("/api/v1/tickets", Some(&w.ent_a.token))
        .await
        .expect(200);
    assert_eq!(page["items"].as_array().expect("items").len(), 20);
}

both_backends!(
    enterprises_see_only_their_own,
    cadres_see_what_they_handle_or_follow,
    filters,
    pages_cover_everything_once,
);
