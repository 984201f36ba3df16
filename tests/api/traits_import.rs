//! Importing enterprises' information (送政策, issue 20) from a sheet: row by row, each refused
//! row reported and changing nothing, the good rows written verified, a dry run writing
//! nothing, the policies an enterprise newly fits pushed to it; administrators and
//! dispatchers only; the template and its signed link.

use serde_json::{Value, json};

use crate::both_backends;
use crate::exports::{download, sheets, text};
use crate::helpers::{TestApp, User, World, credit_code, id_of};

const HEADER: [&str; 7] = [
    "统一社会信用代码",
    "规上/规下",
    "企业规模",
    "企业资质",
    "从业人数",
    "营业收入",
    "成立日期",
];

/// A cell of the test's sheet.
enum Cell<'a> {
    Text(&'a str),
    /// A date cell, as Excel writes one typed into a date-formatted column.
    Date(u16, u8, u8),
}

fn sheet(rows: &[Vec<Cell<'_>>]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let page = book.add_worksheet();
    let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    for (c, h) in (0u16..).zip(HEADER) {
        page.write_string(0, c, h).unwrap();
    }
    for (r, row) in (1u32..).zip(rows) {
        for (c, cell) in (0u16..).zip(row) {
            match cell {
                Cell::Text("") => {}
                Cell::Text(v) => {
                    page.write_string(r, c, *v).unwrap();
                }
                Cell::Date(y, m, d) => {
                    let day = rust_xlsxwriter::ExcelDateTime::from_ymd(*y, *m, *d).unwrap();
                    page.write_datetime_with_format(r, c, &day, &date).unwrap();
                }
            }
        }
    }
    book.save_to_buffer().unwrap()
}

fn row<'a>(cells: [&'a str; 7]) -> Vec<Cell<'a>> {
    cells.into_iter().map(Cell::Text).collect()
}

async fn qualification(app: &TestApp, who: &User, name: &str) -> String {
    let list = app
        .get("/api/v1/policy-terms?kind=qualification", Some(&who.token))
        .await
        .expect(200);
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .map(|t| t["id"].as_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("no qualification {name} in {list}"))
}

async fn traits(app: &TestApp, w: &World, id: &str) -> Value {
    app.get(
        &format!("/api/v1/enterprises/{id}/traits"),
        Some(&w.admin.token),
    )
    .await
    .expect(200)
}

/// What an enterprise's information states (an enterprise just made has a row stating
/// nothing: its industry chain and area are for matching to look at).
fn stated(t: &Value) -> [Value; 6] {
    [
        "scale",
        "size",
        "qualification_ids",
        "employees",
        "revenue_band",
        "founded_on",
    ]
    .map(|k| t[k].clone())
}

const NOTHING: [Value; 6] = [
    Value::Null,
    Value::Null,
    Value::Null,
    Value::Null,
    Value::Null,
    Value::Null,
];

/// The policies pushed to `user`, by id.
async fn pushed(app: &TestApp, user: &User) -> Vec<String> {
    let messages = app
        .get("/api/v1/messages?limit=100", Some(&user.token))
        .await
        .expect(200);
    messages["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["event"] == "policy_pushed")
        .map(|m| m["policy_id"].as_str().unwrap().to_string())
        .collect()
}

async fn traits_imported_row_by_row(app: TestApp) {
    let w = app.world().await;
    let high_tech = qualification(&app, &w.admin, "高新技术企业").await;
    let code = credit_code;
    // 丙 to 辛: enterprises 3 to 8; code 19 is no enterprise's.
    let mut made = vec![String::new(); 9];
    for (n, name) in [
        (3, "丙企业有限公司"),
        (4, "丁企业有限公司"),
        (5, "戊企业有限公司"),
        (6, "己企业有限公司"),
        (7, "庚企业有限公司"),
        (8, "辛企业有限公司"),
    ] {
        made[n as usize] = app.make_enterprise(name, n, None);
    }
    // B says it is below the designated size: the policy for 规上 高新技术企业 plainly does not
    // fit it. A says how many it employs itself (unverified until staff confirm).
    app.patch(
        &format!("/api/v1/enterprises/{}/traits", w.enterprise_b),
        Some(&w.admin.token),
        json!({"scale": "below"}),
    )
    .await
    .expect(200);
    let own = app
        .patch(
            &format!("/api/v1/enterprises/{}/traits", w.enterprise_a),
            Some(&w.ent_a.token),
            json!({"employees": 30}),
        )
        .await
        .expect(200);
    assert_eq!(own["verified"], false);
    let industry = "0193f000-0000-7000-8000-000000000101";
    let draft = app
        .post(
            "/api/v1/policies",
            Some(&w.admin.token),
            json!({
                "title": "高新技术企业认定奖励",
                "department_id": w.dept_a,
                "field_id": industry,
                "summary": "对新认定的规上高新技术企业给予奖励。",
                "full_text": "第一条 对新认定的规上高新技术企业给予奖励。",
                "how_to_apply": "网上申报",
                "contact": "0731-88000000",
                "benefit": {"kind": "amount", "amount_fen": 10_000_000, "description": "最高 10 万元"},
                "criteria": {"scales": ["above"], "qualification_ids": [high_tech]},
            }),
        )
        .await
        .expect(201);
    let policy = id_of(&draft);
    app.post(
        &format!("/api/v1/policies/{policy}/publish"),
        Some(&w.admin.token),
        json!({}),
    )
    .await
    .expect(200);
    app.scheduler.push_policies().await.expect("push");
    assert!(!pushed(&app, &w.ent_b).await.contains(&policy));

    let (c1, c2, c3, c4, c5, c6, c7, c8, c19) = (
        code(1),
        code(2),
        code(3),
        code(4),
        code(5),
        code(6),
        code(7),
        code(8),
        code(19),
    );
    let mut bad_check = code(4);
    bad_check.pop();
    bad_check.push(if code(4).ends_with('0') { '1' } else { '0' });
    let mut rows = vec![
        // 2: B, every column: now 规上 and 高新 — it fits the policy.
        row([
            &c2,
            "规上",
            "小型",
            "高新技术企业",
            "80",
            "500万-2000万",
            "2015-06-01",
        ]),
        // 3: A confirmed (30, as it said) and founded, from a date cell; the rest left.
        vec![
            Cell::Text(&c1),
            Cell::Text(""),
            Cell::Text(""),
            Cell::Text(""),
            Cell::Text("30"),
            Cell::Text(""),
            Cell::Date(2012, 3, 15),
        ],
        // 4: 丙, no qualification at all.
        row([&c3, "规下", "微型企业", "无", "", "100万以下", ""]),
    ];
    for refused in [
        // 5: no such enterprise; 6: a wrong check character; 7: 丙 again.
        [&c19, "规上", "", "", "", "", ""],
        [&bad_check, "规上", "", "", "", "", ""],
        [&c3, "规上", "", "", "", "", ""],
        // 8: an unknown size (its good 规上 is not written either); 9: an unknown
        // qualification; 10: not a number; 11: not a band; 12: a year is not a date;
        // 13: an unknown scale and a date after today.
        [&c4, "规上", "特大型", "", "", "", ""],
        [&c5, "", "", "高新技术企业、小巨人", "", "", ""],
        [&c6, "", "", "", "很多", "", ""],
        [&c7, "", "", "", "", "5亿", ""],
        [&c8, "", "", "", "", "", "2015"],
        [&c8, "规中", "", "", "", "", "2999-01-01"],
        // 14: no credit code.
        ["", "规上", "", "", "", "", ""],
    ] {
        rows.push(row(refused));
    }
    let book = sheet(&rows);
    let import = |dry: bool, who: &User| {
        let (app, book, token) = (&app, book.clone(), who.token.clone());
        async move {
            app.post_file(
                &format!("/api/v1/enterprises/traits/import?dry_run={dry}"),
                &token,
                "企业信息.xlsx",
                &book,
            )
            .await
            .expect(200)
        }
    };

    // The dry run: the report, and nothing written.
    let report = import(true, &w.dispatcher).await;
    assert_eq!(
        (
            &report["rows"],
            &report["updated"],
            &report["unchanged"],
            &report["dry_run"]
        ),
        (&json!(13), &json!(3), &json!(0), &json!(true)),
        "{report}"
    );
    let refused: Vec<(i64, &str)> = report["refused"]
        .as_array()
        .expect("refused")
        .iter()
        .map(|e| (e["row"].as_i64().unwrap(), e["column"].as_str().unwrap()))
        .collect();
    assert_eq!(
        refused,
        [
            (5, "统一社会信用代码"),
            (6, "统一社会信用代码"),
            (7, "统一社会信用代码"),
            (8, "企业规模"),
            (9, "企业资质"),
            (10, "从业人数"),
            (11, "营业收入"),
            (12, "成立日期"),
            // 辛 again (its first row was refused too): the sheet must say it once.
            (13, "统一社会信用代码"),
            (13, "规上/规下"),
            (13, "成立日期"),
            (14, "统一社会信用代码"),
        ],
        "{report}"
    );
    let message = |row: i64, column: &str| -> String {
        report["refused"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["row"] == row && e["column"] == column)
            .map(|e| e["message"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert!(message(5, "统一社会信用代码").contains("no enterprise has the credit code"));
    assert!(message(6, "统一社会信用代码").contains("check character"));
    assert_eq!(
        message(7, "统一社会信用代码"),
        "the same enterprise as row 4"
    );
    assert_eq!(
        message(8, "企业规模"),
        "特大型 is not one of 大型、中型、小型、微型"
    );
    let unknown = message(9, "企业资质");
    assert!(
        unknown.starts_with("no qualification is named 小巨人;")
            && unknown.contains("高新技术企业"),
        "{unknown}"
    );
    assert!(message(11, "营业收入").contains("100万以下、100万–500万"));
    assert_eq!(message(13, "成立日期"), "2999-01-01 is after today");
    assert_eq!(message(14, "统一社会信用代码"), "is required");
    assert_eq!(traits(&app, &w, &w.enterprise_b).await["scale"], "below");
    assert_eq!(traits(&app, &w, &w.enterprise_a).await["verified"], false);
    assert_eq!(stated(&traits(&app, &w, &made[3]).await), NOTHING);

    // Imported by a dispatcher: the good rows, verified, and nothing of the refused ones.
    let report = import(false, &w.dispatcher).await;
    assert_eq!(
        (&report["updated"], &report["unchanged"], &report["dry_run"]),
        (&json!(3), &json!(0), &json!(false)),
        "{report}"
    );
    assert_eq!(report["refused"].as_array().unwrap().len(), 12);
    let b = traits(&app, &w, &w.enterprise_b).await;
    assert_eq!(
        (
            &b["scale"],
            &b["size"],
            &b["qualification_ids"],
            &b["employees"],
            &b["revenue_band"],
            &b["founded_on"]
        ),
        (
            &json!("above"),
            &json!("small"),
            &json!([high_tech]),
            &json!(80),
            &json!("upto20m"),
            &json!("2015-06-01")
        ),
        "{b}"
    );
    assert_eq!(
        (&b["verified"], &b["verified_by"], &b["updated_by"]),
        (
            &json!(true),
            &json!(w.dispatcher.id),
            &json!(w.dispatcher.id)
        )
    );
    let a = traits(&app, &w, &w.enterprise_a).await;
    assert_eq!(
        (
            &a["employees"],
            &a["founded_on"],
            &a["verified"],
            &a["scale"]
        ),
        (&json!(30), &json!("2012-03-15"), &json!(true), &Value::Null),
        "{a}"
    );
    let c = traits(&app, &w, &made[3]).await;
    assert_eq!(
        (
            &c["scale"],
            &c["size"],
            &c["qualification_ids"],
            &c["revenue_band"],
            &c["employees"],
            &c["verified"]
        ),
        (
            &json!("below"),
            &json!("micro"),
            &json!([]),
            &json!("below1m"),
            &Value::Null,
            &json!(true)
        ),
        "{c}"
    );
    for refused in &made[4..=8] {
        let t = traits(&app, &w, refused).await;
        assert_eq!(stated(&t), NOTHING, "a refused row wrote nothing: {t}");
    }
    // B now fits the policy: the push tells it.
    app.scheduler.push_policies().await.expect("push");
    assert_eq!(
        pushed(&app, &w.ent_b)
            .await
            .iter()
            .filter(|p| **p == policy)
            .count(),
        1
    );
    // Audited with its counts.
    let audit = app
        .get(
            "/api/v1/audit?action=enterprise.traits_import",
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    let entries = audit["items"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "the dry run is not audited: {audit}");
    assert_eq!(
        entries[0]["detail"],
        json!({"rows": 13, "updated": 3, "refused": 10})
    );
    assert_eq!(entries[0]["actor_id"], w.dispatcher.id.as_str());

    // Again, by an administrator: the same rows change nothing.
    let report = import(false, &w.admin).await;
    assert_eq!(
        (&report["updated"], &report["unchanged"]),
        (&json!(0), &json!(3)),
        "{report}"
    );

    // Neither a cadre nor an enterprise imports, or has the template.
    for who in [&w.cadre_a, &w.liaison, &w.ent_a] {
        app.post_file(
            "/api/v1/enterprises/traits/import",
            &who.token,
            "企业信息.xlsx",
            &book,
        )
        .await
        .expect_error(403, "forbidden");
        let t = download(&app, "/api/v1/enterprises/traits-template.xlsx", who).await;
        assert_eq!(t.status, 403);
    }
    // Not a workbook; a sheet without the credit code column.
    app.post_file(
        "/api/v1/enterprises/traits/import",
        &w.admin.token,
        "x.xlsx",
        b"not a workbook",
    )
    .await
    .expect_error(400, "invalid_spreadsheet");
    let headless = crate::portal::workbook(&["企业规模"], &[vec!["小型"]]);
    app.post_file(
        "/api/v1/enterprises/traits/import",
        &w.admin.token,
        "x.xlsx",
        &headless,
    )
    .await
    .expect_error(400, "invalid_spreadsheet");
}

async fn the_traits_template(app: TestApp) {
    let w = app.world().await;
    let t = download(
        &app,
        "/api/v1/enterprises/traits-template.xlsx",
        &w.dispatcher,
    )
    .await;
    assert_eq!(t.status, 200);
    assert!(
        t.disposition.contains("traits-template.xlsx"),
        "{}",
        t.disposition
    );
    let book = sheets(&t.bytes);
    // The sheet to fill in first (the import reads the first), its header only.
    let header: Vec<String> = book[0].1[0].iter().map(text).collect();
    assert_eq!(header, HEADER);
    assert_eq!(book[0].1.len(), 1, "no example row to import by mistake");
    // The notes say what each column takes, the qualifications kept now among them.
    assert_eq!(book[1].0, "填写说明");
    let notes: Vec<String> = book[1].1.iter().flatten().map(text).collect();
    for said in [
        "高新技术企业",
        "100万–500万",
        "大型、中型、小型、微型",
        "无",
    ] {
        assert!(notes.iter().any(|n| n.contains(said)), "{said}: {notes:?}");
    }
    // The example's credit code is well formed.
    let example = book[1]
        .1
        .iter()
        .find(|r| text(&r[0]) == "统一社会信用代码")
        .map(|r| text(&r[3]))
        .unwrap();
    assert!(
        qiyeshao::domain::credit_code::normalize(&example).is_ok(),
        "{example}"
    );
    // Through a signed link too (as the page saves it), for the dispatcher and not a cadre.
    for (who, status) in [(&w.dispatcher, 200), (&w.cadre_a, 403)] {
        let link = app
            .post(
                "/api/v1/downloads",
                Some(&who.token),
                json!({"path": "/api/v1/enterprises/traits-template.xlsx"}),
            )
            .await
            .expect(200);
        let res = app
            .client
            .get(app.url(link["url"].as_str().unwrap()))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), status);
    }
}

both_backends!(traits_imported_row_by_row, the_traits_template);
