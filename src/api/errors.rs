//! How an error is answered: the JSON body (`ErrorResponse`) with the status its code
//! decides, `WWW-Authenticate` on 401, `Retry-After` on 429 and 503, and a log line by
//! severity; and the answers for paths and methods nobody routes.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError};

use crate::api::types;
use crate::error::{AppError, ErrorCode};

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        match self.status() {
            500 => tracing::error!(error = %self, "request failed"),
            503 => tracing::warn!(error = %self, "unavailable"),
            _ => tracing::debug!(error = %self, "request refused"),
        }
        let body = types::ErrorResponse {
            error: self.code.to_string(),
            message: self.message.clone(),
            fields: self.fields.clone(),
        };
        let mut response = HttpResponse::build(self.status_code());
        match self.status() {
            401 => {
                response
                    .insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
            }
            429 => {
                let secs = self.retry_after_secs.unwrap_or(60);
                response.insert_header((header::RETRY_AFTER, secs.to_string()));
            }
            503 => {
                response.insert_header((header::RETRY_AFTER, HeaderValue::from_static("5")));
            }
            _ => {}
        }
        response.json(body)
    }
}

/// Any path that is not routed.
pub async fn no_such_endpoint(req: HttpRequest) -> HttpResponse {
    AppError::new(
        ErrorCode::NotFound,
        format!("no endpoint {} {}", req.method(), req.path()),
    )
    .error_response()
}

/// A routed path with a method it does not take.
pub async fn method_not_allowed(req: HttpRequest) -> HttpResponse {
    AppError::new(
        ErrorCode::MethodNotAllowed,
        format!("{} is not allowed on {}", req.method(), req.path()),
    )
    .error_response()
}
