//! The notices to write (`notice_queue`): one row per timeline entry whose messages are still
//! to be worked out, added in the entry's transaction and removed by the expander
//! (`notify::expander`) in the transaction that writes the messages.

use diesel::prelude::*;

use super::connection::DbConnection;
use super::schema::notice_queue;

/// A queued notice: the entry, and the ticket's routing facts right after it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = notice_queue)]
pub struct QueuedNotice {
    pub id: i64,
    pub ticket_id: String,
    pub event_seq: i32,
    pub department_id: Option<String>,
    pub assignee_id: Option<String>,
    pub escalation_level: i32,
    pub queued_at: String,
}

/// A notice to queue (its id is the database's).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = notice_queue, treat_none_as_default_value = false)]
pub struct NewNotice<'a> {
    pub ticket_id: &'a str,
    pub event_seq: i32,
    pub department_id: Option<&'a str>,
    pub assignee_id: Option<&'a str>,
    pub escalation_level: i32,
    pub queued_at: &'a str,
}

pub fn insert(conn: &mut DbConnection, notice: &NewNotice<'_>) -> QueryResult<()> {
    on_each!(conn, c => diesel::insert_into(notice_queue::table)
        .values(notice)
        .execute(c))
    .map(drop)
}

/// The oldest `limit` notices. On PostgreSQL, called in a transaction, the rows are locked
/// until it ends and rows another instance has locked are skipped, so that two instances
/// never expand the same notice; on SQLite the caller deletes each row before it writes the
/// notice's messages ([`delete`] says whether it was still there).
pub fn claim(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<QueuedNotice>> {
    // (The query is built in each arm: its selection names the backend.)
    let oldest = || {
        notice_queue::table
            .order(notice_queue::id.asc())
            .limit(limit)
    };
    match conn {
        DbConnection::Postgres(c) => oldest()
            .select(QueuedNotice::as_select())
            .for_update()
            .skip_locked()
            .load(c),
        DbConnection::Sqlite(c) => oldest().select(QueuedNotice::as_select()).load(c),
    }
}

/// Removes a notice; false when it was no longer queued (expanded already).
pub fn delete(conn: &mut DbConnection, id: i64) -> QueryResult<bool> {
    on_each!(conn, c => diesel::delete(notice_queue::table.find(id)).execute(c)).map(|n| n == 1)
}

/// How many notices wait.
pub fn len(conn: &mut DbConnection) -> QueryResult<i64> {
    notice_queue::table.count().get_result(conn)
}
