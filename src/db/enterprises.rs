//! Enterprises (企业), each with its unified social credit code and liaison cadre.

use diesel::prelude::*;

use super::connection::DbConnection;
use super::schema::enterprises;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = enterprises, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct EnterpriseRow {
    pub id: String,
    pub name: String,
    pub credit_code: String,
    pub industry_chain: Option<String>,
    pub area: Option<String>,
    pub address: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub liaison_cadre_id: Option<String>,
    pub search_text: String,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Default, Clone)]
pub struct EnterpriseFilter {
    pub industry_chain: Option<String>,
    pub area: Option<String>,
    pub liaison_cadre_id: Option<String>,
    /// A LIKE pattern over the folded name and credit code.
    pub pattern: Option<String>,
    pub before_id: Option<String>,
}

pub fn insert(conn: &mut DbConnection, row: &EnterpriseRow) -> QueryResult<()> {
    diesel::insert_into(enterprises::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// Writes the enterprise; when its area or industry chain changes, its tickets are noted for
/// the statistics first (they slice by both).
pub fn update(conn: &mut DbConnection, row: &EnterpriseRow) -> QueryResult<()> {
    let old: Option<(Option<String>, Option<String>)> = enterprises::table
        .find(&row.id)
        .select((enterprises::industry_chain, enterprises::area))
        .first(conn)
        .optional()?;
    if old.is_some_and(|old| old != (row.industry_chain.clone(), row.area.clone())) {
        super::stats_cells::note_enterprise(conn, &row.id)?;
    }
    diesel::update(enterprises::table.find(&row.id))
        .set(row)
        .execute(conn)
        .map(drop)
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<EnterpriseRow>> {
    on_each!(conn, c => enterprises::table
        .find(id)
        .select(EnterpriseRow::as_select())
        .get_result(c)
        .optional())
}

pub fn list(
    conn: &mut DbConnection,
    filter: &EnterpriseFilter,
    limit: i64,
) -> QueryResult<Vec<EnterpriseRow>> {
    let mut query = enterprises::table
        .select(EnterpriseRow::as_select())
        .into_boxed();
    if let Some(v) = &filter.industry_chain {
        query = query.filter(enterprises::industry_chain.eq(v.clone()));
    }
    if let Some(v) = &filter.area {
        query = query.filter(enterprises::area.eq(v.clone()));
    }
    if let Some(v) = &filter.liaison_cadre_id {
        query = query.filter(enterprises::liaison_cadre_id.eq(v.clone()));
    }
    if let Some(p) = &filter.pattern {
        query = query.filter(enterprises::search_text.like(p.clone()).escape('\\'));
    }
    if let Some(before) = &filter.before_id {
        query = query.filter(enterprises::id.lt(before.clone()));
    }
    query.order(enterprises::id.desc()).limit(limit).load(conn)
}

/// An enterprise's id, industry chain and area.
pub type Attributes = (String, Option<String>, Option<String>);

/// The industry chain and area of every enterprise, by id: the statistics slice by them.
pub fn attributes(conn: &mut DbConnection) -> QueryResult<Vec<Attributes>> {
    enterprises::table
        .select((
            enterprises::id,
            enterprises::industry_chain,
            enterprises::area,
        ))
        .load(conn)
}

/// The names of the enterprises `ids`, as (id, name).
pub fn names_of(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<(String, String)>> {
    enterprises::table
        .filter(enterprises::id.eq_any(ids))
        .select((enterprises::id, enterprises::name))
        .load(conn)
}

/// Every enterprise's id, name and credit code (for the ledger's rows).
pub fn names(conn: &mut DbConnection) -> QueryResult<Vec<(String, String, String)>> {
    enterprises::table
        .select((enterprises::id, enterprises::name, enterprises::credit_code))
        .load(conn)
}

pub fn find_by_credit_code(
    conn: &mut DbConnection,
    credit_code: &str,
) -> QueryResult<Option<EnterpriseRow>> {
    enterprises::table
        .filter(enterprises::credit_code.eq(credit_code))
        .select(EnterpriseRow::as_select())
        .first(conn)
        .optional()
}
