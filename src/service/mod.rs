//! The operations of the service: each takes a connection (inside the transaction the caller
//! opened), the principal acting, and validated input; each checks scope and permission,
//! applies the domain rules and writes through the `db` repositories.

pub mod accounts;
pub mod assessments;
pub mod attachments;
pub mod audit;
pub mod bulletins;
pub mod calendar;
pub mod charts;
pub mod daily_check;
pub mod directory;
pub mod enterprise_accounts;
pub mod enterprise_import;
pub mod enterprise_profile;
pub mod extensions;
pub mod hot_topics;
pub mod ledger;
pub mod legal;
pub mod liaison;
pub mod members;
pub mod messages;
pub mod notifications;
pub mod pairing_import;
pub mod policies;
pub mod policy_applications;
pub mod policy_push;
pub mod policy_stats;
pub mod stats;
pub mod systemic;
pub mod throttle;
pub mod tickets;
pub mod traits_import;
pub mod visits;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::auth::Principal;
use crate::domain::ticket::Role;
use crate::error::AppError;

/// Refuses anyone whose role is not in `roles`.
pub fn require_role(who: &Principal, roles: &[Role]) -> Result<(), AppError> {
    if roles.contains(&who.role) {
        Ok(())
    } else {
        Err(AppError::forbidden(format!(
            "a user with the role {} may not do this",
            who.role
        )))
    }
}

/// A page of a list: the items and the cursor of the next page, if there is one.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows fetched newest first: the extra row, if
    /// present, only says that there is a next page.
    pub fn from_rows(mut rows: Vec<T>, limit: i64, id_of: impl Fn(&T) -> &str) -> Page<T> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|r| encode_cursor(id_of(r)))
        } else {
            None
        };
        Page {
            items: rows,
            next_cursor,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

/// Cursors are opaque to clients: the id of the last item, encoded.
pub fn encode_cursor(id: &str) -> String {
    URL_SAFE_NO_PAD.encode(id.as_bytes())
}

/// The cursor of a list ordered by relevance, which has no id to continue after: the
/// position of the next page's first item, encoded (`@40`).
pub fn encode_offset_cursor(offset: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("@{offset}").as_bytes())
}

/// The position an [`encode_offset_cursor`] cursor names.
pub fn decode_offset_cursor(cursor: &str) -> Result<i64, AppError> {
    URL_SAFE_NO_PAD
        .decode(cursor.as_bytes())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix('@')?.parse::<i64>().ok())
        .filter(|n| *n >= 0)
        .ok_or_else(|| {
            AppError::invalid_query(
                "cursor",
                "is not a cursor this service gave out for this order (pass the same sort)",
            )
        })
}

pub fn decode_cursor(cursor: &str) -> Result<String, AppError> {
    URL_SAFE_NO_PAD
        .decode(cursor.as_bytes())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .filter(|id| uuid::Uuid::parse_str(id).is_ok())
        .ok_or_else(|| AppError::invalid_query("cursor", "is not a cursor this service gave out"))
}
