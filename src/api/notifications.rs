//! The notification outbox for administrators: the list, one message, the counts by status
//! and channel, and retrying a failed message; and the Prometheus counters at `/metrics`.

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::extract::{Admin, ClientIp, path_id};
use crate::api::params::{cursor_id, one_of, page_limit};
use crate::api::state::State;
use crate::api::types::ErrorResponse;
use crate::db::notifications::{NotificationFilter, NotificationRow};
use crate::domain::notification::{MessageTopic, NotifyChannel, NotifyStatus};
use crate::error::{AppError, ErrorCode};
use crate::service::notifications;

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationResponse {
    pub id: String,
    pub channel: NotifyChannel,
    /// The e-mail address or mobile number.
    pub recipient: String,
    pub recipient_name: Option<String>,
    /// The user it goes to, if it goes to a user (not only a ticket's contact).
    pub user_id: Option<String>,
    pub ticket_id: Option<String>,
    /// A ticket event (see NotifyEvent), or `sms_code` for a one-time sign-in code.
    #[schema(value_type = String)]
    pub event: MessageTopic,
    /// E-mail only.
    pub subject: Option<String>,
    /// The text (e-mail: the plain-text part).
    pub body: String,
    /// The HTML part of an e-mail; only in the answer for one message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub html_body: Option<String>,
    /// SMS gateways: the approved template and its values, in order, as `[name, value]` pairs.
    pub template_code: Option<String>,
    #[schema(value_type = Option<Vec<Vec<String>>>)]
    pub template_params: Option<serde_json::Value>,
    pub status: NotifyStatus,
    /// Delivery attempts so far.
    pub attempts: i32,
    /// Pending: when it is due; sending: when the worker's lease runs out.
    pub next_attempt_at: String,
    pub last_error: Option<String>,
    /// The SMTP Message-ID or the gateway's id of the message.
    pub provider_message_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub sent_at: Option<String>,
}

impl NotificationResponse {
    fn new(r: NotificationRow, with_html: bool) -> Self {
        NotificationResponse {
            template_params: r
                .template_params
                .as_deref()
                .and_then(|p| serde_json::from_str(p).ok()),
            id: r.id,
            channel: r.channel,
            recipient: r.recipient,
            recipient_name: r.recipient_name,
            user_id: r.user_id,
            ticket_id: r.ticket_id,
            event: r.event,
            subject: r.subject,
            body: r.body,
            html_body: r.html_body.filter(|_| with_html),
            template_code: r.template_code,
            status: r.status,
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at,
            last_error: r.last_error,
            provider_message_id: r.provider_message_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
            sent_at: r.sent_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationList {
    pub items: Vec<NotificationResponse>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationCounts {
    pub total: i64,
    /// Status → messages, every status present.
    pub by_status: BTreeMap<String, i64>,
    /// Channel → status → messages, every channel and status present.
    pub by_channel: BTreeMap<String, BTreeMap<String, i64>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NotificationListQuery {
    /// pending, sending, sent or failed.
    pub status: Option<String>,
    /// email or sms.
    pub channel: Option<String>,
    pub ticket_id: Option<String>,
    /// The exact e-mail address or 11-digit mobile number.
    pub recipient: Option<String>,
    /// ticket_filed, ticket_assigned, …
    pub event: Option<String>,
    /// Page size, 1 to 100 (default 20).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The outbox, newest first (administrators).
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications",
    params(NotificationListQuery),
    responses((status = 200, body = NotificationList), (status = 400, body = ErrorResponse), (status = 403, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn list_notifications(
    state: State,
    admin: Admin,
    query: web::Query<NotificationListQuery>,
) -> Result<HttpResponse, AppError> {
    let Admin(who) = admin;
    let q = query.into_inner();
    let limit = page_limit(&state, q.limit)?;
    let filter = NotificationFilter {
        status: one_of("status", q.status.as_deref())?,
        channel: one_of("channel", q.channel.as_deref())?,
        event: one_of("event", q.event.as_deref())?,
        ticket_id: q.ticket_id.filter(|v| !v.is_empty()),
        recipient: q
            .recipient
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty()),
        before_id: cursor_id(q.cursor.as_deref())?,
    };
    let page = state
        .read(move |c| notifications::list(c, &who, &filter, limit))
        .await?;
    Ok(HttpResponse::Ok().json(NotificationList {
        items: page
            .items
            .into_iter()
            .map(|r| NotificationResponse::new(r, false))
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

/// One message, with the HTML part of an e-mail (administrators).
#[utoipa::path(get, path = "/api/v1/notifications/{id}", tag = "notifications",
    params(("id" = String, Path)),
    responses((status = 200, body = NotificationResponse), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn get_notification(
    state: State,
    admin: Admin,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let Admin(who) = admin;
    let id = path_id(&id, "notification")?;
    let row = state
        .read(move |c| notifications::get(c, &who, &id))
        .await?;
    Ok(HttpResponse::Ok().json(NotificationResponse::new(row, true)))
}

/// How many messages are pending, sending, sent and failed, per channel (administrators).
#[utoipa::path(get, path = "/api/v1/notifications/counts", tag = "notifications",
    responses((status = 200, body = NotificationCounts), (status = 403, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn notification_counts(state: State, admin: Admin) -> Result<HttpResponse, AppError> {
    let Admin(who) = admin;
    let rows = state.read(move |c| notifications::counts(c, &who)).await?;
    let mut by_status: BTreeMap<String, i64> = NotifyStatus::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), 0))
        .collect();
    let mut by_channel: BTreeMap<String, BTreeMap<String, i64>> = NotifyChannel::ALL
        .iter()
        .map(|c| (c.as_str().to_string(), by_status.clone()))
        .collect();
    let mut total = 0;
    for (channel, status, n) in rows {
        total += n;
        *by_status.entry(status.clone()).or_default() += n;
        *by_channel
            .entry(channel)
            .or_default()
            .entry(status)
            .or_default() += n;
    }
    Ok(HttpResponse::Ok().json(NotificationCounts {
        total,
        by_status,
        by_channel,
    }))
}

/// Queue a failed message again, due now, with a fresh count of attempts (administrators).
#[utoipa::path(post, path = "/api/v1/notifications/{id}/retry", tag = "notifications",
    params(("id" = String, Path)),
    responses(
        (status = 200, description = "queued again", body = NotificationResponse),
        (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse),
        (status = 409, description = "the message is not failed (`not_failed`), or is an SMS code (`not_retryable`)", body = ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn retry_notification(
    state: State,
    admin: Admin,
    ip: ClientIp,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let Admin(who) = admin;
    let actor = ip.actor(&who);
    let id = path_id(&id, "notification")?;
    let now = state.clock.now();
    let row = state
        .write(move |c| notifications::retry(c, &actor, &id, now))
        .await?;
    state.outbox.wake_now();
    Ok(HttpResponse::Ok().json(NotificationResponse::new(row, false)))
}

/// Prometheus text: this process's delivery counters and the outbox's counts. Off with
/// `metrics.enabled = false`; behind a bearer token when `metrics.token` is set.
#[utoipa::path(get, path = "/metrics", tag = "health",
    responses(
        (status = 200, description = "Prometheus text exposition format", content_type = "text/plain", body = String),
        (status = 401, description = "`metrics.token` is set and was not presented", body = ErrorResponse),
    ))]
pub async fn metrics(state: State, req: HttpRequest) -> Result<HttpResponse, AppError> {
    let settings = &state.settings.metrics;
    if !settings.enabled {
        return Err(AppError::not_found("endpoint"));
    }
    if !settings.token.is_empty() {
        let presented = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "));
        let ok =
            presented.is_some_and(|t| constant_time_eq(t.as_bytes(), settings.token.as_bytes()));
        if !ok {
            return Err(AppError::new(
                ErrorCode::InvalidToken,
                "/metrics needs the configured metrics token",
            ));
        }
    }
    // An outage is reported, not answered 503: monitoring should see it rather than lose the
    // target.
    let counts = match state
        .read(|c| {
            Ok((
                crate::db::notifications::counts(c)?,
                crate::db::notice_queue::len(c)?,
            ))
        })
        .await
    {
        Ok(counts) => Some(counts),
        Err(e) if e.code == ErrorCode::DatabaseUnavailable => None,
        Err(e) => return Err(e),
    };
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(
            state
                .outbox
                .metrics()
                .render(counts.as_ref().map(|(c, n)| (c.as_slice(), *n))),
        ))
}

/// Compares without stopping at the first difference, so timing does not tell how much of a
/// guessed token was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
