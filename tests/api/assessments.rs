//! The monthly assessment's archive (每月评估, issue 19): archived once at the start of the next
//! month (also with two instances), unchanged by a later correction while the live figures
//! move; published again by an administrator with a note as a new version, the old kept;
//! the workbook as published or as a draft; what department heads, cadres and enterprises
//! may read; bad input.

use serde_json::{Value, json};

use crate::both_backends;
use crate::exports::{download, sheets, text};
use crate::helpers::TestApp;
use crate::stats::{at, build_period, fresh};

fn figure(book: &[(String, Vec<Vec<calamine::Data>>)], name: &str) -> String {
    book[0]
        .1
        .iter()
        .find(|r| text(&r[0]) == name)
        .map(|r| text(&r[1]))
        .unwrap_or_default()
}

async fn archived_once_and_kept_through_a_late_correction(app: TestApp) {
    let (w, tickets) = build_period(&app).await;
    // Still November: nothing to archive yet (October had nothing and is archived empty).
    app.clock.set(at("2026-12-01T09:00:00+08:00"));
    let first = app.scheduler.archive_assessment().await.expect("archive");
    let first = first.expect("November archived");
    assert_eq!(
        (
            first.month.as_str(),
            first.version,
            first.published_by.as_deref()
        ),
        ("2026-11", 1, None)
    );
    assert!(
        app.scheduler
            .archive_assessment()
            .await
            .expect("again")
            .is_none(),
        "once"
    );
    let w = fresh(&app, &w);
    let published = app
        .get("/api/v1/assessments/2026-11", Some(&w.admin.token))
        .await
        .expect(200);
    assert_eq!(published["version"], 1);
    assert_eq!(published["figures"]["summary"]["filed"], 10);
    let resolved_then = published["figures"]["summary"]["resolved"]
        .as_i64()
        .expect("resolved");
    assert_eq!(
        published["figures"]["ranking"][0]["department_id"],
        json!(w.dept_a)
    );
    assert!(published["figures"]["ranking"][0]["score"].is_number());
    // A late correction: ticket 5 (filed in November) resolved on 2 December.
    app.clock.set(at("2026-12-02T10:00:00+08:00"));
    let w = fresh(&app, &w);
    app.act(
        &w.cadre_a,
        &tickets[4],
        "resolve",
        json!({"resolution": "迟办结"}),
    )
    .await
    .expect(200);
    let live = app
        .get(
            "/api/v1/stats/summary?from=2026-11-01&to=2026-12-01",
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    assert_eq!(
        live["resolved"].as_i64(),
        Some(resolved_then + 1),
        "the live figures move"
    );
    let still = app
        .get("/api/v1/assessments/2026-11", Some(&w.admin.token))
        .await
        .expect(200);
    assert_eq!(
        still["figures"], published["figures"],
        "the published ones do not"
    );
    // The workbook as published (version 1), and as a draft computed now.
    let book = download(
        &app,
        "/api/v1/stats/assessment.xlsx?month=2026-11",
        &w.admin,
    )
    .await;
    assert_eq!(book.status, 200);
    assert!(book.disposition.contains("xlsx"), "{}", book.disposition);
    assert_eq!(
        figure(&sheets(&book.bytes), "办结量"),
        resolved_then.to_string()
    );
    let draft = download(
        &app,
        "/api/v1/stats/assessment.xlsx?month=2026-11&draft=true",
        &w.admin,
    )
    .await;
    assert_eq!(
        figure(&sheets(&draft.bytes), "办结量"),
        (resolved_then + 1).to_string()
    );
    // Published again: a note is required; then version 2, version 1 kept.
    let r = app
        .post(
            "/api/v1/assessments/2026-11/publish",
            Some(&w.admin.token),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 422, "{:?}", r.body);
    assert!(r.body["fields"].get("note").is_some(), "{:?}", r.body);
    let v2 = app
        .post(
            "/api/v1/assessments/2026-11/publish",
            Some(&w.admin.token),
            json!({"note": "12月2日补办结一件，重新发布"}),
        )
        .await
        .expect(201);
    assert_eq!(
        (&v2["version"], &v2["published_by"]),
        (&json!(2), &json!(w.admin.id))
    );
    assert_eq!(
        v2["figures"]["summary"]["resolved"].as_i64(),
        Some(resolved_then + 1)
    );
    // The administrator's publishing is in the audit log; the service's archive is not.
    let audit = app
        .get(
            "/api/v1/audit?action=assessment.publish",
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    let entries = audit["items"].as_array().expect("items");
    assert_eq!(entries.len(), 1, "{audit}");
    assert_eq!(
        (&entries[0]["target_id"], &entries[0]["actor_id"]),
        (&json!("2026-11"), &json!(w.admin.id))
    );
    let list = app
        .get("/api/v1/assessments", Some(&w.dispatcher.token))
        .await
        .expect(200);
    let versions: Vec<(String, i64)> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|v| {
            (
                v["month"].as_str().unwrap_or("").to_string(),
                v["version"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        versions,
        [("2026-11".to_string(), 2), ("2026-11".to_string(), 1)]
    );
    let old = app
        .get(
            "/api/v1/assessments/2026-11?version=1",
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    assert_eq!(old["figures"], published["figures"]);
    let book = download(
        &app,
        "/api/v1/stats/assessment.xlsx?month=2026-11&version=1",
        &w.admin,
    )
    .await;
    assert_eq!(
        figure(&sheets(&book.bytes), "办结量"),
        resolved_then.to_string()
    );
    let newest = download(
        &app,
        "/api/v1/stats/assessment.xlsx?month=2026-11",
        &w.admin,
    )
    .await;
    assert_eq!(
        figure(&sheets(&newest.bytes), "办结量"),
        (resolved_then + 1).to_string()
    );
}

async fn who_reads_what_and_bad_input(app: TestApp) {
    let (w, _) = build_period(&app).await;
    app.clock.set(at("2026-12-01T09:00:00+08:00"));
    app.scheduler
        .archive_assessment()
        .await
        .expect("archive")
        .expect("archived");
    app.set_head(&w.dept_a, &w.cadre_a2);
    app.set_head(&w.dept_b, &w.cadre_b);
    let w = fresh(&app, &w);
    // A head of department A: its row, no district summary.
    let a = app
        .get("/api/v1/assessments/2026-11", Some(&w.cadre_a2.token))
        .await
        .expect(200);
    let rows = a["figures"]["ranking"].as_array().expect("ranking");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["department_id"], json!(w.dept_a));
    assert!(a["figures"].get("summary").is_none(), "{}", a["figures"]);
    // A head of department B: nothing of A.
    let b = app
        .get("/api/v1/assessments/2026-11", Some(&w.cadre_b.token))
        .await
        .expect(200);
    assert_eq!(b["figures"]["ranking"], json!([]));
    assert_eq!(
        app.get("/api/v1/assessments", Some(&w.cadre_b.token))
            .await
            .status,
        200
    );
    // An archived workbook is not theirs (it holds every department's tickets).
    let r = download(
        &app,
        "/api/v1/stats/assessment.xlsx?month=2026-11&version=1",
        &w.cadre_b,
    )
    .await;
    assert_eq!(r.status, 400);
    // A cadre heading nothing, an enterprise: 403.
    for user in [&w.cadre_a, &w.ent_a] {
        assert_eq!(
            app.get("/api/v1/assessments", Some(&user.token))
                .await
                .status,
            403
        );
        assert_eq!(
            app.get("/api/v1/assessments/2026-11", Some(&user.token))
                .await
                .status,
            403
        );
    }
    // Only administrators publish; only months that have ended; a month that is a month.
    let r = app
        .post(
            "/api/v1/assessments/2026-11/publish",
            Some(&w.dispatcher.token),
            json!({"note": "x"}),
        )
        .await;
    assert_eq!(r.status, 403);
    for (month, field) in [
        ("2026-12", "month"),
        ("2026-13", "month"),
        ("11-2026", "month"),
    ] {
        let r = app
            .post(
                &format!("/api/v1/assessments/{month}/publish"),
                Some(&w.admin.token),
                json!({"note": "x"}),
            )
            .await;
        assert_eq!(r.status, 422, "{month}: {:?}", r.body);
        assert!(
            r.body["fields"].get(field).is_some(),
            "{month}: {:?}",
            r.body
        );
    }
    let r = app
        .post(
            "/api/v1/assessments/2026-11/publish",
            Some(&w.admin.token),
            json!({"note": "x", "extra": 1}),
        )
        .await;
    assert_eq!(r.status, 422, "{:?}", r.body);
    // Nothing was published by the refusals.
    let list: Value = app
        .get("/api/v1/assessments", Some(&w.admin.token))
        .await
        .expect(200);
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        app.get("/api/v1/assessments/2026-10", Some(&w.admin.token))
            .await
            .status,
        404
    );
    assert_eq!(
        app.get(
            "/api/v1/assessments/2026-11?version=7",
            Some(&w.admin.token)
        )
        .await
        .status,
        404
    );
}

async fn archived_once_by_two_instances(app: TestApp) {
    let _ = build_period(&app).await;
    let other = app.second_scheduler(app.settings.clone());
    app.clock.set(at("2026-12-01T09:00:00+08:00"));
    let (a, b) = tokio::join!(
        app.scheduler.archive_assessment(),
        other.archive_assessment()
    );
    let archived = [a.expect("a"), b.expect("b")].into_iter().flatten().count();
    assert_eq!(archived, 1);
    let versions = app
        .db
        .read(|c| qiyeshao::db::assessments::list(c).map_err(qiyeshao::error::AppError::from))
        .expect("list");
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].version, 1);
}

both_backends!(
    archived_once_and_kept_through_a_late_correction,
    who_reads_what_and_bad_input,
    archived_once_by_two_instances,
);
