//! Signing in and out, refresh-token rotation, and user accounts.

use chrono::{DateTime, Utc};

use crate::auth::{self, Principal, TokenKeys};
use crate::db::refresh_tokens::{self, RefreshTokenRow};
use crate::db::users::{self, UserFilter, UserRow};
use crate::db::{Db, DbConnection, departments, enterprises, new_id};
use crate::domain::notification::{mask_email, mask_phone};
use crate::domain::phone::normalize_mobile;
use crate::domain::ticket::Role;
use crate::domain::time;
use crate::domain::validation::FieldErrors;
use crate::error::{AppError, ErrorCode};
use crate::service::audit::{self, AuditAction, By};
use crate::service::{Page, require_role, throttle};

/// What a successful sign-in or refresh gives.
#[derive(Debug, Clone)]
pub struct Session {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
    pub user: UserRow,
    /// The user must accept the legal texts in force first (see `service::legal`).
    pub consent_required: bool,
}

pub fn principal_of(user: &UserRow) -> Principal {
    Principal {
        user_id: user.id.clone(),
        role: user.role,
        department_id: user.department_id.clone(),
        enterprise_id: user.enterprise_id.clone(),
        must_change_password: user.must_change_password,
        consent_required: false,
    }
}

fn invalid_credentials() -> AppError {
    AppError::new(ErrorCode::InvalidCredentials, "wrong username or password")
}

/// Issues an access token and a refresh token (stored with id `token_id`) of the given
/// family (a new family on sign-in).
fn start_session(
    conn: &mut DbConnection,
    user: UserRow,
    family_id: String,
    token_id: String,
    keys: &TokenKeys,
    refresh_ttl: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<Session, AppError> {
    let refresh_token = auth::new_refresh_token().map_err(AppError::internal)?;
    refresh_tokens::insert(
        conn,
        &RefreshTokenRow {
            id: token_id,
            user_id: user.id.clone(),
            family_id,
            token_hash: auth::hash_token(&refresh_token),
            expires_at: time::format(now + refresh_ttl),
            created_at: time::format(now),
            revoked_at: None,
            replaced_by: None,
        },
    )?;
    let consent_required = crate::service::legal::consent_required(conn, &user)?;
    let who = Principal {
        consent_required,
        ..principal_of(&user)
    };
    let access_token = keys.issue(&who, now).map_err(AppError::internal)?;
    Ok(Session {
        access_token,
        refresh_token,
        expires_in: keys.ttl_secs(),
        user,
        consent_required,
    })
}

/// Starts a new sign-in (a new refresh-token family) for a user already authenticated.
pub fn new_session(
    conn: &mut DbConnection,
    user: UserRow,
    keys: &TokenKeys,
    refresh_ttl: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<Session, AppError> {
    start_session(conn, user, new_id(), new_id(), keys, refresh_ttl, now)
}

/// Who is signing in from where, for the limits on guessing (`service::throttle`).
#[derive(Debug, Clone)]
pub struct Origin {
    pub settings: crate::config::AuthSettings,
    /// The client's address.
    pub ip: String,
}

/// Checks the password outside any transaction (it is slow on purpose), then records the new
/// session in a short one. An account or address that failed too often lately is refused
/// before the password is looked at; each failure is counted.
pub fn login(
    db: &Db,
    username: &str,
    password: &str,
    keys: &TokenKeys,
    refresh_ttl: chrono::Duration,
    now: DateTime<Utc>,
    origin: &Origin,
) -> Result<Session, AppError> {
    let username = username.trim().to_ascii_lowercase();
    let (settings, ip) = (origin.settings.clone(), origin.ip.clone());
    {
        let (username, ip) = (username.clone(), ip.clone());
        db.read(move |c| throttle::check_sign_in(c, &settings, Some(&username), &ip, now))?;
    }
    let failed = |username: String, ip: String| -> AppError {
        match db.write(move |c| throttle::sign_in_failed(c, Some(&username), &ip, now)) {
            Ok(()) => invalid_credentials(),
            Err(e) => e,
        }
    };
    let found = {
        let username = username.clone();
        db.read(move |c| Ok::<_, AppError>(users::find_by_username(c, &username)?))?
    };
    let Some(user) = found else {
        auth::verify_against_nothing(password);
        return Err(failed(username, ip));
    };
    if !auth::verify_password(password, &user.password_hash) {
        return Err(failed(username, ip));
    }
    if user.disabled {
        return Err(AppError::forbidden("this account is disabled"));
    }
    let keys = keys.clone();
    db.write(move |c| {
        throttle::sign_in_succeeded(c, &username)?;
        start_session(c, user, new_id(), new_id(), &keys, refresh_ttl, now)
    })
}

/// A user's current password and the one they choose.
#[derive(Debug, Clone, Copy)]
pub struct PasswordChange<'a> {
    pub current: &'a str,
    pub new: &'a str,
}

/// The signed-in user chooses a new password (already checked against the rules), giving the
/// one they have, so that an access token alone cannot take the account. A wrong current
/// password counts as a failed sign-in of the account (the same limits); it is answered 422
/// naming `current_password`, not 401, since the caller is signed in. On success every other
/// session of the user ends, a password set by someone else stops being temporary, and a new
/// session is returned.
pub fn change_password(
    db: &Db,
    actor: audit::Actor,
    passwords: PasswordChange<'_>,
    keys: &TokenKeys,
    refresh_ttl: chrono::Duration,
    now: DateTime<Utc>,
    origin: &Origin,
) -> Result<Session, AppError> {
    let PasswordChange { current, new } = passwords;
    let user = {
        let who = actor.who.clone();
        db.read(move |c| me(c, &who))?
    };
    let (settings, ip) = (origin.settings.clone(), origin.ip.clone());
    {
        let (username, ip) = (user.username.clone(), ip.clone());
        db.read(move |c| throttle::check_sign_in(c, &settings, Some(&username), &ip, now))?;
    }
    if !auth::verify_password(current, &user.password_hash) {
        let username = user.username.clone();
        db.write(move |c| throttle::sign_in_failed(c, Some(&username), &ip, now))?;
        let mut errors = FieldErrors::new();
        errors.add("current_password", "is not your current password");
        return Err(AppError::validation(errors));
    }
    let password_hash = auth::hash_password(new).map_err(AppError::internal)?;
    let keys = keys.clone();
    let id = user.id;
    db.write(move |c| {
        let row = users::find(c, &id)?.ok_or_else(|| AppError::not_found("user"))?;
        let ip = actor.ip;
        let chosen = OwnPassword {
            hash: password_hash,
            ip,
            how: None,
        };
        set_own_password(c, row, chosen, &keys, refresh_ttl, now)
    })
}

/// A password the user chose themselves, hashed, and how they proved it was them (for the
/// audit log; `None`: with the current password).
pub struct OwnPassword {
    pub hash: String,
    pub ip: String,
    pub how: Option<&'static str>,
}

/// Stores a password the user chose (after they proved who they are): it is no longer
/// temporary, every session of theirs ends and their failed sign-ins are forgotten; the
/// audit log records it as theirs; the answer is a new session.
pub fn set_own_password(
    conn: &mut DbConnection,
    mut row: UserRow,
    chosen: OwnPassword,
    keys: &TokenKeys,
    refresh_ttl: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<Session, AppError> {
    row.password_hash = chosen.hash;
    row.must_change_password = false;
    row.updated_at = time::format(now);
    users::update(conn, &row)?;
    refresh_tokens::revoke_all_for_user(conn, &row.id, &row.updated_at)?;
    throttle::sign_in_succeeded(conn, &row.username)?;
    let actor = audit::Actor {
        who: principal_of(&row),
        ip: chosen.ip,
    };
    let detail = chosen.how.map(|how| serde_json::json!({ "by": how }));
    audit::record(
        conn,
        &By::Request(actor),
        AuditAction::UserPasswordChange,
        Some(&row.id),
        detail,
        now,
    )?;
    new_session(conn, row, keys, refresh_ttl, now)
}

/// What presenting a refresh token led to.
pub enum Refreshed {
    Ok(Box<Session>),
    /// The token is unknown, expired, or its user can no longer sign in.
    Refused(AppError),
}

/// Rotates a refresh token: the presented one stops working and a new one is returned.
/// Presenting a token that was already rotated means it was copied: the whole family is
/// revoked (and that is committed, though the answer is a refusal).
pub fn refresh(
    conn: &mut DbConnection,
    token: &str,
    keys: &TokenKeys,
    refresh_ttl: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<Refreshed, AppError> {
    let now_text = time::format(now);
    let refused = || AppError::new(ErrorCode::InvalidToken, "the refresh token is not valid");
    let Some(stored) = refresh_tokens::find_by_hash(conn, &auth::hash_token(token))? else {
        return Ok(Refreshed::Refused(refused()));
    };
    // A token presented again after it was exchanged (or after sign-out) has been copied:
    // the whole sign-in it belongs to ends.
    let reused = |conn: &mut DbConnection| -> Result<Refreshed, AppError> {
        refresh_tokens::revoke_family(conn, &stored.family_id, &now_text)?;
        tracing::warn!(user_id = %stored.user_id, "a revoked refresh token was presented; its sign-in is ended");
        Ok(Refreshed::Refused(refused()))
    };
    if stored.revoked_at.is_some() {
        return reused(conn);
    }
    if stored.expires_at <= now_text {
        return Ok(Refreshed::Refused(AppError::new(
            ErrorCode::TokenExpired,
            "the refresh token has expired; sign in again",
        )));
    }
    let user = users::find(conn, &stored.user_id)?.ok_or_else(refused)?;
    if user.disabled {
        refresh_tokens::revoke_all_for_user(conn, &user.id, &now_text)?;
        return Ok(Refreshed::Refused(refused()));
    }
    let successor = new_id();
    if !refresh_tokens::revoke(conn, &stored.id, &now_text, Some(&successor))? {
        // Exchanged by a concurrent refresh a moment ago: reuse all the same.
        return reused(conn);
    }
    let session = start_session(
        conn,
        user,
        stored.family_id.clone(),
        successor,
        keys,
        refresh_ttl,
        now,
    )?;
    Ok(Refreshed::Ok(Box::new(session)))
}

/// Ends the session the refresh token belongs to.
pub fn logout(conn: &mut DbConnection, token: &str, now: DateTime<Utc>) -> Result<(), AppError> {
    let stored = refresh_tokens::find_by_hash(conn, &auth::hash_token(token))?
        .ok_or_else(|| AppError::new(ErrorCode::InvalidToken, "the refresh token is not valid"))?;
    refresh_tokens::revoke_family(conn, &stored.family_id, &time::format(now))?;
    Ok(())
}

pub fn me(conn: &mut DbConnection, who: &Principal) -> Result<UserRow, AppError> {
    users::find(conn, &who.user_id)?
        .ok_or_else(|| AppError::new(ErrorCode::InvalidToken, "the account no longer exists"))
}

/// The signed-in user changes their own preferences: whether they are notified by e-mail and
/// by SMS.
pub fn update_me(
    conn: &mut DbConnection,
    who: &Principal,
    changes: OwnChanges,
    now: DateTime<Utc>,
) -> Result<UserRow, AppError> {
    let mut row = me(conn, who)?;
    if let Some(v) = changes.notify_email {
        row.notify_email = v;
    }
    if let Some(v) = changes.notify_sms {
        row.notify_sms = v;
    }
    row.updated_at = time::format(now);
    users::update(conn, &row)?;
    Ok(row)
}

/// A validated new account; the password is already hashed.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub password_hash: String,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub role: Role,
    pub department_id: Option<String>,
    pub enterprise_id: Option<String>,
    /// The password was chosen by someone else (an administrator, the command line): the user
    /// must choose their own at the first sign-in.
    pub must_change_password: bool,
}

/// Changes to an account; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    pub password_hash: Option<String>,
    pub name: Option<String>,
    pub phone: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub role: Option<Role>,
    pub department_id: Option<Option<String>>,
    pub enterprise_id: Option<Option<String>>,
    pub disabled: Option<bool>,
    pub notify_email: Option<bool>,
    pub notify_sms: Option<bool>,
    /// Manages the enterprise's account (enterprise users only).
    pub enterprise_manager: Option<bool>,
}

/// What a user may change about their own account.
#[derive(Debug, Clone, Default)]
pub struct OwnChanges {
    pub notify_email: Option<bool>,
    pub notify_sms: Option<bool>,
}

/// Cadres belong to a department and enterprise users to an enterprise, which must exist.
fn check_membership(conn: &mut DbConnection, row: &UserRow) -> Result<(), AppError> {
    let mut errors = FieldErrors::new();
    match row.department_id.as_deref() {
        Some(d) if departments::find(conn, d)?.is_none() => {
            errors.add("department_id", "no such department")
        }
        None if row.role == Role::Cadre => errors.add("department_id", "is required for a cadre"),
        _ => {}
    }
    match row.enterprise_id.as_deref() {
        Some(e) if enterprises::find(conn, e)?.is_none() => {
            errors.add("enterprise_id", "no such enterprise")
        }
        None if row.role == Role::Enterprise => {
            errors.add("enterprise_id", "is required for an enterprise user")
        }
        _ => {}
    }
    Ok(errors.finish()?)
}

fn username_taken(err: AppError) -> AppError {
    if err.is_duplicate() {
        AppError::new(ErrorCode::Duplicate, "this username is already taken")
    } else {
        err
    }
}

pub fn create_user(
    conn: &mut DbConnection,
    by: &By,
    input: NewUser,
    now: DateTime<Utc>,
) -> Result<UserRow, AppError> {
    let now_text = time::format(now);
    let row = UserRow {
        id: new_id(),
        username: input.username,
        password_hash: input.password_hash,
        name: input.name,
        phone: input.phone,
        email: input.email,
        role: input.role,
        department_id: input.department_id,
        enterprise_id: input.enterprise_id,
        disabled: false,
        created_at: now_text.clone(),
        updated_at: now_text,
        notify_email: true,
        notify_sms: true,
        must_change_password: input.must_change_password,
        enterprise_manager: false,
        consented_version: None,
        consented_at: None,
    };
    check_membership(conn, &row)?;
    // The first user of an enterprise (or the first since its managers left) manages its
    // account.
    let mut row = row;
    if let (Role::Enterprise, Some(e)) = (row.role, row.enterprise_id.as_deref()) {
        row.enterprise_manager = users::managers_of(conn, e)?.is_empty();
    }
    users::insert(conn, &row).map_err(|e| username_taken(e.into()))?;
    if let (Role::Enterprise, Some(e)) = (row.role, row.enterprise_id.as_deref()) {
        // Someone at the enterprise to tell now: the policies it fits and was not told of are
        // pushed (service::policy_push).
        crate::db::policies::mark_recheck(conn, e, &row.created_at)?;
    }
    let detail = serde_json::json!({"role": row.role.as_str()});
    audit::record(
        conn,
        by,
        AuditAction::UserCreate,
        Some(&row.id),
        Some(detail),
        now,
    )?;
    Ok(row)
}

pub fn update_user(
    conn: &mut DbConnection,
    by: &By,
    id: &str,
    changes: UserChanges,
    now: DateTime<Utc>,
) -> Result<UserRow, AppError> {
    let mut row = users::find(conn, id)?.ok_or_else(|| AppError::not_found("user"))?;
    let mut detail = audit::fields(&[
        ("password", changes.password_hash.is_some()),
        ("name", changes.name.is_some()),
        ("phone", changes.phone.is_some()),
        ("email", changes.email.is_some()),
        ("role", changes.role.is_some()),
        ("department_id", changes.department_id.is_some()),
        ("enterprise_id", changes.enterprise_id.is_some()),
        ("disabled", changes.disabled.is_some()),
        ("notify_email", changes.notify_email.is_some()),
        ("notify_sms", changes.notify_sms.is_some()),
        ("enterprise_manager", changes.enterprise_manager.is_some()),
    ]);
    detail["role"] = serde_json::json!(changes.role.map(|r| r.as_str()));
    detail["disabled"] = serde_json::json!(changes.disabled);
    let revoke_sessions = changes.password_hash.is_some() || changes.disabled == Some(true);
    if let Some(v) = changes.password_hash {
        // Set by an administrator: the user chooses their own at the next sign-in.
        row.password_hash = v;
        row.must_change_password = true;
    }
    if let Some(v) = changes.name {
        row.name = v;
    }
    if let Some(v) = changes.phone {
        row.phone = v;
    }
    if let Some(v) = changes.email {
        row.email = v;
    }
    if let Some(v) = changes.role {
        row.role = v;
    }
    if let Some(v) = changes.department_id {
        row.department_id = v;
    }
    if let Some(v) = changes.enterprise_id {
        row.enterprise_id = v;
    }
    if let Some(v) = changes.disabled {
        row.disabled = v;
    }
    if let Some(v) = changes.notify_email {
        row.notify_email = v;
    }
    if let Some(v) = changes.notify_sms {
        row.notify_sms = v;
    }
    if let Some(v) = changes.enterprise_manager {
        row.enterprise_manager = v;
    }
    // Only an enterprise's user manages its account.
    if row.enterprise_manager && row.role != Role::Enterprise {
        if changes.enterprise_manager == Some(true) {
            let mut errors = FieldErrors::new();
            errors.add(
                "enterprise_manager",
                "only an enterprise user manages an enterprise's account",
            );
            return Err(AppError::validation(errors));
        }
        row.enterprise_manager = false;
    }
    row.updated_at = time::format(now);
    check_membership(conn, &row)?;
    users::update(conn, &row)?;
    if revoke_sessions {
        refresh_tokens::revoke_all_for_user(conn, &row.id, &row.updated_at)?;
    }
    audit::record(
        conn,
        by,
        AuditAction::UserUpdate,
        Some(id),
        Some(detail),
        now,
    )?;
    Ok(row)
}

pub fn get_user(conn: &mut DbConnection, who: &Principal, id: &str) -> Result<UserRow, AppError> {
    require_role(who, &[Role::Admin, Role::Dispatcher])?;
    let row = users::find(conn, id)?.ok_or_else(|| AppError::not_found("user"))?;
    Ok(for_reader(who, row))
}

/// The account as `who` may see it. Dispatchers read accounts to pick cadres: an enterprise
/// user's phone, e-mail and a username that is a phone number (as registration makes it) are
/// masked for them; the contact of a request is on its ticket. Staff accounts are shown whole.
pub fn for_reader(who: &Principal, mut row: UserRow) -> UserRow {
    if who.role == Role::Dispatcher && row.role == Role::Enterprise {
        row.phone = row.phone.map(|p| mask_phone(&p));
        row.email = row.email.map(|e| mask_email(&e));
        if normalize_mobile(&row.username).is_ok() {
            row.username = mask_phone(&row.username);
        }
    }
    row
}

pub fn list_users(
    conn: &mut DbConnection,
    who: &Principal,
    filter: &UserFilter,
    limit: i64,
) -> Result<Page<UserRow>, AppError> {
    require_role(who, &[Role::Admin, Role::Dispatcher])?;
    // What a dispatcher sees masked, they cannot search for either.
    let rows = users::list(conn, filter, who.role != Role::Dispatcher, limit + 1)?;
    Ok(Page::from_rows(rows, limit, |r| &r.id).map(|r| for_reader(who, r)))
}
