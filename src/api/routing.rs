//! Routing suggestions (智能分拨): `GET /tickets/{id}/routing`, the categories and lead
//! departments a ticket most likely belongs to, for the accept and assign dialogs.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::extract::{Auth, path_id};
use crate::api::state::State;
use crate::api::types::ErrorResponse;
use crate::error::AppError;
use crate::service::tickets::routing::{self, Suggested};

/// A suggested category or lead department.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoutingSuggestion {
    /// The category's or department's id.
    pub id: String,
    pub name: String,
    /// How likely it is the right one, 0 to 1 (calibrated on the district's corpus:
    /// docs/routing.md).
    pub confidence: f64,
    /// Confident enough for the dialog to pre-fill it (the first suggestion only, when its
    /// confidence reaches `prefill_confidence`).
    pub prefill: bool,
}

/// The suggestions for one ticket, the likeliest first, at most three of each; empty lists
/// when nothing like it has been assigned yet. Only suggestions: the dispatcher decides.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoutingResponse {
    pub ticket_id: String,
    pub categories: Vec<RoutingSuggestion>,
    pub departments: Vec<RoutingSuggestion>,
    /// The confidence from which a suggestion is pre-filled (`routing.prefill_confidence`).
    pub prefill_confidence: f64,
    /// How many assigned, not returned tickets the suggestions were learned from.
    pub learned_from: usize,
}

fn shaped(list: Vec<Suggested>, threshold: f64) -> Vec<RoutingSuggestion> {
    list.into_iter()
        .enumerate()
        .map(|(i, s)| RoutingSuggestion {
            prefill: i == 0 && s.confidence >= threshold,
            id: s.id,
            name: s.name,
            confidence: s.confidence,
        })
        .collect()
}

/// The likeliest categories and lead departments of a ticket, learned from the district's
/// assigned and not returned tickets, each with its confidence (dispatchers, administrators).
#[utoipa::path(get, path = "/api/v1/tickets/{id}/routing", tag = "tickets",
    params(("id" = String, Path)),
    responses((status = 200, body = RoutingResponse),
        (status = 403, description = "not a dispatcher or administrator", body = ErrorResponse),
        (status = 404, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn ticket_routing(
    state: State,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let id = path_id(&id, "ticket")?;
    let router = state.router.clone();
    let found = state
        .read(move |c| routing::suggest(c, &router, &who, &id))
        .await?;
    let threshold = state.settings.routing.prefill_confidence;
    Ok(HttpResponse::Ok().json(RoutingResponse {
        ticket_id: found.ticket_id,
        categories: shaped(found.categories, threshold),
        departments: shaped(found.departments, threshold),
        prefill_confidence: threshold,
        learned_from: found.learned_from,
    }))
}
