//! Liaison cadres' visits (走访, issue 19; `service::visits`) and the requests filed from them.

use diesel::prelude::*;

use super::connection::DbConnection;
use super::schema::{visit_tickets, visits};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = visits)]
pub struct VisitRow {
    pub id: String,
    pub enterprise_id: String,
    pub cadre_id: String,
    pub department_id: Option<String>,
    pub visited_on: String,
    pub method: String,
    pub people: String,
    pub findings: String,
    pub created_at: String,
}

pub fn insert(conn: &mut DbConnection, row: &VisitRow) -> QueryResult<()> {
    diesel::insert_into(visits::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn link_ticket(conn: &mut DbConnection, visit_id: &str, ticket_id: &str) -> QueryResult<()> {
    diesel::insert_into(visit_tickets::table)
        .values((
            visit_tickets::visit_id.eq(visit_id),
            visit_tickets::ticket_id.eq(ticket_id),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<VisitRow>> {
    visits::table
        .find(id)
        .select(VisitRow::as_select())
        .get_result(conn)
        .optional()
}

/// What a list of visits is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct VisitFilter {
    pub enterprise_id: Option<String>,
    pub cadre_id: Option<String>,
    /// Days, both inclusive (`YYYY-MM-DD`).
    pub from: Option<String>,
    pub to: Option<String>,
    /// Only visits to these enterprises or by this cadre (a cadre's own reading).
    pub readable_by: Option<(String, Vec<String>)>,
}

/// Visits, the latest first, at most `limit`.
pub fn list(
    conn: &mut DbConnection,
    filter: &VisitFilter,
    limit: i64,
) -> QueryResult<Vec<VisitRow>> {
    let mut query = visits::table
        .select(VisitRow::as_select())
        .order((visits::visited_on.desc(), visits::created_at.desc()))
        .limit(limit)
        .into_boxed();
    if let Some(e) = &filter.enterprise_id {
        query = query.filter(visits::enterprise_id.eq(e.clone()));
    }
    if let Some(c) = &filter.cadre_id {
        query = query.filter(visits::cadre_id.eq(c.clone()));
    }
    if let Some(from) = &filter.from {
        query = query.filter(visits::visited_on.ge(from.clone()));
    }
    if let Some(to) = &filter.to {
        query = query.filter(visits::visited_on.le(to.clone()));
    }
    if let Some((cadre, enterprises)) = &filter.readable_by {
        query = query.filter(
            visits::cadre_id
                .eq(cadre.clone())
                .or(visits::enterprise_id.eq_any(enterprises.clone())),
        );
    }
    query.load(conn)
}

/// The requests filed from each of `visit_ids`: (visit id, ticket id).
pub fn tickets_of(
    conn: &mut DbConnection,
    visit_ids: &[String],
) -> QueryResult<Vec<(String, String)>> {
    visit_tickets::table
        .filter(visit_tickets::visit_id.eq_any(visit_ids))
        .select((visit_tickets::visit_id, visit_tickets::ticket_id))
        .load(conn)
}

/// The latest visit day of each of `enterprise_ids` that has one.
pub fn last_visits(
    conn: &mut DbConnection,
    enterprise_ids: &[String],
) -> QueryResult<Vec<(String, Option<String>)>> {
    visits::table
        .filter(visits::enterprise_id.eq_any(enterprise_ids))
        .group_by(visits::enterprise_id)
        .select((visits::enterprise_id, diesel::dsl::max(visits::visited_on)))
        .load(conn)
}
