//! The message centre (站内消息): in-app messages, one per ticket event per user, written with
//! the event; listed, counted and marked read by their user only.

use diesel::prelude::*;

use super::connection::DbConnection;
use super::schema::messages;
use crate::domain::notification::MessageTopic;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = messages, treat_none_as_default_value = false)]
pub struct MessageRow {
    pub id: String,
    pub user_id: String,
    /// The ticket it is about; none for a policy's or an application's.
    pub ticket_id: Option<String>,
    pub event: MessageTopic,
    pub event_seq: Option<i32>,
    pub title: String,
    pub body: String,
    pub created_at: String,
    pub read_at: Option<String>,
    pub policy_id: Option<String>,
    pub application_id: Option<String>,
}

/// Inserts the messages of one event (one row each: an event has few readers, and each insert
/// stays prepared).
pub fn insert_all(conn: &mut DbConnection, rows: &[MessageRow]) -> QueryResult<()> {
    for row in rows {
        on_each!(&mut *conn, c => diesel::insert_into(messages::table)
            .values(row)
            .execute(c))?;
    }
    Ok(())
}

/// Up to `limit` of `user_id`'s messages older than `before_id` (all when `None`), newest
/// first; only the unread when `unread_only`.
pub fn list(
    conn: &mut DbConnection,
    user_id: &str,
    unread_only: bool,
    before_id: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<MessageRow>> {
    let mut query = messages::table
        .filter(messages::user_id.eq(user_id))
        .select(MessageRow::as_select())
        .into_boxed();
    if unread_only {
        // The partial index's condition, word for word.
        query = query.filter(messages::read_at.is_null());
    }
    if let Some(id) = before_id {
        query = query.filter(messages::id.lt(id.to_string()));
    }
    query.order(messages::id.desc()).limit(limit).load(conn)
}

/// How many of `user_id`'s messages are unread.
pub fn unread_count(conn: &mut DbConnection, user_id: &str) -> QueryResult<i64> {
    messages::table
        .filter(messages::user_id.eq(user_id))
        .filter(messages::read_at.is_null())
        .count()
        .get_result(conn)
}

/// `user_id`'s message `id`, if it is theirs.
pub fn find_own(
    conn: &mut DbConnection,
    user_id: &str,
    id: &str,
) -> QueryResult<Option<MessageRow>> {
    messages::table
        .filter(messages::id.eq(id))
        .filter(messages::user_id.eq(user_id))
        .select(MessageRow::as_select())
        .get_result(conn)
        .optional()
}

/// Marks `user_id`'s message `id` read at `now`, unless it was read before (the first reading
/// stays). Returns whether a row changed.
pub fn mark_read(conn: &mut DbConnection, user_id: &str, id: &str, now: &str) -> QueryResult<bool> {
    diesel::update(
        messages::table
            .filter(messages::id.eq(id))
            .filter(messages::user_id.eq(user_id))
            .filter(messages::read_at.is_null()),
    )
    .set(messages::read_at.eq(now))
    .execute(conn)
    .map(|n| n > 0)
}

/// Marks every unread message of `user_id` read at `now`; returns how many.
pub fn mark_all_read(conn: &mut DbConnection, user_id: &str, now: &str) -> QueryResult<usize> {
    diesel::update(
        messages::table
            .filter(messages::user_id.eq(user_id))
            .filter(messages::read_at.is_null()),
    )
    .set(messages::read_at.eq(now))
    .execute(conn)
}

/// Every message of a ticket, oldest first (tests and the ticket's history).
pub fn of_ticket(conn: &mut DbConnection, ticket_id: &str) -> QueryResult<Vec<MessageRow>> {
    messages::table
        .filter(messages::ticket_id.eq(ticket_id))
        .select(MessageRow::as_select())
        .order((messages::event_seq.asc(), messages::id.asc()))
        .load(conn)
}

/// Deletes the messages written before `cutoff`, at most `limit` of them, oldest first;
/// returns how many went. Their ids are UUIDv7 of when they were written, so the oldest are a
/// range of the primary key (`floor`: the smallest id of an instant at `cutoff`), read without
/// a scan of the table; `created_at` is checked as well.
pub fn delete_before(
    conn: &mut DbConnection,
    cutoff: &str,
    floor: &str,
    limit: i64,
) -> QueryResult<usize> {
    let ids: Vec<String> = messages::table
        .filter(messages::id.lt(floor))
        .filter(messages::created_at.lt(cutoff))
        .order(messages::id.asc())
        .select(messages::id)
        .limit(limit)
        .load(conn)?;
    if ids.is_empty() {
        return Ok(0);
    }
    diesel::delete(messages::table.filter(messages::id.eq_any(&ids))).execute(conn)
}
