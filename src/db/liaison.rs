//! The liaison program's pairings and drives (千名干部进千企, issue 19; `service::liaison`):
//! deputy liaison cadres, campaigns, and what the liaison figures count.

use diesel::prelude::*;

use super::connection::DbConnection;
use super::schema::{campaigns, enterprise_deputies, enterprises, visit_tickets, visits};

/// The deputy liaison cadres of each of `enterprise_ids`, as (enterprise id, cadre id).
pub fn deputies_of(
    conn: &mut DbConnection,
    enterprise_ids: &[String],
) -> QueryResult<Vec<(String, String)>> {
    enterprise_deputies::table
        .filter(enterprise_deputies::enterprise_id.eq_any(enterprise_ids))
        .select((
            enterprise_deputies::enterprise_id,
            enterprise_deputies::cadre_id,
        ))
        .order((
            enterprise_deputies::enterprise_id,
            enterprise_deputies::cadre_id,
        ))
        .load(conn)
}

/// Every pairing of a deputy, as (enterprise id, cadre id).
pub fn all_deputies(conn: &mut DbConnection) -> QueryResult<Vec<(String, String)>> {
    enterprise_deputies::table
        .select((
            enterprise_deputies::enterprise_id,
            enterprise_deputies::cadre_id,
        ))
        .load(conn)
}

/// The enterprises `cadre_id` is a deputy liaison cadre of.
pub fn deputy_enterprises(conn: &mut DbConnection, cadre_id: &str) -> QueryResult<Vec<String>> {
    enterprise_deputies::table
        .filter(enterprise_deputies::cadre_id.eq(cadre_id))
        .select(enterprise_deputies::enterprise_id)
        .load(conn)
}

/// Whether `cadre_id` is a liaison cadre of the enterprise: its liaison cadre or a deputy.
pub fn is_liaison(
    conn: &mut DbConnection,
    enterprise: &super::enterprises::EnterpriseRow,
    cadre_id: &str,
) -> QueryResult<bool> {
    if enterprise.liaison_cadre_id.as_deref() == Some(cadre_id) {
        return Ok(true);
    }
    is_deputy(conn, &enterprise.id, cadre_id)
}

/// Whether `cadre_id` is a deputy liaison cadre of the enterprise.
pub fn is_deputy(
    conn: &mut DbConnection,
    enterprise_id: &str,
    cadre_id: &str,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        enterprise_deputies::table
            .filter(enterprise_deputies::enterprise_id.eq(enterprise_id))
            .filter(enterprise_deputies::cadre_id.eq(cadre_id)),
    ))
    .get_result(conn)
}

/// Makes `cadre_ids` the enterprise's deputies, and only them.
pub fn set_deputies(
    conn: &mut DbConnection,
    enterprise_id: &str,
    cadre_ids: &[String],
) -> QueryResult<()> {
    diesel::delete(
        enterprise_deputies::table.filter(enterprise_deputies::enterprise_id.eq(enterprise_id)),
    )
    .execute(conn)?;
    for cadre in cadre_ids {
        diesel::insert_into(enterprise_deputies::table)
            .values((
                enterprise_deputies::enterprise_id.eq(enterprise_id),
                enterprise_deputies::cadre_id.eq(cadre),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// A paired enterprise as the figures see it: id, name, area, industry chain, liaison cadre.
pub type PairedRow = (String, String, Option<String>, Option<String>, String);

/// The enterprises with a liaison cadre, narrowed to an area and an industry chain if given.
pub fn paired(
    conn: &mut DbConnection,
    area: Option<&str>,
    industry_chain: Option<&str>,
) -> QueryResult<Vec<PairedRow>> {
    let mut query = enterprises::table
        .filter(enterprises::liaison_cadre_id.is_not_null())
        .select((
            enterprises::id,
            enterprises::name,
            enterprises::area,
            enterprises::industry_chain,
            enterprises::liaison_cadre_id.assume_not_null(),
        ))
        .into_boxed();
    if let Some(a) = area {
        query = query.filter(enterprises::area.eq(a.to_string()));
    }
    if let Some(c) = industry_chain {
        query = query.filter(enterprises::industry_chain.eq(c.to_string()));
    }
    query.load(conn)
}

/// A visit as the figures see it: id, enterprise, cadre, the cadre's department then.
pub type VisitFact = (String, String, String, Option<String>);

/// The visits made on the days `from..=to` (YYYY-MM-DD).
pub fn visits_between(
    conn: &mut DbConnection,
    from: &str,
    to: &str,
) -> QueryResult<Vec<VisitFact>> {
    visits::table
        .filter(visits::visited_on.ge(from))
        .filter(visits::visited_on.le(to))
        .select((
            visits::id,
            visits::enterprise_id,
            visits::cadre_id,
            visits::department_id,
        ))
        .load(conn)
}

/// The visit of each request filed from a visit made on the days `from..=to`.
pub fn requests_between(conn: &mut DbConnection, from: &str, to: &str) -> QueryResult<Vec<String>> {
    visit_tickets::table
        .filter(
            visit_tickets::visit_id.eq_any(
                visits::table
                    .filter(visits::visited_on.ge(from))
                    .filter(visits::visited_on.le(to))
                    .select(visits::id),
            ),
        )
        .select(visit_tickets::visit_id)
        .load(conn)
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = campaigns, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct CampaignRow {
    pub id: String,
    pub title: String,
    pub starts_on: String,
    pub ends_on: String,
    pub target_percent: i32,
    pub area: Option<String>,
    pub industry_chain: Option<String>,
    pub note: String,
    pub created_by: String,
    pub created_at: String,
}

pub fn insert_campaign(conn: &mut DbConnection, row: &CampaignRow) -> QueryResult<()> {
    diesel::insert_into(campaigns::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_campaign(conn: &mut DbConnection, id: &str) -> QueryResult<Option<CampaignRow>> {
    campaigns::table
        .find(id)
        .select(CampaignRow::as_select())
        .get_result(conn)
        .optional()
}

/// Campaigns, the latest end first, at most `limit`.
pub fn list_campaigns(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<CampaignRow>> {
    campaigns::table
        .select(CampaignRow::as_select())
        .order((campaigns::ends_on.desc(), campaigns::created_at.desc()))
        .limit(limit)
        .load(conn)
}

/// The department of each of the users `ids`, as (user id, department id).
pub fn departments_of(
    conn: &mut DbConnection,
    ids: &[String],
) -> QueryResult<Vec<(String, Option<String>)>> {
    use super::schema::users;
    users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::department_id))
        .load(conn)
}

/// The status and rating of each of the enterprise's tickets.
pub fn enterprise_tickets(
    conn: &mut DbConnection,
    enterprise_id: &str,
) -> QueryResult<Vec<(String, Option<String>)>> {
    use super::schema::tickets;
    tickets::table
        .filter(tickets::enterprise_id.eq(enterprise_id))
        .select((tickets::status, tickets::rating))
        .load(conn)
}
