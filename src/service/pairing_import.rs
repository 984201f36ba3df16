//! Importing pairings (联点安排) from an `.xlsx` sheet: one row per enterprise, by credit code,
//! naming its liaison cadre (联络干部) and any deputies (副联络干部), each a cadre's username
//! or mobile number. Unlike the enterprise ledger, a pairing sheet from the organisation
//! department is applied row by row: the good rows are written (all in one transaction) and
//! every refused row is reported with why — an unknown credit code, no such active cadre, a
//! deputy who is the liaison cadre, a row repeated — so the office fixes those and imports
//! them again. A dry run checks and reports without writing.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::{DbConnection, enterprises, liaison};
use crate::domain::credit_code;
use crate::error::AppError;
use crate::service::audit::{self, AuditAction, By};
use crate::service::directory::MAX_DEPUTIES;
use crate::service::enterprise_import::{RowError, SheetRow, cadre_named, read_sheet};

/// The columns, by their header text; the first two are required.
pub const COLUMNS: [&str; 3] = ["统一社会信用代码", "联络干部", "副联络干部"];

/// What an import did (or, a dry run, would do).
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct PairingReport {
    /// Rows read (not empty).
    pub rows: usize,
    /// Rows applied (or that would be).
    pub paired: usize,
    /// Of those, enterprises whose pairing did not change.
    pub unchanged: usize,
    /// Rows refused, each cell that is wrong; nothing of a refused row is written.
    pub refused: Vec<RowError>,
    pub dry_run: bool,
}

/// Reads the first sheet ([`COLUMNS`]).
pub fn read(bytes: &[u8]) -> Result<Vec<SheetRow>, AppError> {
    read_sheet(bytes, &COLUMNS, 2)
}

/// The names in a 副联络干部 cell: separated by 、，, ; ； or spaces.
fn split_names(cell: &str) -> Vec<String> {
    cell.split(|c: char| matches!(c, '、' | '，' | ',' | ';' | '；') || c.is_whitespace())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Checks every row and applies the good ones (unless `dry_run`), in the caller's
/// transaction.
pub fn import(
    conn: &mut DbConnection,
    by: &By,
    rows: &[SheetRow],
    dry_run: bool,
    now: DateTime<Utc>,
) -> Result<PairingReport, AppError> {
    let mut report = PairingReport {
        rows: rows.len(),
        dry_run,
        ..PairingReport::default()
    };
    let mut cadres: HashMap<String, Result<String, String>> = HashMap::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for r in rows {
        let mut wrong: Vec<RowError> = Vec::new();
        let mut refuse = |column: usize, message: String| {
            wrong.push(RowError {
                row: r.row,
                column: COLUMNS[column].to_string(),
                message,
            });
        };
        let enterprise = match r.cells[0].as_deref().map(credit_code::normalize) {
            None => {
                refuse(0, "is required".into());
                None
            }
            Some(Err(e)) => {
                refuse(0, e.to_string());
                None
            }
            Some(Ok(code)) => {
                if let Some(first) = seen.insert(code.clone(), r.row) {
                    refuse(0, format!("the same enterprise as row {first}"));
                    None
                } else {
                    let found = enterprises::find_by_credit_code(conn, &code)?;
                    if found.is_none() {
                        refuse(0, format!("no enterprise has the credit code {code}"));
                    }
                    found
                }
            }
        };
        let mut named =
            |conn: &mut DbConnection, name: &str| -> Result<Result<String, String>, AppError> {
                if let Some(known) = cadres.get(name) {
                    return Ok(known.clone());
                }
                let found = cadre_named(conn, name)?;
                cadres.insert(name.to_string(), found.clone());
                Ok(found)
            };
        let lead = match r.cells[1].as_deref() {
            None => {
                refuse(1, "is required".into());
                None
            }
            Some(name) => match named(conn, name)? {
                Ok(id) => Some(id),
                Err(why) => {
                    refuse(1, why);
                    None
                }
            },
        };
        let mut deputies: Vec<String> = Vec::new();
        let names = r.cells[2].as_deref().map(split_names).unwrap_or_default();
        if names.len() > MAX_DEPUTIES {
            refuse(2, format!("at most {MAX_DEPUTIES} deputies"));
        }
        for name in names.iter().take(MAX_DEPUTIES) {
            match named(conn, name)? {
                Ok(id) if Some(&id) == lead.as_ref() => {
                    refuse(
                        2,
                        format!("{name} is the liaison cadre: a deputy is someone else"),
                    );
                }
                Ok(id) if deputies.contains(&id) => refuse(2, format!("{name} is named twice")),
                Ok(id) => deputies.push(id),
                Err(why) => refuse(2, why),
            }
        }
        if !wrong.is_empty() {
            report.refused.extend(wrong);
            continue;
        }
        let (Some(mut enterprise), Some(lead)) = (enterprise, lead) else {
            continue;
        };
        report.paired += 1;
        let mut current: Vec<String> =
            liaison::deputies_of(conn, std::slice::from_ref(&enterprise.id))?
                .into_iter()
                .map(|(_, c)| c)
                .collect();
        current.sort();
        let mut wanted = deputies.clone();
        wanted.sort();
        if enterprise.liaison_cadre_id.as_deref() == Some(lead.as_str()) && current == wanted {
            report.unchanged += 1;
            continue;
        }
        if dry_run {
            continue;
        }
        enterprise.liaison_cadre_id = Some(lead);
        enterprise.updated_at = crate::domain::time::format(now);
        enterprises::update(conn, &enterprise)?;
        liaison::set_deputies(conn, &enterprise.id, &deputies)?;
    }
    if !dry_run {
        let refused_rows = {
            let mut rows: Vec<usize> = report.refused.iter().map(|e| e.row).collect();
            rows.dedup();
            rows.len()
        };
        audit::record(
            conn,
            by,
            AuditAction::PairingImport,
            None,
            Some(serde_json::json!({
                "rows": report.rows,
                "paired": report.paired,
                "refused": refused_rows,
            })),
            now,
        )?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::split_names;

    #[test]
    fn deputies_are_split_on_chinese_and_latin_separators() {
        assert_eq!(
            split_names("zhang、13800000001，li; wang  zhao"),
            ["zhang", "13800000001", "li", "wang", "zhao"]
        );
        assert!(split_names(" 、 ").is_empty());
    }
}
