//! Enterprises' own accounts: one-time SMS codes, signing in with one, and registering an
//! enterprise account with the unified social credit code and a phone.
//!
//! A code is six digits, valid for five minutes, usable once, and refused after five wrong
//! tries; a phone gets at most one a minute and ten a day. Asking for a sign-in code for a
//! number no account has answers the same as for one that has (and sends nothing), so the
//! API does not tell who is registered.

use crate::domain::account::CodePurpose;
use crate::service::audit::By;
use chrono::{DateTime, Utc};

use crate::auth::{Principal, TokenKeys};
use crate::db::join_requests::{self, JoinRequestRow};
use crate::db::sms_codes::{self, SmsCodeRow};
use crate::db::users::{self, UserRow};
use crate::db::{Db, DbConnection, enterprises, new_id};
use crate::domain::ticket::Role;
use crate::domain::time;
use crate::error::{AppError, ErrorCode};
use crate::notify::outbox::Outbox;
use crate::service::accounts::{self, NewUser, Origin, Session};
use crate::service::directory::{self, NewEnterprise};
use crate::service::legal;
use crate::service::throttle;

pub const CODE_TTL_SECS: i64 = 300;
pub const RESEND_AFTER_SECS: i64 = 60;
pub const MAX_ATTEMPTS: i32 = 5;
pub const MAX_PER_DAY: i64 = 10;

/// When the code runs out and when another may be asked for, in seconds.
#[derive(Debug, Clone, Copy)]
pub struct CodeSent {
    pub expires_in: i64,
    pub resend_after: i64,
}

fn code_hash(id: &str, code: &str) -> String {
    crate::auth::hash_token(&format!("{id}:{code}"))
}

fn too_many(message: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::TooManyRequests, message)
}

fn invalid_code() -> AppError {
    AppError::new(
        ErrorCode::InvalidCode,
        "the code is wrong or has expired; ask for a new one",
    )
}

/// A random six-digit code.
fn new_code() -> Result<String, AppError> {
    let mut bytes = [0u8; 4];
    getrandom::fill(&mut bytes).map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
    Ok(format!("{:06}", u32::from_le_bytes(bytes) % 1_000_000))
}

/// Sends a code to `phone` (already a normalised mobile number) for `purpose`.
pub fn send_code(
    conn: &mut DbConnection,
    outbox: &Outbox,
    phone: &str,
    purpose: CodePurpose,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<CodeSent, AppError> {
    let sent = CodeSent {
        expires_in: CODE_TTL_SECS,
        resend_after: RESEND_AFTER_SECS,
    };
    if let Some(last) = sms_codes::latest(conn, phone, purpose)?
        && last.created_at > time::format(now - chrono::Duration::seconds(RESEND_AFTER_SECS))
    {
        return Err(too_many(format!(
            "a code was sent to this number less than {RESEND_AFTER_SECS} seconds ago"
        )));
    }
    let day_ago = time::format(now - chrono::Duration::days(1));
    if sms_codes::count_since(conn, phone, &day_ago)? >= MAX_PER_DAY {
        return Err(too_many(format!(
            "at most {MAX_PER_DAY} codes a day go to one number"
        )));
    }
    throttle::sms_code_sent(conn, &origin.settings, &origin.ip, now)?;
    // Code-first: a sign-in code goes to any number (a number without an account goes on to
    // register with it). A forgotten password is reset by SMS for enterprise accounts only
    // (staff ask an administrator, who sets a temporary one): for any other number the code
    // is recorded, so that the limits answer alike, but not sent.
    let send = purpose != CodePurpose::Reset
        || users::active_by_phone(conn, phone)?
            .iter()
            .any(|u| u.role == Role::Enterprise);
    let id = new_id();
    let code = new_code()?;
    sms_codes::insert(
        conn,
        &SmsCodeRow {
            code_hash: code_hash(&id, &code),
            id,
            phone: phone.to_string(),
            purpose,
            attempts: 0,
            created_at: time::format(now),
            expires_at: time::format(now + chrono::Duration::seconds(CODE_TTL_SECS)),
            used_at: None,
        },
    )?;
    if !send {
        tracing::info!(%purpose, "a reset code was asked for a number without an enterprise account; none sent");
        return Ok(sent);
    }
    if !outbox.queue_sms_code(conn, phone, &code, CODE_TTL_SECS / 60, now)? {
        return Err(AppError::new(
            ErrorCode::SmsDisabled,
            "SMS is turned off on this server; sign in with a password",
        ));
    }
    Ok(sent)
}

/// Checks and uses up a code. The outer error is the database's; the inner one, a wrong
/// code, must still be committed (it counts a try).
fn use_code(
    conn: &mut DbConnection,
    phone: &str,
    purpose: CodePurpose,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Result<(), AppError>, AppError> {
    let now_text = time::format(now);
    let Some(row) = sms_codes::latest(conn, phone, purpose)? else {
        return Ok(Err(invalid_code()));
    };
    if row.used_at.is_some() || row.expires_at <= now_text || row.attempts >= MAX_ATTEMPTS {
        return Ok(Err(invalid_code()));
    }
    let code = code.trim();
    if code.len() != 6 || code_hash(&row.id, code) != row.code_hash {
        sms_codes::count_attempt(conn, &row.id)?;
        return Ok(Err(invalid_code()));
    }
    if !sms_codes::mark_used(conn, &row.id, &now_text)? {
        return Ok(Err(invalid_code()));
    }
    Ok(Ok(()))
}

/// How long a proven phone may take to register (see [`SmsSignIn::Unregistered`]).
pub const PHONE_PROOF_TTL_SECS: i64 = 1800;

/// What signing in with a code led to.
pub enum SmsSignIn {
    Session(Box<Session>),
    /// The number has no account: it is proven (`proof`, good for [`PHONE_PROOF_TTL_SECS`])
    /// and may register; `pending` is its request to join an enterprise, waiting.
    Unregistered {
        proof: String,
        pending: Option<Box<(JoinRequestRow, String)>>,
    },
}

/// Signs in the account with this phone, with a code sent for `login`; a number with no
/// account is proven and goes on to register (code-first sign-in).
pub fn sms_login(
    db: &Db,
    phone: &str,
    code: &str,
    keys: &TokenKeys,
    refresh_ttl: chrono::Duration,
    now: DateTime<Utc>,
    origin: &Origin,
) -> Result<SmsSignIn, AppError> {
    let (phone, code, keys) = (phone.to_string(), code.to_string(), keys.clone());
    let origin = origin.clone();
    db.write(move |c| -> Result<Result<SmsSignIn, AppError>, AppError> {
        throttle::check_sign_in(c, &origin.settings, None, &origin.ip, now)?;
        if let Err(e) = use_code(c, &phone, CodePurpose::Login, &code, now)? {
            throttle::sign_in_failed(c, None, &origin.ip, now)?;
            return Ok(Err(e));
        }
        let mut found = users::active_by_phone(c, &phone)?;
        let user = match found.len() {
            0 => {
                let proof = keys
                    .issue_phone_proof(&phone, PHONE_PROOF_TTL_SECS, now)
                    .map_err(AppError::internal)?;
                let pending = match join_requests::pending_of_phone(c, &phone)? {
                    Some(request) => {
                        let name = enterprises::find(c, &request.enterprise_id)?
                            .map(|e| e.name)
                            .unwrap_or_default();
                        Some(Box::new((request, name)))
                    }
                    None => None,
                };
                return Ok(Ok(SmsSignIn::Unregistered { proof, pending }));
            }
            1 => found.remove(0),
            _ => {
                return Ok(Err(AppError::new(
                    ErrorCode::AmbiguousPhone,
                    "several accounts use this number; sign in with your username and password",
                )));
            }
        };
        let session = accounts::new_session(c, user, &keys, refresh_ttl, now)?;
        Ok(Ok(SmsSignIn::Session(Box::new(session))))
    })?
}

/// A checked reset of a forgotten password: a normalised mobile number, the code sent to it
/// for `reset`, and the new password, already hashed.
#[derive(Debug, Clone)]
pub struct PasswordReset {
    pub phone: String,
    pub code: String,
    pub new_hash: String,
}

/// An enterprise user who forgot their password chooses a new one with a code sent for
/// `reset` to their phone (`new_hash`: already checked against the rules and hashed). Answers
/// as signing in by code does: a wrong code counts as a failed sign-in from the address, and a
/// number no enterprise account has is a wrong code. Every session of the user ends; the
/// answer is a new one, and a temporary password stops being one.
pub fn reset_password(
    db: &Db,
    reset: PasswordReset,
    keys: &TokenKeys,
    refresh_ttl: chrono::Duration,
    now: DateTime<Utc>,
    origin: &Origin,
) -> Result<Session, AppError> {
    let PasswordReset {
        phone,
        code,
        new_hash,
    } = reset;
    let keys = keys.clone();
    let origin = origin.clone();
    db.write(move |c| -> Result<Result<Session, AppError>, AppError> {
        throttle::check_sign_in(c, &origin.settings, None, &origin.ip, now)?;
        if let Err(e) = use_code(c, &phone, CodePurpose::Reset, &code, now)? {
            throttle::sign_in_failed(c, None, &origin.ip, now)?;
            return Ok(Err(e));
        }
        let mut found: Vec<UserRow> = users::active_by_phone(c, &phone)?
            .into_iter()
            .filter(|u| u.role == Role::Enterprise)
            .collect();
        let user = match found.len() {
            0 => return Ok(Err(invalid_code())),
            1 => found.remove(0),
            _ => {
                return Ok(Err(AppError::new(
                    ErrorCode::AmbiguousPhone,
                    "several accounts use this number; ask the district's administrator",
                )));
            }
        };
        let chosen = accounts::OwnPassword {
            hash: new_hash,
            ip: origin.ip.clone(),
            how: Some("sms_code"),
        };
        Ok(Ok(accounts::set_own_password(
            c,
            user,
            chosen,
            &keys,
            refresh_ttl,
            now,
        )?))
    })?
}

/// How a registering phone was proven: with a code sent for `register`, or by signing in
/// with a code (a proof the API has checked).
#[derive(Debug, Clone)]
pub enum PhoneProven {
    Code(String),
    Proof,
}

/// A checked registration; the password is already hashed.
#[derive(Debug, Clone)]
pub struct Registration {
    pub credit_code: String,
    pub enterprise_name: String,
    pub contact_name: String,
    pub phone: String,
    pub proven: PhoneProven,
    pub password_hash: String,
    /// The version of the legal texts accepted.
    pub consent_version: i32,
    /// Ask to join the enterprise when someone else registered it.
    pub join: bool,
}

/// What a registration led to.
pub enum Registered {
    Session(Box<Session>),
    /// The enterprise has an account already: a request to join it waits for its manager or
    /// a dispatcher (with the enterprise's name).
    JoinRequested(Box<(JoinRequestRow, String)>),
}

/// Creates an enterprise account (username: the phone), with its enterprise unless one with
/// this credit code exists already. An existing enterprise is joined directly when its contact
/// phone is this phone (an administrator imported it so); otherwise, with `join`, a request to
/// join it is made for its manager or a dispatcher to decide, and without, it is refused
/// with what to do. The first user of an enterprise manages its account.
pub fn register(
    db: &Db,
    input: Registration,
    keys: &TokenKeys,
    refresh_ttl: chrono::Duration,
    now: DateTime<Utc>,
    origin: &Origin,
    outbox: &Outbox,
) -> Result<Registered, AppError> {
    let keys = keys.clone();
    let origin = origin.clone();
    let outbox = outbox.clone();
    db.write(move |c| -> Result<Result<Registered, AppError>, AppError> {
        throttle::check_sign_in(c, &origin.settings, None, &origin.ip, now)?;
        if let PhoneProven::Code(code) = &input.proven
            && let Err(e) = use_code(c, &input.phone, CodePurpose::Register, code, now)?
        {
            throttle::sign_in_failed(c, None, &origin.ip, now)?;
            return Ok(Err(e));
        }
        // A code is used up whatever happens next: committed with the refusal.
        if users::phone_taken(c, &input.phone)? {
            return Ok(Err(AppError::new(
                ErrorCode::PhoneRegistered,
                "this number already has an account: sign in instead",
            )));
        }
        if join_requests::pending_of_phone(c, &input.phone)?.is_some() {
            return Ok(Err(AppError::new(
                ErrorCode::JoinPending,
                "this number's request to join an enterprise is waiting for a decision; you will be told by SMS",
            )));
        }
        if let Err(e) = legal::check_current(c, "consent_version", input.consent_version) {
            return Ok(Err(e));
        }
        let enterprise = match enterprises::find_by_credit_code(c, &input.credit_code)? {
            Some(e) if e.contact_phone.as_deref() == Some(input.phone.as_str()) => e,
            Some(e) if input.join => {
                let request = crate::service::members::request_to_join(
                    c,
                    &outbox,
                    &e,
                    crate::service::members::JoinAsk {
                        phone: input.phone,
                        name: input.contact_name,
                        password_hash: input.password_hash,
                        consent_version: input.consent_version,
                        ip: origin.ip.clone(),
                    },
                    now,
                )?;
                return Ok(Ok(Registered::JoinRequested(Box::new((request, e.name)))));
            }
            Some(_) => {
                return Ok(Err(AppError::new(
                    ErrorCode::EnterpriseRegistered,
                    "this enterprise already has an account: ask its manager to invite you, or request to join it (join: true)",
                )));
            }
            None => directory::create_enterprise(
                c,
                &By::Unrecorded,
                NewEnterprise {
                    name: input.enterprise_name.clone(),
                    credit_code: input.credit_code.clone(),
                    industry_chain: None,
                    area: None,
                    address: None,
                    contact_name: Some(input.contact_name.clone()),
                    contact_phone: Some(input.phone.clone()),
                    liaison_cadre_id: None,
                    deputy_ids: Vec::new(),
                },
                now,
            )?,
        };
        let mut user: UserRow = accounts::create_user(
            c,
            &By::Unrecorded,
            NewUser {
                username: input.phone.clone(),
                password_hash: input.password_hash,
                name: input.contact_name,
                phone: Some(input.phone),
                email: None,
                role: Role::Enterprise,
                department_id: None,
                enterprise_id: Some(enterprise.id),
                must_change_password: false,
            },
            now,
        )?;
        legal::accept(c, &mut user, input.consent_version, &origin.ip, now)?;
        let session = accounts::new_session(c, user, &keys, refresh_ttl, now)?;
        Ok(Ok(Registered::Session(Box::new(session))))
    })?
}

/// Sends a code to a number the signed-in user wants as their phone instead of theirs. A
/// number another active account has is refused (409 `phone_registered`).
pub fn send_phone_change_code(
    conn: &mut DbConnection,
    outbox: &Outbox,
    who: &Principal,
    phone: &str,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<CodeSent, AppError> {
    let me = users::find(conn, &who.user_id)?.ok_or_else(|| AppError::not_found("user"))?;
    check_new_phone(conn, &me, phone)?;
    send_code(conn, outbox, phone, CodePurpose::Phone, origin, now)
}

fn check_new_phone(conn: &mut DbConnection, me: &UserRow, phone: &str) -> Result<(), AppError> {
    if me.phone.as_deref() == Some(phone) {
        let mut errors = crate::domain::validation::FieldErrors::new();
        errors.add("phone", "is already your phone number");
        return Err(AppError::validation(errors));
    }
    if users::active_by_phone(conn, phone)?
        .iter()
        .any(|u| u.id != me.id)
    {
        return Err(AppError::new(
            ErrorCode::PhoneRegistered,
            "another account has this number",
        ));
    }
    Ok(())
}

/// The signed-in user's phone becomes `phone`, proven with the code sent to it (purpose
/// `phone`). A username that was the old number (as registration makes it) becomes the new
/// one, and so does the enterprise's contact phone when it was the user's. A wrong code
/// counts as a failed sign-in from the address.
pub fn change_phone(
    db: &Db,
    who: &Principal,
    phone: &str,
    code: &str,
    now: DateTime<Utc>,
    origin: &Origin,
) -> Result<UserRow, AppError> {
    let (phone, code, who) = (phone.to_string(), code.to_string(), who.clone());
    let origin = origin.clone();
    db.write(move |c| -> Result<Result<UserRow, AppError>, AppError> {
        throttle::check_sign_in(c, &origin.settings, None, &origin.ip, now)?;
        let mut me = users::find(c, &who.user_id)?.ok_or_else(|| AppError::not_found("user"))?;
        if let Err(e) = check_new_phone(c, &me, &phone) {
            return Ok(Err(e));
        }
        if let Err(e) = use_code(c, &phone, CodePurpose::Phone, &code, now)? {
            throttle::sign_in_failed(c, None, &origin.ip, now)?;
            return Ok(Err(e));
        }
        let old = me.phone.clone();
        if old.is_some()
            && old.as_deref() == Some(me.username.as_str())
            && users::find_by_username(c, &phone)?.is_none()
        {
            me.username = phone.clone();
        }
        me.phone = Some(phone.clone());
        me.updated_at = crate::domain::time::format(now);
        users::update(c, &me)?;
        if let (Some(old), Some(enterprise_id)) = (old, me.enterprise_id.as_deref())
            && let Some(mut e) = enterprises::find(c, enterprise_id)?
            && e.contact_phone.as_deref() == Some(old.as_str())
        {
            e.contact_phone = Some(phone.clone());
            e.updated_at = me.updated_at.clone();
            enterprises::update(c, &e)?;
        }
        let actor = crate::service::audit::Actor {
            who: who.clone(),
            ip: origin.ip.clone(),
        };
        crate::service::audit::record(
            c,
            &By::Request(actor),
            crate::service::audit::AuditAction::UserUpdate,
            Some(&me.id),
            Some(serde_json::json!({"fields": ["phone"], "by": "sms_code"})),
            now,
        )?;
        Ok(Ok(me))
    })?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_hashed_with_their_id() {
        for _ in 0..100 {
            let code = new_code().unwrap_or_default();
            assert_eq!(code.len(), 6, "{code}");
            assert!(code.bytes().all(|b| b.is_ascii_digit()), "{code}");
        }
        assert_ne!(code_hash("a", "123456"), code_hash("b", "123456"));
        assert_eq!(code_hash("a", "123456"), code_hash("a", "123456"));
    }
}
