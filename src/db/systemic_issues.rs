//! Systemic issues (症结): one row each, with its status and version.

use diesel::prelude::*;

use super::connection::DbConnection;
use super::schema::systemic_issues;
use crate::domain::systemic::SystemicStatus;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = systemic_issues, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct SystemicIssueRow {
    pub id: String,
    pub title: String,
    pub analysis: String,
    pub measures: String,
    pub lead_department_id: String,
    pub status: SystemicStatus,
    pub created_by: String,
    pub version: i32,
    pub created_at: String,
    pub updated_at: String,
    pub solved_at: Option<String>,
}

/// What a list of issues is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct SystemicFilter {
    /// Any of these statuses (none: all).
    pub statuses: Vec<SystemicStatus>,
    pub lead_department_id: Option<String>,
    /// The page after this id (newest first).
    pub before_id: Option<String>,
}

pub fn insert(conn: &mut DbConnection, row: &SystemicIssueRow) -> QueryResult<()> {
    diesel::insert_into(systemic_issues::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<SystemicIssueRow>> {
    systemic_issues::table
        .find(id)
        .select(SystemicIssueRow::as_select())
        .get_result(conn)
        .optional()
}

/// Writes `row` if the stored one still has `expected_version`; false when someone else
/// changed it first.
pub fn update_versioned(
    conn: &mut DbConnection,
    row: &SystemicIssueRow,
    expected_version: i32,
) -> QueryResult<bool> {
    let changed = diesel::update(
        systemic_issues::table
            .filter(systemic_issues::id.eq(&row.id))
            .filter(systemic_issues::version.eq(expected_version)),
    )
    .set(row)
    .execute(conn)?;
    Ok(changed == 1)
}

/// Up to `limit` issues newest first (ids are v7 UUIDs: by id is by creation). Served by
/// `systemic_issues_status_idx` when filtered by status, `systemic_issues_department_idx` by
/// department (with or without a status), the primary key otherwise.
pub fn list(
    conn: &mut DbConnection,
    filter: &SystemicFilter,
    limit: i64,
) -> QueryResult<Vec<SystemicIssueRow>> {
    let mut query = systemic_issues::table
        .select(SystemicIssueRow::as_select())
        .into_boxed();
    if !filter.statuses.is_empty() {
        query = query.filter(systemic_issues::status.eq_any(filter.statuses.clone()));
    }
    if let Some(d) = &filter.lead_department_id {
        query = query.filter(systemic_issues::lead_department_id.eq(d.clone()));
    }
    if let Some(before) = &filter.before_id {
        query = query.filter(systemic_issues::id.lt(before.clone()));
    }
    query
        .order(systemic_issues::id.desc())
        .limit(limit)
        .load(conn)
}

/// The issues with these ids that are in `statuses` (none: any), newest first.
pub fn find_many(
    conn: &mut DbConnection,
    ids: &[String],
    statuses: &[SystemicStatus],
) -> QueryResult<Vec<SystemicIssueRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = systemic_issues::table
        .filter(systemic_issues::id.eq_any(ids.to_vec()))
        .select(SystemicIssueRow::as_select())
        .into_boxed();
    if !statuses.is_empty() {
        query = query.filter(systemic_issues::status.eq_any(statuses.to_vec()));
    }
    query.order(systemic_issues::id.desc()).load(conn)
}
