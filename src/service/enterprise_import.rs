//! Importing enterprises from an `.xlsx` ledger (企业台账): one row per enterprise, with its
//! liaison cadre (联点干部). Every row is checked first; if any is wrong, nothing is written
//! and the answer lists every wrong cell by row and column. Otherwise each row creates the
//! enterprise, or updates the one with the same credit code, all in one transaction.

use std::collections::HashMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use chrono::{DateTime, Utc};

use crate::db::users::{self, UserRow};
use crate::db::{DbConnection, enterprises};
use crate::domain::ticket::Role;
use crate::domain::validation::limits;
use crate::domain::{credit_code, phone};
use crate::error::{AppError, ErrorCode};
use crate::service::audit::{self, AuditAction, By};
use crate::service::directory::{self, EnterpriseChanges, NewEnterprise};

/// The columns, by their header text; the first two are required.
pub const COLUMNS: [&str; 8] = [
    "企业名称",
    "统一社会信用代码",
    "产业链",
    "所在区域",
    "地址",
    "联系人",
    "联系电话",
    "联络干部",
];

/// At most this many rows in one file.
pub const MAX_ROWS: usize = 5000;

/// A wrong cell: its row as the spreadsheet numbers it (the header is row 1).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct RowError {
    pub row: usize,
    pub column: String,
    pub message: String,
}

/// What an import did, or would do (a dry run), or why it did nothing.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    /// Empty unless the import was refused.
    pub errors: Vec<RowError>,
}

/// One row as read: the cell of each column, as text, trimmed; `None` when empty.
#[derive(Debug, Clone, Default)]
pub struct SheetRow {
    pub row: usize,
    pub cells: Vec<Option<String>>,
}

fn cell_text(d: &Data) -> Option<String> {
    let text = match d {
        Data::Empty => return None,
        Data::String(s) => s.clone(),
        // Phone numbers typed into Excel become numbers: 13800000001.0.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        other => other.to_string(),
    };
    let text = text.trim().to_string();
    (!text.is_empty()).then_some(text)
}

fn refused(message: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::InvalidSpreadsheet, message)
}

/// Reads the first sheet of an enterprise ledger ([`COLUMNS`]).
pub fn read(bytes: &[u8]) -> Result<Vec<SheetRow>, AppError> {
    read_sheet(bytes, &COLUMNS, 2)
}

/// Reads the first sheet: finds `columns` by their headers (in any order; unknown ones are
/// ignored; the first `required` must be there) and returns the rows that are not empty,
/// each with a cell per column.
pub fn read_sheet(
    bytes: &[u8],
    columns: &[&str],
    required: usize,
) -> Result<Vec<SheetRow>, AppError> {
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes))
        .map_err(|e| refused(format!("not an .xlsx workbook: {e}")))?;
    let first = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| refused("the workbook has no sheet"))?;
    let range = book
        .worksheet_range(&first)
        .map_err(|e| refused(format!("the sheet {first} cannot be read: {e}")))?;
    let mut rows = range.rows();
    let header = rows
        .next()
        .ok_or_else(|| refused("the sheet is empty: the first row must name the columns"))?;
    let mut index = vec![None; columns.len()];
    for (i, cell) in header.iter().enumerate() {
        if let Some(name) = cell_text(cell)
            && let Some(c) = columns.iter().position(|col| *col == name)
        {
            index[c] = Some(i);
        }
    }
    let missing: Vec<&str> = columns[..required]
        .iter()
        .zip(&index)
        .filter(|(_, i)| i.is_none())
        .map(|(name, _)| *name)
        .collect();
    if !missing.is_empty() {
        return Err(refused(format!(
            "the first row must name the columns; missing: {}",
            missing.join("、")
        )));
    }
    let start = range.start().map_or(0, |(r, _)| r as usize);
    let mut out = Vec::new();
    for (n, cells) in rows.enumerate() {
        let mut row = SheetRow {
            // Spreadsheet rows count from 1, and the header took the first.
            row: start + n + 2,
            cells: vec![None; columns.len()],
        };
        for (c, i) in index.iter().enumerate() {
            row.cells[c] = i.and_then(|i| cells.get(i)).and_then(cell_text);
        }
        if row.cells.iter().all(Option::is_none) {
            continue;
        }
        if out.len() == MAX_ROWS {
            return Err(refused(format!("at most {MAX_ROWS} rows in one file")));
        }
        out.push(row);
    }
    if out.is_empty() {
        return Err(refused("the sheet has no rows below its header"));
    }
    Ok(out)
}

/// A checked row, ready to write.
struct Checked {
    existing_id: Option<String>,
    input: NewEnterprise,
}

/// The active cadre a 联络干部 cell names: by username, or by mobile number.
pub(crate) fn cadre_named(
    conn: &mut DbConnection,
    name: &str,
) -> Result<Result<String, String>, AppError> {
    let by_name = users::find_by_username(conn, &name.to_ascii_lowercase())?;
    let candidates: Vec<UserRow> = match by_name {
        Some(u) => vec![u],
        None => match phone::normalize_mobile(name) {
            Ok(p) => users::active_by_phone(conn, &p)?,
            Err(_) => Vec::new(),
        },
    };
    let cadres: Vec<&UserRow> = candidates
        .iter()
        .filter(|u| u.role == Role::Cadre && !u.disabled)
        .collect();
    Ok(match cadres.as_slice() {
        [one] => Ok(one.id.clone()),
        [] => Err(format!("no active cadre with the username or phone {name}")),
        _ => Err(format!(
            "several cadres use the phone {name}; give the username"
        )),
    })
}

/// Checks every row (reading only); returns the checked rows, or the report of what is wrong.
fn check(
    conn: &mut DbConnection,
    rows: &[SheetRow],
) -> Result<Result<Vec<Checked>, Vec<RowError>>, AppError> {
    let mut errors = Vec::new();
    let mut checked = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut cadres: HashMap<String, Result<String, String>> = HashMap::new();
    for r in rows {
        let before = errors.len();
        let mut wrong = |column: usize, message: String| {
            errors.push(RowError {
                row: r.row,
                column: COLUMNS[column].to_string(),
                message,
            });
        };
        let text = |c: usize| r.cells[c].clone();
        let name = text(0);
        match &name {
            None => wrong(0, "is required".into()),
            Some(n) if n.chars().count() > limits::NAME => {
                wrong(0, format!("must be at most {} characters", limits::NAME))
            }
            _ => {}
        }
        let code = match text(1).as_deref().map(credit_code::normalize) {
            None => {
                wrong(1, "is required".into());
                None
            }
            Some(Err(e)) => {
                wrong(1, e.to_string());
                None
            }
            Some(Ok(code)) => {
                if let Some(first) = seen.insert(code.clone(), r.row) {
                    wrong(1, format!("the same credit code as row {first}"));
                }
                Some(code)
            }
        };
        for (c, max) in [
            (2, limits::NAME),
            (3, limits::NAME),
            (4, limits::ADDRESS),
            (5, limits::NAME),
        ] {
            if text(c).is_some_and(|v| v.chars().count() > max) {
                wrong(c, format!("must be at most {max} characters"));
            }
        }
        let contact_phone = match text(6).as_deref().map(phone::normalize_contact) {
            None => None,
            Some(Ok(p)) => Some(p),
            Some(Err(e)) => {
                wrong(6, e.to_string());
                None
            }
        };
        let liaison = match text(7) {
            None => None,
            Some(n) => {
                let found = match cadres.get(&n) {
                    Some(found) => found.clone(),
                    None => {
                        let found = cadre_named(conn, &n)?;
                        cadres.insert(n.clone(), found.clone());
                        found
                    }
                };
                match found {
                    Ok(id) => Some(id),
                    Err(message) => {
                        wrong(7, message);
                        None
                    }
                }
            }
        };
        if errors.len() > before {
            continue;
        }
        let (Some(name), Some(code)) = (name, code) else {
            continue;
        };
        let existing_id = enterprises::find_by_credit_code(conn, &code)?.map(|e| e.id);
        checked.push(Checked {
            existing_id,
            input: NewEnterprise {
                name,
                credit_code: code,
                industry_chain: text(2),
                area: text(3),
                address: text(4),
                contact_name: text(5),
                contact_phone,
                liaison_cadre_id: liaison,
                deputy_ids: Vec::new(),
            },
        });
    }
    Ok(if errors.is_empty() {
        Ok(checked)
    } else {
        Err(errors)
    })
}

/// Checks the rows and, unless `dry_run` or a row is wrong, writes them (in the caller's
/// transaction). Empty cells of an existing enterprise leave its values as they are.
pub fn import(
    conn: &mut DbConnection,
    by: &By,
    rows: &[SheetRow],
    dry_run: bool,
    now: DateTime<Utc>,
) -> Result<ImportReport, AppError> {
    let mut report = ImportReport {
        rows: rows.len(),
        ..ImportReport::default()
    };
    let checked = match check(conn, rows)? {
        Ok(checked) => checked,
        Err(errors) => {
            report.errors = errors;
            return Ok(report);
        }
    };
    for Checked { existing_id, input } in checked {
        match existing_id {
            Some(id) => {
                report.updated += 1;
                if !dry_run {
                    let keep = |v: Option<String>| v.map(Some);
                    directory::update_enterprise(
                        conn,
                        &By::Unrecorded,
                        &id,
                        EnterpriseChanges {
                            name: Some(input.name),
                            credit_code: None,
                            industry_chain: keep(input.industry_chain),
                            area: keep(input.area),
                            address: keep(input.address),
                            contact_name: keep(input.contact_name),
                            contact_phone: keep(input.contact_phone),
                            liaison_cadre_id: keep(input.liaison_cadre_id),
                            deputy_ids: None,
                        },
                        now,
                    )?;
                }
            }
            None => {
                report.created += 1;
                if !dry_run {
                    directory::create_enterprise(conn, &By::Unrecorded, input, now)?;
                }
            }
        }
    }
    if !dry_run {
        let detail = serde_json::json!({
            "rows": report.rows, "created": report.created, "updated": report.updated,
        });
        audit::record(
            conn,
            by,
            AuditAction::EnterpriseImport,
            None,
            Some(detail),
            now,
        )?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_become_trimmed_text_and_whole_numbers_lose_their_point() {
        assert_eq!(
            cell_text(&Data::Float(13800000001.0)).as_deref(),
            Some("13800000001")
        );
        assert_eq!(
            cell_text(&Data::String("  望城区  ".into())).as_deref(),
            Some("望城区")
        );
        assert_eq!(cell_text(&Data::String("   ".into())), None);
        assert_eq!(cell_text(&Data::Empty), None);
        assert_eq!(cell_text(&Data::Int(7)).as_deref(), Some("7"));
    }

    #[test]
    fn what_is_not_a_workbook_is_refused_clearly() {
        let e = read(b"name,code\n")
            .err()
            .map(|e| e.message)
            .unwrap_or_default();
        assert!(e.contains("not an .xlsx workbook"), "{e}");
    }
}
