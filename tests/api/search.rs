//! Search of tickets (issue 18): words in any order, numbers and enterprises exactly, the
//! relevance order, highlighting, scoping, and the index kept in step (and backfilled).

use qiyeshao::db::ticket_words::{self, Term, WordsQuery};
use qiyeshao::error::AppError;
use serde_json::{Value, json};

use crate::both_backends;
use crate::errors::urlencode;
use crate::helpers::{Backend, TestApp, User, World, credit_code, id_of, spawn_app_with};

async fn file(app: &TestApp, w: &World, user: &User, title: &str, description: &str) -> String {
    app.file_described(user, &w.category, title, description)
        .await
}

async fn search(app: &TestApp, user: &User, query: &str) -> Value {
    app.get(
        &format!("/api/v1/tickets?limit=100&q={}", urlencode(query)),
        Some(&user.token),
    )
    .await
    .expect(200)
}

/// The ids a search finds, in the order given.
async fn found(app: &TestApp, user: &User, query: &str) -> Vec<String> {
    ids(&search(app, user, query).await)
}

fn ids(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(id_of)
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

async fn all_words_in_any_order(app: TestApp) {
    let w = app.world().await;
    let lamp = file(
        &app,
        &w,
        &w.ent_a,
        "门前路灯不亮",
        "厂区大门前的路灯坏了一个月",
    )
    .await;
    let lamp_only = file(&app, &w, &w.ent_a, "路灯损坏", "园区道路的灯不亮").await;
    let power = file(&app, &w, &w.ent_a, "新厂房用电报装", "申请专变，进度缓慢").await;
    let d = &w.dispatcher;
    // Every word, in any order, with or without spaces.
    assert_eq!(found(&app, d, "路灯 门前").await, [lamp.as_str()]);
    assert_eq!(found(&app, d, "门前路灯").await, [lamp.as_str()]);
    assert_eq!(found(&app, d, "门前 路灯 不亮").await, [lamp.as_str()]);
    assert_eq!(
        sorted(found(&app, d, "路灯").await),
        sorted(vec![lamp.clone(), lamp_only.clone()])
    );
    // A word inside a longer word: 用电 in 用电报装; the district's word itself.
    assert_eq!(found(&app, d, "用电").await, [power.as_str()]);
    assert_eq!(found(&app, d, "用电报装").await, [power.as_str()]);
    assert_eq!(found(&app, d, "专变").await, [power.as_str()]);
    // A long word inside a longer one: the index holds 高新技术企业 whole and by its parts of
    // two and three characters, never by its four-character 高新技术.
    let hitech = file(&app, &w, &w.ent_a, "申请认定高新技术企业", "需要哪些材料").await;
    assert_eq!(found(&app, d, "高新技术").await, [hitech.as_str()]);
    assert_eq!(found(&app, d, "高新技术 材料").await, [hitech.as_str()]);
    assert_eq!(found(&app, d, "高新技术企业").await, [hitech.as_str()]);
    assert!(found(&app, d, "高新技术 路灯").await.is_empty());
    // A word that is nowhere, with one that is: nothing.
    assert!(found(&app, d, "路灯 供水").await.is_empty());
    // Punctuation alone asks for no word: nothing, and no error.
    assert!(found(&app, d, "！？").await.is_empty());
    // The ledger shares the list's search (read page by page by id): the tickets found, once.
    let csv = app
        .client
        .get(app.url(&format!("/api/v1/ledger.csv?q={}", urlencode("路灯"))))
        .bearer_auth(&d.token)
        .send()
        .await
        .expect("ledger")
        .text()
        .await
        .expect("text");
    assert_eq!(csv.matches("门前路灯不亮").count(), 1, "{csv}");
    assert_eq!(csv.matches("路灯损坏").count(), 1, "{csv}");
    assert!(!csv.contains("新厂房用电报装"), "{csv}");
    // Too long: 400 naming q.
    app.get(
        &format!("/api/v1/tickets?q={}", "路".repeat(101)),
        Some(&d.token),
    )
    .await
    .expect_error(400, "invalid_query");
}

async fn numbers_enterprises_and_credit_codes_exactly(app: TestApp) {
    let w = app.world().await;
    let a = file(&app, &w, &w.ent_a, "门前路灯不亮", "晚上看不见").await;
    let b = file(&app, &w, &w.ent_b, "招工难", "需要技术工人").await;
    let d = &w.dispatcher;
    let number = app.detail(d, &a).await["number"]
        .as_str()
        .expect("number")
        .to_string();
    assert_eq!(found(&app, d, &number).await, [a.as_str()]);
    assert_eq!(found(&app, d, &number.to_lowercase()).await, [a.as_str()]);
    // The enterprise's name and credit code (folded: lower case works too).
    assert_eq!(found(&app, d, "乙企业有限公司").await, [b.as_str()]);
    assert_eq!(found(&app, d, &credit_code(2)).await, [b.as_str()]);
    assert_eq!(
        found(&app, d, &credit_code(2).to_lowercase()).await,
        [b.as_str()]
    );
    // An enterprise's own search of another's code finds nothing.
    assert!(found(&app, &w.ent_a, &credit_code(2)).await.is_empty());
    // The exact matches page by position too.
    let page = app
        .get(
            &format!("/api/v1/tickets?limit=1&q={}", urlencode("乙企业有限公司")),
            Some(&d.token),
        )
        .await
        .expect(200);
    assert_eq!(ids(&page), [b.as_str()]);
    assert!(page["next_cursor"].is_null());
}

async fn search_never_widens_the_scope(app: TestApp) {
    let w = app.world().await;
    let a = file(&app, &w, &w.ent_a, "门前路灯不亮", "厂区门前").await;
    let b = file(&app, &w, &w.ent_b, "门前路灯也不亮", "乙企业门前").await;
    assert_eq!(found(&app, &w.ent_a, "路灯 门前").await, [a.as_str()]);
    assert_eq!(found(&app, &w.ent_b, "路灯 门前").await, [b.as_str()]);
    // A cadre of another department, not assigned, not liaison: nothing.
    assert!(found(&app, &w.cadre_b, "路灯").await.is_empty());
    // Assigned to department A: its cadre finds it, department B's still does not.
    app.act(
        &w.dispatcher,
        &a,
        "assign",
        json!({"department_id": w.dept_a, "assignee_id": w.cadre_a.id}),
    )
    .await
    .expect(200);
    assert_eq!(found(&app, &w.cadre_a, "路灯").await, [a.as_str()]);
    assert!(found(&app, &w.cadre_b, "路灯").await.is_empty());
    // Enterprise A's liaison cadre finds A's, not B's.
    assert_eq!(found(&app, &w.liaison, "路灯").await, [a.as_str()]);
    // Dispatchers find both; by relevance and newest first alike.
    assert_eq!(
        sorted(found(&app, &w.dispatcher, "路灯").await),
        sorted(vec![a.clone(), b.clone()])
    );
    // Not by the other's enterprise name either.
    assert!(found(&app, &w.ent_b, "甲企业有限公司").await.is_empty());
}

async fn matched_words_are_highlighted(app: TestApp) {
    let w = app.world().await;
    let long = format!("{}厂区门前的路灯坏了{}", "甲".repeat(80), "乙".repeat(80));
    file(&app, &w, &w.ent_a, "门前路灯不亮", &long).await;
    let list = search(&app, &w.dispatcher, "路灯 门前").await;
    let item = &list["items"][0];
    let pieces = |v: &Value| -> Vec<(String, bool)> {
        v.as_array()
            .expect("pieces")
            .iter()
            .map(|p| {
                (
                    p["text"].as_str().expect("text").to_string(),
                    p["hit"].as_bool().expect("hit"),
                )
            })
            .collect()
    };
    assert_eq!(
        pieces(&item["highlight"]["title"]),
        [("门前路灯".to_string(), true), ("不亮".to_string(), false)]
    );
    let snippet = pieces(&item["highlight"]["description"]);
    let text: String = snippet.iter().map(|(t, _)| t.as_str()).collect();
    assert!(text.starts_with('…') && text.ends_with('…'), "{text}");
    let hits: Vec<&str> = snippet
        .iter()
        .filter(|(_, hit)| *hit)
        .map(|(t, _)| t.as_str())
        .collect();
    assert_eq!(hits, ["门前", "路灯"]);
    // Without q, no highlight at all.
    let plain = app
        .get("/api/v1/tickets", Some(&w.dispatcher.token))
        .await
        .expect(200);
    assert!(plain["items"][0].get("highlight").is_none());
}

async fn relevance_first_or_newest_first(app: TestApp) {
    let w = app.world().await;
    // The older one says 路灯 in its title and again in its description: the most relevant.
    let relevant = file(
        &app,
        &w,
        &w.ent_a,
        "路灯不亮",
        "路灯坏了，路灯杆也歪了，路灯线路老化",
    )
    .await;
    let mut others = Vec::new();
    for n in 0..4 {
        others.push(
            file(
                &app,
                &w,
                &w.ent_a,
                &format!("道路施工第{n}段"),
                "施工影响通行，另外附近有一盏路灯的灯罩需要清洗，其他一切正常，请相关部门协调处理",
            )
            .await,
        );
    }
    let d = &w.dispatcher;
    let by_relevance = found(&app, d, "路灯").await;
    assert_eq!(by_relevance.first(), Some(&relevant), "{by_relevance:?}");
    assert_eq!(by_relevance.len(), 5);
    let newest = ids(&app
        .get(
            &format!("/api/v1/tickets?q={}&sort=newest", urlencode("路灯")),
            Some(&d.token),
        )
        .await
        .expect(200));
    assert_eq!(newest.first(), others.last());
    assert_eq!(newest.last(), Some(&relevant));
    let mut expected = newest.clone();
    expected.sort_by(|a, b| b.cmp(a));
    assert_eq!(newest, expected);
    // Paging by relevance covers everything once, in the same order.
    assert_eq!(
        every_page(&app, d, "路灯", "relevance", 2).await,
        by_relevance
    );
    // A cursor of one order is refused by another; an unknown sort names the parameter.
    let newest_page = app
        .get(
            &format!(
                "/api/v1/tickets?limit=2&q={}&sort=newest",
                urlencode("路灯")
            ),
            Some(&d.token),
        )
        .await
        .expect(200);
    let id_cursor = newest_page["next_cursor"].as_str().expect("cursor");
    app.get(
        &format!("/api/v1/tickets?q={}&cursor={id_cursor}", urlencode("路灯")),
        Some(&d.token),
    )
    .await
    .expect_error(400, "invalid_query");
    let bad = app.get("/api/v1/tickets?sort=best", Some(&d.token)).await;
    bad.expect_error(400, "invalid_query");
    assert!(bad.field("sort").is_some());
}

async fn progress_and_resolution_are_searchable_when_public(app: TestApp) {
    let w = app.world().await;
    let id = app.ticket_in_progress(&w).await;
    let d = &w.dispatcher;
    assert!(found(&app, d, "电缆沟").await.is_empty());
    app.act(
        &w.cadre_a,
        &id,
        "progress",
        json!({"note": "已联系供电公司勘察电缆沟", "public": true}),
    )
    .await
    .expect(200);
    assert_eq!(found(&app, d, "电缆沟").await, [id.as_str()]);
    assert_eq!(found(&app, &w.ent_a, "电缆沟 勘察").await, [id.as_str()]);
    // An internal note is not searched: the enterprise could find words it cannot read.
    app.act(
        &w.cadre_a,
        &id,
        "progress",
        json!({"note": "内部协调变压器扩容", "public": false}),
    )
    .await
    .expect(200);
    assert!(found(&app, d, "变压器").await.is_empty());
    app.act(
        &w.cadre_a,
        &id,
        "resolve",
        json!({"resolution": "道路已修复并加装护栏"}),
    )
    .await
    .expect(200);
    assert_eq!(found(&app, d, "护栏").await, [id.as_str()]);
    // The words of the filing are still there.
    assert_eq!(found(&app, d, "道路 破损").await, [id.as_str()]);
}

async fn tickets_without_words_are_backfilled(app: TestApp) {
    let w = app.world().await;
    let a = file(&app, &w, &w.ent_a, "门前路灯不亮", "晚上看不见").await;
    let b = file(&app, &w, &w.ent_b, "新厂房用电报装", "进度缓慢").await;
    app.act(
        &w.dispatcher,
        &a,
        "assign",
        json!({"department_id": w.dept_a, "assignee_id": w.cadre_a.id}),
    )
    .await
    .expect(200);
    app.act(&w.cadre_a, &a, "sign", json!({})).await.expect(200);
    app.act(
        &w.cadre_a,
        &a,
        "progress",
        json!({"note": "已更换灯泡", "public": true}),
    )
    .await
    .expect(200);
    // As if filed before the index existed.
    let cleared = app
        .db
        .write(|c| -> Result<usize, AppError> { Ok(qiyeshao::db::ticket_words::clear(c)?) })
        .expect("clear");
    assert_eq!(cleared, 2);
    assert!(found(&app, &w.dispatcher, "路灯").await.is_empty());
    let backfilled = qiyeshao::search::backfill::run(&app.db, &app.ctx.segmenter).expect("run");
    assert_eq!(backfilled, 2);
    assert_eq!(found(&app, &w.dispatcher, "路灯 门前").await, [a.as_str()]);
    assert_eq!(found(&app, &w.dispatcher, "灯泡").await, [a.as_str()]);
    assert_eq!(found(&app, &w.dispatcher, "用电").await, [b.as_str()]);
    // Idempotent: nothing left to do, and nothing indexed twice.
    let again = qiyeshao::search::backfill::run(&app.db, &app.ctx.segmenter).expect("again");
    assert_eq!(again, 0);
    let words: String = app
        .db
        .read(|c| -> Result<String, AppError> {
            use diesel::prelude::*;
            use qiyeshao::db::schema::ticket_words;
            Ok(ticket_words::table
                .filter(ticket_words::ticket_id.eq(&b))
                .select(ticket_words::words)
                .get_result::<String>(c)?)
        })
        .expect("words");
    assert_eq!(
        words.split(' ').filter(|w| *w == "进度").count(),
        1,
        "{words}"
    );
}

async fn similar(app: &TestApp, user: &User, path: &str) -> Value {
    app.get(path, Some(&user.token)).await.expect(200)
}

async fn dispatchers_see_similar_tickets_of_any_enterprise(app: TestApp) {
    let w = app.world().await;
    let a = file(&app, &w, &w.ent_a, "门前路灯不亮", "厂区门前的路灯坏了").await;
    let b = file(
        &app,
        &w,
        &w.ent_b,
        "路灯损坏",
        "园区门前路灯不亮，晚上看不见",
    )
    .await;
    let other = file(&app, &w, &w.ent_b, "招工难", "需要技术工人").await;
    let d = &w.dispatcher;
    let list = similar(&app, d, &format!("/api/v1/tickets/{a}/similar")).await;
    let items = list["items"].as_array().expect("items");
    // Itself left out, the unrelated one too; the other enterprise's counts.
    assert_eq!(ids(&list), [b.as_str()]);
    assert!(items[0]["score"].as_f64().expect("score") > 0.0);
    let shared: Vec<&str> = items[0]["shared_words"]
        .as_array()
        .expect("shared")
        .iter()
        .map(|v| v.as_str().expect("word"))
        .collect();
    assert!(
        shared.contains(&"路灯") && shared.contains(&"门前"),
        "{shared:?}"
    );
    assert!(!ids(&list).contains(&other));
    // A closed-long-ago or withdrawn ticket is not a duplicate to look at: withdrawn leaves.
    app.act(&w.ent_b, &b, "withdraw", json!({}))
        .await
        .expect(200);
    let list = similar(&app, d, &format!("/api/v1/tickets/{a}/similar")).await;
    assert!(ids(&list).is_empty());
    // Not for the others: 403 (a cadre, an enterprise); no such ticket 404; a bad limit 400.
    for user in [&w.cadre_a, &w.ent_a] {
        app.get(&format!("/api/v1/tickets/{a}/similar"), Some(&user.token))
            .await
            .expect_error(403, "forbidden");
    }
    app.get(
        "/api/v1/tickets/0190c0de-0000-7000-8000-000000000000/similar",
        Some(&d.token),
    )
    .await
    .expect_error(404, "not_found");
    app.get(
        &format!("/api/v1/tickets/{a}/similar?limit=0"),
        Some(&d.token),
    )
    .await
    .expect_error(400, "invalid_query");
}

async fn an_enterprise_sees_only_its_own_similar_open_tickets(app: TestApp) {
    let w = app.world().await;
    let mine = file(&app, &w, &w.ent_a, "门前路灯不亮", "厂区门前的路灯坏了").await;
    // Enterprise B's says the same, word for word.
    let theirs = file(&app, &w, &w.ent_b, "门前路灯不亮", "厂区门前的路灯坏了").await;
    let path = format!(
        "/api/v1/tickets/similar?title={}&description={}",
        urlencode("路灯又不亮了"),
        urlencode("门前")
    );
    let a = similar(&app, &w.ent_a, &path).await;
    assert_eq!(ids(&a), [mine.as_str()]);
    // A colleague of the same enterprise sees it too; B sees only its own.
    assert_eq!(ids(&similar(&app, &w.ent_a2, &path).await), [mine.as_str()]);
    let b = similar(&app, &w.ent_b, &path).await;
    assert_eq!(ids(&b), [theirs.as_str()]);
    // Only open ones: withdrawn, it is no longer offered.
    app.act(&w.ent_a, &mine, "withdraw", json!({}))
        .await
        .expect(200);
    assert!(ids(&similar(&app, &w.ent_a, &path).await).is_empty());
    // Staff: 403; nothing to compare: 400 naming title.
    app.get(&path, Some(&w.dispatcher.token))
        .await
        .expect_error(403, "forbidden");
    let r = app
        .get("/api/v1/tickets/similar?title=%20", Some(&w.ent_a.token))
        .await;
    r.expect_error(400, "invalid_query");
    assert!(r.field("title").is_some());
}

both_backends!(
    all_words_in_any_order,
    numbers_enterprises_and_credit_codes_exactly,
    search_never_widens_the_scope,
    matched_words_are_highlighted,
    relevance_first_or_newest_first,
    progress_and_resolution_are_searchable_when_public,
    tickets_without_words_are_backfilled,
    dispatchers_see_similar_tickets_of_any_enterprise,
    an_enterprise_sees_only_its_own_similar_open_tickets,
);

/// Every page of a search, following `next_cursor`, `limit` at a time.
async fn every_page(
    app: &TestApp,
    user: &User,
    query: &str,
    sort: &str,
    limit: usize,
) -> Vec<String> {
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!(
            "/api/v1/tickets?limit={limit}&sort={sort}&q={}",
            urlencode(query)
        );
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = app.get(&path, Some(&user.token)).await.expect(200);
        paged.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    paged
}

/// With more matches than the ranking window (here 3), the three most recent are ranked and
/// the older follow newest first; paging covers each once in that one order, as does newest
/// first (which SQLite walks in the index's order).
async fn the_relevance_window_ranks_the_newest_matches(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.search.relevance_window = 3).await;
    let w = app.world().await;
    let mut filed = Vec::new();
    for n in 0..7 {
        // The second says 路灯 three times: the most relevant of all, but out of the window.
        let description = if n == 1 {
            "路灯坏了，路灯杆也歪了，路灯线路老化"
        } else {
            "施工影响通行，附近有一盏路灯的灯罩需要清洗，其他一切正常，请相关部门协调处理"
        };
        filed.push(file(&app, &w, &w.ent_a, &format!("道路第{n}段"), description).await);
    }
    // The most relevant of the window (the newest three) is the one whose description is
    // shortest: make it so.
    let best_in_window = file(&app, &w, &w.ent_a, "路灯不亮", "路灯").await;
    filed.push(best_in_window.clone());
    let d = &w.dispatcher;
    let newest: Vec<String> = filed.iter().rev().cloned().collect();
    check_window_pages(&app, d, &filed, &newest, &best_in_window).await;
    // With the words' statistics (ANALYZE), PostgreSQL walks the newest rows for a query of
    // common words instead of the planner's plan: the same pages.
    let common = app
        .db
        .read(|c| -> Result<Option<f64>, AppError> {
            ticket_words::analyze(c)?;
            let terms = [Term::word("路灯")];
            let query = WordsQuery::new(&terms).expect("a word");
            Ok(ticket_words::common_frequency(c, &query, 0.01)?)
        })
        .expect("statistics");
    match backend {
        Backend::Postgres => assert!(common.is_some_and(|f| f > 0.5), "{common:?}"),
        Backend::Sqlite => assert_eq!(common, None),
    }
    check_window_pages(&app, d, &filed, &newest, &best_in_window).await;
    // A department's cadre: the same order within what the cadre may see (nothing here:
    // nothing assigned), and a narrower filter pages alike.
    assert!(
        every_page(&app, &w.cadre_a, "路灯", "relevance", 2)
            .await
            .is_empty()
    );
    let not_mine = app
        .get(
            &format!(
                "/api/v1/tickets?q={}&enterprise_id={}",
                urlencode("路灯"),
                w.enterprise_b
            ),
            Some(&d.token),
        )
        .await
        .expect(200);
    assert!(ids(&not_mine).is_empty());
}

/// Every page of 路灯 by relevance, newest and oldest first, at several page sizes: the
/// window of three ranked (`best` first), then the older newest first.
async fn check_window_pages(
    app: &TestApp,
    d: &User,
    filed: &[String],
    newest: &[String],
    best: &str,
) {
    for limit in [1, 2, 5, 100] {
        let paged = every_page(app, d, "路灯", "relevance", limit).await;
        assert_eq!(paged.len(), newest.len(), "limit {limit}: {paged:?}");
        assert_eq!(paged[0], best, "limit {limit}");
        let mut window: Vec<String> = paged[..3].to_vec();
        window.sort();
        let mut expected: Vec<String> = newest[..3].to_vec();
        expected.sort();
        assert_eq!(
            window, expected,
            "the newest three are ranked first (limit {limit})"
        );
        assert_eq!(paged[3..], newest[3..], "then newest first (limit {limit})");
        assert_eq!(every_page(app, d, "路灯", "newest", limit).await, newest);
        assert_eq!(every_page(app, d, "路灯", "oldest", limit).await, filed);
    }
}

/// Similar requests are looked for among the most recent candidates sharing a word (here 1):
/// the window bounds what a dispatcher is shown, the enterprise's own hint is not bounded.
async fn the_similar_window_bounds_the_candidates(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.search.similar_window = 1).await;
    let w = app.world().await;
    let older = file(&app, &w, &w.ent_b, "门前路灯不亮", "厂区门前的路灯坏了").await;
    let newer = file(&app, &w, &w.ent_b, "路灯", "另一处").await;
    let asked = file(&app, &w, &w.ent_a, "门前路灯不亮", "厂区门前的路灯坏了").await;
    let d = &w.dispatcher;
    // Of the two, only the newest candidate (itself left out) is ranked.
    let list = similar(&app, d, &format!("/api/v1/tickets/{asked}/similar")).await;
    assert_eq!(ids(&list), [newer.as_str()]);
    // The same once PostgreSQL knows the words are common (it then walks the newest rows).
    app.db
        .read(|c| -> Result<(), AppError> { Ok(ticket_words::analyze(c)?) })
        .expect("analyze");
    let list = similar(&app, d, &format!("/api/v1/tickets/{asked}/similar")).await;
    assert_eq!(ids(&list), [newer.as_str()]);
    // The enterprise's own open tickets are all compared.
    let path = format!(
        "/api/v1/tickets/similar?title={}&description={}",
        urlencode("门前路灯不亮"),
        urlencode("厂区")
    );
    let mine = file(&app, &w, &w.ent_b, "招工难", "需要技术工人").await;
    let b = similar(&app, &w.ent_b, &path).await;
    let found = ids(&b);
    assert_eq!(found.first(), Some(&older), "{found:?}");
    assert!(
        found.contains(&newer) && !found.contains(&mine),
        "{found:?}"
    );
}

crate::tests!(
    #[each_backend]
    the_relevance_window_ranks_the_newest_matches,
    #[each_backend]
    the_similar_window_bounds_the_candidates,
);

/// A words file that is configured but missing stops the start-up, naming the setting and
/// the file.
fn a_missing_words_file_stops_the_start_up() {
    let dir = tempfile::tempdir().expect("dir");
    let mut settings = crate::helpers::test_settings(dir.path(), "sqlite://unused.db".into());
    settings.search.words_file = dir.path().join("no-such-words.txt");
    let err = qiyeshao::startup::load_segmenter(&settings).expect_err("refused");
    let err = format!("{err:#}");
    assert!(err.contains("search.words_file"), "{err}");
    assert!(err.contains("no-such-words.txt"), "{err}");
    // The shipped one loads.
    settings.search.words_file = "config/search/words.txt".into();
    qiyeshao::startup::load_segmenter(&settings).expect("the shipped words file");
}

crate::tests!(a_missing_words_file_stops_the_start_up);
