//! The append-only timeline of each ticket. There is no update or delete here, and triggers
//! in the database refuse them.

use diesel::prelude::*;

use super::connection::DbConnection;
use super::schema::ticket_events;
use crate::domain::ticket::{Action, Role, TicketStatus};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ticket_events, treat_none_as_default_value = false)]
pub struct EventRow {
    pub id: String,
    pub ticket_id: String,
    /// The ticket's version after the event: events of one ticket are numbered 1, 2, 3…
    pub seq: i32,
    pub actor_id: Option<String>,
    pub actor_role: Option<Role>,
    pub action: Action,
    pub from_status: Option<TicketStatus>,
    pub to_status: TicketStatus,
    pub note: Option<String>,
    pub public: bool,
    /// Details of the action as a JSON object (department, assignee, deadline, rating…).
    pub data: Option<String>,
    pub created_at: String,
}

pub fn insert(conn: &mut DbConnection, row: &EventRow) -> QueryResult<()> {
    on_each!(conn, c => diesel::insert_into(ticket_events::table)
        .values(row)
        .execute(c))
    .map(drop)
}

/// Whether the ticket's timeline entry `seq` is shown to the enterprise (false when there is
/// no such entry).
pub fn is_public(conn: &mut DbConnection, ticket_id: &str, seq: i32) -> QueryResult<bool> {
    ticket_events::table
        .filter(ticket_events::ticket_id.eq(ticket_id))
        .filter(ticket_events::seq.eq(seq))
        .select(ticket_events::public)
        .first(conn)
        .optional()
        .map(|public| public.unwrap_or(false))
}

/// A ticket's timeline up to the ticket's version `up_to` (so that the timeline matches the
/// ticket read just before it, whatever was written since), oldest first; only public events
/// unless `with_internal`.
pub fn list_for_ticket(
    conn: &mut DbConnection,
    ticket_id: &str,
    up_to: i32,
    with_internal: bool,
) -> QueryResult<Vec<EventRow>> {
    // Two statements rather than one boxed query, so that each stays prepared by its type.
    // (The query is built in each arm: its selection names the backend.)
    let timeline = || {
        ticket_events::table
            .filter(ticket_events::ticket_id.eq(ticket_id))
            .filter(ticket_events::seq.le(up_to))
            .order(ticket_events::seq.asc())
    };
    if with_internal {
        on_each!(conn, c => timeline().select(EventRow::as_select()).load(c))
    } else {
        on_each!(conn, c => timeline()
            .filter(ticket_events::public.eq(true))
            .select(EventRow::as_select())
            .load(c))
    }
}

/// A ticket's timeline entry `seq`.
pub fn find(conn: &mut DbConnection, ticket_id: &str, seq: i32) -> QueryResult<Option<EventRow>> {
    on_each!(conn, c => ticket_events::table
        .filter(ticket_events::ticket_id.eq(ticket_id))
        .filter(ticket_events::seq.eq(seq))
        .select(EventRow::as_select())
        .first(c)
        .optional())
}

/// The public notes of `actions` on the tickets `ticket_ids`: (ticket id, note) — what the
/// search index holds besides the ticket's own texts (its public progress notes and
/// resolutions).
pub fn public_notes(
    conn: &mut DbConnection,
    ticket_ids: &[String],
    actions: &[Action],
) -> QueryResult<Vec<(String, String)>> {
    let rows: Vec<(String, Option<String>)> = ticket_events::table
        .filter(ticket_events::ticket_id.eq_any(ticket_ids))
        .filter(ticket_events::public.eq(true))
        .filter(ticket_events::action.eq_any(actions))
        .filter(ticket_events::note.is_not_null())
        .select((ticket_events::ticket_id, ticket_events::note))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, note)| note.map(|n| (id, n)))
        .collect())
}
