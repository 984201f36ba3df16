//! Signed download links: a download the page may open by plain navigation, without an
//! `Authorization` header, for browsers that cannot save what a script fetched (WeChat's
//! built-in browser does not save `blob:` URLs). The signed-in page asks for a link to one of
//! the allowed downloads; the link names the user, that download (path and query) and an
//! expiry a minute away, signed with the service's secret; opening it serves the download as
//! that user, as they are now (a disabled user's link fails). docs/security.md says why the
//! token may sit in a URL.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::export::{self, AssessmentQuery};
use crate::api::extract::{ApiJson, Auth, ClientIp};
use crate::api::state::State;
use crate::api::tickets::{TicketListQuery, list_filter};
use crate::api::types::ErrorResponse;
use crate::auth::{Principal, TokenError};
use crate::db::users;
use crate::domain::ticket::Role;
use crate::domain::time;
use crate::error::{AppError, ErrorCode};
use crate::service::accounts::principal_of;
use crate::service::require_role;

/// How long a link may be opened, in seconds: long enough to be opened right away, short
/// enough that one copied out of a log or a history is of no use.
pub const LINK_SECS: i64 = 60;

/// The longest `path` a link is made for.
pub const MAX_PATH_CHARS: usize = 2000;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DownloadLinkRequest {
    /// The download as the page would fetch it, with its query: `/api/v1/ledger.xlsx`,
    /// `/api/v1/ledger.csv` (with the ticket list's filters), `/api/v1/stats/assessment.xlsx`
    /// (`?month=`), `/api/v1/enterprises/import-template.xlsx`,
    /// `/api/v1/enterprises/pairings-template.xlsx`,
    /// `/api/v1/enterprises/traits-template.xlsx`,
    /// `/api/v1/attachments/{id}`, `/api/v1/bulletins/{id}/bulletin.docx` or
    /// `/api/v1/bulletins/{id}/tables.xlsx`. At most 2,000 characters.
    #[schema(example = "/api/v1/ledger.xlsx?status=closed")]
    pub path: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DownloadLinkResponse {
    /// Where to navigate: `/api/v1/downloads/{token}`.
    pub url: String,
    /// Seconds the link may be opened for.
    pub expires_in: i64,
}

/// The downloads a link can be made for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Download {
    Ledger {
        xlsx: bool,
        query: String,
    },
    Assessment {
        query: String,
    },
    /// The empty sheet of one of the imports.
    ImportTemplate {
        template: Template,
    },
    Attachment {
        id: String,
    },
    Bulletin {
        id: String,
        workbook: bool,
    },
    /// The year's 集中兑付 list of policy payments.
    Payouts {
        query: String,
    },
}

/// The import templates: the enterprise ledger (administrators), the pairing sheet
/// (administrators), enterprises' information (administrators and dispatchers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Template {
    Enterprises,
    Pairings,
    Traits,
}

impl Download {
    /// The allowed download a path (with its query) names, if any.
    fn of(path: &str) -> Option<Download> {
        if path
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '#')
        {
            return None;
        }
        let (route, query) = path.split_once('?').unwrap_or((path, ""));
        let query = query.to_string();
        let found = match route {
            "/api/v1/ledger.xlsx" => Download::Ledger { xlsx: true, query },
            "/api/v1/ledger.csv" => Download::Ledger { xlsx: false, query },
            "/api/v1/stats/assessment.xlsx" => Download::Assessment { query },
            "/api/v1/policies/payouts.xlsx" => Download::Payouts { query },
            "/api/v1/enterprises/import-template.xlsx" if query.is_empty() => {
                Download::ImportTemplate {
                    template: Template::Enterprises,
                }
            }
            "/api/v1/enterprises/pairings-template.xlsx" if query.is_empty() => {
                Download::ImportTemplate {
                    template: Template::Pairings,
                }
            }
            "/api/v1/enterprises/traits-template.xlsx" if query.is_empty() => {
                Download::ImportTemplate {
                    template: Template::Traits,
                }
            }
            _ if route.starts_with("/api/v1/bulletins/") => {
                let rest = route.strip_prefix("/api/v1/bulletins/")?;
                let (id, file) = rest.split_once('/')?;
                let workbook = match file {
                    "bulletin.docx" => false,
                    "tables.xlsx" => true,
                    _ => return None,
                };
                if id.is_empty() || !query.is_empty() {
                    return None;
                }
                Download::Bulletin {
                    id: id.to_string(),
                    workbook,
                }
            }
            _ => {
                let id = route.strip_prefix("/api/v1/attachments/")?;
                if id.is_empty() || id.contains('/') || !query.is_empty() {
                    return None;
                }
                Download::Attachment { id: id.to_string() }
            }
        };
        Some(found)
    }
}

fn ledger_query(query: &str) -> Result<TicketListQuery, AppError> {
    web::Query::<TicketListQuery>::from_query(query)
        .map(web::Query::into_inner)
        .map_err(|e| {
            AppError::new(
                ErrorCode::InvalidQuery,
                format!("the query string is not valid: {e}"),
            )
        })
}

fn assessment_query(query: &str) -> Result<AssessmentQuery, AppError> {
    web::Query::<AssessmentQuery>::from_query(query)
        .map(web::Query::into_inner)
        .map_err(|e| {
            AppError::new(
                ErrorCode::InvalidQuery,
                format!("the query string is not valid: {e}"),
            )
        })
}

/// A link to one of the downloads, for the signed-in caller, to be opened within a minute by
/// plain navigation (no `Authorization` header): for browsers that cannot save a download a
/// script fetched, such as WeChat's. Opening it serves the download as the caller, with their
/// scope and status as they are then. A ledger's query is checked now, as the ledger checks
/// it.
#[utoipa::path(post, path = "/api/v1/downloads", tag = "downloads",
    request_body = DownloadLinkRequest,
    responses(
        (status = 200, body = DownloadLinkResponse),
        (status = 400, description = "the ledger's query is not valid", body = ErrorResponse),
        (status = 422, description = "`path` is not one of the downloads a link can be made for", body = ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn create_link(
    state: State,
    auth: Auth,
    body: ApiJson<DownloadLinkRequest>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let ApiJson(req) = body;
    let path = req.path.trim();
    if path.chars().count() > MAX_PATH_CHARS {
        return Err(AppError::invalid_field(
            "path",
            format!("at most {MAX_PATH_CHARS} characters"),
        ));
    }
    let Some(download) = Download::of(path) else {
        return Err(AppError::invalid_field(
            "path",
            "is not a download a link can be made for (the ledger, the assessment workbook, \
             an import template, an attachment, a bulletin's document or tables, the \
             policy payout list)",
        ));
    };
    let now = state.clock.now();
    if let Download::Ledger { query, .. } = &download {
        list_filter(&ledger_query(query)?, &time::format(now), &state.segmenter)?;
    }
    if let Download::Assessment { query } = &download {
        assessment_query(query)?;
    }
    if let Download::Payouts { query } = &download {
        payouts_query(query)?;
    }
    let token = state
        .tokens
        .issue_download(&who.user_id, path, now, LINK_SECS)
        .map_err(AppError::internal)?;
    Ok(HttpResponse::Ok().json(DownloadLinkResponse {
        url: format!("/api/v1/downloads/{token}"),
        expires_in: LINK_SECS,
    }))
}

/// The user a link was made for, as they are now: 403 when disabled, or while they must
/// change their password.
async fn holder(state: &State, user_id: String) -> Result<Principal, AppError> {
    let user = state
        .read(move |c| Ok(users::find(c, &user_id)?))
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::InvalidToken, "the download link is not valid"))?;
    if user.disabled {
        return Err(AppError::forbidden("this account is disabled"));
    }
    let who = principal_of(&user);
    if who.must_change_password {
        return Err(AppError::new(
            ErrorCode::PasswordChangeRequired,
            "choose a password of your own first (POST /api/v1/me/password)",
        ));
    }
    Ok(who)
}

/// The download a link names, as its user may have it now. No `Authorization` header: the
/// token is the credential, good for a minute and for that download only. 401 when the link
/// is not ours or was altered (`invalid_token`) or has expired (`token_expired`); 403 when its
/// user has been disabled; otherwise what the download itself answers.
#[utoipa::path(get, path = "/api/v1/downloads/{token}", tag = "downloads",
    params(("token" = String, Path, description = "From POST /api/v1/downloads")),
    responses(
        (status = 200, description = "the download, as its own route serves it"),
        (status = 401, description = "the link is not valid, or has expired", body = ErrorResponse),
        (status = 403, description = "the link's user is disabled, or may not have this download", body = ErrorResponse),
        (status = 404, description = "the attachment is not the link's user's to see", body = ErrorResponse),
    ))]
pub async fn open_link(
    state: State,
    ip: ClientIp,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let grant = state
        .tokens
        .verify_download(&token, state.clock.now())
        .map_err(|e| match e {
            TokenError::Expired => AppError::new(
                ErrorCode::TokenExpired,
                "the download link has expired: download again from the page",
            ),
            TokenError::Invalid => {
                AppError::new(ErrorCode::InvalidToken, "the download link is not valid")
            }
        })?;
    let download = Download::of(&grant.path)
        .ok_or_else(|| AppError::new(ErrorCode::InvalidToken, "the download link is not valid"))?;
    let who = holder(&state, grant.user_id).await?;
    match download {
        Download::Ledger { xlsx, query } => {
            let parsed = ledger_query(&query)?;
            export::ledger(state, Auth(who), (ip, query), parsed, xlsx).await
        }
        Download::Assessment { query } => {
            let parsed = assessment_query(&query)?;
            export::assessment_of(state, Auth(who), (ip, query), parsed).await
        }
        Download::ImportTemplate { template } => match template {
            Template::Enterprises => {
                require_role(&who, &[Role::Admin])?;
                crate::api::enterprise_import::template_workbook().await
            }
            Template::Pairings => {
                require_role(&who, &[Role::Admin])?;
                crate::api::liaison::pairings_template_workbook().await
            }
            Template::Traits => {
                crate::api::traits_import::traits_template_workbook(state, &who).await
            }
        },
        Download::Attachment { id } => crate::api::attachments::serve(state, who, &id).await,
        Download::Bulletin { id, workbook } => {
            crate::api::bulletins::file_of(state, who, id, workbook).await
        }
        Download::Payouts { query } => {
            let year = payouts_query(&query)?.year;
            crate::api::policies::payouts_of(state, who, year).await
        }
    }
}

fn payouts_query(query: &str) -> Result<crate::api::policies::PayoutQuery, AppError> {
    web::Query::<crate::api::policies::PayoutQuery>::from_query(query)
        .map(web::Query::into_inner)
        .map_err(|e| {
            AppError::new(
                ErrorCode::InvalidQuery,
                format!("the query string is not valid: {e}"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_made_only_for_the_downloads() {
        assert_eq!(
            Download::of("/api/v1/ledger.xlsx?status=closed"),
            Some(Download::Ledger {
                xlsx: true,
                query: "status=closed".into()
            })
        );
        assert_eq!(
            Download::of("/api/v1/attachments/0190abcd"),
            Some(Download::Attachment {
                id: "0190abcd".into()
            })
        );
        assert_eq!(
            Download::of("/api/v1/enterprises/import-template.xlsx"),
            Some(Download::ImportTemplate {
                template: Template::Enterprises
            })
        );
        assert_eq!(
            Download::of("/api/v1/enterprises/pairings-template.xlsx"),
            Some(Download::ImportTemplate {
                template: Template::Pairings
            })
        );
        assert_eq!(
            Download::of("/api/v1/enterprises/traits-template.xlsx"),
            Some(Download::ImportTemplate {
                template: Template::Traits
            })
        );
        assert_eq!(
            Download::of("/api/v1/enterprises/traits-template.xlsx?x=1"),
            None
        );
        assert_eq!(
            Download::of("/api/v1/bulletins/0190ab/tables.xlsx"),
            Some(Download::Bulletin {
                id: "0190ab".into(),
                workbook: true
            })
        );
        for refused in [
            "/api/v1/tickets",
            "/api/v1/me",
            "/api/v1/attachments/",
            "/api/v1/attachments/a/b",
            "/api/v1/attachments/a?x=1",
            "/api/v1/ledger.xlsx#x",
            "/api/v1/ledger.xlsx?q=a b",
            "https://example.com/api/v1/ledger.xlsx",
            "/api/v1/downloads/x",
            "/api/v1/bulletins/0190ab",
            "/api/v1/bulletins/0190ab/publish",
            "/api/v1/bulletins//bulletin.docx",
            "/api/v1/bulletins/a/b/bulletin.docx",
        ] {
            assert_eq!(Download::of(refused), None, "{refused}");
        }
    }
}
