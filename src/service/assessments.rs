//! The monthly assessment's archive (每月评估, issue 19). At the start of each month the
//! service computes the month before's assessment — the district's figures, the departments'
//! scores by the `[stats]` weights and ranking, and the assessment workbook — once, and
//! archives it as version 1 ([`archive_due`]); a ticket corrected later changes the live
//! statistics, never what was published. An administrator reads the live figures as a draft
//! (`GET /stats/assessment.xlsx`, the statistics) and may publish them again as a new
//! version, with a note saying why ([`publish`]). Department heads read their departments'
//! rows of a published version; administrators and dispatchers everything.

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use serde_json::{Value, json};

use crate::auth::Principal;
use crate::db::assessments::{self, AssessmentRow};
use crate::db::tickets::TicketFilter;
use crate::db::{Db, DbConnection};
use crate::domain::ticket::Role;
use crate::domain::time;
use crate::error::{AppError, ErrorCode};
use crate::reports::sheets::XlsxWriter;
use crate::search::Segmenter;
use crate::service::audit::{self, Actor, AuditAction, By};
use crate::service::ledger;
use crate::service::stats::{self, Weights};

/// Who computes the archive (and the weekly bulletin): sees every ticket, as an administrator
/// does.
pub fn archivist() -> Principal {
    Principal {
        user_id: String::new(),
        role: Role::Admin,
        department_id: None,
        enterprise_id: None,
        must_change_password: false,
        consent_required: false,
    }
}

/// `YYYY-MM` of a month's first day.
pub fn month_key(month: NaiveDate) -> String {
    month.format("%Y-%m").to_string()
}

/// The first day of the month `text` (`YYYY-MM`) names.
pub fn parse_month(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    if text.len() != 7 {
        return None;
    }
    NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d")
        .ok()
        .filter(|d| d.year() >= 1000)
}

/// The month's figures and workbook, computed now from the tickets.
pub fn compute(
    conn: &mut DbConnection,
    segmenter: &Segmenter,
    month: NaiveDate,
    weights: &Weights,
    now: DateTime<Utc>,
) -> Result<(Value, Vec<u8>), AppError> {
    let who = archivist();
    let now_text = time::format(now);
    let next = month.checked_add_months(Months::new(1)).unwrap_or(month);
    let filter = TicketFilter {
        created_from: Some(time::format(time::china_day_start(month))),
        created_to: Some(time::format(time::china_day_start(next))),
        ..TicketFilter::default()
    };
    let summary = stats::summary(conn, &who, &filter, &now_text)?;
    let (ranked, unranked) = stats::ranking(conn, &who, &filter, weights, &now_text)?;
    let ranking = ranked
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut row = serde_json::to_value(&r.summary).map_err(AppError::internal)?;
            if let Value::Object(map) = &mut row {
                map.insert("rank".into(), json!(i + 1));
                map.insert("department_id".into(), json!(r.department_id));
                map.insert("name".into(), json!(r.name));
                map.insert("score".into(), json!(r.score));
            }
            Ok(row)
        })
        .collect::<Result<Vec<Value>, AppError>>()?;
    let figures = json!({
        "summary": summary,
        "ranking": ranking,
        "unranked": unranked,
        "computed_at": now_text,
    });
    let mut book = XlsxWriter::new();
    ledger::assessment(conn, &who, segmenter, month, weights, &now_text, &mut book)
        .map_err(|e| AppError::internal(anyhow::anyhow!("the assessment workbook: {e}")))?;
    let mut bytes = Vec::new();
    book.finish_to_writer(&mut bytes)
        .map_err(|e| AppError::internal(anyhow::anyhow!("the assessment workbook: {e}")))?;
    Ok((figures, bytes))
}

/// Publishes `month`'s assessment as computed now, as its next version: by `by` (an
/// administrator; a note is required once a version exists), or by the service (`None`:
/// version 1 only, and nothing when it exists). Returns the version archived, `None` when the
/// service found it done.
pub fn publish(
    db: &Db,
    segmenter: &Segmenter,
    month: NaiveDate,
    weights: &Weights,
    by: Option<Actor>,
    note: Option<String>,
    now: DateTime<Utc>,
) -> Result<Option<AssessmentRow>, AppError> {
    let key = month_key(month);
    let note = note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
    let latest = db.read(|c| Ok::<_, AppError>(assessments::latest_version(c, &key)?))?;
    if by.is_none() && latest > 0 {
        return Ok(None);
    }
    if by.is_some() && latest > 0 && note.is_none() {
        return Err(AppError::invalid_field(
            "note",
            "say why the assessment is published again (a published version is kept as it was)",
        ));
    }
    if month >= first_of(time::china_date(now)) {
        return Err(AppError::invalid_field(
            "month",
            "only a month that has ended can be assessed",
        ));
    }
    let (figures, workbook) = db.read(|c| compute(c, segmenter, month, weights, now))?;
    let figures = figures.to_string();
    let version = latest + 1;
    let at = time::format(now);
    let row = db.write(move |c| -> Result<Option<AssessmentRow>, AppError> {
        let by_id = by.as_ref().map(|a| a.who.user_id.clone());
        let written = assessments::insert(
            c,
            &key,
            version,
            &figures,
            &workbook,
            note.as_deref(),
            by_id.as_deref(),
            &at,
        )?;
        let Some(actor) = by else {
            // The service's own archive: nothing when another instance was first.
            if !written {
                return Ok(None);
            }
            return Ok(assessments::find(c, &key, Some(version))?);
        };
        if !written {
            return Err(AppError::new(
                ErrorCode::Duplicate,
                "another version of this month was published meanwhile; reload and try again",
            ));
        }
        audit::record(
            c,
            &By::Request(actor),
            AuditAction::AssessmentPublish,
            Some(&key),
            Some(json!({ "version": version })),
            now,
        )?;
        Ok(assessments::find(c, &key, Some(version))?)
    })?;
    Ok(row)
}

fn first_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// Archives the month before `now`'s (China) if it is not archived yet: the scheduler calls
/// it after each sweep, so it happens at the first sweep of a month.
pub fn archive_due(
    db: &Db,
    segmenter: &Segmenter,
    weights: &Weights,
    now: DateTime<Utc>,
) -> Result<Option<AssessmentRow>, AppError> {
    let this_month = first_of(time::china_date(now));
    let Some(last_month) = this_month.checked_sub_months(Months::new(1)) else {
        return Ok(None);
    };
    let key = month_key(last_month);
    if db.read(|c| Ok::<_, AppError>(assessments::latest_version(c, &key)?))? > 0 {
        return Ok(None);
    }
    publish(db, segmenter, last_month, weights, None, None, now)
}

/// What of the archive `who` may read: `None`, everything (administrators, dispatchers);
/// `Some(ids)`, the rows of the departments a head heads; 403 for anyone else (enterprise
/// users, cadres heading no department).
pub fn reader_scope(
    conn: &mut DbConnection,
    who: &Principal,
) -> Result<Option<Vec<String>>, AppError> {
    let refused = || {
        AppError::forbidden(
            "the assessments are for administrators, dispatchers and department heads",
        )
    };
    match who.role {
        Role::Admin | Role::Dispatcher => Ok(None),
        Role::Cadre => {
            let ids = stats::headed_departments(conn, &who.user_id)?;
            if ids.is_empty() {
                return Err(refused());
            }
            Ok(Some(ids))
        }
        Role::Enterprise => Err(refused()),
    }
}

/// A version's figures as published.
pub fn figures_of(row: &AssessmentRow) -> Result<Value, AppError> {
    serde_json::from_str(&row.figures)
        .map_err(|e| AppError::internal(anyhow::anyhow!("an archived assessment's figures: {e}")))
}

/// What a reader of `scope` ([`reader_scope`]) may read of a version's figures: all of
/// them, or a head's departments' ranking rows without the district's summary.
pub fn figures_for(row: &AssessmentRow, scope: Option<&[String]>) -> Result<Value, AppError> {
    let mut figures = figures_of(row)?;
    let Some(ids) = scope else {
        return Ok(figures);
    };
    if let Value::Object(map) = &mut figures {
        map.remove("summary");
        map.remove("unranked");
        if let Some(Value::Array(rows)) = map.get_mut("ranking") {
            rows.retain(|r| {
                r["department_id"]
                    .as_str()
                    .is_some_and(|d| ids.iter().any(|i| i == d))
            });
        }
    }
    Ok(figures)
}
