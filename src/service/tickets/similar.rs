//! Requests like one another (issue 18): for a dispatcher, the open and recently resolved
//! tickets of any enterprise like a ticket; for an enterprise typing a new request, its own
//! open tickets like what it types ("您已反映过类似问题") — never another enterprise's.
//!
//! Alike means sharing words: the request's distinctive words
//! ([`crate::search::Segmenter::similarity_words`]) are searched with OR in the full-text
//! index and ranked by it ([`ticket_words::similar`]).

use chrono::{DateTime, Duration, Utc};

use crate::auth::Principal;
use crate::db::ticket_words::{self, SimilarAmong};
use crate::db::{DbConnection, tickets as ticket_db};
use crate::domain::ticket::Role;
use crate::domain::ticket::state::Ticket;
use crate::domain::time;
use crate::error::AppError;
use crate::search::Segmenter;
use crate::service::tickets::access::load_visible;

/// How many words of a request are compared.
pub const MAX_WORDS: usize = 16;

/// The most of a description `GET /tickets/similar` takes (in a URL): its start.
pub const MAX_DESCRIPTION_CHARS: usize = 1000;

/// How far back a resolved ticket still counts for a dispatcher, days.
pub const RESOLVED_WITHIN_DAYS: i64 = 90;

/// A ticket like the one asked about.
#[derive(Debug, Clone)]
pub struct Similar {
    pub ticket: Ticket,
    /// Higher is more alike (the full-text rank; comparable within one answer only).
    pub score: f64,
    /// The compared words the ticket has too, in the order they were compared.
    pub shared_words: Vec<String>,
}

/// For a dispatcher or administrator: the open tickets, and those resolved within
/// [`RESOLVED_WITHIN_DAYS`], of any enterprise that are most like ticket `id` (itself left
/// out), looked for among the `window` most recent that share a word with it
/// ([`ticket_words::similar`]). 403 for anyone else; 404 for no such ticket.
pub fn like_ticket(
    conn: &mut DbConnection,
    segmenter: &Segmenter,
    who: &Principal,
    id: &str,
    (limit, window): (i64, i64),
    now: DateTime<Utc>,
) -> Result<Vec<Similar>, AppError> {
    if !matches!(who.role, Role::Dispatcher | Role::Admin) {
        return Err(AppError::forbidden(
            "similar requests of every enterprise are for dispatchers and administrators",
        ));
    }
    let (ticket, _) = load_visible(conn, who, id)?;
    let words = segmenter.similarity_words(&ticket.title, &ticket.description, MAX_WORDS);
    let among = SimilarAmong {
        except_id: Some(ticket.id.clone()),
        enterprise_id: None,
        resolved_since: Some(time::format(now - Duration::days(RESOLVED_WITHIN_DAYS))),
        limit,
        window,
    };
    find(conn, &words, &among)
}

/// 403 unless `who` is an enterprise's user (the filing page's hint is theirs).
pub fn may_hint(who: &Principal) -> Result<String, AppError> {
    who.enterprise_id
        .clone()
        .filter(|_| who.role == Role::Enterprise)
        .ok_or_else(|| {
            AppError::forbidden(
                "this is the filing page's hint, for an enterprise's users: staff use GET /tickets/{id}/similar",
            )
        })
}

/// For an enterprise's user: the enterprise's own open tickets most like a request being
/// written (`words` of its title and description). 403 for staff.
pub fn like_text(
    conn: &mut DbConnection,
    who: &Principal,
    words: &[String],
    limit: i64,
) -> Result<Vec<Similar>, AppError> {
    let enterprise_id = may_hint(who)?;
    let among = SimilarAmong {
        except_id: None,
        enterprise_id: Some(enterprise_id),
        resolved_since: None,
        limit,
        // Unused: an enterprise's open tickets are all ranked.
        window: ticket_words::SIMILAR_WINDOW,
    };
    find(conn, words, &among)
}

fn find(
    conn: &mut DbConnection,
    words: &[String],
    among: &SimilarAmong,
) -> Result<Vec<Similar>, AppError> {
    let rows = ticket_words::similar(conn, words, among)?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(ticket) = ticket_db::find(conn, &row.ticket_id)? else {
            continue;
        };
        let has: std::collections::HashSet<&str> = row.words.split(' ').collect();
        let shared_words = words
            .iter()
            .filter(|w| has.contains(w.as_str()))
            .cloned()
            .collect();
        out.push(Similar {
            ticket,
            score: row.score,
            shared_words,
        });
    }
    Ok(out)
}
