//! Several users per enterprise (企业成员): the user who manages an enterprise's account (its
//! first, or whom they hand it to) invites colleagues by phone, disables and enables them, and
//! decides requests to join made by people registering an enterprise that already has an
//! account. Dispatchers and administrators decide requests to join as well (an enterprise
//! whose manager has left is not stuck).
//!
//! An invited colleague gets an account at once, with no password: they sign in by SMS code
//! (and may choose a password later, by the forgotten-password path), and accept the legal
//! texts themselves at their first sign-in. A request to join carries the password and the
//! acceptance of the person asking; approving it makes their account with both.

use chrono::{DateTime, Utc};

use crate::auth::Principal;
use crate::db::enterprises::EnterpriseRow;
use crate::db::join_requests::{self, JoinRequestRow};
use crate::db::users::{self, UserRow};
use crate::db::{DbConnection, enterprises, new_id, refresh_tokens};
use crate::domain::account::JoinStatus;
use crate::domain::notification::AccountEvent;
use crate::domain::ticket::Role;
use crate::domain::time;
use crate::domain::validation::FieldErrors;
use crate::error::{AppError, ErrorCode};
use crate::notify::outbox::Outbox;
use crate::service::accounts::{self, NewUser};
use crate::service::audit::{self, Actor, AuditAction, By};
use crate::service::legal;

/// Requests listed at once (they are few: an enterprise has a handful of users).
const LIST_LIMIT: i64 = 200;

/// The signed-in user's own row, who must manage their enterprise's account.
fn manager(conn: &mut DbConnection, who: &Principal) -> Result<UserRow, AppError> {
    crate::service::require_role(who, &[Role::Enterprise])?;
    let me = users::find(conn, &who.user_id)?.ok_or_else(|| AppError::not_found("user"))?;
    if !me.enterprise_manager || me.disabled || me.enterprise_id.is_none() {
        return Err(AppError::forbidden(
            "only the manager of the enterprise's account may do this",
        ));
    }
    Ok(me)
}

fn enterprise_of(me: &UserRow) -> &str {
    me.enterprise_id.as_deref().unwrap_or_default()
}

/// The users of the manager's enterprise, managers first.
pub fn list(conn: &mut DbConnection, who: &Principal) -> Result<Vec<UserRow>, AppError> {
    let me = manager(conn, who)?;
    Ok(users::of_enterprise(conn, enterprise_of(&me))?)
}

/// A colleague to invite: a normalised mobile number and a name.
#[derive(Debug, Clone)]
pub struct Invite {
    pub phone: String,
    pub name: String,
}

/// Makes an account for a colleague of the manager's enterprise (username and phone: the
/// number; no password: they sign in by SMS code) and tells them by SMS.
pub fn invite(
    conn: &mut DbConnection,
    outbox: &Outbox,
    actor: &Actor,
    invite: Invite,
    now: DateTime<Utc>,
) -> Result<UserRow, AppError> {
    let me = manager(conn, &actor.who)?;
    if users::phone_taken(conn, &invite.phone)? {
        return Err(AppError::new(
            ErrorCode::PhoneRegistered,
            "this number already has an account",
        ));
    }
    if join_requests::pending_of_phone(conn, &invite.phone)?.is_some() {
        return Err(AppError::new(
            ErrorCode::JoinPending,
            "this number has asked to join an enterprise: decide its request instead",
        ));
    }
    let enterprise = enterprises::find(conn, enterprise_of(&me))?
        .ok_or_else(|| AppError::not_found("enterprise"))?;
    let user = accounts::create_user(
        conn,
        &By::Request(actor.clone()),
        NewUser {
            username: invite.phone.clone(),
            // No password can match an empty hash: the colleague signs in by SMS code.
            password_hash: String::new(),
            name: invite.name,
            phone: Some(invite.phone.clone()),
            email: None,
            role: Role::Enterprise,
            department_id: None,
            enterprise_id: Some(enterprise.id.clone()),
            must_change_password: false,
        },
        now,
    )?;
    let body = format!(
        "{}邀请您使用{}的企业哨账号，请用本手机号以短信验证码登录。",
        me.name, enterprise.name
    );
    outbox.queue_account_sms(
        conn,
        &invite.phone,
        AccountEvent::MemberInvited,
        &body,
        &[("inviter", &me.name), ("enterprise", &enterprise.name)],
        now,
    )?;
    Ok(user)
}

/// A colleague of the manager's enterprise, not the manager themselves.
fn colleague(conn: &mut DbConnection, me: &UserRow, id: &str) -> Result<UserRow, AppError> {
    let row = users::find(conn, id)?
        .filter(|u| u.role == Role::Enterprise && u.enterprise_id == me.enterprise_id)
        .ok_or_else(|| AppError::not_found("user"))?;
    if row.id == me.id {
        return Err(AppError::new(
            ErrorCode::IllegalTransition,
            "a manager does not disable or hand over to themselves",
        ));
    }
    Ok(row)
}

/// Disables (every session of theirs ends) or enables a colleague.
pub fn set_disabled(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    disabled: bool,
    now: DateTime<Utc>,
) -> Result<UserRow, AppError> {
    let me = manager(conn, &actor.who)?;
    let mut row = colleague(conn, &me, id)?;
    if row.disabled == disabled {
        return Ok(row);
    }
    if !disabled
        && let Some(phone) = row.phone.as_deref()
        && !users::active_by_phone(conn, phone)?.is_empty()
    {
        return Err(AppError::new(
            ErrorCode::PhoneRegistered,
            "another account now has this user's number",
        ));
    }
    row.disabled = disabled;
    row.updated_at = time::format(now);
    users::update(conn, &row)?;
    if disabled {
        refresh_tokens::revoke_all_for_user(conn, &row.id, &row.updated_at)?;
    }
    audit::record(
        conn,
        &By::Request(actor.clone()),
        AuditAction::UserUpdate,
        Some(&row.id),
        Some(serde_json::json!({ "fields": ["disabled"] })),
        now,
    )?;
    Ok(row)
}

/// Hands the management of the enterprise's account to an active colleague.
pub fn hand_over(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    now: DateTime<Utc>,
) -> Result<UserRow, AppError> {
    let mut me = manager(conn, &actor.who)?;
    let mut row = colleague(conn, &me, id)?;
    if row.disabled {
        return Err(AppError::new(
            ErrorCode::IllegalTransition,
            "enable this user before handing the account to them",
        ));
    }
    let at = time::format(now);
    row.enterprise_manager = true;
    row.updated_at = at.clone();
    users::update(conn, &row)?;
    me.enterprise_manager = false;
    me.updated_at = at;
    users::update(conn, &me)?;
    for target in [&row.id, &me.id] {
        audit::record(
            conn,
            &By::Request(actor.clone()),
            AuditAction::UserUpdate,
            Some(target),
            Some(serde_json::json!({ "fields": ["enterprise_manager"] })),
            now,
        )?;
    }
    Ok(row)
}

/// A request to join, as the person registering made it (password hashed, texts accepted).
#[derive(Debug, Clone)]
pub struct JoinAsk {
    pub phone: String,
    pub name: String,
    pub password_hash: String,
    pub consent_version: i32,
    pub ip: String,
}

/// Records a request to join `enterprise` and tells its managers by SMS.
pub fn request_to_join(
    conn: &mut DbConnection,
    outbox: &Outbox,
    enterprise: &EnterpriseRow,
    ask: JoinAsk,
    now: DateTime<Utc>,
) -> Result<JoinRequestRow, AppError> {
    let row = JoinRequestRow {
        id: new_id(),
        enterprise_id: enterprise.id.clone(),
        phone: ask.phone,
        name: ask.name,
        password_hash: ask.password_hash,
        consented_version: ask.consent_version,
        status: JoinStatus::Pending,
        reason: None,
        decided_by: None,
        decided_at: None,
        user_id: None,
        created_at: time::format(now),
        ip: ask.ip,
    };
    join_requests::insert(conn, &row).map_err(|e| {
        let e = AppError::from(e);
        if e.is_duplicate() {
            AppError::new(
                ErrorCode::JoinPending,
                "this number's request to join is already waiting for a decision",
            )
        } else {
            e
        }
    })?;
    let body = format!(
        "{}申请加入{}的企业哨账号，请登录后在“我的—企业成员”中审核。",
        row.name, enterprise.name
    );
    for m in users::managers_of(conn, &enterprise.id)? {
        if let Some(phone) = m.phone.as_deref().filter(|_| m.notify_sms) {
            outbox.queue_account_sms(
                conn,
                phone,
                AccountEvent::JoinRequested,
                &body,
                &[("name", &row.name), ("enterprise", &enterprise.name)],
                now,
            )?;
        }
    }
    Ok(row)
}

/// Who may decide a request: the manager of its enterprise, a dispatcher, an administrator.
fn may_decide(
    conn: &mut DbConnection,
    who: &Principal,
    enterprise_id: &str,
) -> Result<bool, AppError> {
    Ok(match who.role {
        Role::Dispatcher | Role::Admin => true,
        Role::Enterprise => users::find(conn, &who.user_id)?.is_some_and(|me| {
            me.enterprise_manager
                && !me.disabled
                && me.enterprise_id.as_deref() == Some(enterprise_id)
        }),
        _ => false,
    })
}

/// Requests to join, newest first, with their enterprises' names: a manager's enterprise's,
/// or (dispatchers, administrators) every enterprise's.
pub fn list_requests(
    conn: &mut DbConnection,
    who: &Principal,
    status: Option<JoinStatus>,
) -> Result<Vec<(JoinRequestRow, String)>, AppError> {
    let enterprise = match who.role {
        Role::Dispatcher | Role::Admin => None,
        Role::Enterprise => Some(manager(conn, who)?.enterprise_id.unwrap_or_default()),
        _ => {
            return Err(AppError::forbidden(
                "a cadre does not decide requests to join",
            ));
        }
    };
    let rows = join_requests::list(conn, enterprise.as_deref(), status, LIST_LIMIT)?;
    // Each enterprise's name once, however many of its requests are listed.
    let mut names: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        if !names.contains_key(&row.enterprise_id) {
            let name = enterprises::find(conn, &row.enterprise_id)?
                .map(|e| e.name)
                .unwrap_or_default();
            names.insert(row.enterprise_id.clone(), name);
        }
        let name = names[&row.enterprise_id].clone();
        out.push((row, name));
    }
    Ok(out)
}

/// A decision on a request to join.
#[derive(Debug, Clone)]
pub struct Decision {
    pub approve: bool,
    /// Why, for a rejection (required then).
    pub reason: Option<String>,
}

/// Approves (the account is made, with the password and acceptance of the request; it
/// manages the enterprise's account when nobody does) or rejects a pending request, and tells
/// the person by SMS.
pub fn decide(
    conn: &mut DbConnection,
    outbox: &Outbox,
    actor: &Actor,
    id: &str,
    decision: Decision,
    now: DateTime<Utc>,
) -> Result<(JoinRequestRow, String), AppError> {
    let mut row =
        join_requests::find(conn, id)?.ok_or_else(|| AppError::not_found("join request"))?;
    if !may_decide(conn, &actor.who, &row.enterprise_id)? {
        return Err(AppError::not_found("join request"));
    }
    if row.status != JoinStatus::Pending {
        return Err(AppError::new(
            ErrorCode::IllegalTransition,
            format!("this request was {} already", row.status),
        ));
    }
    if !decision.approve
        && decision
            .reason
            .as_deref()
            .is_none_or(|r| r.trim().is_empty())
    {
        let mut errors = FieldErrors::new();
        errors.add("reason", "is required to reject a request");
        return Err(AppError::validation(errors));
    }
    let enterprise = enterprises::find(conn, &row.enterprise_id)?
        .ok_or_else(|| AppError::not_found("enterprise"))?;
    let at = time::format(now);
    if decision.approve {
        if users::phone_taken(conn, &row.phone)? {
            return Err(AppError::new(
                ErrorCode::PhoneRegistered,
                "this number has an account by now; reject the request",
            ));
        }
        let mut user = accounts::create_user(
            conn,
            &By::Request(actor.clone()),
            NewUser {
                username: row.phone.clone(),
                password_hash: row.password_hash.clone(),
                name: row.name.clone(),
                phone: Some(row.phone.clone()),
                email: None,
                role: Role::Enterprise,
                department_id: None,
                enterprise_id: Some(enterprise.id.clone()),
                must_change_password: false,
            },
            now,
        )?;
        // Accepted when asking; recorded as of then, from where they asked.
        let asked = time::parse(&row.created_at).unwrap_or(now);
        let (ip, version) = (row.ip.clone(), row.consented_version);
        legal::accept(conn, &mut user, version, &ip, asked)?;
        row.user_id = Some(user.id);
        row.status = JoinStatus::Approved;
    } else {
        row.status = JoinStatus::Rejected;
        row.reason = decision.reason.map(|r| r.trim().to_string());
    }
    row.decided_by = Some(actor.who.user_id.clone());
    row.decided_at = Some(at);
    join_requests::update(conn, &row)?;
    audit::record(
        conn,
        &By::Request(actor.clone()),
        AuditAction::JoinDecide,
        Some(&row.id),
        Some(serde_json::json!({ "status": row.status.as_str() })),
        now,
    )?;
    let (event, body) = if decision.approve {
        (
            AccountEvent::JoinApproved,
            format!(
                "您加入{}企业哨账号的申请已通过，请用本手机号登录。",
                enterprise.name
            ),
        )
    } else {
        (
            AccountEvent::JoinRejected,
            format!(
                "您加入{}企业哨账号的申请未通过，原因：{}。",
                enterprise.name,
                row.reason.as_deref().unwrap_or_default()
            ),
        )
    };
    outbox.queue_account_sms(
        conn,
        &row.phone,
        event,
        &body,
        &[("enterprise", &enterprise.name)],
        now,
    )?;
    Ok((row, enterprise.name))
}
