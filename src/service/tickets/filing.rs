//! Filing a ticket: who files for which enterprise by which channel, the day's number, the
//! first timeline entry, its notifications, and the `Idempotency-Key` that makes a retried
//! filing answer with the first one's ticket.

use chrono::{DateTime, Utc};

use crate::auth::Principal;
use crate::db::attachments::LinkTarget;
use crate::db::enterprises::EnterpriseRow;
use crate::db::tickets::{self as ticket_db, DaySequences};
use crate::db::{
    DbConnection, categories, enterprises, idempotency, stats_cells, ticket_events, ticket_words,
};
use crate::domain::text;
use crate::domain::ticket::state::{Filing, Ticket};
use crate::domain::ticket::timeline::{self, Entry, EventData};
use crate::domain::ticket::{self, Action, Channel, Priority, Role, TicketKind};
use crate::domain::time;
use crate::domain::validation::FieldErrors;
use crate::error::{AppError, ErrorCode};
use crate::service::attachments;
use crate::service::require_role;
use crate::service::tickets::access::shown;
use crate::service::tickets::changes::event_row;
use crate::service::tickets::{Context, TicketView};

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

/// An `Idempotency-Key` and the hash of the request that came with it.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    pub key: String,
    pub request_hash: String,
}

#[derive(Debug, Clone)]
pub struct Filed {
    pub ticket: TicketView,
    /// True when this was a retry answered with the ticket of the first request.
    pub replayed: bool,
}

/// Ticket-number prefix, how long idempotency keys are honoured, and the database's known
/// day sequences ([`crate::db::Db::day_sequences`]).
#[derive(Debug, Clone)]
pub struct FilingOptions {
    pub number_prefix: String,
    pub idempotency_ttl: chrono::Duration,
    pub day_sequences: DaySequences,
}

/// Ensures the principal may file at all, before the body is even looked at.
pub fn may_file(who: &Principal) -> Result<(), AppError> {
    require_role(who, &[Role::Enterprise, Role::Dispatcher, Role::Admin])
}

/// A filing checked against the directory: who files it for which enterprise, by which
/// channel, with the contact defaults filled in.
struct CheckedFiling {
    input: NewTicket,
    enterprise: EnterpriseRow,
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
) -> Result<Option<TicketView>, AppError> {
    let Some(previous) = idempotency::find(conn, &who.user_id, &key.key)? else {
        return Ok(None);
    };
    if previous.created_at < time::format(now - options.idempotency_ttl) {
        return Ok(None);
    }
    if previous.request_hash != key.request_hash {
        return Err(AppError::new(
            ErrorCode::IdempotencyKeyReused,
            "this Idempotency-Key was already used with a different request",
        ));
    }
    let ticket =
        ticket_db::find(conn, &previous.ticket_id)?.ok_or_else(|| AppError::not_found("ticket"))?;
    Ok(Some(shown(conn, who, ticket)?))
}

/// Who files for which enterprise and by which channel; the category and the enterprise.
fn check_filing(
    conn: &mut DbConnection,
    who: &Principal,
    mut input: NewTicket,
    on_visit: bool,
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
        // A liaison cadre files the difficulties an enterprise raised on a visit, through the
        // visit (`service::visits`, which checks the pairing): for that enterprise, by visit.
        Role::Cadre if on_visit => match input.enterprise_id.clone() {
            Some(e) => (e, Channel::Visit),
            None => {
                errors.add("enterprise_id", "is required");
                (String::new(), Channel::Visit)
            }
        },
        Role::Cadre => {
            return Err(AppError::forbidden(
                "cadres do not file requests; an enterprise or a dispatcher does (a liaison \
                 cadre files them with a visit, POST /api/v1/visits)",
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
    let (Some(_), Some(enterprise)) = (category, enterprise) else {
        return Err(AppError::internal(anyhow::anyhow!(
            "a filing passed its checks without its category or enterprise"
        )));
    };
    Ok(CheckedFiling {
        input,
        enterprise,
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
    file_as(conn, ctx, who, input, key, options, now, false)
}

/// Files a request an enterprise raised on a liaison cadre's visit, by the cadre (`who`), for
/// the enterprise, by visit: the caller has checked that `who` may (`service::visits`).
pub fn file_on_visit(
    conn: &mut DbConnection,
    ctx: &Context,
    who: &Principal,
    input: NewTicket,
    options: &FilingOptions,
    now: DateTime<Utc>,
) -> Result<Filed, AppError> {
    file_as(conn, ctx, who, input, None, options, now, true)
}

#[allow(clippy::too_many_arguments)]
fn file_as(
    conn: &mut DbConnection,
    ctx: &Context,
    who: &Principal,
    input: NewTicket,
    key: Option<&IdempotencyKey>,
    options: &FilingOptions,
    now: DateTime<Utc>,
    on_visit: bool,
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
        channel,
    } = check_filing(conn, who, input, on_visit)?;
    let now_text = time::format(now);
    let day = time::china_date(now);
    let sequence = ticket_db::next_sequence(
        conn,
        &day.format("%Y-%m-%d").to_string(),
        &options.day_sequences,
    )?;
    let filed = Ticket::filed(Filing {
        id: ticket::ids::filed_at(now),
        number: ticket::format_number(&options.number_prefix, day, sequence),
        kind: input.kind,
        title: input.title,
        description: input.description,
        category_id: input.category_id,
        enterprise_id: enterprise.id.clone(),
        submitter_id: who.user_id.clone(),
        channel,
        contact_name: input.contact_name,
        contact_phone: input.contact_phone,
        priority: input.priority.unwrap_or(Priority::Normal),
        at: now_text.clone(),
    });
    let search_text = text::search_text(&[&filed.number, &filed.title, &filed.description]);
    ticket_db::insert(conn, &filed, &search_text)?;
    let mut words = match &ctx.words {
        Some(words) => words.clone(),
        None => ctx.segmenter.filing_words(&filed.title, &filed.description),
    };
    words.extend(ctx.segmenter.words(&filed.number));
    ticket_words::add(conn, &filed.id, &words)?;
    attachments::link(
        conn,
        who,
        &input.attachment_ids,
        LinkTarget {
            ticket_id: &filed.id,
            comment_id: None,
            event_seq: None,
        },
    )?;
    stats_cells::note(conn, &filed.id, None, None)?;
    let entry = Entry {
        action: Action::File,
        from: None,
        note: None,
        public: true,
        data: Some(EventData::File(timeline::Filed { channel })),
    };
    let event = event_row(&filed, Some(who), entry, &now_text);
    ticket_events::insert(conn, &event)?;
    ctx.outbox.queue_event(conn, &filed, &event)?;
    if let Some(key) = key {
        idempotency::insert(
            conn,
            &idempotency::IdempotencyRow {
                user_id: who.user_id.clone(),
                key: key.key.clone(),
                request_hash: key.request_hash.clone(),
                ticket_id: filed.id.clone(),
                created_at: now_text,
            },
        )?;
    }
    Ok(Filed {
        ticket: shown(conn, who, filed)?,
        replayed: false,
    })
}
