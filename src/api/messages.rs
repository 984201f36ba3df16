//! The message centre (站内消息) of every role: my messages, my unread count, marking one or
//! all read. A reader only ever sees their own.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::extract::{Auth, path_id};
use crate::api::params::{cursor_id, page_limit};
use crate::api::state::State;
use crate::api::types::ErrorResponse;
use crate::db::messages::MessageRow;
use crate::error::AppError;
use crate::service::{daily_check, messages};

/// One in-app message: a ticket event, a policy pushed or granted, or a step of an
/// application, as its reader was told of it.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageResponse {
    pub id: String,
    /// The ticket it is about (the page to open); null for a policy's or an application's.
    pub ticket_id: Option<String>,
    /// A ticket event (`ticket_accepted`, …) or a policy event (`policy_pushed`,
    /// `policy_granted`, `application_recorded`, `application_approved`,
    /// `application_refused`, `application_paid`).
    #[schema(example = "ticket_assigned")]
    pub event: String,
    /// The ticket event (its `seq` in the timeline) that caused it; null when no ticket.
    pub event_seq: Option<i32>,
    /// The policy it is about (a push, a grant, an application's policy).
    pub policy_id: Option<String>,
    /// The application it is about.
    pub application_id: Option<String>,
    pub title: String,
    pub body: String,
    pub created_at: String,
    /// When the reader marked it read; null while unread.
    pub read_at: Option<String>,
}

impl From<MessageRow> for MessageResponse {
    fn from(r: MessageRow) -> Self {
        MessageResponse {
            id: r.id,
            ticket_id: r.ticket_id,
            event: r.event.as_str().to_string(),
            event_seq: r.event_seq,
            policy_id: r.policy_id,
            application_id: r.application_id,
            title: r.title,
            body: r.body,
            created_at: r.created_at,
            read_at: r.read_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageList {
    pub items: Vec<MessageResponse>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnreadCount {
    pub unread: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MarkedRead {
    /// How many messages were unread and are now read.
    pub marked: usize,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MessageListQuery {
    /// Only the unread (`true`), or every message (`false`, the default).
    pub unread: Option<String>,
    /// Page size, 1 to 100 (default 20).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// My in-app messages, newest first (every role).
#[utoipa::path(get, path = "/api/v1/messages", tag = "messages",
    params(MessageListQuery),
    responses((status = 200, body = MessageList), (status = 400, body = ErrorResponse), (status = 401, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn list_messages(
    state: State,
    auth: Auth,
    query: web::Query<MessageListQuery>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let q = query.into_inner();
    let limit = page_limit(&state, q.limit)?;
    let before = cursor_id(q.cursor.as_deref())?;
    let unread = match q.unread.as_deref().map(str::trim) {
        None | Some("" | "false") => false,
        Some("true") => true,
        Some(_) => return Err(AppError::invalid_query("unread", "must be true or false")),
    };
    let page = state
        .read(move |c| messages::list(c, &who, unread, before.as_deref(), limit))
        .await?;
    Ok(HttpResponse::Ok().json(MessageList {
        items: page.items.into_iter().map(MessageResponse::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// How many of my in-app messages are unread (the badge; every role).
#[utoipa::path(get, path = "/api/v1/messages/unread-count", tag = "messages",
    responses((status = 200, body = UnreadCount), (status = 401, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn unread_count(state: State, auth: Auth) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let unread = state.read(move |c| messages::unread_count(c, &who)).await?;
    Ok(HttpResponse::Ok().json(UnreadCount { unread }))
}

/// Mark one of my messages read; marking it again keeps the first time (every role).
#[utoipa::path(post, path = "/api/v1/messages/{id}/read", tag = "messages",
    params(("id" = String, Path)),
    responses(
        (status = 200, description = "the message, read", body = MessageResponse),
        (status = 401, body = ErrorResponse),
        (status = 404, description = "no such message, or not yours", body = ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn mark_read(
    state: State,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let id = path_id(&id, "message")?;
    let now = state.clock.now();
    let row = state
        .write(move |c| messages::mark_read(c, &who, &id, now))
        .await?;
    Ok(HttpResponse::Ok().json(MessageResponse::from(row)))
}

/// Mark all my unread messages read (every role).
#[utoipa::path(post, path = "/api/v1/messages/read-all", tag = "messages",
    responses((status = 200, body = MarkedRead), (status = 401, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn mark_all_read(state: State, auth: Auth) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let now = state.clock.now();
    let marked = state
        .write(move |c| messages::mark_all_read(c, &who, now))
        .await?;
    Ok(HttpResponse::Ok().json(MarkedRead { marked }))
}

/// A request named in a section of the daily check.
#[derive(Debug, Serialize, ToSchema)]
pub struct DailyCheckItem {
    pub id: String,
    pub number: String,
    pub title: String,
    pub due_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DailyCheckSection {
    /// overdue, due_today, due_tomorrow, to_sign, department_overdue, department_to_sign,
    /// to_accept, extension_pending or unrated.
    pub kind: String,
    /// Its name: 已超期, 今日到期, ….
    pub label: String,
    pub count: i64,
    /// The first few (`daily_check.items`).
    pub items: Vec<DailyCheckItem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DailyCheckResponse {
    /// Today (China).
    pub day: String,
    /// The counts in one line (empty when there is nothing to do).
    pub summary: String,
    /// Only the sections with something in them; none: nothing to act on.
    pub sections: Vec<DailyCheckSection>,
    /// Whether today's digest was sent to me (by e-mail and SMS).
    pub sent: bool,
}

/// My daily check (每日检查), counted now: what I have to act on today — for a cadre, their
/// requests overdue, due today or tomorrow and waiting to be signed (a department head also
/// their departments' overdue and unsigned); for a dispatcher, the requests waiting to be
/// accepted, the extension requests and the resolved requests not rated for long. The same
/// digest is sent once each working day (docs/operations.md#the-daily-check). Empty for
/// administrators and enterprise users.
#[utoipa::path(get, path = "/api/v1/me/daily-check", tag = "messages",
    responses((status = 200, body = DailyCheckResponse), (status = 401, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn daily_check(state: State, auth: Auth) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let now = state.clock.now();
    let settings = state.settings.daily_check.clone();
    let (digest, sent) = state
        .read(move |c| {
            let user = crate::db::users::find(c, &who.user_id)?
                .ok_or_else(|| AppError::not_found("user"))?;
            let digest = daily_check::digest_for(c, &user, &settings, now)?;
            let day = digest.day.format("%Y-%m-%d").to_string();
            let sent = crate::db::daily_checks::of_user(c, &day, &user.id)?.is_some();
            Ok((digest, sent))
        })
        .await?;
    Ok(HttpResponse::Ok().json(DailyCheckResponse {
        day: digest.day.to_string(),
        summary: digest.summary(),
        sent,
        sections: digest
            .sections
            .into_iter()
            .map(|s| DailyCheckSection {
                kind: s.kind.as_str().to_string(),
                label: s.label.to_string(),
                count: s.count,
                items: s
                    .items
                    .into_iter()
                    .map(|i| DailyCheckItem {
                        id: i.id,
                        number: i.number,
                        title: i.title,
                        due_at: i.due_at,
                    })
                    .collect(),
            })
            .collect(),
    }))
}
