//! Liveness and readiness probes.

use actix_web::HttpResponse;
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::state::State;
use crate::error::AppError;

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthResponse {
    /// `ok`, `ready` or `not_ready`.
    pub status: String,
    /// `postgresql` or `sqlite`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// What works, but not as it should: e.g. no holiday calendar for this or next year.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, body = HealthResponse)))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(HealthResponse {
        status: "ok".into(),
        database: None,
        detail: None,
        warnings: Vec::new(),
    })
}

/// The database answers.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses((status = 200, body = HealthResponse), (status = 503, body = HealthResponse)))]
pub async fn readyz(state: State) -> HttpResponse {
    let backend = state.db.backend().as_str().to_string();
    let warnings: Vec<String> = state
        .calendar
        .missing_near(state.clock.now())
        .into_iter()
        .map(|year| format!("no holiday calendar for {year}: its deadlines count Monday to Friday"))
        .collect();
    let result = state
        .db
        .run_async(|db| db.ping().map_err(AppError::unavailable))
        .await;
    match result {
        Ok(()) => HttpResponse::Ok().json(HealthResponse {
            status: "ready".into(),
            database: Some(backend),
            detail: None,
            warnings,
        }),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable().json(HealthResponse {
                status: "not_ready".into(),
                database: Some(backend),
                detail: Some("the database does not answer".into()),
                warnings,
            })
        }
    }
}
