//! Sign-in, token refresh, sign-out and the current user.

use actix_web::HttpResponse;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::State;
use crate::api::extract::{ApiJson, Auth};
use crate::api::types::{ErrorResponse, LoginResponse, UserResponse};
use crate::error::AppError;
use crate::service::accounts::{self, Refreshed, Session};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "dispatcher")]
    pub username: String,
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

fn session_response(s: Session) -> LoginResponse {
    LoginResponse {
        access_token: s.access_token,
        refresh_token: s.refresh_token,
        token_type: "Bearer".into(),
        expires_in: s.expires_in,
        user: s.user.into(),
    }
}

fn refresh_ttl(state: &State) -> chrono::Duration {
    chrono::Duration::seconds(state.settings.auth.refresh_token_ttl_secs)
}

/// Sign in with a username and password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, body = LoginResponse),
        (status = 401, description = "wrong username or password", body = ErrorResponse),
        (status = 403, description = "the account is disabled", body = ErrorResponse),
        (status = 422, body = ErrorResponse),
    ))]
pub async fn login(state: State, body: ApiJson<LoginRequest>) -> Result<HttpResponse, AppError> {
    let ApiJson(req) = body;
    if req.username.len() > 64 || req.password.len() > 1024 {
        return Err(AppError::unauthorized(
            "invalid_credentials",
            "wrong username or password",
        ));
    }
    let now = state.clock.now();
    let ttl = refresh_ttl(&state);
    let keys = state.tokens.clone();
    let session = state
        .run(move |db| accounts::login(db, &req.username, &req.password, &keys, ttl, now))
        .await?;
    Ok(HttpResponse::Ok().json(session_response(session)))
}

/// Exchange a refresh token for new tokens. The old refresh token stops working.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, body = LoginResponse),
        (status = 401, description = "unknown, used, revoked or expired refresh token", body = ErrorResponse),
    ))]
pub async fn refresh(
    state: State,
    body: ApiJson<RefreshRequest>,
) -> Result<HttpResponse, AppError> {
    let ApiJson(req) = body;
    let now = state.clock.now();
    let ttl = refresh_ttl(&state);
    let keys = state.tokens.clone();
    let outcome = state
        .write(move |c| accounts::refresh(c, &req.refresh_token, &keys, ttl, now))
        .await?;
    match outcome {
        Refreshed::Ok(session) => Ok(HttpResponse::Ok().json(session_response(*session))),
        Refreshed::Refused(err) => Err(err),
    }
}

/// Sign out: the refresh token, and every token refreshed from the same sign-in, stop working.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "signed out"),
        (status = 401, body = ErrorResponse),
    ))]
pub async fn logout(state: State, body: ApiJson<RefreshRequest>) -> Result<HttpResponse, AppError> {
    let ApiJson(req) = body;
    let now = state.clock.now();
    state
        .write(move |c| accounts::logout(c, &req.refresh_token, now))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, body = UserResponse), (status = 401, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn me(state: State, auth: Auth) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let user = state.read(move |c| accounts::me(c, &who)).await?;
    Ok(HttpResponse::Ok().json(UserResponse::from(user)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMeRequest {
    /// Receive notices by e-mail.
    pub notify_email: Option<bool>,
    /// Receive notices by SMS.
    pub notify_sms: Option<bool>,
}

/// Change your own notification preferences: e-mail and SMS notices can each be turned off.
#[utoipa::path(patch, path = "/api/v1/me", tag = "auth",
    request_body = UpdateMeRequest,
    responses((status = 200, body = UserResponse), (status = 401, body = ErrorResponse), (status = 422, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn update_me(
    state: State,
    auth: Auth,
    body: ApiJson<UpdateMeRequest>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let ApiJson(req) = body;
    let changes = accounts::OwnChanges {
        notify_email: req.notify_email,
        notify_sms: req.notify_sms,
    };
    let now = state.clock.now();
    let user = state
        .write(move |c| accounts::update_me(c, &who, changes, now))
        .await?;
    Ok(HttpResponse::Ok().json(UserResponse::from(user)))
}
