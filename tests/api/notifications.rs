//! Notifications: who hears of each event, real SMTP delivery, outages and retries, rollbacks,
//! several workers on one PostgreSQL, a worker killed mid-send, rate limits, preferences,
//! the admin API and the metrics.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Duration;

use qiyeshao::config::Settings;
use qiyeshao::db::notifications::{NotificationFilter, NotificationRow};
use qiyeshao::db::{self, Db};
use qiyeshao::domain::notification::{MessageTopic, NotifyChannel, NotifyEvent, NotifyStatus};
use qiyeshao::domain::ticket::apply::Input as ActionInput;
use qiyeshao::domain::time::Clock;
use qiyeshao::error::AppError;
use qiyeshao::notify::metrics::Metrics;
use qiyeshao::notify::worker::{Channels, Worker};
use qiyeshao::service::tickets::actions;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, free_port, id_of, spawn_app_with};
use crate::smtp::{BlackHole, SmtpServer};

const WAIT: Duration = Duration::from_secs(20);

/// Settings that send e-mail through the SMTP server on `port`.
fn smtp_to(settings: &mut Settings, port: u16) {
    let e = &mut settings.notifications.email;
    e.transport = "smtp".into();
    e.host = "127.0.0.1".into();
    e.port = port;
    e.tls = "none".into();
    e.timeout_secs = 5;
    e.from = "企业哨 <noreply@qys.test>".into();
}

/// Every outbox row matching `filter`, oldest first.
fn rows(db: &Db, filter: NotificationFilter) -> Vec<NotificationRow> {
    let mut rows = db
        .read(|c| -> Result<_, AppError> { Ok(db::notifications::list(c, &filter, 10_000)?) })
        .expect("list notifications");
    rows.reverse();
    rows
}

pub(crate) fn of_ticket(db: &Db, ticket: &str) -> Vec<NotificationRow> {
    rows(
        db,
        NotificationFilter {
            ticket_id: Some(ticket.into()),
            ..Default::default()
        },
    )
}

fn all_rows(db: &Db) -> Vec<NotificationRow> {
    rows(db, NotificationFilter::default())
}

/// Polls `check` until it holds; panics with `what` after `WAIT`.
async fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !check() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

// --- who hears of what --------------------------------------------------------------------

async fn each_event_notifies_its_audience(app: TestApp) {
    let w = app.world().await;
    let head = app.make_user(
        "head.a",
        qiyeshao::domain::ticket::Role::Cadre,
        Some(&w.dept_a),
        None,
    );
    app.set_head(&w.dept_a, &head);
    app.set_contact(&w.liaison, Some("13800000001"), Some("liaison@qys.test"));
    app.set_contact(&w.cadre_a, Some("13800000002"), Some("cadre.a@qys.test"));
    app.set_contact(&w.cadre_a2, Some("13800000003"), None);
    app.set_contact(&head, Some("13800000004"), Some("head.a@qys.test"));
    app.set_contact(&w.dispatcher, None, Some("dispatcher@qys.test"));
    app.set_contact(&w.ent_a, None, Some("ent.a@qys.test"));

    let id = id_of(&app.file(&w.ent_a, &w.category, "厂区道路破损").await);
    let mut expected: Vec<(&str, &str, &str)> = vec![
        ("ticket_filed", "email", "liaison@qys.test"),
        ("ticket_filed", "sms", "13800000001"),
    ];
    // Without a named cadre: the department's head and every cadre of it.
    app.act(
        &w.dispatcher,
        &id,
        "assign",
        json!({"department_id": w.dept_a}),
    )
    .await
    .expect(200);
    expected.extend([
        ("ticket_assigned", "email", "cadre.a@qys.test"),
        ("ticket_assigned", "sms", "13800000002"),
        ("ticket_assigned", "sms", "13800000003"),
        ("ticket_assigned", "email", "head.a@qys.test"),
        ("ticket_assigned", "sms", "13800000004"),
        // And the enterprise: the ticket's contact number and the filer's e-mail.
        ("ticket_assigned_enterprise", "sms", "13900000000"),
        ("ticket_assigned_enterprise", "email", "ent.a@qys.test"),
    ]);
    app.act(&w.cadre_a, &id, "return", json!({"reason": "不属于本部门"}))
        .await
        .expect(200);
    expected.push(("ticket_returned", "email", "dispatcher@qys.test"));
    // Re-assigned with a named cadre: the cadre alone.
    app.act(
        &w.dispatcher,
        &id,
        "assign",
        json!({"department_id": w.dept_a, "assignee_id": w.cadre_a.id}),
    )
    .await
    .expect(200);
    expected.extend([
        ("ticket_assigned", "email", "cadre.a@qys.test"),
        ("ticket_assigned", "sms", "13800000002"),
        ("ticket_assigned_enterprise", "sms", "13900000000"),
        ("ticket_assigned_enterprise", "email", "ent.a@qys.test"),
    ]);
    app.act(&w.dispatcher, &id, "urge", json!({"note": "请加快办理"}))
        .await
        .expect(200);
    expected.extend([
        ("ticket_urged", "email", "cadre.a@qys.test"),
        ("ticket_urged", "sms", "13800000002"),
        ("ticket_urged", "email", "head.a@qys.test"),
        ("ticket_urged", "sms", "13800000004"),
    ]);
    // Signing and internal progress notes notify nobody; a public one (the default) tells
    // the enterprise.
    app.act(&w.cadre_a, &id, "sign", json!({}))
        .await
        .expect(200);
    app.act(
        &w.cadre_a,
        &id,
        "progress",
        json!({"note": "内部协调", "public": false}),
    )
    .await
    .expect(200);
    app.act(&w.cadre_a, &id, "progress", json!({"note": "已联系"}))
        .await
        .expect(200);
    expected.extend([
        ("ticket_progress", "sms", "13900000000"),
        ("ticket_progress", "email", "ent.a@qys.test"),
    ]);
    app.act(
        &w.cadre_a,
        &id,
        "resolve",
        json!({"resolution": "道路已修复"}),
    )
    .await
    .expect(200);
    // The enterprise's contact: the ticket's contact number, and the filer's e-mail.
    expected.extend([
        ("ticket_resolved", "sms", "13900000000"),
        ("ticket_resolved", "email", "ent.a@qys.test"),
    ]);
    app.act(
        &w.ent_a,
        &id,
        "revisit",
        json!({"rating": "unsatisfied", "comment": "仍有坑洼"}),
    )
    .await
    .expect(200);
    expected.extend([
        ("ticket_reopened", "email", "cadre.a@qys.test"),
        ("ticket_reopened", "sms", "13800000002"),
        ("ticket_reopened_enterprise", "sms", "13900000000"),
        ("ticket_reopened_enterprise", "email", "ent.a@qys.test"),
    ]);

    let got: Vec<(String, String, String)> = of_ticket(&app.db, &id)
        .into_iter()
        .map(|r| (r.event.to_string(), r.channel.to_string(), r.recipient))
        .collect();
    let expected: Vec<(String, String, String)> = expected
        .into_iter()
        .map(|(e, c, r)| (e.into(), c.into(), r.into()))
        .collect();
    // Within an event the order of recipients is not a promise.
    let by_event = |v: &[(String, String, String)]| {
        let mut m: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
        let mut order = Vec::new();
        for (e, c, r) in v {
            if order.last() != Some(e) {
                order.push(e.clone());
            }
            m.entry(e.clone())
                .or_default()
                .insert((c.clone(), r.clone()));
        }
        (order, m)
    };
    assert_eq!(by_event(&got), by_event(&expected));
    assert_eq!(got.len(), expected.len(), "no message twice: {got:?}");

    // A rejected request tells the enterprise why.
    let other = id_of(&app.file(&w.ent_a, &w.category, "重复提交").await);
    app.act(
        &w.dispatcher,
        &other,
        "reject",
        json!({"reason": "与已有诉求重复"}),
    )
    .await
    .expect(200);
    let rejected: BTreeSet<(String, String)> = of_ticket(&app.db, &other)
        .into_iter()
        .filter(|r| r.event.as_str() == "ticket_rejected")
        .map(|r| (r.channel.to_string(), r.recipient))
        .collect();
    assert_eq!(
        rejected,
        BTreeSet::from([
            ("email".to_string(), "ent.a@qys.test".to_string()),
            ("sms".to_string(), "13900000000".to_string()),
        ])
    );
    let sms = of_ticket(&app.db, &other)
        .into_iter()
        .find(|r| r.event.as_str() == "ticket_rejected" && r.channel.as_str() == "sms")
        .expect("sms");
    assert!(sms.body.contains("与已有诉求重复"), "{}", sms.body);

    // With the log transports (the defaults) everything is reported sent.
    wait_until("every message is sent", || {
        all_rows(&app.db)
            .iter()
            .all(|r| r.status.as_str() == "sent")
    })
    .await;
}

async fn users_can_turn_each_channel_off(app: TestApp) {
    let w = app.world().await;
    app.set_contact(&w.cadre_a, Some("13800000002"), Some("cadre.a@qys.test"));
    let me = app
        .patch(
            "/api/v1/me",
            Some(&w.cadre_a.token),
            json!({"notify_sms": false}),
        )
        .await
        .expect(200);
    assert_eq!(me["notify_sms"], false);
    assert_eq!(me["notify_email"], true);
    let id = app.assigned_ticket(&w, "仓库屋顶漏水").await;
    let got: Vec<String> = of_ticket(&app.db, &id)
        .into_iter()
        .filter(|r| r.event.as_str() == "ticket_assigned")
        .map(|r| r.channel.to_string())
        .collect();
    assert_eq!(got, ["email"]);

    app.patch(
        "/api/v1/me",
        Some(&w.cadre_a.token),
        json!({"notify_sms": true, "notify_email": false}),
    )
    .await
    .expect(200);
    app.act(&w.dispatcher, &id, "urge", json!({"note": "请尽快"}))
        .await
        .expect(200);
    let got: Vec<String> = of_ticket(&app.db, &id)
        .into_iter()
        .filter(|r| r.event.as_str() == "ticket_urged")
        .map(|r| r.channel.to_string())
        .collect();
    assert_eq!(got, ["sms"]);
    // A body that is not a preference is refused and changes nothing.
    app.patch(
        "/api/v1/me",
        Some(&w.cadre_a.token),
        json!({"role": "admin"}),
    )
    .await
    .expect_error(422, "validation_failed");
    let me = app
        .get("/api/v1/me", Some(&w.cadre_a.token))
        .await
        .expect(200);
    assert_eq!(
        (me["notify_email"].as_bool(), me["notify_sms"].as_bool()),
        (Some(false), Some(true))
    );
    assert_eq!(me["role"], "cadre");
}

// --- real SMTP ----------------------------------------------------------------------------

async fn assigned_cadre_receives_the_email_over_smtp(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let port = smtp.port;
    let app = spawn_app_with(backend, |s| smtp_to(s, port)).await;
    let w = app.world().await;
    app.set_contact(&w.cadre_a, None, Some("cadre.a@qys.test"));
    let id = app.assigned_ticket(&w, "新厂房用电报装进度慢").await;
    let mails = smtp.wait_for(1, WAIT).await;
    assert_eq!(mails.len(), 1, "only the assigned cadre has an address");
    let mail = &mails[0];
    assert_eq!(mail.to, ["cadre.a@qys.test"]);
    assert_eq!(mail.from, "noreply@qys.test");

    let ticket = app.detail(&w.dispatcher, &id).await;
    let number = ticket["number"].as_str().expect("number");
    let subject = mail.header("Subject").expect("subject");
    assert!(
        subject.starts_with(&format!(
            "【企业哨】新交办诉求 {number}：新厂房用电报装进度慢（"
        )),
        "{subject}"
    );
    assert!(subject.ends_with("前办结）"), "{subject}");
    // On the wire the Chinese header is encoded (7-bit), as mail servers require.
    let raw = String::from_utf8_lossy(&mail.data);
    let headers = raw.split("\r\n\r\n").next().expect("headers");
    assert!(headers.is_ascii(), "{headers}");
    let to = mail.header("To").expect("to");
    assert!(
        to.contains("cadre.a 的名字") && to.contains("<cadre.a@qys.test>"),
        "{to}"
    );

    let link = format!("{}/tickets/{id}", app.address);
    let text = mail.part("text/plain").expect("plain text part");
    assert!(text.contains(&link), "{text}");
    assert!(text.contains("甲企业有限公司"), "{text}");
    let html = mail.part("text/html").expect("html part");
    assert!(html.contains(&format!("href=\"{link}\"")), "{html}");

    // The outbox row says what happened, and its Message-ID is the one that arrived.
    wait_until("the row is marked sent", || {
        of_ticket(&app.db, &id)
            .iter()
            .any(|r| r.channel.as_str() == "email" && r.status.as_str() == "sent")
    })
    .await;
    let row = of_ticket(&app.db, &id)
        .into_iter()
        .find(|r| r.channel.as_str() == "email")
        .expect("row");
    assert_eq!(row.attempts, 1);
    assert_eq!(row.recipient, "cadre.a@qys.test");
    assert_eq!(row.provider_message_id, mail.header("Message-ID"));
    assert_eq!(
        row.provider_message_id,
        Some(format!("<{}@qys.test>", row.id))
    );
}

/// The mail server is down while tickets are assigned, for several retries; when it comes
/// back every message arrives, each exactly once.
async fn smtp_outage_then_every_message_exactly_once(backend: Backend) {
    let port = free_port();
    let app = spawn_app_with(backend, |s| {
        smtp_to(s, port);
        s.notifications.backoff_base_secs = 30;
        s.notifications.backoff_max_secs = 600;
        s.notifications.sms.provider = "off".into();
    })
    .await;
    let w = app.world().await;
    app.set_contact(&w.cadre_a, None, Some("cadre.a@qys.test"));
    let mut tickets = Vec::new();
    for i in 0..5 {
        tickets.push(app.assigned_ticket(&w, &format!("停电影响生产 {i}")).await);
    }
    // Three rounds of failures, the clock moving past each backoff.
    for round in 1..=3 {
        wait_until(&format!("attempt {round} failed"), || {
            let rows = all_rows(&app.db);
            rows.len() == 5
                && rows.iter().all(|r| {
                    r.status.as_str() == "pending" && r.attempts == round && r.last_error.is_some()
                })
        })
        .await;
        app.clock.advance(chrono::Duration::minutes(15));
    }
    let row = all_rows(&app.db).remove(0);
    assert!(
        row.last_error.as_deref().unwrap_or("").contains("SMTP"),
        "{:?}",
        row.last_error
    );
    // The server comes back on the same port.
    let smtp = SmtpServer::start_on(port).await;
    app.clock.advance(chrono::Duration::minutes(15));
    let mails = smtp.wait_for(5, WAIT).await;
    wait_until("all rows sent", || {
        all_rows(&app.db)
            .iter()
            .all(|r| r.status.as_str() == "sent")
    })
    .await;
    // Nothing more arrives later.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mails_after = smtp.mails();
    assert_eq!(
        mails_after.len(),
        5,
        "{} messages arrived",
        mails_after.len()
    );
    let ids: HashSet<String> = mails
        .iter()
        .map(|m| m.header("Message-ID").expect("id"))
        .collect();
    assert_eq!(ids.len(), 5);
    for r in all_rows(&app.db) {
        assert_eq!(r.attempts, 4);
        assert!(ids.contains(r.provider_message_id.as_deref().expect("id")));
    }
}

/// A refused mailbox (550) is given up at once and stays listed. An administrator can queue
/// it again; while the server is down it is retried, and given up after the configured
/// attempts; queued again once the server is back, it is delivered.
async fn permanent_failures_and_exhausted_attempts(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let port = smtp.port;
    let app = spawn_app_with(backend, |s| {
        smtp_to(s, port);
        s.notifications.max_attempts = 2;
        s.notifications.sms.provider = "off".into();
    })
    .await;
    let w = app.world().await;
    smtp.refuse("cadre.a@qys.test");
    app.set_contact(&w.cadre_a, None, Some("cadre.a@qys.test"));
    let id = app.assigned_ticket(&w, "排污许可办理").await;
    let row = || of_ticket(&app.db, &id).remove(0);
    wait_until("the refused message is failed", || {
        row().status.as_str() == "failed"
    })
    .await;
    let failed = row();
    assert_eq!(failed.attempts, 1, "a permanent error is not retried");
    let error = failed.last_error.clone().unwrap_or_default();
    assert!(error.contains("550"), "{error}");
    assert!(smtp.mails().is_empty());
    // Not retried by the worker however long we wait.
    app.clock.advance(chrono::Duration::days(1));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!((row().status.as_str(), row().attempts), ("failed", 1));

    // The server goes away; an administrator queues the message again.
    drop(smtp);
    let retry_path = format!("/api/v1/notifications/{}/retry", failed.id);
    let admin = app.reissue(&w.admin);
    let retried = app
        .post(&retry_path, Some(&admin.token), json!({}))
        .await
        .expect(200);
    assert_eq!(
        (retried["status"].as_str(), retried["attempts"].as_i64()),
        (Some("pending"), Some(0))
    );
    wait_until("the first attempt after the retry failed", || {
        let r = row();
        r.status.as_str() == "pending" && r.attempts == 1
    })
    .await;
    app.clock.advance(chrono::Duration::hours(2));
    wait_until("given up after max_attempts", || {
        let r = row();
        r.status.as_str() == "failed" && r.attempts == 2
    })
    .await;
    assert!(row().last_error.unwrap_or_default().contains("SMTP"));

    // Back, and queued again: delivered.
    let smtp = SmtpServer::start_on(port).await;
    let admin = app.reissue(&w.admin);
    app.post(&retry_path, Some(&admin.token), json!({}))
        .await
        .expect(200);
    let mails = smtp.wait_for(1, WAIT).await;
    assert_eq!(mails[0].to, ["cadre.a@qys.test"]);
    wait_until("sent", || row().status.as_str() == "sent").await;
}

// --- transactions -------------------------------------------------------------------------

/// How many notices wait for the expander.
fn notices(db: &Db) -> i64 {
    db.read(|c| -> Result<_, AppError> { Ok(db::notice_queue::len(c)?) })
        .expect("count the notices")
}

/// An app whose expander runs only when an action asks (and at start): its own rounds would
/// race the test's.
fn expand_when_asked(settings: &mut Settings) {
    settings.notifications.poll_interval_ms = 3_600_000;
}

/// A user as the service functions take them.
fn principal(app: &TestApp, user: &crate::helpers::User) -> qiyeshao::auth::Principal {
    let id = user.id.clone();
    qiyeshao::service::accounts::principal_of(
        &app.db
            .read(|c| -> Result<_, AppError> { Ok(db::users::find(c, &id)?) })
            .unwrap()
            .unwrap(),
    )
}

/// An action's answer comes once its notices are messages; a notice left queued (its
/// process stopped before expanding it) is expanded by the next round; and two rounds that
/// rendered the same notice (two instances) write its messages once.
async fn notices_become_messages_once(backend: Backend) {
    let app = spawn_app_with(backend, expand_when_asked).await;
    let w = app.world().await;
    app.set_contact(&w.cadre_a, Some("13800000002"), Some("cadre.a@qys.test"));
    let id = app.assigned_ticket(&w, "招工难").await;
    assert_eq!(notices(&app.db), 0, "expanded after the request");
    let assigned = of_ticket(&app.db, &id);
    assert!(
        assigned.iter().any(|r| r.recipient == "cadre.a@qys.test"
            && r.event == MessageTopic::Ticket(NotifyEvent::TicketAssigned)),
        "{assigned:?}"
    );

    // No round of the expander left pending: a wake-up stored while it ran the last one would
    // start another, which could take the urge's notice before the test claims it.
    app.ctx.outbox.settle().await;
    // An urge written by the service alone, as by a process that stops before its round.
    let (ctx, who, ticket) = (app.ctx.clone(), principal(&app, &w.dispatcher), id.clone());
    let now = app.clock.now();
    app.db
        .write(move |c| -> Result<_, AppError> {
            let urge = ActionInput::Urge {
                note: "请尽快办理".into(),
            };
            actions::act(c, &ctx, &who, &ticket, urge, None, now)
        })
        .expect("urge");
    // Rendered twice, as two instances would; the second finds the notice gone.
    let outbox = app.ctx.outbox.clone();
    let (first, second) = app
        .db
        .read(|c| -> Result<_, AppError> {
            let queued = db::notice_queue::claim(c, 10)?;
            assert_eq!(queued.len(), 1, "{queued:?}");
            let mut lookups = Default::default();
            Ok((
                outbox.render(c, &queued[0], &mut lookups)?,
                outbox.render(c, &queued[0], &mut lookups)?,
            ))
        })
        .expect("render");
    let (one, two) = (outbox.clone(), outbox.clone());
    let stored = app
        .db
        .write(move |c| -> Result<_, AppError> { Ok(one.store(c, vec![first])?) })
        .expect("store");
    let again = app
        .db
        .write(move |c| -> Result<_, AppError> { Ok(two.store(c, vec![second])?) })
        .expect("store again");
    assert_eq!(again, 0, "nothing written twice");
    // This process's own expander may have taken the notice between the claim and the first
    // store (a wake left from the request before): then the first store finds it gone too.
    // Either way each recipient has the urge once.
    let after = of_ticket(&app.db, &id);
    let urged: Vec<_> = after
        .iter()
        .filter(|r| r.event == MessageTopic::Ticket(NotifyEvent::TicketUrged))
        .map(|r| (r.channel, r.recipient.clone()))
        .collect();
    assert!(
        !urged.is_empty(),
        "the urge's messages are written: {after:?}"
    );
    let distinct: std::collections::BTreeSet<_> = urged.iter().cloned().collect();
    assert_eq!(distinct.len(), urged.len(), "written once each: {urged:?}");
    if stored > 0 {
        assert_eq!(urged.len(), stored, "{after:?}");
    }
    assert_eq!(notices(&app.db), 0);
}

/// A notice goes to whoever handled the ticket right after its entry, though the ticket has
/// moved on by the time it is expanded: two assignments in one transaction, each heard by
/// its own cadre.
async fn a_notice_keeps_the_routing_of_its_moment(backend: Backend) {
    let app = spawn_app_with(backend, expand_when_asked).await;
    let w = app.world().await;
    app.set_contact(&w.cadre_a, None, Some("cadre.a@qys.test"));
    let id = id_of(&app.file(&w.ent_a, &w.category, "用电报装").await);
    let other = app.make_user(
        "cadre_a_deputy",
        qiyeshao::domain::ticket::Role::Cadre,
        Some(&w.dept_a),
        None,
    );
    app.set_contact(&other, None, Some("cadre.a2@qys.test"));
    let (ctx, who, ticket) = (app.ctx.clone(), principal(&app, &w.dispatcher), id.clone());
    let (dept, first, second) = (w.dept_a.clone(), w.cadre_a.id.clone(), other.id.clone());
    let now = app.clock.now();
    app.db
        .write(move |c| -> Result<_, AppError> {
            for cadre in [first, second] {
                let assign = ActionInput::Assign {
                    department_id: dept.clone(),
                    assignee_id: Some(cadre),
                    co_department_ids: None,
                    due_at: None,
                    priority: None,
                };
                actions::act(c, &ctx, &who, &ticket, assign, None, now)?;
            }
            Ok(())
        })
        .expect("two assignments");
    assert_eq!(notices(&app.db), 2);
    app.ctx.outbox.settle().await;
    let assigned: BTreeSet<String> = of_ticket(&app.db, &id)
        .into_iter()
        .filter(|r| r.event == MessageTopic::Ticket(NotifyEvent::TicketAssigned))
        .map(|r| r.recipient)
        .collect();
    assert_eq!(
        assigned,
        BTreeSet::from([
            "cadre.a@qys.test".to_string(),
            "cadre.a2@qys.test".to_string()
        ])
    );
}

async fn a_rolled_back_action_queues_nothing(app: TestApp) {
    let w = app.world().await;
    app.set_contact(&w.cadre_a, Some("13800000002"), Some("cadre.a@qys.test"));
    let id = id_of(&app.file(&w.ent_a, &w.category, "招工难").await);
    let before = all_rows(&app.db).len();
    // The assignment runs, queues its notice, and then its transaction fails.
    let (ctx, who, ticket, cadre, dept) = (
        app.ctx.clone(),
        principal(&app, &w.dispatcher),
        id.clone(),
        w.cadre_a.id.clone(),
        w.dept_a.clone(),
    );
    let now = app.clock.now();
    let result: Result<(), AppError> = app.db.write(move |c| {
        let assign = ActionInput::Assign {
            department_id: dept,
            assignee_id: Some(cadre),
            co_department_ids: None,
            due_at: None,
            priority: None,
        };
        actions::act(c, &ctx, &who, &ticket, assign, None, now)?;
        assert_eq!(
            db::notice_queue::len(c)?,
            1,
            "inside the transaction the notice is queued"
        );
        Err(AppError::internal(anyhow::anyhow!(
            "rolled back on purpose"
        )))
    });
    assert!(result.is_err());
    app.ctx.outbox.settle().await;
    assert_eq!(notices(&app.db), 0, "no notice after the rollback");
    assert_eq!(
        all_rows(&app.db).len(),
        before,
        "nothing queued after the rollback"
    );
    let detail = app.detail(&w.dispatcher, &id).await;
    assert_eq!(detail["status"], "submitted");

    // A refused action (a cadre of another department cannot be the assignee) queues nothing.
    app.act(
        &w.dispatcher,
        &id,
        "assign",
        json!({"department_id": w.dept_a, "assignee_id": w.cadre_b.id}),
    )
    .await
    .expect_error(422, "validation_failed");
    assert_eq!(all_rows(&app.db).len(), before);

    // The same assignment committed queues the cadre's e-mail and SMS (and the enterprise's).
    app.act(
        &w.dispatcher,
        &id,
        "assign",
        json!({"department_id": w.dept_a, "assignee_id": w.cadre_a.id}),
    )
    .await
    .expect(200);
    let assigned = all_rows(&app.db)
        .into_iter()
        .filter(|r| r.event == MessageTopic::Ticket(NotifyEvent::TicketAssigned))
        .count();
    assert_eq!(assigned, 2);
    assert!(all_rows(&app.db).len() > before + 2);
}

// --- safeguards ---------------------------------------------------------------------------

async fn an_sms_storm_to_one_number_is_refused(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.notifications.sms_per_recipient_per_hour = 3;
    })
    .await;
    let w = app.world().await;
    app.set_contact(&w.cadre_a, Some("13800000002"), None);
    let id = app.assigned_ticket(&w, "设备进口通关").await;
    for i in 0..5 {
        app.act(
            &w.dispatcher,
            &id,
            "urge",
            json!({"note": format!("第{i}次督办")}),
        )
        .await
        .expect(200);
    }
    let sms: Vec<NotificationRow> = of_ticket(&app.db, &id)
        .into_iter()
        .filter(|r| r.channel.as_str() == "sms" && r.recipient == "13800000002")
        .collect();
    assert_eq!(sms.len(), 6, "every event is on record");
    let refused: Vec<&NotificationRow> = sms
        .iter()
        .filter(|r| r.status.as_str() == "failed")
        .collect();
    assert_eq!(
        refused.len(),
        3,
        "three go out in an hour, the rest are refused"
    );
    assert!(refused.iter().all(|r| {
        r.attempts == 0
            && r.last_error
                .as_deref()
                .unwrap_or("")
                .starts_with("rate limited")
    }));
    // An hour later the number may be messaged again.
    app.clock.advance(chrono::Duration::minutes(61));
    let dispatcher = app.reissue(&w.dispatcher);
    app.act(&dispatcher, &id, "urge", json!({"note": "再次督办"}))
        .await
        .expect(200);
    let last = of_ticket(&app.db, &id).pop().expect("row");
    assert_ne!(last.status.as_str(), "failed", "{:?}", last.last_error);
}

// --- the admin API and metrics ------------------------------------------------------------

async fn admin_api_lists_counts_and_retries(app: TestApp) {
    let w = app.world().await;
    app.set_contact(&w.cadre_a, Some("13800000002"), Some("cadre.a@qys.test"));
    let id = app.assigned_ticket(&w, "融资对接").await;
    wait_until("sent", || {
        all_rows(&app.db)
            .iter()
            .all(|r| r.status.as_str() == "sent")
    })
    .await;

    let list = app
        .get(
            &format!("/api/v1/notifications?ticket_id={id}&event=ticket_assigned"),
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    let sms = items.iter().find(|i| i["channel"] == "sms").expect("sms");
    assert_eq!(sms["recipient"], "13800000002");
    assert_eq!(sms["event"], "ticket_assigned");
    assert_eq!(sms["status"], "sent");
    assert!(sms["body"].as_str().unwrap().contains("融资对接"));
    assert!(
        sms.get("html_body").is_none(),
        "the list leaves the HTML out"
    );
    let email = items
        .iter()
        .find(|i| i["channel"] == "email")
        .expect("email");
    let one = app
        .get(
            &format!("/api/v1/notifications/{}", email["id"].as_str().unwrap()),
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    assert!(one["html_body"].as_str().unwrap().contains("<html"));

    let only_sms = app
        .get(
            "/api/v1/notifications?channel=sms&status=sent",
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    assert!(
        only_sms["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["channel"] == "sms")
    );
    let by_recipient = app
        .get(
            "/api/v1/notifications?recipient=cadre.a@qys.test",
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    assert_eq!(by_recipient["items"].as_array().unwrap().len(), 1);
    // Paging.
    let page = app
        .get("/api/v1/notifications?limit=1", Some(&w.admin.token))
        .await
        .expect(200);
    let cursor = page["next_cursor"].as_str().expect("a next page");
    let page2 = app
        .get(
            &format!("/api/v1/notifications?limit=1&cursor={cursor}"),
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    assert_ne!(page["items"][0]["id"], page2["items"][0]["id"]);

    let counts = app
        .get("/api/v1/notifications/counts", Some(&w.admin.token))
        .await
        .expect(200);
    // The cadre's e-mail and SMS, and the enterprise's SMS to the ticket's contact.
    assert_eq!(counts["total"], 3);
    assert_eq!(counts["by_status"]["sent"], 3);
    assert_eq!(counts["by_status"]["failed"], 0);
    assert_eq!(counts["by_channel"]["sms"]["sent"], 2);
    assert_eq!(counts["by_channel"]["email"]["pending"], 0);

    // Only failed messages can be retried.
    app.post(
        &format!(
            "/api/v1/notifications/{}/retry",
            sms["id"].as_str().unwrap()
        ),
        Some(&w.admin.token),
        json!({}),
    )
    .await
    .expect_error(409, "not_failed");
    app.post(
        "/api/v1/notifications/0190aaaa-0000-7000-8000-000000000000/retry",
        Some(&w.admin.token),
        json!({}),
    )
    .await
    .expect_error(404, "not_found");

    // Refusals.
    app.get("/api/v1/notifications?status=lost", Some(&w.admin.token))
        .await
        .expect_error(400, "invalid_query");
    for user in [&w.dispatcher, &w.cadre_a, &w.ent_a] {
        app.get("/api/v1/notifications", Some(&user.token))
            .await
            .expect_error(403, "forbidden");
        app.get("/api/v1/notifications/counts", Some(&user.token))
            .await
            .expect_error(403, "forbidden");
        app.post(
            &format!(
                "/api/v1/notifications/{}/retry",
                sms["id"].as_str().unwrap()
            ),
            Some(&user.token),
            json!({}),
        )
        .await
        .expect_error(403, "forbidden");
    }
    app.get("/api/v1/notifications", None)
        .await
        .expect_error(401, "missing_token");
}

async fn metrics_count_deliveries(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let port = smtp.port;
    let app = spawn_app_with(backend, |s| {
        smtp_to(s, port);
        s.metrics.token = "metrics-token".into();
        // The cadres' messages alone.
        s.notifications.events.insert(
            "ticket_assigned_enterprise".into(),
            qiyeshao::config::EventSettings { enabled: false },
        );
    })
    .await;
    let w = app.world().await;
    app.set_contact(&w.cadre_a, Some("13800000002"), Some("cadre.a@qys.test"));
    app.set_contact(&w.cadre_a2, None, Some("cadre.a2@qys.test"));
    smtp.refuse("cadre.a2@qys.test");
    app.assigned_ticket(&w, "人才公寓申请").await;
    let id = id_of(&app.file(&w.ent_a, &w.category, "另一件").await);
    app.act(
        &w.dispatcher,
        &id,
        "assign",
        json!({"department_id": w.dept_a, "assignee_id": w.cadre_a2.id}),
    )
    .await
    .expect(200);
    wait_until("all settled", || {
        let rows = all_rows(&app.db);
        rows.len() == 3
            && rows
                .iter()
                .all(|r| r.status.as_str() == "sent" || r.status.as_str() == "failed")
    })
    .await;
    app.get("/metrics", None)
        .await
        .expect_error(401, "invalid_token");
    let res = app
        .send(
            app.client
                .get(app.url("/metrics"))
                .bearer_auth("metrics-token"),
        )
        .await;
    assert_eq!(res.status, 200);
    let text = res.text;
    for line in [
        "qiyeshao_notifications_sent_total{channel=\"email\"} 1",
        "qiyeshao_notifications_sent_total{channel=\"sms\"} 1",
        "qiyeshao_notifications_failed_total{channel=\"email\"} 1",
        "qiyeshao_notifications_queued_total{channel=\"email\"} 2",
        "qiyeshao_notifications{channel=\"email\",status=\"failed\"} 1",
        "qiyeshao_notifications{channel=\"sms\",status=\"sent\"} 1",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
    }
}

// --- start-up checks ----------------------------------------------------------------------

async fn a_bad_template_or_gateway_setting_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let templates = dir.path().join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(
        templates.join("ticket_urged.txt"),
        "{% block subject %}{{ numbr }}{% endblock %}{% block action %}a{% endblock %}\
         {% block email %}a{% endblock %}{% block sms %}a{% endblock %}",
    )
    .unwrap();
    let base = crate::helpers::test_settings(
        dir.path(),
        format!("sqlite://{}", dir.path().join("t.db").display()),
    );
    let mut settings = base.clone();
    settings.notifications.templates_dir = templates.clone();
    let err = qiyeshao::startup::Application::build(settings)
        .await
        .err()
        .expect("refused");
    let message = format!("{err:#}");
    assert!(message.contains("ticket_urged.txt"), "{message}");

    // A gateway without a template code for every event.
    let mut settings = base.clone();
    settings.notifications.sms.provider = "tencent".into();
    settings.notifications.sms.tencent.secret_id = "id".into();
    settings.notifications.sms.tencent.secret_key = "key".into();
    settings.notifications.sms.tencent.sdk_app_id = "1400000000".into();
    let err = qiyeshao::startup::Application::build(settings)
        .await
        .err()
        .expect("refused");
    let message = format!("{err:#}");
    assert!(
        message.contains("notifications.sms.templates.ticket_filed.code"),
        "{message}"
    );

    // A parameter that is no message value.
    let mut settings = base;
    settings
        .notifications
        .sms
        .templates
        .get_mut("ticket_urged")
        .unwrap()
        .params
        .push("deadline".into());
    let err = qiyeshao::startup::Application::build(settings)
        .await
        .err()
        .expect("refused");
    assert!(format!("{err:#}").contains("\"deadline\""), "{err:#}");
}

// --- several workers, and a worker killed mid-send ----------------------------------------

/// A message row to deliver, not tied to a ticket.
fn queued_row(i: usize, now: &str) -> NotificationRow {
    let id = db::new_id();
    NotificationRow {
        id: id.clone(),
        channel: NotifyChannel::Email,
        recipient: format!("user{i}@qys.test"),
        recipient_name: Some(format!("用户{i}")),
        user_id: None,
        ticket_id: None,
        event: MessageTopic::Ticket(NotifyEvent::TicketAssigned),
        event_seq: None,
        subject: Some(format!("【企业哨】测试消息 {i}")),
        body: format!("第 {i} 条"),
        html_body: None,
        template_code: None,
        template_params: None,
        status: NotifyStatus::Pending,
        attempts: 0,
        next_attempt_at: now.into(),
        lease_token: None,
        last_error: None,
        provider_message_id: None,
        created_at: now.into(),
        updated_at: now.into(),
        sent_at: None,
    }
}

fn worker_for(settings: &Settings, clock: Arc<dyn Clock>, metrics: Arc<Metrics>) -> Worker {
    let db = Db::connect(settings).expect("a pool of its own");
    let channels =
        Channels::from_settings(&settings.notifications, clock.clone()).expect("channels");
    Worker::new(
        db,
        Arc::new(channels),
        &settings.notifications,
        clock,
        metrics,
        None,
    )
}

async fn two_workers_on_one_postgres_deliver_500_messages_once() {
    let smtp = SmtpServer::start().await;
    let port = smtp.port;
    let app = spawn_app_with(Backend::Postgres, |s| {
        smtp_to(s, port);
        s.notifications.worker = false;
        s.notifications.batch_size = 20;
        s.notifications.email.pool_size = 4;
    })
    .await;
    let now = qiyeshao::domain::time::format(app.clock.now());
    app.db
        .write(move |c| -> Result<_, AppError> {
            for i in 0..500 {
                db::notifications::insert(c, &queued_row(i, &now))?;
            }
            Ok(())
        })
        .expect("queue 500");
    // Two workers, each with its own pool, as two instances of the service would have.
    let clock: Arc<dyn Clock> = Arc::new(app.clock.clone());
    let (m1, m2) = (Arc::new(Metrics::default()), Arc::new(Metrics::default()));
    let w1 = worker_for(&app.settings, clock.clone(), m1.clone()).spawn();
    let w2 = worker_for(&app.settings, clock, m2.clone()).spawn();
    let mails = smtp.wait_for(500, Duration::from_secs(60)).await;
    wait_until("every row is sent", || {
        all_rows(&app.db)
            .iter()
            .all(|r| r.status.as_str() == "sent")
    })
    .await;
    w1.stop().await;
    w2.stop().await;
    let ids: Vec<String> = smtp
        .mails()
        .iter()
        .map(|m| m.header("Message-ID").expect("id"))
        .collect();
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(
        ids.len(),
        500,
        "{} messages arrived for 500 queued",
        ids.len()
    );
    assert_eq!(unique.len(), 500, "a message arrived twice");
    assert_eq!(mails.len(), 500);
    let rows = all_rows(&app.db);
    assert!(rows.iter().all(|r| r.attempts == 1));
    let (n1, n2) = (
        m1.get(
            qiyeshao::domain::notification::NotifyChannel::Email,
            qiyeshao::notify::metrics::Outcome::Sent,
        ),
        m2.get(
            qiyeshao::domain::notification::NotifyChannel::Email,
            qiyeshao::notify::metrics::Outcome::Sent,
        ),
    );
    assert_eq!(n1 + n2, 500);
    assert!(n1 > 0 && n2 > 0, "both workers delivered: {n1} and {n2}");
}

/// `qiyeshao worker` is killed (SIGKILL) while its SMTP server has not answered; its claimed
/// message stays leased, and once the lease runs out another worker delivers it.
async fn a_worker_killed_mid_send_leaves_its_messages_to_retry(backend: Backend) {
    let hole = BlackHole::start().await;
    let app = spawn_app_with(backend, |s| {
        s.notifications.worker = false;
    })
    .await;
    let now = qiyeshao::domain::time::format(app.clock.now());
    let row = queued_row(1, &now);
    let id = row.id.clone();
    app.db
        .write(move |c| -> Result<_, AppError> { Ok(db::notifications::insert(c, &row)?) })
        .expect("queue");

    let config = app.settings.data.dir.join("worker.toml");
    std::fs::write(
        &config,
        format!(
            "[notifications]\nlease_secs = 100\n[notifications.email]\ntransport = \"smtp\"\n\
             host = \"127.0.0.1\"\nport = {}\ntimeout_secs = 30\nfrom = \"企业哨 <noreply@qys.test>\"\n\
             [notifications.sms]\nprovider = \"off\"\n",
            hole.port
        ),
    )
    .unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_qiyeshao"))
        .args(["worker", "--config"])
        .arg(&config)
        .args(["--database-url", &app.settings.database.url])
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start qiyeshao worker");
    wait_until("the worker claimed the message and connected", || {
        let r = &all_rows(&app.db)[0];
        r.status.as_str() == "sending" && hole.accepted() > 0
    })
    .await;
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    let r = all_rows(&app.db).remove(0);
    assert_eq!((r.status.as_str(), r.attempts), ("sending", 1));

    // Another worker, after the lease: the message is delivered on the second attempt.
    let smtp = SmtpServer::start().await;
    let mut settings = app.settings.clone();
    smtp_to(&mut settings, smtp.port);
    let clock: Arc<dyn Clock> = Arc::new(app.clock.clone());
    let worker = worker_for(&settings, clock, Arc::new(Metrics::default()));
    // Within the lease it is not taken.
    assert_eq!(worker.run_once().await.expect("round"), 0);
    app.clock
        .advance(chrono::Duration::seconds(101) + chrono::Duration::hours(1));
    assert_eq!(worker.run_once().await.expect("round"), 1);
    let mails = smtp.wait_for(1, WAIT).await;
    assert_eq!(mails[0].to, ["user1@qys.test"]);
    let r = all_rows(&app.db).remove(0);
    assert_eq!(r.id, id);
    assert_eq!((r.status.as_str(), r.attempts), ("sent", 2));
}

both_backends!(
    each_event_notifies_its_audience,
    users_can_turn_each_channel_off,
    a_rolled_back_action_queues_nothing,
    admin_api_lists_counts_and_retries,
);

// --- TLS ----------------------------------------------------------------------------------

/// STARTTLS and implicit TLS against a server whose certificate a CA file vouches for; and
/// the same server refused when the CA is not trusted (the certificate is checked).
async fn email_over_starttls_and_implicit_tls(backend: Backend) {
    let certs = crate::smtp::TestCertificates::new();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &certs.ca_pem).unwrap();
    for (mode, security) in [
        (
            "starttls",
            crate::smtp::Security::StartTls(certs.server.clone()),
        ),
        ("tls", crate::smtp::Security::Implicit(certs.server.clone())),
    ] {
        let smtp = SmtpServer::start_with(0, security.clone()).await;
        let (port, ca) = (smtp.port, ca_file.display().to_string());
        let app = spawn_app_with(backend, |s| {
            smtp_to(s, port);
            // The certificate names localhost.
            s.notifications.email.host = "localhost".into();
            s.notifications.email.tls = mode.into();
            s.notifications.email.ca_file = ca;
            s.notifications.sms.provider = "off".into();
        })
        .await;
        let w = app.world().await;
        app.set_contact(&w.cadre_a, None, Some("cadre.a@qys.test"));
        app.assigned_ticket(&w, "安全生产许可").await;
        let mails = smtp.wait_for(1, WAIT).await;
        assert!(mails[0].tls, "{mode}: the message came in the clear");
        assert_eq!(mails[0].to, ["cadre.a@qys.test"]);

        // Without the CA file the certificate is not trusted, and nothing is sent.
        let smtp = SmtpServer::start_with(0, security).await;
        let port = smtp.port;
        let app = spawn_app_with(backend, |s| {
            smtp_to(s, port);
            s.notifications.email.host = "localhost".into();
            s.notifications.email.tls = mode.into();
            s.notifications.sms.provider = "off".into();
        })
        .await;
        let w = app.world().await;
        app.set_contact(&w.cadre_a, None, Some("cadre.a@qys.test"));
        app.assigned_ticket(&w, "安全生产许可").await;
        wait_until("the untrusted server's attempt failed", || {
            all_rows(&app.db)
                .iter()
                .any(|r| r.attempts == 1 && r.status.as_str() == "pending")
        })
        .await;
        let error = all_rows(&app.db)[0].last_error.clone().unwrap_or_default();
        assert!(
            error.to_lowercase().contains("certificate"),
            "{mode}: {error}"
        );
        assert!(smtp.mails().is_empty());
    }
}

crate::tests!(
    #[each_backend]
    notices_become_messages_once,
    #[each_backend]
    a_notice_keeps_the_routing_of_its_moment,
    #[each_backend]
    assigned_cadre_receives_the_email_over_smtp,
    #[each_backend]
    smtp_outage_then_every_message_exactly_once,
    #[each_backend]
    permanent_failures_and_exhausted_attempts,
    #[each_backend]
    an_sms_storm_to_one_number_is_refused,
    a_bad_template_or_gateway_setting_stops_the_start,
    #[each_backend]
    metrics_count_deliveries,
    #[needs(Postgres)]
    #[workers(4)]
    two_workers_on_one_postgres_deliver_500_messages_once,
    #[each_backend]
    a_worker_killed_mid_send_leaves_its_messages_to_retry,
    #[each_backend]
    email_over_starttls_and_implicit_tls,
);
