//! The one error type of request paths, and which error belongs where:
//!
//! - `db` functions return `diesel::QueryResult`; `domain` functions return their own small
//!   `thiserror` enums;
//! - `service` functions and HTTP handlers return [`AppError`], which knows its HTTP status and
//!   its stable `code` (clients switch on the code, not on the message);
//! - start-up and the command line use `anyhow`.
//!
//! Database causes are never sent to clients: a 500 says only that something failed, and the
//! cause goes to the log.

use std::collections::BTreeMap;
use std::fmt;

use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::db::PoolError;
use crate::domain::ticket::rules::TransitionError;
use crate::domain::validation::FieldErrors;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    PreconditionFailed,
    PayloadTooLarge,
    UnsupportedMediaType,
    Validation,
    TooManyRequests,
    Unavailable,
    Internal,
}

impl ErrorKind {
    pub fn status(self) -> u16 {
        match self {
            ErrorKind::BadRequest => 400,
            ErrorKind::Unauthorized => 401,
            ErrorKind::Forbidden => 403,
            ErrorKind::NotFound => 404,
            ErrorKind::MethodNotAllowed => 405,
            ErrorKind::Conflict => 409,
            ErrorKind::PreconditionFailed => 412,
            ErrorKind::PayloadTooLarge => 413,
            ErrorKind::UnsupportedMediaType => 415,
            ErrorKind::Validation => 422,
            ErrorKind::TooManyRequests => 429,
            ErrorKind::Unavailable => 503,
            ErrorKind::Internal => 500,
        }
    }
}

#[derive(Debug)]
pub struct AppError {
    pub kind: ErrorKind,
    /// Stable snake_case code, part of the API contract.
    pub code: &'static str,
    pub message: String,
    /// Field name → what is wrong with it (422, and 400 for query parameters).
    pub fields: Option<BTreeMap<String, String>>,
    /// The underlying cause, for the log only.
    pub source: Option<anyhow::Error>,
}

impl AppError {
    pub fn new(kind: ErrorKind, code: &'static str, message: impl Into<String>) -> Self {
        AppError {
            kind,
            code,
            message: message.into(),
            fields: None,
            source: None,
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadRequest, code, message)
    }

    /// A query parameter that cannot be understood.
    pub fn invalid_query(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut err = Self::bad_request("invalid_query", format!("{field}: {message}"));
        err.fields = Some(BTreeMap::from([(field.to_string(), message)]));
        err
    }

    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unauthorized, code, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Forbidden, "forbidden", message)
    }

    /// `what` is the kind of thing, e.g. "ticket".
    pub fn not_found(what: &str) -> Self {
        Self::new(
            ErrorKind::NotFound,
            "not_found",
            format!("{what} not found"),
        )
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, code, message)
    }

    pub fn validation(errors: FieldErrors) -> Self {
        let mut err = Self::new(
            ErrorKind::Validation,
            "validation_failed",
            errors.to_string(),
        );
        err.fields = Some(errors.into_map());
        err
    }

    /// A validation failure of one field.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        errors.add(field, message);
        Self::validation(errors)
    }

    pub fn unavailable(cause: impl Into<anyhow::Error>) -> Self {
        let mut err = Self::new(
            ErrorKind::Unavailable,
            "database_unavailable",
            "the database is unavailable; try again shortly",
        );
        err.source = Some(cause.into());
        err
    }

    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        let mut err = Self::new(ErrorKind::Internal, "internal_error", "internal error");
        err.source = Some(cause.into());
        err
    }

    pub fn status(&self) -> u16 {
        self.kind.status()
    }

    /// A uniqueness conflict from the database, which callers may turn into a precise message.
    pub fn is_duplicate(&self) -> bool {
        self.code == "duplicate"
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status(), self.message)?;
        if let Some(source) = &self.source {
            write!(f, ": {source:#}")?;
        }
        Ok(())
    }
}

impl std::error::Error for AppError {}

impl From<DieselError> for AppError {
    fn from(err: DieselError) -> Self {
        match &err {
            DieselError::NotFound => AppError::not_found("record"),
            DieselError::DatabaseError(kind, _) => match kind {
                DatabaseErrorKind::UniqueViolation => {
                    AppError::conflict("duplicate", "a record with the same unique value exists")
                }
                DatabaseErrorKind::ForeignKeyViolation => AppError::conflict(
                    "reference_conflict",
                    "the change refers to, or is referred to by, another record",
                ),
                DatabaseErrorKind::SerializationFailure => AppError::conflict(
                    "concurrent_update",
                    "the record was changed at the same time; try again",
                ),
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand => {
                    AppError::unavailable(err)
                }
                _ => AppError::internal(err),
            },
            _ => AppError::internal(err),
        }
    }
}

impl From<PoolError> for AppError {
    fn from(err: PoolError) -> Self {
        AppError::unavailable(err)
    }
}

impl From<FieldErrors> for AppError {
    fn from(errors: FieldErrors) -> Self {
        AppError::validation(errors)
    }
}

impl From<TransitionError> for AppError {
    fn from(err: TransitionError) -> Self {
        match err {
            TransitionError::Illegal { .. } => {
                AppError::conflict("illegal_transition", err.to_string())
            }
            TransitionError::RoleNotAllowed { .. } | TransitionError::NotResponsible { .. } => {
                AppError::forbidden(err.to_string())
            }
        }
    }
}
