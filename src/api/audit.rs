//! Reading the audit log (administrators). There is no endpoint that changes it.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::extract::Admin;
use crate::api::params::{cursor_id, page_limit};
use crate::api::state::State;
use crate::api::tickets::instant;
use crate::api::types::ErrorResponse;
use crate::db::audit_log::{AuditFilter, AuditRow};
use crate::domain::ticket::Role;
use crate::error::AppError;
use crate::service::audit;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub actor_id: Option<String>,
    /// An action (`user.update`), or every action on a kind of record (`user.`).
    pub action: Option<String>,
    pub target_id: Option<String>,
    /// At or after: RFC 3339, or a date meaning its start in China.
    pub from: Option<String>,
    /// Before: RFC 3339, or a date meaning its start in China.
    pub to: Option<String>,
    /// Page size, 1 to 100 (default 20).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One administrative action.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditResponse {
    pub id: String,
    pub at: String,
    pub actor_id: Option<String>,
    pub actor_role: Role,
    /// The client's address.
    pub ip: String,
    /// user.create, user.update, user.password_change, department.create, department.update, enterprise.create,
    /// enterprise.update, enterprise.import, category.create, category.update, calendar.put,
    /// notification.retry, export.ledger, export.assessment.
    pub action: String,
    pub target_type: String,
    pub target_id: Option<String>,
    /// What changed (field names, not values), an export's format and query, an import's counts.
    #[schema(value_type = Option<Object>)]
    pub detail: Option<serde_json::Value>,
}

impl From<AuditRow> for AuditResponse {
    fn from(r: AuditRow) -> Self {
        AuditResponse {
            id: r.id,
            at: r.at,
            actor_id: r.actor_id,
            actor_role: r.actor_role,
            ip: r.ip,
            action: r.action,
            target_type: r.target_type,
            target_id: r.target_id,
            // We wrote it; an unreadable one is shown as its text.
            detail: r
                .detail
                .map(|d| serde_json::from_str(&d).unwrap_or(serde_json::Value::String(d))),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditList {
    pub items: Vec<AuditResponse>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// The audit log, newest first (administrators).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit",
    params(AuditQuery),
    responses((status = 200, body = AuditList), (status = 400, body = ErrorResponse), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn list_audit(
    state: State,
    admin: Admin,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    let Admin(who) = admin;
    let q = query.into_inner();
    let limit = page_limit(&state, q.limit)?;
    let text = |v: Option<String>| v.map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let filter = AuditFilter {
        actor_id: text(q.actor_id),
        action: text(q.action),
        target_id: text(q.target_id),
        from: instant("from", q.from.as_deref())?,
        to: instant("to", q.to.as_deref())?,
        before_id: cursor_id(q.cursor.as_deref())?,
    };
    let page = state
        .read(move |c| audit::list(c, &who, &filter, limit))
        .await?;
    Ok(HttpResponse::Ok().json(AuditList {
        items: page.items.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
}
