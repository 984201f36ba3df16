//! The notification outbox as administrators see it: the list, the counts, and retrying a
//! message that was given up.

use chrono::{DateTime, Utc};

use crate::auth::Principal;
use crate::db::DbConnection;
use crate::db::notifications::{self, NotificationFilter, NotificationRow};
use crate::domain::notification::MessageTopic;
use crate::domain::notification::NotifyStatus;
use crate::domain::ticket::Role;
use crate::domain::time;
use crate::error::{AppError, ErrorCode};
use crate::service::audit::{self, Actor, AuditAction, By};
use crate::service::{Page, require_role};

pub fn list(
    conn: &mut DbConnection,
    who: &Principal,
    filter: &NotificationFilter,
    limit: i64,
) -> Result<Page<NotificationRow>, AppError> {
    require_role(who, &[Role::Admin])?;
    let rows = notifications::list(conn, filter, limit + 1)?;
    Ok(Page::from_rows(rows, limit, |r| &r.id))
}

pub fn get(
    conn: &mut DbConnection,
    who: &Principal,
    id: &str,
) -> Result<NotificationRow, AppError> {
    require_role(who, &[Role::Admin])?;
    notifications::find(conn, id)?.ok_or_else(|| AppError::not_found("notification"))
}

/// (channel, status, rows) for every pair with rows.
pub fn counts(
    conn: &mut DbConnection,
    who: &Principal,
) -> Result<Vec<(String, String, i64)>, AppError> {
    require_role(who, &[Role::Admin])?;
    Ok(notifications::counts(conn)?)
}

/// Puts a failed message back in the queue, due now, with its attempts counted afresh.
/// Only failed messages: a pending or sending one is already on its way, a sent one arrived.
pub fn retry(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    now: DateTime<Utc>,
) -> Result<NotificationRow, AppError> {
    require_role(&actor.who, &[Role::Admin])?;
    let row = notifications::find(conn, id)?.ok_or_else(|| AppError::not_found("notification"))?;
    if row.event == MessageTopic::SmsCode {
        return Err(AppError::new(
            ErrorCode::NotRetryable,
            "a sign-in code is not sent again: its code is withheld once sent or given up, and the user asks for a new one",
        ));
    }
    if !notifications::retry_failed(conn, id, &time::format(now))? {
        return Err(AppError::new(
            ErrorCode::NotFailed,
            format!(
                "only failed messages can be retried; this one is {}",
                row.status
            ),
        ));
    }
    let row = notifications::find(conn, id)?.ok_or_else(|| AppError::not_found("notification"))?;
    tracing::info!(id = %row.id, channel = %row.channel, "notification queued again by an administrator");
    debug_assert_eq!(row.status, NotifyStatus::Pending);
    let by = By::Request(actor.clone());
    audit::record(
        conn,
        &by,
        AuditAction::NotificationRetry,
        Some(id),
        None,
        now,
    )?;
    Ok(row)
}
