//! Categories of requests, each with a default department and deadline.

use diesel::prelude::*;

use super::connection::DbConnection;
use super::schema::categories;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = categories, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct CategoryRow {
    pub id: String,
    pub name: String,
    pub default_department_id: Option<String>,
    pub deadline_days: i32,
    pub disabled: bool,
    pub created_at: String,
    pub updated_at: String,
}

pub fn insert(conn: &mut DbConnection, row: &CategoryRow) -> QueryResult<()> {
    diesel::insert_into(categories::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn update(conn: &mut DbConnection, row: &CategoryRow) -> QueryResult<()> {
    diesel::update(categories::table.find(&row.id))
        .set(row)
        .execute(conn)
        .map(drop)
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<CategoryRow>> {
    on_each!(conn, c => categories::table
        .find(id)
        .select(CategoryRow::as_select())
        .get_result(c)
        .optional())
}

pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<CategoryRow>> {
    categories::table
        .select(CategoryRow::as_select())
        .order((categories::name.asc(), categories::id.asc()))
        .load(conn)
}
