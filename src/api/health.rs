//! Liveness and readiness probes.

use actix_web::HttpResponse;
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::State;

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthResponse {
    /// `ok`, `ready` or `not_ready`.
    pub status: String,
    /// `postgresql` or `sqlite`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, body = HealthResponse)))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(HealthResponse {
        status: "ok".into(),
        database: None,
        detail: None,
    })
}

/// The database answers.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses((status = 200, body = HealthResponse), (status = 503, body = HealthResponse)))]
pub async fn readyz(state: State) -> HttpResponse {
    let backend = state.db.backend().as_str().to_string();
    let db = state.db.clone();
    let result = actix_web::web::block(move || db.ping()).await;
    match result {
        Ok(Ok(())) => HttpResponse::Ok().json(HealthResponse {
            status: "ready".into(),
            database: Some(backend),
            detail: None,
        }),
        Ok(Err(e)) => {
            tracing::warn!(error = %format!("{e:#}"), "readiness check failed");
            HttpResponse::ServiceUnavailable().json(HealthResponse {
                status: "not_ready".into(),
                database: Some(backend),
                detail: Some("the database does not answer".into()),
            })
        }
        Err(e) => HttpResponse::ServiceUnavailable().json(HealthResponse {
            status: "not_ready".into(),
            database: Some(backend),
            detail: Some(e.to_string()),
        }),
    }
}
