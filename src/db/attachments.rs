//! Files attached to tickets, their comments and their progress and resolution entries (the
//! bytes live in the attachments folder).

use diesel::prelude::*;

use super::connection::DbConnection;
use super::schema::attachments;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = attachments, treat_none_as_default_value = false)]
pub struct AttachmentRow {
    pub id: String,
    pub uploaded_by: String,
    pub ticket_id: Option<String>,
    pub comment_id: Option<String>,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub created_at: String,
    /// The timeline entry (its `seq` on the ticket) the file came with, if any.
    pub event_seq: Option<i32>,
    /// The visit (走访) the photo was taken on, instead of a ticket.
    pub visit_id: Option<String>,
    /// The policy (惠企政策) it is a document of.
    pub policy_id: Option<String>,
}

pub fn insert(conn: &mut DbConnection, row: &AttachmentRow) -> QueryResult<()> {
    diesel::insert_into(attachments::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<AttachmentRow>> {
    attachments::table
        .find(id)
        .select(AttachmentRow::as_select())
        .first(conn)
        .optional()
}

/// What an upload is linked to: a ticket, and perhaps one of its comments or timeline entries.
#[derive(Debug, Clone, Copy)]
pub struct LinkTarget<'a> {
    pub ticket_id: &'a str,
    pub comment_id: Option<&'a str>,
    /// The `seq` of the timeline entry.
    pub event_seq: Option<i32>,
}

/// Links the given uploads of `uploader` that are not linked yet to `target`; returns how many
/// were linked.
pub fn link(
    conn: &mut DbConnection,
    ids: &[String],
    uploader: &str,
    target: LinkTarget<'_>,
) -> QueryResult<usize> {
    diesel::update(
        attachments::table
            .filter(attachments::id.eq_any(ids))
            .filter(attachments::uploaded_by.eq(uploader))
            .filter(attachments::ticket_id.is_null())
            .filter(attachments::visit_id.is_null())
            .filter(attachments::policy_id.is_null()),
    )
    .set((
        attachments::ticket_id.eq(target.ticket_id),
        attachments::comment_id.eq(target.comment_id),
        attachments::event_seq.eq(target.event_seq),
    ))
    .execute(conn)
}

/// Links the given uploads of `uploader` that are not linked yet to the visit; returns how
/// many were linked.
pub fn link_to_visit(
    conn: &mut DbConnection,
    ids: &[String],
    uploader: &str,
    visit_id: &str,
) -> QueryResult<usize> {
    diesel::update(
        attachments::table
            .filter(attachments::id.eq_any(ids))
            .filter(attachments::uploaded_by.eq(uploader))
            .filter(attachments::ticket_id.is_null())
            .filter(attachments::visit_id.is_null())
            .filter(attachments::policy_id.is_null()),
    )
    .set(attachments::visit_id.eq(visit_id))
    .execute(conn)
}

/// Links the given uploads to the policy: the uploader's own unattached ones, and those
/// already the policy's (an edit that keeps them). Returns how many are the policy's now.
pub fn link_to_policy(
    conn: &mut DbConnection,
    ids: &[String],
    uploader: &str,
    policy_id: &str,
) -> QueryResult<usize> {
    let fresh = diesel::update(
        attachments::table
            .filter(attachments::id.eq_any(ids))
            .filter(attachments::uploaded_by.eq(uploader))
            .filter(attachments::ticket_id.is_null())
            .filter(attachments::visit_id.is_null())
            .filter(attachments::policy_id.is_null()),
    )
    .set(attachments::policy_id.eq(policy_id))
    .execute(conn)?;
    let _ = fresh;
    attachments::table
        .filter(attachments::id.eq_any(ids))
        .filter(attachments::policy_id.eq(policy_id))
        .count()
        .get_result::<i64>(conn)
        .map(|n| n as usize)
}

/// Unlinks the policy's documents that are not among `keep`.
pub fn unlink_from_policy(
    conn: &mut DbConnection,
    policy_id: &str,
    keep: &[String],
) -> QueryResult<usize> {
    diesel::update(
        attachments::table
            .filter(attachments::policy_id.eq(policy_id))
            .filter(attachments::id.ne_all(keep)),
    )
    .set(attachments::policy_id.eq(None::<String>))
    .execute(conn)
}

/// The documents of a policy, in upload order.
pub fn of_policy(conn: &mut DbConnection, policy_id: &str) -> QueryResult<Vec<AttachmentRow>> {
    attachments::table
        .filter(attachments::policy_id.eq(policy_id))
        .select(AttachmentRow::as_select())
        .order(attachments::id.asc())
        .load(conn)
}

/// The uploads `ids` that exist.
pub fn find_many(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<AttachmentRow>> {
    attachments::table
        .filter(attachments::id.eq_any(ids))
        .select(AttachmentRow::as_select())
        .load(conn)
}

/// The photos of each of `visit_ids`, in upload order.
pub fn list_for_visits(
    conn: &mut DbConnection,
    visit_ids: &[String],
) -> QueryResult<Vec<AttachmentRow>> {
    attachments::table
        .filter(attachments::visit_id.eq_any(visit_ids))
        .order((attachments::created_at, attachments::id))
        .select(AttachmentRow::as_select())
        .load(conn)
}

/// A ticket's attachments in upload order.
pub fn list_for_ticket(
    conn: &mut DbConnection,
    ticket_id: &str,
) -> QueryResult<Vec<AttachmentRow>> {
    on_each!(conn, c => attachments::table
        .filter(attachments::ticket_id.eq(ticket_id))
        .select(AttachmentRow::as_select())
        .order(attachments::id.asc())
        .load(c))
}

/// How many files `uploader` has sent since `since` (for the upload rate limit).
pub fn count_since(conn: &mut DbConnection, uploader: &str, since: &str) -> QueryResult<i64> {
    attachments::table
        .filter(attachments::uploaded_by.eq(uploader))
        .filter(attachments::created_at.ge(since))
        .count()
        .get_result(conn)
}

/// Which of `ids` have a record.
pub fn existing(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<String>> {
    attachments::table
        .filter(attachments::id.eq_any(ids))
        .select(attachments::id)
        .load(conn)
}

/// Removes uploads attached to nothing that were made before `cutoff` (at most `limit`);
/// returns the ids removed, whose files the caller then deletes. An upload attached by a
/// concurrent transaction meanwhile is kept, and not named.
pub fn delete_unattached_before(
    conn: &mut DbConnection,
    cutoff: &str,
    limit: i64,
) -> QueryResult<Vec<String>> {
    let candidates: Vec<String> = attachments::table
        .filter(attachments::ticket_id.is_null())
        .filter(attachments::visit_id.is_null())
        .filter(attachments::policy_id.is_null())
        .filter(attachments::created_at.lt(cutoff))
        .select(attachments::id)
        .limit(limit)
        .load(conn)?;
    if candidates.is_empty() {
        return Ok(candidates);
    }
    diesel::delete(
        attachments::table
            .filter(attachments::id.eq_any(&candidates))
            .filter(attachments::ticket_id.is_null())
            .filter(attachments::visit_id.is_null())
            .filter(attachments::policy_id.is_null()),
    )
    .execute(conn)?;
    let kept: Vec<String> = attachments::table
        .filter(attachments::id.eq_any(&candidates))
        .select(attachments::id)
        .load(conn)?;
    Ok(candidates
        .into_iter()
        .filter(|id| !kept.contains(id))
        .collect())
}
