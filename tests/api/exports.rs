//! The downloads: the ledger as CSV and XLSX (read back with calamine), with the list's
//! filters and scopes, and the monthly assessment workbook.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use serde_json::json;

use crate::both_backends;
use crate::helpers::{TestApp, User};
use crate::stats::build_period;

pub(crate) struct Download {
    pub(crate) status: u16,
    pub(crate) content_type: String,
    pub(crate) disposition: String,
    pub(crate) bytes: Vec<u8>,
}

pub(crate) async fn download(app: &TestApp, path: &str, user: &User) -> Download {
    let res = app
        .client
        .get(app.url(path))
        .bearer_auth(&user.token)
        .send()
        .await
        .expect("request sent");
    let header = |name: &str| {
        res.headers()
            .get(name)
            .map(|v| v.to_str().unwrap_or_default().to_string())
            .unwrap_or_default()
    };
    let (status, content_type, disposition) = (
        res.status().as_u16(),
        header("content-type"),
        header("content-disposition"),
    );
    let bytes = res.bytes().await.expect("body").to_vec();
    Download {
        status,
        content_type,
        disposition,
        bytes,
    }
}

/// The sheets of a workbook: name → rows of cells as text.
pub(crate) fn sheets(bytes: &[u8]) -> Vec<(String, Vec<Vec<Data>>)> {
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).expect("an xlsx");
    let names = book.sheet_names().to_vec();
    names
        .into_iter()
        .map(|name| {
            let range = book.worksheet_range(&name).expect("sheet");
            let rows = range.rows().map(|r| r.to_vec()).collect();
            (name, rows)
        })
        .collect()
}

pub(crate) fn text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        other => format!("{other:?}"),
    }
}

const HEADERS: [&str; 6] = ["诉求编号", "类型", "状态", "标题", "诉求内容", "企业名称"];

/// CSV rows, split naively (the test's values have no commas or quotes but where said).
fn csv_lines(bytes: &[u8]) -> Vec<String> {
    let text = std::str::from_utf8(bytes).expect("UTF-8");
    text.trim_start_matches('\u{feff}')
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

async fn the_ledger_downloads_as_csv_and_xlsx(app: TestApp) {
    let (w, ids) = build_period(&app).await;
    // A title that a spreadsheet would run as a formula.
    let mut body = json!({"kind": "problem", "category_id": w.category,
        "title": "=HYPERLINK(\"http://x\")", "description": "公式"});
    body["contact_phone"] = json!("13900000001");
    app.post("/api/v1/tickets", Some(&w.ent_a.token), body)
        .await
        .expect(201);

    let csv = download(&app, "/api/v1/ledger.csv", &w.admin).await;
    assert_eq!(csv.status, 200);
    assert_eq!(csv.content_type, "text/csv; charset=utf-8");
    assert!(
        csv.disposition.starts_with("attachment"),
        "{}",
        csv.disposition
    );
    assert!(csv.disposition.contains(".csv"), "{}", csv.disposition);
    assert!(csv.bytes.starts_with(&[0xef, 0xbb, 0xbf]), "no BOM");
    let lines = csv_lines(&csv.bytes);
    assert_eq!(lines.len(), 1 + 11, "{lines:#?}");
    assert!(lines[0].starts_with(&HEADERS.join(",")), "{}", lines[0]);
    // Newest first: the formula ticket, escaped.
    assert!(lines[1].contains("'=HYPERLINK"), "{}", lines[1]);

    let xlsx = download(&app, "/api/v1/ledger.xlsx", &w.admin).await;
    assert_eq!(xlsx.status, 200);
    assert_eq!(
        xlsx.content_type,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let book = sheets(&xlsx.bytes);
    assert_eq!(book.len(), 1);
    let (name, rows) = &book[0];
    assert_eq!(name, "台账");
    let header: Vec<String> = rows[0].iter().map(text).collect();
    assert_eq!(&header[..6], HEADERS);
    assert_eq!(header.len(), 30);
    assert_eq!(rows.len(), 12);
    let col = |h: &str| header.iter().position(|x| x == h).expect(h);
    // Ticket 7 (filed 2 November, due 11:00, resolved at noon, satisfied): late.
    let t7 = app.detail(&w.admin, &ids[6]).await;
    let row = rows
        .iter()
        .find(|r| text(&r[0]) == t7["number"].as_str().unwrap())
        .expect("ticket 7's row");
    assert_eq!(text(&row[col("状态")]), "已销号");
    assert_eq!(text(&row[col("企业名称")]), "甲企业有限公司");
    assert_eq!(text(&row[col("承办部门")]), "部门甲");
    assert_eq!(text(&row[col("评价")]), "满意");
    assert_eq!(text(&row[col("是否超期")]), "是");
    assert_eq!(text(&row[col("提交时间")]), "2026-11-02 09:00");
    assert_eq!(text(&row[col("办结时间")]), "2026-11-02 12:00");
    assert_eq!(text(&row[col("办理期限")]), "2026-11-02 11:00");
    assert_eq!(row[col("办理工作日")], Data::Float(0.0));
    assert_eq!(row[col("重办次数")], Data::Float(0.0));
    // Ticket 8: reopened once, a suggestion adopted.
    let t8 = app.detail(&w.admin, &ids[7]).await;
    let row = rows
        .iter()
        .find(|r| text(&r[0]) == t8["number"].as_str().unwrap())
        .expect("ticket 8's row");
    assert_eq!(row[col("重办次数")], Data::Float(1.0));
    assert_eq!(text(&row[col("是否采纳")]), "是");
    assert_eq!(text(&row[col("类型")]), "建议");
    assert_eq!(text(&row[col("渠道")]), "走访");

    // The list's filters apply, and its scope: a cadre gets the tickets they handle.
    let closed = download(&app, "/api/v1/ledger.csv?status=closed", &w.admin).await;
    assert_eq!(csv_lines(&closed.bytes).len(), 1 + 3);
    let mine = download(&app, "/api/v1/ledger.csv", &w.cadre_b).await;
    assert_eq!(csv_lines(&mine.bytes).len(), 1, "cadre B handles nothing");
    let theirs = download(&app, "/api/v1/ledger.xlsx", &w.cadre_a).await;
    assert_eq!(sheets(&theirs.bytes)[0].1.len(), 1 + 6);
    // Refused before anything is sent.
    let bad = download(&app, "/api/v1/ledger.csv?status=nope", &w.admin).await;
    assert_eq!(bad.status, 400);
    let enterprise = download(&app, "/api/v1/ledger.xlsx", &w.ent_a).await;
    assert_eq!(enterprise.status, 403);
}

async fn the_monthly_assessment_has_the_figures_the_ranking_and_a_sheet_per_department(
    app: TestApp,
) {
    let (w, _) = build_period(&app).await;
    let r = download(
        &app,
        "/api/v1/stats/assessment.xlsx?month=2026-11",
        &w.admin,
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r.disposition.contains(".xlsx"), "{}", r.disposition);
    let book = sheets(&r.bytes);
    let names: Vec<&str> = book.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["汇总", "部门排名", "热点诉求", "部门甲"]);
    let figures: Vec<(String, Data)> = book[0].1[1..]
        .iter()
        .map(|r| (text(&r[0]), r[1].clone()))
        .collect();
    let figure = |name: &str| {
        figures
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .expect(name)
    };
    assert_eq!(figure("统计月份"), Data::String("2026年11月".into()));
    assert_eq!(figure("提交量"), Data::Float(10.0));
    assert_eq!(figure("受理量"), Data::Float(7.0));
    assert_eq!(figure("按期办结率"), Data::Float(0.75));
    assert_eq!(figure("满意率"), Data::Float(1.0));
    assert_eq!(figure("超期未办结"), Data::Float(2.0));
    // 热点诉求: its header, and the month's category against the month before.
    let hot = &book[2].1;
    assert_eq!(text(&hot[0][1]), "内容");
    assert!(hot.iter().any(|r| text(&r[0]) == "类别"), "{hot:?}");
    let ranking = &book[1].1;
    assert_eq!(text(&ranking[0][1]), "部门");
    assert_eq!(text(&ranking[1][1]), "部门甲");
    assert_eq!(ranking[1][0], Data::Float(1.0));
    // The department's sheet: its six tickets, as the ledger has them.
    let dept = &book[3].1;
    assert_eq!(text(&dept[0][0]), "诉求编号");
    assert_eq!(dept.len(), 1 + 6);
    // October has nothing: the figures are there, the rates empty, no department sheet.
    let r = download(
        &app,
        "/api/v1/stats/assessment.xlsx?month=2026-10",
        &w.admin,
    )
    .await;
    let book = sheets(&r.bytes);
    assert_eq!(book.len(), 3);
    let empty_rate = book[0].1.iter().find(|r| text(&r[0]) == "办结率").unwrap();
    assert_eq!(empty_rate[1], Data::Empty);
    let bad = download(
        &app,
        "/api/v1/stats/assessment.xlsx?month=2026-13",
        &w.admin,
    )
    .await;
    assert_eq!(bad.status, 400);
    let enterprise = download(&app, "/api/v1/stats/assessment.xlsx", &w.ent_a).await;
    assert_eq!(enterprise.status, 403);
}

/// A ledger longer than a page (the rows come a page at a time): every ticket once.
async fn a_long_ledger_has_every_ticket_once(app: TestApp) {
    let w = app.world().await;
    let now = crate::stats::at("2026-11-30T12:00:00+08:00");
    qiyeshao::cli::seed_load::load(
        &app.db,
        &app.ctx.calendar.days,
        2500,
        3,
        now,
        app.ctx.segmenter.clone(),
        |_| {},
    )
    .expect("seed load");
    let csv = download(&app, "/api/v1/ledger.csv", &w.admin).await;
    let lines = csv_lines(&csv.bytes);
    assert_eq!(lines.len(), 1 + 2500);
    let numbers: std::collections::BTreeSet<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(numbers.len(), 2500);
    let xlsx = download(&app, "/api/v1/ledger.xlsx?kind=suggestion", &w.admin).await;
    let rows = &sheets(&xlsx.bytes)[0].1;
    let suggestions = lines.iter().filter(|l| l.contains(",建议,")).count();
    assert!(suggestions > 100, "{suggestions}");
    assert_eq!(rows.len(), 1 + suggestions);
}

/// A period reads the tickets filed in it, through the list's pages and the ledger, whatever
/// order the clock moved in; a ticket whose id was made a few minutes after its `created_at`
/// (as the builds before ids carried the filing's instant did) is counted on its date.
async fn a_period_reads_the_tickets_filed_in_it(app: TestApp) {
    use std::collections::BTreeSet;

    use diesel::RunQueryDsl;
    let w = app.world().await;
    let at = crate::stats::at;
    let mut numbers: Vec<(String, String)> = Vec::new(); // (day, number)
    let mut ids: std::collections::BTreeMap<String, String> = Default::default(); // number → id
    // The clock goes back from the 4th to the 3rd.
    for day in ["2026-03-02", "2026-03-04", "2026-03-03", "2026-03-06"] {
        app.clock.set(at(&format!("{day}T10:00:00+08:00")));
        for n in 0..3 {
            let t = app
                .file(&w.ent_a, &w.category, &format!("{day}第{n}条"))
                .await;
            let number = t["number"].as_str().expect("number").to_string();
            ids.insert(number.clone(), t["id"].as_str().expect("id").to_string());
            numbers.push((day.to_string(), number));
        }
    }
    app.clock.set(at("2026-03-05T00:03:00+08:00"));
    let late = app.file(&w.ent_a, &w.category, "前一天的诉求").await;
    let late_id = late["id"].as_str().expect("id").to_string();
    let created = qiyeshao::domain::time::format(at("2026-03-04T23:58:00+08:00"));
    {
        let mut conn = app.db.conn().expect("connection");
        let sql = format!("UPDATE tickets SET created_at = '{created}' WHERE id = '{late_id}'");
        diesel::sql_query(sql)
            .execute(&mut *conn)
            .expect("backdate");
    }
    let late_number = late["number"].as_str().expect("number").to_string();
    ids.insert(late_number.clone(), late_id);
    numbers.push(("2026-03-04".into(), late_number));

    let cases = [
        (
            "created_from=2026-03-03&created_to=2026-03-05",
            "2026-03-03",
            "2026-03-05",
        ),
        (
            "created_from=2026-03-05&created_to=2026-03-07",
            "2026-03-05",
            "2026-03-07",
        ),
        (
            "created_from=2026-03-02&created_to=2026-03-03",
            "2026-03-02",
            "2026-03-03",
        ),
        ("created_from=2026-03-04", "2026-03-04", "9999"),
        ("created_to=2026-03-04", "0000", "2026-03-04"),
        ("created_from=2026-03-07", "2026-03-07", "9999"),
    ];
    for (query, from, to) in cases {
        let wanted: BTreeSet<String> = numbers
            .iter()
            .filter(|(day, _)| day.as_str() >= from && day.as_str() < to)
            .map(|(_, number)| number.clone())
            .collect();
        // The list, two at a time, newest id first.
        let mut listed = Vec::new();
        let mut cursor = String::new();
        loop {
            let page = app
                .get(
                    &format!("/api/v1/tickets?limit=2&{query}{cursor}"),
                    Some(&w.admin.token),
                )
                .await
                .expect(200);
            for t in page["items"].as_array().expect("items") {
                listed.push(t["number"].as_str().expect("number").to_string());
            }
            match page["next_cursor"].as_str() {
                Some(c) => cursor = format!("&cursor={c}"),
                None => break,
            }
        }
        let in_order: Vec<&String> = listed.iter().map(|n| &ids[n]).collect();
        let mut sorted = in_order.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(in_order, sorted, "{query}: newest id first");
        assert_eq!(listed.len(), wanted.len(), "{query}: {listed:?}");
        assert_eq!(
            listed.into_iter().collect::<BTreeSet<_>>(),
            wanted,
            "{query}"
        );
        // The ledger of the period.
        let csv = download(&app, &format!("/api/v1/ledger.csv?{query}"), &w.admin).await;
        assert_eq!(csv.status, 200, "{query}");
        let lines = csv_lines(&csv.bytes);
        let ledger: Vec<String> = lines[1..]
            .iter()
            .map(|l| l.split(',').next().expect("number").to_string())
            .collect();
        assert_eq!(ledger.len(), wanted.len(), "{query}: {ledger:?}");
        assert_eq!(
            ledger.into_iter().collect::<BTreeSet<_>>(),
            wanted,
            "{query}"
        );
    }
}

/// The ledger's CSV is gzipped, as it streams, for a client that accepts gzip, and only then
/// (brotli is not offered for it): the same bytes once decoded.
async fn the_ledger_csv_is_gzipped_when_accepted(app: TestApp) {
    use std::io::Read as _;
    let (w, _) = build_period(&app).await;
    let get = |accept: &'static str| {
        app.client
            .get(app.url("/api/v1/ledger.csv"))
            .bearer_auth(&w.admin.token)
            .header("accept-encoding", accept)
            .send()
    };
    let plain = get("identity").await.unwrap();
    assert_eq!(plain.headers().get("content-encoding"), None);
    let plain = plain.bytes().await.unwrap();
    assert!(plain.len() > 1000, "{}", plain.len());
    for accept in ["gzip", "br, gzip, deflate"] {
        let res = get(accept).await.unwrap();
        assert_eq!(res.status(), 200);
        let header = |name: &str| {
            res.headers()
                .get_all(name)
                .iter()
                .map(|v| v.to_str().unwrap().to_ascii_lowercase())
                .collect::<Vec<_>>()
        };
        assert_eq!(header("content-encoding"), ["gzip"], "{accept}");
        assert!(
            header("vary").contains(&"accept-encoding".to_string()),
            "{accept}"
        );
        let body = res.bytes().await.unwrap();
        assert!(
            body.len() < plain.len(),
            "{} of {}",
            body.len(),
            plain.len()
        );
        let mut decoded = Vec::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_end(&mut decoded)
            .unwrap();
        assert_eq!(decoded, plain, "{accept}");
    }
    let brotli_only = get("br").await.unwrap();
    assert_eq!(brotli_only.headers().get("content-encoding"), None);
}

both_backends!(
    a_period_reads_the_tickets_filed_in_it,
    the_ledger_csv_is_gzipped_when_accepted,
    the_ledger_downloads_as_csv_and_xlsx,
    the_monthly_assessment_has_the_figures_the_ranking_and_a_sheet_per_department,
    a_long_ledger_has_every_ticket_once,
);
