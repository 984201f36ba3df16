//! The daily check (每日检查, issue 19): on a working day from `daily_check.at`, one digest per
//! person with something to act on — a cadre's overdue, due today, due tomorrow and unsigned
//! requests, a head's departments', a dispatcher's queue, extension requests and unrated
//! requests — by e-mail and SMS; nothing for someone with nothing to do; once per person per
//! day, also with two instances on one database; nothing on a day off or before the hour;
//! the same digest in-app at `GET /me/daily-check`.

use qiyeshao::db::Db;
use qiyeshao::db::notifications::{self, NotificationFilter, NotificationRow};
use qiyeshao::domain::notification::{MessageTopic, NotifyChannel};
use qiyeshao::domain::time;
use qiyeshao::service::calendar::CalendarStore;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, World, id_of};

fn at(text: &str) -> chrono::DateTime<chrono::Utc> {
    time::parse(text).expect("instant")
}

/// The daily check's messages, oldest first.
fn digests(db: &Db) -> Vec<NotificationRow> {
    let mut rows = db
        .read(|c| {
            notifications::list(
                c,
                &NotificationFilter {
                    event: Some(MessageTopic::DailyCheck),
                    ..Default::default()
                },
                1000,
            )
            .map_err(qiyeshao::error::AppError::from)
        })
        .expect("notifications");
    rows.reverse();
    rows
}

fn to(rows: &[NotificationRow], channel: NotifyChannel, recipient: &str) -> Vec<NotificationRow> {
    rows.iter()
        .filter(|r| r.channel == channel && r.recipient == recipient)
        .cloned()
        .collect()
}

/// Three requests assigned to cadre A on Monday 23 November (one signed), one waiting to be
/// accepted; contacts for cadre A, cadre B (nothing to do) and the dispatcher. Returns the
/// world and the assigned requests' deadline.
async fn monday(app: &TestApp) -> (World, String, Vec<Value>) {
    let w = app.world().await;
    app.set_contact(
        &w.cadre_a,
        Some("13900000001"),
        Some("cadre.a@example.gov.cn"),
    );
    app.set_contact(
        &w.cadre_b,
        Some("13900000002"),
        Some("cadre.b@example.gov.cn"),
    );
    app.set_contact(
        &w.dispatcher,
        Some("13900000003"),
        Some("dispatch@example.gov.cn"),
    );
    app.clock.set(at("2026-11-23T10:00:00+08:00"));
    let (ent, disp, cadre) = (
        app.reissue(&w.ent_a),
        app.reissue(&w.dispatcher),
        app.reissue(&w.cadre_a),
    );
    let mut assigned = Vec::new();
    for title in ["路灯损坏影响夜间通行", "园区道路积水", "厂区用电报装进度"]
    {
        let id = id_of(&app.file(&ent, &w.category, title).await);
        let t = app
            .act(
                &disp,
                &id,
                "assign",
                json!({ "department_id": w.dept_a, "assignee_id": w.cadre_a.id }),
            )
            .await
            .expect(200);
        assigned.push(t);
    }
    app.act(&cadre, &id_of(&assigned[0]), "sign", json!({}))
        .await
        .expect(200);
    app.file(&ent, &w.category, "新的诉求等待受理").await;
    let due = assigned[0]["due_at"]
        .as_str()
        .expect("a deadline")
        .to_string();
    (w, due, assigned)
}

async fn once_a_working_day_to_whoever_has_something_to_do(app: TestApp) {
    let (w, due, assigned) = monday(&app).await;
    // The deadline's day (China), from 08:30.
    let due_day = time::china_date(at(&due));
    let day_start = time::china_day_start(due_day);
    app.clock
        .set(day_start + chrono::Duration::minutes(8 * 60 + 29));
    let early = app.scheduler.daily_check().await.expect("run");
    assert!(early.idle, "before 08:30: {early:?}");
    assert!(digests(&app.db).is_empty());
    app.clock
        .set(day_start + chrono::Duration::minutes(8 * 60 + 31));
    let report = app.scheduler.daily_check().await.expect("run");
    assert_eq!(
        (report.sent, report.already),
        (2, 0),
        "cadre A and the dispatcher: {report:?}"
    );
    let rows = digests(&app.db);
    // Cadre A: an e-mail naming the three, and one line by SMS.
    let mail = to(&rows, NotifyChannel::Email, "cadre.a@example.gov.cn");
    assert_eq!(mail.len(), 1, "{rows:?}");
    let subject = mail[0].subject.clone().unwrap_or_default();
    assert!(
        subject.contains("每日检查") && subject.contains("今日到期3件"),
        "{subject}"
    );
    for t in &assigned {
        let number = t["number"].as_str().expect("number");
        assert!(
            mail[0].body.contains(number),
            "{number} in {}",
            mail[0].body
        );
    }
    assert!(
        mail[0].body.contains("待签收（2 件）"),
        "two not signed: {}",
        mail[0].body
    );
    assert!(
        !mail[0].body.contains("已超期"),
        "nothing overdue yet: {}",
        mail[0].body
    );
    assert!(
        mail[0]
            .html_body
            .as_deref()
            .is_some_and(|h| h.contains("登录处理"))
    );
    let sms = to(&rows, NotifyChannel::Sms, "13900000001");
    assert_eq!(sms.len(), 1);
    assert!(
        sms[0].body.contains("今日到期3件，待签收2件"),
        "{}",
        sms[0].body
    );
    assert_eq!(sms[0].user_id.as_deref(), Some(w.cadre_a.id.as_str()));
    // The dispatcher: the one waiting to be accepted.
    let dispatch = to(&rows, NotifyChannel::Email, "dispatch@example.gov.cn");
    assert_eq!(dispatch.len(), 1);
    assert!(
        dispatch[0].body.contains("待受理（1 件）"),
        "{}",
        dispatch[0].body
    );
    // Cadre B has nothing to do: nothing.
    assert!(to(&rows, NotifyChannel::Email, "cadre.b@example.gov.cn").is_empty());
    assert!(to(&rows, NotifyChannel::Sms, "13900000002").is_empty());
    // Once a day: later that day, nothing more.
    app.clock.advance(chrono::Duration::hours(3));
    assert!(app.scheduler.daily_check().await.expect("run").idle);
    assert_eq!(digests(&app.db).len(), rows.len());
    // The workbench's view: the same sections, counted now, and that it was sent.
    let mine = app
        .get(
            "/api/v1/me/daily-check",
            Some(&app.reissue(&w.cadre_a).token),
        )
        .await
        .expect(200);
    assert_eq!(mine["sent"], true);
    let kinds: Vec<&str> = mine["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .map(|s| s["kind"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(kinds, ["due_today", "to_sign"]);
    assert_eq!(mine["sections"][0]["count"], 3);
    let nothing = app
        .get(
            "/api/v1/me/daily-check",
            Some(&app.reissue(&w.cadre_b).token),
        )
        .await
        .expect(200);
    assert_eq!(
        (&nothing["sections"], &nothing["sent"], &nothing["summary"]),
        (&json!([]), &json!(false), &json!(""))
    );
    // The next day they are overdue; a head of department A hears of its overdue too.
    app.set_head(&w.dept_a, &w.cadre_a2);
    app.set_contact(&w.cadre_a2, Some("13900000004"), None);
    let next = (1..8)
        .map(|d| due_day + chrono::Days::new(d))
        .find(|d| is_working(&app, *d))
        .expect("a working day");
    app.clock
        .set(time::china_day_start(next) + chrono::Duration::hours(9));
    let report = app.scheduler.daily_check().await.expect("run");
    assert_eq!(
        report.sent, 3,
        "cadre A, the head, the dispatcher: {report:?}"
    );
    let rows = digests(&app.db);
    let sms = to(&rows, NotifyChannel::Sms, "13900000001");
    assert_eq!(sms.len(), 2);
    assert!(sms[1].body.contains("已超期3件"), "{}", sms[1].body);
    let head = to(&rows, NotifyChannel::Sms, "13900000004");
    assert_eq!(head.len(), 1, "by SMS only: the head has no e-mail");
    assert!(
        head[0].body.contains("本部门已超期3件，本部门待签收2件"),
        "{}",
        head[0].body
    );
}

fn is_working(app: &TestApp, day: chrono::NaiveDate) -> bool {
    CalendarStore::load(&app.settings.deadlines.calendar_dir)
        .expect("calendar")
        .current()
        .days
        .is_working_day(day)
}

async fn nothing_on_a_day_off_or_when_turned_off(app: TestApp) {
    let (_w, _, _) = monday(&app).await;
    // Saturday 28 November 2026 is not a working day.
    app.clock.set(at("2026-11-28T09:00:00+08:00"));
    assert!(app.scheduler.daily_check().await.expect("run").idle);
    assert!(digests(&app.db).is_empty());
    // Without SMS: e-mail only.
    let mut settings = app.settings.clone();
    settings.daily_check.sms = false;
    let other = app.second_scheduler(settings.clone());
    app.clock.set(at("2026-11-24T09:00:00+08:00"));
    assert_eq!(other.daily_check().await.expect("run").sent, 2);
    let rows = digests(&app.db);
    assert!(
        rows.iter().all(|r| r.channel == NotifyChannel::Email),
        "{rows:?}"
    );
    // Turned off: nothing.
    settings.daily_check.enabled = false;
    let off = app.second_scheduler(settings);
    app.clock.set(at("2026-11-25T09:00:00+08:00"));
    assert!(off.daily_check().await.expect("run").idle);
    assert_eq!(digests(&app.db).len(), rows.len());
}

async fn once_per_person_with_two_instances(app: TestApp) {
    let (_w, _, _) = monday(&app).await;
    let other = app.second_scheduler(app.settings.clone());
    app.clock.set(at("2026-11-24T09:00:00+08:00"));
    let (a, b) = tokio::join!(app.scheduler.daily_check(), other.daily_check());
    let (a, b) = (a.expect("run"), b.expect("run"));
    assert_eq!(a.sent + b.sent, 2, "{a:?} {b:?}");
    let rows = digests(&app.db);
    for address in ["cadre.a@example.gov.cn", "dispatch@example.gov.cn"] {
        assert_eq!(
            to(&rows, NotifyChannel::Email, address).len(),
            1,
            "{address}"
        );
    }
    assert_eq!(to(&rows, NotifyChannel::Sms, "13900000001").len(), 1);
    // Again, both: nothing more.
    let (a, b) = tokio::join!(app.scheduler.daily_check(), other.daily_check());
    assert_eq!(a.expect("run").sent + b.expect("run").sent, 0);
    assert_eq!(digests(&app.db).len(), rows.len());
}

both_backends!(
    once_a_working_day_to_whoever_has_something_to_do,
    nothing_on_a_day_off_or_when_turned_off,
    once_per_person_with_two_instances,
);
