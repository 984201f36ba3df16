//! Systemic issues (症结, issue 18): opening, editing and listing them, linking the tickets
//! they explain (from either side), the suggestions drawn from similarity, and the counts
//! behind each (requests: linked tickets; enterprises: distinct among them). Who may do what
//! is `domain::systemic`'s to say; enterprises are refused everything here (403).
//!
//! Links are not ticket events: they are not on any timeline, so nothing of an issue reaches
//! an enterprise through its tickets.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use crate::auth::Principal;
use crate::db::systemic_issue_tickets::{self as links, Counts, SystemicLinkRow};
use crate::db::systemic_issues::{self, SystemicFilter, SystemicIssueRow};
use crate::db::ticket_words::{self, SimilarAmong};
use crate::db::{DbConnection, departments, new_id, tickets as ticket_db};
use crate::domain::systemic::{
    self as rules, EditedFields, Reader, SystemicAction, SystemicStatus,
};
use crate::domain::ticket::Role;
use crate::domain::ticket::state::Ticket;
use crate::domain::time;
use crate::error::{AppError, ErrorCode};
use crate::search::Segmenter;
use crate::service::Page;
use crate::service::audit::{self, AuditAction, By};
use crate::service::tickets::access::load_visible;

/// The most linked tickets an issue's detail lists (the counts count them all).
pub const MAX_LISTED_TICKETS: i64 = 200;

/// How many words of the title and analysis are compared for suggestions.
pub const MAX_WORDS: usize = 24;

/// How far back a resolved ticket is still suggested, days: a systemic issue is usually
/// found among requests already solved one by one.
pub const RESOLVED_WITHIN_DAYS: i64 = 365;

/// An issue as its reader sees it: with its counts and what the reader may do to it.
#[derive(Debug, Clone)]
pub struct IssueView {
    pub issue: SystemicIssueRow,
    pub counts: Counts,
    pub allowed: Vec<SystemicAction>,
}

/// An issue with the linked tickets its reader may see.
#[derive(Debug, Clone)]
pub struct IssueDetail {
    pub view: IssueView,
    /// The linked tickets the reader sees, the newest first.
    pub tickets: Vec<Ticket>,
    /// Linked tickets the reader may not see (another department's), or beyond the listed
    /// [`MAX_LISTED_TICKETS`]: counted, not shown.
    pub not_listed: i64,
}

/// A ticket suggested for an issue.
#[derive(Debug, Clone)]
pub struct Suggestion {
    pub ticket: Ticket,
    pub score: f64,
    pub shared_words: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct NewIssue {
    pub title: String,
    pub analysis: String,
    pub measures: String,
    pub lead_department_id: String,
}

#[derive(Debug, Clone, Default)]
pub struct IssueChanges {
    pub title: Option<String>,
    pub analysis: Option<String>,
    pub measures: Option<String>,
    pub lead_department_id: Option<String>,
    pub status: Option<SystemicStatus>,
}

impl IssueChanges {
    fn fields(&self) -> EditedFields {
        EditedFields {
            title: self.title.is_some(),
            analysis: self.analysis.is_some(),
            lead_department: self.lead_department_id.is_some(),
            measures: self.measures.is_some(),
            status: self.status.is_some(),
        }
    }
}

/// A ticket named by its id or by its number (`QYS20261122000123`).
#[derive(Debug, Clone)]
pub enum TicketRef {
    Id(String),
    Number(String),
}

fn reader(who: &Principal) -> Reader<'_> {
    Reader {
        role: who.role,
        department_id: who.department_id.as_deref(),
    }
}

fn refuse_enterprise(who: &Principal) -> Result<(), AppError> {
    if rules::may_read_any(who.role) {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "systemic issues are for staff: enterprises do not see them",
        ))
    }
}

/// Loads an issue the reader may see (404 otherwise, never 403).
fn load_visible_issue(
    conn: &mut DbConnection,
    who: &Principal,
    id: &str,
) -> Result<SystemicIssueRow, AppError> {
    refuse_enterprise(who)?;
    systemic_issues::find(conn, id)?
        .filter(|i| rules::can_view(reader(who), &i.lead_department_id))
        .ok_or_else(|| AppError::not_found("systemic issue"))
}

fn views(
    conn: &mut DbConnection,
    who: Option<&Principal>,
    rows: Vec<SystemicIssueRow>,
) -> Result<Vec<IssueView>, AppError> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let counts: HashMap<String, Counts> = links::counts(conn, &ids)?.into_iter().collect();
    Ok(rows
        .into_iter()
        .map(|issue| IssueView {
            counts: counts.get(&issue.id).copied().unwrap_or_default(),
            allowed: who.map_or_else(Vec::new, |w| {
                rules::allowed(reader(w), &issue.lead_department_id)
            }),
            issue,
        })
        .collect())
}

fn view(
    conn: &mut DbConnection,
    who: &Principal,
    row: SystemicIssueRow,
) -> Result<IssueView, AppError> {
    let mut all = views(conn, Some(who), vec![row])?;
    all.pop()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("an issue's view went missing")))
}

fn check_department(conn: &mut DbConnection, id: &str) -> Result<(), AppError> {
    if departments::find(conn, id)?.is_none() {
        return Err(AppError::invalid_field(
            "lead_department_id",
            "no such department",
        ));
    }
    Ok(())
}

/// A page of issues, newest first. Dispatchers and administrators see all; a cadre those
/// their department leads (another department asked for: an empty page); enterprises 403.
pub fn list(
    conn: &mut DbConnection,
    who: &Principal,
    mut filter: SystemicFilter,
    limit: i64,
) -> Result<Page<IssueView>, AppError> {
    refuse_enterprise(who)?;
    if who.role == Role::Cadre {
        let Some(own) = who.department_id.clone() else {
            return Ok(Page {
                items: Vec::new(),
                next_cursor: None,
            });
        };
        if filter
            .lead_department_id
            .as_ref()
            .is_some_and(|d| *d != own)
        {
            return Ok(Page {
                items: Vec::new(),
                next_cursor: None,
            });
        }
        filter.lead_department_id = Some(own);
    }
    let rows = systemic_issues::list(conn, &filter, limit + 1)?;
    let page = Page::from_rows(rows, limit, |r| &r.id);
    let items = views(conn, Some(who), page.items)?;
    Ok(Page {
        items,
        next_cursor: page.next_cursor,
    })
}

/// The issues not yet solved (open or being addressed), and those solved at or after
/// `solved_since`, with their counts, newest first: what the weekly bulletin (每周通报) shows.
/// No reader: the bulletin is the district's own.
pub fn for_bulletin(
    conn: &mut DbConnection,
    solved_since: DateTime<Utc>,
) -> Result<Vec<IssueView>, AppError> {
    let since = time::format(solved_since);
    let mut rows = Vec::new();
    let mut before_id = None;
    loop {
        let filter = SystemicFilter {
            before_id: before_id.clone(),
            ..SystemicFilter::default()
        };
        let batch = systemic_issues::list(conn, &filter, 500)?;
        let Some(last) = batch.last() else { break };
        before_id = Some(last.id.clone());
        rows.extend(batch.into_iter().filter(|i| {
            i.status != SystemicStatus::Solved
                || i.solved_at
                    .as_deref()
                    .is_some_and(|at| at >= since.as_str())
        }));
    }
    views(conn, None, rows)
}

/// Opens an issue (dispatchers, administrators).
pub fn create(
    conn: &mut DbConnection,
    by: &By,
    who: &Principal,
    input: NewIssue,
    now: DateTime<Utc>,
) -> Result<IssueView, AppError> {
    if !rules::may_create(who.role) {
        return Err(AppError::forbidden(
            "systemic issues are opened by dispatchers and administrators",
        ));
    }
    check_department(conn, &input.lead_department_id)?;
    let now_text = time::format(now);
    let row = SystemicIssueRow {
        id: new_id(),
        title: input.title,
        analysis: input.analysis,
        measures: input.measures,
        lead_department_id: input.lead_department_id,
        status: SystemicStatus::Open,
        created_by: who.user_id.clone(),
        version: 1,
        created_at: now_text.clone(),
        updated_at: now_text,
        solved_at: None,
    };
    systemic_issues::insert(conn, &row)?;
    audit::record(
        conn,
        by,
        AuditAction::SystemicIssueCreate,
        Some(&row.id),
        None,
        now,
    )?;
    view(conn, who, row)
}

/// An issue with its counts and the linked tickets its reader may see.
pub fn detail(conn: &mut DbConnection, who: &Principal, id: &str) -> Result<IssueDetail, AppError> {
    let issue = load_visible_issue(conn, who, id)?;
    let view = view(conn, who, issue)?;
    let mut tickets = Vec::new();
    for link in links::of_issue(conn, id, MAX_LISTED_TICKETS)? {
        match load_visible(conn, who, &link.ticket_id) {
            Ok((ticket, _)) => tickets.push(ticket),
            Err(e) if e.code == ErrorCode::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    let shown = i64::try_from(tickets.len()).unwrap_or(i64::MAX);
    Ok(IssueDetail {
        not_listed: (view.counts.requests - shown).max(0),
        view,
        tickets,
    })
}

/// Edits an issue: dispatchers and administrators any field, a cadre of the lead department
/// the measures and the status (403 for the rest). `expected_version` (If-Match) guards
/// against overwriting someone else's edit: 412 when it is not the stored one.
pub fn update(
    conn: &mut DbConnection,
    by: &By,
    who: &Principal,
    id: &str,
    changes: IssueChanges,
    expected_version: Option<i32>,
    now: DateTime<Utc>,
) -> Result<IssueView, AppError> {
    let before = load_visible_issue(conn, who, id)?;
    let fields = changes.fields();
    if fields == EditedFields::default() {
        // Nothing asked: no new version, no entry in the log.
        return view(conn, who, before);
    }
    if !rules::may_edit(reader(who), &before.lead_department_id, fields) {
        return Err(AppError::forbidden(
            "a cadre of the lead department records the measures and the status; the rest is the dispatchers'",
        ));
    }
    if let Some(expected) = expected_version
        && expected != before.version
    {
        return Err(AppError::new(
            ErrorCode::VersionMismatch,
            format!(
                "the issue has changed since you read it (version {} now, {expected} in If-Match): reload it",
                before.version
            ),
        ));
    }
    if let Some(d) = &changes.lead_department_id {
        check_department(conn, d)?;
    }
    let now_text = time::format(now);
    let mut row = before.clone();
    if let Some(v) = changes.title {
        row.title = v;
    }
    if let Some(v) = changes.analysis {
        row.analysis = v;
    }
    if let Some(v) = changes.measures {
        row.measures = v;
    }
    if let Some(v) = changes.lead_department_id {
        row.lead_department_id = v;
    }
    if let Some(status) = changes.status {
        row.solved_at =
            rules::solved_at(before.status, status, before.solved_at.clone(), &now_text);
        row.status = status;
    }
    row.version = before.version + 1;
    row.updated_at = now_text;
    if !systemic_issues::update_versioned(conn, &row, before.version)? {
        return Err(AppError::new(
            ErrorCode::ConcurrentUpdate,
            "the issue was changed by someone else at the same time; reload it and try again",
        ));
    }
    let detail = audit::fields(&[
        ("title", fields.title),
        ("analysis", fields.analysis),
        ("lead_department_id", fields.lead_department),
        ("measures", fields.measures),
        ("status", fields.status),
    ]);
    audit::record(
        conn,
        by,
        AuditAction::SystemicIssueUpdate,
        Some(id),
        Some(detail),
        now,
    )?;
    view(conn, who, row)
}

fn may_link(who: &Principal) -> Result<(), AppError> {
    refuse_enterprise(who)?;
    if rules::may_link(who.role) {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "tickets are linked to systemic issues by dispatchers and administrators",
        ))
    }
}

/// Links a ticket (by id or number) to an issue. 422 naming the field when there is no such
/// ticket; 409 when it is linked already.
pub fn link(
    conn: &mut DbConnection,
    by: &By,
    who: &Principal,
    id: &str,
    target: TicketRef,
    now: DateTime<Utc>,
) -> Result<IssueView, AppError> {
    may_link(who)?;
    let issue = load_visible_issue(conn, who, id)?;
    let ticket = match &target {
        TicketRef::Id(ticket_id) => uuid::Uuid::parse_str(ticket_id)
            .ok()
            .map(|_| ticket_db::find(conn, ticket_id))
            .transpose()?
            .flatten()
            .ok_or_else(|| AppError::invalid_field("ticket_id", "no such ticket"))?,
        TicketRef::Number(number) => ticket_db::find_by_number(
            conn,
            &crate::domain::text::fold(number.trim()).to_uppercase(),
        )?
        .ok_or_else(|| AppError::invalid_field("number", "no ticket has this number"))?,
    };
    if links::exists(conn, id, &ticket.id)? {
        return Err(AppError::new(
            ErrorCode::Duplicate,
            "this ticket is already linked to this issue",
        ));
    }
    links::insert(
        conn,
        &SystemicLinkRow {
            issue_id: id.to_string(),
            ticket_id: ticket.id.clone(),
            enterprise_id: ticket.enterprise_id.clone(),
            linked_by: who.user_id.clone(),
            linked_at: time::format(now),
        },
    )?;
    audit::record(
        conn,
        by,
        AuditAction::SystemicIssueLink,
        Some(id),
        Some(serde_json::json!({ "ticket_id": ticket.id })),
        now,
    )?;
    view(conn, who, issue)
}

/// Unlinks a ticket from an issue. Idempotent: a ticket that is not linked (any more) leaves
/// the issue as it is, and nothing is recorded.
pub fn unlink(
    conn: &mut DbConnection,
    by: &By,
    who: &Principal,
    id: &str,
    ticket_id: &str,
    now: DateTime<Utc>,
) -> Result<IssueView, AppError> {
    may_link(who)?;
    let issue = load_visible_issue(conn, who, id)?;
    if links::delete(conn, id, ticket_id)? == 0 {
        return view(conn, who, issue);
    }
    audit::record(
        conn,
        by,
        AuditAction::SystemicIssueUnlink,
        Some(id),
        Some(serde_json::json!({ "ticket_id": ticket_id })),
        now,
    )?;
    view(conn, who, issue)
}

/// The tickets most like the issue's title and analysis, not linked to it yet: open ones and
/// those resolved within [`RESOLVED_WITHIN_DAYS`], of any enterprise (dispatchers,
/// administrators), looked for among the `window` most recent sharing a word
/// ([`ticket_words::similar`]).
pub fn suggested(
    conn: &mut DbConnection,
    segmenter: &Segmenter,
    who: &Principal,
    id: &str,
    (limit, window): (i64, i64),
    now: DateTime<Utc>,
) -> Result<Vec<Suggestion>, AppError> {
    may_link(who)?;
    let issue = load_visible_issue(conn, who, id)?;
    let words = segmenter.similarity_words(&issue.title, &issue.analysis, MAX_WORDS);
    let linked: std::collections::HashSet<String> = links::of_issue(conn, id, i64::MAX)?
        .into_iter()
        .map(|l| l.ticket_id)
        .collect();
    let among = SimilarAmong {
        except_id: None,
        enterprise_id: None,
        resolved_since: Some(time::format(now - Duration::days(RESOLVED_WITHIN_DAYS))),
        // The linked ones are left out after the search: ask for enough to fill the page.
        limit: (limit + i64::try_from(linked.len()).unwrap_or(i64::MAX)).min(100),
        window,
    };
    let mut out = Vec::new();
    for row in ticket_words::similar(conn, &words, &among)? {
        if linked.contains(&row.ticket_id) {
            continue;
        }
        let Some(ticket) = ticket_db::find(conn, &row.ticket_id)? else {
            continue;
        };
        let has: std::collections::HashSet<&str> = row.words.split(' ').collect();
        let shared_words = words
            .iter()
            .filter(|w| has.contains(w.as_str()))
            .cloned()
            .collect();
        out.push(Suggestion {
            ticket,
            score: row.score,
            shared_words,
        });
        if i64::try_from(out.len()).unwrap_or(i64::MAX) >= limit {
            break;
        }
    }
    Ok(out)
}

/// The issues a ticket is linked to, those the reader sees, for the ticket's staff page: 404
/// for a ticket the reader may not see, 403 for enterprises.
pub fn of_ticket(
    conn: &mut DbConnection,
    who: &Principal,
    ticket_id: &str,
) -> Result<Vec<IssueView>, AppError> {
    refuse_enterprise(who)?;
    load_visible(conn, who, ticket_id)?;
    let ids = links::issues_of_ticket(conn, ticket_id)?;
    let rows = systemic_issues::find_many(conn, &ids, &[])?
        .into_iter()
        .filter(|i| rules::can_view(reader(who), &i.lead_department_id))
        .collect();
    views(conn, Some(who), rows)
}
