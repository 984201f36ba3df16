//! Reading tickets: a reader's list, the workbench's tab counts, and one ticket with its
//! timeline, comments, revisits and attachments — each as that reader may see it.

use std::collections::BTreeMap;

use crate::auth::Principal;
use crate::db::attachments::{self as attachment_db, AttachmentRow};
use crate::db::comments::{self, CommentRow};
use crate::db::revisits::{self, RevisitRow};
use crate::db::ticket_events::{self, EventRow};
use crate::db::tickets::{self as ticket_db, TicketFilter};
use crate::db::{DbConnection, enterprises, users};
use crate::domain::ticket::TicketStatus;
use crate::domain::ticket::state::Ticket;
use crate::error::AppError;
use crate::service::tickets::TicketView;
use crate::service::tickets::access::{
    load_visible, people_for_reader, scope_of, sees_internal, shown_all, shown_as,
};
use crate::service::{Page, encode_offset_cursor};

/// A ticket as one reader may see it, with what is stored beside it.
#[derive(Debug, Clone)]
pub struct TicketDetail {
    pub ticket: TicketView,
    pub events: Vec<EventRow>,
    pub comments: Vec<CommentRow>,
    pub revisits: Vec<RevisitRow>,
    /// Those of the ticket, and of the comments and timeline entries this reader sees.
    pub attachments: Vec<AttachmentRow>,
    /// The filing enterprise's name.
    pub enterprise_name: String,
    /// The names of the people in the timeline, comments and revisits, by user id.
    pub people: BTreeMap<String, String>,
    /// For a merged request: the request it follows.
    pub merged_into: Option<Ticket>,
    /// For staff: the requests merged into this one, with their enterprises' names.
    pub duplicates: Vec<(Ticket, String)>,
}

/// The tickets `who` may see that pass the filter, newest first, a page of `limit`.
pub fn list(
    conn: &mut DbConnection,
    who: &Principal,
    filter: &TicketFilter,
    limit: i64,
) -> Result<Page<TicketView>, AppError> {
    let tickets = ticket_db::list(conn, &scope_of(who), filter, limit + 1)?;
    let mut page = Page::from_rows(tickets, limit, |t| &t.id);
    if filter.by_relevance && page.next_cursor.is_some() {
        page.next_cursor = Some(encode_offset_cursor(filter.offset + limit));
    }
    Ok(Page {
        items: shown_all(who, page.items),
        next_cursor: page.next_cursor,
    })
}

/// How many tickets the caller may see are in each workbench tab.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, utoipa::ToSchema)]
pub struct TabCounts {
    pub submitted: i64,
    pub accepted: i64,
    /// 待签收: assigned, not yet signed for.
    pub assigned: i64,
    pub in_progress: i64,
    /// 即将超期: being handled, the deadline ahead but within the due-soon window.
    pub due_soon: i64,
    /// 已超期: being handled past the deadline.
    pub overdue: i64,
    pub resolved: i64,
    pub closed: i64,
    /// 待审批: being handled with an extension request waiting for a decision.
    pub extension_pending: i64,
}

/// The workbench's tab counts at `now`; due soon means a deadline before `due_soon_until`.
pub fn tab_counts(
    conn: &mut DbConnection,
    who: &Principal,
    now: &str,
    due_soon_until: &str,
) -> Result<TabCounts, AppError> {
    let scope = scope_of(who);
    // One pass for the statuses, one each for the two deadline tabs.
    let by_status = ticket_db::count_by_status(conn, &scope)?;
    let status = |s: TicketStatus| {
        by_status
            .iter()
            .find(|(status, _)| *status == s)
            .map_or(0, |(_, n)| *n)
    };
    let mut count = |filter: TicketFilter| ticket_db::count(conn, &scope, &filter);
    Ok(TabCounts {
        submitted: status(TicketStatus::Submitted),
        accepted: status(TicketStatus::Accepted),
        assigned: status(TicketStatus::Assigned),
        in_progress: status(TicketStatus::InProgress),
        due_soon: count(TicketFilter {
            due_between: Some((now.to_string(), due_soon_until.to_string())),
            ..TicketFilter::default()
        })?,
        overdue: count(TicketFilter {
            overdue: Some((true, now.to_string())),
            ..TicketFilter::default()
        })?,
        resolved: status(TicketStatus::Resolved),
        closed: status(TicketStatus::Closed),
        extension_pending: count(TicketFilter {
            extension_pending: Some(true),
            ..TicketFilter::default()
        })?,
    })
}

/// One ticket with its timeline up to the ticket's own version (an action committed while
/// this is read is left out of both), comments, revisits and attachments, as `who` may see
/// them: enterprise users get only public entries and non-internal comments.
pub fn detail(
    conn: &mut DbConnection,
    who: &Principal,
    ticket_id: &str,
) -> Result<TicketDetail, AppError> {
    let (visible, actor) = load_visible(conn, who, ticket_id)?;
    let ticket = shown_as(who, visible, &actor);
    let internal = sees_internal(who);
    let comments = comments::list_for_ticket(conn, ticket_id, internal)?;
    let events = ticket_events::list_for_ticket(conn, ticket_id, ticket.ticket.version, internal)?;
    let attachments = attachment_db::list_for_ticket(conn, ticket_id)?
        .into_iter()
        .filter(|a| {
            a.comment_id
                .as_ref()
                .is_none_or(|id| comments.iter().any(|c| &c.id == id))
                && a.event_seq
                    .is_none_or(|seq| events.iter().any(|e| e.seq == seq))
        })
        .collect();
    let revisits = revisits::list_for_ticket(conn, ticket_id)?;
    let mut ids: Vec<String> = events
        .iter()
        .filter_map(|e| e.actor_id.clone())
        .chain(comments.iter().map(|c| c.author_id.clone()))
        .chain(revisits.iter().map(|r| r.recorded_by.clone()))
        .chain(ticket.ticket.assignee_id.clone())
        .collect();
    ids.sort();
    ids.dedup();
    let enterprise_people = if ticket.contact_masked {
        users::ids_of_enterprise(conn, &ticket.ticket.enterprise_id)?
    } else {
        Vec::new()
    };
    let people = people_for_reader(
        ticket.contact_masked,
        &enterprise_people,
        users::names(conn, &ids)?,
    );
    let enterprise_name = enterprises::find(conn, &ticket.ticket.enterprise_id)?
        .map(|e| e.name)
        .unwrap_or_default();
    let merged_into = match &ticket.ticket.merged_into_id {
        Some(primary) => ticket_db::find(conn, primary)?,
        None => None,
    };
    let mut duplicates = Vec::new();
    if internal {
        let followers = ticket_db::followers(conn, ticket_id)?;
        if !followers.is_empty() {
            // Their enterprises' names in one query.
            let ids: Vec<String> = followers.iter().map(|t| t.enterprise_id.clone()).collect();
            let names: std::collections::HashMap<String, String> =
                enterprises::names_of(conn, &ids)?.into_iter().collect();
            for duplicate in followers {
                let name = names
                    .get(&duplicate.enterprise_id)
                    .cloned()
                    .unwrap_or_default();
                duplicates.push((duplicate, name));
            }
        }
    }
    Ok(TicketDetail {
        merged_into,
        duplicates,
        events,
        comments,
        revisits,
        attachments,
        enterprise_name,
        people,
        ticket,
    })
}
