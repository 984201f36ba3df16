//! An enterprise's users, managed by its manager (`/enterprise/members`), and requests to
//! join an enterprise (`/join-requests`), decided by its manager or by staff.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::auth::JoinRequestResponse;
use crate::api::extract::{ApiJson, Auth, ClientIp, path_id};
use crate::api::params::one_of;
use crate::api::state::State;
use crate::api::types::{ErrorResponse, UserResponse};
use crate::domain::account::JoinStatus;
use crate::domain::validation::{FieldErrors, limits};
use crate::error::AppError;
use crate::service::members::{self, Decision, Invite};

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberList {
    /// Managers first, then in the order they joined.
    pub items: Vec<UserResponse>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JoinRequestList {
    /// Newest first (at most 200).
    pub items: Vec<JoinRequestResponse>,
}

/// The users of your enterprise (its manager only).
#[utoipa::path(get, path = "/api/v1/enterprise/members", tag = "members",
    responses((status = 200, body = MemberList), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn list(state: State, auth: Auth) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let rows = state.read(move |c| members::list(c, &who)).await?;
    let items = rows.into_iter().map(UserResponse::from).collect();
    Ok(HttpResponse::Ok().json(MemberList { items }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    /// The colleague's mainland mobile number: their username and where the invitation goes.
    #[schema(example = "13912345678")]
    pub phone: String,
    pub name: String,
}

/// Invite a colleague (the enterprise's manager): an account is made at once, with no
/// password (they sign in by SMS code, and accept the legal texts then), and they are told by
/// SMS. A number with an account, or with a request to join waiting, is refused (409).
#[utoipa::path(post, path = "/api/v1/enterprise/members", tag = "members",
    request_body = InviteRequest,
    responses(
        (status = 201, body = UserResponse),
        (status = 401, body = ErrorResponse),
        (status = 403, body = ErrorResponse),
        (status = 409, description = "the number has an account or a request to join waiting", body = ErrorResponse),
        (status = 422, body = ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn invite(
    state: State,
    auth: Auth,
    ip: ClientIp,
    body: ApiJson<InviteRequest>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let ApiJson(req) = body;
    crate::service::require_role(&who, &[crate::domain::ticket::Role::Enterprise])?;
    let mut errors = FieldErrors::new();
    let phone = errors.mobile("phone", Some(req.phone)).unwrap_or_default();
    errors.required_text("name", &req.name, limits::NAME);
    errors.finish()?;
    let invite = Invite {
        phone,
        name: req.name.trim().to_string(),
    };
    let actor = ip.actor(&who);
    let now = state.clock.now();
    let outbox = state.outbox.clone();
    let user = state
        .write(move |c| members::invite(c, &outbox, &actor, invite, now))
        .await?;
    state.outbox.wake_now();
    Ok(HttpResponse::Created().json(UserResponse::from(user)))
}

async fn set_disabled(
    state: State,
    auth: Auth,
    ip: ClientIp,
    id: &str,
    disabled: bool,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let id = path_id(id, "user")?;
    let actor = ip.actor(&who);
    let now = state.clock.now();
    let user = state
        .write(move |c| members::set_disabled(c, &actor, &id, disabled, now))
        .await?;
    Ok(HttpResponse::Ok().json(UserResponse::from(user)))
}

/// Disable a colleague (the enterprise's manager): they can no longer sign in, and their
/// sessions end.
#[utoipa::path(post, path = "/api/v1/enterprise/members/{id}/disable", tag = "members",
    params(("id" = String, Path)),
    responses((status = 200, body = UserResponse), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn disable(
    state: State,
    auth: Auth,
    ip: ClientIp,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    set_disabled(state, auth, ip, &path.into_inner(), true).await
}

/// Enable a disabled colleague again (the enterprise's manager).
#[utoipa::path(post, path = "/api/v1/enterprise/members/{id}/enable", tag = "members",
    params(("id" = String, Path)),
    responses((status = 200, body = UserResponse), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn enable(
    state: State,
    auth: Auth,
    ip: ClientIp,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    set_disabled(state, auth, ip, &path.into_inner(), false).await
}

/// Hand the management of the enterprise's account to an active colleague (the manager):
/// they manage it from now on, and you no longer do.
#[utoipa::path(post, path = "/api/v1/enterprise/members/{id}/manager", tag = "members",
    params(("id" = String, Path)),
    responses((status = 200, body = UserResponse), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn hand_over(
    state: State,
    auth: Auth,
    ip: ClientIp,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let id = path_id(&path.into_inner(), "user")?;
    let actor = ip.actor(&who);
    let now = state.clock.now();
    let user = state
        .write(move |c| members::hand_over(c, &actor, &id, now))
        .await?;
    Ok(HttpResponse::Ok().json(UserResponse::from(user)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct JoinRequestQuery {
    /// pending, approved or rejected; absent: all.
    pub status: Option<String>,
}

/// Requests to join an enterprise: your enterprise's (its manager), or every enterprise's
/// (dispatchers, administrators).
#[utoipa::path(get, path = "/api/v1/join-requests", tag = "members",
    params(JoinRequestQuery),
    responses((status = 200, body = JoinRequestList), (status = 400, body = ErrorResponse), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn list_requests(
    state: State,
    auth: Auth,
    query: web::Query<JoinRequestQuery>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let status = one_of::<JoinStatus>("status", query.status.as_deref())?;
    let rows = state
        .read(move |c| members::list_requests(c, &who, status))
        .await?;
    let items = rows
        .into_iter()
        .map(|(row, name)| JoinRequestResponse::of(row, name))
        .collect();
    Ok(HttpResponse::Ok().json(JoinRequestList { items }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectJoinRequest {
    /// Why, told to the person by SMS.
    pub reason: String,
}

async fn decide(
    state: State,
    auth: Auth,
    ip: ClientIp,
    id: String,
    decision: Decision,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let id = path_id(&id, "join request")?;
    let actor = ip.actor(&who);
    let now = state.clock.now();
    let outbox = state.outbox.clone();
    let (row, name) = state
        .write(move |c| members::decide(c, &outbox, &actor, &id, decision, now))
        .await?;
    state.outbox.wake_now();
    Ok(HttpResponse::Ok().json(JoinRequestResponse::of(row, name)))
}

/// Approve a request to join (the enterprise's manager, a dispatcher, an administrator): the
/// person's account is made, with the password and acceptance of the request, and they are
/// told by SMS.
#[utoipa::path(post, path = "/api/v1/join-requests/{id}/approve", tag = "members",
    params(("id" = String, Path)),
    responses((status = 200, body = JoinRequestResponse), (status = 401, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn approve(
    state: State,
    auth: Auth,
    ip: ClientIp,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let decision = Decision {
        approve: true,
        reason: None,
    };
    decide(state, auth, ip, path.into_inner(), decision).await
}

/// Reject a request to join, with a reason told to the person by SMS.
#[utoipa::path(post, path = "/api/v1/join-requests/{id}/reject", tag = "members",
    params(("id" = String, Path)),
    request_body = RejectJoinRequest,
    responses((status = 200, body = JoinRequestResponse), (status = 401, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn reject(
    state: State,
    auth: Auth,
    ip: ClientIp,
    path: web::Path<String>,
    body: ApiJson<RejectJoinRequest>,
) -> Result<HttpResponse, AppError> {
    let ApiJson(req) = body;
    let mut errors = FieldErrors::new();
    errors.required_text("reason", &req.reason, limits::NOTE);
    errors.finish()?;
    let decision = Decision {
        approve: false,
        reason: Some(req.reason),
    };
    decide(state, auth, ip, path.into_inner(), decision).await
}
