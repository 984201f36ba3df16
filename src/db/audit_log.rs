//! The audit log of administrative actions (append-only: the database refuses changes).

use diesel::prelude::*;

use super::DbConnection;
use super::schema::audit_log;
use crate::domain::ticket::Role;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_log, treat_none_as_default_value = false)]
pub struct AuditRow {
    pub id: String,
    pub at: String,
    pub actor_id: Option<String>,
    pub actor_role: Role,
    pub ip: String,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<String>,
    pub detail: Option<String>,
}

pub fn insert(conn: &mut DbConnection, row: &AuditRow) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// Filters of the log; `None` means any.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub actor_id: Option<String>,
    /// An action, or a prefix ending in `.` (`user.` for every action on users).
    pub action: Option<String>,
    pub target_id: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub before_id: Option<String>,
}

/// Newest first, at most `limit`.
pub fn list(conn: &mut DbConnection, f: &AuditFilter, limit: i64) -> QueryResult<Vec<AuditRow>> {
    let mut query = audit_log::table.select(AuditRow::as_select()).into_boxed();
    if let Some(v) = &f.actor_id {
        query = query.filter(audit_log::actor_id.eq(v.clone()));
    }
    if let Some(v) = &f.action {
        query = match v.strip_suffix('.') {
            Some(prefix) => query.filter(audit_log::action.like(format!("{prefix}.%"))),
            None => query.filter(audit_log::action.eq(v.clone())),
        };
    }
    if let Some(v) = &f.target_id {
        query = query.filter(audit_log::target_id.eq(v.clone()));
    }
    if let Some(v) = &f.from {
        query = query.filter(audit_log::at.ge(v.clone()));
    }
    if let Some(v) = &f.to {
        query = query.filter(audit_log::at.lt(v.clone()));
    }
    if let Some(v) = &f.before_id {
        query = query.filter(audit_log::id.lt(v.clone()));
    }
    query.order(audit_log::id.desc()).limit(limit).load(conn)
}
