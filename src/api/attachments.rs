//! Uploading files (multipart) and fetching them back.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;

use crate::api::State;
use crate::api::extract::{Auth, path_id};
use crate::api::types::{AttachmentResponse, ErrorResponse};
use crate::db::attachments::AttachmentRow;
use crate::db::new_id;
use crate::domain::time;
use crate::error::{AppError, ErrorKind};
use crate::service::attachments::{self, clean_file_name, path_of, sniff};

/// The schema of the upload form, for the API description.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// A JPEG, PNG, GIF or WebP photo, or a PDF; at most `attachments.max_bytes` (10 MiB).
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

fn too_large(max: u64) -> AppError {
    AppError::new(
        ErrorKind::PayloadTooLarge,
        "too_large",
        format!("a file may be at most {} MiB", max / (1024 * 1024)),
    )
}

fn bad_form(e: impl std::fmt::Display) -> AppError {
    AppError::bad_request(
        "invalid_multipart",
        format!("the upload form is malformed: {e}"),
    )
}

/// Reads the part named `file` of a multipart form: its cleaned name and bytes. A file over
/// `max` bytes is refused with 413 once it has been read past (and dropped), so that the
/// client gets the answer rather than a reset connection, up to four times `max`.
pub(crate) async fn read_file_part(
    req: &HttpRequest,
    payload: web::Payload,
    max: u64,
) -> Result<(String, Vec<u8>), AppError> {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("multipart/form-data"));
    if !is_form {
        return Err(AppError::new(
            ErrorKind::UnsupportedMediaType,
            "unsupported_media_type",
            "send the file as multipart/form-data, in a part named file",
        ));
    }
    let give_up = max.saturating_mul(4);
    let mut form = actix_multipart::Multipart::new(req.headers(), payload);
    let mut upload: Option<(String, Vec<u8>)> = None;
    let mut oversized = false;
    while let Some(part) = form.next().await {
        let mut part = part.map_err(bad_form)?;
        let wanted = upload.is_none() && part.name() == Some("file");
        let name = part
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(clean_file_name)
            .unwrap_or_else(|| clean_file_name(""));
        let mut bytes = Vec::new();
        let mut seen: u64 = 0;
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(bad_form)?;
            seen += chunk.len() as u64;
            if seen > give_up {
                return Err(too_large(max));
            }
            if wanted && seen <= max {
                bytes.extend_from_slice(&chunk);
            }
        }
        if wanted {
            oversized = seen > max;
            upload = Some((name, bytes));
        }
    }
    if oversized {
        return Err(too_large(max));
    }
    upload.ok_or_else(|| AppError::bad_request("missing_file", "the form has no part named file"))
}

/// Upload one file (the part named `file`) to attach to a ticket or comment afterwards. Its
/// type is decided from its bytes.
#[utoipa::path(post, path = "/api/v1/attachments", tag = "attachments",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = AttachmentResponse),
        (status = 400, description = "no part named file, or a malformed form", body = ErrorResponse),
        (status = 401, body = ErrorResponse),
        (status = 413, description = "the file is larger than allowed", body = ErrorResponse),
        (status = 415, description = "not a JPEG, PNG, GIF, WebP or PDF, or not a multipart form", body = ErrorResponse),
        (status = 429, description = "too many uploads in the last hour", body = ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn upload(
    state: State,
    auth: Auth,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let max = state.settings.attachments.max_bytes;
    let (file_name, bytes) = read_file_part(&req, payload, max).await?;
    if bytes.is_empty() {
        return Err(AppError::bad_request("empty_file", "the file is empty"));
    }
    let Some(content_type) = sniff(&bytes[..bytes.len().min(16)]) else {
        return Err(AppError::new(
            ErrorKind::UnsupportedMediaType,
            "unsupported_type",
            "only photos (JPEG, PNG, GIF, WebP) and PDF files can be attached",
        ));
    };
    let now = state.clock.now();
    let row = AttachmentRow {
        id: new_id(),
        uploaded_by: who.user_id.clone(),
        ticket_id: None,
        comment_id: None,
        file_name,
        content_type: content_type.into(),
        size: bytes.len() as i64,
        sha256: crate::auth::sha256_hex(&bytes),
        created_at: time::format(now),
    };
    let path = path_of(&state.settings.attachments_dir(), &row.id);
    let written = path.clone();
    web::block(move || write_durably(&written, &bytes))
        .await
        .map_err(AppError::internal)?
        .map_err(|e| AppError::internal(anyhow::anyhow!("storing an upload: {e}")))?;
    let per_hour = state.settings.attachments.uploads_per_hour;
    let stored = row.clone();
    if let Err(e) = state
        .write(move |c| attachments::record(c, &stored, per_hour, now))
        .await
    {
        // The row was not written: the file would be read by nothing.
        if let Ok(Err(removal)) = web::block(move || std::fs::remove_file(path)).await {
            tracing::warn!(error = %removal, "an upload that was not recorded could not be removed");
        }
        return Err(e);
    }
    Ok(HttpResponse::Created().json(AttachmentResponse::from(row)))
}

/// Writes the file under a temporary name, flushes it to disk and moves it into place.
fn write_durably(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let partial = path.with_extension("part");
    let mut file = std::fs::File::create(&partial)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&partial, path)
}

/// `filename*=UTF-8''…` (RFC 5987): every byte but letters, digits and `-._~` escaped.
fn encoded_file_name(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The file's bytes, to whoever may see its ticket (or to its uploader while it is attached
/// to nothing). Anyone else gets 404.
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "attachments",
    params(("id" = String, Path)),
    responses(
        (status = 200, description = "the file, with its type", content(
            (String = "image/jpeg"), (String = "image/png"), (String = "image/gif"),
            (String = "image/webp"), (String = "application/pdf"))),
        (status = 401, body = ErrorResponse),
        (status = 404, body = ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn download(
    state: State,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let id = path_id(&id, "attachment")?;
    let row = state
        .read(move |c| attachments::readable(c, &who, &id))
        .await?;
    let path = path_of(&state.settings.attachments_dir(), &row.id);
    let bytes = match web::block(move || std::fs::read(path))
        .await
        .map_err(AppError::internal)?
    {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::error!(attachment = %row.id, error = %e, "an attachment's file is missing");
            return Err(AppError::not_found("attachment"));
        }
    };
    let disposition = if row.content_type.starts_with("image/") {
        "inline"
    } else {
        "attachment"
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, row.content_type.clone()))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "{disposition}; filename*=UTF-8''{}",
                encoded_file_name(&row.file_name)
            ),
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        // Shown on its own, the file can run nothing.
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; sandbox"),
        ))
        .body(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_percent_encoded() {
        assert_eq!(encoded_file_name("a b.pdf"), "a%20b.pdf");
        assert_eq!(encoded_file_name("照片.jpg"), "%E7%85%A7%E7%89%87.jpg");
    }
}
