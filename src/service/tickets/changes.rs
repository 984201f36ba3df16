//! Writing a change to a ticket, whoever makes it (an action, an extension decision, the
//! scheduler): the ticket with its version check, its timeline entry, the statistics' cells,
//! the search index's words of a public note, the notifications the entry raises, and the
//! entries of the requests merged into it (`merging::follow`) — one path, so that none of
//! them can be left out.

use chrono::{DateTime, Utc};

use crate::auth::Principal;
use crate::db::ticket_events::{self, EventRow};
use crate::db::tickets::{self as ticket_db, TicketFactRow};
use crate::db::{DbConnection, new_id, stats_cells, ticket_words};
use crate::domain::ticket::state::Ticket;
use crate::domain::ticket::timeline::Entry;
use crate::domain::time;
use crate::error::{AppError, ErrorCode};
use crate::search::INDEXED_ACTIONS;
use crate::service::tickets::{Context, merging};

/// The timeline row of `entry`, numbered by the ticket's version after the change. `who` is
/// `None` for the scheduler.
pub fn event_row(ticket: &Ticket, who: Option<&Principal>, entry: Entry, now: &str) -> EventRow {
    EventRow {
        id: new_id(),
        ticket_id: ticket.id.clone(),
        seq: ticket.version,
        actor_id: who.map(|w| w.user_id.clone()),
        actor_role: who.map(|w| w.role),
        action: entry.action,
        from_status: entry.from,
        to_status: ticket.status,
        note: entry.note,
        public: entry.public,
        data: entry.data.map(|d| d.to_json()),
        created_at: now.to_string(),
    }
}

/// Writes a changed ticket (its `version` already one more than `expected_version`), its
/// timeline entry, the statistics and the notifications the entry raises; 409
/// `concurrent_update` when someone else changed the ticket since it was read.
pub fn write_change(
    conn: &mut DbConnection,
    ctx: &Context,
    who: Option<&Principal>,
    expected_version: i32,
    ticket: &Ticket,
    entry: Entry,
    now: DateTime<Utc>,
) -> Result<EventRow, AppError> {
    let before = stats_cells::find(conn, &ticket.id)?;
    if !ticket_db::update_versioned(conn, ticket, expected_version)? {
        return Err(AppError::new(
            ErrorCode::ConcurrentUpdate,
            "the ticket was changed by someone else at the same time; reload it and try again",
        ));
    }
    stats_cells::note(
        conn,
        &ticket.id,
        before.as_ref(),
        Some(&TicketFactRow::from(ticket)),
    )?;
    let happened = event_row(ticket, who, entry, &time::format(now));
    ticket_events::insert(conn, &happened)?;
    if happened.public
        && INDEXED_ACTIONS.contains(&happened.action)
        && let Some(note) = &happened.note
    {
        let words = match &ctx.words {
            Some(words) => words.clone(),
            None => ctx.segmenter.words(note),
        };
        ticket_words::add(conn, &ticket.id, &words)?;
    }
    ctx.outbox.queue_event(conn, ticket, &happened)?;
    // The requests merged into this one follow it, in this transaction.
    for (before, after, entry) in merging::follow(conn, ticket, &happened, now)? {
        write_change(conn, ctx, who, before.version, &after, entry, now)?;
    }
    Ok(happened)
}
