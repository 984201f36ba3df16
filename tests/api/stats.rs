//! The statistics against a period built by hand through the API: every figure of
//! docs/kpi.md, the breakdowns adding up to the summary, the series, the ranking, and who may
//! see what.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, User, World, id_of};

pub(crate) fn at(text: &str) -> chrono::DateTime<chrono::Utc> {
    qiyeshao::domain::time::parse(text).expect("instant")
}

/// A world whose tokens are minted at the clock's time.
pub(crate) fn fresh(app: &TestApp, w: &World) -> World {
    World {
        admin: app.reissue(&w.admin),
        dispatcher: app.reissue(&w.dispatcher),
        cadre_a: app.reissue(&w.cadre_a),
        cadre_a2: app.reissue(&w.cadre_a2),
        cadre_b: app.reissue(&w.cadre_b),
        liaison: app.reissue(&w.liaison),
        ent_a: app.reissue(&w.ent_a),
        ent_a2: app.reissue(&w.ent_a2),
        ent_b: app.reissue(&w.ent_b),
        ..w.clone()
    }
}

async fn file(app: &TestApp, user: &User, body: Value) -> String {
    id_of(
        &app.post("/api/v1/tickets", Some(&user.token), body)
            .await
            .expect(201),
    )
}

fn body(w: &World, kind: &str, title: &str) -> Value {
    json!({"kind": kind, "category_id": w.category, "title": title, "description": format!("{title}的情况")})
}

async fn ok(app: &TestApp, user: &User, id: &str, action: &str, body: Value) {
    app.act(user, id, action, body).await.expect(200);
}

/// Ten tickets filed on Monday 2026-11-02, each figure of which the test works out by hand
/// (the same shape as the fixture of `domain::kpi`); read on 2026-11-10 at 10:00.
pub(crate) async fn build_period(app: &TestApp) -> (World, Vec<String>) {
    let w = app.world().await;
    app.clock.set(at("2026-11-02T09:00:00+08:00"));
    let w = fresh(app, &w);
    let assign = |due: Option<&str>| {
        let mut b = json!({"department_id": w.dept_a, "assignee_id": w.cadre_a.id});
        if let Some(d) = due {
            b["due_at"] = json!(d);
        }
        b
    };
    let (d, c, e) = (&w.dispatcher, &w.cadre_a, &w.ent_a);
    // 1: waiting. 2: rejected. 3: by phone, withdrawn. 4: accepted.
    let t1 = file(app, e, body(&w, "problem", "一")).await;
    let t2 = file(app, e, body(&w, "problem", "二")).await;
    ok(app, d, &t2, "reject", json!({"reason": "重复"})).await;
    let mut phoned = body(&w, "problem", "三");
    phoned["enterprise_id"] = json!(w.enterprise_a);
    phoned["channel"] = json!("phone");
    let t3 = file(app, d, phoned).await;
    ok(app, e, &t3, "withdraw", json!({})).await;
    let t4 = file(app, e, body(&w, "problem", "四")).await;
    ok(app, d, &t4, "accept", json!({})).await;
    // 5: due in an hour; signed late (below); overdue.
    let t5 = file(app, e, body(&w, "problem", "五")).await;
    ok(
        app,
        d,
        &t5,
        "assign",
        assign(Some("2026-11-02T10:00:00+08:00")),
    )
    .await;
    // 6: five working days; signed now; resolved on Thursday, on time, 3 working days.
    let t6 = file(app, e, body(&w, "problem", "六")).await;
    ok(app, d, &t6, "assign", assign(None)).await;
    ok(app, c, &t6, "sign", json!({})).await;
    // 7: due in two hours; resolved late at noon, satisfied.
    let t7 = file(app, e, body(&w, "problem", "七")).await;
    ok(
        app,
        d,
        &t7,
        "assign",
        assign(Some("2026-11-02T11:00:00+08:00")),
    )
    .await;
    ok(app, c, &t7, "sign", json!({})).await;
    // 8: a suggestion taken on a visit; adopted; reopened once; basically satisfied.
    let mut visited = body(&w, "suggestion", "八");
    visited["enterprise_id"] = json!(w.enterprise_a);
    visited["channel"] = json!("visit");
    let t8 = file(app, d, visited).await;
    ok(app, d, &t8, "assign", assign(None)).await;
    ok(app, c, &t8, "sign", json!({})).await;
    // 9: a suggestion, not adopted, resolved at once, never rated: closed as no response.
    let t9 = file(app, e, body(&w, "suggestion", "九")).await;
    ok(app, d, &t9, "assign", assign(None)).await;
    ok(app, c, &t9, "sign", json!({})).await;
    ok(
        app,
        c,
        &t9,
        "resolve",
        json!({"resolution": "不予采纳", "adopted": false}),
    )
    .await;
    // 10: an inquiry, resolved and rated unsatisfied: back in progress (its rework overdue by
    // the 10th).
    let t10 = file(app, e, body(&w, "inquiry", "十")).await;
    ok(app, d, &t10, "assign", assign(None)).await;
    ok(app, c, &t10, "sign", json!({})).await;
    ok(app, c, &t10, "resolve", json!({"resolution": "已答复"})).await;
    ok(
        app,
        e,
        &t10,
        "revisit",
        json!({"rating": "unsatisfied", "comment": "没有解决"}),
    )
    .await;

    app.clock.set(at("2026-11-02T12:00:00+08:00"));
    let w = fresh(app, &w);
    let (c, e) = (&w.cadre_a, &w.ent_a);
    ok(app, c, &t5, "sign", json!({})).await;
    ok(app, c, &t7, "resolve", json!({"resolution": "已修复"})).await;
    ok(app, e, &t7, "revisit", json!({"rating": "satisfied"})).await;

    app.clock.set(at("2026-11-05T10:00:00+08:00"));
    let w = fresh(app, &w);
    let (c, e) = (&w.cadre_a, &w.ent_a);
    ok(app, c, &t6, "resolve", json!({"resolution": "已办结"})).await;
    ok(
        app,
        c,
        &t8,
        "resolve",
        json!({"resolution": "采纳", "adopted": true}),
    )
    .await;
    ok(
        app,
        e,
        &t8,
        "revisit",
        json!({"rating": "unsatisfied", "comment": "没有解决"}),
    )
    .await;
    ok(
        app,
        c,
        &t8,
        "resolve",
        json!({"resolution": "采纳并落实", "adopted": true}),
    )
    .await;
    ok(
        app,
        e,
        &t8,
        "revisit",
        json!({"rating": "basically_satisfied"}),
    )
    .await;

    // The revisit window closes 9 (resolved on the 2nd); 6 (the 5th) still waits.
    app.clock.set(at("2026-11-10T10:00:00+08:00"));
    let report = app.scheduler.sweep().await.expect("sweep");
    assert_eq!(report.closed_no_response, 1);
    let w = fresh(app, &w);
    (w, vec![t1, t2, t3, t4, t5, t6, t7, t8, t9, t10])
}

const PERIOD: &str = "from=2026-11-01&to=2026-12-01";

async fn every_figure_of_a_hand_built_period(app: TestApp) {
    let (w, _) = build_period(&app).await;
    let s = app
        .get(
            &format!("/api/v1/stats/summary?{PERIOD}"),
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    let expected = json!({
        "from": "2026-11-01", "to": "2026-12-01",
        "filed": 10,
        "filed_by_kind": {"problem": 7, "suggestion": 2, "inquiry": 1},
        "filed_by_channel": {"online": 8, "phone": 1, "visit": 1},
        "accepted": 7,
        "resolved": 4,
        "resolved_with_deadline": 4,
        "on_time": 3,
        "rated": 2,
        "satisfied": 1,
        "basically_satisfied": 1,
        "unsatisfied": 0,
        "no_response": 1,
        "reopened": 1,
        "overdue_open": 2,
        "signed_with_deadline": 6,
        "signed_on_time": 5,
        "suggestions": 2,
        "suggestions_adopted": 1,
        "resolution_rate": 4.0 / 7.0,
        "on_time_rate": 0.75,
        "satisfaction_rate": 1.0,
        "revisit_rate": 0.5,
        "reopen_rate": 0.25,
        "sign_on_time_rate": 5.0 / 6.0,
        "adoption_rate": 0.5,
        // 6: 3, 7: 0, 8: 3, 9: 0 working days.
        "handling_days_mean": 1.5,
        "handling_days_median": 1.5,
    });
    assert_eq!(s, expected, "{s:#}");
    // The same figures counted ticket by ticket: a status filter (every status) takes the
    // live path instead of the kept cells.
    let every_status = "submitted,accepted,assigned,in_progress,resolved,closed,rejected,withdrawn";
    let live = app
        .get(
            &format!("/api/v1/stats/summary?{PERIOD}&status={every_status}"),
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    assert_eq!(live, expected, "{live:#}");

    // Nothing filed in October: every count 0, every rate null.
    let empty = app
        .get(
            "/api/v1/stats/summary?from=2026-10-01&to=2026-11-01",
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    assert_eq!(empty["filed"], 0);
    for rate in [
        "resolution_rate",
        "on_time_rate",
        "satisfaction_rate",
        "revisit_rate",
        "reopen_rate",
        "handling_days_median",
    ] {
        assert_eq!(empty[rate], Value::Null, "{rate}");
    }
    // The list's filters apply.
    let problems = app
        .get(
            &format!("/api/v1/stats/summary?{PERIOD}&kind=problem"),
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    assert_eq!(
        (problems["filed"].as_i64(), problems["resolved"].as_i64()),
        (Some(7), Some(2))
    );
    let searched = app
        .get(
            &format!("/api/v1/stats/summary?{PERIOD}&q=%E4%B8%83"),
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    assert_eq!(searched["filed"], 1);
}

async fn breakdowns_add_up_and_the_series_covers_every_period(app: TestApp) {
    let (w, _) = build_period(&app).await;
    let get = |path: String| {
        let token = w.dispatcher.token.clone();
        let app = &app;
        async move { app.get(&path, Some(&token)).await.expect(200) }
    };
    let summary = get(format!("/api/v1/stats/summary?{PERIOD}")).await;
    for by in [
        "department",
        "category",
        "industry_chain",
        "area",
        "assignee",
        "channel",
    ] {
        let b = get(format!("/api/v1/stats/breakdown?{PERIOD}&by={by}")).await;
        let items = b["items"].as_array().expect("items");
        for key in [
            "filed",
            "accepted",
            "resolved",
            "on_time",
            "rated",
            "satisfied",
            "reopened",
            "overdue_open",
            "suggestions_adopted",
        ] {
            let total: i64 = items.iter().map(|i| i[key].as_i64().unwrap()).sum();
            assert_eq!(total, summary[key].as_i64().unwrap(), "{by}: {key}");
        }
    }
    let by_channel = get(format!("/api/v1/stats/breakdown?{PERIOD}&by=channel")).await;
    let channels: Vec<(&str, &str, i64)> = by_channel["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["key"].as_str().unwrap(),
                i["name"].as_str().unwrap(),
                i["filed"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        channels,
        [
            ("online", "网上", 8),
            ("phone", "电话", 1),
            ("visit", "走访", 1)
        ]
    );
    let by_department = get(format!("/api/v1/stats/breakdown?{PERIOD}&by=department")).await;
    let departments: Vec<(Value, i64)> = by_department["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["name"].clone(), i["filed"].as_i64().unwrap()))
        .collect();
    assert_eq!(departments, [(json!("部门甲"), 6), (Value::Null, 4)]);
    let by_chain = get(format!(
        "/api/v1/stats/breakdown?{PERIOD}&by=industry_chain"
    ))
    .await;
    assert_eq!(by_chain["items"][0]["key"], "智能终端");
    app.get(
        &format!("/api/v1/stats/breakdown?{PERIOD}&by=colour"),
        Some(&w.admin.token),
    )
    .await
    .expect_error(400, "invalid_query");

    let days = get("/api/v1/stats/trend?from=2026-11-02&to=2026-11-05&interval=day".into()).await;
    let points: Vec<(&str, i64)> = days["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["start"].as_str().unwrap(), p["filed"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        points,
        [("2026-11-02", 10), ("2026-11-03", 0), ("2026-11-04", 0)]
    );
    let weeks = get("/api/v1/stats/trend?from=2026-10-20&to=2026-11-20&interval=week".into()).await;
    let starts: Vec<&str> = weeks["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["start"].as_str().unwrap())
        .collect();
    assert_eq!(
        starts,
        ["2026-10-19", "2026-10-26", "2026-11-02", "2026-11-09",],
        "the series ends with the period of today (11-10): later ones are not plotted as 0"
    );
    let months =
        get("/api/v1/stats/trend?from=2026-10-01&to=2027-01-01&interval=month".into()).await;
    let filed: Vec<i64> = months["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["filed"].as_i64().unwrap())
        .collect();
    // December has not begun: no point rather than a 0.
    assert_eq!(filed, [0, 10]);
    assert_eq!(
        months["points"][1]["resolution_rate"],
        summary["resolution_rate"]
    );
    app.get(
        "/api/v1/stats/trend?from=2000-01-01&to=2009-01-01&interval=day",
        Some(&w.admin.token),
    )
    .await
    .expect_error(400, "invalid_query");
}

async fn the_ranking_puts_the_better_department_first(app: TestApp) {
    let (w, _) = build_period(&app).await;
    // Department B: one ticket, resolved on time and rated satisfied.
    app.clock.set(at("2026-11-03T09:00:00+08:00"));
    let w = fresh(&app, &w);
    let id = file(&app, &w.ent_b, body(&w, "problem", "乙的诉求")).await;
    ok(
        &app,
        &w.dispatcher,
        &id,
        "assign",
        json!({"department_id": w.dept_b, "assignee_id": w.cadre_b.id}),
    )
    .await;
    ok(&app, &w.cadre_b, &id, "sign", json!({})).await;
    ok(
        &app,
        &w.cadre_b,
        &id,
        "resolve",
        json!({"resolution": "已办结"}),
    )
    .await;
    ok(
        &app,
        &w.ent_b,
        &id,
        "revisit",
        json!({"rating": "satisfied"}),
    )
    .await;
    // Department C: one ticket handed over, its deadline still ahead — nothing due, so it is
    // not ranked (its resolution rate of 0 says nothing yet): "—", not 0.0.
    let id = file(&app, &w.ent_b, body(&w, "problem", "丙的诉求")).await;
    ok(
        &app,
        &w.dispatcher,
        &id,
        "assign",
        json!({"department_id": w.dept_c, "due_at": "2026-12-31T18:00:00+08:00"}),
    )
    .await;
    app.clock.set(at("2026-11-10T10:00:00+08:00"));
    let w = fresh(&app, &w);
    let r = app
        .get(
            &format!("/api/v1/stats/ranking?{PERIOD}"),
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    assert_eq!(r["ranked"], 2);
    let names = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|x| x["name"].as_str().unwrap().to_string())
            .collect()
    };
    // Each list takes at most half: no department is on both.
    assert_eq!(names(&r["best"]), ["部门乙"]);
    assert_eq!(names(&r["worst"]), ["部门甲"]);
    assert_eq!(r["unranked"], json!(["部门丙"]));
    assert_eq!(
        (r["best"][0]["name"].as_str(), r["best"][0]["rank"].as_i64()),
        (Some("部门乙"), Some(1))
    );
    assert_eq!(r["best"][0]["score"], 1.0);
    assert_eq!(
        (
            r["worst"][0]["name"].as_str(),
            r["worst"][0]["rank"].as_i64()
        ),
        (Some("部门甲"), Some(2))
    );
    // 部门甲: (0.3 × 4/6 + 0.3 × 3/4 + 0.3 × 1 + 0.1 × (1 − 1/4)) / 1.0 — six accepted there.
    let score = r["worst"][0]["score"].as_f64().unwrap();
    let expected = 0.3 * (4.0 / 6.0) + 0.3 * 0.75 + 0.3 * 1.0 + 0.1 * 0.75;
    assert!(
        (score - expected).abs() < 1e-9,
        "{score} against {expected}"
    );
    app.get(
        &format!("/api/v1/stats/ranking?{PERIOD}&limit=0"),
        Some(&w.admin.token),
    )
    .await
    .expect_error(400, "invalid_query");
}

async fn who_sees_which_figures(app: TestApp) {
    let (w, _) = build_period(&app).await;
    let summary = |user: &User| {
        let token = user.token.clone();
        let app = &app;
        async move {
            app.get(&format!("/api/v1/stats/summary?{PERIOD}"), Some(&token))
                .await
        }
    };
    assert_eq!(summary(&w.admin).await.expect(200)["filed"], 10);
    assert_eq!(summary(&w.dispatcher).await.expect(200)["filed"], 10);
    // A cadre: the tickets assigned to them.
    assert_eq!(summary(&w.cadre_a).await.expect(200)["filed"], 6);
    assert_eq!(summary(&w.cadre_b).await.expect(200)["filed"], 0);
    // A department head: the department and those under it.
    let head = app.make_user(
        "head.c",
        qiyeshao::domain::ticket::Role::Cadre,
        Some(&w.dept_c),
        None,
    );
    app.set_head(&w.dept_c, &head);
    let head = app.reissue(&head);
    assert_eq!(summary(&head).await.expect(200)["filed"], 0);
    app.patch(
        &format!("/api/v1/departments/{}", w.dept_a),
        Some(&w.admin.token),
        json!({"parent_id": w.dept_c}),
    )
    .await
    .expect(200);
    assert_eq!(summary(&head).await.expect(200)["filed"], 6);
    // Enterprise users see no statistics.
    for path in ["summary", "breakdown?by=department", "trend", "ranking"] {
        app.get(&format!("/api/v1/stats/{path}"), Some(&w.ent_a.token))
            .await
            .expect_error(403, "forbidden");
    }
    app.get("/api/v1/stats/summary", None)
        .await
        .expect_error(401, "missing_token");
    app.get(
        "/api/v1/stats/summary?from=2026-11-05&to=2026-11-01",
        Some(&w.admin.token),
    )
    .await
    .expect_error(400, "invalid_query");
}

/// A small deterministic generator (xorshift), so a failing sequence can be replayed.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// The cube with the changes not yet folded counts as the tickets one by one; folded, it
/// equals a recount.
async fn assert_cells_equal_a_recount(app: &TestApp, after: &str) {
    use qiyeshao::db::stats_cells;
    qiyeshao::background::stats_folder::fold_all(&app.db)
        .await
        .expect("fold the journal");
    let (kept, recounted, left) = app
        .db
        .read(|c| {
            Ok::<_, qiyeshao::error::AppError>((
                stats_cells::stored(c)?,
                stats_cells::recount(c, 7)?,
                stats_cells::journal_len(c)?,
            ))
        })
        .expect("read the cells");
    assert_eq!(left, 0, "the journal after folding, after {after}");
    assert_eq!(kept, recounted, "cells after {after}");
}

/// For each reader (everything, a department head's departments, a cadre's own tickets), with
/// no filter and with each one the cube slices by, each breakdown, the total and the series by
/// day, over whole months, a part of a month and a single day: the cube (with whatever is not
/// folded yet) answers exactly as counting the tickets one by one.
fn assert_the_cube_counts_as_one_by_one(app: &TestApp, w: &World, head: &User, after: &str) {
    use qiyeshao::auth::Principal;
    use qiyeshao::db::tickets::TicketFilter;
    use qiyeshao::domain::kpi::Counts;
    use qiyeshao::domain::ticket::{Role, TicketKind, TicketStatus};
    use qiyeshao::domain::time;
    use qiyeshao::service::stats::{self, Dimension, Key};
    use std::collections::BTreeMap;
    let reader = |user: &User, role: Role| Principal {
        user_id: user.id.clone(),
        role,
        department_id: None,
        enterprise_id: None,
        must_change_password: false,
        consent_required: false,
    };
    let readers = [
        reader(&w.admin, Role::Admin),
        reader(head, Role::Cadre),
        reader(&w.cadre_a, Role::Cadre),
    ];
    let day = |d: &str| {
        let d = chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
        Some(time::format(time::china_day_start(d)))
    };
    let periods = [
        ("2026-11-01", "2027-01-01"),
        ("2026-11-03", "2026-12-02"),
        ("2026-11-02", "2026-11-03"),
    ];
    let filters: Vec<TicketFilter> = vec![
        TicketFilter::default(),
        TicketFilter {
            statuses: vec![
                TicketStatus::InProgress,
                TicketStatus::Resolved,
                TicketStatus::Closed,
            ],
            ..TicketFilter::default()
        },
        TicketFilter {
            kinds: vec![TicketKind::Problem],
            ..TicketFilter::default()
        },
        TicketFilter {
            category_id: Some(w.category.clone()),
            ..TicketFilter::default()
        },
        TicketFilter {
            department_id: Some(w.dept_a.clone()),
            ..TicketFilter::default()
        },
        TicketFilter {
            assignee_id: Some(w.cadre_a.id.clone()),
            ..TicketFilter::default()
        },
    ];
    // DayOrMonth's keys are days or months' first days: compared grouped by month.
    let mut keys = vec![Key::Total, Key::Day, Key::DayOrMonth];
    let by_month = |counts: BTreeMap<Option<String>, Counts>| {
        let mut months: BTreeMap<Option<String>, Counts> = BTreeMap::new();
        for (day, c) in counts {
            months
                .entry(day.map(|d| d[..7].to_string()))
                .or_default()
                .merge(&c);
        }
        months
    };
    keys.extend(
        [
            Dimension::Department,
            Dimension::Category,
            Dimension::IndustryChain,
            Dimension::Area,
            Dimension::Assignee,
            Dimension::Channel,
        ]
        .map(Key::By),
    );
    let now = time::format(qiyeshao::domain::time::Clock::now(&app.clock));
    let mut compared = 0;
    app.db
        .read(|c| {
            for who in &readers {
                for (from, to) in periods {
                    for filter in &filters {
                        let filter = TicketFilter {
                            created_from: day(from),
                            created_to: day(to),
                            ..filter.clone()
                        };
                        for key in &keys {
                            let cube = stats::counted_from_cube(c, who, &filter, *key, &now)?;
                            let counted = stats::counted_one_by_one(c, who, &filter, *key, &now)?;
                            // The dimensions sliced: the filter's, the cadre's own tickets (the
                            // assignee), the breakdown's; the cube keeps up to two at once.
                            let mut dims = std::collections::BTreeSet::new();
                            for (on, dim) in [
                                (!filter.statuses.is_empty(), "status"),
                                (!filter.kinds.is_empty(), "kind"),
                                (filter.category_id.is_some(), "category"),
                                (filter.assignee_id.is_some(), "assignee"),
                                (who.user_id == w.cadre_a.id, "assignee"),
                            ] {
                                if on {
                                    dims.insert(dim);
                                }
                            }
                            if let Key::By(by) = key
                                && *by != Dimension::Department
                            {
                                dims.insert(by.as_str());
                            }
                            let Some(cube) = cube else {
                                assert!(
                                    dims.len() > 2,
                                    "{after}: not from the cube: {key:?} {filter:?}"
                                );
                                continue;
                            };
                            assert!(dims.len() <= 2, "{after}: {dims:?} from the cube");
                            let (cube, counted) = if *key == Key::DayOrMonth {
                                (by_month(cube), by_month(counted))
                            } else {
                                (cube, counted)
                            };
                            assert_eq!(
                                cube, counted,
                                "{after}: {:?} {key:?} {from}..{to} {filter:?}",
                                who.user_id
                            );
                            compared += 1;
                        }
                    }
                }
            }
            Ok::<_, qiyeshao::error::AppError>(())
        })
        .expect("compare");
    // Every shape comes from the cube but a cadre's breakdowns by a third dimension: filtered
    // by status or kind, by category, industry chain, area or channel; by category, by the
    // last three — 11 in each of the 3 periods.
    assert_eq!(compared, 3 * 3 * 6 * 9 - 3 * 11);
}

/// Random actions by every role (most refused as not possible in the ticket's status, which
/// must change nothing), deadlines passing and the scheduler's sweeps: the cells kept as the
/// tickets change always equal a recount, and the summary from them equals the one counted
/// ticket by ticket.
async fn the_kept_counts_equal_a_recount_after_random_actions(app: TestApp) {
    const WIDE: &str = "from=2026-11-01&to=2027-01-01";
    let w = app.world().await;
    app.clock.set(at("2026-11-02T09:00:00+08:00"));
    let mut w = fresh(&app, &w);
    // The liaison cadre heads department A (and reads its statistics).
    app.set_head(&w.dept_a, &w.liaison);
    let head = w.liaison.clone();
    let mut dice = Dice(0x5eed_cafe_f00d_1234);
    let mut ids = Vec::new();
    let kinds = ["problem", "suggestion", "inquiry"];
    for round in 0..6 {
        for i in 0..4 {
            let kind = kinds[dice.roll(3)];
            let mut b = body(&w, kind, &format!("第{round}轮{i}"));
            let by = if dice.roll(4) == 0 {
                b["enterprise_id"] = json!(w.enterprise_a);
                let channel = ["phone", "visit"][dice.roll(2)];
                b["channel"] = json!(channel);
                &w.dispatcher
            } else {
                &w.ent_a
            };
            ids.push(file(&app, by, b).await);
        }
        for step in 0..40 {
            let id = ids[dice.roll(ids.len())].clone();
            let (dept, cadre) = if dice.roll(2) == 0 {
                (&w.dept_a, &w.cadre_a)
            } else {
                (&w.dept_b, &w.cadre_b)
            };
            let rating = ["satisfied", "basically_satisfied", "unsatisfied"][dice.roll(3)];
            // Mostly an action the ticket's status allows, sometimes any (to be refused).
            let ticket = app.detail(&w.admin, &id).await;
            let status = ticket["status"].as_str().unwrap_or_default().to_string();
            // The cadre handling it, mostly (the other one is refused).
            let (dept, cadre) = if ticket["assignee_id"] == json!(w.cadre_b.id) && dice.roll(6) > 0
            {
                (&w.dept_b, &w.cadre_b)
            } else if ticket["assignee_id"] == json!(w.cadre_a.id) && dice.roll(6) > 0 {
                (&w.dept_a, &w.cadre_a)
            } else {
                (dept, cadre)
            };
            let likely: &[usize] = match status.as_str() {
                "submitted" => &[0, 0, 2, 2, 1, 10],
                "accepted" => &[2, 2, 2, 1, 9],
                "assigned" => &[4, 5, 2],
                "in_progress" => &[6, 7, 11, 5, 2],
                "resolved" => &[8, 8, 9],
                _ => &[],
            };
            let pick = if likely.is_empty() || dice.roll(5) == 0 {
                dice.roll(12)
            } else {
                likely[dice.roll(likely.len())]
            };
            let (who, action, b) = match pick {
                0 => (&w.dispatcher, "accept", json!({})),
                1 => (&w.dispatcher, "reject", json!({"reason": "不属实"})),
                2 | 3 => (
                    &w.dispatcher,
                    "assign",
                    json!({"department_id": dept, "assignee_id": cadre.id}),
                ),
                4 => (cadre, "sign", json!({})),
                5 => (cadre, "return", json!({"reason": "非本部门"})),
                6 | 7 => (
                    cadre,
                    "resolve",
                    json!({"resolution": "已办", "adopted": dice.roll(2) == 0}),
                ),
                8 => (
                    &w.ent_a,
                    "revisit",
                    json!({ "rating": rating, "comment": "回访" }),
                ),
                9 => (&w.dispatcher, "close", json!({"reason": "联系不上"})),
                10 => (&w.ent_a, "withdraw", json!({})),
                _ => (cadre, "progress", json!({"note": "在办"})),
            };
            let r = app.act(who, &id, action, b).await;
            assert!(
                matches!(r.status, 200 | 403 | 404 | 409 | 422),
                "{action}: {} {}",
                r.status,
                r.text
            );
            if step % 10 == 9 {
                let after = format!("round {round} step {step}");
                assert_the_cube_counts_as_one_by_one(&app, &w, &head, &after);
                if step % 20 == 19 {
                    assert_cells_equal_a_recount(&app, &after).await;
                }
            }
        }
        // Time passes: deadlines run out, revisit windows close.
        app.clock
            .advance(chrono::Duration::days(2 + dice.roll(4) as i64));
        app.scheduler.sweep().await.expect("sweep");
        w = fresh(&app, &w);
        let after = format!("the sweep of round {round}");
        assert_the_cube_counts_as_one_by_one(&app, &w, &head, &after);
        assert_cells_equal_a_recount(&app, &after).await;
        if round == 2 {
            // An enterprise moves to another area and industry chain: its tickets move with it.
            app.move_enterprise(&w.enterprise_a, "新区", "新能源");
            let after = format!("the move of round {round}");
            assert_the_cube_counts_as_one_by_one(&app, &w, &head, &after);
            assert_cells_equal_a_recount(&app, &after).await;
        }
    }
    let s = app
        .get(
            &format!("/api/v1/stats/summary?{WIDE}"),
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    // The sequence reached the figures it is meant to exercise.
    assert_eq!(s["filed"], 24);
    for key in ["accepted", "resolved", "rated", "reopened", "no_response"] {
        assert!(s[key].as_i64().unwrap() > 0, "{key}: {s:#}");
    }
}

/// `qiyeshao seed-load`'s generator: the number asked for, every status, consistent
/// timelines, and cells equal to a recount.
async fn the_seed_load_spreads_tickets_over_every_status(app: TestApp) {
    let w = app.world().await;
    let now = at("2026-11-30T12:00:00+08:00");
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let progress = seen.clone();
    let report = qiyeshao::cli::seed_load::load(
        &app.db,
        &app.ctx.calendar.days,
        3000,
        7,
        now,
        app.ctx.segmenter.clone(),
        move |n| progress.lock().unwrap().push(n),
    )
    .expect("seed load");
    assert_eq!(report.tickets, 3000);
    assert_eq!(seen.lock().unwrap().last(), Some(&3000));
    assert_eq!(report.departments, 12);
    assert!(report.events > 3000 * 3, "{report:?}");
    assert_cells_equal_a_recount(&app, "the seed load").await;
    // Counting ticket by ticket pages through all of them, each once.
    let ids = app
        .db
        .read(|c| {
            let mut ids = Vec::new();
            qiyeshao::db::tickets::for_each_fact(
                c,
                &qiyeshao::db::tickets::Scope::All,
                &Default::default(),
                7,
                |r| ids.push(r.id),
            )?;
            Ok::<_, qiyeshao::error::AppError>(ids)
        })
        .expect("facts");
    let unique: std::collections::BTreeSet<&String> = ids.iter().collect();
    assert_eq!((ids.len(), unique.len()), (3000, 3000));
    let two_years = "from=2024-11-01&to=2026-12-01";
    let every_status = "submitted,accepted,assigned,in_progress,resolved,closed,rejected,withdrawn";
    let kept = app
        .get(
            &format!("/api/v1/stats/summary?{two_years}"),
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    let live = app
        .get(
            &format!("/api/v1/stats/summary?{two_years}&status={every_status}"),
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    assert_eq!(kept, live);
    assert_eq!(kept["filed"], 3000);
    for key in [
        "suggestions_adopted",
        "reopened",
        "no_response",
        "unsatisfied",
        "overdue_open",
    ] {
        assert!(kept[key].as_i64().unwrap() > 0, "{key}: {kept:#}");
    }
    let rate = kept["on_time_rate"].as_f64().unwrap();
    assert!((0.6..0.98).contains(&rate), "{rate}");
    for status in every_status.split(',') {
        let list = app
            .get(
                &format!("/api/v1/tickets?status={status}&limit=5"),
                Some(&w.admin.token),
            )
            .await
            .expect(200);
        let items = list["items"].as_array().unwrap();
        assert!(!items.is_empty(), "no {status} ticket");
        // The timeline has one entry per version and ends in the ticket's status.
        let id = items[0]["id"].as_str().unwrap();
        let detail = app.detail(&w.admin, id).await;
        let timeline = detail["events"].as_array().unwrap();
        assert_eq!(
            timeline.len() as i64,
            detail["version"].as_i64().unwrap(),
            "{detail:#}"
        );
        assert_eq!(timeline.last().unwrap()["to_status"], json!(status));
    }
}

/// The charts: SVG documents that parse, with the period's labels and figures, hostile
/// names escaped, the reader's scope applied.
async fn the_charts_are_svg_with_the_figures(app: TestApp) {
    let (w, _) = build_period(&app).await;
    let hostile = "<img src=x onerror=alert(1)>";
    let category = app.make_category(hostile, Some(&w.dept_a), 5);
    let mut b = body(&w, "problem", "十一");
    b["category_id"] = json!(category);
    file(&app, &w.ent_a, b).await;
    let svg = |name: &str, query: &str| {
        let (app, token) = (&app, w.admin.token.clone());
        let path = format!("/api/v1/stats/charts/{name}?{PERIOD}{query}");
        async move {
            let r = app.get(&path, Some(&token)).await;
            assert_eq!(r.status, 200, "{path}: {}", r.text);
            assert_eq!(
                r.headers["content-type"].to_str().unwrap(),
                "image/svg+xml; charset=utf-8"
            );
            assert!(!r.text.contains("<img"), "{path}: unescaped");
            roxmltree::Document::parse(&r.text).expect("well-formed SVG");
            r.text
        }
    };
    let texts = |svg: &str| -> Vec<String> {
        let doc = roxmltree::Document::parse(svg).unwrap();
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        doc.descendants()
            .filter(|n| n.has_tag_name("text"))
            .map(|n| {
                n.descendants()
                    .filter(|t| t.is_text())
                    .filter_map(|t| t.text())
                    .collect::<String>()
            })
            .collect()
    };
    let trend = texts(&svg("trend.svg", "&interval=week").await);
    for label in ["提交量", "办结量", "11-02起", "11-09起"] {
        assert!(trend.iter().any(|t| t == label), "{label}: {trend:?}");
    }
    // The weeks after today's (11-10) are not drawn as a fall to 0.
    for label in ["11-16起", "11-23起", "11-30起"] {
        assert!(!trend.iter().any(|t| t == label), "{label}: {trend:?}");
    }
    let departments = texts(&svg("departments.svg", "").await);
    for label in [
        "部门甲",
        "未分派",
        "办结率",
        "按期率",
        "满意率",
        "66.7%",
        "75%",
        "无数据",
    ] {
        assert!(
            departments.iter().any(|t| t == label),
            "{label}: {departments:?}"
        );
    }
    let categories = svg("categories.svg", "").await;
    assert!(
        categories.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{categories}"
    );
    let satisfaction = texts(&svg("satisfaction.svg", "").await);
    for label in ["满意", "基本满意", "不满意", "50%"] {
        assert!(
            satisfaction.iter().any(|t| t.contains(label)),
            "{label}: {satisfaction:?}"
        );
    }
    // October: nothing to show.
    let empty = app
        .get(
            "/api/v1/stats/charts/satisfaction.svg?from=2026-10-01&to=2026-11-01",
            Some(&w.admin.token),
        )
        .await;
    assert!(empty.text.contains("暂无数据"), "{}", empty.text);
    app.get(
        &format!("/api/v1/stats/charts/pie.svg?{PERIOD}"),
        Some(&w.admin.token),
    )
    .await
    .expect_error(404, "not_found");
    app.get(
        &format!("/api/v1/stats/charts/trend.svg?{PERIOD}"),
        Some(&w.ent_a.token),
    )
    .await
    .expect_error(403, "forbidden");
    app.get(
        "/api/v1/stats/charts/trend.svg?from=2026-13-01",
        Some(&w.admin.token),
    )
    .await
    .expect_error(400, "invalid_query");
}

/// An approved extension (延期) moves the deadline the figures judge by: resolved after the
/// first deadline but before the extended one is on time, and not overdue meanwhile.
async fn an_extension_moves_the_deadline_the_figures_use(app: TestApp) {
    let w = app.world().await;
    app.clock.set(at("2026-11-02T09:00:00+08:00"));
    let w = fresh(&app, &w);
    let assign = json!({"department_id": w.dept_a, "assignee_id": w.cadre_a.id,
        "due_at": "2026-11-02T12:00:00+08:00"});
    let mut ids = Vec::new();
    for title in ["延期", "未延期"] {
        let id = file(&app, &w.ent_a, body(&w, "problem", title)).await;
        ok(&app, &w.dispatcher, &id, "assign", assign.clone()).await;
        ok(&app, &w.cadre_a, &id, "sign", json!({})).await;
        ids.push(id);
    }
    let ext = app
        .post(
            &format!("/api/v1/tickets/{}/extensions", ids[0]),
            Some(&w.cadre_a.token),
            json!({"working_days": 3, "reason": "待设备到货"}),
        )
        .await
        .expect(201);
    app.post(
        &format!(
            "/api/v1/tickets/{}/extensions/{}/approve",
            ids[0],
            id_of(&ext)
        ),
        Some(&w.dispatcher.token),
        json!({}),
    )
    .await
    .expect(200);
    // The afternoon: the first deadline has passed for both; only the other is overdue.
    app.clock.set(at("2026-11-02T15:00:00+08:00"));
    let w = fresh(&app, &w);
    let path = format!("/api/v1/stats/summary?{PERIOD}");
    let s = app.get(&path, Some(&w.admin.token)).await.expect(200);
    assert_eq!(s["overdue_open"], 1, "{s:#}");
    for id in &ids {
        ok(
            &app,
            &w.cadre_a,
            id,
            "resolve",
            json!({"resolution": "已办"}),
        )
        .await;
    }
    let s = app.get(&path, Some(&w.admin.token)).await.expect(200);
    assert_eq!(
        (
            &s["resolved_with_deadline"],
            &s["on_time"],
            &s["on_time_rate"],
            &s["overdue_open"]
        ),
        (&json!(2), &json!(1), &json!(0.5), &json!(0)),
        "{s:#}"
    );
}

both_backends!(
    an_extension_moves_the_deadline_the_figures_use,
    the_charts_are_svg_with_the_figures,
    the_seed_load_spreads_tickets_over_every_status,
    the_kept_counts_equal_a_recount_after_random_actions,
    every_figure_of_a_hand_built_period,
    breakdowns_add_up_and_the_series_covers_every_period,
    the_ranking_puts_the_better_department_first,
    who_sees_which_figures,
);
