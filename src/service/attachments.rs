//! Attachments: photos and PDFs uploaded by users, linked to a ticket (or one of its
//! comments) when that is written, and given only to those who may see the ticket.
//!
//! The bytes are kept under the attachments folder as `<last two characters of the
//! id>/<id>`; the type is decided from the bytes, never from the name or the browser.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::auth::Principal;
use crate::db::DbConnection;
use crate::db::attachments::{self, AttachmentRow};
use crate::db::comments;
use crate::domain::ticket::Role;
use crate::domain::time;
use crate::error::{AppError, ErrorCode};
use crate::service::tickets::access::load_visible;

/// At most this many files on one ticket filing or comment.
pub const MAX_PER_ITEM: usize = 9;

/// The types we accept, recognised by their first bytes.
pub fn sniff(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        Some("image/webp")
    } else if head.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

/// A file name fit to store and send back: its last path part, without control characters
/// or quotes, at most 100 characters; `附件` when nothing is left.
pub fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | '|' | '*' | '?' | ':'))
        .take(100)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    if cleaned.is_empty() {
        "附件".to_string()
    } else {
        cleaned
    }
}

/// Where an attachment's bytes are.
pub fn path_of(dir: &Path, id: &str) -> PathBuf {
    let shard: String = id
        .chars()
        .rev()
        .take(2)
        .collect::<String>()
        .chars()
        .rev()
        .collect();
    dir.join(shard).join(id)
}

/// Records an upload whose bytes are already in place. `per_hour` bounds how many files one
/// user may upload an hour.
pub fn record(
    conn: &mut DbConnection,
    row: &AttachmentRow,
    per_hour: i64,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let hour_ago = time::format(now - chrono::Duration::hours(1));
    if attachments::count_since(conn, &row.uploaded_by, &hour_ago)? >= per_hour {
        return Err(AppError::new(
            ErrorCode::TooManyRequests,
            format!("at most {per_hour} files an hour; try again later"),
        ));
    }
    attachments::insert(conn, row)?;
    Ok(())
}

/// What is wrong with the ids a filing or comment names, if anything: more than
/// [`MAX_PER_ITEM`], or one named twice.
pub fn ids_problem(ids: &[String]) -> Option<String> {
    if ids.len() > MAX_PER_ITEM {
        return Some(format!("at most {MAX_PER_ITEM} files"));
    }
    let mut sorted = ids.to_vec();
    sorted.sort();
    sorted.dedup();
    (sorted.len() != ids.len()).then(|| "names a file twice".to_string())
}

/// Refuses what [`ids_problem`] finds.
pub fn check_ids(ids: &[String]) -> Result<(), AppError> {
    match ids_problem(ids) {
        Some(problem) => Err(AppError::invalid_field("attachment_ids", problem)),
        None => Ok(()),
    }
}

/// Links `who`'s uploads to the ticket (and comment), in the caller's transaction; refuses
/// ids that are not `who`'s unlinked uploads.
pub fn link(
    conn: &mut DbConnection,
    who: &Principal,
    ids: &[String],
    ticket_id: &str,
    comment_id: Option<&str>,
) -> Result<(), AppError> {
    if ids.is_empty() {
        return Ok(());
    }
    check_ids(ids)?;
    let linked = attachments::link(conn, ids, &who.user_id, ticket_id, comment_id)?;
    if linked != ids.len() {
        return Err(AppError::invalid_field(
            "attachment_ids",
            "names a file that is not an unattached upload of yours",
        ));
    }
    Ok(())
}

/// The attachment, if `who` may have it: its uploader while it is attached to nothing, and
/// afterwards whoever may see the ticket (and, for an internal comment's file, staff only).
/// Anyone else is told it does not exist.
pub fn readable(
    conn: &mut DbConnection,
    who: &Principal,
    id: &str,
) -> Result<AttachmentRow, AppError> {
    let missing = || AppError::not_found("attachment");
    let row = attachments::find(conn, id)?.ok_or_else(missing)?;
    let Some(ticket_id) = row.ticket_id.as_deref() else {
        return if row.uploaded_by == who.user_id {
            Ok(row)
        } else {
            Err(missing())
        };
    };
    match load_visible(conn, who, ticket_id) {
        Ok(_) => {}
        Err(e) if matches!(e.code, ErrorCode::NotFound | ErrorCode::Forbidden) => {
            return Err(missing());
        }
        Err(e) => return Err(e),
    }
    if let Some(comment_id) = row.comment_id.as_deref()
        && who.role == Role::Enterprise
    {
        let visible = comments::list_for_ticket(conn, ticket_id, false)?
            .iter()
            .any(|c| c.id == comment_id);
        if !visible {
            return Err(missing());
        }
    }
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_bytes() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0rest"), Some("image/jpeg"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nIHDR"), Some("image/png"));
        assert_eq!(sniff(b"GIF89a..."), Some("image/gif"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"%PDF-1.7\n"), Some("application/pdf"));
        for bad in [
            &b"<svg xmlns='http://www.w3.org/2000/svg'>"[..],
            b"<html><script>",
            b"MZ\x90\0",
            b"RIFF\0\0\0\0WAVE",
            b"",
        ] {
            assert_eq!(sniff(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn file_names_lose_paths_and_dangerous_characters() {
        assert_eq!(
            clean_file_name("C:\\Users\\a\\现场照片.jpg"),
            "现场照片.jpg"
        );
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name("a\"b<c>.png"), "abc.png");
        assert_eq!(clean_file_name("\u{0}\n"), "附件");
        assert_eq!(clean_file_name(".htaccess"), "htaccess");
        assert_eq!(clean_file_name(&"长".repeat(300)).chars().count(), 100);
    }

    #[test]
    fn files_are_sharded_by_the_end_of_their_id() {
        let p = path_of(Path::new("/d"), "0190abcd-ef12");
        assert_eq!(p, PathBuf::from("/d/12/0190abcd-ef12"));
    }
}
