//! The working-day calendar in force: the built-in years, replaced year by year by the files
//! in `deadlines.calendar_dir`, replaced in turn by the years administrators loaded into the
//! database (`qiyeshao calendar load`, `PUT /api/v1/calendar/years/{year}`), which every
//! instance reads. Instances re-read the database at each scheduler sweep, and at once after
//! a load of their own.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

use anyhow::Context;
use chrono::{DateTime, Datelike, Utc};
use diesel::QueryResult;

use crate::db::DbConnection;
use crate::db::calendar_years::{self, CalendarYearRow};
use crate::domain::calendar::{BUILT_IN, WorkCalendar, YearFile};
use crate::domain::ticket::Role;
use crate::domain::time;
use crate::error::AppError;
use crate::service::audit::{self, Actor, AuditAction, By};
use crate::service::require_role;

/// Where a year's data came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum YearSource {
    /// Compiled into the binary (config/calendar/ of this version).
    BuiltIn,
    /// A file in `deadlines.calendar_dir`.
    File,
    /// Loaded by an administrator into the database.
    Database,
}

/// The calendar, shared by the handlers and the scheduler.
pub struct CalendarStore {
    /// Built-in and configured files, by year.
    files: BTreeMap<i32, (YearFile, YearSource)>,
    current: RwLock<Arc<Calendar>>,
    /// The missing years last warned about, so the log says it once.
    warned: Mutex<Vec<i32>>,
}

/// A calendar and where each of its years came from.
#[derive(Debug, Clone)]
pub struct Calendar {
    pub days: WorkCalendar,
    pub sources: BTreeMap<i32, YearSource>,
}

impl std::fmt::Debug for CalendarStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CalendarStore").finish_non_exhaustive()
    }
}

impl CalendarStore {
    /// The built-in years and those of `dir` (a bad file there stops the start).
    pub fn load(dir: &Path) -> anyhow::Result<CalendarStore> {
        let mut files = BTreeMap::new();
        for (year, text) in BUILT_IN {
            let file = YearFile::parse(text)
                .with_context(|| format!("the built-in calendar of {year}"))?;
            files.insert(*year, (file, YearSource::BuiltIn));
        }
        if let Ok(entries) = std::fs::read_dir(dir) {
            for entry in entries.flatten() {
                let path = entry.path();
                if path.extension().and_then(|e| e.to_str()) != Some("toml") {
                    continue;
                }
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read the calendar file {}", path.display()))?;
                let file = YearFile::parse(&text)
                    .with_context(|| format!("the calendar file {}", path.display()))?;
                // The repository's own files are the built-in ones: same text, same source.
                let source = if BUILT_IN.iter().any(|(y, t)| *y == file.year && *t == text) {
                    YearSource::BuiltIn
                } else {
                    YearSource::File
                };
                files.insert(file.year, (file, source));
            }
        }
        let store = CalendarStore {
            files,
            current: RwLock::new(Arc::new(Calendar {
                days: WorkCalendar::default(),
                sources: BTreeMap::new(),
            })),
            warned: Mutex::new(Vec::new()),
        };
        store.rebuild(Vec::new());
        Ok(store)
    }

    /// The calendar in force.
    pub fn current(&self) -> Arc<Calendar> {
        self.current
            .read()
            .map(|c| c.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    /// Re-reads the years loaded into the database. A stored year that no longer parses (it
    /// was checked when loaded) is left out with an error in the log.
    pub fn refresh(&self, conn: &mut DbConnection) -> QueryResult<()> {
        let rows = calendar_years::list(conn)?;
        self.rebuild(rows);
        Ok(())
    }

    fn rebuild(&self, rows: Vec<CalendarYearRow>) {
        let mut years: BTreeMap<i32, (YearFile, YearSource)> = self.files.clone();
        for row in rows {
            match YearFile::parse(&row.content) {
                Ok(file) if file.year == row.year => {
                    years.insert(row.year, (file, YearSource::Database));
                }
                Ok(_) | Err(_) => {
                    tracing::error!(
                        year = row.year,
                        "the calendar stored for this year cannot be read; the file or built-in one is used"
                    )
                }
            }
        }
        let sources = years.iter().map(|(y, (_, s))| (*y, *s)).collect();
        let days = WorkCalendar::new(years.into_values().map(|(f, _)| f));
        let calendar = Arc::new(Calendar { days, sources });
        match self.current.write() {
            Ok(mut current) => *current = calendar,
            Err(poisoned) => *poisoned.into_inner() = calendar,
        }
    }

    /// The years around `now` (this one and the next) that have no data, so deadlines there
    /// count Monday to Friday; logged once per change.
    pub fn missing_near(&self, now: DateTime<Utc>) -> Vec<i32> {
        let year = time::china_date(now).year();
        let missing = self.current().days.missing_years(year, year + 1);
        let mut warned = self
            .warned
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if *warned != missing {
            if !missing.is_empty() {
                tracing::warn!(years = ?missing, "no holiday calendar for these years: deadlines there count Monday to Friday; load the State Council's notice (docs/deadlines.md)");
            }
            *warned = missing.clone();
        }
        missing
    }
}

/// Stores a year's calendar for every instance (an administrator's act). Replaces a year
/// loaded before. The caller refreshes the store after the commit.
pub fn load_year(
    conn: &mut DbConnection,
    actor: &Actor,
    file: &YearFile,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    require_role(&actor.who, &[Role::Admin])?;
    store_year(conn, Some(&actor.who.user_id), file, now)?;
    let detail = serde_json::json!({"days": file.holidays.len()});
    let year = file.year.to_string();
    let by = By::Request(actor.clone());
    audit::record(
        conn,
        &by,
        AuditAction::CalendarPut,
        Some(&year),
        Some(detail),
        now,
    )
}

/// Stores a year (the command line has no principal).
pub fn store_year(
    conn: &mut DbConnection,
    by: Option<&str>,
    file: &YearFile,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    calendar_years::replace(
        conn,
        &CalendarYearRow {
            year: file.year,
            content: file.to_toml(),
            loaded_by: by.map(str::to_string),
            loaded_at: time::format(now),
        },
    )?;
    tracing::info!(
        year = file.year,
        holidays = file.holidays.len(),
        "calendar year loaded"
    );
    Ok(())
}
