//! The audit log: administrative actions — accounts and roles, departments, enterprises and
//! their import, categories, the calendar, notification retries — and exports, each written
//! in the transaction of the action (so an action that fails leaves no entry, and one that
//! succeeds cannot lack one). Administrators read it; nobody can change it.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::auth::Principal;
use crate::db::audit_log::{self, AuditFilter, AuditRow};
use crate::db::{DbConnection, new_id};
use crate::domain::ticket::Role;
use crate::domain::time;
use crate::error::AppError;
use crate::service::{Page, require_role};

/// Who did it, from where.
#[derive(Debug, Clone)]
pub struct Actor {
    pub who: Principal,
    pub ip: String,
}

/// Records one action. `detail` says what changed — field names, not personal values.
pub fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    action: &str,
    target_type: &str,
    target_id: Option<&str>,
    detail: Option<Value>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    audit_log::insert(
        conn,
        &AuditRow {
            id: new_id(),
            at: time::format(now),
            actor_id: Some(actor.who.user_id.clone()),
            actor_role: actor.who.role,
            ip: actor.ip.clone(),
            action: action.into(),
            target_type: target_type.into(),
            target_id: target_id.map(str::to_string),
            detail: detail.map(|d| d.to_string()),
        },
    )?;
    Ok(())
}

/// The names of the fields a change sets, for the log (not their values).
pub fn fields(names: &[(&str, bool)]) -> Value {
    Value::from(
        names
            .iter()
            .filter(|(_, set)| *set)
            .map(|(name, _)| *name)
            .collect::<Vec<_>>(),
    )
}

pub fn list(
    conn: &mut DbConnection,
    who: &Principal,
    filter: &AuditFilter,
    limit: i64,
) -> Result<Page<AuditRow>, AppError> {
    require_role(who, &[Role::Admin])?;
    let rows = audit_log::list(conn, filter, limit + 1)?;
    Ok(Page::from_rows(rows, limit, |r| &r.id))
}
