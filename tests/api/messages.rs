//! The enterprise told of every step of its ticket (SMS to the ticket's contact, e-mail and
//! in-app message to the filer), each event's switch, the message centre (站内消息) of every
//! role — scoping, paging, read and unread, counts — and the default visibility of progress
//! notes.

use serde_json::{Value, json};

use qiyeshao::db::messages::MessageRow;
use qiyeshao::db::notifications::{NotificationFilter, NotificationRow};
use qiyeshao::domain::notification::{MessageTopic, NotifyEvent};
use qiyeshao::error::AppError;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, User, World, id_of, spawn_app_with};

/// The outbox rows of a ticket, oldest first.
fn outbox(app: &TestApp, ticket: &str) -> Vec<NotificationRow> {
    let filter = NotificationFilter {
        ticket_id: Some(ticket.into()),
        ..Default::default()
    };
    let mut rows = app
        .db
        .read(|c| -> Result<_, AppError> {
            Ok(qiyeshao::db::notifications::list(c, &filter, 10_000)?)
        })
        .expect("outbox");
    rows.reverse();
    rows
}

/// The in-app messages of a ticket, in the order of its timeline.
fn inbox(app: &TestApp, ticket: &str) -> Vec<MessageRow> {
    let ticket = ticket.to_string();
    app.db
        .read(move |c| -> Result<_, AppError> {
            Ok(qiyeshao::db::messages::of_ticket(c, &ticket)?)
        })
        .expect("messages")
}

/// (channel, recipient) of the outbox rows of `event`, sorted.
fn sent_for(app: &TestApp, ticket: &str, event: NotifyEvent) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = outbox(app, ticket)
        .into_iter()
        .filter(|r| r.event.as_str() == event.as_str())
        .map(|r| (r.channel.to_string(), r.recipient))
        .collect();
    v.sort();
    v
}

/// The SMS text of `event` to the ticket's contact.
fn sms_of(app: &TestApp, ticket: &str, event: NotifyEvent) -> String {
    outbox(app, ticket)
        .into_iter()
        .find(|r| r.event.as_str() == event.as_str() && r.channel.as_str() == "sms")
        .unwrap_or_else(|| panic!("an SMS of {event}"))
        .body
}

async fn my_messages(app: &TestApp, user: &User, query: &str) -> Value {
    app.get(&format!("/api/v1/messages{query}"), Some(&user.token))
        .await
        .expect(200)
}

async fn unread(app: &TestApp, user: &User) -> i64 {
    app.get("/api/v1/messages/unread-count", Some(&user.token))
        .await
        .expect(200)["unread"]
        .as_i64()
        .expect("unread")
}

fn events_of(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|m| m["event"].as_str().expect("event").to_string())
        .collect()
}

async fn enterprise_hears_of_every_step(app: TestApp) {
    let w = app.world().await;
    app.set_contact(&w.ent_a, None, Some("ent.a@qys.test"));
    let contact = ("sms".to_string(), "13900000000".to_string());
    let mail = ("email".to_string(), "ent.a@qys.test".to_string());
    let both = vec![mail.clone(), contact.clone()];

    let id = id_of(
        &app.file(&w.ent_a, &w.category, "新厂房用电报装进度慢")
            .await,
    );
    let number = app.detail(&w.ent_a, &id).await["number"]
        .as_str()
        .expect("number")
        .to_string();
    // Filing tells the liaison cadre, in the message centre too, and not the enterprise.
    assert_eq!(
        events_of(&my_messages(&app, &w.liaison, "").await),
        ["ticket_filed"]
    );
    assert_eq!(unread(&app, &w.ent_a).await, 0);

    app.act(&w.dispatcher, &id, "accept", json!({"note": "已受理"}))
        .await
        .expect(200);
    assert_eq!(sent_for(&app, &id, NotifyEvent::TicketAccepted), both);
    let sms = sms_of(&app, &id, NotifyEvent::TicketAccepted);
    assert!(sms.contains("已受理") && sms.contains(&number), "{sms}");
    assert_eq!(unread(&app, &w.ent_a).await, 1);

    let due = "2099-01-15T15:59:59Z";
    app.act(
        &w.dispatcher,
        &id,
        "assign",
        json!({"department_id": w.dept_a, "assignee_id": w.cadre_a.id, "due_at": due}),
    )
    .await
    .expect(200);
    assert_eq!(
        sent_for(&app, &id, NotifyEvent::TicketAssignedEnterprise),
        both
    );
    let sms = sms_of(&app, &id, NotifyEvent::TicketAssignedEnterprise);
    assert!(sms.contains("部门甲") && sms.contains("1月15日"), "{sms}");
    // The cadre hears of it as before, in the message centre too.
    assert_eq!(
        events_of(&my_messages(&app, &w.cadre_a, "").await),
        ["ticket_assigned"]
    );

    app.act(&w.cadre_a, &id, "sign", json!({}))
        .await
        .expect(200);
    // An internal note tells nobody; a note without `public` is public by default.
    app.act(
        &w.cadre_a,
        &id,
        "progress",
        json!({"note": "内部协调供电所", "public": false}),
    )
    .await
    .expect(200);
    assert!(sent_for(&app, &id, NotifyEvent::TicketProgress).is_empty());
    app.act(
        &w.cadre_a,
        &id,
        "progress",
        json!({"note": "已现场勘查线路"}),
    )
    .await
    .expect(200);
    assert_eq!(sent_for(&app, &id, NotifyEvent::TicketProgress), both);
    assert!(sms_of(&app, &id, NotifyEvent::TicketProgress).contains("已现场勘查线路"));

    // An extension: the cadre asks, the dispatchers hear; approved, the enterprise hears of
    // the new deadline.
    let ext = app
        .post(
            &format!("/api/v1/tickets/{id}/extensions"),
            Some(&w.cadre_a.token),
            json!({"working_days": 3, "reason": "需协调供电公司"}),
        )
        .await
        .expect(201);
    app.post(
        &format!("/api/v1/tickets/{id}/extensions/{}/approve", id_of(&ext)),
        Some(&w.dispatcher.token),
        json!({"note": "同意"}),
    )
    .await
    .expect(200);
    assert_eq!(sent_for(&app, &id, NotifyEvent::TicketExtended), both);
    assert!(sms_of(&app, &id, NotifyEvent::TicketExtended).contains("1月20日"));

    app.act(
        &w.cadre_a,
        &id,
        "resolve",
        json!({"resolution": "线路已接通"}),
    )
    .await
    .expect(200);
    assert_eq!(sent_for(&app, &id, NotifyEvent::TicketResolved), both);
    assert!(sms_of(&app, &id, NotifyEvent::TicketResolved).contains("/rate"));

    app.act(
        &w.ent_a,
        &id,
        "revisit",
        json!({"rating": "unsatisfied", "comment": "电压仍不稳"}),
    )
    .await
    .expect(200);
    assert_eq!(
        sent_for(&app, &id, NotifyEvent::TicketReopenedEnterprise),
        both
    );
    // The cadre hears of the rework, here in the message centre (no phone or address).
    assert_eq!(
        events_of(&my_messages(&app, &w.cadre_a, "").await)[0],
        "ticket_reopened"
    );

    app.act(
        &w.cadre_a,
        &id,
        "resolve",
        json!({"resolution": "已更换变压器"}),
    )
    .await
    .expect(200);
    app.act(&w.dispatcher, &id, "close", json!({"reason": "企业未评价"}))
        .await
        .expect(200);
    assert_eq!(sent_for(&app, &id, NotifyEvent::TicketClosedUnrated), both);

    // Every step is in the enterprise's message centre, newest first, each once.
    let list = my_messages(&app, &w.ent_a, "?limit=100").await;
    assert_eq!(
        events_of(&list),
        [
            "ticket_closed_unrated",
            "ticket_resolved",
            "ticket_reopened_enterprise",
            "ticket_resolved",
            "ticket_extended",
            "ticket_progress",
            "ticket_assigned_enterprise",
            "ticket_accepted",
        ]
    );
    for m in list["items"].as_array().expect("items") {
        assert_eq!(m["ticket_id"], id.as_str());
        assert!(m["read_at"].is_null());
        let title = m["title"].as_str().expect("title");
        assert!(title.contains(&number), "{title}");
        assert!(
            !title.starts_with('【'),
            "the site's name is left out: {title}"
        );
        let body = m["body"].as_str().expect("body");
        assert!(
            !body.contains("http"),
            "the message opens its ticket, no link: {body}"
        );
    }
    assert_eq!(
        list["items"][7]["title"],
        format!("您的诉求已受理，工单号 {number}")
    );
    assert_eq!(unread(&app, &w.ent_a).await, 8);
    // The second user of the enterprise, who did not file, hears of nothing.
    assert_eq!(unread(&app, &w.ent_a2).await, 0);

    // A rejection, with its reason.
    let other = id_of(&app.file(&w.ent_a, &w.category, "重复提交").await);
    app.act(
        &w.dispatcher,
        &other,
        "reject",
        json!({"reason": "与已有诉求重复"}),
    )
    .await
    .expect(200);
    assert_eq!(sent_for(&app, &other, NotifyEvent::TicketRejected), both);
    let rejected = inbox(&app, &other);
    assert_eq!(
        rejected.len(),
        2,
        "the liaison's filing and ent.a's rejection"
    );
    let r = rejected.last().expect("rejected");
    assert_eq!(
        (r.user_id.as_str(), r.event),
        (
            w.ent_a.id.as_str(),
            MessageTopic::Ticket(NotifyEvent::TicketRejected)
        )
    );
    assert!(r.body.contains("与已有诉求重复"), "{}", r.body);
}

async fn each_event_can_be_turned_off(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.notifications.events.insert(
            "ticket_assigned_enterprise".into(),
            qiyeshao::config::EventSettings { enabled: false },
        );
    })
    .await;
    let w = app.world().await;
    let id = app.assigned_ticket(&w, "污水管网接入").await;
    assert!(sent_for(&app, &id, NotifyEvent::TicketAssignedEnterprise).is_empty());
    let events: Vec<MessageTopic> = inbox(&app, &id).iter().map(|m| m.event).collect();
    // The cadre still hears of the assignment; the enterprise does not.
    assert_eq!(
        events,
        [
            MessageTopic::Ticket(NotifyEvent::TicketFiled),
            MessageTopic::Ticket(NotifyEvent::TicketAssigned)
        ]
    );
    assert_eq!(unread(&app, &w.ent_a).await, 0);

    // A name that is no event stops the start.
    let mut settings = app.settings.clone();
    settings.notifications.events.insert(
        "ticket_teleported".into(),
        qiyeshao::config::EventSettings { enabled: false },
    );
    let err = qiyeshao::notify::outbox::Outbox::new(
        &settings.notifications,
        "http://x",
        Default::default(),
    )
    .expect_err("an unknown event");
    assert!(err.to_string().contains("ticket_teleported"), "{err}");
}

async fn in_app_messages_need_no_channel(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.notifications.email.transport = "off".into();
        s.notifications.sms.provider = "off".into();
    })
    .await;
    let w = app.world().await;
    let id = app.assigned_ticket(&w, "仓储用地").await;
    assert!(outbox(&app, &id).is_empty(), "no e-mail or SMS is queued");
    assert_eq!(
        events_of(&my_messages(&app, &w.cadre_a, "").await),
        ["ticket_assigned"]
    );
    assert_eq!(
        events_of(&my_messages(&app, &w.ent_a, "").await),
        ["ticket_assigned_enterprise"]
    );
    assert_eq!(
        events_of(&my_messages(&app, &w.liaison, "").await),
        ["ticket_filed"]
    );
}

/// Files and accepts `n` tickets of ent.a: n messages in its centre.
async fn accepted(app: &TestApp, w: &World, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let id = id_of(&app.file(&w.ent_a, &w.category, &format!("诉求{i}")).await);
        app.act(&w.dispatcher, &id, "accept", json!({}))
            .await
            .expect(200);
        ids.push(id);
    }
    ids
}

async fn the_message_centre_is_each_users_own(app: TestApp) {
    let w = app.world().await;
    let tickets = accepted(&app, &w, 5).await;
    assert_eq!(unread(&app, &w.ent_a).await, 5);

    // Paging, newest first.
    let first = my_messages(&app, &w.ent_a, "?limit=2").await;
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let second = my_messages(&app, &w.ent_a, &format!("?limit=2&cursor={cursor}")).await;
    let cursor = second["next_cursor"].as_str().expect("a third page");
    let third = my_messages(&app, &w.ent_a, &format!("?limit=2&cursor={cursor}")).await;
    assert!(third["next_cursor"].is_null());
    let seen: Vec<String> = [&first, &second, &third]
        .iter()
        .flat_map(|p| p["items"].as_array().expect("items").clone())
        .map(|m| m["ticket_id"].as_str().expect("ticket").to_string())
        .collect();
    let newest_first: Vec<String> = tickets.iter().rev().cloned().collect();
    assert_eq!(seen, newest_first);

    // Nobody else sees them, or can mark them: 404, as for a message that does not exist.
    let newest = id_of(&first["items"][0]);
    assert!(events_of(&my_messages(&app, &w.ent_b, "").await).is_empty());
    assert!(events_of(&my_messages(&app, &w.admin, "").await).is_empty());
    for other in [&w.ent_a2, &w.ent_b, &w.admin, &w.dispatcher] {
        app.post(
            &format!("/api/v1/messages/{newest}/read"),
            Some(&other.token),
            json!({}),
        )
        .await
        .expect_error(404, "not_found");
    }
    app.post(
        "/api/v1/messages/0190c0de-0000-7000-8000-000000000000/read",
        Some(&w.ent_a.token),
        json!({}),
    )
    .await
    .expect_error(404, "not_found");
    let all_b = app
        .post("/api/v1/messages/read-all", Some(&w.ent_b.token), json!({}))
        .await
        .expect(200);
    assert_eq!(all_b["marked"], 0);
    assert_eq!(unread(&app, &w.ent_a).await, 5);

    // Mark one read: it leaves the unread list and the count; again keeps the first time.
    let read = app
        .post(
            &format!("/api/v1/messages/{newest}/read"),
            Some(&w.ent_a.token),
            json!({}),
        )
        .await
        .expect(200);
    let read_at = read["read_at"].as_str().expect("read").to_string();
    app.clock.advance(chrono::Duration::minutes(5));
    let again = app
        .post(
            &format!("/api/v1/messages/{newest}/read"),
            Some(&w.ent_a.token),
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(again["read_at"], read_at.as_str());
    assert_eq!(unread(&app, &w.ent_a).await, 4);
    let unread_list = my_messages(&app, &w.ent_a, "?unread=true").await;
    assert_eq!(unread_list["items"].as_array().expect("items").len(), 4);
    assert!(
        unread_list["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|m| m["id"] != newest.as_str() && m["read_at"].is_null())
    );
    let everything = my_messages(&app, &w.ent_a, "?unread=false").await;
    assert_eq!(everything["items"].as_array().expect("items").len(), 5);

    // Mark all read.
    let all = app
        .post("/api/v1/messages/read-all", Some(&w.ent_a.token), json!({}))
        .await
        .expect(200);
    assert_eq!(all["marked"], 4);
    assert_eq!(unread(&app, &w.ent_a).await, 0);
    assert!(events_of(&my_messages(&app, &w.ent_a, "?unread=true").await).is_empty());

    // Bad queries are refused, naming the parameter.
    for (query, field) in [
        ("?cursor=nonsense", "cursor"),
        ("?limit=0", "limit"),
        ("?unread=maybe", "unread"),
    ] {
        let resp = app
            .get(&format!("/api/v1/messages{query}"), Some(&w.ent_a.token))
            .await;
        resp.expect_error(400, "invalid_query");
        assert!(resp.field(field).is_some(), "{query}: {:?}", resp.body);
    }
    app.get("/api/v1/messages", None)
        .await
        .expect_error(401, "missing_token");
}

async fn a_failed_action_writes_no_message(app: TestApp) {
    let w = app.world().await;
    let id = id_of(&app.file(&w.ent_a, &w.category, "用工招聘").await);
    let before = inbox(&app, &id).len();
    // Refused: a cadre of another department as the assignee.
    app.act(
        &w.dispatcher,
        &id,
        "assign",
        json!({"department_id": w.dept_a, "assignee_id": w.cadre_b.id}),
    )
    .await
    .expect_error(422, "validation_failed");
    // Refused by the workflow: a cadre cannot accept.
    app.act(&w.ent_a, &id, "accept", json!({}))
        .await
        .expect_error(403, "forbidden");
    // Rolled back after its notice was queued: the transaction takes it with it.
    let dispatcher = w.dispatcher.id.clone();
    let (ctx, ticket) = (app.ctx.clone(), id.clone());
    let now = qiyeshao::domain::time::Clock::now(&app.clock);
    let result = app.db.write(move |c| -> Result<(), AppError> {
        let user = qiyeshao::db::users::find(c, &dispatcher)?
            .ok_or_else(|| AppError::not_found("user"))?;
        let who = qiyeshao::service::accounts::principal_of(&user);
        qiyeshao::service::tickets::actions::act(
            c,
            &ctx,
            &who,
            &ticket,
            qiyeshao::domain::ticket::apply::Input::Accept { note: None },
            None,
            now,
        )?;
        assert_eq!(
            qiyeshao::db::notice_queue::len(c)?,
            1,
            "inside the transaction the notice is queued"
        );
        Err(AppError::internal(anyhow::anyhow!(
            "rolled back on purpose"
        )))
    });
    assert!(result.is_err());
    app.ctx.outbox.settle().await;
    assert_eq!(inbox(&app, &id).len(), before);
    assert_eq!(unread(&app, &w.ent_a).await, 0);
    assert_eq!(app.detail(&w.ent_a, &id).await["status"], "submitted");
}

async fn progress_notes_follow_the_configured_default(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.tickets.progress_public_by_default = false;
    })
    .await;
    let w = app.world().await;
    let id = app.ticket_in_progress(&w).await;
    let detail = app.detail(&w.cadre_a, &id).await;
    assert_eq!(detail["progress_public_default"], false);
    app.act(&w.cadre_a, &id, "progress", json!({"note": "内部记录"}))
        .await
        .expect(200);
    let detail = app.detail(&w.ent_a, &id).await;
    let notes: Vec<&Value> = detail["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["action"] == "progress")
        .collect();
    assert!(notes.is_empty(), "internal by this configuration");
    assert!(sent_for(&app, &id, NotifyEvent::TicketProgress).is_empty());
    // Said explicitly, it is public, and the enterprise is told.
    app.act(
        &w.cadre_a,
        &id,
        "progress",
        json!({"note": "已联系", "public": true}),
    )
    .await
    .expect(200);
    assert_eq!(sent_for(&app, &id, NotifyEvent::TicketProgress).len(), 1);
}

async fn the_default_progress_note_is_public(app: TestApp) {
    let w = app.world().await;
    let id = app.ticket_in_progress(&w).await;
    assert_eq!(
        app.detail(&w.cadre_a, &id).await["progress_public_default"],
        true
    );
    app.act(&w.cadre_a, &id, "progress", json!({"note": "已现场查看"}))
        .await
        .expect(200);
    let detail = app.detail(&w.ent_a, &id).await;
    assert!(
        detail["events"]
            .as_array()
            .expect("events")
            .iter()
            .any(|e| e["action"] == "progress" && e["note"] == "已现场查看")
    );
}

/// Messages go after `notifications.messages_retention_days`, read or not; younger ones and,
/// with 0, all of them stay.
async fn old_messages_are_deleted_after_their_retention(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.notifications.messages_retention_days = 30).await;
    let w = app.world().await;
    accepted(&app, &w, 3).await;
    assert_eq!(unread(&app, &w.ent_a).await, 3);
    let now = chrono::Utc::now();
    let housekeep = |at| {
        qiyeshao::background::housekeeping::housekeep(&app.db, &app.settings, at)
            .expect("housekeeping")
    };
    housekeep(now + chrono::Duration::days(29));
    assert_eq!(
        unread(&app, &w.ent_a).await,
        3,
        "younger than 30 days: kept"
    );
    housekeep(now + chrono::Duration::days(31));
    assert_eq!(unread(&app, &w.ent_a).await, 0);
    let left = my_messages(&app, &w.dispatcher, "").await;
    assert_eq!(left["items"].as_array().unwrap().len(), 0, "{left}");
    // A message written since (the service's clock a month on) stays through the same run.
    app.clock.advance(chrono::Duration::days(31));
    let w = World {
        ent_a: app.reissue(&w.ent_a),
        dispatcher: app.reissue(&w.dispatcher),
        ..w
    };
    accepted(&app, &w, 1).await;
    housekeep(now + chrono::Duration::days(31));
    assert_eq!(unread(&app, &w.ent_a).await, 1);

    let keeping = spawn_app_with(backend, |s| s.notifications.messages_retention_days = 0).await;
    let w = keeping.world().await;
    accepted(&keeping, &w, 1).await;
    qiyeshao::background::housekeeping::housekeep(
        &keeping.db,
        &keeping.settings,
        now + chrono::Duration::days(3650),
    )
    .expect("housekeeping");
    assert_eq!(unread(&keeping, &w.ent_a).await, 1, "0 keeps them");
}

both_backends!(
    enterprise_hears_of_every_step,
    the_message_centre_is_each_users_own,
    a_failed_action_writes_no_message,
    the_default_progress_note_is_public,
);

crate::tests!(
    #[each_backend]
    each_event_can_be_turned_off,
    #[each_backend]
    in_app_messages_need_no_channel,
    #[each_backend]
    progress_notes_follow_the_configured_default,
    #[each_backend]
    old_messages_are_deleted_after_their_retention,
);
