//! Sign-in, token refresh, sign-out and the current user.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::extract::{ApiJson, Auth, ClientIp, Signed};
use crate::api::state::State;
use crate::api::types::{ErrorResponse, LoginResponse, UserResponse};
use crate::domain::account::CodePurpose;
use crate::domain::validation::{FieldErrors, limits};
use crate::error::{AppError, ErrorCode};
use crate::service::accounts::{self, Origin, Refreshed, Session};
use crate::service::enterprise_accounts::{self, Registration};

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

fn origin(state: &State, ip: ClientIp) -> Origin {
    Origin {
        settings: state.settings.auth.clone(),
        ip: ip.0,
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
        (status = 429, description = "too many failed sign-ins to the account (locked_out) or from the address", body = ErrorResponse),
        (status = 422, body = ErrorResponse),
    ))]
pub async fn login(
    state: State,
    ip: ClientIp,
    body: ApiJson<LoginRequest>,
) -> Result<HttpResponse, AppError> {
    let ApiJson(req) = body;
    let origin = origin(&state, ip);
    if req.username.len() > 64 || req.password.len() > 1024 {
        return Err(AppError::new(
            ErrorCode::InvalidCredentials,
            "wrong username or password",
        ));
    }
    let now = state.clock.now();
    let ttl = refresh_ttl(&state);
    let keys = state.tokens.clone();
    let _turn = crate::auth::password_turn().await;
    let session = state
        .run(move |db| accounts::login(db, &req.username, &req.password, &keys, ttl, now, &origin))
        .await?;
    Ok(HttpResponse::Ok().json(session_response(session)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmsCodeRequest {
    #[schema(example = "13912345678")]
    pub phone: String,
    pub purpose: CodePurpose,
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct SmsCodeResponse {
    /// Seconds the code stays valid.
    pub expires_in: i64,
    /// Seconds before another code may be asked for.
    pub resend_after: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmsLoginRequest {
    pub phone: String,
    /// The six digits of the SMS.
    pub code: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// 统一社会信用代码, 18 characters with a valid check character.
    #[schema(example = "91430100MA4L16JQ9B")]
    pub credit_code: String,
    pub enterprise_name: String,
    /// The person registering: the account's name and the enterprise's contact.
    pub contact_name: String,
    /// A mainland mobile number: the account's username and where the code was sent.
    pub phone: String,
    /// The code sent with purpose `register`.
    pub code: String,
    pub password: String,
}

/// Send a one-time code by SMS, to sign in (`login`), to register (`register`) or to choose a
/// new password for a forgotten one (`reset`). A number with no account (for `reset`: no
/// enterprise account) gets no code, but the answer is the same.
#[utoipa::path(post, path = "/api/v1/auth/sms-code", tag = "auth",
    request_body = SmsCodeRequest,
    responses(
        (status = 202, body = SmsCodeResponse),
        (status = 422, body = ErrorResponse),
        (status = 429, description = "a code went to this number less than a minute ago, or ten today", body = ErrorResponse),
        (status = 503, description = "SMS is turned off on this server", body = ErrorResponse),
    ))]
pub async fn sms_code(
    state: State,
    ip: ClientIp,
    body: ApiJson<SmsCodeRequest>,
) -> Result<HttpResponse, AppError> {
    let ApiJson(req) = body;
    let origin = origin(&state, ip);
    let mut errors = FieldErrors::new();
    let phone = errors.mobile("phone", Some(req.phone)).unwrap_or_default();
    errors.finish()?;
    let now = state.clock.now();
    let outbox = state.outbox.clone();
    let sent = state
        .write(move |c| {
            enterprise_accounts::send_code(c, &outbox, &phone, req.purpose, &origin, now)
        })
        .await?;
    state.outbox.wake_now();
    Ok(HttpResponse::Accepted().json(SmsCodeResponse {
        expires_in: sent.expires_in,
        resend_after: sent.resend_after,
    }))
}

/// Sign in with a code sent by SMS (purpose `login`).
#[utoipa::path(post, path = "/api/v1/auth/sms-login", tag = "auth",
    request_body = SmsLoginRequest,
    responses(
        (status = 200, body = LoginResponse),
        (status = 401, description = "wrong, used or expired code", body = ErrorResponse),
        (status = 409, description = "several accounts use this number", body = ErrorResponse),
        (status = 422, body = ErrorResponse),
        (status = 429, description = "too many failed sign-ins from this address", body = ErrorResponse),
    ))]
pub async fn sms_login(
    state: State,
    ip: ClientIp,
    body: ApiJson<SmsLoginRequest>,
) -> Result<HttpResponse, AppError> {
    let ApiJson(req) = body;
    let origin = origin(&state, ip);
    let mut errors = FieldErrors::new();
    let phone = errors.mobile("phone", Some(req.phone)).unwrap_or_default();
    errors.finish()?;
    let now = state.clock.now();
    let ttl = refresh_ttl(&state);
    let keys = state.tokens.clone();
    let session = state
        .run(move |db| {
            enterprise_accounts::sms_login(db, &phone, &req.code, &keys, ttl, now, &origin)
        })
        .await?;
    Ok(HttpResponse::Ok().json(session_response(session)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    pub phone: String,
    /// The six digits of the SMS sent with purpose `reset`.
    pub code: String,
    /// At least 8 characters, mixing three of: lower case, upper case, digits, others.
    pub new_password: String,
}

/// Choose a new password for a forgotten one (enterprise accounts), with the code sent by SMS
/// for `reset` to the account's phone; signs in. Every other session of the account ends.
/// Staff ask an administrator, whose reset is temporary. A number no enterprise account has
/// is answered as a wrong code; wrong codes count as failed sign-ins from the address.
#[utoipa::path(post, path = "/api/v1/auth/password-reset", tag = "auth",
    request_body = PasswordResetRequest,
    responses(
        (status = 200, body = LoginResponse),
        (status = 401, description = "wrong, used or expired code", body = ErrorResponse),
        (status = 409, description = "several enterprise accounts use this number", body = ErrorResponse),
        (status = 422, body = ErrorResponse),
        (status = 429, description = "too many failed sign-ins from this address", body = ErrorResponse),
    ))]
pub async fn reset_password(
    state: State,
    ip: ClientIp,
    body: ApiJson<PasswordResetRequest>,
) -> Result<HttpResponse, AppError> {
    let ApiJson(req) = body;
    let origin = origin(&state, ip);
    let mut errors = FieldErrors::new();
    let phone = errors.mobile("phone", Some(req.phone)).unwrap_or_default();
    errors.password("new_password", &req.new_password);
    errors.finish()?;
    let now = state.clock.now();
    let ttl = refresh_ttl(&state);
    let keys = state.tokens.clone();
    let _turn = crate::auth::password_turn().await;
    let session = state
        .run(move |db| {
            let new_hash =
                crate::auth::hash_password(&req.new_password).map_err(AppError::internal)?;
            let reset = enterprise_accounts::PasswordReset {
                phone,
                code: req.code,
                new_hash,
            };
            enterprise_accounts::reset_password(db, reset, &keys, ttl, now, &origin)
        })
        .await?;
    Ok(HttpResponse::Ok().json(session_response(session)))
}

/// Register an enterprise account with the unified social credit code, a phone and the code
/// sent to it (purpose `register`); signs the new account in. The enterprise is created
/// unless it exists already with this phone as its contact (imported by an administrator).
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, body = LoginResponse),
        (status = 401, description = "wrong, used or expired code", body = ErrorResponse),
        (status = 409, description = "the phone has an account, or the enterprise is registered with another contact", body = ErrorResponse),
        (status = 422, body = ErrorResponse),
        (status = 429, description = "too many failed codes from this address", body = ErrorResponse),
    ))]
pub async fn register(
    state: State,
    ip: ClientIp,
    body: ApiJson<RegisterRequest>,
) -> Result<HttpResponse, AppError> {
    let ApiJson(req) = body;
    let origin = origin(&state, ip);
    let mut errors = FieldErrors::new();
    let credit_code = crate::api::directory::credit(&mut errors, &req.credit_code);
    errors.required_text("enterprise_name", &req.enterprise_name, limits::NAME);
    errors.required_text("contact_name", &req.contact_name, limits::NAME);
    let phone = errors.mobile("phone", Some(req.phone)).unwrap_or_default();
    errors.password("password", &req.password);
    if req.code.trim().is_empty() {
        errors.add("code", "is required");
    }
    errors.finish()?;
    let password = req.password;
    let turn = crate::auth::password_turn().await;
    let password_hash = web::block(move || crate::auth::hash_password(&password))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)?;
    drop(turn);
    let input = Registration {
        credit_code: credit_code.unwrap_or_default(),
        enterprise_name: req.enterprise_name.trim().to_string(),
        contact_name: req.contact_name.trim().to_string(),
        phone,
        code: req.code,
        password_hash,
    };
    let now = state.clock.now();
    let ttl = refresh_ttl(&state);
    let keys = state.tokens.clone();
    let session = state
        .run(move |db| enterprise_accounts::register(db, input, &keys, ttl, now, &origin))
        .await?;
    Ok(HttpResponse::Created().json(session_response(session)))
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

/// The signed-in user (answered also while `must_change_password` holds every other request).
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, body = UserResponse), (status = 401, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn me(state: State, auth: Signed) -> Result<HttpResponse, AppError> {
    let Signed(who) = auth;
    let user = state.read(move |c| accounts::me(c, &who)).await?;
    Ok(HttpResponse::Ok().json(UserResponse::from(user)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    /// The password the user signs in with now.
    pub current_password: String,
    /// At least 8 characters, mixing three of: lower case, upper case, digits, others; not the
    /// current one.
    pub new_password: String,
}

/// Choose a new password, giving the current one. Every other session of the user ends; the
/// answer is a new session (use its tokens from now on). Required first when the password was
/// set by someone else (`must_change_password`: an administrator's reset, `qiyeshao user
/// add`): until then every other request but `GET /me` and signing out is answered 403
/// `password_change_required`. A wrong current password is answered 422 naming
/// `current_password` and counts as a failed sign-in (the same limits: 429 when reached).
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth",
    request_body = ChangePasswordRequest,
    responses(
        (status = 200, body = LoginResponse),
        (status = 401, body = ErrorResponse),
        (status = 422, body = ErrorResponse),
        (status = 429, description = "too many failed sign-ins to the account or from the address", body = ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn change_password(
    state: State,
    auth: Signed,
    ip: ClientIp,
    body: ApiJson<ChangePasswordRequest>,
) -> Result<HttpResponse, AppError> {
    let Signed(who) = auth;
    let ApiJson(req) = body;
    let mut errors = FieldErrors::new();
    if req.current_password.is_empty() {
        errors.add("current_password", "must not be empty");
    } else if req.current_password.chars().count() > limits::PASSWORD_MAX {
        // Longer than any password can be: no need to spend a hash on it.
        errors.add("current_password", "is not your current password");
    }
    errors.password("new_password", &req.new_password);
    if !req.new_password.is_empty() && req.new_password == req.current_password {
        errors.add("new_password", "must differ from the current password");
    }
    errors.finish()?;
    let origin = origin(&state, ip.clone());
    let actor = ip.actor(&who);
    let now = state.clock.now();
    let ttl = refresh_ttl(&state);
    let keys = state.tokens.clone();
    let _turn = crate::auth::password_turn().await;
    let session = state
        .run(move |db| {
            let passwords = accounts::PasswordChange {
                current: &req.current_password,
                new: &req.new_password,
            };
            accounts::change_password(db, actor, passwords, &keys, ttl, now, &origin)
        })
        .await?;
    Ok(HttpResponse::Ok().json(session_response(session)))
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
