//! Filing, reading and moving tickets. Every function here runs inside one transaction that
//! the caller opened, so a refused or failed action leaves the ticket and its timeline as
//! they were, and queues no notification: the messages an event raises are written to the
//! outbox in the same transaction.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::auth::Principal;
use crate::config::DeadlineSettings;
use crate::db::attachments::{self as attachment_db, AttachmentRow};
use crate::db::comments::{self, CommentRow};
use crate::db::enterprises::EnterpriseRow;
use crate::db::revisits::{self, RevisitRow};
use crate::db::ticket_events::{self, EventRow};
use crate::db::tickets::{self as ticket_db, Scope, TicketFactRow, TicketFilter, TicketRow};
use crate::db::{
    DbConnection, categories, departments, enterprises, idempotency, new_id, stats_cells, users,
};
use crate::domain::notification::{mask_name, mask_phone};
use crate::domain::text;
use crate::domain::ticket::rules::{self, Actor, Situation, Step, can_view};
use crate::domain::ticket::{
    self, Action, AllowedAction, Channel, Priority, Rating, Role, TicketKind, TicketStatus,
};
use crate::domain::time;
use crate::domain::validation::FieldErrors;
use crate::error::{AppError, ErrorKind};
use crate::notify::outbox::{Known, Outbox};
use crate::service::attachments;
use crate::service::calendar::Calendar;
use crate::service::{Page, require_role};

/// A ticket with what is stored beside it, and what its reader may do to it now.
#[derive(Debug, Clone)]
pub struct TicketRecord {
    pub row: TicketRow,
    pub co_department_ids: Vec<String>,
    /// Empty until the record is [`shown`] to a reader.
    pub allowed_actions: Vec<AllowedAction>,
}

/// A ticket as one reader may see it.
#[derive(Debug, Clone)]
pub struct TicketDetail {
    pub ticket: TicketRecord,
    pub events: Vec<EventRow>,
    pub comments: Vec<CommentRow>,
    pub revisits: Vec<RevisitRow>,
    /// Those of the ticket and of the comments this reader sees.
    pub attachments: Vec<AttachmentRow>,
    /// The filing enterprise's name.
    pub enterprise_name: String,
    /// The names of the people in the timeline, comments and revisits, by user id.
    pub people: std::collections::BTreeMap<String, String>,
}

/// A validated filing.
#[derive(Debug, Clone)]
pub struct NewTicket {
    pub kind: TicketKind,
    pub category_id: String,
    pub title: String,
    pub description: String,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub enterprise_id: Option<String>,
    pub channel: Option<Channel>,
    /// Normal unless given.
    pub priority: Option<Priority>,
    /// Uploads of the filer to attach (at most nine).
    pub attachment_ids: Vec<String>,
}

/// What the functions that write timeline events need besides the connection: where their
/// notifications go, the working-day calendar, and the deadline settings.
#[derive(Clone)]
pub struct Context {
    pub outbox: Outbox,
    pub calendar: Arc<Calendar>,
    pub deadlines: DeadlineSettings,
}

impl Context {
    /// The deadline of a normal ticket `days` working days from `now`, or of an urgent one
    /// `urgent_hours` from `now`.
    pub fn deadline(&self, now: DateTime<Utc>, urgent: bool, days: u32) -> DateTime<Utc> {
        if urgent {
            now + chrono::Duration::hours(i64::from(self.deadlines.urgent_hours))
        } else {
            self.calendar.days.deadline(now, days)
        }
    }

    /// When the assigned cadre must have signed, and never after the deadline itself.
    pub fn sign_deadline(
        &self,
        now: DateTime<Utc>,
        urgent: bool,
        due: DateTime<Utc>,
    ) -> DateTime<Utc> {
        let sign = if urgent {
            now + chrono::Duration::hours(i64::from(self.deadlines.urgent_sign_hours))
        } else {
            self.calendar
                .days
                .deadline(now, self.deadlines.sign_working_days)
        };
        sign.min(due)
    }
}

/// Forgets what the scheduler did about the previous deadline, so the new one gets its own
/// reminders and escalations.
pub fn reset_deadline_marks(row: &mut TicketRow) {
    row.reminded_at = None;
    row.sign_reminded_at = None;
    row.overdue_at = None;
    row.escalation_level = 0;
}

/// An `Idempotency-Key` and the hash of the request that came with it.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    pub key: String,
    pub request_hash: String,
}

#[derive(Debug, Clone)]
pub struct Filed {
    pub ticket: TicketRecord,
    /// True when this was a retry answered with the ticket of the first request.
    pub replayed: bool,
}

/// Ticket-number prefix and how long idempotency keys are honoured.
#[derive(Debug, Clone)]
pub struct FilingOptions {
    pub number_prefix: String,
    pub idempotency_ttl: chrono::Duration,
}

/// A validated workflow action with its body.
#[derive(Debug, Clone)]
pub enum ActionInput {
    Accept {
        note: Option<String>,
    },
    Reject {
        reason: String,
    },
    Assign {
        department_id: String,
        assignee_id: Option<String>,
        co_department_ids: Option<Vec<String>>,
        due_at: Option<DateTime<Utc>>,
        /// Changes the ticket's priority before its deadline is set.
        priority: Option<Priority>,
    },
    Sign,
    Return {
        reason: String,
    },
    Progress {
        note: String,
        public: bool,
    },
    Urge {
        note: String,
    },
    Resolve {
        resolution: String,
        adopted: Option<bool>,
    },
    Revisit {
        rating: Rating,
        comment: Option<String>,
    },
    Close {
        reason: String,
    },
    Withdraw {
        reason: Option<String>,
    },
}

impl ActionInput {
    fn step(&self) -> Step {
        match self {
            ActionInput::Accept { .. } => Step::Accept,
            ActionInput::Reject { .. } => Step::Reject,
            ActionInput::Assign { .. } => Step::Assign,
            ActionInput::Sign => Step::Sign,
            ActionInput::Return { .. } => Step::Return,
            ActionInput::Progress { .. } => Step::Progress,
            ActionInput::Urge { .. } => Step::Urge,
            ActionInput::Resolve { .. } => Step::Resolve,
            ActionInput::Revisit { rating, .. } => Step::Revisit(*rating),
            ActionInput::Close { .. } => Step::Close,
            ActionInput::Withdraw { .. } => Step::Withdraw,
        }
    }
}

fn parse_status(row: &TicketRow) -> Result<TicketStatus, AppError> {
    TicketStatus::parse(&row.status).ok_or_else(|| {
        AppError::internal(anyhow::anyhow!(
            "ticket {} has status {:?}",
            row.id,
            row.status
        ))
    })
}

impl TicketRecord {
    pub fn new(row: TicketRow) -> Self {
        TicketRecord {
            co_department_ids: ticket_db::split_ids(&row.co_department_ids),
            row,
            allowed_actions: Vec::new(),
        }
    }
}

/// How the principal stands to a ticket.
fn actor_for(
    conn: &mut DbConnection,
    who: &Principal,
    row: &TicketRow,
    co_department_ids: &[String],
) -> Result<Actor, AppError> {
    let is_liaison = who.role == Role::Cadre
        && enterprises::find(conn, &row.enterprise_id)?
            .and_then(|e| e.liaison_cadre_id)
            .is_some_and(|id| id == who.user_id);
    Ok(actor_of(who, row, co_department_ids, is_liaison))
}

/// How the principal stands to a ticket, its liaison cadre being known.
fn actor_of(
    who: &Principal,
    row: &TicketRow,
    co_department_ids: &[String],
    is_liaison: bool,
) -> Actor {
    let in_department = |dept: Option<&String>| {
        who.role == Role::Cadre && dept.is_some() && who.department_id.as_ref() == dept
    };
    Actor {
        role: who.role,
        is_assignee: row.assignee_id.as_deref() == Some(who.user_id.as_str()),
        in_lead_department: in_department(row.department_id.as_ref()),
        in_co_department: who
            .department_id
            .as_ref()
            .is_some_and(|d| co_department_ids.contains(d))
            && who.role == Role::Cadre,
        of_filing_enterprise: who.role == Role::Enterprise
            && who.enterprise_id.as_deref() == Some(row.enterprise_id.as_str()),
        is_liaison,
    }
}

/// The facts of a ticket the rules ask about.
fn situation(row: &TicketRow, extension_pending: bool) -> Result<Situation, AppError> {
    Ok(Situation {
        status: parse_status(row)?,
        has_assignee: row.assignee_id.is_some(),
        has_deadline: row.due_at.is_some(),
        extension_pending,
    })
}

/// The ticket as `who` sees it ([`for_reader`]), with what they may do to it now.
pub(crate) fn shown(
    conn: &mut DbConnection,
    who: &Principal,
    row: TicketRow,
) -> Result<TicketRecord, AppError> {
    let mut record = TicketRecord::new(for_reader(who, row));
    let actor = actor_for(conn, who, &record.row, &record.co_department_ids)?;
    // Only staff can ask for or decide an extension, so only they need to know of one.
    let pending = who.role != Role::Enterprise
        && crate::db::extensions::pending_for_ticket(conn, &record.row.id)?.is_some();
    record.allowed_actions = rules::allowed_actions(&situation(&record.row, pending)?, &actor);
    Ok(record)
}

/// [`shown`] for a page of a list: the reader's liaison enterprises and the page's waiting
/// extension requests in one query each, not one per ticket.
fn shown_all(
    conn: &mut DbConnection,
    who: &Principal,
    rows: Vec<TicketRow>,
) -> Result<Vec<TicketRecord>, AppError> {
    let liaison_of = if who.role == Role::Cadre {
        enterprises::liaison_of(conn, &who.user_id)?
    } else {
        Vec::new()
    };
    let pending = if who.role == Role::Enterprise {
        Vec::new()
    } else {
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        crate::db::extensions::pending_among(conn, &ids)?
    };
    rows.into_iter()
        .map(|row| {
            let mut record = TicketRecord::new(for_reader(who, row));
            let actor = actor_of(
                who,
                &record.row,
                &record.co_department_ids,
                liaison_of.contains(&record.row.enterprise_id),
            );
            let facts = situation(&record.row, pending.contains(&record.row.id))?;
            record.allowed_actions = rules::allowed_actions(&facts, &actor);
            Ok(record)
        })
        .collect()
}

/// Loads a ticket the principal may see; anything else is "not found", never "forbidden",
/// so that ids of others' tickets reveal nothing.
pub(crate) fn load_visible(
    conn: &mut DbConnection,
    who: &Principal,
    ticket_id: &str,
) -> Result<(TicketRecord, Actor), AppError> {
    let row = ticket_db::find(conn, ticket_id)?.ok_or_else(|| AppError::not_found("ticket"))?;
    let record = TicketRecord::new(row);
    let actor = actor_for(conn, who, &record.row, &record.co_department_ids)?;
    if !can_view(&actor) {
        return Err(AppError::not_found("ticket"));
    }
    Ok((record, actor))
}

fn sees_internal(who: &Principal) -> bool {
    who.role != Role::Enterprise
}

#[allow(clippy::too_many_arguments)]
fn event(
    ticket: &TicketRow,
    who: Option<&Principal>,
    action: Action,
    from: Option<TicketStatus>,
    note: Option<String>,
    public: bool,
    data: Option<serde_json::Value>,
    now: &str,
) -> EventRow {
    EventRow {
        id: new_id(),
        ticket_id: ticket.id.clone(),
        seq: ticket.version,
        actor_id: who.map(|w| w.user_id.clone()),
        actor_role: who.map(|w| w.role.as_str().to_string()),
        action: action.as_str().to_string(),
        from_status: from.map(|s| s.as_str().to_string()),
        to_status: ticket.status.clone(),
        note,
        public,
        data: data.map(|d| d.to_string()),
        created_at: now.to_string(),
    }
}

/// A filing checked against the directory: who files it for which enterprise, by which
/// channel, with the contact defaults filled in.
struct CheckedFiling {
    input: NewTicket,
    enterprise: EnterpriseRow,
    category_name: String,
    channel: Channel,
}

/// The ticket an earlier request with this idempotency key created, if the key is still
/// remembered; an error if the key came with a different request.
fn replay(
    conn: &mut DbConnection,
    who: &Principal,
    key: &IdempotencyKey,
    options: &FilingOptions,
    now: DateTime<Utc>,
) -> Result<Option<TicketRecord>, AppError> {
    let Some(previous) = idempotency::find(conn, &who.user_id, &key.key)? else {
        return Ok(None);
    };
    if previous.created_at < time::format(now - options.idempotency_ttl) {
        return Ok(None);
    }
    if previous.request_hash != key.request_hash {
        return Err(AppError::new(
            crate::error::ErrorKind::Validation,
            "idempotency_key_reused",
            "this Idempotency-Key was already used with a different request",
        ));
    }
    let row =
        ticket_db::find(conn, &previous.ticket_id)?.ok_or_else(|| AppError::not_found("ticket"))?;
    Ok(Some(shown(conn, who, row)?))
}

/// Who files for which enterprise and by which channel; the category and the enterprise.
fn check_filing(
    conn: &mut DbConnection,
    who: &Principal,
    mut input: NewTicket,
) -> Result<CheckedFiling, AppError> {
    let mut errors = FieldErrors::new();
    let (enterprise_id, channel) = match who.role {
        Role::Enterprise => {
            let own = who
                .enterprise_id
                .clone()
                .ok_or_else(|| AppError::forbidden("this account belongs to no enterprise"))?;
            if input.enterprise_id.as_ref().is_some_and(|e| *e != own) {
                return Err(AppError::forbidden(
                    "enterprise users file requests for their own enterprise only",
                ));
            }
            if input.channel.is_some_and(|c| c != Channel::Online) {
                errors.add("channel", "requests filed by an enterprise are online");
            }
            (own, Channel::Online)
        }
        Role::Dispatcher | Role::Admin => {
            let channel = input.channel.unwrap_or(Channel::Phone);
            if channel == Channel::Online {
                errors.add(
                    "channel",
                    "requests entered by staff come by phone or visit",
                );
            }
            match input.enterprise_id.clone() {
                Some(e) => (e, channel),
                None => {
                    errors.add(
                        "enterprise_id",
                        "is required when filing on behalf of an enterprise",
                    );
                    (String::new(), channel)
                }
            }
        }
        Role::Cadre => {
            return Err(AppError::forbidden(
                "cadres do not file requests; an enterprise or a dispatcher does",
            ));
        }
    };
    let category = categories::find(conn, &input.category_id)?;
    match &category {
        None => errors.add("category_id", "no such category"),
        Some(c) if c.disabled => errors.add("category_id", "this category is no longer in use"),
        Some(_) => {}
    }
    let enterprise = if enterprise_id.is_empty() {
        None
    } else {
        let found = enterprises::find(conn, &enterprise_id)?;
        match &found {
            None => errors.add("enterprise_id", "no such enterprise"),
            Some(e) => {
                input.contact_name = input.contact_name.or_else(|| e.contact_name.clone());
                input.contact_phone = input.contact_phone.or_else(|| e.contact_phone.clone());
            }
        }
        found
    };
    errors.finish()?;
    // Both exist, or `errors` was not empty.
    let (Some(category), Some(enterprise)) = (category, enterprise) else {
        return Err(AppError::internal(anyhow::anyhow!(
            "a filing passed its checks without its category or enterprise"
        )));
    };
    Ok(CheckedFiling {
        input,
        enterprise,
        category_name: category.name,
        channel,
    })
}

/// Files a ticket: checks it, numbers it with its China day's sequence, and writes it with
/// the first timeline event — or, for a retry with an idempotency key this user already used
/// for the same request, returns the ticket that request created.
pub fn file(
    conn: &mut DbConnection,
    ctx: &Context,
    who: &Principal,
    input: NewTicket,
    key: Option<&IdempotencyKey>,
    options: &FilingOptions,
    now: DateTime<Utc>,
) -> Result<Filed, AppError> {
    if let Some(key) = key {
        if let Some(previous) = replay(conn, who, key, options, now)? {
            return Ok(Filed {
                ticket: previous,
                replayed: true,
            });
        }
        // An expired key may be used afresh.
        let cutoff = time::format(now - options.idempotency_ttl);
        idempotency::delete_if_expired(conn, &who.user_id, &key.key, &cutoff)?;
    }
    let CheckedFiling {
        input,
        enterprise,
        category_name,
        channel,
    } = check_filing(conn, who, input)?;
    let attachment_ids = input.attachment_ids.clone();
    let now_text = time::format(now);
    let day = time::china_date(now);
    let sequence = ticket_db::next_sequence(conn, &day.format("%Y-%m-%d").to_string())?;
    let number = ticket::format_number(&options.number_prefix, day, sequence);
    let row = TicketRow {
        id: new_id(),
        number,
        kind: input.kind.as_str().into(),
        status: TicketStatus::Submitted.as_str().into(),
        title: input.title,
        description: input.description,
        category_id: input.category_id,
        enterprise_id: enterprise.id.clone(),
        submitter_id: who.user_id.clone(),
        channel: channel.as_str().into(),
        contact_name: input.contact_name,
        contact_phone: input.contact_phone,
        department_id: None,
        assignee_id: None,
        co_department_ids: String::new(),
        due_at: None,
        reopen_count: 0,
        rating: None,
        resolution: None,
        adopted: None,
        version: 1,
        created_at: now_text.clone(),
        updated_at: now_text.clone(),
        accepted_at: None,
        assigned_at: None,
        signed_at: None,
        resolved_at: None,
        closed_at: None,
        rejected_at: None,
        withdrawn_at: None,
        priority: input.priority.unwrap_or(Priority::Normal).as_str().into(),
        sign_due_at: None,
        extension_count: 0,
        reminded_at: None,
        sign_reminded_at: None,
        overdue_at: None,
        escalation_level: 0,
        no_response: false,
        handling_days: None,
    };
    let search_text = text::search_text(&[&row.number, &row.title, &row.description]);
    ticket_db::insert(conn, &row, &search_text)?;
    attachments::link(conn, who, &attachment_ids, &row.id, None)?;
    stats_cells::track(conn, None, &TicketFactRow::from(&row))?;
    let filed = event(
        &row,
        Some(who),
        Action::File,
        None,
        None,
        true,
        Some(json!({ "channel": channel.as_str() })),
        &now_text,
    );
    ticket_events::insert(conn, &filed)?;
    ctx.outbox.queue_event_known(
        conn,
        &row,
        &filed,
        now,
        Known {
            enterprise: Some(&enterprise),
            category_name: Some(&category_name),
        },
    )?;
    if let Some(key) = key {
        idempotency::insert(
            conn,
            &idempotency::IdempotencyRow {
                user_id: who.user_id.clone(),
                key: key.key.clone(),
                request_hash: key.request_hash.clone(),
                ticket_id: row.id.clone(),
                created_at: now_text,
            },
        )?;
    }
    Ok(Filed {
        ticket: shown(conn, who, row)?,
        replayed: false,
    })
}

/// Whether `who` may see the contact's phone number on a ticket they can see (个人信息保护法:
/// only those who need it): those who route tickets, the enterprise that filed it, and the
/// cadre handling it — its assignee, or before one signs for it the lead department's cadres.
/// Colleagues, co-handling departments and the liaison cadre see it masked (`138****5678`);
/// the liaison cadre has the enterprise's contact on its record.
pub fn sees_contact(who: &Principal, row: &TicketRow) -> bool {
    match who.role {
        Role::Admin | Role::Dispatcher | Role::Enterprise => true,
        Role::Cadre => match &row.assignee_id {
            Some(assignee) => *assignee == who.user_id,
            None => row.department_id.is_some() && row.department_id == who.department_id,
        },
    }
}

/// The ticket as `who` may see it: the contact's phone and name masked unless
/// [`sees_contact`].
pub fn for_reader(who: &Principal, mut row: TicketRow) -> TicketRow {
    if !sees_contact(who, &row) {
        row.contact_phone = row.contact_phone.map(|p| mask_phone(&p));
        row.contact_name = row.contact_name.map(|n| mask_name(&n));
    }
    row
}

/// The scope of tickets a principal may list.
pub fn scope_of(who: &Principal) -> Scope {
    match who.role {
        Role::Admin | Role::Dispatcher => Scope::All,
        Role::Enterprise => match &who.enterprise_id {
            Some(e) => Scope::Enterprise {
                enterprise_id: e.clone(),
            },
            None => Scope::Nothing,
        },
        Role::Cadre => Scope::Cadre {
            user_id: who.user_id.clone(),
            department_id: who.department_id.clone(),
        },
    }
}

pub fn list(
    conn: &mut DbConnection,
    who: &Principal,
    filter: &TicketFilter,
    limit: i64,
) -> Result<Page<TicketRecord>, AppError> {
    let rows = ticket_db::list(conn, &scope_of(who), filter, limit + 1)?;
    let page = Page::from_rows(rows, limit, |r| &r.id);
    Ok(Page {
        items: shown_all(conn, who, page.items)?,
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
            .find(|(name, _)| name == s.as_str())
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
    })
}

pub fn detail(
    conn: &mut DbConnection,
    who: &Principal,
    ticket_id: &str,
) -> Result<TicketDetail, AppError> {
    let (visible, _) = load_visible(conn, who, ticket_id)?;
    let ticket = shown(conn, who, visible.row)?;
    let internal = sees_internal(who);
    let comments = comments::list_for_ticket(conn, ticket_id, internal)?;
    let attachments = attachment_db::list_for_ticket(conn, ticket_id)?
        .into_iter()
        .filter(|a| {
            a.comment_id
                .as_ref()
                .is_none_or(|id| comments.iter().any(|c| &c.id == id))
        })
        .collect();
    let events = ticket_events::list_for_ticket(conn, ticket_id, ticket.row.version, internal)?;
    let revisits = revisits::list_for_ticket(conn, ticket_id)?;
    let mut ids: Vec<String> = events
        .iter()
        .filter_map(|e| e.actor_id.clone())
        .chain(comments.iter().map(|c| c.author_id.clone()))
        .chain(revisits.iter().map(|r| r.recorded_by.clone()))
        .chain(ticket.row.assignee_id.clone())
        .collect();
    ids.sort();
    ids.dedup();
    let people = users::names(conn, &ids)?.into_iter().collect();
    let enterprise_name = enterprises::find(conn, &ticket.row.enterprise_id)?
        .map(|e| e.name)
        .unwrap_or_default();
    Ok(TicketDetail {
        events,
        comments,
        revisits,
        attachments,
        enterprise_name,
        people,
        ticket,
    })
}

pub fn add_comment(
    conn: &mut DbConnection,
    who: &Principal,
    ticket_id: &str,
    body: String,
    internal: bool,
    attachment_ids: &[String],
    now: DateTime<Utc>,
) -> Result<CommentRow, AppError> {
    let (record, _) = load_visible(conn, who, ticket_id)?;
    if internal && !sees_internal(who) {
        return Err(AppError::forbidden(
            "enterprise users cannot write internal comments",
        ));
    }
    let status = parse_status(&record.row)?;
    if !rules::may_comment(status) {
        return Err(AppError::conflict(
            "illegal_transition",
            format!("cannot comment on a ticket that is {status}: file a new request instead"),
        ));
    }
    let row = CommentRow {
        id: new_id(),
        ticket_id: ticket_id.to_string(),
        author_id: who.user_id.clone(),
        body,
        internal,
        created_at: time::format(now),
    };
    comments::insert(conn, &row)?;
    attachments::link(conn, who, attachment_ids, ticket_id, Some(&row.id))?;
    Ok(row)
}

/// Checks the references of an assignment: the department exists, the assignee is an active
/// cadre of it, the co-handling departments exist and differ from the lead.
fn check_assignment(
    conn: &mut DbConnection,
    department_id: &str,
    assignee_id: Option<&str>,
    co_department_ids: &[String],
) -> Result<(), AppError> {
    let mut errors = FieldErrors::new();
    if departments::find(conn, department_id)?.is_none() {
        errors.add("department_id", "no such department");
    }
    if let Some(assignee) = assignee_id {
        match users::find(conn, assignee)? {
            Some(u)
                if u.role == Role::Cadre.as_str()
                    && !u.disabled
                    && u.department_id.as_deref() == Some(department_id) => {}
            Some(u) if u.role == Role::Cadre.as_str() && !u.disabled => {
                errors.add("assignee_id", "this cadre is not in the lead department")
            }
            _ => errors.add("assignee_id", "no active cadre with this id"),
        }
    }
    if co_department_ids.iter().any(|d| d == department_id) {
        errors.add(
            "co_department_ids",
            "the lead department cannot also co-handle",
        );
    }
    let existing = departments::existing(conn, co_department_ids)?;
    if let Some(missing) = co_department_ids.iter().find(|d| !existing.contains(d)) {
        errors.add(
            "co_department_ids",
            format!("no such department: {missing}"),
        );
    }
    Ok(errors.finish()?)
}

/// Takes a workflow action on a ticket and returns the ticket as it now is.
pub fn act(
    conn: &mut DbConnection,
    ctx: &Context,
    who: &Principal,
    ticket_id: &str,
    input: ActionInput,
    expected_version: Option<i32>,
    now: DateTime<Utc>,
) -> Result<TicketRecord, AppError> {
    let (TicketRecord { row: before, .. }, actor) = load_visible(conn, who, ticket_id)?;
    if let Some(expected) = expected_version
        && expected != before.version
    {
        return Err(AppError::new(
            ErrorKind::PreconditionFailed,
            "version_mismatch",
            format!(
                "the ticket has changed since you read it (version {} now, {expected} in If-Match): reload it",
                before.version
            ),
        ));
    }
    let from = parse_status(&before)?;
    let step = input.step();
    let to = rules::decide(from, before.assignee_id.is_some(), step, &actor)?;

    let now_text = time::format(now);
    let mut row = before.clone();
    row.status = to.as_str().to_string();
    row.version += 1;
    row.updated_at = now_text.clone();
    let action = step.action();
    let mut public = rules::is_public_by_default(action);
    let mut data = None;
    let mut revisit = None;
    let note = match input {
        ActionInput::Accept { note } => {
            row.accepted_at = Some(now_text.clone());
            note
        }
        ActionInput::Reject { reason } => {
            row.rejected_at = Some(now_text.clone());
            Some(reason)
        }
        ActionInput::Assign {
            department_id,
            assignee_id,
            co_department_ids: co,
            due_at,
            priority,
        } => {
            let co = co.unwrap_or_default();
            check_assignment(conn, &department_id, assignee_id.as_deref(), &co)?;
            if let Some(p) = priority {
                row.priority = p.as_str().into();
            }
            let urgent = row.priority == Priority::Urgent.as_str();
            let due_at = match due_at {
                Some(d) => d,
                None => ctx.deadline(now, urgent, category_days(conn, &row)?),
            };
            if due_at <= now {
                return Err(AppError::invalid_field("due_at", "must be in the future"));
            }
            row.sign_due_at = Some(time::format(ctx.sign_deadline(now, urgent, due_at)));
            reset_deadline_marks(&mut row);
            if row.accepted_at.is_none() {
                row.accepted_at = Some(now_text.clone());
            }
            row.department_id = Some(department_id.clone());
            row.assignee_id = assignee_id.clone();
            row.assigned_at = Some(now_text.clone());
            row.signed_at = None;
            row.due_at = Some(time::format(due_at));
            ticket_db::set_co_departments(conn, &row.id, &co)?;
            row.co_department_ids = ticket_db::join_ids(&co);
            data = Some(json!({
                "department_id": department_id,
                "assignee_id": assignee_id,
                "co_department_ids": co,
                "due_at": row.due_at,
                "sign_due_at": row.sign_due_at,
                "priority": row.priority,
                "reassigned": before.department_id.is_some(),
            }));
            None
        }
        ActionInput::Sign => {
            row.signed_at = Some(now_text.clone());
            // Assigned to a department alone, the ticket is taken by the cadre who signs.
            if row.assignee_id.is_none() {
                row.assignee_id = Some(who.user_id.clone());
                data = Some(json!({ "assignee_id": who.user_id }));
            }
            None
        }
        ActionInput::Return { reason } => {
            data = Some(json!({
                "department_id": before.department_id,
                "assignee_id": before.assignee_id,
            }));
            row.department_id = None;
            row.assignee_id = None;
            row.assigned_at = None;
            row.signed_at = None;
            row.due_at = None;
            row.sign_due_at = None;
            reset_deadline_marks(&mut row);
            ticket_db::set_co_departments(conn, &row.id, &[])?;
            row.co_department_ids = String::new();
            Some(reason)
        }
        ActionInput::Progress {
            note,
            public: is_public,
        } => {
            public = is_public;
            Some(note)
        }
        ActionInput::Urge { note } => Some(note),
        ActionInput::Resolve {
            resolution,
            adopted,
        } => {
            let is_suggestion = row.kind == TicketKind::Suggestion.as_str();
            if is_suggestion && adopted.is_none() {
                return Err(AppError::invalid_field(
                    "adopted",
                    "is required when resolving a suggestion",
                ));
            }
            row.adopted = if is_suggestion { adopted } else { None };
            row.resolution = Some(resolution.clone());
            row.resolved_at = Some(now_text.clone());
            let filed = time::parse(&row.created_at).unwrap_or(now);
            row.handling_days = Some(
                i32::try_from(ctx.calendar.days.working_days_after(filed, now)).unwrap_or(i32::MAX),
            );
            data = row.adopted.map(|a| json!({ "adopted": a }));
            Some(resolution)
        }
        ActionInput::Revisit { rating, comment } => {
            let channel = if who.role == Role::Enterprise {
                Channel::Online
            } else {
                Channel::Phone
            };
            row.rating = Some(rating.as_str().to_string());
            if rating.closes() {
                row.closed_at = Some(now_text.clone());
                data = Some(json!({ "rating": rating.as_str(), "channel": channel.as_str() }));
            } else {
                // Rework (重办) gets a deadline of its own.
                row.reopen_count += 1;
                row.resolved_at = None;
                row.handling_days = None;
                let urgent = row.priority == Priority::Urgent.as_str();
                let due = ctx.deadline(now, urgent, ctx.deadlines.rework_working_days);
                row.due_at = Some(time::format(due));
                reset_deadline_marks(&mut row);
                data = Some(json!({
                    "rating": rating.as_str(),
                    "channel": channel.as_str(),
                    "due_at": row.due_at,
                }));
            }
            revisit = Some(RevisitRow {
                id: new_id(),
                ticket_id: row.id.clone(),
                rating: rating.as_str().to_string(),
                comment: comment.clone(),
                channel: channel.as_str().to_string(),
                recorded_by: who.user_id.clone(),
                created_at: now_text.clone(),
            });
            comment
        }
        ActionInput::Close { reason } => {
            row.closed_at = Some(now_text.clone());
            Some(reason)
        }
        ActionInput::Withdraw { reason } => {
            row.withdrawn_at = Some(now_text.clone());
            reason
        }
    };

    write_change(
        conn,
        ctx,
        Some(who),
        before.version,
        &row,
        Change {
            action,
            from,
            note,
            public,
            data,
        },
        now,
    )?;
    if let Some(r) = revisit {
        revisits::insert(conn, &r)?;
    }
    shown(conn, who, row)
}

/// A change to a ticket as its timeline records it.
pub(crate) struct Change {
    pub action: Action,
    pub from: TicketStatus,
    pub note: Option<String>,
    pub public: bool,
    pub data: Option<serde_json::Value>,
}

/// Writes a changed ticket (its `version` already one more than `expected_version`), its
/// timeline entry, and the notifications the entry raises; 409 `concurrent_update` when
/// someone else changed the ticket since it was read. `who` is `None` for the scheduler.
pub(crate) fn write_change(
    conn: &mut DbConnection,
    ctx: &Context,
    who: Option<&Principal>,
    expected_version: i32,
    row: &TicketRow,
    change: Change,
    now: DateTime<Utc>,
) -> Result<EventRow, AppError> {
    let before = ticket_db::find_facts(conn, &row.id)?;
    if !ticket_db::update_versioned(conn, row, expected_version)? {
        return Err(AppError::conflict(
            "concurrent_update",
            "the ticket was changed by someone else at the same time; reload it and try again",
        ));
    }
    stats_cells::track(conn, before.as_ref(), &TicketFactRow::from(row))?;
    let happened = event(
        row,
        who,
        change.action,
        Some(change.from),
        change.note,
        change.public,
        change.data,
        &time::format(now),
    );
    ticket_events::insert(conn, &happened)?;
    ctx.outbox.queue_event(conn, row, &happened, now)?;
    Ok(happened)
}

/// The working days of the ticket's category.
fn category_days(conn: &mut DbConnection, row: &TicketRow) -> Result<u32, AppError> {
    let category = categories::find(conn, &row.category_id)?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("ticket without category")))?;
    Ok(u32::try_from(category.deadline_days).unwrap_or(1))
}

/// Whether a ticket is past its deadline at `now`.
pub fn is_overdue(row: &TicketRow, now: &str) -> bool {
    TicketStatus::parse(&row.status).is_some_and(TicketStatus::is_handling)
        && row.due_at.as_deref().is_some_and(|due| due < now)
}

/// Ensures the principal may file at all, before the body is even looked at.
pub fn may_file(who: &Principal) -> Result<(), AppError> {
    require_role(who, &[Role::Enterprise, Role::Dispatcher, Role::Admin])
}
