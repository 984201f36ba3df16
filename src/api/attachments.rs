//! Uploading files (multipart) and fetching them back.

use std::path::PathBuf;

use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::api::extract::{Auth, path_id};
use crate::api::state::State;
use crate::api::types::{AttachmentResponse, ErrorResponse};
use crate::db::attachments::AttachmentRow;
use crate::db::new_id;
use crate::domain::time;
use crate::error::{AppError, ErrorCode};
use crate::service::attachments::{self, clean_file_name, path_of, type_of_file};

/// The schema of the upload form, for the API description.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// A JPEG, PNG, GIF or WebP photo, a PDF, or a Word (.doc, .docx) or Excel (.xls, .xlsx)
    /// document without macros; at most `attachments.max_bytes` (10 MiB). The type is told
    /// from the bytes, not the name: anything else is refused with 415 `unsupported_type`.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

fn too_large(max: u64) -> AppError {
    AppError::new(
        ErrorCode::TooLarge,
        format!("a file may be at most {} MiB", max / (1024 * 1024)),
    )
}

fn bad_form(e: impl std::fmt::Display) -> AppError {
    AppError::new(
        ErrorCode::InvalidMultipart,
        format!("the upload form is malformed: {e}"),
    )
}

/// Where the bytes of the uploaded part go as they arrive.
pub(crate) trait PartSink {
    async fn take(&mut self, chunk: Bytes) -> Result<(), AppError>;
}

/// Into memory, for files that are read whole anyway (an import's workbook).
impl PartSink for Vec<u8> {
    async fn take(&mut self, chunk: Bytes) -> Result<(), AppError> {
        self.extend_from_slice(&chunk);
        Ok(())
    }
}

/// Feeds the part named `file` of a multipart form to `sink` and returns its cleaned name.
/// A file over `max` bytes is refused with 413 once it has been read past (what is over is
/// dropped, not kept), so that the client gets the answer rather than a reset connection, up
/// to four times `max`.
pub(crate) async fn receive_file_part(
    req: &HttpRequest,
    payload: web::Payload,
    max: u64,
    sink: &mut impl PartSink,
) -> Result<String, AppError> {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("multipart/form-data"));
    if !is_form {
        return Err(AppError::new(
            ErrorCode::UnsupportedMediaType,
            "send the file as multipart/form-data, in a part named file",
        ));
    }
    let give_up = max.saturating_mul(4);
    let mut form = actix_multipart::Multipart::new(req.headers(), payload);
    let mut received: Option<String> = None;
    let mut oversized = false;
    while let Some(part) = form.next().await {
        let mut part = part.map_err(bad_form)?;
        let wanted = received.is_none() && part.name() == Some("file");
        let name = part
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(clean_file_name)
            .unwrap_or_else(|| clean_file_name(""));
        let mut seen: u64 = 0;
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(bad_form)?;
            seen += chunk.len() as u64;
            if seen > give_up {
                return Err(too_large(max));
            }
            if wanted && seen <= max {
                sink.take(chunk).await?;
            }
        }
        if wanted {
            oversized = seen > max;
            received = Some(name);
        }
    }
    if oversized {
        return Err(too_large(max));
    }
    received.ok_or_else(|| AppError::new(ErrorCode::MissingFile, "the form has no part named file"))
}

/// Reads the part named `file` of a multipart form whole: its cleaned name and bytes.
pub(crate) async fn read_file_part(
    req: &HttpRequest,
    payload: web::Payload,
    max: u64,
) -> Result<(String, Vec<u8>), AppError> {
    let mut bytes = Vec::new();
    let name = receive_file_part(req, payload, max, &mut bytes).await?;
    Ok((name, bytes))
}

/// What a [`FileSink`] wrote.
struct Written {
    size: u64,
    sha256: String,
    /// The first bytes, to tell the type by.
    head: Vec<u8>,
}

/// Into a file, written on a blocking thread behind a bounded channel: the server holds a
/// few chunks of an upload, not the upload.
struct FileSink {
    tx: Option<mpsc::Sender<Bytes>>,
    writer: tokio::task::JoinHandle<std::io::Result<Written>>,
}

impl FileSink {
    /// Starts writing `partial`.
    fn create(partial: PathBuf) -> FileSink {
        let (tx, mut rx) = mpsc::channel::<Bytes>(4);
        let writer = tokio::task::spawn_blocking(move || {
            use sha2::Digest;
            use std::io::Write;
            if let Some(dir) = partial.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let mut file = std::fs::File::create(&partial)?;
            let mut hash = sha2::Sha256::new();
            let (mut size, mut head) = (0u64, Vec::with_capacity(16));
            while let Some(chunk) = rx.blocking_recv() {
                file.write_all(&chunk)?;
                hash.update(&chunk);
                size += chunk.len() as u64;
                let wanted = 16usize.saturating_sub(head.len()).min(chunk.len());
                head.extend_from_slice(&chunk[..wanted]);
            }
            file.sync_all()?;
            Ok(Written {
                size,
                sha256: crate::auth::hex(&hash.finalize()),
                head,
            })
        });
        FileSink {
            tx: Some(tx),
            writer,
        }
    }

    /// Waits for the file to be on disk.
    async fn finish(mut self) -> std::io::Result<Written> {
        drop(self.tx.take());
        match (&mut self.writer).await {
            Ok(result) => result,
            Err(e) => Err(std::io::Error::other(e)),
        }
    }
}

impl PartSink for FileSink {
    async fn take(&mut self, chunk: Bytes) -> Result<(), AppError> {
        let sent = match &self.tx {
            Some(tx) => tx.send(chunk).await.is_ok(),
            None => false,
        };
        if sent {
            return Ok(());
        }
        // The writer stopped: its error says why.
        drop(self.tx.take());
        let why = match (&mut self.writer).await {
            Ok(Err(e)) => e.to_string(),
            _ => "the writer stopped".to_string(),
        };
        Err(AppError::internal(anyhow::anyhow!(
            "storing an upload: {why}"
        )))
    }
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
        (status = 415, description = "not a JPEG, PNG, GIF or WebP photo, a PDF, or a Word or Excel document (`unsupported_type`), or not a multipart form", body = ErrorResponse),
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
    let id = new_id();
    let path = path_of(&state.settings.attachments_dir(), &id);
    let partial = path.with_extension("part");
    let mut sink = FileSink::create(partial.clone());
    let received = receive_file_part(&req, payload, max, &mut sink).await;
    let written = sink.finish().await;
    let stored = async {
        let file_name = received?;
        let written =
            written.map_err(|e| AppError::internal(anyhow::anyhow!("storing an upload: {e}")))?;
        if written.size == 0 {
            return Err(AppError::new(ErrorCode::EmptyFile, "the file is empty"));
        }
        let (stored, head) = (partial.clone(), written.head.clone());
        let Some(content_type) = web::block(move || type_of_file(&stored, &head))
            .await
            .map_err(AppError::internal)?
            .map_err(|e| AppError::internal(anyhow::anyhow!("reading an upload: {e}")))?
        else {
            return Err(AppError::new(
                ErrorCode::UnsupportedType,
                "only photos (JPEG, PNG, GIF, WebP), PDF files and Word or Excel documents \
                 (.doc, .docx, .xls, .xlsx, without macros) can be attached",
            ));
        };
        let (from, to) = (partial.clone(), path.clone());
        web::block(move || std::fs::rename(from, to))
            .await
            .map_err(AppError::internal)?
            .map_err(|e| AppError::internal(anyhow::anyhow!("storing an upload: {e}")))?;
        let now = state.clock.now();
        let row = AttachmentRow {
            id: id.clone(),
            uploaded_by: who.user_id.clone(),
            ticket_id: None,
            comment_id: None,
            file_name,
            content_type: content_type.into(),
            size: i64::try_from(written.size).unwrap_or(i64::MAX),
            sha256: written.sha256,
            created_at: time::format(now),
            event_seq: None,
            visit_id: None,
            policy_id: None,
        };
        let per_hour = state.settings.attachments.uploads_per_hour;
        let record = row.clone();
        state
            .write(move |c| attachments::record(c, &record, per_hour, now))
            .await?;
        Ok(row)
    }
    .await;
    match stored {
        Ok(row) => Ok(HttpResponse::Created().json(AttachmentResponse::from(row))),
        Err(e) => {
            // Nothing was recorded: a file left behind would be read by nothing.
            let leftovers = [partial, path];
            web::block(move || {
                for file in leftovers {
                    match std::fs::remove_file(&file) {
                        Err(e) if e.kind() != std::io::ErrorKind::NotFound => tracing::warn!(
                            error = %e, "an upload that was not recorded could not be removed"
                        ),
                        _ => {}
                    }
                }
            })
            .await
            .ok();
            Err(e)
        }
    }
}

/// `filename*=UTF-8''…` (RFC 5987): every byte but letters, digits and `-._~` escaped.
pub(crate) fn encoded_file_name(name: &str) -> String {
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

/// The name a file is saved under: its own, with the extension of its type when it has
/// another (a photo sent as `现场` is saved as `现场.jpg`).
fn saved_name(name: &str, content_type: &str) -> String {
    let extension = match content_type {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/gif" => "gif",
        "image/webp" => "webp",
        "application/pdf" => "pdf",
        attachments::DOC => "doc",
        attachments::XLS => "xls",
        attachments::DOCX => "docx",
        attachments::XLSX => "xlsx",
        _ => return name.to_string(),
    };
    let has = name
        .rsplit_once('.')
        .is_some_and(|(_, ext)| ext.eq_ignore_ascii_case(extension));
    let jpeg = extension == "jpg"
        && name
            .rsplit_once('.')
            .is_some_and(|(_, ext)| ext.eq_ignore_ascii_case("jpeg"));
    if has || jpeg {
        name.to_string()
    } else {
        format!("{name}.{extension}")
    }
}

/// The file's bytes, to whoever may see its ticket and the part of it the file came with (or
/// to its uploader while it is attached to nothing). Anyone else gets 404. Photos are shown
/// inline; documents are downloads (`Content-Disposition: attachment`) under their own name
/// (`filename*`, RFC 5987, UTF-8).
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "attachments",
    params(("id" = String, Path)),
    responses(
        (status = 200, description = "the file, with its type", content(
            (String = "image/jpeg"), (String = "image/png"), (String = "image/gif"),
            (String = "image/webp"), (String = "application/pdf"),
            (String = "application/msword"), (String = "application/vnd.ms-excel"),
            (String = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
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
    serve(state, who, &id).await
}

/// The attachment `id` as `who` may have it ([`download`]; also through a signed link).
pub(crate) async fn serve(
    state: State,
    who: crate::auth::Principal,
    id: &str,
) -> Result<HttpResponse, AppError> {
    let id = path_id(id, "attachment")?;
    let row = state
        .read(move |c| attachments::readable(c, &who, &id))
        .await?;
    let path = path_of(&state.settings.attachments_dir(), &row.id);
    let mut file = match web::block(move || std::fs::File::open(path))
        .await
        .map_err(AppError::internal)?
    {
        Ok(file) => file,
        Err(e) => {
            tracing::error!(attachment = %row.id, error = %e, "an attachment's file is missing");
            return Err(AppError::not_found("attachment"));
        }
    };
    // Streamed from the file: the server holds a few chunks, not the file.
    let body = crate::api::export::blocking_body(move |out| {
        std::io::copy(&mut file, out)
            .map(drop)
            .map_err(|e| format!("reading an attachment: {e}"))
    });
    let size = u64::try_from(row.size).unwrap_or(0);
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
                encoded_file_name(&saved_name(&row.file_name, &row.content_type))
            ),
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        // Shown on its own, the file can run nothing.
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; sandbox"),
        ))
        .no_chunking(size)
        .streaming(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_percent_encoded() {
        assert_eq!(encoded_file_name("a b.pdf"), "a%20b.pdf");
        assert_eq!(encoded_file_name("照片.jpg"), "%E7%85%A7%E7%89%87.jpg");
    }

    #[test]
    fn saved_names_end_with_their_type() {
        assert_eq!(saved_name("报告.PDF", "application/pdf"), "报告.PDF");
        assert_eq!(saved_name("现场", "image/jpeg"), "现场.jpg");
        assert_eq!(saved_name("现场.jpeg", "image/jpeg"), "现场.jpeg");
        assert_eq!(saved_name("台账.xls", attachments::XLSX), "台账.xls.xlsx");
    }
}
