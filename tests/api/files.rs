//! Files on progress notes and resolutions and who sees them, Word, Excel and PDF uploads told
//! apart by their bytes, and signed download links (issue 17).

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Resp, TestApp, User, id_of};

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
const PDF: &[u8] = b"%PDF-1.7\n%%EOF\n";
const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A ZIP of these entries (each `<x/>`).
pub fn zip_of(names: &[&str]) -> Vec<u8> {
    use std::io::Write;
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for name in names {
        zip.start_file(*name, stored).expect("entry");
        zip.write_all(b"<x/>").expect("write");
    }
    zip.finish().expect("zip");
    out.into_inner()
}

/// An OLE2 compound file whose directory names `streams` (one FAT sector, one directory
/// sector): the shape of a .doc or .xls.
pub fn compound_file(streams: &[&str]) -> Vec<u8> {
    let mut file = vec![0u8; 512 * 3];
    file[..8].copy_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    file[0x1E] = 9;
    file[0x2C] = 1;
    file[0x30] = 1;
    file[0x44..0x48].copy_from_slice(&0xFFFF_FFFEu32.to_le_bytes());
    for i in 1..109 {
        file[0x4C + 4 * i..0x50 + 4 * i].copy_from_slice(&u32::MAX.to_le_bytes());
    }
    file[512..516].copy_from_slice(&0xFFFF_FFFDu32.to_le_bytes());
    file[516..520].copy_from_slice(&0xFFFF_FFFEu32.to_le_bytes());
    for (i, name) in std::iter::once("Root Entry")
        .chain(streams.iter().copied())
        .enumerate()
    {
        let entry = 1024 + 128 * i;
        let units: Vec<u16> = name.encode_utf16().chain([0]).collect();
        for (j, u) in units.iter().enumerate() {
            file[entry + 2 * j..entry + 2 * j + 2].copy_from_slice(&u.to_le_bytes());
        }
        file[entry + 64] = (units.len() * 2) as u8;
        file[entry + 66] = if i == 0 { 5 } else { 2 };
    }
    file
}

pub fn docx() -> Vec<u8> {
    zip_of(&["[Content_Types].xml", "_rels/.rels", "word/document.xml"])
}

async fn upload(app: &TestApp, user: &User, name: &str, bytes: &[u8]) -> Resp {
    app.post_file("/api/v1/attachments", &user.token, name, bytes)
        .await
}

async fn uploaded(app: &TestApp, user: &User, name: &str, bytes: &[u8]) -> String {
    id_of(&upload(app, user, name, bytes).await.expect(201))
}

/// The status of an attachment as `user` gets it.
async fn fetch_status(app: &TestApp, id: &str, user: &User) -> u16 {
    app.get(&format!("/api/v1/attachments/{id}"), Some(&user.token))
        .await
        .status
}

fn listed(detail: &Value) -> Vec<(String, Option<i64>)> {
    detail["attachments"]
        .as_array()
        .expect("attachments")
        .iter()
        .map(|a| {
            (
                a["id"].as_str().unwrap().to_string(),
                a["event_seq"].as_i64(),
            )
        })
        .collect()
}

fn last_seq(detail: &Value) -> i64 {
    detail["events"].as_array().unwrap().last().unwrap()["seq"]
        .as_i64()
        .unwrap()
}

async fn files_on_progress_and_resolution_are_shown_as_their_entry(app: TestApp) {
    let w = app.world().await;
    let ticket = app.ticket_in_progress(&w).await;
    let photo = uploaded(&app, &w.cadre_a, "现场.png", PNG).await;
    let memo = uploaded(&app, &w.cadre_a, "内部纪要.pdf", PDF).await;

    // A public note with a photo, an internal one with a PDF.
    app.act(
        &w.cadre_a,
        &ticket,
        "progress",
        json!({"note": "已现场查看", "public": true, "attachment_ids": [photo]}),
    )
    .await
    .expect(200);
    let public_seq = last_seq(&app.detail(&w.cadre_a, &ticket).await);
    app.act(
        &w.cadre_a,
        &ticket,
        "progress",
        json!({"note": "与供电公司协调", "public": false, "attachment_ids": [memo]}),
    )
    .await
    .expect(200);
    let internal_seq = last_seq(&app.detail(&w.cadre_a, &ticket).await);

    let staff = listed(&app.detail(&w.dispatcher, &ticket).await);
    assert!(
        staff.contains(&(photo.clone(), Some(public_seq))),
        "{staff:?}"
    );
    assert!(
        staff.contains(&(memo.clone(), Some(internal_seq))),
        "{staff:?}"
    );
    let enterprise = listed(&app.detail(&w.ent_a, &ticket).await);
    assert_eq!(enterprise, [(photo.clone(), Some(public_seq))]);
    // The internal note's file is not the enterprise's, by any route.
    assert_eq!(fetch_status(&app, &photo, &w.ent_a).await, 200);
    assert_eq!(fetch_status(&app, &memo, &w.ent_a).await, 404);
    for staff in [&w.cadre_a, &w.dispatcher, &w.admin] {
        assert_eq!(fetch_status(&app, &memo, staff).await, 200);
    }
    let link = app
        .post(
            "/api/v1/downloads",
            Some(&w.ent_a.token),
            json!({"path": format!("/api/v1/attachments/{memo}")}),
        )
        .await
        .expect(200);
    let opened = app.get(link["url"].as_str().unwrap(), None).await;
    opened.expect_error(404, "not_found");

    // Bad ids write nothing: someone else's upload, one attached already, one named twice, ten.
    let version = app.detail(&w.cadre_a, &ticket).await["version"].clone();
    let theirs = uploaded(&app, &w.cadre_a2, "别人的.png", PNG).await;
    let fresh = uploaded(&app, &w.cadre_a, "新.png", PNG).await;
    let mut ten = Vec::new();
    for i in 0..10 {
        ten.push(uploaded(&app, &w.cadre_a, &format!("{i}.png"), PNG).await);
    }
    for ids in [
        json!([theirs]),
        json!([photo]),
        json!([fresh, fresh]),
        json!(ten),
        json!(["0190c0de-0000-7000-8000-000000000000"]),
    ] {
        let r = app
            .act(
                &w.cadre_a,
                &ticket,
                "progress",
                json!({"note": "再补充", "attachment_ids": ids}),
            )
            .await;
        r.expect_error(422, "validation_failed");
        assert!(r.field("attachment_ids").is_some(), "{}", r.text);
    }
    let after = app.detail(&w.cadre_a, &ticket).await;
    assert_eq!(after["version"], version);
    assert!(!listed(&after).iter().any(|(id, _)| *id == fresh));

    // The resolution carries a Word document and a photo; the enterprise sees both.
    let report = uploaded(&app, &w.cadre_a, "办结报告.docx", &docx()).await;
    app.act(
        &w.cadre_a,
        &ticket,
        "resolve",
        json!({"resolution": "已修复道路", "attachment_ids": [report, fresh]}),
    )
    .await
    .expect(200);
    let seen = app.detail(&w.ent_a, &ticket).await;
    let resolve_seq = last_seq(&seen);
    assert_eq!(
        seen["events"].as_array().unwrap().last().unwrap()["action"],
        "resolve"
    );
    let files = listed(&seen);
    assert!(
        files.contains(&(report.clone(), Some(resolve_seq))),
        "{files:?}"
    );
    assert!(
        files.contains(&(fresh.clone(), Some(resolve_seq))),
        "{files:?}"
    );
    assert!(!files.iter().any(|(id, _)| *id == memo));
    let res = app
        .client
        .get(app.url(&format!("/api/v1/attachments/{report}")))
        .bearer_auth(&w.ent_a.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], DOCX);
    assert_eq!(
        res.headers()["content-disposition"],
        "attachment; filename*=UTF-8''%E5%8A%9E%E7%BB%93%E6%8A%A5%E5%91%8A.docx"
    );
    // Other tickets' readers have none of it.
    assert_eq!(fetch_status(&app, &report, &w.ent_b).await, 404);
    assert_eq!(fetch_status(&app, &report, &w.cadre_b).await, 404);
}

async fn word_excel_and_pdf_are_accepted_by_their_bytes(app: TestApp) {
    let w = app.world().await;
    let xlsx = zip_of(&[
        "[Content_Types].xml",
        "xl/workbook.xml",
        "xl/worksheets/sheet1.xml",
    ]);
    let doc = compound_file(&["WordDocument", "1Table"]);
    let xls = compound_file(&["Workbook"]);
    for (name, bytes, content_type) in [
        ("情况说明.docx", docx(), DOCX),
        ("明细.xlsx", xlsx, XLSX),
        ("旧版说明.doc", doc, "application/msword"),
        ("旧版明细.xls", xls, "application/vnd.ms-excel"),
        ("批复.pdf", PDF.to_vec(), "application/pdf"),
        // The name does not decide: a Word document named .pdf is a Word document.
        ("改了名.pdf", docx(), DOCX),
    ] {
        let r = upload(&app, &w.ent_a, name, &bytes).await.expect(201);
        assert_eq!(r["content_type"], content_type, "{name}");
        assert_eq!(r["file_name"], name);
    }
    // A real workbook: the ledger this service writes.
    let ledger = app
        .client
        .get(app.url("/api/v1/ledger.xlsx"))
        .bearer_auth(&w.dispatcher.token)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let r = upload(&app, &w.dispatcher, "台账.xlsx", &ledger)
        .await
        .expect(201);
    assert_eq!(r["content_type"], XLSX);
    // A program renamed, other archives and compound files, and macros are refused.
    let mut exe = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xFF\xFF\0\0".to_vec();
    exe.extend([0u8; 200]);
    for (name, bytes) in [
        ("报告.pdf", exe.clone()),
        ("报告.docx", exe),
        ("压缩包.docx", zip_of(&["readme.txt"])),
        (
            "程序.xlsx",
            zip_of(&["[Content_Types].xml", "META-INF/MANIFEST.MF"]),
        ),
        (
            "宏.docx",
            zip_of(&[
                "[Content_Types].xml",
                "word/document.xml",
                "word/vbaProject.bin",
            ]),
        ),
        ("宏.xls", compound_file(&["Workbook", "_VBA_PROJECT_CUR"])),
        ("安装包.doc", compound_file(&["SummaryInformation"])),
        ("坏的.doc", compound_file(&["WordDocument"])[..700].to_vec()),
    ] {
        upload(&app, &w.ent_a, name, &bytes)
            .await
            .expect_error(415, "unsupported_type");
    }
    // Photos are shown in the page; documents are saved under their own name.
    let photo = uploaded(&app, &w.ent_a, "现场", PNG).await;
    let res = app
        .client
        .get(app.url(&format!("/api/v1/attachments/{photo}")))
        .bearer_auth(&w.ent_a.token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["content-disposition"],
        "inline; filename*=UTF-8''%E7%8E%B0%E5%9C%BA.png"
    );
}

/// The answer to opening a link: status, content type, bytes.
async fn open(app: &TestApp, url: &str) -> (u16, String, Vec<u8>) {
    let res = app.client.get(app.url(url)).send().await.expect("sent");
    let status = res.status().as_u16();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, content_type, res.bytes().await.unwrap().to_vec())
}

async fn link(app: &TestApp, user: &User, path: &str) -> String {
    let r = app
        .post(
            "/api/v1/downloads",
            Some(&user.token),
            json!({"path": path}),
        )
        .await
        .expect(200);
    assert_eq!(r["expires_in"], 60);
    let url = r["url"].as_str().unwrap().to_string();
    assert!(url.starts_with("/api/v1/downloads/"), "{url}");
    url
}

async fn signed_download_links_serve_their_download_as_their_user(app: TestApp) {
    let w = app.world().await;
    app.ticket_in_progress(&w).await;

    // The ledger, opened without a token header, within the link's life (and more than once:
    // a phone's download manager fetches again).
    let url = link(
        &app,
        &w.dispatcher,
        "/api/v1/ledger.xlsx?status=in_progress",
    )
    .await;
    for _ in 0..2 {
        let (status, content_type, bytes) = open(&app, &url).await;
        assert_eq!((status, content_type.as_str()), (200, XLSX));
        assert!(bytes.starts_with(b"PK\x03\x04"));
    }
    let csv = link(&app, &w.cadre_a, "/api/v1/ledger.csv").await;
    let (status, content_type, bytes) = open(&app, &csv).await;
    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    assert!(String::from_utf8_lossy(&bytes).contains("设备进场道路破损"));
    // The assessment workbook and the import template.
    let (status, content_type, _) = open(
        &app,
        &link(
            &app,
            &w.admin,
            "/api/v1/stats/assessment.xlsx?month=2026-11",
        )
        .await,
    )
    .await;
    assert_eq!((status, content_type.as_str()), (200, XLSX));
    let template = "/api/v1/enterprises/import-template.xlsx";
    assert_eq!(
        open(&app, &link(&app, &w.admin, template).await).await.0,
        200
    );

    // As its user: what they may not have, the link does not give.
    let (status, _, body) = open(&app, &link(&app, &w.dispatcher, template).await).await;
    assert_eq!(status, 403, "{}", String::from_utf8_lossy(&body));
    let theirs = link(&app, &w.ent_a, "/api/v1/ledger.xlsx").await;
    assert_eq!(open(&app, &theirs).await.0, 403);

    // Altered, or an access token instead: 401 invalid_token.
    let mut tampered = url.clone().into_bytes();
    let last = tampered.len() - 2;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    app.get(&tampered, None)
        .await
        .expect_error(401, "invalid_token");
    app.get(&format!("/api/v1/downloads/{}", w.dispatcher.token), None)
        .await
        .expect_error(401, "invalid_token");
    app.get("/api/v1/downloads/x", None)
        .await
        .expect_error(401, "invalid_token");
    // Another path in the token's payload breaks its signature.
    let token = url.trim_start_matches("/api/v1/downloads/");
    let parts: Vec<&str> = token.split('.').collect();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut claims: Value = serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
    claims["path"] = json!("/api/v1/ledger.csv");
    let forged = format!(
        "/api/v1/downloads/{}.{}.{}",
        parts[0],
        b64.encode(claims.to_string()),
        parts[2]
    );
    app.get(&forged, None)
        .await
        .expect_error(401, "invalid_token");

    // Expired after a minute.
    app.clock.advance(chrono::Duration::seconds(61));
    app.get(&url, None).await.expect_error(401, "token_expired");

    // A disabled user's link fails, though made before.
    let dispatcher = app.reissue(&w.dispatcher);
    let url = link(&app, &dispatcher, "/api/v1/ledger.xlsx").await;
    app.patch(
        &format!("/api/v1/users/{}", w.dispatcher.id),
        Some(&app.reissue(&w.admin).token),
        json!({"disabled": true}),
    )
    .await
    .expect(200);
    app.get(&url, None).await.expect_error(403, "forbidden");

    // Links are made only for the downloads, with a query the download takes.
    let admin = app.reissue(&w.admin);
    for path in [
        "/api/v1/tickets",
        "/api/v1/me",
        "https://example.com/x",
        "/api/v1/downloads/x",
    ] {
        let r = app
            .post(
                "/api/v1/downloads",
                Some(&admin.token),
                json!({"path": path}),
            )
            .await;
        r.expect_error(422, "validation_failed");
        assert!(r.field("path").is_some(), "{}", r.text);
    }
    app.post(
        "/api/v1/downloads",
        Some(&admin.token),
        json!({"path": "/api/v1/ledger.xlsx?sort=sideways"}),
    )
    .await
    .expect_error(400, "invalid_query");
    app.post(
        "/api/v1/downloads",
        None,
        json!({"path": "/api/v1/ledger.xlsx"}),
    )
    .await
    .expect_error(401, "missing_token");
}

both_backends!(
    files_on_progress_and_resolution_are_shown_as_their_entry,
    word_excel_and_pdf_are_accepted_by_their_bytes,
    signed_download_links_serve_their_download_as_their_user,
);
