//! Importing enterprises' information (企业信息: what policy matching reads — 规上/规下,
//! 企业规模, 企业资质, 从业人数, 营业收入, 成立日期) from an `.xlsx` sheet, one row per enterprise
//! by credit code. Applied row by row like the pairing sheet (`service::pairing_import`): the good
//! rows are written in one transaction and every refused row is reported with its column and
//! why, so the office fixes those and imports them again; a dry run checks and reports without
//! writing.
//!
//! An empty cell leaves that item as it is; `无` in 企业资质 says none is held. The sheet comes
//! from staff, so what it writes is verified (as a dispatcher's `PATCH …/traits` is), and an
//! enterprise whose matching inputs changed is marked for the push to look at again.

use std::collections::HashMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::db::policies::{self as db, TermRow, TraitsRow};
use crate::db::{DbConnection, enterprises};
use crate::domain::policy::{RevenueBand, Scale, Size, TermKind};
use crate::domain::ticket::Role;
use crate::domain::{credit_code, time};
use crate::error::AppError;
use crate::service::audit::{self, AuditAction, By};
use crate::service::enterprise_import::{RowError, SheetRow, read_sheet};
use crate::service::policies::{TraitChanges, apply_changes, empty_traits};

/// The columns, by their header text; only the first is required.
pub const COLUMNS: [&str; 7] = [
    "统一社会信用代码",
    "规上/规下",
    "企业规模",
    "企业资质",
    "从业人数",
    "营业收入",
    "成立日期",
];

/// 规上/规下 as the sheet writes them.
pub const SCALES: [(Scale, &str); 2] = [(Scale::Above, "规上"), (Scale::Below, "规下")];

/// 企业规模 as the sheet writes them.
pub const SIZES: [(Size, &str); 4] = [
    (Size::Large, "大型"),
    (Size::Medium, "中型"),
    (Size::Small, "小型"),
    (Size::Micro, "微型"),
];

/// 营业收入 as the sheet writes the bands.
pub const REVENUE_BANDS: [(RevenueBand, &str); 6] = [
    (RevenueBand::Below1m, "100万以下"),
    (RevenueBand::Upto5m, "100万–500万"),
    (RevenueBand::Upto20m, "500万–2000万"),
    (RevenueBand::Upto100m, "2000万–1亿"),
    (RevenueBand::Upto400m, "1亿–4亿"),
    (RevenueBand::Over400m, "4亿以上"),
];

/// What 企业资质 says when none is held.
pub const NONE_HELD: &str = "无";

/// The most employees accepted (as `PATCH /enterprises/{id}/traits` accepts).
pub const MAX_EMPLOYEES: i32 = 10_000_000;

/// What an import did (or, a dry run, would do).
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct TraitsReport {
    /// Rows read (not empty).
    pub rows: usize,
    /// Enterprises whose information changed (or would), or was confirmed: a row that states
    /// what an enterprise had said itself makes it verified.
    pub updated: usize,
    /// Good rows that change nothing.
    pub unchanged: usize,
    /// Rows refused, each cell that is wrong; nothing of a refused row is written.
    pub refused: Vec<RowError>,
    pub dry_run: bool,
}

/// Reads the first sheet ([`COLUMNS`]).
pub fn read(bytes: &[u8]) -> Result<Vec<SheetRow>, AppError> {
    read_sheet(bytes, &COLUMNS, 1)
}

/// A label as typed, compared loosely: no spaces, no 元 or 企业 (大型企业, 100万元以下), and
/// every dash or tilde one `-`.
fn loose(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && *c != '元')
        .map(|c| match c {
            '–' | '—' | '－' | '~' | '～' | '至' | '到' => '-',
            other => other,
        })
        .collect::<String>()
        .trim_end_matches("企业")
        .to_string()
}

/// The value a cell names among `labels`, also by its API code (`above`, `upto5m`).
fn choice<T: Copy>(
    cell: &str,
    labels: &[(T, &str)],
    code: impl Fn(T) -> &'static str,
) -> Result<T, String> {
    let typed = loose(cell);
    labels
        .iter()
        .find(|(v, label)| loose(label) == typed || code(*v).eq_ignore_ascii_case(&typed))
        .map(|(v, _)| *v)
        .ok_or_else(|| {
            let accepted: Vec<&str> = labels.iter().map(|(_, l)| *l).collect();
            format!("{cell} is not one of {}", accepted.join("、"))
        })
}

fn scale(cell: &str) -> Result<Scale, String> {
    match loose(cell).as_str() {
        "规模以上" => Ok(Scale::Above),
        "规模以下" => Ok(Scale::Below),
        _ => choice(cell, &SCALES, Scale::as_str),
    }
}

/// The names in a 企业资质 cell: separated by 、，, ; ； or spaces.
fn split_names(cell: &str) -> Vec<&str> {
    cell.split(|c: char| matches!(c, '、' | '，' | ',' | ';' | '；') || c.is_whitespace())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// The qualifications a cell names (`无`: none), as term ids.
fn qualifications(cell: &str, terms: &[TermRow]) -> Result<Vec<String>, String> {
    // A name with a separator in it (a space) is still one name.
    if let Some(t) = terms.iter().find(|t| t.name == cell.trim()) {
        return Ok(vec![t.id.clone()]);
    }
    let names = split_names(cell);
    if names == [NONE_HELD] {
        return Ok(Vec::new());
    }
    if names.contains(&NONE_HELD) {
        return Err(format!(
            "{NONE_HELD} (none held) cannot be listed with qualifications"
        ));
    }
    let mut ids = Vec::new();
    let mut unknown = Vec::new();
    for name in names {
        match terms.iter().find(|t| t.name == name) {
            Some(t) => ids.push(t.id.clone()),
            None => unknown.push(name),
        }
    }
    if unknown.is_empty() {
        return Ok(ids);
    }
    let known: Vec<&str> = terms
        .iter()
        .filter(|t| t.active)
        .map(|t| t.name.as_str())
        .collect();
    Err(format!(
        "no qualification is named {}; the qualifications are {}, or {NONE_HELD} for none",
        unknown.join("、"),
        known.join("、")
    ))
}

fn employees(cell: &str) -> Result<i32, String> {
    let digits: String = cell
        .trim_end_matches('人')
        .chars()
        .filter(|c| !matches!(c, ',' | '，') && !c.is_whitespace())
        .collect();
    digits
        .parse::<i32>()
        .ok()
        .filter(|n| (0..=MAX_EMPLOYEES).contains(n))
        .ok_or_else(|| format!("{cell} is not a whole number from 0 to 10,000,000"))
}

/// The day a 成立日期 cell names: a date cell (which reads as Excel's serial day number) or
/// text YYYY-MM-DD (also with / or . or 年月日); not after `today`.
fn founded(cell: &str, today: NaiveDate) -> Result<String, String> {
    let wrong = || format!("{cell} is not a date: give YYYY-MM-DD, or a date cell");
    let day = if let Ok(serial) = cell.parse::<f64>() {
        // A day number from 1927 on: a bare year (2015) is not a date.
        if !(10_000.0..3_000_000.0).contains(&serial) {
            return Err(wrong());
        }
        NaiveDate::from_ymd_opt(1899, 12, 30)
            .and_then(|epoch| epoch.checked_add_days(Days::new(serial.trunc() as u64)))
            .ok_or_else(wrong)?
    } else {
        let text: String = cell
            .trim()
            .trim_end_matches('日')
            .chars()
            .map(|c| match c {
                '/' | '.' | '年' | '月' => '-',
                other => other,
            })
            .collect();
        NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| wrong())?
    };
    if day > today {
        return Err(format!("{cell} is after today"));
    }
    Ok(day.format("%Y-%m-%d").to_string())
}

/// The enterprise a row's credit code names, or why not.
fn enterprise_of(
    conn: &mut DbConnection,
    cell: Option<&str>,
    row: usize,
    seen: &mut HashMap<String, usize>,
) -> Result<Result<String, String>, AppError> {
    let Some(cell) = cell else {
        return Ok(Err("is required".into()));
    };
    let code = match credit_code::normalize(cell) {
        Ok(code) => code,
        Err(e) => {
            return Ok(Err(format!(
                "is not a valid unified social credit code: {e}"
            )));
        }
    };
    if let Some(first) = seen.insert(code.clone(), row) {
        return Ok(Err(format!("the same enterprise as row {first}")));
    }
    Ok(match enterprises::find_by_credit_code(conn, &code)? {
        Some(e) => Ok(e.id),
        None => Err(format!("no enterprise has the credit code {code}")),
    })
}

/// The stated values, for telling whether a row changes anything.
type Stated = (
    Option<Scale>,
    Option<Size>,
    Option<String>,
    Option<i32>,
    Option<RevenueBand>,
    Option<String>,
);

fn values(row: &TraitsRow) -> Stated {
    (
        row.scale,
        row.size,
        row.qualification_ids.clone(),
        row.employees,
        row.revenue_band,
        row.founded_on.clone(),
    )
}

/// Checks every row and applies the good ones (unless `dry_run`), in the caller's
/// transaction. Administrators and dispatchers.
pub fn import(
    conn: &mut DbConnection,
    by: &By,
    who: &Principal,
    rows: &[SheetRow],
    dry_run: bool,
    now: DateTime<Utc>,
) -> Result<TraitsReport, AppError> {
    crate::service::require_role(who, &[Role::Admin, Role::Dispatcher])?;
    let mut report = TraitsReport {
        rows: rows.len(),
        dry_run,
        ..TraitsReport::default()
    };
    let terms = db::terms(conn, Some(TermKind::Qualification))?;
    let today = time::china_date(now);
    let now_text = time::format(now);
    let mut seen: HashMap<String, usize> = HashMap::new();
    for r in rows {
        let mut wrong: Vec<RowError> = Vec::new();
        let mut check = |column: usize, checked: Result<(), String>| {
            if let Err(message) = checked {
                wrong.push(RowError {
                    row: r.row,
                    column: COLUMNS[column].to_string(),
                    message,
                });
            }
        };
        let cell = |column: usize| r.cells[column].as_deref();
        let enterprise = enterprise_of(conn, cell(0), r.row, &mut seen)?;
        let mut changes = TraitChanges::default();
        let enterprise_id = enterprise.map_or_else(
            |why| {
                check(0, Err(why));
                None
            },
            Some,
        );
        if let Some(c) = cell(1) {
            check(1, scale(c).map(|v| changes.scale = Some(Some(v))));
        }
        if let Some(c) = cell(2) {
            check(
                2,
                choice(c, &SIZES, Size::as_str).map(|v| changes.size = Some(Some(v))),
            );
        }
        if let Some(c) = cell(3) {
            check(
                3,
                qualifications(c, &terms).map(|v| changes.qualification_ids = Some(Some(v))),
            );
        }
        if let Some(c) = cell(4) {
            check(4, employees(c).map(|v| changes.employees = Some(Some(v))));
        }
        if let Some(c) = cell(5) {
            check(
                5,
                choice(c, &REVENUE_BANDS, RevenueBand::as_str)
                    .map(|v| changes.revenue_band = Some(Some(v))),
            );
        }
        if let Some(c) = cell(6) {
            check(
                6,
                founded(c, today).map(|v| changes.founded_on = Some(Some(v))),
            );
        }
        if !wrong.is_empty() {
            report.refused.extend(wrong);
            continue;
        }
        let Some(enterprise_id) = enterprise_id else {
            continue;
        };
        let stored = db::find_traits(conn, &enterprise_id)?;
        let mut row = stored
            .clone()
            .unwrap_or_else(|| empty_traits(&enterprise_id, &now_text));
        let matching_changed = apply_changes(&mut row, changes);
        let changed = match &stored {
            Some(before) => !before.verified || values(before) != values(&row),
            None => values(&row) != values(&empty_traits(&enterprise_id, &now_text)),
        };
        if !changed {
            report.unchanged += 1;
            continue;
        }
        report.updated += 1;
        if dry_run {
            continue;
        }
        row.updated_by = Some(who.user_id.clone());
        row.updated_at = now_text.clone();
        row.verified = true;
        row.verified_by = Some(who.user_id.clone());
        row.verified_at = Some(now_text.clone());
        row.recheck |= matching_changed;
        db::save_traits(conn, &row)?;
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
            AuditAction::EnterpriseTraitsImport,
            None,
            Some(serde_json::json!({
                "rows": report.rows,
                "updated": report.updated,
                "refused": refused_rows,
            })),
            now,
        )?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn labels_are_read_loosely_and_by_code() {
        assert_eq!(scale("规上"), Ok(Scale::Above));
        assert_eq!(scale("规模以下"), Ok(Scale::Below));
        assert_eq!(scale("above"), Ok(Scale::Above));
        assert_eq!(choice("大型企业", &SIZES, Size::as_str), Ok(Size::Large));
        for typed in [
            "100万-500万",
            "100万元～500万元",
            "100万 至 500万",
            "upto5m",
        ] {
            assert_eq!(
                choice(typed, &REVENUE_BANDS, RevenueBand::as_str),
                Ok(RevenueBand::Upto5m),
                "{typed}"
            );
        }
        let wrong = choice("特大型", &SIZES, Size::as_str).unwrap_err();
        assert_eq!(wrong, "特大型 is not one of 大型、中型、小型、微型");
    }

    #[test]
    fn employees_are_whole_numbers_in_range() {
        assert_eq!(employees("1,200人"), Ok(1200));
        assert_eq!(employees("0"), Ok(0));
        assert!(employees("12.5").is_err());
        assert!(employees("-1").is_err());
        assert!(employees("10000001").is_err());
    }

    #[test]
    fn founding_days_from_text_or_date_cells() {
        let today = day("2026-12-17");
        assert_eq!(founded("2015-06-01", today).as_deref(), Ok("2015-06-01"));
        assert_eq!(founded("2015/6/1", today).as_deref(), Ok("2015-06-01"));
        assert_eq!(founded("2015年6月1日", today).as_deref(), Ok("2015-06-01"));
        // Excel's day 42156 is 2015-06-01 (a date cell reads as its serial).
        assert_eq!(founded("42156", today).as_deref(), Ok("2015-06-01"));
        assert_eq!(founded("42156.75", today).as_deref(), Ok("2015-06-01"));
        assert!(founded("2015", today).is_err());
        assert!(founded("2015-13-01", today).is_err());
        assert_eq!(
            founded("2027-01-01", today).unwrap_err(),
            "2027-01-01 is after today"
        );
    }

    #[test]
    fn qualifications_by_name_or_none() {
        let term = |id: &str, name: &str| TermRow {
            id: id.into(),
            kind: TermKind::Qualification,
            name: name.into(),
            position: 1,
            active: true,
            created_at: String::new(),
        };
        let terms = [
            term("q1", "高新技术企业"),
            term("q2", "专精特新中小企业"),
            term("q3", "瞪羚 企业"),
        ];
        assert_eq!(
            qualifications(" 瞪羚 企业", &terms),
            Ok(vec!["q3".to_string()])
        );
        assert_eq!(
            qualifications("高新技术企业，专精特新中小企业", &terms),
            Ok(vec!["q1".to_string(), "q2".to_string()])
        );
        assert_eq!(qualifications("无", &terms), Ok(Vec::new()));
        assert!(qualifications("无、高新技术企业", &terms).is_err());
        let wrong = qualifications("高新技术企业 小巨人", &terms).unwrap_err();
        assert!(
            wrong.starts_with("no qualification is named 小巨人;"),
            "{wrong}"
        );
    }
}
