//! Downloads: the ledger (台账) as CSV or XLSX with the ticket list's filters, and the monthly
//! assessment workbook. Written on a blocking thread into a bounded channel that the
//! response streams from, so the server holds a few chunks, not the file: a slow client
//! slows the export down rather than filling memory. The parameters and the reader's right
//! are checked before the answer starts; an error after that (the database gone) cuts the
//! download short, which the client sees as a failed transfer.

use std::io::{self, Write};

use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use tokio::sync::mpsc;
use utoipa::IntoParams;

use crate::api::extract::{Auth, ClientIp};
use crate::api::state::State;
use crate::api::tickets::{TicketListQuery, list_filter};
use crate::api::types::ErrorResponse;
use crate::domain::ticket::Role;
use crate::domain::time;
use crate::error::AppError;
use crate::reports::sheets::{CsvWriter, XlsxWriter};
use crate::service::audit::{self, AuditAction};
use crate::service::ledger::{self, WorkbookError};

/// Bytes buffered before a chunk is handed to the response.
const CHUNK: usize = 64 * 1024;
/// Chunks in flight between the writer and the response.
const CHUNKS: usize = 8;

/// `Write` into the response: full chunks go through the channel; when the client has gone
/// the next write fails with `BrokenPipe` and the export stops.
pub(crate) struct ChannelWriter {
    tx: mpsc::Sender<Result<Bytes, io::Error>>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

/// What `produce` writes on a blocking thread, as a response body: a few chunks are held at a
/// time, and a failure cuts the body short.
pub(crate) fn blocking_body(
    produce: impl FnOnce(&mut ChannelWriter) -> Result<(), String> + Send + 'static,
) -> impl futures_util::Stream<Item = Result<Bytes, io::Error>> + 'static {
    let (tx, rx) = mpsc::channel::<Result<Bytes, io::Error>>(CHUNKS);
    let failed = tx.clone();
    tokio::task::spawn_blocking(move || {
        let mut out = ChannelWriter {
            tx,
            buf: Vec::with_capacity(CHUNK),
        };
        let result = produce(&mut out).and_then(|()| out.flush().map_err(|e| e.to_string()));
        if let Err(e) = result {
            tracing::warn!(error = %e, "a download stopped");
            let _ = failed.blocking_send(Err(io::Error::other(e)));
        }
    });
    futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    })
}

/// A streamed download of what `produce` writes on a blocking thread.
pub(crate) fn download(
    filename: String,
    content_type: &'static str,
    produce: impl FnOnce(&mut ChannelWriter) -> Result<(), String> + Send + 'static,
) -> HttpResponse {
    let body = blocking_body(produce);
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![
                DispositionParam::Filename(ascii),
                DispositionParam::FilenameExt(header::ExtendedValue {
                    charset: header::Charset::Ext("UTF-8".into()),
                    language_tag: None,
                    value: filename.into_bytes(),
                }),
            ],
        })
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(body)
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The ledger in a format (also through a signed link: `api::downloads`).
pub(crate) async fn ledger(
    state: State,
    auth: Auth,
    audited: (ClientIp, String),
    query: TicketListQuery,
    xlsx: bool,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    ledger::check_staff(&who)?;
    let now = time::format(state.clock.now());
    let filter = list_filter(&query, &now, &state.segmenter)?;
    let (ip, query_text) = audited;
    record_export(
        &state,
        ip.actor(&who),
        AuditAction::ExportLedger,
        if xlsx { "xlsx" } else { "csv" },
        query_text,
    )
    .await?;
    let db = state.db.clone();
    let today = time::china_date(state.clock.now());
    let filename = format!("台账-{}.{}", today, if xlsx { "xlsx" } else { "csv" });
    let produce = move |out: &mut ChannelWriter| -> Result<(), String> {
        let mut conn = db.conn().map_err(|e| e.to_string())?;
        if xlsx {
            let mut book = XlsxWriter::new();
            book.sheet("台账", &ledger::COLUMNS)
                .map_err(|e| e.to_string())?;
            ledger::for_each_row(&mut conn, &who, &filter, &now, |row| {
                book.row(&row).map_err(WorkbookError::from)
            })
            .map_err(|e| e.to_string())?;
            book.finish_to_writer(out).map_err(|e| e.to_string())
        } else {
            let mut csv = CsvWriter::new(out, &ledger::COLUMNS).map_err(|e| e.to_string())?;
            ledger::for_each_row(&mut conn, &who, &filter, &now, |row| {
                csv.row(&row)
                    .map_err(|e| AppError::internal(anyhow::anyhow!(e)))
            })
            .map_err(|e| e.to_string())?;
            csv.finish().map(drop).map_err(|e| e.to_string())
        }
    };
    Ok(download(
        filename,
        if xlsx {
            XLSX
        } else {
            "text/csv; charset=utf-8"
        },
        produce,
    ))
}

/// The ledger (台账) as CSV (UTF-8 with a BOM, for Excel), with the ticket list's filters:
/// one row per ticket the reader may list, newest first, column headers in Chinese. Staff
/// only.
#[utoipa::path(get, path = "/api/v1/ledger.csv", tag = "statistics",
    params(TicketListQuery),
    responses((status = 200, description = "The ledger", content_type = "text/csv"), (status = 400, body = ErrorResponse), (status = 403, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn ledger_csv(
    state: State,
    auth: Auth,
    ip: ClientIp,
    req: HttpRequest,
    query: web::Query<TicketListQuery>,
) -> Result<HttpResponse, AppError> {
    let audited = (ip, req.query_string().to_string());
    ledger(state, auth, audited, query.into_inner(), false).await
}

/// Who exported what, before the first byte goes ([`ledger::record_export`]).
async fn record_export(
    state: &State,
    actor: audit::Actor,
    export: AuditAction,
    format: &'static str,
    query: String,
) -> Result<(), AppError> {
    let now = state.clock.now();
    state
        .write(move |c| ledger::record_export(c, actor, export, format, &query, now))
        .await
}

/// The ledger as an Excel workbook: the same rows as the CSV on the sheet 台账 (continued on
/// 台账(2)… past 1,048,575 rows). Staff only.
#[utoipa::path(get, path = "/api/v1/ledger.xlsx", tag = "statistics",
    params(TicketListQuery),
    responses((status = 200, description = "The ledger", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 400, body = ErrorResponse), (status = 403, body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn ledger_xlsx(
    state: State,
    auth: Auth,
    ip: ClientIp,
    req: HttpRequest,
    query: web::Query<TicketListQuery>,
) -> Result<HttpResponse, AppError> {
    let audited = (ip, req.query_string().to_string());
    ledger(state, auth, audited, query.into_inner(), true).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AssessmentQuery {
    /// The month, `YYYY-MM`; default: last month.
    pub month: Option<String>,
    /// An archived version of the month (administrators and dispatchers); default: the
    /// newest published.
    pub version: Option<i32>,
    /// `true`: computed now from the tickets (the draft an administrator may publish again),
    /// even when the month has a published version.
    pub draft: Option<bool>,
}

/// The monthly assessment workbook (月度考核): 汇总 (the month's figures), 部门排名 (the
/// departments by their weighted score, best first), 热点诉求 and one sheet of the month's
/// tickets per department. Staff only. To administrators and dispatchers, a month with a
/// published version (每月评估: archived at the start of the next month) is served as
/// published (header `X-Assessment-Version`), unless `draft=true`; anything else is computed
/// now within the reader's scope.
#[utoipa::path(get, path = "/api/v1/stats/assessment.xlsx", tag = "statistics",
    params(AssessmentQuery),
    responses((status = 200, description = "The workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 400, body = ErrorResponse), (status = 403, body = ErrorResponse), (status = 404, description = "no such published version of the month", body = ErrorResponse)),
    security(("bearer" = [])))]
pub async fn assessment(
    state: State,
    auth: Auth,
    ip: ClientIp,
    req: HttpRequest,
    query: web::Query<AssessmentQuery>,
) -> Result<HttpResponse, AppError> {
    let audited = (ip, req.query_string().to_string());
    assessment_of(state, auth, audited, query.into_inner()).await
}

/// The assessment workbook (also through a signed link: `api::downloads`).
pub(crate) async fn assessment_of(
    state: State,
    auth: Auth,
    audited: (ClientIp, String),
    query: AssessmentQuery,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    let (ip, query_text) = audited;
    ledger::check_staff(&who)?;
    let today = time::china_date(state.clock.now());
    let month = match query.month.as_deref() {
        Some(text) => NaiveDate::parse_from_str(&format!("{}-01", text.trim()), "%Y-%m-%d")
            .map_err(|_| AppError::invalid_query("month", "must be a month, YYYY-MM"))?,
        None => today
            .with_day(1)
            .and_then(|d| d.checked_sub_months(chrono::Months::new(1)))
            .unwrap_or(today),
    };
    let weights = crate::api::stats::weights(&state);
    record_export(
        &state,
        ip.actor(&who),
        AuditAction::ExportAssessment,
        "xlsx",
        query_text,
    )
    .await?;
    let archived = matches!(who.role, Role::Admin | Role::Dispatcher) && query.draft != Some(true);
    if archived {
        let key = month.format("%Y-%m").to_string();
        let version = query.version;
        let found = state
            .read(move |c| {
                let Some(row) = crate::db::assessments::find(c, &key, version)? else {
                    return Ok(None);
                };
                let bytes = crate::db::assessments::workbook(c, &key, row.version)?;
                Ok(bytes.map(|b| (row.version, b)))
            })
            .await?;
        match (found, query.version) {
            (Some((version, bytes)), _) => {
                let filename = format!("月度考核-{}-第{version}版.xlsx", month.format("%Y-%m"));
                let mut response = download(filename, XLSX, move |out| {
                    std::io::Write::write_all(out, &bytes).map_err(|e| e.to_string())
                });
                response.headers_mut().insert(
                    header::HeaderName::from_static("x-assessment-version"),
                    header::HeaderValue::from(version),
                );
                return Ok(response);
            }
            (None, Some(_)) => return Err(AppError::not_found("assessment version")),
            (None, None) => {}
        }
    } else if query.version.is_some() {
        return Err(AppError::invalid_query(
            "version",
            "archived versions are for administrators and dispatchers, and not with draft=true",
        ));
    }
    let now = time::format(state.clock.now());
    let db = state.db.clone();
    let segmenter = state.segmenter.clone();
    let filename = format!("月度考核-{}.xlsx", month.format("%Y-%m"));
    Ok(download(filename, XLSX, move |out| {
        let mut conn = db.conn().map_err(|e| e.to_string())?;
        let mut book = XlsxWriter::new();
        ledger::assessment(
            &mut conn, &who, &segmenter, month, &weights, &now, &mut book,
        )
        .map_err(|e| e.to_string())?;
        book.finish_to_writer(out).map_err(|e| e.to_string())
    }))
}
