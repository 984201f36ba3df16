//! The message centre (站内消息): each user reads, counts and marks read their own in-app
//! messages, whatever their role; someone else's message is not found (404), as a ticket
//! outside one's scope is.

use chrono::{DateTime, Utc};

use crate::auth::Principal;
use crate::db::DbConnection;
use crate::db::messages::{self, MessageRow};
use crate::domain::time;
use crate::error::AppError;
use crate::service::Page;

/// The reader's messages, newest first; only the unread when `unread_only`.
pub fn list(
    conn: &mut DbConnection,
    who: &Principal,
    unread_only: bool,
    before_id: Option<&str>,
    limit: i64,
) -> Result<Page<MessageRow>, AppError> {
    let rows = messages::list(conn, &who.user_id, unread_only, before_id, limit + 1)?;
    Ok(Page::from_rows(rows, limit, |r| &r.id))
}

/// How many of the reader's messages are unread.
pub fn unread_count(conn: &mut DbConnection, who: &Principal) -> Result<i64, AppError> {
    Ok(messages::unread_count(conn, &who.user_id)?)
}

/// Marks one of the reader's messages read (again is fine: the first reading stays).
pub fn mark_read(
    conn: &mut DbConnection,
    who: &Principal,
    id: &str,
    now: DateTime<Utc>,
) -> Result<MessageRow, AppError> {
    messages::mark_read(conn, &who.user_id, id, &time::format(now))?;
    messages::find_own(conn, &who.user_id, id)?.ok_or_else(|| AppError::not_found("message"))
}

/// Marks every unread message of the reader read; returns how many were.
pub fn mark_all_read(
    conn: &mut DbConnection,
    who: &Principal,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    Ok(messages::mark_all_read(
        conn,
        &who.user_id,
        &time::format(now),
    )?)
}
