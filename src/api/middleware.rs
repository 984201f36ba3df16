//! What wraps every answer: the security headers, a Content-Security-Policy for answers that
//! set none of their own, cross-origin requests (CORS) for the configured origins, and the
//! access log; and what wraps one: gzip for the ledger's CSV as it streams.

use std::sync::Arc;

use actix_http::encoding::Encoder;
use actix_web::HttpResponse;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::http::header::{
    self, CONTENT_SECURITY_POLICY, ContentEncoding, HeaderMap, HeaderValue,
};
use actix_web::middleware::{Condition, DefaultHeaders, Logger};
use futures_util::future::LocalBoxFuture;

use super::encoding::{self, Encoding};

/// The headers every answer carries.
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Cache-Control", "no-store"))
}

/// Peer, method and path, status, bytes, seconds — when `log.requests` is on. Not the query
/// string: it can carry phone numbers and names (a search, an outbox filter); nor the token of
/// a signed download link ([`logged_path`]).
pub fn access_log(on: bool) -> Condition<Logger> {
    Condition::new(
        on,
        Logger::new("%a \"%{method}xi %{path}xi\" %s %b %T")
            .custom_request_replace("method", |req| req.method().to_string())
            .custom_request_replace("path", |req| logged_path(req.path())),
    )
}

/// The path as the access log writes it: a signed download link's token, a credential while
/// it lives, left out (`/api/v1/downloads/…`).
pub fn logged_path(path: &str) -> String {
    const LINKS: &str = "/api/v1/downloads/";
    match path.strip_prefix(LINKS) {
        Some(token) if !token.is_empty() => format!("{LINKS}…"),
        _ => path.to_string(),
    }
}

/// Answers a CORS preflight from an allowed origin itself, marks the answers to the allowed
/// origins, and gives answers that set no policy of their own (the API's JSON, errors,
/// exports) one that allows nothing; the API viewer's pages only refuse framing. For
/// `App::wrap_fn`.
pub fn policies<S, B>(
    origins: Arc<Vec<String>>,
) -> impl Fn(
    ServiceRequest,
    &S,
) -> LocalBoxFuture<'static, Result<ServiceResponse<BoxBody>, actix_web::Error>>
+ Clone
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    move |req: ServiceRequest, srv: &S| {
        let docs = req.path().starts_with("/api/docs");
        let cors = allowed(&req, &origins);
        if let Some(origin) = cors.as_ref().filter(|_| is_preflight(&req)) {
            let res = req.into_response(preflight(origin));
            return Box::pin(async move { Ok(res) }) as LocalBoxFuture<'static, _>;
        }
        let answer = srv.call(req);
        Box::pin(async move {
            let mut res = answer.await?.map_into_boxed_body();
            if let Some(origin) = cors {
                allow(res.headers_mut(), &origin);
            }
            let policy = if docs {
                "frame-ancestors 'none'"
            } else {
                "default-src 'none'; frame-ancestors 'none'"
            };
            if !res.headers().contains_key(CONTENT_SECURITY_POLICY) {
                res.headers_mut()
                    .insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(policy));
            }
            Ok(res)
        })
    }
}

/// The request's `Origin`, if it is one of those allowed.
fn allowed(req: &ServiceRequest, origins: &[String]) -> Option<String> {
    let origin = req.headers().get(header::ORIGIN)?.to_str().ok()?;
    origins
        .iter()
        .any(|o| o == origin)
        .then(|| origin.to_string())
}

fn is_preflight(req: &ServiceRequest) -> bool {
    req.method() == actix_web::http::Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

fn allow(headers: &mut HeaderMap, origin: &str) {
    if let Ok(value) = HeaderValue::from_str(origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        // Appended: an answer may already vary by Accept-Encoding.
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("ETag, Retry-After, Content-Disposition, Location"),
        );
    }
}

/// The answer to a preflight from an allowed origin.
fn preflight(origin: &str) -> HttpResponse {
    let mut res = HttpResponse::NoContent()
        .insert_header((
            header::ACCESS_CONTROL_ALLOW_METHODS,
            "GET, POST, PUT, PATCH",
        ))
        .insert_header((
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            "Authorization, Content-Type, Idempotency-Key, If-Match",
        ))
        .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"))
        .finish();
    allow(res.headers_mut(), origin);
    res
}

/// Gzip (flate2's fastest level, chunk by chunk as the body streams: memory stays flat) when
/// the request accepts it, for `Resource::wrap_fn` on the ledger's CSV. Not brotli, whose
/// CPU there is 4.7 times gzip's for a third fewer bytes; not the JSON answers, where
/// compressing costs more CPU than the answer itself (docs/performance.md, "Compressing the
/// API's answers").
pub fn gzip_when_accepted<S, B>(
    req: ServiceRequest,
    srv: &S,
) -> LocalBoxFuture<'static, Result<ServiceResponse<Encoder<B>>, actix_web::Error>>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    let accept = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok());
    let coding = match encoding::choose(accept, &[Encoding::Gzip, Encoding::Identity]) {
        Encoding::Gzip => ContentEncoding::Gzip,
        Encoding::Brotli | Encoding::Identity => ContentEncoding::Identity,
    };
    let answer = srv.call(req);
    Box::pin(async move {
        let res = answer.await?;
        Ok(res.map_body(|head, body| Encoder::response(coding, head, body)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_tokens_stay_out_of_the_log() {
        assert_eq!(
            logged_path("/api/v1/downloads/eyJhbGciOiJIUzI1NiJ9.e30.sig"),
            "/api/v1/downloads/…"
        );
        assert_eq!(logged_path("/api/v1/downloads"), "/api/v1/downloads");
        assert_eq!(logged_path("/api/v1/tickets/7"), "/api/v1/tickets/7");
    }
}
