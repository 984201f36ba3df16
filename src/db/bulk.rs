//! Bulk loading for `qiyeshao seed-load`: generated tickets inserted in batches, their
//! timelines made from their timestamps in SQL, all in one transaction set up for speed on
//! each backend ([`in_one_transaction`]).

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::connection::{Backend, DbConnection, raw_sql};
use super::pool::{Db, PoolError};
use super::schema::tickets;
use super::tickets::TicketRow;
use crate::domain::ticket::state::Ticket;

/// On PostgreSQL, makes the load the only writer of the tickets until it commits (a lock that
/// conflicts with itself and with writers, not with readers); SQLite's writer is one already.
pub fn lock_for_loading(conn: &mut DbConnection) -> QueryResult<()> {
    match conn {
        DbConnection::Postgres(c) => {
            c.batch_execute("LOCK TABLE tickets IN SHARE ROW EXCLUSIVE MODE")
        }
        DbConnection::Sqlite(_) => Ok(()),
    }
}

/// Inserts generated tickets (each with its search column); the caller recounts the
/// statistics once they are all in (`stats_cells::rebuild`).
pub fn insert_tickets(conn: &mut DbConnection, batch: &[(Ticket, String)]) -> QueryResult<()> {
    match conn {
        DbConnection::Postgres(c) => {
            // Multi-row inserts: one round trip per 500 tickets.
            for chunk in batch.chunks(500) {
                let rows: Vec<_> = chunk
                    .iter()
                    .map(|(row, search)| (TicketRow::from(row), tickets::search_text.eq(search)))
                    .collect();
                diesel::insert_into(tickets::table)
                    .values(rows)
                    .execute(c)?;
            }
        }
        DbConnection::Sqlite(c) => {
            // One prepared single-row statement run again and again: SQLite parses a
            // multi-row insert anew each time and gives it a statement journal (tried: a
            // JSON array unpacked by json_each is slower still).
            for (row, search) in batch {
                diesel::insert_into(tickets::table)
                    .values((TicketRow::from(row), tickets::search_text.eq(search)))
                    .execute(c)?;
            }
        }
    }
    Ok(())
}

/// One step of the timeline in SQL: seq, actor, actor's role, action, from, to, the column of
/// when, which tickets have it.
type StepSql<'a> = (
    u8,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
);

/// The timeline of the tickets with ids in `[first, last]` (one batch) and numbers like
/// `numbers_like` (this load's: others' tickets may have ids in the same range), made from their
/// timestamps in SQL: the generator takes every ticket along file → (reject | withdraw |
/// accept → assign → sign → resolve → revisit or close), each step setting its column, so the
/// steps a ticket has are those whose column is set, numbered in that order. The entries are
/// inserted in key order, after those of the batches before (ids grow with time): appends to
/// the table's B-tree. Returns the entries written.
pub fn write_timelines(
    conn: &mut DbConnection,
    first: &str,
    last: &str,
    numbers_like: &str,
    dispatcher: &str,
) -> QueryResult<u64> {
    let role = "CASE WHEN channel = 'online' THEN 'enterprise' ELSE 'dispatcher' END";
    let dispatcher = format!("'{dispatcher}'");
    let steps: [StepSql; 9] = [
        (
            1,
            "submitter_id",
            role,
            "file",
            "NULL",
            "submitted",
            "created_at",
            "TRUE",
        ),
        (
            2,
            &dispatcher,
            "'dispatcher'",
            "reject",
            "'submitted'",
            "rejected",
            "rejected_at",
            "rejected_at IS NOT NULL",
        ),
        (
            2,
            "submitter_id",
            role,
            "withdraw",
            "'submitted'",
            "withdrawn",
            "withdrawn_at",
            "withdrawn_at IS NOT NULL",
        ),
        (
            2,
            &dispatcher,
            "'dispatcher'",
            "accept",
            "'submitted'",
            "accepted",
            "accepted_at",
            "accepted_at IS NOT NULL",
        ),
        (
            3,
            &dispatcher,
            "'dispatcher'",
            "assign",
            "'accepted'",
            "assigned",
            "assigned_at",
            "assigned_at IS NOT NULL",
        ),
        (
            4,
            "assignee_id",
            "'cadre'",
            "sign",
            "'assigned'",
            "in_progress",
            "signed_at",
            "signed_at IS NOT NULL",
        ),
        (
            5,
            "assignee_id",
            "'cadre'",
            "resolve",
            "'in_progress'",
            "resolved",
            "resolved_at",
            "resolved_at IS NOT NULL",
        ),
        (
            6,
            "NULL",
            "NULL",
            "close",
            "'resolved'",
            "closed",
            "closed_at",
            "closed_at IS NOT NULL AND no_response",
        ),
        (
            6,
            "submitter_id",
            role,
            "revisit",
            "'resolved'",
            "closed",
            "closed_at",
            "closed_at IS NOT NULL AND NOT no_response",
        ),
    ];
    // The entry's id: the ticket's with its last two digits replaced by the step's.
    let selects: Vec<String> = steps
        .iter()
        .map(|(seq, actor, role, action, from, to, at, which)| {
            format!(
                "SELECT substr(id, 1, 34) || '{seq:02x}' AS eid, id AS tid, {seq} AS seq, \
                 {actor} AS actor, {role} AS role, '{action}' AS action, {from} AS from_status, \
                 '{to}' AS to_status, {at} AS at FROM tickets \
                 WHERE id >= $1 AND id <= $2 AND number LIKE $3 AND {which}"
            )
        })
        .collect();
    let sql = format!(
        "INSERT INTO ticket_events (id, ticket_id, seq, actor_id, actor_role, action, \
         from_status, to_status, note, public, data, created_at) \
         SELECT eid, tid, seq, actor, role, action, from_status, to_status, NULL, TRUE, NULL, at \
         FROM ({}) AS steps ORDER BY tid, seq",
        selects.join(" UNION ALL ")
    );
    let written = raw_sql(conn, &sql)
        .bind::<Text, _>(first)
        .bind::<Text, _>(last)
        .bind::<Text, _>(numbers_like)
        .execute(conn)?;
    Ok(written as u64)
}

/// Runs `body` in one transaction set up for a bulk load.
///
/// PostgreSQL: a plain transaction, then what autovacuum would do a while later — the
/// visibility map (without it the overdue count's index-only scan visits the table) and the
/// planner's statistics. SQLite: a connection of the pool rather than the writer thread, whose
/// writes are savepoints of a shared transaction (their undo pages would pile up in memory);
/// one immediate transaction, a larger page cache, and no foreign-key lookups for rows made
/// from the directory just written (five per ticket, a third of the time); the connection's
/// own settings are restored afterwards.
pub fn in_one_transaction<T, E>(
    db: &Db,
    body: impl FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
) -> Result<T, E>
where
    T: Send + 'static,
    E: From<PoolError> + From<diesel::result::Error> + Send + 'static,
{
    match db.backend() {
        Backend::Postgres => db.write(body).and_then(|written| {
            let mut pooled = db.conn()?;
            let conn: &mut DbConnection = &mut pooled;
            conn.batch_execute("VACUUM ANALYZE tickets, ticket_events, stats_cube, ticket_words")?;
            Ok(written)
        }),
        Backend::Sqlite => {
            let mut pooled = db.conn()?;
            let conn: &mut DbConnection = &mut pooled;
            conn.batch_execute(
                "PRAGMA foreign_keys = OFF; PRAGMA cache_size = -262144; PRAGMA synchronous = OFF",
            )?;
            conn.batch_execute("BEGIN IMMEDIATE")?;
            let result = body(conn);
            let ended = conn.batch_execute(if result.is_ok() { "COMMIT" } else { "ROLLBACK" });
            conn.batch_execute(&db.sqlite_pragmas())?;
            ended?;
            result
        }
    }
}
