//! The user agreement and privacy policy (one numbered version holds both), publishing a new
//! version (administrators), and accepting the version in force (`POST /me/consent`).

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::auth::session_response;
use crate::api::extract::{Admin, ApiJson, ClientIp, Signed};
use crate::api::state::State;
use crate::api::types::{ErrorResponse, LoginResponse};
use crate::db::legal::LegalTextRow;
use crate::domain::validation::FieldErrors;
use crate::error::AppError;
use crate::service::accounts;
use crate::service::audit::By;
use crate::service::legal::{self, NewTexts};

/// Characters a text may have (both fit in one request body of `http.max_json_bytes`).
const TEXT_MAX: usize = 10_000;

/// One version of the texts.
#[derive(Debug, Serialize, ToSchema)]
pub struct LegalResponse {
    pub version: i32,
    /// 用户协议, plain text (paragraphs separated by line breaks).
    pub terms: String,
    /// 隐私政策, plain text.
    pub privacy: String,
    /// What changed from the version before.
    pub note: String,
    pub published_at: String,
}

impl From<LegalTextRow> for LegalResponse {
    fn from(r: LegalTextRow) -> Self {
        LegalResponse {
            version: r.version,
            terms: r.terms,
            privacy: r.privacy,
            note: r.note,
            published_at: r.published_at,
        }
    }
}

/// A version in the list of versions.
#[derive(Debug, Serialize, ToSchema)]
pub struct LegalVersionResponse {
    pub version: i32,
    pub note: String,
    pub published_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LegalVersionList {
    /// Newest first; the first is in force.
    pub items: Vec<LegalVersionResponse>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LegalQuery {
    /// A version; absent: the one in force.
    pub version: Option<i32>,
}

/// The user agreement and privacy policy in force, or an earlier version. Anyone may read them
/// (registration shows them before anyone has an account).
#[utoipa::path(get, path = "/api/v1/legal", tag = "auth",
    params(LegalQuery),
    responses((status = 200, body = LegalResponse), (status = 400, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
pub async fn current(
    state: State,
    query: web::Query<LegalQuery>,
) -> Result<HttpResponse, AppError> {
    let version = query.into_inner().version;
    let row = state.read(move |c| legal::version(c, version)).await?;
    Ok(HttpResponse::Ok().json(LegalResponse::from(row)))
}

/// Every published version, newest first.
#[utoipa::path(get, path = "/api/v1/legal/versions", tag = "auth",
    responses((status = 200, body = LegalVersionList)))]
pub async fn versions(state: State) -> Result<HttpResponse, AppError> {
    let rows = state
        .read(|c| Ok::<_, AppError>(crate::db::legal::list(c)?))
        .await?;
    let items = rows
        .into_iter()
        .map(|r| LegalVersionResponse {
            version: r.version,
            note: r.note,
            published_at: r.published_at,
        })
        .collect();
    Ok(HttpResponse::Ok().json(LegalVersionList { items }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishLegalRequest {
    /// 用户协议, plain text, at most 10,000 characters.
    pub terms: String,
    /// 隐私政策, plain text, at most 10,000 characters.
    pub privacy: String,
    /// What changed, shown to the users asked again; at most 2,000 characters.
    pub note: String,
}

/// Publish the next version (administrators). Every enterprise user is asked to accept it at
/// their next sign-in (until then the API answers them 403 `consent_required`). Texts the
/// same as the version in force are refused (409).
#[utoipa::path(post, path = "/api/v1/legal", tag = "auth",
    request_body = PublishLegalRequest,
    responses(
        (status = 201, body = LegalResponse),
        (status = 401, body = ErrorResponse),
        (status = 403, body = ErrorResponse),
        (status = 409, description = "the same texts as the version in force", body = ErrorResponse),
        (status = 422, body = ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn publish(
    state: State,
    auth: Admin,
    ip: ClientIp,
    body: ApiJson<PublishLegalRequest>,
) -> Result<HttpResponse, AppError> {
    let Admin(who) = auth;
    let ApiJson(req) = body;
    let mut errors = FieldErrors::new();
    errors.required_text("terms", &req.terms, TEXT_MAX);
    errors.required_text("privacy", &req.privacy, TEXT_MAX);
    errors.required_text("note", &req.note, crate::domain::validation::limits::NOTE);
    errors.finish()?;
    let texts = NewTexts {
        terms: req.terms.trim().to_string(),
        privacy: req.privacy.trim().to_string(),
        note: req.note.trim().to_string(),
    };
    let by = By::Request(ip.actor(&who));
    let now = state.clock.now();
    let row = state
        .write(move |c| legal::publish(c, &by, &who, texts, now))
        .await?;
    Ok(HttpResponse::Created().json(LegalResponse::from(row)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentRequest {
    /// The version read and accepted: the one in force.
    pub version: i32,
}

/// Accept the user agreement and privacy policy in force (the version read). The answer is a
/// new session whose tokens no longer carry `consent_required`: use them from now on.
#[utoipa::path(post, path = "/api/v1/me/consent", tag = "auth",
    request_body = ConsentRequest,
    responses(
        (status = 200, body = LoginResponse),
        (status = 401, body = ErrorResponse),
        (status = 422, description = "not the version in force", body = ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn consent(
    state: State,
    auth: Signed,
    ip: ClientIp,
    body: ApiJson<ConsentRequest>,
) -> Result<HttpResponse, AppError> {
    let Signed(who) = auth;
    let ApiJson(req) = body;
    let now = state.clock.now();
    let ttl = chrono::Duration::seconds(state.settings.auth.refresh_token_ttl_secs);
    let keys = state.tokens.clone();
    let session = state
        .write(move |c| -> Result<_, AppError> {
            legal::check_current(c, "version", req.version)?;
            let mut user = accounts::me(c, &who)?;
            legal::accept(c, &mut user, req.version, &ip.0, now)?;
            accounts::new_session(c, user, &keys, ttl, now)
        })
        .await?;
    Ok(HttpResponse::Ok().json(session_response(session)))
}
