//! Hot topics (热点诉求, issue 18): the words and phrases of a period's requests counted per
//! request, against the period before, the rising ones flagged; categories and areas; one
//! filter read from the counts, anything else counted from the requests (and the two agree);
//! the background count's lag and settling; scoping; bad input; the chart and the workbook's
//! sheet.

use chrono::{Duration, NaiveDate};
use serde_json::{Value, json};

use crate::both_backends;
use crate::exports::{download, sheets, text};
use crate::helpers::{TestApp, User, World};
use qiyeshao::domain::time::{self, Clock};
use qiyeshao::service::hot_topics;

/// Every status: a filter that the counts cannot answer, so the requests are counted.
const EVERY_STATUS: &str =
    "submitted,accepted,assigned,in_progress,resolved,closed,rejected,withdrawn,merged";

fn day(d: &str) -> NaiveDate {
    NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("a date")
}

/// Sets the clock to 10:00 (China) on `d`.
fn at(app: &TestApp, d: &str) {
    app.clock
        .set(time::china_day_start(day(d)) + Duration::hours(10));
}

/// A background round, now.
fn count(app: &TestApp) -> hot_topics::Counted {
    hot_topics::count_due(&app.db, &app.ctx.segmenter, app.clock.now(), 7, usize::MAX)
        .expect("counted")
        .expect("nobody else counts")
}

async fn hot(app: &TestApp, user: &User, query: &str) -> Value {
    app.get(
        &format!("/api/v1/stats/hot-topics?{query}"),
        Some(&user.token),
    )
    .await
    .expect(200)
}

/// The entry of `list` whose text is `t`.
fn entry<'a>(hot: &'a Value, list: &str, t: &str) -> Option<&'a Value> {
    hot[list]
        .as_array()
        .expect(list)
        .iter()
        .find(|e| e["text"] == t)
}

fn count_of(hot: &Value, t: &str) -> i64 {
    entry(hot, "words", t).map_or(0, |e| e["count"].as_i64().expect("count"))
}

const WEEK: &str = "from=2026-11-09&to=2026-11-16";

/// The requests of two weeks: three the week of 2 November (one 路灯, two 停车), five the
/// week of 9 November (four 路灯 — two by each enterprise, one of B's led by department B —
/// and one 停车). Counted on 16 November.
async fn two_weeks(app: &TestApp) -> World {
    let w = app.world().await;
    app.move_enterprise(&w.enterprise_a, "丁字湾街道", "智能制造");
    app.move_enterprise(&w.enterprise_b, "白沙洲街道", "新材料");
    let light = |n: u32| {
        (
            format!("园区门前路灯不亮{n}号"),
            "我公司门前的路灯已经坏了，夜间出入不安全。",
        )
    };
    let parking = "员工停车位严重不足，希望协调。";
    at(app, "2026-11-03");
    let (t, d) = light(1);
    app.file_described(&w.ent_a, &w.category, &t, d).await;
    app.file_described(&w.ent_a, &w.category, "园区停车难的问题", parking)
        .await;
    app.file_described(&w.ent_a, &w.category, "园区停车难", parking)
        .await;
    at(app, "2026-11-10");
    for (n, user) in [(2, &w.ent_a), (3, &w.ent_a), (4, &w.ent_b)] {
        let (t, d) = light(n);
        app.file_described(user, &w.category, &t, d).await;
    }
    let (t, d) = light(5);
    let to_b = app.file_described(&w.ent_b, &w.category, &t, d).await;
    app.act(&w.dispatcher, &to_b, "accept", json!({}))
        .await
        .expect(200);
    app.act(
        &w.dispatcher,
        &to_b,
        "assign",
        json!({ "department_id": w.dept_b, "assignee_id": w.cadre_b.id }),
    )
    .await
    .expect(200);
    app.file_described(&w.ent_a, &w.category, "园区停车难", parking)
        .await;
    at(app, "2026-11-16");
    let counted = count(app);
    assert_eq!(counted.tickets, 8, "{counted:?}");
    assert_eq!(counted.days, 14, "3 to 16 November: {counted:?}");
    w
}

async fn words_against_the_week_before(app: TestApp) {
    let w = two_weeks(&app).await;
    let h = hot(&app, &w.admin, WEEK).await;
    assert_eq!(h["from"], "2026-11-09");
    assert_eq!(h["previous_from"], "2026-11-02");
    assert_eq!(
        (h["tickets"].as_i64(), h["previous_tickets"].as_i64()),
        (Some(5), Some(3))
    );
    let light = entry(&h, "words", "路灯").expect("路灯");
    assert_eq!(
        (
            &light["count"],
            &light["previous"],
            &light["change"],
            &light["rising"]
        ),
        (&json!(4), &json!(1), &json!(3), &json!(true)),
        "{light}"
    );
    assert_eq!(
        h["words"][0]["text"], "园区",
        "the most said first: {}",
        h["words"]
    );
    let parking = entry(&h, "words", "停车").expect("停车");
    assert_eq!(
        (&parking["count"], &parking["previous"], &parking["rising"]),
        (&json!(1), &json!(2), &json!(false))
    );
    // A phrase of the titles, marked as one.
    let phrase = entry(&h, "words", "路灯 不亮").expect("the phrase 路灯 不亮");
    assert_eq!(
        (&phrase["count"], &phrase["phrase"]),
        (&json!(4), &json!(true))
    );
    assert!(
        light.get("phrase").is_none(),
        "a word is not a phrase: {light}"
    );
    // Stop words and the words of every request are left out; numbers too.
    for left_out in ["问题", "我公司", "已经", "希望", "协调", "的", "2号"] {
        assert!(
            entry(&h, "words", left_out).is_none(),
            "{left_out} in {}",
            h["words"]
        );
    }
    // Rising: the largest rise first; 停车 fell.
    assert_eq!(h["rising"][0]["change"], 3, "{}", h["rising"]);
    assert!(entry(&h, "rising", "路灯").is_some());
    assert!(entry(&h, "rising", "停车").is_none());
    // The category and the areas, against the week before.
    let cats = h["categories"].as_array().expect("categories");
    assert_eq!(cats.len(), 1, "{cats:?}");
    assert_eq!(
        (&cats[0]["key"], &cats[0]["count"], &cats[0]["previous"]),
        (&json!(w.category), &json!(5), &json!(3))
    );
    let dz = entry(&h, "areas", "丁字湾街道").expect("丁字湾街道");
    assert_eq!(
        (&dz["count"], &dz["previous"], &dz["rising"]),
        (&json!(3), &json!(3), &json!(false))
    );
    let bs = entry(&h, "areas", "白沙洲街道").expect("白沙洲街道");
    assert_eq!(
        (&bs["count"], &bs["previous"], &bs["change"]),
        (&json!(2), &json!(0), &json!(2))
    );
    assert_eq!(h["counted_at"], time::format(app.clock.now()));
    // `limit`.
    let one = hot(&app, &w.admin, &format!("{WEEK}&limit=1")).await;
    assert_eq!(one["words"].as_array().map(Vec::len), Some(1));
}

async fn one_filter_from_the_counts_others_from_the_requests(app: TestApp) {
    let w = two_weeks(&app).await;
    // From the counts: a lead department, a category, a kind.
    let b = hot(
        &app,
        &w.admin,
        &format!("{WEEK}&department_id={}", w.dept_b),
    )
    .await;
    assert_eq!(count_of(&b, "路灯"), 1, "{}", b["words"]);
    assert_eq!(count_of(&b, "停车"), 0);
    let cat = hot(
        &app,
        &w.admin,
        &format!("{WEEK}&category_id={}", w.category),
    )
    .await;
    assert_eq!(count_of(&cat, "路灯"), 4);
    let suggestions = hot(&app, &w.admin, &format!("{WEEK}&kind=suggestion")).await;
    assert_eq!(suggestions["words"], json!([]));
    // From the requests: an enterprise.
    let ent_b = hot(
        &app,
        &w.admin,
        &format!("{WEEK}&enterprise_id={}", w.enterprise_b),
    )
    .await;
    assert_eq!(count_of(&ent_b, "路灯"), 2);
    assert_eq!(ent_b["counted_at"], Value::Null);
    // The two ways agree on the same requests.
    let counted = hot(&app, &w.admin, WEEK).await;
    let live = hot(
        &app,
        &w.admin,
        &format!("{WEEK}&status={EVERY_STATUS}&limit=100"),
    )
    .await;
    let all = hot(&app, &w.admin, &format!("{WEEK}&limit=100")).await;
    assert_eq!(live["words"], all["words"]);
    assert_eq!(live["rising"], counted["rising"]);
    assert_eq!(live["counted_at"], Value::Null);
}

async fn counted_in_the_background_until_settled(app: TestApp) {
    let w = two_weeks(&app).await;
    // Filed after the count: the counts lag until the next round; the requests do not.
    at(&app, "2026-11-15");
    app.file_described(&w.ent_b, &w.category, "园区门前路灯不亮6号", "路灯坏了")
        .await;
    at(&app, "2026-11-16");
    assert_eq!(count_of(&hot(&app, &w.admin, WEEK).await, "路灯"), 4);
    let live = hot(&app, &w.admin, &format!("{WEEK}&status={EVERY_STATUS}")).await;
    assert_eq!(count_of(&live, "路灯"), 5);
    // The days not yet settled (younger than 7 days when counted) are counted again at
    // every round: 10 to 16 November.
    let again = count(&app);
    assert_eq!(again.days, 7, "{again:?}");
    assert_eq!(count_of(&hot(&app, &w.admin, WEEK).await, "路灯"), 5);
    // A round at the end of the month settles the days up to the 23rd; after it, they are
    // kept, and only the days from the 24th are still to be counted again.
    at(&app, "2026-11-30");
    count(&app);
    let due = app
        .db
        .read(|c| hot_topics::due_days(c, app.clock.now(), 7))
        .expect("due days");
    assert_eq!(due.first().copied(), Some(day("2026-11-30")));
    assert_eq!(due.last().copied(), Some(day("2026-11-24")), "{due:?}");
    assert_eq!(due.len(), 7);
}

async fn scoped_and_refused(app: TestApp) {
    let w = two_weeks(&app).await;
    // A department head: their department's requests only (from the counts).
    app.set_head(&w.dept_b, &w.cadre_b);
    let head = app.reissue(&w.cadre_b);
    let h = hot(&app, &head, WEEK).await;
    assert_eq!(count_of(&h, "路灯"), 1, "{}", h["words"]);
    assert_eq!(h["tickets"], 1);
    let other = hot(&app, &head, &format!("{WEEK}&department_id={}", w.dept_a)).await;
    assert_eq!(other["words"], json!([]));
    // A cadre heading nothing: the requests assigned to them (none).
    let cadre = hot(&app, &w.cadre_a, WEEK).await;
    assert_eq!(
        (&cadre["words"], &cadre["tickets"]),
        (&json!([]), &json!(0))
    );
    // Enterprises: nothing.
    let r = app
        .get(
            &format!("/api/v1/stats/hot-topics?{WEEK}"),
            Some(&w.ent_a.token),
        )
        .await;
    assert_eq!(r.status, 403);
    // Bad input: a clear error naming the parameter.
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("from=2026-11-16&to=2026-11-09", "to"),
        ("from=11/09", "from"),
        ("kind=nope", "kind"),
        ("from=1000-01-01&to=1001-01-01", "from"),
    ] {
        let r = app
            .get(
                &format!("/api/v1/stats/hot-topics?{query}"),
                Some(&w.admin.token),
            )
            .await;
        assert_eq!(r.status, 400, "{query}: {:?}", r.body);
        assert!(
            r.body["fields"].get(field).is_some(),
            "{query}: {:?}",
            r.body
        );
    }
}

async fn the_chart_and_the_workbook_sheet(app: TestApp) {
    let w = two_weeks(&app).await;
    let svg = download(
        &app,
        &format!("/api/v1/stats/charts/hot-topics.svg?{WEEK}"),
        &w.admin,
    )
    .await;
    assert_eq!(svg.status, 200);
    assert!(
        svg.content_type.starts_with("image/svg+xml"),
        "{}",
        svg.content_type
    );
    let svg = String::from_utf8(svg.bytes).expect("utf-8");
    assert!(
        svg.contains("热点诉求词（2026-11-09 至 2026-11-15）"),
        "{svg}"
    );
    assert!(svg.contains("路灯 ↑"), "the rising word marked: {svg}");
    assert!(
        svg.contains("路灯不亮"),
        "a phrase without its space: {svg}"
    );
    // The November workbook: the month against the 30 days before it (nothing then).
    let r = download(
        &app,
        "/api/v1/stats/assessment.xlsx?month=2026-11",
        &w.admin,
    )
    .await;
    assert_eq!(r.status, 200);
    let book = sheets(&r.bytes);
    let (_, rows) = book
        .iter()
        .find(|(n, _)| n == "热点诉求")
        .expect("the sheet 热点诉求");
    assert_eq!(
        rows[0].iter().map(text).collect::<Vec<_>>(),
        ["类型", "内容", "本月", "上月", "变化", "上升"]
    );
    let light = rows.iter().find(|r| text(&r[1]) == "路灯").expect("路灯");
    assert_eq!(
        light.iter().map(text).collect::<Vec<_>>(),
        ["词", "路灯", "5", "0", "5", "↑"]
    );
    assert!(
        rows.iter()
            .any(|r| text(&r[0]) == "短语" && text(&r[1]) == "路灯不亮")
    );
    assert!(
        rows.iter()
            .any(|r| text(&r[0]) == "区域" && text(&r[1]) == "丁字湾街道" && text(&r[2]) == "6")
    );
}

both_backends!(
    words_against_the_week_before,
    one_filter_from_the_counts_others_from_the_requests,
    counted_in_the_background_until_settled,
    scoped_and_refused,
    the_chart_and_the_workbook_sheet,
);
