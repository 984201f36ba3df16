//! `allowed_actions`: on a ticket in every status, for every user of the fixture, each action
//! it lists is accepted by the API (tried on a fresh ticket in that status) and each it leaves
//! out is refused without changing the ticket; lists and action answers carry the same.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, User, World};

/// Every action a ticket can be offered, with how to take it.
const ACTIONS: &[&str] = &[
    "accept",
    "reject",
    "assign",
    "sign",
    "return",
    "progress",
    "urge",
    "resolve",
    "revisit",
    "close",
    "withdraw",
    "comment",
    "extension_request",
    "extension_approve",
    "extension_deny",
    "merge",
    "unmerge",
];

/// The statuses (and a waiting extension request) a ticket is brought to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Submitted,
    Accepted,
    Assigned,
    InProgress,
    ExtensionWaiting,
    Resolved,
    Closed,
    Rejected,
    Withdrawn,
    Merged,
}

const STAGES: &[Stage] = &[
    Stage::Submitted,
    Stage::Accepted,
    Stage::Assigned,
    Stage::InProgress,
    Stage::ExtensionWaiting,
    Stage::Resolved,
    Stage::Closed,
    Stage::Rejected,
    Stage::Withdrawn,
    Stage::Merged,
];

fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_string()
}

/// Files a ticket as enterprise A and brings it to `stage`; returns its id.
async fn ticket_at(app: &TestApp, w: &World, stage: Stage) -> String {
    let t = id(&app.file(&w.ent_a, &w.category, "门前路灯不亮").await);
    let step = |user: &User, action: &'static str, body: Value| {
        let (user, t) = (user.clone(), t.clone());
        async move { app.act(&user, &t, action, body).await.expect(200) }
    };
    match stage {
        Stage::Submitted => {}
        Stage::Accepted => {
            step(&w.dispatcher, "accept", json!({})).await;
        }
        Stage::Rejected => {
            step(&w.dispatcher, "reject", json!({"reason": "不属于受理范围"})).await;
        }
        Stage::Withdrawn => {
            step(&w.ent_a, "withdraw", json!({})).await;
        }
        Stage::Merged => {
            let primary = accepted_primary(app, w).await;
            step(
                &w.dispatcher,
                "merge",
                json!({"primary": primary, "reason": "同一问题"}),
            )
            .await;
        }
        _ => {
            let assign = json!({"department_id": w.dept_a, "assignee_id": w.cadre_a.id});
            step(&w.dispatcher, "assign", assign).await;
        }
    }
    if matches!(
        stage,
        Stage::InProgress | Stage::ExtensionWaiting | Stage::Resolved | Stage::Closed
    ) {
        step(&w.cadre_a, "sign", json!({})).await;
    }
    if stage == Stage::ExtensionWaiting {
        app.post(
            &format!("/api/v1/tickets/{t}/extensions"),
            Some(&w.cadre_a.token),
            json!({"working_days": 2, "reason": "需协调供电公司"}),
        )
        .await
        .expect(201);
    }
    if matches!(stage, Stage::Resolved | Stage::Closed) {
        step(&w.cadre_a, "resolve", json!({"resolution": "已修复"})).await;
    }
    if stage == Stage::Closed {
        step(&w.ent_a, "revisit", json!({"rating": "satisfied"})).await;
    }
    t
}

/// An accepted request of enterprise B, to merge into.
async fn accepted_primary(app: &TestApp, w: &World) -> String {
    let primary = id(&app.file(&w.ent_b, &w.category, "门前路灯不亮").await);
    app.act(&w.dispatcher, &primary, "accept", json!({}))
        .await
        .expect(200);
    primary
}

/// Takes `action` on ticket `t` as `user`; returns the answer's status.
async fn take(app: &TestApp, w: &World, user: &User, t: &str, action: &str) -> u16 {
    let token = Some(user.token.as_str());
    let waiting = || async {
        let list = app
            .get(&format!("/api/v1/tickets/{t}/extensions"), token)
            .await;
        list.body["items"]
            .as_array()
            .and_then(|items| items.iter().find(|x| x["status"] == "pending"))
            .map(id)
            .unwrap_or_else(|| "0196f3a0-0000-7000-8000-000000000000".into())
    };
    let (path, body) = match action {
        "comment" => (
            format!("/api/v1/tickets/{t}/comments"),
            json!({"body": "补充现场照片"}),
        ),
        "extension_request" => (
            format!("/api/v1/tickets/{t}/extensions"),
            json!({"working_days": 2, "reason": "需协调"}),
        ),
        "extension_approve" => (
            format!("/api/v1/tickets/{t}/extensions/{}/approve", waiting().await),
            json!({}),
        ),
        "extension_deny" => (
            format!("/api/v1/tickets/{t}/extensions/{}/deny", waiting().await),
            json!({"reason": "理由不充分"}),
        ),
        workflow => {
            let body = match workflow {
                "reject" | "return" | "close" => json!({"reason": "原因"}),
                "assign" => json!({"department_id": w.dept_a, "assignee_id": w.cadre_a.id}),
                "progress" | "urge" => json!({"note": "进展"}),
                "resolve" => json!({"resolution": "已办结"}),
                "revisit" => json!({"rating": "satisfied"}),
                "unmerge" => json!({"reason": "不是同一问题"}),
                // Only those who route requests may merge: a primary for them (for anyone
                // else the refusal comes before the primary is looked at).
                "merge" if user.id == w.dispatcher.id || user.id == w.admin.id => {
                    json!({"primary": accepted_primary(app, w).await, "reason": "同一问题"})
                }
                "merge" => json!({"primary": t, "reason": "同一问题"}),
                _ => json!({}),
            };
            (format!("/api/v1/tickets/{t}/{workflow}"), body)
        }
    };
    app.post(&path, token, body).await.status
}

fn allowed_of(ticket: &Value) -> BTreeSet<String> {
    ticket["allowed_actions"]
        .as_array()
        .expect("allowed_actions")
        .iter()
        .map(|a| a.as_str().expect("a name").to_string())
        .collect()
}

async fn every_listed_action_is_accepted_and_every_other_refused(app: TestApp) {
    let w = app.world().await;
    let users: Vec<(&str, &User)> = vec![
        ("ent_a", &w.ent_a),
        ("ent_a2", &w.ent_a2),
        ("ent_b", &w.ent_b),
        ("cadre_a", &w.cadre_a),
        ("cadre_a2", &w.cadre_a2),
        ("cadre_b", &w.cadre_b),
        ("liaison", &w.liaison),
        ("dispatcher", &w.dispatcher),
        ("admin", &w.admin),
    ];
    let mut offered = 0;
    for &stage in STAGES {
        let t = ticket_at(&app, &w, stage).await;
        for (name, user) in &users {
            let seen = app
                .get(&format!("/api/v1/tickets/{t}"), Some(&user.token))
                .await;
            if seen.status == 404 {
                // Outside the reader's scope: nothing may be done, and it is not said why.
                for action in ACTIONS {
                    let status = take(&app, &w, user, &t, action).await;
                    assert_eq!(status, 404, "{stage:?} {name} {action}");
                }
                continue;
            }
            let ticket = seen.expect(200);
            let allowed = allowed_of(&ticket);
            // The list shows the same as the detail.
            let listed = app
                .get("/api/v1/tickets?limit=100", Some(&user.token))
                .await
                .expect(200);
            let item = listed["items"]
                .as_array()
                .expect("items")
                .iter()
                .find(|i| i["id"] == t.as_str())
                .expect("the ticket is listed");
            assert_eq!(
                allowed_of(item),
                allowed,
                "{stage:?} {name}: list and detail"
            );
            for action in ACTIONS {
                if allowed.contains(*action) {
                    // Taken on a ticket of its own, so that the others stay as they are.
                    let fresh = ticket_at(&app, &w, stage).await;
                    let status = take(&app, &w, user, &fresh, action).await;
                    assert!(
                        (200..300).contains(&status),
                        "{stage:?} {name} {action}: offered but answered {status}"
                    );
                    offered += 1;
                } else {
                    let status = take(&app, &w, user, &t, action).await;
                    assert!(
                        matches!(status, 403 | 404 | 409),
                        "{stage:?} {name} {action}: not offered but answered {status}"
                    );
                    let after = app.detail(&w.admin, &t).await;
                    assert_eq!(
                        after["version"], ticket["version"],
                        "{stage:?} {name} {action}: a refusal changed the ticket"
                    );
                }
            }
        }
    }
    // Each stage offers someone something, except the final ones' comments.
    assert!(offered >= 30, "only {offered} actions were offered in all");
}

async fn the_table_of_what_each_reader_may_do(app: TestApp) {
    let w = app.world().await;
    let set =
        |names: &[&str]| -> BTreeSet<String> { names.iter().map(|s| s.to_string()).collect() };
    let expect = |stage: Stage, user: &User| -> BTreeSet<String> {
        let staff_desk = |extra: &[&str]| {
            let mut s = set(extra);
            s.insert("comment".into());
            s
        };
        match (
            stage,
            user.id == w.ent_a.id,
            user.id == w.cadre_a.id,
            user.id == w.dispatcher.id,
        ) {
            (Stage::Submitted, true, _, _) => set(&["withdraw", "comment"]),
            (Stage::Submitted, _, _, true) => staff_desk(&["accept", "reject", "assign", "merge"]),
            (Stage::Accepted, true, _, _) => set(&["withdraw", "comment"]),
            (Stage::Accepted, _, _, true) => staff_desk(&["assign", "merge"]),
            (Stage::Assigned, true, _, _) => set(&["comment"]),
            (Stage::Assigned, _, true, _) => staff_desk(&["sign", "return", "extension_request"]),
            (Stage::Assigned, _, _, true) => staff_desk(&["assign", "urge"]),
            (Stage::InProgress, _, true, _) => {
                staff_desk(&["progress", "resolve", "extension_request"])
            }
            (Stage::ExtensionWaiting, _, true, _) => staff_desk(&["progress", "resolve"]),
            (Stage::ExtensionWaiting, _, _, true) => {
                staff_desk(&["assign", "urge", "extension_approve", "extension_deny"])
            }
            (Stage::Resolved, true, _, _) => set(&["revisit", "comment"]),
            (Stage::Resolved, _, _, true) => staff_desk(&["revisit", "close"]),
            (Stage::Closed | Stage::Rejected | Stage::Withdrawn, _, _, _) => set(&[]),
            (Stage::Merged, true, _, _) => set(&[]),
            (Stage::Merged, _, _, true) => set(&["unmerge"]),
            _ => unreachable!(),
        }
    };
    let cases: &[(Stage, &User)] = &[
        (Stage::Submitted, &w.ent_a),
        (Stage::Submitted, &w.dispatcher),
        (Stage::Accepted, &w.ent_a),
        (Stage::Accepted, &w.dispatcher),
        (Stage::Assigned, &w.ent_a),
        (Stage::Assigned, &w.cadre_a),
        (Stage::Assigned, &w.dispatcher),
        (Stage::InProgress, &w.cadre_a),
        (Stage::ExtensionWaiting, &w.cadre_a),
        (Stage::ExtensionWaiting, &w.dispatcher),
        (Stage::Resolved, &w.ent_a),
        (Stage::Resolved, &w.dispatcher),
        (Stage::Closed, &w.ent_a),
        (Stage::Closed, &w.dispatcher),
        (Stage::Rejected, &w.ent_a),
        (Stage::Withdrawn, &w.dispatcher),
        (Stage::Merged, &w.ent_a),
        (Stage::Merged, &w.dispatcher),
    ];
    for &(stage, user) in cases {
        let t = ticket_at(&app, &w, stage).await;
        let got = allowed_of(&app.detail(user, &t).await);
        assert_eq!(got, expect(stage, user), "{stage:?} {}", user.id);
    }
    // An action's answer carries what may be done next: signing offers progress.
    let t = ticket_at(&app, &w, Stage::Assigned).await;
    let signed = app.act(&w.cadre_a, &t, "sign", json!({})).await.expect(200);
    assert_eq!(
        allowed_of(&signed),
        set(&["progress", "resolve", "comment", "extension_request"])
    );
    // A rating closes the ticket, and with it the supplement (补充说明) the page used to keep.
    let t = ticket_at(&app, &w, Stage::Resolved).await;
    let rated = app
        .act(&w.ent_a, &t, "revisit", json!({"rating": "satisfied"}))
        .await
        .expect(200);
    assert_eq!(allowed_of(&rated), set(&[]));
    let r = app
        .post(
            &format!("/api/v1/tickets/{t}/comments"),
            Some(&w.ent_a.token),
            json!({"body": "再补充一点"}),
        )
        .await;
    r.expect_error(409, "illegal_transition");
}

both_backends!(
    every_listed_action_is_accepted_and_every_other_refused,
    the_table_of_what_each_reader_may_do
);
