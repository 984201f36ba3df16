//! The liaison program (千名干部进千企, issue 19): deputies (副联点干部) who visit and read
//! like the liaison cadre; photos on visits; the figures — coverage, visits per cadre,
//! requests per visit — by department and area, recounted here from the visits the test
//! recorded; campaigns (专项行动) with live progress against their target; the enterprise
//! profile (企业档案); and the pairing sheet, applied row by row with a report of the rows
//! refused and why.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, User, World, id_of};
use crate::stats::{at, fresh};

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

fn visit(enterprise: &str, day: &str, requests: Value) -> Value {
    json!({
        "enterprise_id": enterprise,
        "visited_on": day,
        "method": "on_site",
        "people": "总经理",
        "findings": "生产正常，反映了几件事。",
        "requests": requests,
    })
}

fn requests(w: &World, n: usize) -> Value {
    Value::Array(
        (0..n)
            .map(|i| {
                json!({"kind": "problem", "category_id": w.category,
                       "title": format!("走访收集的问题{i}"), "description": "需要协调。"})
            })
            .collect(),
    )
}

async fn record(app: &TestApp, who: &User, body: Value) -> Value {
    app.post("/api/v1/visits", Some(&who.token), body)
        .await
        .expect(201)
}

/// The enterprises of the figures' test: A (lead: the liaison, of department C; deputy: cadre
/// A, of department A), 丙 (lead: cadre A; 铜官), 丁 (lead: cadre B), 戊 (lead: cadre B;
/// 铜官); B has no liaison cadre.
struct District {
    w: World,
    e3: String,
    e4: String,
    e5: String,
}

async fn district(app: &TestApp) -> District {
    let w = app.world().await;
    app.clock.set(at("2026-11-22T10:00:00+08:00"));
    let w = fresh(app, &w);
    let e3 = app.make_enterprise("丙企业有限公司", 3, Some(&w.cadre_a.id));
    let e4 = app.make_enterprise("丁企业有限公司", 4, Some(&w.cadre_b.id));
    let e5 = app.make_enterprise("戊企业有限公司", 5, Some(&w.cadre_b.id));
    app.move_enterprise(&e3, "铜官", "新材料");
    app.move_enterprise(&e5, "铜官", "新材料");
    let a = app
        .patch(
            &format!("/api/v1/enterprises/{}", w.enterprise_a),
            Some(&w.admin.token),
            json!({"deputy_ids": [w.cadre_a.id]}),
        )
        .await
        .expect(200);
    assert_eq!(a["deputy_ids"], json!([w.cadre_a.id]));
    District { w, e3, e4, e5 }
}

/// The figures as the API gives them: totals and rows by key.
fn row<'a>(figures: &'a Value, key: &str) -> &'a Value {
    figures["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["key"] == key)
        .unwrap_or_else(|| panic!("no row {key} in {figures}"))
}

/// paired, visited, visits, cadres, visiting cadres, requests.
fn counts(f: &Value) -> [i64; 6] {
    [
        "paired",
        "visited",
        "visits",
        "cadres",
        "visiting_cadres",
        "requests",
    ]
    .map(|k| f[k].as_i64().unwrap_or(-1))
}

async fn deputies_visit_and_read_like_the_liaison(app: TestApp) {
    let District { w, e3, .. } = district(&app).await;
    // Bad deputies change nothing.
    for (bad, why) in [
        (json!([w.liaison.id]), "the liaison cadre"),
        (json!([w.cadre_a.id, w.cadre_a.id]), "twice"),
        (json!([w.ent_a.id]), "not a cadre"),
        (json!([w.dispatcher.id]), "not a cadre"),
    ] {
        let r = app
            .patch(
                &format!("/api/v1/enterprises/{}", w.enterprise_a),
                Some(&w.admin.token),
                json!({"deputy_ids": bad}),
            )
            .await;
        assert_eq!(r.status, 422, "{why}: {:?}", r.body);
        assert!(r.field("deputy_ids").is_some(), "{why}: {:?}", r.body);
    }
    // Only beside a liaison cadre: B has none.
    app.patch(
        &format!("/api/v1/enterprises/{}", w.enterprise_b),
        Some(&w.admin.token),
        json!({"deputy_ids": [w.cadre_a.id]}),
    )
    .await
    .expect_error(422, "validation_failed");
    // Only administrators pair.
    app.patch(
        &format!("/api/v1/enterprises/{}", w.enterprise_a),
        Some(&w.dispatcher.token),
        json!({"deputy_ids": []}),
    )
    .await
    .expect_error(403, "forbidden");
    let a = app
        .get(
            &format!("/api/v1/enterprises/{}", w.enterprise_a),
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    assert_eq!(a["deputy_ids"], json!([w.cadre_a.id]));

    // The deputy records a visit with a photo and a request filed on it.
    let photo = id_of(
        &app.post_file("/api/v1/attachments", &w.cadre_a.token, "走访.png", PNG)
            .await
            .expect(201),
    );
    let pdf = id_of(
        &app.post_file(
            "/api/v1/attachments",
            &w.cadre_a.token,
            "材料.pdf",
            b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n",
        )
        .await
        .expect(201),
    );
    let mut body = visit(&w.enterprise_a, "2026-11-20", requests(&w, 1));
    body["photo_ids"] = json!([pdf]);
    let r = app
        .post("/api/v1/visits", Some(&w.cadre_a.token), body.clone())
        .await;
    assert_eq!(r.status, 422, "{:?}", r.body);
    assert!(r.field("photo_ids").is_some(), "{:?}", r.body);
    assert_eq!(
        app.get("/api/v1/visits", Some(&w.admin.token))
            .await
            .expect(200)["items"],
        json!([])
    );
    body["photo_ids"] = json!([photo]);
    let v = record(&app, &w.cadre_a, body).await;
    assert_eq!(v["cadre_id"], w.cadre_a.id.as_str());
    assert_eq!(v["photos"][0]["id"], photo.as_str());
    assert_eq!(v["photos"][0]["visit_id"], v["id"]);
    let ticket = v["ticket_ids"][0].as_str().expect("ticket").to_string();
    // The photo goes to those who read the visit: the lead liaison, staff; not cadre B.
    for (user, status) in [
        (&w.admin, 200),
        (&w.dispatcher, 200),
        (&w.liaison, 200),
        (&w.cadre_a, 200),
        (&w.cadre_b, 404),
        (&w.ent_a, 404),
    ] {
        assert_eq!(
            app.get(&format!("/api/v1/attachments/{photo}"), Some(&user.token))
                .await
                .status,
            status
        );
    }
    // A photo linked once cannot be linked again.
    let mut again = visit(&w.enterprise_a, "2026-11-21", json!([]));
    again["photo_ids"] = json!([photo]);
    let r = app
        .post("/api/v1/visits", Some(&w.cadre_a.token), again)
        .await;
    assert_eq!(r.status, 422, "{:?}", r.body);
    // The deputy reads the enterprise, its requests (in the list too) and its visits; a
    // colleague of the deputy's department does not.
    app.get(&format!("/api/v1/tickets/{ticket}"), Some(&w.cadre_a.token))
        .await
        .expect(200);
    let listed = app
        .get(
            &format!("/api/v1/tickets?enterprise_id={}", w.enterprise_a),
            Some(&w.cadre_a.token),
        )
        .await
        .expect(200);
    assert!(
        listed["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|t| t["id"] == ticket.as_str()),
        "{listed}"
    );
    assert_ne!(
        app.get(
            &format!("/api/v1/tickets/{ticket}"),
            Some(&w.cadre_a2.token)
        )
        .await
        .status,
        200
    );
    app.get(
        &format!("/api/v1/enterprises/{}", w.enterprise_a),
        Some(&w.cadre_a.token),
    )
    .await
    .expect(200);
    app.get(
        &format!("/api/v1/enterprises/{}", w.enterprise_a),
        Some(&w.cadre_a2.token),
    )
    .await
    .expect_error(404, "not_found");
    // Their paired enterprises: 丙 as its liaison, A as its deputy.
    let mine = app
        .get("/api/v1/me/enterprises", Some(&w.cadre_a.token))
        .await
        .expect(200);
    let pairs: Vec<(String, bool)> = mine["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| {
            (
                e["id"].as_str().unwrap_or("").to_string(),
                e["deputy"].as_bool().unwrap_or(false),
            )
        })
        .collect();
    assert_eq!(pairs, [(e3.clone(), false), (w.enterprise_a.clone(), true)]);
    // Removing the liaison cadre removes the deputies.
    let a = app
        .patch(
            &format!("/api/v1/enterprises/{}", w.enterprise_a),
            Some(&w.admin.token),
            json!({"liaison_cadre_id": null}),
        )
        .await
        .expect(200);
    assert_eq!(a["deputy_ids"], json!([]));
    let mut late = visit(&w.enterprise_a, "2026-11-22", json!([]));
    late["people"] = json!("无");
    app.post("/api/v1/visits", Some(&w.cadre_a.token), late)
        .await
        .expect_error(403, "forbidden");
}

async fn figures_and_campaigns_recounted(app: TestApp) {
    let District { w, e3, e4, e5 } = district(&app).await;
    // The week of 16–22 November: the liaison at A with two requests; the deputy at A; cadre
    // A at 丙 with one; cadre B at B (no liaison cadre: a visit, not coverage), recorded by
    // the dispatcher; and cadre B at 丁 on the 10th, before the week.
    record(
        &app,
        &w.liaison,
        visit(&w.enterprise_a, "2026-11-16", requests(&w, 2)),
    )
    .await;
    record(
        &app,
        &w.cadre_a,
        visit(&w.enterprise_a, "2026-11-18", json!([])),
    )
    .await;
    record(&app, &w.cadre_a, visit(&e3, "2026-11-17", requests(&w, 1))).await;
    let mut by_dispatcher = visit(&w.enterprise_b, "2026-11-19", json!([]));
    by_dispatcher["cadre_id"] = json!(w.cadre_b.id);
    record(&app, &w.dispatcher, by_dispatcher).await;
    record(&app, &w.cadre_b, visit(&e4, "2026-11-10", json!([]))).await;

    let week = "/api/v1/stats/liaison?from=2026-11-16&to=2026-11-23";
    let f = app.get(week, Some(&w.admin.token)).await.expect(200);
    // Paired: A, 丙, 丁, 戊; visited in the week: A and 丙. Visits: four. Liaison cadres:
    // the liaison, cadre A (丙; deputy of A), cadre B (丁, 戊). Requests: three.
    assert_eq!(counts(&f["totals"]), [4, 2, 4, 3, 3, 3], "{f}");
    assert_eq!(f["totals"]["coverage"], 0.5);
    assert_eq!(f["totals"]["requests_per_visit"], 0.75);
    let per_cadre = f["totals"]["visits_per_cadre"].as_f64().expect("per cadre");
    assert!((per_cadre - 4.0 / 3.0).abs() < 1e-9, "{per_cadre}");
    // By department: an enterprise for its liaison cadre's, a visit for its cadre's.
    assert_eq!(counts(row(&f, &w.dept_a)), [1, 1, 2, 1, 1, 1], "{f}");
    assert_eq!(counts(row(&f, &w.dept_b)), [2, 0, 1, 1, 1, 0], "{f}");
    assert_eq!(counts(row(&f, &w.dept_c)), [1, 1, 1, 1, 1, 2], "{f}");
    assert_eq!(
        f["rows"][0]["key"],
        w.dept_b.as_str(),
        "lowest coverage first"
    );
    assert_eq!(f["rows"][0]["name"], "部门乙");
    let missing: Vec<&str> = f["not_visited"]
        .as_array()
        .expect("not visited")
        .iter()
        .map(|e| e["name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(missing, ["丁企业有限公司", "戊企业有限公司"]);
    // By area: everything for the enterprise's.
    let f = app
        .get(&format!("{week}&by=area"), Some(&w.admin.token))
        .await
        .expect(200);
    assert_eq!(counts(row(&f, "望城经开区")), [2, 1, 3, 3, 3, 2], "{f}");
    assert_eq!(counts(row(&f, "铜官")), [2, 1, 1, 2, 1, 1], "{f}");
    let f = app
        .get(
            &format!("{week}&area=铜官&by=industry_chain"),
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    assert_eq!(counts(&f["totals"]), [2, 1, 1, 2, 1, 1], "{f}");
    // A department head reads their department's; other cadres and enterprises nothing.
    app.patch(
        &format!("/api/v1/departments/{}", w.dept_b),
        Some(&w.admin.token),
        json!({"head_user_id": w.cadre_b.id}),
    )
    .await
    .expect(200);
    let w = fresh(&app, &w);
    let f = app.get(week, Some(&w.cadre_b.token)).await.expect(200);
    assert_eq!(counts(&f["totals"]), [2, 0, 1, 1, 1, 0], "{f}");
    assert_eq!(f["rows"].as_array().map(Vec::len), Some(1), "{f}");
    app.get(week, Some(&w.cadre_a2.token))
        .await
        .expect_error(403, "forbidden");
    app.get(week, Some(&w.ent_a.token))
        .await
        .expect_error(403, "forbidden");
    for bad in ["by=street", "from=2026-11-23&to=2026-11-16", "from=11/16"] {
        app.get(
            &format!("/api/v1/stats/liaison?{bad}"),
            Some(&w.admin.token),
        )
        .await
        .expect_error(400, "invalid_query");
    }

    // Campaigns: the district's for two weeks at half; 铜官's at all; one not started.
    let bad = app
        .post(
            "/api/v1/campaigns",
            Some(&w.admin.token),
            json!({"title": "走访", "starts_on": "2026-11-20", "ends_on": "2026-11-10"}),
        )
        .await;
    assert_eq!(bad.status, 422, "{:?}", bad.body);
    app.post(
        "/api/v1/campaigns",
        Some(&w.admin.token),
        json!({"title": "走访", "starts_on": "2026-11-16", "ends_on": "2026-11-29", "target_percent": 0}),
    )
    .await
    .expect_error(422, "validation_failed");
    app.post(
        "/api/v1/campaigns",
        Some(&w.dispatcher.token),
        json!({"title": "走访", "starts_on": "2026-11-16", "ends_on": "2026-11-29"}),
    )
    .await
    .expect_error(403, "forbidden");
    let open = |body: Value| {
        let app = &app;
        let token = w.admin.token.clone();
        async move {
            id_of(
                &app.post("/api/v1/campaigns", Some(&token), body)
                    .await
                    .expect(201),
            )
        }
    };
    let district_drive = open(
        json!({"title": "千名干部进千企·两周走访", "starts_on": "2026-11-16",
        "ends_on": "2026-11-29", "target_percent": 50}),
    )
    .await;
    let tongguan = open(json!({"title": "铜官片区走访", "starts_on": "2026-11-16",
        "ends_on": "2026-11-22", "area": "铜官"}))
    .await;
    let upcoming = open(json!({"title": "十二月走访", "starts_on": "2026-12-01",
        "ends_on": "2026-12-07"}))
    .await;
    let progress = |id: &str| {
        let app = &app;
        let path = format!("/api/v1/campaigns/{id}");
        let token = w.cadre_a2.token.clone();
        async move { app.get(&path, Some(&token)).await.expect(200) }
    };
    let p = progress(&district_drive).await;
    assert_eq!(
        (&p["state"], &p["counted_to"], &p["days_left"], &p["met"]),
        (
            &json!("running"),
            &json!("2026-11-22"),
            &json!(8),
            &json!(true)
        ),
        "{p}"
    );
    assert_eq!(counts(&p["totals"]), [4, 2, 4, 3, 3, 3], "{p}");
    assert_eq!(p["by_area"].as_array().map(Vec::len), Some(2), "{p}");
    assert_eq!(p["by_department"].as_array().map(Vec::len), Some(3), "{p}");
    let p = progress(&tongguan).await;
    assert_eq!(p["met"], false, "{p}");
    assert_eq!(counts(&p["totals"]), [2, 1, 1, 2, 1, 1], "{p}");
    assert_eq!(p["not_visited"][0]["id"], e5.as_str());
    assert_eq!(
        p["not_visited"][0]["liaison_cadre_id"],
        w.cadre_b.id.as_str()
    );
    assert_eq!(p["not_visited_total"], 1);
    let p = progress(&upcoming).await;
    assert_eq!(
        (&p["state"], &p["counted_to"], &p["totals"]["visited"]),
        (&json!("upcoming"), &Value::Null, &json!(0)),
        "{p}"
    );
    // Live: cadre B visits 戊 today, and 铜官's drive is met.
    record(&app, &w.cadre_b, visit(&e5, "2026-11-22", json!([]))).await;
    let p = progress(&tongguan).await;
    assert_eq!(p["met"], true, "{p}");
    assert_eq!(p["totals"]["coverage"], 1.0, "{p}");
    assert_eq!(p["not_visited"], json!([]));
    // Listed, the latest end first; enterprises read none.
    let list = app
        .get("/api/v1/campaigns", Some(&w.liaison.token))
        .await
        .expect(200);
    let ids: Vec<(&str, &str)> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap_or(""),
                c["state"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        ids,
        [
            (upcoming.as_str(), "upcoming"),
            (district_drive.as_str(), "running"),
            (tongguan.as_str(), "running")
        ]
    );
    app.get("/api/v1/campaigns", Some(&w.ent_a.token))
        .await
        .expect_error(403, "forbidden");
    app.get(
        &format!("/api/v1/campaigns/{upcoming}"),
        Some(&w.ent_a.token),
    )
    .await
    .expect_error(403, "forbidden");
    app.get("/api/v1/campaigns/nope", Some(&w.admin.token))
        .await
        .expect_error(404, "not_found");
    let audit = app
        .get("/api/v1/audit?action=campaign.", Some(&w.admin.token))
        .await
        .expect(200);
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(3), "{audit}");
}

async fn the_enterprise_profile(app: TestApp) {
    let District { w, .. } = district(&app).await;
    record(
        &app,
        &w.liaison,
        visit(&w.enterprise_a, "2026-11-16", requests(&w, 2)),
    )
    .await;
    record(
        &app,
        &w.cadre_a,
        visit(&w.enterprise_a, "2026-11-18", json!([])),
    )
    .await;
    let path = format!("/api/v1/enterprises/{}/profile", w.enterprise_a);
    let p = app.get(&path, Some(&w.liaison.token)).await.expect(200);
    assert_eq!(p["enterprise"]["name"], "甲企业有限公司");
    assert_eq!(p["liaison"]["id"], w.liaison.id.as_str());
    assert_eq!(p["liaison"]["name"], "liaison 的名字");
    assert_eq!(p["deputies"][0]["id"], w.cadre_a.id.as_str());
    assert_eq!(p["last_visit"], "2026-11-18");
    assert_eq!(p["visit_due"], false);
    let days: Vec<&str> = p["visits"]
        .as_array()
        .expect("visits")
        .iter()
        .map(|v| v["visited_on"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(days, ["2026-11-18", "2026-11-16"]);
    assert_eq!(p["visits"][0]["cadre_name"], "cadre.a 的名字");
    assert_eq!(p["requests"]["total"], 2);
    assert_eq!(p["requests"]["open"], 2);
    assert_eq!(p["requests"]["rated"], 0);
    assert_eq!(p["requests"]["satisfaction_rate"], Value::Null);
    assert_eq!(p["recent"].as_array().map(Vec::len), Some(2));
    // The deputy and staff read it; others do not.
    for user in [&w.cadre_a, &w.admin, &w.dispatcher] {
        app.get(&path, Some(&user.token)).await.expect(200);
    }
    app.get(&path, Some(&w.cadre_b.token))
        .await
        .expect_error(404, "not_found");
    app.get(&path, Some(&w.ent_a.token))
        .await
        .expect_error(403, "forbidden");
    // B has no liaison and no visit: due, and nothing to show.
    let b = app
        .get(
            &format!("/api/v1/enterprises/{}/profile", w.enterprise_b),
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    assert_eq!(
        (&b["liaison"], &b["deputies"], &b["visit_due"], &b["visits"]),
        (&Value::Null, &json!([]), &json!(true), &json!([]))
    );
}

async fn pairings_imported_row_by_row(app: TestApp) {
    let District { w, e3, e4, .. } = district(&app).await;
    let code = crate::helpers::credit_code;
    let (c3, c4, c2, c9) = (code(3), code(4), code(2), code(9));
    let sheet = crate::portal::workbook(
        &["统一社会信用代码", "联络干部", "副联络干部"],
        &[
            // 丙 to cadre B with cadre A and the liaison as deputies.
            vec![&c3, "cadre.b", "cadre.a、liaison"],
            // B (unpaired) to the liaison.
            vec![&c2, "liaison", ""],
            // Refused: unknown code; unknown cadre; deputy who is the lead; a repeated row;
            // an enterprise user as cadre.
            vec![&c9, "cadre.a", ""],
            vec![&c4, "nobody", ""],
            vec![&c4, "cadre.a", "cadre.a"],
            vec![&c3, "cadre.a", ""],
            vec![&c4, "ent.a", ""],
            vec!["", "cadre.a", ""],
        ],
    );
    let import = |dry: bool| {
        let app = &app;
        let token = w.admin.token.clone();
        let sheet = sheet.clone();
        async move {
            app.post_file(
                &format!("/api/v1/enterprises/pairings/import?dry_run={dry}"),
                &token,
                "联点安排.xlsx",
                &sheet,
            )
            .await
            .expect(200)
        }
    };
    let report = import(true).await;
    assert_eq!(
        (&report["rows"], &report["paired"], &report["dry_run"]),
        (&json!(8), &json!(2), &json!(true)),
        "{report}"
    );
    let refused: Vec<(i64, &str)> = report["refused"]
        .as_array()
        .expect("refused")
        .iter()
        .map(|e| {
            (
                e["row"].as_i64().unwrap_or(0),
                e["column"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        refused,
        [
            (4, "统一社会信用代码"),
            (5, "联络干部"),
            // A second row of 丁 (the first was refused too): the sheet must say once.
            (6, "统一社会信用代码"),
            (6, "副联络干部"),
            (7, "统一社会信用代码"),
            (8, "统一社会信用代码"),
            (8, "联络干部"),
            (9, "统一社会信用代码"),
        ],
        "{report}"
    );
    // Nothing written by the dry run.
    let e = app
        .get(&format!("/api/v1/enterprises/{e3}"), Some(&w.admin.token))
        .await
        .expect(200);
    assert_eq!(e["liaison_cadre_id"], w.cadre_a.id.as_str());
    // Imported: the good rows, and nothing of the refused ones.
    let report = import(false).await;
    assert_eq!(report["paired"], 2, "{report}");
    let e = app
        .get(&format!("/api/v1/enterprises/{e3}"), Some(&w.admin.token))
        .await
        .expect(200);
    assert_eq!(e["liaison_cadre_id"], w.cadre_b.id.as_str());
    let mut deputies: Vec<&str> = e["deputy_ids"]
        .as_array()
        .expect("deputies")
        .iter()
        .map(|d| d.as_str().unwrap_or(""))
        .collect();
    deputies.sort();
    let mut expected = [w.cadre_a.id.as_str(), w.liaison.id.as_str()];
    expected.sort();
    assert_eq!(deputies, expected);
    let b = app
        .get(
            &format!("/api/v1/enterprises/{}", w.enterprise_b),
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    assert_eq!(b["liaison_cadre_id"], w.liaison.id.as_str());
    let d = app
        .get(&format!("/api/v1/enterprises/{e4}"), Some(&w.admin.token))
        .await
        .expect(200);
    assert_eq!(d["liaison_cadre_id"], w.cadre_b.id.as_str());
    // Again: the same rows change nothing.
    let report = import(false).await;
    assert_eq!(report["unchanged"], 2, "{report}");
    // Not a workbook; not an administrator's to import.
    app.post_file(
        "/api/v1/enterprises/pairings/import",
        &w.admin.token,
        "x.xlsx",
        b"not a workbook",
    )
    .await
    .expect_error(400, "invalid_spreadsheet");
    app.post_file(
        "/api/v1/enterprises/pairings/import",
        &w.dispatcher.token,
        "x.xlsx",
        &sheet,
    )
    .await
    .expect_error(403, "forbidden");
    // The template is the header row.
    let t = crate::exports::download(&app, "/api/v1/enterprises/pairings-template.xlsx", &w.admin)
        .await;
    assert_eq!(t.status, 200);
    let sheets = crate::exports::sheets(&t.bytes);
    assert_eq!(crate::exports::text(&sheets[0].1[0][1]), "联络干部");
}

both_backends!(
    deputies_visit_and_read_like_the_liaison,
    figures_and_campaigns_recounted,
    the_enterprise_profile,
    pairings_imported_row_by_row
);
