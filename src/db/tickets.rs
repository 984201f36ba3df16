//! Tickets (诉求), their co-handling departments and their daily number sequence. The
//! functions here take and give the domain's [`Ticket`]; its row is this module's own.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use diesel::prelude::*;

use super::connection::DbConnection;
use super::schema::{
    enterprise_deputies, enterprises, ticket_co_departments, ticket_counters, ticket_words, tickets,
};
use super::ticket_words::{self as words_index, HasWords, MatchesWords, Rank, Term, WordsQuery};
use crate::domain::ticket::state::Ticket;
use crate::domain::ticket::{Channel, Priority, Rating, TicketKind, TicketStatus, ids};
use crate::domain::time;

/// A ticket as stored. The search column is written once, with the ticket (see [`insert`]),
/// and never read back: it only serves `WHERE … LIKE`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = tickets, treat_none_as_null = true, treat_none_as_default_value = false)]
pub(crate) struct TicketRow {
    pub id: String,
    pub number: String,
    pub kind: TicketKind,
    pub status: TicketStatus,
    pub title: String,
    pub description: String,
    pub category_id: String,
    pub enterprise_id: String,
    pub submitter_id: String,
    pub channel: Channel,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub department_id: Option<String>,
    pub assignee_id: Option<String>,
    /// Comma-separated; see [`split_ids`].
    pub co_department_ids: String,
    pub due_at: Option<String>,
    pub reopen_count: i32,
    pub rating: Option<Rating>,
    pub resolution: Option<String>,
    pub adopted: Option<bool>,
    pub version: i32,
    pub created_at: String,
    pub updated_at: String,
    pub accepted_at: Option<String>,
    pub assigned_at: Option<String>,
    pub signed_at: Option<String>,
    pub resolved_at: Option<String>,
    pub closed_at: Option<String>,
    pub rejected_at: Option<String>,
    pub withdrawn_at: Option<String>,
    /// An urgent deadline counts hours, not working days.
    pub priority: Priority,
    /// When the assigned cadre must have signed for it.
    pub sign_due_at: Option<String>,
    /// Approved extensions (延期).
    pub extension_count: i32,
    /// The scheduler's marks for the deadline in force (cleared when it changes).
    pub reminded_at: Option<String>,
    pub sign_reminded_at: Option<String>,
    pub overdue_at: Option<String>,
    /// 0 none; 1 overdue (督办); 2 the department head; 3 the administrators.
    pub escalation_level: i32,
    /// Closed because the enterprise did not rate it within the revisit window.
    pub no_response: bool,
    /// Working days from filing to resolution, kept when it is resolved (docs/kpi.md).
    pub handling_days: Option<i32>,
    /// An extension request waits for a decision.
    pub extension_pending: bool,
    /// Merged into this ticket (the primary), and when.
    pub merged_into_id: Option<String>,
    pub merged_at: Option<String>,
}

// The row and the domain's ticket differ only in the co-handling departments, which the row
// keeps comma-separated (a page of tickets is one query) and the ticket as a list.

impl From<TicketRow> for Ticket {
    fn from(r: TicketRow) -> Ticket {
        let TicketRow {
            id,
            number,
            kind,
            status,
            title,
            description,
            category_id,
            enterprise_id,
            submitter_id,
            channel,
            contact_name,
            contact_phone,
            department_id,
            assignee_id,
            due_at,
            reopen_count,
            rating,
            resolution,
            adopted,
            version,
            created_at,
            updated_at,
            accepted_at,
            assigned_at,
            signed_at,
            resolved_at,
            closed_at,
            rejected_at,
            withdrawn_at,
            priority,
            sign_due_at,
            extension_count,
            reminded_at,
            sign_reminded_at,
            overdue_at,
            escalation_level,
            no_response,
            handling_days,
            extension_pending,
            merged_into_id,
            merged_at,
            co_department_ids,
        } = r;
        Ticket {
            id,
            number,
            kind,
            status,
            title,
            description,
            category_id,
            enterprise_id,
            submitter_id,
            channel,
            contact_name,
            contact_phone,
            department_id,
            assignee_id,
            due_at,
            reopen_count,
            rating,
            resolution,
            adopted,
            version,
            created_at,
            updated_at,
            accepted_at,
            assigned_at,
            signed_at,
            resolved_at,
            closed_at,
            rejected_at,
            withdrawn_at,
            priority,
            sign_due_at,
            extension_count,
            reminded_at,
            sign_reminded_at,
            overdue_at,
            escalation_level,
            no_response,
            handling_days,
            extension_pending,
            merged_into_id,
            merged_at,
            co_department_ids: split_ids(&co_department_ids),
        }
    }
}

impl From<&Ticket> for TicketRow {
    fn from(t: &Ticket) -> TicketRow {
        TicketRow {
            id: t.id.clone(),
            number: t.number.clone(),
            kind: t.kind,
            status: t.status,
            title: t.title.clone(),
            description: t.description.clone(),
            category_id: t.category_id.clone(),
            enterprise_id: t.enterprise_id.clone(),
            submitter_id: t.submitter_id.clone(),
            channel: t.channel,
            contact_name: t.contact_name.clone(),
            contact_phone: t.contact_phone.clone(),
            department_id: t.department_id.clone(),
            assignee_id: t.assignee_id.clone(),
            due_at: t.due_at.clone(),
            reopen_count: t.reopen_count,
            rating: t.rating,
            resolution: t.resolution.clone(),
            adopted: t.adopted,
            version: t.version,
            created_at: t.created_at.clone(),
            updated_at: t.updated_at.clone(),
            accepted_at: t.accepted_at.clone(),
            assigned_at: t.assigned_at.clone(),
            signed_at: t.signed_at.clone(),
            resolved_at: t.resolved_at.clone(),
            closed_at: t.closed_at.clone(),
            rejected_at: t.rejected_at.clone(),
            withdrawn_at: t.withdrawn_at.clone(),
            priority: t.priority,
            sign_due_at: t.sign_due_at.clone(),
            extension_count: t.extension_count,
            reminded_at: t.reminded_at.clone(),
            sign_reminded_at: t.sign_reminded_at.clone(),
            overdue_at: t.overdue_at.clone(),
            escalation_level: t.escalation_level,
            no_response: t.no_response,
            handling_days: t.handling_days,
            extension_pending: t.extension_pending,
            merged_into_id: t.merged_into_id.clone(),
            merged_at: t.merged_at.clone(),
            co_department_ids: join_ids(&t.co_department_ids),
        }
    }
}

/// Which tickets a reader may see at all.
#[derive(Debug, Clone)]
pub enum Scope {
    All,
    Enterprise {
        enterprise_id: String,
    },
    /// Assigned to them, to their department (lead or co-handling), or filed by an
    /// enterprise they are liaison cadre (or deputy) of.
    Cadre {
        user_id: String,
        department_id: Option<String>,
    },
    /// Led by one of these departments (a department head's statistics).
    Departments {
        ids: Vec<String>,
    },
    /// Assigned to this cadre (a cadre's own statistics).
    Assignee {
        user_id: String,
    },
    Nothing,
}

/// The list filters; empty vectors and `None` mean any.
#[derive(Debug, Default, Clone)]
pub struct TicketFilter {
    pub statuses: Vec<TicketStatus>,
    pub kinds: Vec<TicketKind>,
    pub category_id: Option<String>,
    pub department_id: Option<String>,
    pub assignee_id: Option<String>,
    pub enterprise_id: Option<String>,
    /// The text search `q` (see [`text_match`]).
    pub search: Option<TextSearch>,
    /// With `search`: ordered by relevance, from `offset` on (a relevance order has no id
    /// to continue after), rather than by id.
    pub by_relevance: bool,
    pub offset: i64,
    pub created_from: Option<String>,
    pub created_to: Option<String>,
    /// `Some((wanted, now))`: only tickets that are (or are not) past their deadline at `now`.
    pub overdue: Option<(bool, String)>,
    /// `Some((now, until))`: only tickets being handled whose deadline is at or after `now`
    /// and before `until` (due soon).
    pub due_between: Option<(String, String)>,
    pub before_id: Option<String>,
    /// Oldest first (the page after `after_id`) rather than newest first (before `before_id`).
    pub oldest_first: bool,
    pub after_id: Option<String>,
    /// `Some(true)`: only tickets with an extension request waiting for a decision (待审批).
    pub extension_pending: Option<bool>,
    /// Ids from (inclusive) and to (exclusive): a period of filing as ids (set by
    /// [`for_paging`]; a period in `created_*` adds its own, see [`ids`]).
    pub id_from: Option<String>,
    pub id_to: Option<String>,
    /// How many of the most recent matches a search by relevance ranks ([`by_relevance`]);
    /// `None`: [`RELEVANCE_WINDOW`].
    pub relevance_window: Option<i64>,
}

/// The list's text search (`q`): the term as typed (trimmed) and its words, segmented on the
/// request's thread ([`crate::search::Segmenter::query_terms`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TextSearch {
    pub term: String,
    pub terms: Vec<Term>,
}

/// What a text search matches, decided before the query by [`text_match`].
#[derive(Debug, Clone)]
pub enum TextMatch {
    /// The term is a ticket's number: that ticket.
    Number(String),
    /// The term is an enterprise's credit code or its name: its tickets.
    Enterprises(Vec<String>),
    /// Otherwise the tickets whose indexed words include every word of the term.
    Words(WordsQuery),
    /// A term without words (punctuation only): nothing.
    Nothing,
}

/// What `search` matches: a ticket number or an enterprise's credit code or name, exactly
/// (folded for case and width; index lookups, so cheap), else the term's words.
pub fn text_match(conn: &mut DbConnection, search: &TextSearch) -> QueryResult<TextMatch> {
    let folded = crate::domain::text::fold(search.term.trim());
    let upper = folded.to_uppercase();
    let number: Option<String> = tickets::table
        .filter(tickets::number.eq(&upper))
        .select(tickets::number)
        .get_result(conn)
        .optional()?;
    if let Some(number) = number {
        return Ok(TextMatch::Number(number));
    }
    let enterprises: Vec<String> = enterprises::table
        .filter(
            enterprises::credit_code
                .eq(&upper)
                .or(enterprises::name.eq(search.term.trim())),
        )
        .select(enterprises::id)
        .load(conn)?;
    if !enterprises.is_empty() {
        return Ok(TextMatch::Enterprises(enterprises));
    }
    Ok(WordsQuery::new(&search.terms).map_or(TextMatch::Nothing, TextMatch::Words))
}

/// [`text_match`] of the filter's search, if it has one.
fn text_of(conn: &mut DbConnection, filter: &TicketFilter) -> QueryResult<Option<TextMatch>> {
    filter
        .search
        .as_ref()
        .map(|s| text_match(conn, s))
        .transpose()
}

/// The ids a period of filing `[from, to)` may hold: the floors of its ends widened by
/// [`ids::SLACK`], so that tickets whose id and `created_at` differ a little (older builds)
/// are inside; the caller still checks `created_at`.
fn period_ids(from: Option<&str>, to: Option<&str>) -> (Option<String>, Option<String>) {
    let bound = |at: Option<&str>, by: chrono::Duration| {
        let at = time::parse(at?)?;
        Some(ids::floor(at.checked_add_signed(by).unwrap_or(at)))
    };
    (bound(from, -ids::SLACK), bound(to, ids::SLACK))
}

/// The bounds of the ids a filter reads: its period's (see [`period_ids`]), its own and the
/// page cursor's, the tightest of each side. One bound a side, because SQLite walks an index
/// from one bound and checks any other row by row: with the period's end and a cursor both in
/// the SQL, every page of a long export walked down from the period's end again.
struct IdBounds {
    /// `id >= from`…
    from: Option<String>,
    /// …or, paging oldest first past a cursor inside that, `id > after`.
    after: Option<String>,
    /// `id < before`.
    before: Option<String>,
}

fn id_bounds(filter: &TicketFilter) -> IdBounds {
    let (from, to) = period_ids(filter.created_from.as_deref(), filter.created_to.as_deref());
    let from = [from, filter.id_from.clone()].into_iter().flatten().max();
    let before = [to, filter.id_to.clone(), filter.before_id.clone()]
        .into_iter()
        .flatten()
        .min();
    // Every id past the cursor is at or past `from` when the cursor is: then the cursor alone.
    match (&from, &filter.after_id) {
        (Some(f), Some(a)) if a < f => IdBounds {
            from,
            after: None,
            before,
        },
        (_, Some(a)) => IdBounds {
            from: None,
            after: Some(a.clone()),
            before,
        },
        (_, None) => IdBounds {
            from,
            after: None,
            before,
        },
    }
}

/// Statuses in which a deadline runs, as stored.
fn handling_statuses() -> Vec<TicketStatus> {
    TicketStatus::ALL
        .iter()
        .copied()
        .filter(|s| s.is_handling())
        .collect()
}

/// Inserts a ticket with its search column (see [`crate::domain::text::search_text`]).
pub fn insert(conn: &mut DbConnection, ticket: &Ticket, search_text: &str) -> QueryResult<()> {
    let row = TicketRow::from(ticket);
    on_each!(conn, c => diesel::insert_into(tickets::table)
        .values((&row, tickets::search_text.eq(search_text)))
        .execute(c))
    .map(drop)
}

/// A ticket as routing suggestions learn from it ([`routing_examples`]).
#[derive(Debug, Clone, Queryable)]
pub struct RoutingExampleRow {
    pub id: String,
    pub title: String,
    pub description: String,
    pub category_id: String,
    pub department_id: Option<String>,
}

/// What routing suggestions learn from ([`crate::search::routing`]): the `limit` newest
/// tickets that have a lead department now — assigned, and the assignment not returned (a
/// return clears the department).
pub fn routing_examples(
    conn: &mut DbConnection,
    limit: i64,
) -> QueryResult<Vec<RoutingExampleRow>> {
    tickets::table
        .filter(tickets::department_id.is_not_null())
        .order(tickets::id.desc())
        .limit(limit)
        .select((
            tickets::id,
            tickets::title,
            tickets::description,
            tickets::category_id,
            tickets::department_id,
        ))
        .load(conn)
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Ticket>> {
    let row: Option<TicketRow> = on_each!(conn, c => tickets::table
        .find(id)
        .select(TicketRow::as_select())
        .get_result(c)
        .optional())?;
    Ok(row.map(Ticket::from))
}

/// The tickets of these ids, in no particular order (those that exist).
pub fn find_many(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<Ticket>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<TicketRow> = on_each!(conn, c => tickets::table
        .filter(tickets::id.eq_any(ids))
        .select(TicketRow::as_select())
        .load(c))?;
    Ok(rows.into_iter().map(Ticket::from).collect())
}

/// The ticket with this number (`QYS20261122000123`).
pub fn find_by_number(conn: &mut DbConnection, number: &str) -> QueryResult<Option<Ticket>> {
    let row: Option<TicketRow> = on_each!(conn, c => tickets::table
        .filter(tickets::number.eq(number))
        .select(TicketRow::as_select())
        .first(c)
        .optional())?;
    Ok(row.map(Ticket::from))
}

/// The requests merged into `primary_id` (its followers), oldest first: the partial index
/// `tickets_merged_into_idx`.
pub fn followers(conn: &mut DbConnection, primary_id: &str) -> QueryResult<Vec<Ticket>> {
    let rows: Vec<TicketRow> = on_each!(conn, c => tickets::table
        .filter(tickets::merged_into_id.eq(primary_id))
        .select(TicketRow::as_select())
        .order(tickets::id.asc())
        .load(c))?;
    Ok(rows.into_iter().map(Ticket::from).collect())
}

/// Whether any request is merged into `primary_id`.
pub fn has_followers(conn: &mut DbConnection, primary_id: &str) -> QueryResult<bool> {
    on_each!(conn, c => diesel::select(diesel::dsl::exists(
        tickets::table.filter(tickets::merged_into_id.eq(primary_id)),
    ))
    .get_result(c))
}

/// Writes `ticket` if the stored one still has `expected_version`; returns false when someone
/// else changed it first (the caller then answers 409 rather than overwrite their change).
pub fn update_versioned(
    conn: &mut DbConnection,
    ticket: &Ticket,
    expected_version: i32,
) -> QueryResult<bool> {
    let changed = diesel::update(
        tickets::table
            .filter(tickets::id.eq(&ticket.id))
            .filter(tickets::version.eq(expected_version)),
    )
    .set(TicketRow::from(ticket))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Narrows a boxed query of tickets to a scope and the list filters; `None` when the scope
/// is empty. A macro because the boxed query's type depends on what it selects, and the list
/// and the statistics select different columns through the same filters.
///
/// `$text` is the filter's search as [`text_of`] found it (`None`: no search, or one the
/// caller matches itself).
macro_rules! scoped_and_filtered {
    ($query:expr, $scope:expr, $filter:expr, $text:expr) => {{
        let mut query = $query;
        let filter: &TicketFilter = $filter;
        let text: Option<&TextMatch> = $text;
        let mut in_scope = match $scope {
            Scope::All => true,
            Scope::Nothing => false,
            Scope::Enterprise { enterprise_id } => {
                query = query.filter(tickets::enterprise_id.eq(enterprise_id.clone()));
                true
            }
            Scope::Departments { ids } => {
                query = query.filter(tickets::department_id.eq_any(ids.clone()));
                true
            }
            Scope::Assignee { user_id } => {
                query = query.filter(tickets::assignee_id.eq(user_id.clone()));
                true
            }
            Scope::Cadre {
                user_id,
                department_id,
            } => {
                let liaison_of = enterprises::table
                    .filter(enterprises::liaison_cadre_id.eq(user_id.clone()))
                    .select(enterprises::id);
                let deputy_of = enterprise_deputies::table
                    .filter(enterprise_deputies::cadre_id.eq(user_id.clone()))
                    .select(enterprise_deputies::enterprise_id);
                let mine = tickets::assignee_id
                    .eq(user_id.clone())
                    .or(tickets::enterprise_id.eq_any(liaison_of))
                    .or(tickets::enterprise_id.eq_any(deputy_of));
                match department_id {
                    Some(dept) => {
                        let co_handled = ticket_co_departments::table
                            .filter(ticket_co_departments::department_id.eq(dept.clone()))
                            .select(ticket_co_departments::ticket_id);
                        query = query.filter(
                            mine.or(tickets::department_id.eq(dept.clone()))
                                .or(tickets::id.eq_any(co_handled)),
                        );
                    }
                    None => query = query.filter(mine),
                }
                true
            }
        };
        if !filter.statuses.is_empty() {
            query = query.filter(tickets::status.eq_any(filter.statuses.clone()));
        }
        if !filter.kinds.is_empty() {
            query = query.filter(tickets::kind.eq_any(filter.kinds.clone()));
        }
        if let Some(v) = &filter.category_id {
            query = query.filter(tickets::category_id.eq(v.clone()));
        }
        if let Some(v) = &filter.department_id {
            query = query.filter(tickets::department_id.eq(v.clone()));
        }
        if let Some(v) = &filter.assignee_id {
            query = query.filter(tickets::assignee_id.eq(v.clone()));
        }
        if let Some(v) = &filter.enterprise_id {
            query = query.filter(tickets::enterprise_id.eq(v.clone()));
        }
        match text {
            None => {}
            Some(TextMatch::Number(n)) => query = query.filter(tickets::number.eq(n.clone())),
            Some(TextMatch::Enterprises(ids)) => {
                query = query.filter(tickets::enterprise_id.eq_any(ids.clone()))
            }
            Some(TextMatch::Words(words)) => query = query.filter(HasWords(words.clone())),
            Some(TextMatch::Nothing) => in_scope = false,
        }
        if let Some(v) = &filter.created_from {
            query = query.filter(tickets::created_at.ge(v.clone()));
        }
        if let Some(v) = &filter.created_to {
            query = query.filter(tickets::created_at.lt(v.clone()));
        }
        let ids = id_bounds(filter);
        if let Some(v) = ids.from {
            query = query.filter(tickets::id.ge(v));
        }
        if let Some(v) = ids.after {
            query = query.filter(tickets::id.gt(v));
        }
        if let Some(v) = ids.before {
            query = query.filter(tickets::id.lt(v));
        }
        match &filter.overdue {
            Some((true, now)) => {
                query = query
                    .filter(tickets::status.eq_any(handling_statuses()))
                    .filter(tickets::due_at.lt(now.clone()));
            }
            Some((false, now)) => {
                query = query.filter(
                    tickets::status
                        .ne_all(handling_statuses())
                        .or(tickets::due_at.is_null())
                        .or(tickets::due_at.ge(now.clone())),
                );
            }
            None => {}
        }
        if let Some((now, until)) = &filter.due_between {
            query = query
                .filter(tickets::status.eq_any(handling_statuses()))
                .filter(tickets::due_at.ge(now.clone()))
                .filter(tickets::due_at.lt(until.clone()));
        }
        if let Some(pending) = filter.extension_pending {
            query = query.filter(tickets::extension_pending.eq(pending));
        }
        in_scope.then_some(query)
    }};
}

/// The tickets of the scope that pass the filter, a page of `limit`: newest (or oldest)
/// first after the filter's cursor, or, searching words `by_relevance`, the most relevant
/// first from its `offset`.
pub fn list(
    conn: &mut DbConnection,
    scope: &Scope,
    filter: &TicketFilter,
    limit: i64,
) -> QueryResult<Vec<Ticket>> {
    let text = text_of(conn, filter)?;
    if let Some(TextMatch::Words(words)) = &text {
        if filter.by_relevance {
            return by_relevance(conn, scope, filter, words, limit);
        }
        // PostgreSQL plans a search of words its statistics know well, newest first (walking
        // the tickets' ids, or the scope's, and checking each one's words: 4–9 ms for a common
        // word at a million tickets); a word they do not know it takes for 0.5% of all
        // tickets and may walk the whole table for (7 s for two tickets in a million).
        if !words_index::known_to_statistics(conn, words)? {
            return by_indexing_order(conn, scope, filter, words, limit);
        }
    }
    on_each!(conn, c => {
        let query = tickets::table.select(TicketRow::as_select()).into_boxed();
        match scoped_and_filtered!(query, scope, filter, text.as_ref()) {
            Some(query) => tickets_of(
                query
                    .order(ByIdLimit {
                        oldest_first: filter.oldest_first,
                        limit: limit.max(0),
                        offset: if filter.by_relevance { filter.offset.max(0) } else { 0 },
                    })
                    .load(c),
            ),
            None => Ok(Vec::new()),
        }
    })
}

/// A page of the tickets whose words include all of `words`, most relevant first.
///
/// The [`RELEVANCE_WINDOW`] most recently indexed matches in the scope (the order of filing)
/// are ranked; the matches beyond them, when a word is that common, follow newest first. So
/// the order is one order however deep the pages go, and a page costs the window, not every
/// match: at a million tickets a word of everyday trouble is in 71,000 of them, and ranking
/// them all took 240–730 ms (docs/performance.md). The scope and the other filters are the
/// list's own clauses, in the window's query.
fn by_relevance(
    conn: &mut DbConnection,
    scope: &Scope,
    filter: &TicketFilter,
    words: &WordsQuery,
    limit: i64,
) -> QueryResult<Vec<Ticket>> {
    let limit = usize::try_from(limit.max(0)).unwrap_or(0);
    let offset = usize::try_from(filter.offset.max(0)).unwrap_or(0);
    let window_n = filter.relevance_window.unwrap_or(RELEVANCE_WINDOW).max(1);
    let window_len = usize::try_from(window_n).unwrap_or(usize::MAX);
    let mut window = matches_in_order(conn, scope, filter, words, Walk::newest(None), window_n)?;
    let beyond_from = window.last().map(|m| m.words_id);
    let full = window.len() == window_len;
    window.sort_by(|a, b| {
        b.rank
            .total_cmp(&a.rank)
            .then_with(|| b.ticket_id.cmp(&a.ticket_id))
    });
    let mut ids: Vec<String> = window
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|m| m.ticket_id)
        .collect();
    if full && ids.len() < limit {
        // Past the ranked window: the older matches, newest first.
        let skip = offset.saturating_sub(window_len);
        let want = i64::try_from(skip + limit - ids.len()).unwrap_or(i64::MAX);
        let beyond = matches_in_order(conn, scope, filter, words, Walk::newest(beyond_from), want)?;
        ids.extend(beyond.into_iter().skip(skip).map(|m| m.ticket_id));
    }
    let mut found: std::collections::HashMap<String, Ticket> = find_many(conn, &ids)?
        .into_iter()
        .map(|t| (t.id.clone(), t))
        .collect();
    Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
}

/// A page of the tickets whose words include all of `words`, newest (or oldest) first: in the
/// order of the words' rows, which is the order of filing (the backfill indexes older tickets
/// in id order before the service serves), with the page's cursor (a ticket's id) turned into
/// its words' row. FTS5 gives its matches in that order, so a page reads its own rows only;
/// ordering by the tickets' ids gathered every match first (109 ms for a word in 71,000 of a
/// million tickets, docs/performance.md). On PostgreSQL for words its statistics do not know:
/// the matches read through the GIN index and sorted ([`matches_in_order`]).
fn by_indexing_order(
    conn: &mut DbConnection,
    scope: &Scope,
    filter: &TicketFilter,
    words: &WordsQuery,
    limit: i64,
) -> QueryResult<Vec<Ticket>> {
    let cursor = if filter.oldest_first {
        filter.after_id.as_deref()
    } else {
        filter.before_id.as_deref()
    };
    let from = match cursor {
        Some(id) => {
            let row: Option<i64> = on_each!(conn, c => ticket_words::table
                .filter(ticket_words::ticket_id.eq(id))
                .select(ticket_words::id)
                .get_result(c)
                .optional())?;
            // A cursor that is no ticket's with words: a page past the end.
            match row {
                Some(row) => Some(row),
                None => return Ok(Vec::new()),
            }
        }
        None => None,
    };
    let unpaged = TicketFilter {
        before_id: None,
        after_id: None,
        ..filter.clone()
    };
    let walk = Walk {
        oldest_first: filter.oldest_first,
        from,
    };
    let ids: Vec<String> = matches_in_order(conn, scope, &unpaged, words, walk, limit.max(0))?
        .into_iter()
        .map(|m| m.ticket_id)
        .collect();
    let mut found: std::collections::HashMap<String, Ticket> = find_many(conn, &ids)?
        .into_iter()
        .map(|t| (t.id.clone(), t))
        .collect();
    Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
}

/// Which way [`matches_in_order`] walks the words' rows, and from which (left out).
#[derive(Debug, Clone, Copy)]
struct Walk {
    oldest_first: bool,
    from: Option<i64>,
}

impl Walk {
    fn newest(before: Option<i64>) -> Walk {
        Walk {
            oldest_first: false,
            from: before,
        }
    }
}

/// How many of the most recent matches a search by relevance ranks ([`by_relevance`]), unless
/// configured (`search.relevance_window`).
pub const RELEVANCE_WINDOW: i64 = 500;

/// A ticket that matches a search: its id, its words' row (the order of indexing) and its rank
/// (higher is more relevant).
#[derive(Debug, Clone, Queryable)]
struct Matched {
    ticket_id: String,
    words_id: i64,
    rank: f64,
}

/// Up to `limit` tickets of the scope that pass the filter and have the words, in the order
/// of their words' rows (newest or oldest first, after the walk's row), each with its rank.
fn matches_in_order(
    conn: &mut DbConnection,
    scope: &Scope,
    filter: &TicketFilter,
    words: &WordsQuery,
    walk: Walk,
    limit: i64,
) -> QueryResult<Vec<Matched>> {
    use super::schema::ticket_words_fts;
    let rank = Rank(words.clone());
    // The joins differ: FTS5 matches and ranks in its own virtual table (which gives its rows
    // in either order), PostgreSQL in ticket_words.
    match conn {
        DbConnection::Sqlite(c) => {
            let query = tickets::table
                .inner_join(ticket_words::table)
                .inner_join(
                    ticket_words_fts::table.on(ticket_words_fts::rowid.eq(ticket_words::id)),
                )
                .select((tickets::id, ticket_words::id, rank))
                .into_boxed();
            match scoped_and_filtered!(query, scope, filter, None) {
                Some(mut query) => {
                    query = query.filter(MatchesWords(words.clone()));
                    query = match (walk.oldest_first, walk.from) {
                        (false, Some(from)) => query.filter(ticket_words_fts::rowid.lt(from)),
                        (true, Some(from)) => query.filter(ticket_words_fts::rowid.gt(from)),
                        (_, None) => query,
                    };
                    query = if walk.oldest_first {
                        query.order(ticket_words_fts::rowid.asc())
                    } else {
                        query.order(ticket_words_fts::rowid.desc())
                    };
                    query.limit(limit).load(c)
                }
                None => Ok(Vec::new()),
            }
        }
        DbConnection::Postgres(_) => {
            // Only common words: walk the newest words' rows, over a span where enough
            // matches are expected (four times the window at the rarest word's frequency),
            // the bitmap scans off. Words that rarely go together, or a narrow scope, may
            // not fill it there. Then, and for any rarer word, the matches are read through
            // the GIN index and sorted: the planner would otherwise walk the rows for a
            // word it cannot estimate (one not among the statistics' common ones, taken for
            // 0.5% of all tickets) and read the whole table when it is rarer (7 s for two
            // tickets in a million).
            if !walk.oldest_first
                && let Some(frequency) = words_index::common_frequency(conn, words, COMMON_WORD)?
            {
                let DbConnection::Postgres(c) = conn else {
                    unreachable!("matched above")
                };
                let newest: Option<i64> = ticket_words::table
                    .select(diesel::dsl::max(ticket_words::id))
                    .get_result(c)?;
                let span = (4.0 * limit as f64 / frequency).ceil() as i64;
                let floor = newest.unwrap_or(0).saturating_sub(span);
                let found = c.transaction(|c| {
                    diesel::sql_query("SET LOCAL enable_bitmapscan = off").execute(c)?;
                    pg_matches(c, scope, filter, words, walk, PgPlan::Walk { floor }, limit)
                })?;
                if i64::try_from(found.len()).unwrap_or(i64::MAX) >= limit {
                    return Ok(found);
                }
            }
            let DbConnection::Postgres(c) = conn else {
                unreachable!("matched above")
            };
            pg_matches(c, scope, filter, words, walk, PgPlan::Sorted, limit)
        }
    }
}

/// A word in this share of all tickets or more is common ([`matches_in_order`]).
const COMMON_WORD: f64 = 0.01;

/// How [`pg_matches`] has PostgreSQL find the matches.
#[derive(Debug, Clone, Copy)]
enum PgPlan {
    /// Walking the words' rows in order, above `floor` (with the bitmap scans off).
    Walk { floor: i64 },
    /// Every match, sorted: the order is by an expression no index gives (`id + 0`).
    Sorted,
}

/// [`matches_in_order`] on PostgreSQL.
fn pg_matches(
    c: &mut diesel::PgConnection,
    scope: &Scope,
    filter: &TicketFilter,
    words: &WordsQuery,
    walk: Walk,
    plan: PgPlan,
    limit: i64,
) -> QueryResult<Vec<Matched>> {
    let query = tickets::table
        .inner_join(ticket_words::table)
        .select((tickets::id, ticket_words::id, Rank(words.clone())))
        .into_boxed();
    match scoped_and_filtered!(query, scope, filter, None) {
        Some(mut query) => {
            query = query.filter(MatchesWords(words.clone()));
            query = match (walk.oldest_first, walk.from) {
                (false, Some(from)) => query.filter(ticket_words::id.lt(from)),
                (true, Some(from)) => query.filter(ticket_words::id.gt(from)),
                (_, None) => query,
            };
            query = match (plan, walk.oldest_first) {
                (PgPlan::Walk { floor }, false) => query
                    .filter(ticket_words::id.gt(floor))
                    .order(ticket_words::id.desc()),
                (PgPlan::Walk { floor }, true) => query
                    .filter(ticket_words::id.gt(floor))
                    .order(ticket_words::id.asc()),
                (PgPlan::Sorted, false) => query.order((ticket_words::id + 0_i64).desc()),
                (PgPlan::Sorted, true) => query.order((ticket_words::id + 0_i64).asc()),
            };
            query.limit(limit).load(c)
        }
        None => Ok(Vec::new()),
    }
}

fn tickets_of(rows: QueryResult<Vec<TicketRow>>) -> QueryResult<Vec<Ticket>> {
    Ok(rows?.into_iter().map(Ticket::from).collect())
}

/// How many tickets of the scope the filter keeps.
pub fn count(conn: &mut DbConnection, scope: &Scope, filter: &TicketFilter) -> QueryResult<i64> {
    let text = text_of(conn, filter)?;
    on_each!(conn, c => {
        let query = tickets::table.into_boxed();
        match scoped_and_filtered!(query, scope, filter, text.as_ref()) {
            Some(query) => query.select(diesel::dsl::count_star()).get_result(c),
            None => Ok(0),
        }
    })
}

/// How many tickets of the scope are in each status (statuses with none are left out).
pub fn count_by_status(
    conn: &mut DbConnection,
    scope: &Scope,
) -> QueryResult<Vec<(TicketStatus, i64)>> {
    on_each!(conn, c => {
        let query = tickets::table
            .group_by(tickets::status)
            .select((tickets::status, diesel::dsl::count_star()))
            .into_boxed();
        match scoped_and_filtered!(query, scope, &TicketFilter::default(), None) {
            Some(query) => query.load(c),
            None => Ok(Vec::new()),
        }
    })
}

/// What the statistics need of a ticket (docs/kpi.md), and how to slice it.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, serde::Serialize, serde::Deserialize)]
#[diesel(table_name = tickets)]
pub struct TicketFactRow {
    pub id: String,
    pub status: TicketStatus,
    pub kind: TicketKind,
    pub channel: Channel,
    pub rating: Option<Rating>,
    pub reopen_count: i32,
    pub due_at: Option<String>,
    pub resolved_at: Option<String>,
    pub handling_days: Option<i32>,
    pub adopted: Option<bool>,
    pub signed_at: Option<String>,
    pub sign_due_at: Option<String>,
    pub no_response: bool,
    pub created_at: String,
    pub category_id: String,
    pub department_id: Option<String>,
    pub assignee_id: Option<String>,
    pub enterprise_id: String,
    /// When the scheduler marked it overdue (escalation level 1).
    pub overdue_at: Option<String>,
}

impl From<&Ticket> for TicketFactRow {
    fn from(t: &Ticket) -> TicketFactRow {
        TicketFactRow {
            id: t.id.clone(),
            status: t.status,
            kind: t.kind,
            channel: t.channel,
            rating: t.rating,
            reopen_count: t.reopen_count,
            due_at: t.due_at.clone(),
            resolved_at: t.resolved_at.clone(),
            handling_days: t.handling_days,
            adopted: t.adopted,
            signed_at: t.signed_at.clone(),
            sign_due_at: t.sign_due_at.clone(),
            no_response: t.no_response,
            created_at: t.created_at.clone(),
            category_id: t.category_id.clone(),
            department_id: t.department_id.clone(),
            assignee_id: t.assignee_id.clone(),
            enterprise_id: t.enterprise_id.clone(),
            overdue_at: t.overdue_at.clone(),
        }
    }
}

/// The filter for reading everything it selects page by page, newest id first, and the
/// period to check row by row. Paging `ORDER BY id DESC LIMIT n` with a period in the SQL
/// lets the planner take the index of `created_at` and sort the whole period for every page
/// (quadratic over a year of tickets); without it, the scan walks an index that ends in `id`
/// (the primary key, or the filter's own) and stops at each page. The period's ids (see
/// [`ids`]) bound that walk at both ends.
pub fn for_paging(filter: &TicketFilter) -> (TicketFilter, impl Fn(&str) -> bool + use<>) {
    let (from, to) = (filter.created_from.clone(), filter.created_to.clone());
    let (id_from, id_to) = period_ids(from.as_deref(), to.as_deref());
    let paged = TicketFilter {
        created_from: None,
        created_to: None,
        // Paged by id, whatever order a search would be listed in.
        by_relevance: false,
        offset: 0,
        id_from: id_from.or(filter.id_from.clone()),
        id_to: id_to.or(filter.id_to.clone()),
        ..filter.clone()
    };
    let within = move |created_at: &str| {
        from.as_deref().is_none_or(|f| created_at >= f)
            && to.as_deref().is_none_or(|t| created_at < t)
    };
    (paged, within)
}

/// The body of [`for_each_fact`] and [`for_each_text`]: the rows `$row` of every ticket in
/// the scope that passes the filters, newest first in pages, each given to `$f`.
macro_rules! for_each_row {
    ($row:ty, $conn:ident, $scope:ident, $filter:ident, $page:ident, $f:ident) => {{
        let (mut filter, within) = for_paging($filter);
        let text = text_of($conn, &filter)?;
        loop {
            let rows: Vec<$row> = on_each!(&mut *$conn, c => {
                let query = tickets::table.select(<$row>::as_select()).into_boxed();
                match scoped_and_filtered!(query, $scope, &filter, text.as_ref()) {
                    Some(query) => query
                        .order(ByIdLimit {
                            oldest_first: false,
                            limit: $page.max(1),
                            offset: 0,
                        })
                        .load(c)?,
                    None => return Ok(()),
                }
            });
            let full = rows.len() as i64 >= $page.max(1);
            filter.before_id = rows.last().map(|r| r.id.clone());
            rows.into_iter()
                .filter(|r| within(&r.created_at))
                .for_each(&mut $f);
            if !full {
                return Ok(());
            }
        }
    }};
}

/// Calls `f` with the statistics' facts of every ticket in the scope that passes the
/// filters, read newest first in pages of `page` (so that memory does not grow with the
/// number of tickets).
pub fn for_each_fact(
    conn: &mut DbConnection,
    scope: &Scope,
    filter: &TicketFilter,
    page: i64,
    mut f: impl FnMut(TicketFactRow),
) -> QueryResult<()> {
    for_each_row!(TicketFactRow, conn, scope, filter, page, f)
}

/// What the hot topics (`service::hot_topics`) read of a ticket: its words are its title's
/// and description's as filed, counted per kind, category and lead department.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = tickets)]
pub struct TicketTextRow {
    pub id: String,
    pub created_at: String,
    pub kind: TicketKind,
    pub category_id: String,
    pub department_id: Option<String>,
    pub title: String,
    pub description: String,
}

/// Calls `f` with the title and description of every ticket in the scope that passes the
/// filters, newest first in pages of `page`, as [`for_each_fact`] does.
pub fn for_each_text(
    conn: &mut DbConnection,
    scope: &Scope,
    filter: &TicketFilter,
    page: i64,
    mut f: impl FnMut(TicketTextRow),
) -> QueryResult<()> {
    for_each_row!(TicketTextRow, conn, scope, filter, page, f)
}

/// The instant of filing of the first ticket (by id: the oldest filed), if any.
pub fn first_filed_at(conn: &mut DbConnection) -> QueryResult<Option<String>> {
    tickets::table
        .order(tickets::id.asc())
        .select(tickets::created_at)
        .first(conn)
        .optional()
}

/// `ORDER BY tickets.id DESC LIMIT n` (or `ASC`, oldest first: ids sort by the instant of
/// filing) with `n` written into the SQL rather than bound.
///
/// SQLite re-prepares a statement whose LIMIT is a bound parameter every time it is rebound
/// (see the note in `db`), and diesel's `sql()` literal would stop the statement from being
/// cached at all; this fragment is cached per page size. `n` is a number the caller checked,
/// never text from a request.
#[derive(Debug, Clone, Copy)]
struct ByIdLimit {
    oldest_first: bool,
    limit: i64,
    /// Rows skipped: 0, but for a search asked for by relevance that matched exactly (a
    /// number, an enterprise), whose cursor is a position.
    offset: i64,
}

impl diesel::Expression for ByIdLimit {
    type SqlType = diesel::sql_types::Text;
}

impl<DB: diesel::backend::Backend> diesel::query_builder::QueryFragment<DB> for ByIdLimit {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, DB>,
    ) -> QueryResult<()> {
        out.push_sql(if self.oldest_first {
            "tickets.id ASC LIMIT "
        } else {
            "tickets.id DESC LIMIT "
        });
        out.push_sql(&self.limit.to_string());
        if self.offset > 0 {
            out.push_sql(" OFFSET ");
            out.push_sql(&self.offset.to_string());
        }
        Ok(())
    }
}

impl diesel::query_builder::QueryId for ByIdLimit {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<QS> diesel::AppearsOnTable<QS> for ByIdLimit {}

impl<QS> diesel::SelectableExpression<QS> for ByIdLimit {}

impl diesel::expression::ValidGrouping<()> for ByIdLimit {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

/// The days whose ticket-number sequence is known to exist (PostgreSQL), so that a filing
/// takes its number in one round trip instead of first asking the catalogue whether the
/// sequence is there. One set per pool ([`super::Db::day_sequences`]): a sequence belongs to
/// one database. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct DaySequences(Arc<Mutex<HashSet<String>>>);

impl DaySequences {
    fn set(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn knows(&self, name: &str) -> bool {
        self.set().contains(name)
    }

    fn learn(&self, name: &str) {
        // Only today's (and at midnight yesterday's) sequence is asked for: keep a few.
        let mut set = self.set();
        if set.len() > 8 {
            set.clear();
        }
        set.insert(name.to_string());
    }

    fn forget(&self, name: &str) {
        self.set().remove(name);
    }
}

diesel::define_sql_function! {
    /// PostgreSQL's `nextval`; a text argument names the sequence (coerced to `regclass`).
    fn nextval(sequence: diesel::sql_types::Text) -> diesel::sql_types::BigInt;
}

/// The next sequence number of a China calendar day (`day` is `YYYY-MM-DD`), unique however
/// many requests file at once.
///
/// PostgreSQL: a sequence per day, created on the day's first filing. `nextval` never waits
/// for another transaction, so concurrent filings do not queue behind each other's commits,
/// as they would on a counter row locked until each commit's fsync. A number taken by a
/// filing that then rolls back is skipped; none is ever given twice. Once `known` holds the
/// day, the number is one prepared statement (one round trip).
///
/// SQLite: a counter row, read and then replaced; the transaction holds SQLite's only write
/// lock by then (or fails with a busy error, never a duplicate), and both statements stay
/// prepared, which an upsert would not.
pub fn next_sequence(conn: &mut DbConnection, day: &str, known: &DaySequences) -> QueryResult<i64> {
    match conn {
        DbConnection::Postgres(c) => {
            #[derive(QueryableByName)]
            struct Exists {
                #[diesel(sql_type = diesel::sql_types::Bool)]
                exists: bool,
            }
            // Digits only, from our own date: safe to put into the statement.
            let name = format!("ticket_number_{}", day.replace('-', ""));
            debug_assert!(name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
            let mut committed = known.knows(&name);
            if !committed {
                committed = diesel::sql_query(format!(
                    "SELECT to_regclass('{name}') IS NOT NULL AS exists"
                ))
                .get_result::<Exists>(c)?
                .exists;
                if !committed {
                    // Two first filings of a day may race here; the loser's unique violation
                    // on the catalogue makes the caller retry, and then the sequence exists.
                    diesel::sql_query(format!("CREATE SEQUENCE IF NOT EXISTS {name}"))
                        .execute(c)?;
                }
            }
            let value = diesel::select(nextval(&name)).get_result::<i64>(c);
            match &value {
                // Only a sequence another transaction committed is known for good: one
                // created in this transaction is gone if it rolls back.
                Ok(_) if committed => known.learn(&name),
                Ok(_) => {}
                // Dropped behind our back (a restore, say): ask the catalogue next time.
                Err(_) => known.forget(&name),
            }
            value
        }
        DbConnection::Sqlite(c) => {
            let last = ticket_counters::table
                .find(day)
                .select(ticket_counters::last_value)
                .get_result::<i32>(c)
                .optional()?
                .unwrap_or(0);
            diesel::replace_into(ticket_counters::table)
                .values((
                    ticket_counters::day.eq(day),
                    ticket_counters::last_value.eq(last + 1),
                ))
                .execute(c)?;
            Ok(i64::from(last) + 1)
        }
    }
}

/// Replaces the co-handling departments of a ticket in the table that scopes and filters by
/// them (the ticket's own `co_department_ids` is set by the caller).
pub fn set_co_departments(
    conn: &mut DbConnection,
    ticket_id: &str,
    department_ids: &[String],
) -> QueryResult<()> {
    diesel::delete(
        ticket_co_departments::table.filter(ticket_co_departments::ticket_id.eq(ticket_id)),
    )
    .execute(conn)?;
    for dept in department_ids {
        diesel::insert_into(ticket_co_departments::table)
            .values((
                ticket_co_departments::ticket_id.eq(ticket_id),
                ticket_co_departments::department_id.eq(dept),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The ids of a comma-separated column.
pub fn split_ids(text: &str) -> Vec<String> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

pub fn join_ids(ids: &[String]) -> String {
    ids.join(",")
}

/// Tickets of `priority` being handled whose deadline falls in `(now, until]` and whose
/// assignee has not been reminded of it: the scheduler's reminders.
pub fn due_for_reminder(
    conn: &mut DbConnection,
    now: &str,
    until: &str,
    priority: Priority,
    batch: i64,
) -> QueryResult<Vec<Ticket>> {
    tickets_of(
        tickets::table
            .filter(tickets::status.eq_any(handling_statuses()))
            .filter(tickets::priority.eq(priority))
            .filter(tickets::due_at.gt(now))
            .filter(tickets::due_at.le(until))
            .filter(tickets::reminded_at.is_null())
            .select(TicketRow::as_select())
            .order(tickets::due_at.asc())
            .limit(batch)
            .load(conn),
    )
}

/// Tickets being handled past their deadline that are not at the last escalation level, by
/// id after `after_id`: they stay in this set while they wait for the next level, so the
/// sweep pages through all of them rather than seeing the same first batch each time.
pub fn overdue_below_level(
    conn: &mut DbConnection,
    now: &str,
    level: i32,
    after_id: &str,
    batch: i64,
) -> QueryResult<Vec<Ticket>> {
    tickets_of(
        tickets::table
            .filter(tickets::status.eq_any(handling_statuses()))
            .filter(tickets::due_at.le(now))
            .filter(tickets::escalation_level.lt(level))
            .filter(tickets::id.gt(after_id))
            .select(TicketRow::as_select())
            .order(tickets::id.asc())
            .limit(batch)
            .load(conn),
    )
}

/// The tickets being handled past their deadline at `now`, the longest overdue first, at most
/// `limit`, and how many there are: the weekly bulletin's overdue requests. Both read the
/// partial index of open tickets by deadline (`tickets_open_due_idx`; on SQLite held to it
/// with `INDEXED BY`, which fails loudly should the index go): at a million tickets the few
/// open ones, not every ticket with a deadline.
pub fn overdue_first(
    conn: &mut DbConnection,
    now: &str,
    limit: i64,
) -> QueryResult<(Vec<Ticket>, i64)> {
    use diesel::sql_types::{BigInt, Text};
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = Text)]
        id: String,
    }
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let indexed = match conn.backend() {
        super::connection::Backend::Postgres => "",
        super::connection::Backend::Sqlite => " INDEXED BY tickets_open_due_idx",
    };
    let open = "status IN ('assigned', 'in_progress') AND due_at <= $1";
    let count = super::connection::raw_sql(
        conn,
        &format!("SELECT COUNT(*) AS n FROM tickets{indexed} WHERE {open}"),
    )
    .bind::<Text, _>(now)
    .get_result::<Count>(conn)?
    .n;
    let ids: Vec<String> = super::connection::raw_sql(
        conn,
        &format!(
            "SELECT id FROM tickets{indexed} WHERE {open} ORDER BY due_at ASC, id ASC LIMIT $2"
        ),
    )
    .bind::<Text, _>(now)
    .bind::<BigInt, _>(limit)
    .load::<Id>(conn)?
    .into_iter()
    .map(|r| r.id)
    .collect();
    let mut listed = tickets_of(
        tickets::table
            .filter(tickets::id.eq_any(&ids))
            .select(TicketRow::as_select())
            .load(conn),
    )?;
    listed.sort_by_key(|t| ids.iter().position(|i| *i == t.id));
    Ok((listed, count))
}

/// Assigned tickets not signed for by their sign-for deadline, not yet reminded.
pub fn unsigned_past(conn: &mut DbConnection, now: &str, batch: i64) -> QueryResult<Vec<Ticket>> {
    tickets_of(
        tickets::table
            .filter(tickets::status.eq(TicketStatus::Assigned))
            .filter(tickets::sign_due_at.le(now))
            .filter(tickets::sign_reminded_at.is_null())
            .select(TicketRow::as_select())
            .order(tickets::sign_due_at.asc())
            .limit(batch)
            .load(conn),
    )
}

/// Resolved tickets waiting for a rating since before `cutoff`.
pub fn resolved_before(
    conn: &mut DbConnection,
    cutoff: &str,
    batch: i64,
) -> QueryResult<Vec<Ticket>> {
    tickets_of(
        tickets::table
            .filter(tickets::status.eq(TicketStatus::Resolved))
            .filter(tickets::resolved_at.le(cutoff))
            .select(TicketRow::as_select())
            .order(tickets::resolved_at.asc())
            .limit(batch)
            .load(conn),
    )
}

/// How many tickets resolved at or before `cutoff` still wait for a rating.
pub fn count_resolved_before(conn: &mut DbConnection, cutoff: &str) -> QueryResult<i64> {
    tickets::table
        .filter(tickets::status.eq(TicketStatus::Resolved))
        .filter(tickets::resolved_at.le(cutoff))
        .count()
        .get_result(conn)
}

/// The texts the search index holds of each of the tickets `ids`, with its id: number,
/// title, description and resolution (public notes are the timeline's).
pub fn search_texts(
    conn: &mut DbConnection,
    ids: &[String],
) -> QueryResult<Vec<(String, [String; 4])>> {
    let rows: Vec<(String, String, String, String, Option<String>)> = tickets::table
        .filter(tickets::id.eq_any(ids))
        .select((
            tickets::id,
            tickets::number,
            tickets::title,
            tickets::description,
            tickets::resolution,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, number, title, description, resolution)| {
            (
                id,
                [number, title, description, resolution.unwrap_or_default()],
            )
        })
        .collect())
}
