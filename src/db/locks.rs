//! Locks that let one instance at a time do a piece of work when several share one
//! PostgreSQL: session advisory locks, keyed with the schema (advisory locks are per
//! database, and deployments — or tests — may share a database in schemas of their own).
//! SQLite has one serving process per file: there is nothing to take.

use diesel::prelude::*;
use diesel::sql_types::{Bool, Integer};

use super::connection::DbConnection;
use super::pool::{Db, PoolError, PooledDb};

/// An advisory lock held on a pooled connection of its own; released when dropped (and by
/// PostgreSQL if the process dies).
pub struct Held {
    conn: PooledDb,
    key: i32,
}

impl Held {
    /// The connection the lock is held on, for the holder's own reads: the work under the
    /// lock needs no second connection from the pool.
    pub fn conn(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let DbConnection::Postgres(pg) = &mut *self.conn
            && let Err(e) =
                diesel::sql_query("SELECT pg_advisory_unlock($1, hashtext(current_schema()))")
                    .bind::<Integer, _>(self.key)
                    .execute(pg)
        {
            tracing::warn!(error = %e, "releasing an advisory lock failed; it ends with the connection");
        }
    }
}

/// Takes the lock named `key` if no other session holds it: `None` when one does.
pub fn try_take<E>(db: &Db, key: i32) -> Result<Option<Held>, E>
where
    E: From<PoolError> + From<diesel::result::Error>,
{
    let mut conn = db.conn()?;
    if let DbConnection::Postgres(pg) = &mut *conn {
        #[derive(QueryableByName)]
        struct Locked {
            #[diesel(sql_type = Bool)]
            locked: bool,
        }
        let locked = diesel::sql_query(
            "SELECT pg_try_advisory_lock($1, hashtext(current_schema())) AS locked",
        )
        .bind::<Integer, _>(key)
        .get_result::<Locked>(pg)?
        .locked;
        if !locked {
            return Ok(None);
        }
    }
    Ok(Some(Held { conn, key }))
}
