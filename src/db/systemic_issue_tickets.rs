//! Which tickets a systemic issue explains: one row per link, and the counts behind an issue
//! (requests: its linked tickets; enterprises: the distinct enterprises among them).

use diesel::dsl::{count, count_star};
use diesel::prelude::*;

use super::connection::DbConnection;
use super::schema::systemic_issue_tickets;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = systemic_issue_tickets, treat_none_as_default_value = false)]
pub struct SystemicLinkRow {
    pub issue_id: String,
    pub ticket_id: String,
    /// The ticket's enterprise, copied (a ticket never changes enterprise): the counts read it
    /// here.
    pub enterprise_id: String,
    pub linked_by: String,
    pub linked_at: String,
}

/// How many requests and enterprises stand behind an issue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub requests: i64,
    pub enterprises: i64,
}

pub fn insert(conn: &mut DbConnection, row: &SystemicLinkRow) -> QueryResult<()> {
    diesel::insert_into(systemic_issue_tickets::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn exists(conn: &mut DbConnection, issue_id: &str, ticket_id: &str) -> QueryResult<bool> {
    let n: i64 = systemic_issue_tickets::table
        .filter(systemic_issue_tickets::issue_id.eq(issue_id))
        .filter(systemic_issue_tickets::ticket_id.eq(ticket_id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Removes a link; how many rows went (0 or 1).
pub fn delete(conn: &mut DbConnection, issue_id: &str, ticket_id: &str) -> QueryResult<usize> {
    diesel::delete(
        systemic_issue_tickets::table
            .filter(systemic_issue_tickets::issue_id.eq(issue_id))
            .filter(systemic_issue_tickets::ticket_id.eq(ticket_id)),
    )
    .execute(conn)
}

/// The issue's links, the newest tickets first (ids are v7 UUIDs), at most `limit`: the
/// primary key's range, read backwards, so no sort however many are linked.
pub fn of_issue(
    conn: &mut DbConnection,
    issue_id: &str,
    limit: i64,
) -> QueryResult<Vec<SystemicLinkRow>> {
    systemic_issue_tickets::table
        .filter(systemic_issue_tickets::issue_id.eq(issue_id))
        .select(SystemicLinkRow::as_select())
        .order(systemic_issue_tickets::ticket_id.desc())
        .limit(limit)
        .load(conn)
}

/// The ids of the issues a ticket is linked to (`systemic_issue_tickets_ticket_idx`).
pub fn issues_of_ticket(conn: &mut DbConnection, ticket_id: &str) -> QueryResult<Vec<String>> {
    systemic_issue_tickets::table
        .filter(systemic_issue_tickets::ticket_id.eq(ticket_id))
        .select(systemic_issue_tickets::issue_id)
        .load(conn)
}

/// The counts of each of these issues (those without links are left out): one grouped
/// query over ranges of `systemic_issue_tickets_counts_idx (issue_id, enterprise_id)`, which
/// covers it — no linked ticket is read.
pub fn counts(conn: &mut DbConnection, issue_ids: &[String]) -> QueryResult<Vec<(String, Counts)>> {
    if issue_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(String, i64, i64)> = systemic_issue_tickets::table
        .filter(systemic_issue_tickets::issue_id.eq_any(issue_ids.to_vec()))
        .group_by(systemic_issue_tickets::issue_id)
        .select((
            systemic_issue_tickets::issue_id,
            count_star(),
            count(systemic_issue_tickets::enterprise_id).aggregate_distinct(),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, requests, enterprises)| {
            (
                id,
                Counts {
                    requests,
                    enterprises,
                },
            )
        })
        .collect())
}
