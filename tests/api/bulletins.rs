//! The weekly bulletin (每周通报, issue 19): drafted once for the week before (also with two
//! instances), reviewed — the foreword and typical cases edited, the figures recounted —
//! published with the year's number, and from then on unchanged by a later correction and
//! refused any change; the department heads told; its Word document and workbook opened with
//! readers of their own (zip and an XML parser; calamine) and their contents checked; who may
//! read and do what; bad input changing nothing.

use std::io::{Cursor, Read};

use qiyeshao::db::Db;
use qiyeshao::db::notifications::{self, NotificationFilter, NotificationRow};
use qiyeshao::domain::notification::{MessageTopic, NotifyChannel};
use serde_json::json;

use crate::both_backends;
use crate::exports::{download, sheets, text};
use crate::helpers::{TestApp, id_of};
use crate::stats::{at, build_period, fresh};

fn told(db: &Db) -> Vec<NotificationRow> {
    db.read(|c| {
        notifications::list(
            c,
            &NotificationFilter {
                event: Some(MessageTopic::Bulletin),
                ..Default::default()
            },
            1000,
        )
        .map_err(qiyeshao::error::AppError::from)
    })
    .expect("notifications")
}

/// A .docx read as Word reads it: the package's parts, then the paragraphs' text in order
/// (each table cell a paragraph of its own) and the tables' rows.
struct Docx {
    paragraphs: Vec<String>,
    tables: Vec<Vec<Vec<String>>>,
}

fn part(bytes: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip package");
    let mut out = String::new();
    zip.by_name(name)
        .unwrap_or_else(|_| panic!("the package has {name}"))
        .read_to_string(&mut out)
        .expect("utf-8");
    out
}

const W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

fn text_of(node: roxmltree::Node<'_, '_>) -> String {
    node.descendants()
        .filter(|n| n.has_tag_name((W, "t")))
        .filter_map(|n| n.text())
        .collect()
}

fn read_docx(bytes: &[u8]) -> Docx {
    let types = part(bytes, "[Content_Types].xml");
    assert!(
        types.contains("wordprocessingml.document.main+xml"),
        "{types}"
    );
    let rels = part(bytes, "_rels/.rels");
    let rels = roxmltree::Document::parse(&rels).expect("rels");
    let main = rels
        .descendants()
        .find(|n| {
            n.attribute("Type")
                .is_some_and(|t| t.ends_with("/officeDocument"))
        })
        .and_then(|n| n.attribute("Target"))
        .expect("the main part named")
        .to_string();
    let xml = part(bytes, &main);
    let doc = roxmltree::Document::parse(&xml).expect("document.xml parses");
    let body = doc
        .root_element()
        .children()
        .find(|n| n.has_tag_name((W, "body")))
        .expect("a body");
    let paragraphs = body
        .descendants()
        .filter(|n| n.has_tag_name((W, "p")))
        .map(text_of)
        .filter(|t| !t.is_empty())
        .collect();
    let tables = body
        .children()
        .filter(|n| n.has_tag_name((W, "tbl")))
        .map(|t| {
            t.children()
                .filter(|r| r.has_tag_name((W, "tr")))
                .map(|r| {
                    r.children()
                        .filter(|c| c.has_tag_name((W, "tc")))
                        .map(text_of)
                        .collect()
                })
                .collect()
        })
        .collect();
    Docx { paragraphs, tables }
}

async fn drafted_reviewed_published_and_kept(app: TestApp) {
    let (w, tickets) = build_period(&app).await;
    app.set_head(&w.dept_a, &w.cadre_a);
    app.set_contact(
        &w.cadre_a,
        Some("13900000011"),
        Some("head.a@example.gov.cn"),
    );
    // Tuesday 10 November: the week of Monday 2 November is due (drafted from Monday 09:00).
    app.clock.set(at("2026-11-10T10:00:00+08:00"));
    let w = fresh(&app, &w);
    let drafted = app.scheduler.draft_bulletin().await.expect("draft");
    let drafted = drafted.expect("the week drafted");
    assert_eq!(
        (
            drafted.row.period_from.as_str(),
            drafted.row.period_to.as_str()
        ),
        ("2026-11-02", "2026-11-08")
    );
    assert!(
        app.scheduler
            .draft_bulletin()
            .await
            .expect("again")
            .is_none(),
        "once"
    );
    let other = app.second_scheduler(app.settings.clone());
    assert!(
        other.draft_bulletin().await.expect("other").is_none(),
        "once, whichever instance"
    );
    let id = drafted.row.id.clone();

    // Only administrators see the draft.
    let list = app
        .get("/api/v1/bulletins", Some(&w.admin.token))
        .await
        .expect(200);
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(list["items"][0]["status"], "draft");
    for reader in [&w.dispatcher, &w.cadre_a] {
        let theirs = app
            .get("/api/v1/bulletins", Some(&reader.token))
            .await
            .expect(200);
        assert_eq!(theirs["items"], json!([]));
        app.get(&format!("/api/v1/bulletins/{id}"), Some(&reader.token))
            .await
            .expect_error(404, "not_found");
    }

    // The figures, against what build_period filed: ten requests that week, six of them
    // assigned to department A; number 5 overdue, as the list's own filter counts.
    let draft = app
        .get(&format!("/api/v1/bulletins/{id}"), Some(&w.admin.token))
        .await
        .expect(200);
    let f = &draft["figures"];
    assert_eq!(
        (f["week"]["filed"].as_u64(), f["year"]["filed"].as_u64()),
        (Some(10), Some(10))
    );
    assert_eq!(f["year_from"], "2026-01-01");
    assert_eq!(f["departments"][0]["name"], "部门甲");
    assert_eq!(f["departments"][0]["week"]["filed"], 6);
    let overdue_listed = app
        .get(
            "/api/v1/tickets?overdue=true&limit=100",
            Some(&w.admin.token),
        )
        .await
        .expect(200);
    let overdue_numbers: Vec<&str> = overdue_listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|t| t["number"].as_str())
        .collect();
    assert!(!overdue_numbers.is_empty());
    assert_eq!(
        f["overdue_count"].as_u64(),
        Some(overdue_numbers.len() as u64)
    );
    let mut in_bulletin: Vec<&str> = f["overdue"]
        .as_array()
        .expect("overdue")
        .iter()
        .filter_map(|o| o["number"].as_str())
        .collect();
    let mut expected = overdue_numbers.clone();
    in_bulletin.sort_unstable();
    expected.sort_unstable();
    assert_eq!(in_bulletin, expected);
    assert!(
        f["overdue"].as_array().expect("overdue").iter().all(|o| {
            o["department"] == "部门甲"
                && o["assignee"].is_string()
                && o["overdue_days"].as_u64() >= Some(1)
        }),
        "{}",
        f["overdue"]
    );
    assert_eq!(
        f["red"].as_array().map(Vec::len),
        Some(0),
        "one ranked department: on neither list"
    );

    // Edited: a stale version is refused; an unknown case changes nothing.
    let version = draft["version"].as_i64().expect("version");
    let number7 = app
        .get(
            &format!("/api/v1/tickets/{}", tickets[6]),
            Some(&w.admin.token),
        )
        .await
        .expect(200)["number"]
        .as_str()
        .expect("number")
        .to_string();
    app.patch(
        &format!("/api/v1/bulletins/{id}"),
        Some(&w.admin.token),
        json!({"version": version + 5, "foreword": "x"}),
    )
    .await
    .expect_error(409, "concurrent_update");
    let bad = app
        .patch(
            &format!("/api/v1/bulletins/{id}"),
            Some(&w.admin.token),
            json!({"version": version, "foreword": "不该留下", "cases": [{"ticket": number7, "note": "好"}, {"ticket": "QY-NOPE", "note": ""}]}),
        )
        .await;
    assert_eq!(bad.status, 422, "{:?}", bad.body);
    assert!(bad.field("cases[1].ticket").is_some(), "{:?}", bad.body);
    let edited = app
        .patch(
            &format!("/api/v1/bulletins/{id}"),
            Some(&w.admin.token),
            json!({"version": version, "foreword": "现将上周企业诉求办理情况通报如下。",
                   "cases": [{"ticket": number7, "note": "两小时内修复，企业满意。"}]}),
        )
        .await
        .expect(200);
    assert_eq!(edited["version"].as_i64(), Some(version + 1));
    assert_eq!(edited["cases"][0]["title"], "七");
    assert_eq!(edited["cases"][0]["department"], "部门甲");
    assert_eq!(edited["cases"][0]["status_label"], "已销号");
    assert_eq!(
        edited["figures"], draft["figures"],
        "not recounted unless asked"
    );

    // Recounted after number 5 is resolved: one fewer overdue.
    let w = fresh(&app, &w);
    app.act(
        &w.cadre_a,
        &tickets[4],
        "resolve",
        json!({"resolution": "已处理"}),
    )
    .await
    .expect(200);
    let recounted = app
        .patch(
            &format!("/api/v1/bulletins/{id}"),
            Some(&w.admin.token),
            json!({"version": version + 1, "recount": true}),
        )
        .await
        .expect(200);
    assert_eq!(
        recounted["figures"]["overdue_count"].as_u64(),
        Some(overdue_numbers.len() as u64 - 1)
    );
    assert_eq!(
        recounted["foreword"], edited["foreword"],
        "the foreword kept"
    );

    // Published: the year's first number.
    let version = recounted["version"].as_i64().expect("version");
    app.post(
        &format!("/api/v1/bulletins/{id}/publish"),
        Some(&w.admin.token),
        json!({"version": version - 1}),
    )
    .await
    .expect_error(409, "concurrent_update");
    let published = app
        .post(
            &format!("/api/v1/bulletins/{id}/publish"),
            Some(&w.admin.token),
            json!({"version": version}),
        )
        .await
        .expect(200);
    assert_eq!(
        (
            &published["status"],
            &published["issue"],
            &published["number"]
        ),
        (&json!("published"), &json!("〔2026〕第1期"), &json!(1))
    );
    // Immutable: no change, no second publishing; a late correction leaves it as it was.
    app.patch(
        &format!("/api/v1/bulletins/{id}"),
        Some(&w.admin.token),
        json!({"version": published["version"], "foreword": "改"}),
    )
    .await
    .expect_error(409, "already_published");
    app.post(
        &format!("/api/v1/bulletins/{id}/publish"),
        Some(&w.admin.token),
        json!({"version": published["version"]}),
    )
    .await
    .expect_error(409, "already_published");
    app.act(
        &w.cadre_a,
        &tickets[9],
        "resolve",
        json!({"resolution": "补充答复"}),
    )
    .await
    .expect(200);
    let w = fresh(&app, &w);
    let later = app
        .get(&format!("/api/v1/bulletins/{id}"), Some(&w.cadre_a.token))
        .await
        .expect(200);
    assert_eq!(later["figures"], published["figures"]);
    assert_eq!(later["cases"], published["cases"]);
    assert_eq!(later["foreword"], published["foreword"]);
    let theirs = app
        .get("/api/v1/bulletins", Some(&w.dispatcher.token))
        .await
        .expect(200);
    assert_eq!(theirs["items"][0]["issue"], "〔2026〕第1期");

    // The head of department A is told, by e-mail and SMS, with the link.
    let rows = told(&app.db);
    let mail: Vec<&NotificationRow> = rows
        .iter()
        .filter(|r| r.channel == NotifyChannel::Email)
        .collect();
    assert_eq!(mail.len(), 1, "{rows:?}");
    assert_eq!(mail[0].recipient, "head.a@example.gov.cn");
    assert!(
        mail[0]
            .subject
            .as_deref()
            .is_some_and(|s| s.contains("〔2026〕第1期")),
        "{:?}",
        mail[0].subject
    );
    assert!(
        mail[0].body.contains("2026年11月2日—11月8日"),
        "{}",
        mail[0].body
    );
    let sms: Vec<&NotificationRow> = rows
        .iter()
        .filter(|r| r.channel == NotifyChannel::Sms)
        .collect();
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].recipient, "13900000011");
    assert!(
        sms[0].body.contains(&format!("#/bulletins/{id}")),
        "{}",
        sms[0].body
    );

    // The Word document, read independently: the masthead, issue, title, foreword, the
    // sections and their tables.
    let doc = download(
        &app,
        &format!("/api/v1/bulletins/{id}/bulletin.docx"),
        &w.cadre_a,
    )
    .await;
    assert_eq!(doc.status, 200);
    assert!(
        doc.content_type.contains("wordprocessingml"),
        "{}",
        doc.content_type
    );
    assert!(doc.disposition.contains(".docx"), "{}", doc.disposition);
    let docx = read_docx(&doc.bytes);
    let p = &docx.paragraphs;
    assert_eq!(p[0], "企业诉求办理工作通报");
    assert_eq!(p[1], "〔2026〕第1期");
    assert!(
        p[2].starts_with("区优化营商环境工作领导小组办公室"),
        "{}",
        p[2]
    );
    assert_eq!(p[3], "企业诉求办理情况通报（2026年11月2日—11月8日）");
    assert_eq!(p[4], "现将上周企业诉求办理情况通报如下。");
    for heading in [
        "一、总体情况",
        "二、各单位办理情况",
        "三、红黑榜",
        "四、超期未办结诉求",
        "五、典型案例",
        "六、症结问题",
        "七、千名干部进千企",
    ] {
        assert!(p.iter().any(|x| x == heading), "{heading} in {p:?}");
    }
    assert!(
        p.iter().any(|x| x.contains("全区共收到企业诉求 10 件")),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|x| x.starts_with("（一）七（") && x.contains(&number7)),
        "{p:?}"
    );
    assert!(p.iter().any(|x| x == "两小时内修复，企业满意。"));
    // Tables: the totals, the departments (week, year), the overdue requests.
    assert_eq!(docx.tables[0][0][0], "范围");
    assert_eq!(
        docx.tables[0][1][..2],
        ["本周".to_string(), "10".to_string()]
    );
    assert_eq!(
        docx.tables[1][1][..2],
        ["部门甲".to_string(), "6".to_string()]
    );
    let overdue_table = docx
        .tables
        .iter()
        .find(|t| {
            t[0].first().is_some_and(|h| h == "序号")
                && t[0].get(2).is_some_and(|h| h == "诉求事项")
                && t[0].len() == 7
        })
        .expect("the overdue table");
    assert_eq!(overdue_table.len() - 1, overdue_numbers.len() - 1);

    // The workbook, read with calamine: one sheet per table.
    let book = download(
        &app,
        &format!("/api/v1/bulletins/{id}/tables.xlsx"),
        &w.dispatcher,
    )
    .await;
    assert_eq!(book.status, 200);
    let sheets = sheets(&book.bytes);
    let names: Vec<&str> = sheets.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "总体情况",
            "各单位（本周）",
            "各单位（本年）",
            "红黑榜",
            "超期诉求",
            "典型案例",
            "症结问题",
            "联点走访"
        ]
    );
    assert_eq!(text(&sheets[0].1[1][0]), "本周");
    assert_eq!(text(&sheets[0].1[1][1]), "10");
    assert_eq!(text(&sheets[5].1[1][2]), "七");
    assert_eq!(text(&sheets[5].1[1][5]), "两小时内修复，企业满意。");
    // Published files do not change either.
    let again = download(
        &app,
        &format!("/api/v1/bulletins/{id}/bulletin.docx"),
        &w.admin,
    )
    .await;
    assert_eq!(again.bytes, doc.bytes);

    // The audit log has the administrator's changes and publishing.
    let audit = app
        .get("/api/v1/audit?action=bulletin.", Some(&w.admin.token))
        .await
        .expect(200);
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(actions.contains(&"bulletin.publish"), "{actions:?}");
    assert_eq!(
        actions.iter().filter(|a| **a == "bulletin.update").count(),
        2,
        "{actions:?}"
    );
}

async fn drafted_by_hand_and_numbered(app: TestApp) {
    let w = app.world().await;
    // Tuesday 3 November: one request to department A, resolved at once; one to department B,
    // due the next morning and left open (overdue by the 10th).
    app.clock.set(at("2026-11-03T10:00:00+08:00"));
    let w = fresh(&app, &w);
    let good = id_of(&app.file(&w.ent_a, &w.category, "围墙倒塌").await);
    app.act(
        &w.dispatcher,
        &good,
        "assign",
        json!({"department_id": w.dept_a, "assignee_id": w.cadre_a.id}),
    )
    .await
    .expect(200);
    app.act(&w.cadre_a, &good, "sign", json!({}))
        .await
        .expect(200);
    app.act(
        &w.cadre_a,
        &good,
        "resolve",
        json!({"resolution": "已修复"}),
    )
    .await
    .expect(200);
    let late = app.file(&w.ent_a, &w.category, "污水外溢").await;
    app.act(
        &w.dispatcher,
        &id_of(&late),
        "assign",
        json!({"department_id": w.dept_b, "assignee_id": w.cadre_b.id, "due_at": "2026-11-04T10:00:00+08:00"}),
    )
    .await
    .expect(200);
    app.clock.set(at("2026-11-10T10:00:00+08:00"));
    let w = fresh(&app, &w);
    let draft = |from: &str| {
        let body = json!({ "from": from });
        let app = &app;
        let token = w.admin.token.clone();
        async move { app.post("/api/v1/bulletins", Some(&token), body).await }
    };
    // A week that has not ended, and a day that is not one, are refused; nothing is drafted.
    let r = draft("2026-11-09").await;
    assert_eq!(r.status, 422, "{:?}", r.body);
    assert!(r.field("from").is_some());
    let r = draft("2026-13-01").await;
    assert_eq!(r.status, 422, "{:?}", r.body);
    let none = app
        .get("/api/v1/bulletins", Some(&w.admin.token))
        .await
        .expect(200);
    assert_eq!(none["items"], json!([]));
    // Two weeks drafted by hand; a week twice is refused.
    let first = draft("2026-10-26").await.expect(201);
    assert_eq!(first["drafted_by"], json!(w.admin.id));
    draft("2026-10-26").await.expect_error(409, "duplicate");
    let second = app
        .post("/api/v1/bulletins", Some(&w.admin.token), json!({}))
        .await
        .expect(201);
    assert_eq!(second["period_from"], "2026-11-02", "default: the week due");
    // Numbers: chosen, taken, then the year's next after the highest.
    let (a, b) = (id_of(&first), id_of(&second));
    let one = app
        .post(
            &format!("/api/v1/bulletins/{a}/publish"),
            Some(&w.admin.token),
            json!({"version": 1, "number": 47}),
        )
        .await
        .expect(200);
    assert_eq!(one["issue"], "〔2026〕第47期");
    app.post(
        &format!("/api/v1/bulletins/{b}/publish"),
        Some(&w.admin.token),
        json!({"version": 1, "number": 47}),
    )
    .await
    .expect_error(409, "duplicate");
    let r = app
        .post(
            &format!("/api/v1/bulletins/{b}/publish"),
            Some(&w.admin.token),
            json!({"version": 1, "number": 0}),
        )
        .await;
    assert_eq!(r.status, 422);
    let two = app
        .post(
            &format!("/api/v1/bulletins/{b}/publish"),
            Some(&w.admin.token),
            json!({"version": 1}),
        )
        .await
        .expect(200);
    assert_eq!(two["issue"], "〔2026〕第48期");
    // The list: the latest week first.
    let list = app
        .get("/api/v1/bulletins?status=published", Some(&w.cadre_a.token))
        .await
        .expect(200);
    let issues: Vec<&str> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["issue"].as_str())
        .collect();
    assert_eq!(issues, ["〔2026〕第48期", "〔2026〕第47期"]);
    // The red and black lists: A resolved on time, B's request overdue.
    let theirs = app
        .get(&format!("/api/v1/bulletins/{b}"), Some(&w.cadre_b.token))
        .await
        .expect(200);
    let names = |list: &str| -> Vec<String> {
        theirs["figures"][list]
            .as_array()
            .expect("list")
            .iter()
            .map(|l| l["name"].as_str().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(
        (names("red"), names("black")),
        (vec!["部门甲".to_string()], vec!["部门乙".to_string()])
    );
    // A week without cases says so in its document; the overdue request is named.
    let doc = download(
        &app,
        &format!("/api/v1/bulletins/{a}/bulletin.docx"),
        &w.admin,
    )
    .await;
    let docx = read_docx(&doc.bytes);
    assert!(
        docx.paragraphs.iter().any(|p| p == "本期无。"),
        "{:?}",
        docx.paragraphs
    );
    let number = late["number"].as_str().expect("number");
    assert!(
        docx.paragraphs.iter().any(|p| p == number),
        "{number} in {:?}",
        docx.paragraphs
    );
    // Its week (to 1 November) ranks nothing yet; the week of the 2nd has both lists.
    assert!(
        docx.paragraphs
            .iter()
            .any(|p| p == "本年尚无可排名的单位。")
    );
    let doc = download(
        &app,
        &format!("/api/v1/bulletins/{b}/bulletin.docx"),
        &w.admin,
    )
    .await;
    let lists = read_docx(&doc.bytes)
        .tables
        .into_iter()
        .find(|t| t[0][0] == "榜单")
        .expect("the red and black lists");
    assert_eq!(
        lists[1][..3],
        ["红榜".to_string(), "1".to_string(), "部门甲".to_string()]
    );
    assert_eq!(
        lists[2][..3],
        ["黑榜".to_string(), "2".to_string(), "部门乙".to_string()]
    );
    // Bad input and the wrong callers.
    app.get("/api/v1/bulletins?status=bogus", Some(&w.admin.token))
        .await
        .expect_error(400, "invalid_query");
    app.get("/api/v1/bulletins", Some(&w.ent_a.token))
        .await
        .expect_error(403, "forbidden");
    app.post("/api/v1/bulletins", Some(&w.dispatcher.token), json!({}))
        .await
        .expect_error(403, "forbidden");
    let long = "长".repeat(5001);
    let r = app
        .patch(
            &format!("/api/v1/bulletins/{a}"),
            Some(&w.admin.token),
            json!({"version": 2, "foreword": long}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.field("foreword").is_some());
    app.get("/api/v1/bulletins/nope", Some(&w.admin.token))
        .await
        .expect_error(404, "not_found");
    let unknown = app
        .post(
            "/api/v1/bulletins",
            Some(&w.admin.token),
            json!({"from": "2026-10-19", "extra": 1}),
        )
        .await;
    unknown.expect_error(422, "validation_failed");
    assert!(unknown.field("extra").is_some());
}

both_backends!(
    drafted_reviewed_published_and_kept,
    drafted_by_hand_and_numbered
);
