//! The user agreement (用户协议) and privacy policy (隐私政策), and consent to them (PIPL).
//!
//! Both texts are published together as one numbered version; an administrator edits them by
//! publishing the next version, and old versions stay readable. Enterprise users accept the
//! version in force when they register (or when a request to join is made); a newer version
//! asks them again at their next sign-in: until they accept it, their tokens carry
//! `consent_required` and the API answers them only their own account, the acceptance, the
//! password change and signing out. Every acceptance is kept (`consents`): who, which version,
//! when and from which address.

use chrono::{DateTime, Utc};

use crate::auth::Principal;
use crate::db::legal::{self, ConsentRow, LegalTextRow};
use crate::db::users::{self, UserRow};
use crate::db::{DbConnection, new_id};
use crate::domain::ticket::Role;
use crate::domain::time;
use crate::error::{AppError, ErrorCode};
use crate::service::audit::{self, AuditAction, By};

/// Whether `user` still has to accept the version in force.
pub fn consent_required(conn: &mut DbConnection, user: &UserRow) -> Result<bool, AppError> {
    if user.role != Role::Enterprise {
        return Ok(false);
    }
    let current = legal::current_version(conn)?;
    Ok(user.consented_version.unwrap_or(0) < current)
}

/// The version in force.
pub fn current(conn: &mut DbConnection) -> Result<LegalTextRow, AppError> {
    legal::current(conn)?.ok_or_else(|| AppError::not_found("legal texts"))
}

/// One version, or the one in force.
pub fn version(conn: &mut DbConnection, version: Option<i32>) -> Result<LegalTextRow, AppError> {
    match version {
        Some(v) => legal::find(conn, v)?.ok_or_else(|| AppError::not_found("legal texts")),
        None => current(conn),
    }
}

/// Refuses a version that is not the one in force (the texts changed while the user read
/// them), naming `field`.
pub fn check_current(conn: &mut DbConnection, field: &str, version: i32) -> Result<(), AppError> {
    let current = legal::current_version(conn)?;
    if version != current {
        let mut errors = crate::domain::validation::FieldErrors::new();
        errors.add(
            field,
            format!("the texts in force are version {current}; read them and accept that one"),
        );
        return Err(AppError::validation(errors));
    }
    Ok(())
}

/// Records that `user` accepted `version` (already checked to be the one in force), in the
/// caller's transaction.
pub fn accept(
    conn: &mut DbConnection,
    user: &mut UserRow,
    version: i32,
    ip: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let at = time::format(now);
    legal::record_consent(
        conn,
        &ConsentRow {
            id: new_id(),
            user_id: user.id.clone(),
            version,
            accepted_at: at.clone(),
            ip: ip.to_string(),
        },
    )?;
    user.consented_version = Some(version);
    user.consented_at = Some(at.clone());
    user.updated_at = at;
    users::update(conn, user)?;
    Ok(())
}

/// Texts an administrator publishes as the next version.
#[derive(Debug, Clone)]
pub struct NewTexts {
    pub terms: String,
    pub privacy: String,
    pub note: String,
}

/// Publishes the next version: every enterprise user is asked to accept it at their next
/// sign-in.
pub fn publish(
    conn: &mut DbConnection,
    by: &By,
    who: &Principal,
    texts: NewTexts,
    now: DateTime<Utc>,
) -> Result<LegalTextRow, AppError> {
    crate::service::require_role(who, &[Role::Admin])?;
    let current = legal::current(conn)?;
    if let Some(c) = &current
        && c.terms == texts.terms
        && c.privacy == texts.privacy
    {
        return Err(AppError::new(
            ErrorCode::Duplicate,
            "the texts are the same as the version in force; nothing to publish",
        ));
    }
    let row = LegalTextRow {
        version: current.map_or(1, |c| c.version + 1),
        terms: texts.terms,
        privacy: texts.privacy,
        note: texts.note,
        published_by: Some(who.user_id.clone()),
        published_at: time::format(now),
    };
    legal::insert(conn, &row)?;
    let detail = serde_json::json!({ "version": row.version });
    audit::record(
        conn,
        by,
        AuditAction::LegalPublish,
        Some(&row.version.to_string()),
        Some(detail),
        now,
    )?;
    Ok(row)
}
