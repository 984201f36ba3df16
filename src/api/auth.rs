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
use crate::service::enterprise_accounts::{self, PhoneProven, Registered, Registration, SmsSignIn};

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

pub(crate) fn session_response(s: Session) -> LoginResponse {
    let mut user = UserResponse::from(s.user);
    user.consent_required = s.consent_required;
    LoginResponse {
        access_token: s.access_token,
        refresh_token: s.refresh_token,
        token_type: "Bearer".into(),
        expires_in: s.expires_in,
        user,
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

impl From<enterprise_accounts::CodeSent> for SmsCodeResponse {
    fn from(sent: enterprise_accounts::CodeSent) -> Self {
        SmsCodeResponse {
            expires_in: sent.expires_in,
            resend_after: sent.resend_after,
        }
    }
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
    /// The code sent with purpose `register`; or give `phone_proof`.
    #[serde(default)]
    pub code: Option<String>,
    /// The proof `/auth/sms-login` answered for this number (code-first sign-in); or give
    /// `code`.
    #[serde(default)]
    pub phone_proof: Option<String>,
    /// The version of the user agreement and privacy policy (`GET /legal`) the person read
    /// and accepts.
    pub consent_version: i32,
    /// When the enterprise has an account already: ask to join it.
    #[serde(default)]
    pub join: bool,
    pub password: String,
}

/// Send a one-time code by SMS, to sign in (`login`), to register (`register`) or to choose a
/// new password for a forgotten one (`reset`). Sign-in is code-first: any number gets a code
/// for `login`, and one with no account goes on to register with it (see `/auth/sms-login`).
/// For `reset`, a number with no enterprise account gets no code, but the answer — the 429s
/// included — is the same. `phone` is refused here (`/me/phone-code`).
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
    if req.purpose == CodePurpose::Phone {
        errors.add(
            "purpose",
            "a code for a new phone is asked for by its user (POST /api/v1/me/phone-code)",
        );
    }
    errors.finish()?;
    let now = state.clock.now();
    let outbox = state.outbox.clone();
    let sent = state
        .write(move |c| {
            enterprise_accounts::send_code(c, &outbox, &phone, req.purpose, &origin, now)
        })
        .await?;
    state.outbox.wake_now();
    Ok(HttpResponse::Accepted().json(SmsCodeResponse::from(sent)))
}

/// What signing in by code answers for a number with no account.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct PhoneProofResponse {
    /// The number is proven: give this as `phone_proof` to `POST /auth/register`.
    pub phone_proof: String,
    /// Seconds the proof stays good.
    pub expires_in: i64,
    /// The number's request to join an enterprise, waiting for a decision, if any.
    pub join_request: Option<JoinRequestResponse>,
}

/// A request to join an enterprise's account.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct JoinRequestResponse {
    pub id: String,
    pub enterprise_id: String,
    pub enterprise_name: String,
    /// The number of the person asking (masked for anyone but the enterprise's manager and
    /// the staff who decide).
    pub phone: String,
    pub name: String,
    #[schema(value_type = String, example = "pending")]
    pub status: crate::domain::account::JoinStatus,
    /// Why it was rejected.
    pub reason: Option<String>,
    pub created_at: String,
    pub decided_at: Option<String>,
}

impl JoinRequestResponse {
    pub(crate) fn of(
        row: crate::db::join_requests::JoinRequestRow,
        enterprise_name: String,
    ) -> Self {
        JoinRequestResponse {
            id: row.id,
            enterprise_id: row.enterprise_id,
            enterprise_name,
            phone: row.phone,
            name: row.name,
            status: row.status,
            reason: row.reason,
            created_at: row.created_at,
            decided_at: row.decided_at,
        }
    }
}

/// Sign in with a code sent by SMS (purpose `login`). Code-first: for a number with no
/// account the answer is 202 with a proof of the number, good for 30 minutes, to register it
/// with (`POST /auth/register` with `phone_proof`), and the number's waiting request to join
/// an enterprise if it made one.
#[utoipa::path(post, path = "/api/v1/auth/sms-login", tag = "auth",
    request_body = SmsLoginRequest,
    responses(
        (status = 200, body = LoginResponse),
        (status = 202, description = "the number has no account: register it", body = PhoneProofResponse),
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
    let signed = state
        .run(move |db| {
            enterprise_accounts::sms_login(db, &phone, &req.code, &keys, ttl, now, &origin)
        })
        .await?;
    Ok(match signed {
        SmsSignIn::Session(session) => HttpResponse::Ok().json(session_response(*session)),
        SmsSignIn::Unregistered { proof, pending } => {
            HttpResponse::Accepted().json(PhoneProofResponse {
                phone_proof: proof,
                expires_in: enterprise_accounts::PHONE_PROOF_TTL_SECS,
                join_request: pending.map(|p| {
                    let (row, name) = *p;
                    JoinRequestResponse::of(row, name)
                }),
            })
        }
    })
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

/// Register an enterprise account with the unified social credit code and a phone proven
/// either by the code sent to it (purpose `register`) or by signing in with a code
/// (`phone_proof` from `/auth/sms-login`); the legal texts in force (`consent_version`, see
/// `GET /legal`) are accepted with it. Signs the new account in (201). The enterprise is
/// created unless it exists already: then the account joins it if the enterprise's contact
/// phone is this phone (an administrator imported it so); otherwise, with `join: true`, a
/// request to join is made for the enterprise's manager or a dispatcher to decide (202; the
/// person is told by SMS), and without it the answer is 409 `enterprise_registered`.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, body = LoginResponse),
        (status = 202, description = "a request to join the enterprise waits for a decision", body = JoinRequestResponse),
        (status = 401, description = "wrong, used or expired code or proof", body = ErrorResponse),
        (status = 409, description = "the phone has an account or a request waiting, or the enterprise is registered with another contact", body = ErrorResponse),
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
    let now = state.clock.now();
    let mut errors = FieldErrors::new();
    let credit_code = crate::api::directory::credit(&mut errors, &req.credit_code);
    errors.required_text("enterprise_name", &req.enterprise_name, limits::NAME);
    errors.required_text("contact_name", &req.contact_name, limits::NAME);
    let phone = errors.mobile("phone", Some(req.phone)).unwrap_or_default();
    errors.password("password", &req.password);
    let proven = match (req.code, req.phone_proof) {
        (Some(code), None) if !code.trim().is_empty() => Some(PhoneProven::Code(code)),
        (None, Some(proof)) => Some(PhoneProven::Proof).filter(|_| {
            state.tokens.verify_phone_proof(&proof, now).as_deref() == Some(phone.as_str())
                || phone.is_empty()
        }),
        (Some(_), Some(_)) => {
            errors.add("phone_proof", "give either code or phone_proof, not both");
            None
        }
        _ => {
            errors.add("code", "is required (or phone_proof)");
            None
        }
    };
    errors.finish()?;
    let Some(proven) = proven else {
        return Err(AppError::new(
            ErrorCode::InvalidCode,
            "the proof of this phone is wrong or has expired; sign in with a new code",
        ));
    };
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
        proven,
        password_hash,
        consent_version: req.consent_version,
        join: req.join,
    };
    let ttl = refresh_ttl(&state);
    let keys = state.tokens.clone();
    let outbox = state.outbox.clone();
    let registered = state
        .run(move |db| enterprise_accounts::register(db, input, &keys, ttl, now, &origin, &outbox))
        .await?;
    state.outbox.wake_now();
    Ok(match registered {
        Registered::Session(session) => HttpResponse::Created().json(session_response(*session)),
        Registered::JoinRequested(request) => {
            let (row, name) = *request;
            HttpResponse::Accepted().json(JoinRequestResponse::of(row, name))
        }
    })
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
    let (user, consent_required) = state
        .read(move |c| -> Result<_, AppError> {
            let user = accounts::me(c, &who)?;
            let required = crate::service::legal::consent_required(c, &user)?;
            Ok((user, required))
        })
        .await?;
    let mut user = UserResponse::from(user);
    user.consent_required = consent_required;
    Ok(HttpResponse::Ok().json(user))
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

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhoneCodeRequest {
    /// The new mainland mobile number.
    #[schema(example = "13912345678")]
    pub phone: String,
}

/// Send a code to a number you want as your phone instead (purpose `phone`); then give it to
/// `POST /me/phone`. A number another active account has is refused (409); the same limits
/// as any code apply.
#[utoipa::path(post, path = "/api/v1/me/phone-code", tag = "auth",
    request_body = PhoneCodeRequest,
    responses(
        (status = 202, body = SmsCodeResponse),
        (status = 401, body = ErrorResponse),
        (status = 409, description = "another account has this number", body = ErrorResponse),
        (status = 422, body = ErrorResponse),
        (status = 429, description = "a code went to this number less than a minute ago, or ten today", body = ErrorResponse),
        (status = 503, description = "SMS is turned off on this server", body = ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn phone_code(
    state: State,
    auth: Auth,
    ip: ClientIp,
    body: ApiJson<PhoneCodeRequest>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let ApiJson(req) = body;
    let origin = origin(&state, ip);
    let mut errors = FieldErrors::new();
    let phone = errors.mobile("phone", Some(req.phone)).unwrap_or_default();
    errors.finish()?;
    let now = state.clock.now();
    let outbox = state.outbox.clone();
    let sent = state
        .write(move |c| {
            enterprise_accounts::send_phone_change_code(c, &outbox, &who, &phone, &origin, now)
        })
        .await?;
    state.outbox.wake_now();
    Ok(HttpResponse::Accepted().json(SmsCodeResponse::from(sent)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePhoneRequest {
    #[schema(example = "13912345678")]
    pub phone: String,
    /// The six digits sent to the new number by `POST /me/phone-code`.
    pub code: String,
}

/// Change your phone to a number proven with the code sent to it. A username that was the old
/// number becomes the new one, and so does the enterprise's contact phone when it was yours.
/// A wrong code counts as a failed sign-in from the address.
#[utoipa::path(post, path = "/api/v1/me/phone", tag = "auth",
    request_body = ChangePhoneRequest,
    responses(
        (status = 200, body = UserResponse),
        (status = 401, description = "not signed in, or a wrong, used or expired code", body = ErrorResponse),
        (status = 409, description = "another account has this number", body = ErrorResponse),
        (status = 422, body = ErrorResponse),
        (status = 429, description = "too many failed codes from this address", body = ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn change_phone(
    state: State,
    auth: Auth,
    ip: ClientIp,
    body: ApiJson<ChangePhoneRequest>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let ApiJson(req) = body;
    let origin = origin(&state, ip);
    let mut errors = FieldErrors::new();
    let phone = errors.mobile("phone", Some(req.phone)).unwrap_or_default();
    if req.code.trim().is_empty() {
        errors.add("code", "is required");
    }
    errors.finish()?;
    let now = state.clock.now();
    let user = state
        .run(move |db| enterprise_accounts::change_phone(db, &who, &phone, &req.code, now, &origin))
        .await?;
    Ok(HttpResponse::Ok().json(UserResponse::from(user)))
}
