//! The one error type of request paths, and which error belongs where:
//!
//! - `db` functions return `diesel::QueryResult`; `domain` functions return their own small
//!   `thiserror` enums;
//! - `service` functions and HTTP handlers return [`AppError`], whose stable [`ErrorCode`]
//!   (clients switch on it, not on the message) decides its HTTP status;
//! - start-up and the command line use `anyhow`.
//!
//! Database causes are never sent to clients: a 500 says only that something failed, and the
//! cause goes to the log.

use std::collections::BTreeMap;
use std::fmt;

use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::db::PoolError;
use crate::domain::ticket::apply::Refusal;
use crate::domain::ticket::rules::TransitionError;
use crate::domain::validation::FieldErrors;

/// The stable codes of error answers: part of the API contract (clients switch on them, not
/// on the message), each with the one HTTP status it is sent with. docs/api.md lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// the body is not JSON.
    MalformedJson,
    /// the body could not be read.
    MalformedBody,
    /// a query parameter that cannot be understood.
    InvalidQuery,
    /// an upload form that is malformed.
    InvalidMultipart,
    /// an upload form without a `file` part.
    MissingFile,
    /// an empty upload.
    EmptyFile,
    /// an import that is not a workbook of the expected shape.
    InvalidSpreadsheet,
    /// `If-Match` that is not a ticket version.
    InvalidIfMatch,
    /// an `Idempotency-Key` that is not 1 to 255 visible ASCII characters.
    InvalidIdempotencyKey,
    /// no `Authorization` header.
    MissingToken,
    /// a token that is not ours, malformed or revoked.
    InvalidToken,
    /// a token past its expiry.
    TokenExpired,
    /// a wrong username or password.
    InvalidCredentials,
    /// a wrong, used or expired SMS code.
    InvalidCode,
    /// the password was set by someone else and must be changed before anything else.
    PasswordChangeRequired,
    /// the legal texts in force must be accepted before anything else.
    ConsentRequired,
    /// the caller may not do this.
    Forbidden,
    /// no such record, or not the caller's to see.
    NotFound,
    /// the path exists, not with this method.
    MethodNotAllowed,
    /// the action is not possible in the ticket's status.
    IllegalTransition,
    /// a duplicate cannot be merged into this primary (or has duplicates of its own).
    MergeRefused,
    /// a unique value is taken.
    Duplicate,
    /// a write that refers to a missing record.
    ReferenceConflict,
    /// an extension request waits for a decision already.
    ExtensionPending,
    /// the extension request was decided already.
    ExtensionDecided,
    /// a policy or an application is not in a state that allows this (a withdrawn policy
    /// amended, an application paid twice).
    WrongState,
    /// the enterprise has an application for this policy already (not refused).
    ApplicationExists,
    /// a retry of a message that has not failed.
    NotFailed,
    /// a retry of a message that may not be sent again.
    NotRetryable,
    /// a change to a weekly bulletin that is published (published bulletins never change).
    AlreadyPublished,
    /// registration with a phone that has an account.
    PhoneRegistered,
    /// registration for an enterprise registered with another contact.
    EnterpriseRegistered,
    /// a request to join an enterprise from this number waits for a decision.
    JoinPending,
    /// SMS sign-in to a number several accounts use.
    AmbiguousPhone,
    /// someone else changed the record between the read and the write.
    ConcurrentUpdate,
    /// `If-Match` names another version than the ticket's.
    VersionMismatch,
    /// a body over the size limit.
    PayloadTooLarge,
    /// an uploaded file over the size limit.
    TooLarge,
    /// a body of the wrong content type.
    UnsupportedMediaType,
    /// an uploaded file of a type we do not take.
    UnsupportedType,
    /// the body has the wrong shape or breaks a rule; see `fields`.
    ValidationFailed,
    /// rows of an import are wrong; nothing was written.
    ImportRejected,
    /// an `Idempotency-Key` used before with another body.
    IdempotencyKeyReused,
    /// too many failed sign-ins to this account lately.
    LockedOut,
    /// too many attempts or requests lately.
    TooManyRequests,
    /// anything unexpected; the cause is logged.
    InternalError,
    /// the database could not be used in time.
    DatabaseUnavailable,
    /// SMS is turned off on this server.
    SmsDisabled,
}

impl ErrorCode {
    /// The code as sent: the variant's name in snake_case.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MalformedJson => "malformed_json",
            ErrorCode::MalformedBody => "malformed_body",
            ErrorCode::InvalidQuery => "invalid_query",
            ErrorCode::InvalidMultipart => "invalid_multipart",
            ErrorCode::MissingFile => "missing_file",
            ErrorCode::EmptyFile => "empty_file",
            ErrorCode::InvalidSpreadsheet => "invalid_spreadsheet",
            ErrorCode::InvalidIfMatch => "invalid_if_match",
            ErrorCode::InvalidIdempotencyKey => "invalid_idempotency_key",
            ErrorCode::MissingToken => "missing_token",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::TokenExpired => "token_expired",
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::InvalidCode => "invalid_code",
            ErrorCode::PasswordChangeRequired => "password_change_required",
            ErrorCode::ConsentRequired => "consent_required",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::IllegalTransition => "illegal_transition",
            ErrorCode::MergeRefused => "merge_refused",
            ErrorCode::Duplicate => "duplicate",
            ErrorCode::ReferenceConflict => "reference_conflict",
            ErrorCode::WrongState => "wrong_state",
            ErrorCode::ApplicationExists => "application_exists",
            ErrorCode::ExtensionPending => "extension_pending",
            ErrorCode::ExtensionDecided => "extension_decided",
            ErrorCode::NotFailed => "not_failed",
            ErrorCode::NotRetryable => "not_retryable",
            ErrorCode::AlreadyPublished => "already_published",
            ErrorCode::PhoneRegistered => "phone_registered",
            ErrorCode::EnterpriseRegistered => "enterprise_registered",
            ErrorCode::JoinPending => "join_pending",
            ErrorCode::AmbiguousPhone => "ambiguous_phone",
            ErrorCode::ConcurrentUpdate => "concurrent_update",
            ErrorCode::VersionMismatch => "version_mismatch",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::UnsupportedType => "unsupported_type",
            ErrorCode::ValidationFailed => "validation_failed",
            ErrorCode::ImportRejected => "import_rejected",
            ErrorCode::IdempotencyKeyReused => "idempotency_key_reused",
            ErrorCode::LockedOut => "locked_out",
            ErrorCode::TooManyRequests => "too_many_requests",
            ErrorCode::InternalError => "internal_error",
            ErrorCode::DatabaseUnavailable => "database_unavailable",
            ErrorCode::SmsDisabled => "sms_disabled",
        }
    }

    pub fn status(self) -> u16 {
        match self {
            ErrorCode::MalformedJson => 400,
            ErrorCode::MalformedBody => 400,
            ErrorCode::InvalidQuery => 400,
            ErrorCode::InvalidMultipart => 400,
            ErrorCode::MissingFile => 400,
            ErrorCode::EmptyFile => 400,
            ErrorCode::InvalidSpreadsheet => 400,
            ErrorCode::InvalidIfMatch => 400,
            ErrorCode::InvalidIdempotencyKey => 400,
            ErrorCode::MissingToken => 401,
            ErrorCode::InvalidToken => 401,
            ErrorCode::TokenExpired => 401,
            ErrorCode::InvalidCredentials => 401,
            ErrorCode::InvalidCode => 401,
            ErrorCode::PasswordChangeRequired => 403,
            ErrorCode::ConsentRequired => 403,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::IllegalTransition => 409,
            ErrorCode::MergeRefused => 409,
            ErrorCode::Duplicate => 409,
            ErrorCode::ReferenceConflict => 409,
            ErrorCode::WrongState => 409,
            ErrorCode::ApplicationExists => 409,
            ErrorCode::ExtensionPending => 409,
            ErrorCode::ExtensionDecided => 409,
            ErrorCode::NotFailed => 409,
            ErrorCode::NotRetryable => 409,
            ErrorCode::AlreadyPublished => 409,
            ErrorCode::PhoneRegistered => 409,
            ErrorCode::EnterpriseRegistered => 409,
            ErrorCode::JoinPending => 409,
            ErrorCode::AmbiguousPhone => 409,
            ErrorCode::ConcurrentUpdate => 409,
            ErrorCode::VersionMismatch => 412,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::TooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::UnsupportedType => 415,
            ErrorCode::ValidationFailed => 422,
            ErrorCode::ImportRejected => 422,
            ErrorCode::IdempotencyKeyReused => 422,
            ErrorCode::LockedOut => 429,
            ErrorCode::TooManyRequests => 429,
            ErrorCode::InternalError => 500,
            ErrorCode::DatabaseUnavailable => 503,
            ErrorCode::SmsDisabled => 503,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[derive(Debug)]
pub struct AppError {
    /// Decides the HTTP status.
    pub code: ErrorCode,
    pub message: String,
    /// Field name → what is wrong with it (422, and 400 for query parameters).
    pub fields: Option<BTreeMap<String, String>>,
    /// The underlying cause, for the log only.
    pub source: Option<anyhow::Error>,
    /// Seconds after which trying again may succeed (`Retry-After` of a 429; 60 when not said).
    pub retry_after_secs: Option<i64>,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError {
            code,
            message: message.into(),
            fields: None,
            source: None,
            retry_after_secs: None,
        }
    }

    /// Says when trying again may succeed (a 429's `Retry-After`).
    pub fn retry_after(mut self, secs: i64) -> Self {
        self.retry_after_secs = Some(secs.max(1));
        self
    }

    /// A query parameter that cannot be understood.
    pub fn invalid_query(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut err = Self::new(ErrorCode::InvalidQuery, format!("{field}: {message}"));
        err.fields = Some(BTreeMap::from([(field.to_string(), message)]));
        err
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    /// `what` is the kind of thing, e.g. "ticket".
    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    pub fn validation(errors: FieldErrors) -> Self {
        let mut err = Self::new(ErrorCode::ValidationFailed, errors.to_string());
        err.fields = Some(errors.into_map());
        err
    }

    /// A validation failure of one field.
    /// The error with each of its field names prefixed (`title` → `requests[0].title`), for
    /// a part of a larger request checked on its own.
    pub fn prefixed(mut self, prefix: &str) -> Self {
        if let Some(fields) = self.fields.take() {
            let fields: BTreeMap<String, String> = fields
                .into_iter()
                .map(|(name, message)| (format!("{prefix}{name}"), message))
                .collect();
            self.message = fields
                .iter()
                .map(|(n, m)| format!("{n} {m}"))
                .collect::<Vec<_>>()
                .join("; ");
            self.fields = Some(fields);
        }
        self
    }

    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        errors.add(field, message);
        Self::validation(errors)
    }

    pub fn unavailable(cause: impl Into<anyhow::Error>) -> Self {
        let mut err = Self::new(
            ErrorCode::DatabaseUnavailable,
            "the database is unavailable; try again shortly",
        );
        err.source = Some(cause.into());
        err
    }

    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        let mut err = Self::new(ErrorCode::InternalError, "internal error");
        err.source = Some(cause.into());
        err
    }

    pub fn status(&self) -> u16 {
        self.code.status()
    }

    /// A uniqueness conflict from the database, which callers may turn into a precise message.
    pub fn is_duplicate(&self) -> bool {
        self.code == ErrorCode::Duplicate
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
                DatabaseErrorKind::UniqueViolation => AppError::new(
                    ErrorCode::Duplicate,
                    "a record with the same unique value exists",
                ),
                DatabaseErrorKind::ForeignKeyViolation => AppError::new(
                    ErrorCode::ReferenceConflict,
                    "the change refers to, or is referred to by, another record",
                ),
                DatabaseErrorKind::SerializationFailure => AppError::new(
                    ErrorCode::ConcurrentUpdate,
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
                AppError::new(ErrorCode::IllegalTransition, err.to_string())
            }
            TransitionError::RoleNotAllowed { .. } | TransitionError::NotResponsible { .. } => {
                AppError::forbidden(err.to_string())
            }
        }
    }
}

impl From<Refusal> for AppError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Transition(e) => e.into(),
            Refusal::Invalid(errors) => errors.into(),
        }
    }
}
