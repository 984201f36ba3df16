//! The web pages: `/` and `/assets/…`, every file embedded in the binary at build time
//! (build.rs lists `src/assets/`). With `QIYESHAO_ASSETS_DIR` set they are read from that
//! folder instead, so that pages can be edited without rebuilding.
//!
//! The pages get a Content-Security-Policy that allows only the service's own scripts,
//! styles and API, and images from it or from `blob:` URLs (attachments and charts are
//! fetched with the token in a header and shown from a blob).

use std::collections::HashMap;
use std::sync::OnceLock;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::{AppError, ErrorCode};

/// Only our own scripts, styles and API; no inline script or style, no frames, no plugins.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; font-src 'self'; \
manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const EMBEDDED: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/assets.rs"));

struct Asset {
    bytes: &'static [u8],
    etag: String,
}

fn etag(bytes: &[u8]) -> String {
    format!("\"{}\"", &crate::auth::sha256_hex(bytes)[..16])
}

fn embedded() -> &'static HashMap<&'static str, Asset> {
    static TABLE: OnceLock<HashMap<&'static str, Asset>> = OnceLock::new();
    TABLE.get_or_init(|| {
        EMBEDDED
            .iter()
            .map(|(name, bytes)| {
                (
                    *name,
                    Asset {
                        bytes,
                        etag: etag(bytes),
                    },
                )
            })
            .collect()
    })
}

/// The names of the embedded files (for tests and `--help`-style listings).
pub fn names() -> Vec<&'static str> {
    let mut names: Vec<_> = EMBEDDED.iter().map(|(n, _)| *n).collect();
    names.sort_unstable();
    names
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "json" | "webmanifest" => "application/json",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

/// A path under `/assets/` that names a file and nothing above it.
fn clean(name: &str) -> Option<&str> {
    let ok = !name.is_empty()
        && name
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != ".." && !part.starts_with('.'));
    ok.then_some(name)
}

fn not_found(name: &str) -> AppError {
    AppError::new(ErrorCode::NotFound, format!("no asset {name}"))
}

fn serve(req: &HttpRequest, name: &str) -> Result<HttpResponse, AppError> {
    let name = clean(name).ok_or_else(|| not_found(name))?;
    let (bytes, tag): (std::borrow::Cow<'static, [u8]>, String) =
        match std::env::var_os("QIYESHAO_ASSETS_DIR") {
            Some(dir) => {
                let bytes = std::fs::read(std::path::Path::new(&dir).join(name))
                    .map_err(|_| not_found(name))?;
                let tag = etag(&bytes);
                (bytes.into(), tag)
            }
            None => {
                let asset = embedded().get(name).ok_or_else(|| not_found(name))?;
                (asset.bytes.into(), asset.etag.clone())
            }
        };
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag));
    let mut response = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::CONTENT_TYPE, content_type(name)))
        .insert_header((header::ETAG, tag))
        // Revalidate every time: a new binary must not run with yesterday's script.
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ));
    Ok(if fresh {
        response.finish()
    } else {
        response.body(bytes.into_owned())
    })
}

/// `/`: the single page; its script routes by the part after `#`.
pub async fn index(req: HttpRequest) -> Result<HttpResponse, AppError> {
    serve(&req, "index.html")
}

/// `/tickets/{id}` and `/tickets/{id}/rate`, the links in e-mails and SMS: to the page's
/// own route for them, which shows the ticket to whoever signs in.
pub async fn ticket_link(req: HttpRequest) -> HttpResponse {
    let id = req.match_info().get("id").unwrap_or("");
    let id: String = id
        .chars()
        .filter(|c| c.is_ascii_hexdigit() || *c == '-')
        .take(36)
        .collect();
    let rate = if req.path().ends_with("/rate") {
        "/rate"
    } else {
        ""
    };
    HttpResponse::Found()
        .insert_header((header::LOCATION, format!("/#/t/{id}{rate}")))
        .finish()
}

/// `/assets/{name}`.
pub async fn asset(req: HttpRequest, name: web::Path<String>) -> Result<HttpResponse, AppError> {
    serve(&req, &name)
}

#[cfg(test)]
mod module_graph;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_outside_the_folder_are_refused() {
        assert_eq!(clean("js/core/dom.js"), Some("js/core/dom.js"));
        for bad in [
            "",
            "../Cargo.toml",
            "js/../../x",
            "/etc/passwd",
            ".hidden",
            "js//a.js",
        ] {
            assert_eq!(clean(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_page_and_its_script_are_embedded() {
        let names = names();
        assert!(names.contains(&"index.html"), "{names:?}");
        assert!(names.contains(&"js/main.js"), "{names:?}");
        assert_eq!(content_type("js/main.js"), "text/javascript; charset=utf-8");
    }
}
