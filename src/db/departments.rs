//! Departments (责任单位), including task forces (专班) as departments with children.

use diesel::prelude::*;

use super::connection::DbConnection;
use super::schema::departments;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = departments, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct DepartmentRow {
    pub id: String,
    pub name: String,
    pub parent_id: Option<String>,
    pub head_user_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

pub fn insert(conn: &mut DbConnection, row: &DepartmentRow) -> QueryResult<()> {
    diesel::insert_into(departments::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn update(conn: &mut DbConnection, row: &DepartmentRow) -> QueryResult<()> {
    diesel::update(departments::table.find(&row.id))
        .set(row)
        .execute(conn)
        .map(drop)
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<DepartmentRow>> {
    departments::table
        .find(id)
        .select(DepartmentRow::as_select())
        .get_result(conn)
        .optional()
}

pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<DepartmentRow>> {
    departments::table
        .select(DepartmentRow::as_select())
        .order((departments::name.asc(), departments::id.asc()))
        .load(conn)
}

/// Those of `ids` that exist.
pub fn existing(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<String>> {
    departments::table
        .filter(departments::id.eq_any(ids))
        .select(departments::id)
        .load(conn)
}
