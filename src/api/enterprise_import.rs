//! Importing enterprises from an `.xlsx` ledger, and the empty template for it.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::attachments::{UploadForm, read_file_part};
use crate::api::extract::{Admin, ClientIp};
use crate::api::state::State;
use crate::api::types::ErrorResponse;
use crate::error::AppError;
use crate::reports::sheets::{Column, XlsxWriter};
use crate::service::audit::By;
use crate::service::enterprise_import::{self, COLUMNS, ImportReport, RowError};

/// The largest ledger accepted.
const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Check every row and say what would be created and updated, writing nothing.
    pub dry_run: Option<bool>,
}

/// The answer when a row is wrong: every wrong cell, and nothing was written.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportRejected {
    /// `import_rejected`
    pub error: String,
    pub message: String,
    pub rows: Vec<RowError>,
}

/// The empty ledger to fill in: the header row of the import.
#[utoipa::path(get, path = "/api/v1/enterprises/import-template.xlsx", tag = "enterprises",
    responses(
        (status = 200, description = "the workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 403, body = ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn template(_admin: Admin) -> Result<HttpResponse, AppError> {
    template_workbook().await
}

/// The template, to an administrator (also through a signed link: `api::downloads`).
pub(crate) async fn template_workbook() -> Result<HttpResponse, AppError> {
    header_workbook(
        &COLUMNS,
        "企业台账",
        "attachment; filename=\"enterprises-template.xlsx\"; filename*=UTF-8''%E4%BC%81%E4%B8%9A%E5%8F%B0%E8%B4%A6%E6%A8%A1%E6%9D%BF.xlsx",
    )
    .await
}

/// A workbook of one sheet holding only the header row `columns`, as an attachment.
pub(crate) async fn header_workbook(
    columns: &'static [&'static str],
    sheet: &'static str,
    disposition: &'static str,
) -> Result<HttpResponse, AppError> {
    let bytes = web::block(move || -> Result<Vec<u8>, AppError> {
        let columns: Vec<Column> = columns
            .iter()
            .map(|header| Column {
                header,
                width: 22.0,
            })
            .collect();
        let mut book = XlsxWriter::new();
        book.sheet(sheet, &columns).map_err(AppError::internal)?;
        let mut out = Vec::new();
        book.finish_to_writer(&mut out)
            .map_err(AppError::internal)?;
        Ok(out)
    })
    .await
    .map_err(AppError::internal)??;
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ))
        .insert_header((header::CONTENT_DISPOSITION, disposition))
        .body(bytes))
}

/// Import enterprises from an `.xlsx` ledger (the part named `file`): columns 企业名称,
/// 统一社会信用代码 (required), 产业链, 所在区域, 地址, 联系人, 联系电话, 联络干部 (a cadre's
/// username or phone). A known credit code updates that enterprise. If any row is wrong,
/// nothing is written and the answer lists every wrong cell.
#[utoipa::path(post, path = "/api/v1/enterprises/import", tag = "enterprises",
    params(ImportQuery),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, body = ImportReport),
        (status = 400, description = "not a workbook, no header, or no rows", body = ErrorResponse),
        (status = 403, body = ErrorResponse),
        (status = 413, body = ErrorResponse),
        (status = 422, description = "rows are wrong; nothing was written", body = ImportRejected),
    ),
    security(("bearer" = [])))]
pub async fn import(
    state: State,
    admin: Admin,
    ip: ClientIp,
    req: HttpRequest,
    query: web::Query<ImportQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let dry_run = query.dry_run.unwrap_or(false);
    let (_, bytes) = read_file_part(&req, payload, MAX_FILE_BYTES).await?;
    let rows = web::block(move || enterprise_import::read(&bytes))
        .await
        .map_err(AppError::internal)??;
    let now = state.clock.now();
    let by = By::Request(ip.actor(&admin.0));
    let report = state
        .write(move |c| enterprise_import::import(c, &by, &rows, dry_run, now))
        .await?;
    if report.errors.is_empty() {
        return Ok(HttpResponse::Ok().json(report));
    }
    let wrong_rows = {
        let mut rows: Vec<usize> = report.errors.iter().map(|e| e.row).collect();
        rows.dedup();
        rows.len()
    };
    Ok(HttpResponse::UnprocessableEntity().json(ImportRejected {
        error: "import_rejected".into(),
        message: format!(
            "{wrong_rows} of {} rows are wrong; nothing was imported",
            report.rows
        ),
        rows: report.errors,
    }))
}
