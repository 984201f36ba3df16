//! Importing enterprises' information (企业信息, what policy matching reads) from an `.xlsx`
//! sheet, and the empty sheet to fill in (`service::traits_import`).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use rust_xlsxwriter::{Format, FormatBorder, Workbook};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::attachments::{UploadForm, read_file_part};
use crate::api::extract::{Auth, ClientIp};
use crate::api::state::State;
use crate::api::types::ErrorResponse;
use crate::auth::Principal;
use crate::domain::policy::TermKind;
use crate::domain::ticket::Role;
use crate::error::AppError;
use crate::service::audit::By;
use crate::service::require_role;
use crate::service::traits_import::{
    self, COLUMNS, MAX_EMPLOYEES, NONE_HELD, REVENUE_BANDS, SCALES, SIZES, TraitsReport,
};

/// The largest sheet accepted.
const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

/// Who imports enterprises' information: the district's staff who keep it for every
/// enterprise (a liaison cadre changes their own enterprises' one by one).
pub(crate) const IMPORTERS: [Role; 2] = [Role::Admin, Role::Dispatcher];

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TraitsImportQuery {
    /// Check every row and report, writing nothing.
    pub dry_run: Option<bool>,
}

/// The empty sheet of enterprises' information: 统一社会信用代码, 规上/规下, 企业规模, 企业资质,
/// 从业人数, 营业收入, 成立日期; a second sheet (填写说明) says what each column accepts, the
/// qualifications kept now among them, with an example row. Administrators and dispatchers.
#[utoipa::path(get, path = "/api/v1/enterprises/traits-template.xlsx", tag = "enterprises",
    responses(
        (status = 200, description = "the workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 403, body = ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn traits_template(state: State, auth: Auth) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    traits_template_workbook(state, &who).await
}

/// The template, to an administrator or a dispatcher (also through a signed link:
/// `api::downloads`).
pub(crate) async fn traits_template_workbook(
    state: State,
    who: &Principal,
) -> Result<HttpResponse, AppError> {
    require_role(who, &IMPORTERS)?;
    let qualifications: Vec<String> = state
        .read(|c| {
            Ok(
                crate::db::policies::terms(c, Some(TermKind::Qualification))?
                    .into_iter()
                    .filter(|t| t.active)
                    .map(|t| t.name)
                    .collect(),
            )
        })
        .await?;
    let bytes = web::block(move || template_bytes(&qualifications).map_err(AppError::internal))
        .await
        .map_err(AppError::internal)??;
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"traits-template.xlsx\"; filename*=UTF-8''%E4%BC%81%E4%B8%9A%E4%BF%A1%E6%81%AF%E6%A8%A1%E6%9D%BF.xlsx",
        ))
        .body(bytes))
}

/// A well-formed credit code for the notes' example.
fn example_code() -> String {
    let body = "91430112MA4L2X8P0";
    crate::domain::credit_code::check_character(body)
        .map(|check| format!("{body}{check}"))
        .unwrap_or_else(|_| body.to_string())
}

/// The workbook: the sheet to fill in (read by the import: its first sheet), then the notes.
fn template_bytes(qualifications: &[String]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let join = |labels: &[&str]| labels.join("、");
    let scales: Vec<&str> = SCALES.iter().map(|(_, l)| *l).collect();
    let sizes: Vec<&str> = SIZES.iter().map(|(_, l)| *l).collect();
    let bands: Vec<&str> = REVENUE_BANDS.iter().map(|(_, l)| *l).collect();
    let qualification_list = if qualifications.is_empty() {
        format!("（尚未设置资质）；{NONE_HELD} 表示不具备任何资质")
    } else {
        format!(
            "{}；多个用“、”分隔；{NONE_HELD} 表示不具备任何资质",
            qualifications.join("、")
        )
    };
    let example_qualification = qualifications
        .first()
        .cloned()
        .unwrap_or_else(|| NONE_HELD.to_string());
    let notes: [(&str, &str, String, String); 7] = [
        (
            COLUMNS[0],
            "必填",
            "18 位统一社会信用代码，须是已登记的企业".into(),
            example_code(),
        ),
        (COLUMNS[1], "可空", join(&scales), scales[0].into()),
        (COLUMNS[2], "可空", join(&sizes), sizes[2].into()),
        (
            COLUMNS[3],
            "可空",
            qualification_list,
            example_qualification,
        ),
        (
            COLUMNS[4],
            "可空",
            format!("整数，0 至 {MAX_EMPLOYEES}"),
            "120".into(),
        ),
        (COLUMNS[5], "可空", join(&bands), bands[2].into()),
        (
            COLUMNS[6],
            "可空",
            "日期单元格，或文字 YYYY-MM-DD；不晚于今天".into(),
            "2015-06-01".into(),
        ),
    ];

    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name("企业信息")?;
    for (col, name) in (0u16..).zip(COLUMNS) {
        sheet.write_string_with_format(0, col, name, &bold)?;
        sheet.set_column_width(col, if col == 0 { 24.0 } else { 16.0 })?;
    }
    sheet.set_freeze_panes(1, 0)?;

    let grey = Format::new()
        .set_font_color("#808080")
        .set_border(FormatBorder::Thin);
    let head = Format::new().set_bold().set_border(FormatBorder::Thin);
    let wrap = Format::new().set_text_wrap().set_border(FormatBorder::Thin);
    let notes_sheet = book.add_worksheet();
    notes_sheet.set_name("填写说明")?;
    notes_sheet.write_string(
        0,
        0,
        "每行一家企业，按统一社会信用代码对应。留空的单元格不改动原有信息；导入后的信息视为已核实。",
    )?;
    for (col, (title, width)) in (0u16..).zip([
        ("列", 18.0),
        ("是否必填", 10.0),
        ("可填写的值", 60.0),
        ("示例（灰色，仅供参考）", 24.0),
    ]) {
        notes_sheet.write_string_with_format(2, col, title, &head)?;
        notes_sheet.set_column_width(col, width)?;
    }
    for (row, (column, required, accepted, example)) in (3u32..).zip(&notes) {
        notes_sheet.write_string_with_format(row, 0, *column, &head)?;
        notes_sheet.write_string_with_format(row, 1, *required, &wrap)?;
        notes_sheet.write_string_with_format(row, 2, accepted, &wrap)?;
        notes_sheet.write_string_with_format(row, 3, example, &grey)?;
    }
    book.save_to_buffer()
}

/// Import enterprises' information from an `.xlsx` sheet (the part named `file`): columns
/// 统一社会信用代码 (required), 规上/规下 (规上, 规下), 企业规模 (大型, 中型, 小型, 微型), 企业资质
/// (qualifications by name, separated by 、 or commas; 无: none held), 从业人数 (0 to
/// 10,000,000), 营业收入 (100万以下, 100万–500万, 500万–2000万, 2000万–1亿, 1亿–4亿, 4亿以上),
/// 成立日期 (a date cell or YYYY-MM-DD). An empty cell leaves that item as it is. Each good
/// row is written, verified, with the good rows together; each refused row is reported with
/// why and changes nothing. Policies an enterprise newly fits are pushed to it.
/// Administrators and dispatchers.
#[utoipa::path(post, path = "/api/v1/enterprises/traits/import", tag = "enterprises",
    params(TraitsImportQuery),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, body = TraitsReport),
        (status = 400, description = "not a workbook, no header, or no rows", body = ErrorResponse),
        (status = 403, body = ErrorResponse),
        (status = 413, body = ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn import_traits(
    state: State,
    auth: Auth,
    ip: ClientIp,
    req: HttpRequest,
    query: web::Query<TraitsImportQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let Auth(who) = auth;
    // Before the body is read: a caller who may not import is told so, not what is wrong
    // with the file.
    require_role(&who, &IMPORTERS)?;
    let dry_run = query.dry_run.unwrap_or(false);
    let (_, bytes) = read_file_part(&req, payload, MAX_FILE_BYTES).await?;
    let rows = web::block(move || traits_import::read(&bytes))
        .await
        .map_err(AppError::internal)??;
    let now = state.clock.now();
    let by = By::Request(ip.actor(&who));
    let report = state
        .write(move |c| traits_import::import(c, &by, &who, &rows, dry_run, now))
        .await?;
    if !report.dry_run && report.updated > 0 {
        crate::api::policies::push_soon(&state);
    }
    Ok(HttpResponse::Ok().json(report))
}
