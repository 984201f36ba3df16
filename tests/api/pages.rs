//! The pages as a browser gets them: each file in the encoding the request accepts (brotli,
//! gzip, or as it is), decoding to the same bytes, with `Vary`, its own `ETag` and length;
//! hashed names cached for a year and the shell and the files under their own names
//! revalidated; every module the shell and its bundles import is served.

use std::collections::BTreeSet;
use std::io::Read as _;

use crate::helpers::{Backend, TestApp, spawn_app};

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

struct Got {
    status: u16,
    encoding: String,
    etag: String,
    cache: String,
    vary: String,
    length: String,
    body: Vec<u8>,
}

async fn get(app: &TestApp, path: &str, accept: Option<&str>) -> Got {
    let mut req = app.client.get(app.url(path));
    if let Some(accept) = accept {
        req = req.header("accept-encoding", accept);
    }
    let res = req.send().await.unwrap();
    let got = Got {
        status: res.status().as_u16(),
        encoding: header(&res, "content-encoding"),
        etag: header(&res, "etag"),
        cache: header(&res, "cache-control"),
        vary: header(&res, "vary"),
        length: header(&res, "content-length"),
        body: Vec::new(),
    };
    Got {
        body: res.bytes().await.unwrap().to_vec(),
        ..got
    }
}

fn decode(encoding: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match encoding {
        "br" => brotli::Decompressor::new(body, 4096)
            .read_to_end(&mut out)
            .unwrap(),
        "gzip" => flate2::read::GzDecoder::new(body)
            .read_to_end(&mut out)
            .unwrap(),
        "" => {
            out.extend_from_slice(body);
            body.len()
        }
        other => panic!("unexpected encoding {other}"),
    };
    out
}

/// The `/assets/…` paths named in `text` between double or single quotes.
fn asset_paths(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for quote in ['"', '\''] {
        for piece in text.split(quote).skip(1).step_by(2) {
            if piece.starts_with("/assets/") && !piece.contains("${") {
                out.insert(piece.to_string());
            }
        }
    }
    out
}

/// `./x.js` and `../x.js` literals in a script, resolved against its path.
fn relative_imports(path: &str, text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
        for quote in ['"', '\''] {
            for piece in line.split(quote).skip(1).step_by(2) {
                if (piece.starts_with("./") || piece.starts_with("../")) && piece.ends_with(".js") {
                    let mut parts: Vec<&str> = path.split('/').collect();
                    parts.pop();
                    for part in piece.split('/') {
                        match part {
                            "." => {}
                            ".." => {
                                parts.pop();
                            }
                            _ => parts.push(part),
                        }
                    }
                    out.insert(parts.join("/"));
                }
            }
        }
    }
    out
}

async fn each_encoding_decodes_to_the_same_bytes() {
    let app = spawn_app(Backend::Sqlite).await;
    let shell = get(&app, "/", None).await;
    let html = String::from_utf8(shell.body.clone()).unwrap();
    let mut paths: Vec<String> = vec![
        "/".into(),
        "/assets/js/main.js".into(),
        "/assets/app.css".into(),
    ];
    // Every script and style sheet of the shell (the icon may be too small to gain).
    paths.extend(
        asset_paths(&html)
            .into_iter()
            .filter(|p| !p.ends_with(".svg")),
    );
    for path in &paths {
        let plain = get(&app, path, None).await;
        assert_eq!(plain.status, 200, "{path}");
        assert_eq!(
            plain.encoding, "",
            "{path}: no Accept-Encoding, no encoding"
        );
        assert_eq!(plain.length, plain.body.len().to_string(), "{path}");
        let mut etags = BTreeSet::from([plain.etag.clone()]);
        for (accept, expected) in [
            ("gzip, deflate, br, zstd", "br"),
            ("gzip, deflate", "gzip"),
            ("br;q=0, gzip", "gzip"),
            ("identity", ""),
            ("zstd", ""),
        ] {
            let got = get(&app, path, Some(accept)).await;
            assert_eq!(got.status, 200, "{path} {accept}");
            assert_eq!(got.encoding, expected, "{path} {accept}");
            assert_eq!(got.vary, "Accept-Encoding", "{path} {accept}");
            assert_eq!(got.length, got.body.len().to_string(), "{path} {accept}");
            assert_eq!(
                decode(&got.encoding, &got.body),
                plain.body,
                "{path} {accept}: decodes to the bytes sent unencoded"
            );
            if !expected.is_empty() {
                assert!(got.body.len() < plain.body.len(), "{path} {accept}");
            }
            etags.insert(got.etag.clone());
            // Revalidation answers 304 for the representation the tag names, and only it.
            let again = app
                .client
                .get(app.url(path))
                .header("accept-encoding", accept)
                .header("if-none-match", &got.etag)
                .send()
                .await
                .unwrap();
            assert_eq!(again.status(), 304, "{path} {accept}");
            assert_eq!(header(&again, "etag"), got.etag, "{path} {accept}");
        }
        assert_eq!(etags.len(), 3, "{path}: one tag per encoding: {etags:?}");
    }
}

async fn hashed_names_are_cached_for_good_and_the_shell_is_revalidated() {
    let app = spawn_app(Backend::Sqlite).await;
    let shell = get(&app, "/", Some("gzip")).await;
    assert_eq!(shell.cache, "no-cache");
    let html = String::from_utf8(decode(&shell.encoding, &shell.body)).unwrap();
    assert!(
        html.len() < 6000,
        "the shell is small: {} bytes",
        html.len()
    );
    assert!(
        html.contains("企业哨") && html.contains("正在加载"),
        "{html}"
    );
    let named = asset_paths(&html);
    let script = named
        .iter()
        .find(|p| p.starts_with("/assets/js/main.") && p.ends_with(".js"))
        .unwrap_or_else(|| panic!("no main bundle in {html}"));
    assert_ne!(script, "/assets/js/main.js");
    for path in &named {
        let got = get(&app, path, Some("br")).await;
        assert_eq!(got.status, 200, "{path}");
        assert_eq!(got.cache, "public, max-age=31536000, immutable", "{path}");
    }
    // The files under their own names are still served, for pages opened before an upgrade,
    // and revalidated.
    for path in [
        "/assets/js/main.js",
        "/assets/js/core/dom.js",
        "/assets/app.css",
        "/assets/index.html",
    ] {
        let got = get(&app, path, Some("br")).await;
        assert_eq!(got.status, 200, "{path}");
        assert_eq!(got.cache, "no-cache", "{path}");
    }
    // A hashed name this build does not have is not found (the page reloads for the new shell).
    let gone = get(&app, "/assets/js/main.0000000000.js", None).await;
    assert_eq!(gone.status, 404);
}

async fn every_import_of_the_served_scripts_is_served() {
    let app = spawn_app(Backend::Sqlite).await;
    let html = String::from_utf8(get(&app, "/", None).await.body).unwrap();
    let mut todo: Vec<String> = asset_paths(&html).into_iter().collect();
    let mut seen = BTreeSet::new();
    while let Some(path) = todo.pop() {
        if !seen.insert(path.clone()) {
            continue;
        }
        let got = get(&app, &path, Some("gzip")).await;
        assert_eq!(got.status, 200, "{path}, named by a served page or script");
        if path.ends_with(".js") {
            let text = String::from_utf8(decode(&got.encoding, &got.body)).unwrap();
            todo.extend(relative_imports(&path, &text));
            todo.extend(asset_paths(&text));
        }
    }
    let bundles = seen.iter().filter(|p| p.ends_with(".js")).count();
    assert!(
        bundles >= 6,
        "the shell reaches every role's bundle: {seen:#?}"
    );
    assert!(
        seen.iter().any(|p| p.starts_with("/assets/staff.")),
        "{seen:#?}"
    );
}

crate::tests!(
    each_encoding_decodes_to_the_same_bytes,
    hashed_names_are_cached_for_good_and_the_shell_is_revalidated,
    every_import_of_the_served_scripts_is_served,
);
