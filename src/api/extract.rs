//! Extractors: the signed-in principal, JSON bodies whose every failure is one of our JSON
//! errors, and the error handlers of actix's own query and path extractors.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::api::state::AppState;
use crate::auth::{Principal, TokenError};
use crate::error::{AppError, ErrorCode};

/// The user the request's bearer token names, who has a password of their own (see
/// [`Signed`]).
pub struct Auth(pub Principal);

impl FromRequest for Auth {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req).map(Auth))
    }
}

/// The user the request's bearer token names, even one whose password was set by someone
/// else and must be changed first, or who has the legal texts in force still to accept: for
/// their own account, the password change, the acceptance and signing out. Every other
/// request takes [`Auth`], which answers such a user 403 `password_change_required` or
/// `consent_required`.
pub struct Signed(pub Principal);

impl FromRequest for Signed {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(signed_in(req).map(Signed))
    }
}

fn authenticate(req: &HttpRequest) -> Result<Principal, AppError> {
    let who = signed_in(req)?;
    if who.must_change_password {
        return Err(AppError::new(
            ErrorCode::PasswordChangeRequired,
            "choose a password of your own first (POST /api/v1/me/password)",
        ));
    }
    if who.consent_required {
        return Err(AppError::new(
            ErrorCode::ConsentRequired,
            "read and accept the user agreement and privacy policy in force first (POST /api/v1/me/consent)",
        ));
    }
    Ok(who)
}

fn signed_in(req: &HttpRequest) -> Result<Principal, AppError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("application state missing")))?;
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| AppError::new(ErrorCode::MissingToken, "sign in first: no bearer token"))?;
    let token = header
        .to_str()
        .ok()
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            AppError::new(
                ErrorCode::InvalidToken,
                "the Authorization header must be \"Bearer <token>\"",
            )
        })?;
    state
        .tokens
        .verify(token, state.clock.now())
        .map_err(|e| match e {
            TokenError::Expired => AppError::new(ErrorCode::TokenExpired, e.to_string()),
            TokenError::Invalid => AppError::new(ErrorCode::InvalidToken, e.to_string()),
        })
}

/// The signed-in user, who must be an administrator. Checked before the body is read, so a
/// user who may not make the request at all is told so rather than what is wrong with it.
pub struct Admin(pub Principal);

impl FromRequest for Admin {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req).and_then(|who| {
            crate::service::require_role(&who, &[crate::domain::ticket::Role::Admin])?;
            Ok(Admin(who))
        }))
    }
}

/// A JSON body, read up to the configured limit.
///
/// Refusals: 415 when the body is not declared JSON, 413 over the limit, 400 when it is not
/// JSON at all, 422 naming the field when it is JSON of the wrong shape (a missing field, an
/// unknown field, a value of the wrong type or outside an enumeration). An empty body reads
/// as `{}`, so actions without parameters need none.
pub struct ApiJson<T>(pub T);

fn is_json(req: &HttpRequest) -> bool {
    match req.mime_type() {
        Ok(Some(mime)) => {
            mime.type_() == "application"
                && (mime.subtype() == "json" || mime.suffix().is_some_and(|s| s == "json"))
        }
        _ => false,
    }
}

fn too_large(limit: usize) -> AppError {
    AppError::new(
        ErrorCode::PayloadTooLarge,
        format!("the request body is larger than {limit} bytes"),
    )
}

/// Turns a deserialisation failure into 400 (not JSON) or 422 (JSON of the wrong shape).
pub fn body_error(err: serde_path_to_error::Error<serde_json::Error>) -> AppError {
    let path = err.path().to_string();
    let inner = err.into_inner();
    match inner.classify() {
        serde_json::error::Category::Data => {
            let text = inner.to_string();
            let field = field_of(&path, &text);
            // serde's messages may carry a position ("at line 1 column 9"), useless to a form.
            let text = text.split(" at line ").next().unwrap_or(&text);
            let message = if text.starts_with("missing field") {
                "is required".to_string()
            } else if let Some((_, expected)) = text
                .strip_prefix("unknown field")
                .and_then(|t| t.split_once(", "))
            {
                format!("is not a field of this request ({expected})")
            } else {
                text.to_string()
            };
            AppError::invalid_field(&field, message)
        }
        _ => AppError::new(
            ErrorCode::MalformedJson,
            format!("the body is not valid JSON: {inner}"),
        ),
    }
}

/// The field a shape error is about: the path to it, or for a missing or unknown field
/// (reported at the enclosing object) the path to the object plus the field's name.
fn field_of(path: &str, message: &str) -> String {
    let named = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next());
    let parent = if path == "." || path.is_empty() {
        None
    } else {
        Some(path)
    };
    match (parent, named) {
        (Some(p), Some(name)) if p == name || p.ends_with(&format!(".{name}")) => p.to_string(),
        (Some(p), Some(name)) => format!("{p}.{name}"),
        (None, Some(name)) => name.to_string(),
        (Some(p), None) => p.to_string(),
        (None, None) => "body".to_string(),
    }
}

/// Parses in two steps so that the status tells the client what is wrong: first as any JSON
/// (a syntax error, or trailing text, is 400), then into the request type (a shape error is
/// 422 naming the field). Deserialising straight from text would report some shape errors,
/// such as a number where an enumeration is expected, as syntax errors.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        AppError::new(
            ErrorCode::MalformedJson,
            format!("the body is not valid JSON: {e}"),
        )
    })?;
    serde_path_to_error::deserialize(value).map_err(body_error)
}

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map_or(64 * 1024, |s| s.settings.http.max_json_bytes);
        let declared_json = is_json(req);
        let has_content_type = req.headers().contains_key(header::CONTENT_TYPE);
        let declared_len = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if declared_len.is_some_and(|n| n > limit) {
                return Err(too_large(limit));
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| {
                    AppError::new(
                        ErrorCode::MalformedBody,
                        format!("reading the body failed: {e}"),
                    )
                })?;
                if body.len() + chunk.len() > limit {
                    return Err(too_large(limit));
                }
                body.extend_from_slice(&chunk);
            }
            if !body.is_empty() && !declared_json
                || body.is_empty() && has_content_type && !declared_json
            {
                return Err(AppError::new(
                    ErrorCode::UnsupportedMediaType,
                    "the body must be JSON, sent with Content-Type: application/json",
                ));
            }
            parse_json(&body).map(ApiJson)
        })
    }
}

/// For `web::QueryConfig`: a query string that does not parse is a 400 naming the problem.
pub fn query_error(err: actix_web::error::QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    AppError::new(
        ErrorCode::InvalidQuery,
        format!("the query string is not valid: {err}"),
    )
    .into()
}

/// For `web::PathConfig`.
pub fn path_error(_: actix_web::error::PathError, _: &HttpRequest) -> actix_web::Error {
    AppError::not_found("resource").into()
}

/// An id from the path, which must look like one of ours; anything else names nothing.
/// The client's address: the connection's peer, or — when the peer is one of the trusted
/// proxies — the last address in `X-Forwarded-For` that is not one of them.
pub fn client_ip(req: &HttpRequest, trusted: &[std::net::IpAddr]) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
        return "unknown".into();
    };
    if !trusted.contains(&peer) {
        return peer.to_string();
    }
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse::<std::net::IpAddr>().ok())
        .collect::<Vec<_>>();
    forwarded
        .into_iter()
        .rev()
        .find(|a| !trusted.contains(a))
        .unwrap_or(peer)
        .to_string()
}

/// The client's address (see [`client_ip`]), for the sign-in limits and the audit log.
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

impl FromRequest for ClientIp {
    type Error = AppError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let trusted = req
            .app_data::<web::Data<AppState>>()
            .map(|s| s.settings.server.trusted_proxies.clone())
            .unwrap_or_default();
        ready(Ok(ClientIp(client_ip(req, &trusted))))
    }
}

impl ClientIp {
    /// The actor of an audited action.
    pub fn actor(self, who: &Principal) -> crate::service::audit::Actor {
        crate::service::audit::Actor {
            who: who.clone(),
            ip: self.0,
        }
    }
}

/// `If-Match: "7"` (or `7`): the version of the ticket an action is meant for. Absent: any.
#[derive(Debug, Clone, Copy)]
pub struct IfMatch(pub Option<i32>);

impl FromRequest for IfMatch {
    type Error = AppError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(value) = req.headers().get(actix_web::http::header::IF_MATCH) else {
            return ready(Ok(IfMatch(None)));
        };
        let parsed = value
            .to_str()
            .ok()
            .map(|v| v.trim().trim_start_matches("W/").trim_matches('"'))
            .and_then(|v| v.parse::<i32>().ok())
            .filter(|v| *v > 0);
        ready(match parsed {
            Some(v) => Ok(IfMatch(Some(v))),
            None => Err(AppError::new(
                ErrorCode::InvalidIfMatch,
                "If-Match must be the ticket's version as its ETag, e.g. \"7\"",
            )),
        })
    }
}

pub fn path_id(raw: &str, what: &str) -> Result<String, AppError> {
    uuid::Uuid::parse_str(raw)
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| AppError::not_found(what))
}
