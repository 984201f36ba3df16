//! The web pages: `/` and `/assets/…`, every file embedded in the binary at build time
//! (build.rs): the files of `src/assets/` under their own names, the bundles per role and the
//! other files under content-hashed names, and the shell (`index.html` as built), each stored
//! as it is, gzipped and brotli-compressed. With `QIYESHAO_ASSETS_DIR` set they are read from
//! that folder instead (the files as written, uncompressed and unbundled), so that pages can be
//! edited without rebuilding.
//!
//! Caching: a hashed name never changes its bytes, so it is cached for a year (`immutable`);
//! the shell and the files under their own names are revalidated every time (`no-cache`, with
//! an `ETag` per encoding), so that a new binary is seen at once. The old names stay served, so
//! a page opened before an upgrade still finds the files it imports.
//!
//! The pages get a Content-Security-Policy that allows only the service's own scripts,
//! styles and API, and images from it or from `blob:` URLs (attachments and charts are
//! fetched with the token in a header and shown from a blob); the shell's policy adds the hash
//! of its one inline `<style>`, the skeleton shown while the scripts load.

use std::collections::HashMap;
use std::sync::OnceLock;

use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::encoding::{self, Encoding};
use crate::error::{AppError, ErrorCode};

/// Only our own scripts, styles and API; no inline script or style, no frames, no plugins.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; font-src 'self'; \
manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// A stored form of a file and its entity tag.
struct Variant {
    bytes: &'static [u8],
    etag: &'static str,
}

/// How a file is cached (see the module's doc).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Source,
    Hashed,
    Shell,
}

struct Asset {
    name: &'static str,
    kind: Kind,
    identity: Variant,
    gzip: Option<Variant>,
    brotli: Option<Variant>,
}

/// A bundle as build.rs wrote it: the modules in it, the bundles it imports and those it may
/// `import()` (for the tests).
#[cfg_attr(not(test), allow(dead_code))]
struct Bundle {
    file: &'static str,
    modules: &'static [&'static str],
    imports: &'static [&'static str],
    dynamic: &'static [&'static str],
}

const EMBEDDED: &[Asset] = include!(concat!(env!("OUT_DIR"), "/assets.rs"));
#[cfg_attr(not(test), allow(dead_code))]
const BUNDLES: &[Bundle] = include!(concat!(env!("OUT_DIR"), "/bundles.rs"));

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Revalidate every time: a new binary must not run with yesterday's script.
const REVALIDATE: &str = "no-cache";

fn embedded() -> &'static HashMap<&'static str, &'static Asset> {
    static TABLE: OnceLock<HashMap<&'static str, &'static Asset>> = OnceLock::new();
    TABLE.get_or_init(|| EMBEDDED.iter().map(|a| (a.name, a)).collect())
}

/// The files of `src/assets/` as written (the module graph's test reads them).
#[cfg_attr(not(test), allow(dead_code))]
fn sources() -> impl Iterator<Item = (&'static str, &'static [u8])> {
    EMBEDDED
        .iter()
        .filter(|a| a.kind == Kind::Source)
        .map(|a| (a.name, a.identity.bytes))
}

/// The names of the embedded files (for tests and `--help`-style listings).
pub fn names() -> Vec<&'static str> {
    let mut names: Vec<_> = EMBEDDED.iter().map(|a| a.name).collect();
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

/// The shell's policy: ours, with the hash of each inline `<style>` it carries.
fn shell_policy(html: &[u8]) -> String {
    let text = String::from_utf8_lossy(html);
    let hashes: String = text
        .split("<style>")
        .skip(1)
        .filter_map(|rest| rest.split("</style>").next())
        .map(|style| {
            let digest = Sha256::digest(style.as_bytes());
            format!(
                " 'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            )
        })
        .collect();
    CONTENT_SECURITY_POLICY.replace("style-src 'self'", &format!("style-src 'self'{hashes}"))
}

/// What one answer sends: the bytes in the chosen encoding and how to cache them.
struct Answer {
    body: Bytes,
    etag: String,
    encoding: Encoding,
    cache: &'static str,
    policy: HeaderValue,
}

/// The embedded file in the encoding the client prefers.
fn embedded_answer(req: &HttpRequest, asset: &'static Asset) -> Answer {
    let accept = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok());
    let mut available = Vec::with_capacity(3);
    if asset.brotli.is_some() {
        available.push(Encoding::Brotli);
    }
    if asset.gzip.is_some() {
        available.push(Encoding::Gzip);
    }
    available.push(Encoding::Identity);
    let encoding = encoding::choose(accept, &available);
    let variant = match encoding {
        Encoding::Brotli => asset.brotli.as_ref(),
        Encoding::Gzip => asset.gzip.as_ref(),
        Encoding::Identity => None,
    }
    .unwrap_or(&asset.identity);
    let policy = if asset.kind == Kind::Shell {
        static POLICY: OnceLock<HeaderValue> = OnceLock::new();
        POLICY
            .get_or_init(|| {
                HeaderValue::from_str(&shell_policy(asset.identity.bytes))
                    .unwrap_or(HeaderValue::from_static(CONTENT_SECURITY_POLICY))
            })
            .clone()
    } else {
        HeaderValue::from_static(CONTENT_SECURITY_POLICY)
    };
    Answer {
        body: Bytes::from_static(variant.bytes),
        etag: variant.etag.to_string(),
        encoding,
        cache: if asset.kind == Kind::Hashed {
            IMMUTABLE
        } else {
            REVALIDATE
        },
        policy,
    }
}

/// The file as written in `dir` (development: uncompressed, revalidated).
fn disk_answer(dir: &std::ffi::OsStr, name: &str, shell: bool) -> Result<Answer, AppError> {
    let bytes = std::fs::read(std::path::Path::new(dir).join(name)).map_err(|_| not_found(name))?;
    let policy = if shell {
        HeaderValue::from_str(&shell_policy(&bytes))
            .unwrap_or(HeaderValue::from_static(CONTENT_SECURITY_POLICY))
    } else {
        HeaderValue::from_static(CONTENT_SECURITY_POLICY)
    };
    Ok(Answer {
        etag: format!("\"{}\"", &crate::auth::sha256_hex(&bytes)[..16]),
        body: bytes.into(),
        encoding: Encoding::Identity,
        cache: REVALIDATE,
        policy,
    })
}

fn serve(req: &HttpRequest, name: &str) -> Result<HttpResponse, AppError> {
    let name = clean(name).ok_or_else(|| not_found(name))?;
    let answer = match std::env::var_os("QIYESHAO_ASSETS_DIR") {
        Some(dir) => disk_answer(&dir, name, name == "index.html")?,
        None => embedded_answer(req, embedded().get(name).ok_or_else(|| not_found(name))?),
    };
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == answer.etag));
    let mut response = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::CONTENT_TYPE, content_type(name)))
        .insert_header((header::ETAG, answer.etag))
        .insert_header((header::VARY, "Accept-Encoding"))
        .insert_header((header::CACHE_CONTROL, answer.cache))
        .insert_header((header::CONTENT_SECURITY_POLICY, answer.policy));
    if let Some(coding) = answer.encoding.header() {
        response.insert_header((header::CONTENT_ENCODING, coding));
    }
    Ok(if fresh {
        response.finish()
    } else {
        response.body(answer.body)
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
mod bundles;
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

    #[test]
    fn the_shell_policy_allows_its_own_style_and_nothing_else_inline() {
        let policy = shell_policy(b"<style>a{}</style>");
        let digest = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b"a{}"));
        assert!(
            policy.contains(&format!("style-src 'self' 'sha256-{digest}';")),
            "{policy}"
        );
        assert!(policy.contains("script-src 'self';"), "{policy}");
        assert_eq!(shell_policy(b"<p>no style</p>"), CONTENT_SECURITY_POLICY);
    }
}
