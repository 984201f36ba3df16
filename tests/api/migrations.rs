//! The migrations: the two sets stay in step, and each runs up, down and up again.

use std::collections::BTreeSet;
use std::path::Path;

use diesel::RunQueryDsl;
use qiyeshao::db::{self, Db};

use crate::helpers::{Backend, empty_database};

fn versions(dir: &str) -> BTreeSet<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(dir);
    std::fs::read_dir(&root)
        .expect("migrations directory")
        .map(|e| {
            let e = e.expect("entry");
            let path = e.path();
            assert!(
                path.join("up.sql").is_file(),
                "{} has no up.sql",
                path.display()
            );
            assert!(
                path.join("down.sql").is_file(),
                "{} has no down.sql",
                path.display()
            );
            e.file_name().to_string_lossy().into_owned()
        })
        .collect()
}

fn both_backends_have_the_same_migrations() {
    let sqlite = versions("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, versions("postgres"));
}

fn table_count(db: &Db, backend: Backend) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let sql = match backend {
        Backend::Sqlite => {
            // The FTS5 index of ticket_words (a virtual table and its shadow tables) has no
            // counterpart on PostgreSQL, whose index is a GIN index: left out.
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'ticket_words_fts%' AND name <> '__diesel_schema_migrations'"
        }
        Backend::Postgres => {
            "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = current_schema() AND table_name <> '__diesel_schema_migrations'"
        }
    };
    let mut conn = db.conn().expect("connection");
    diesel::sql_query(sql)
        .get_result::<Count>(&mut *conn)
        .expect("count")
        .n
}

fn up_down_up(backend: Backend) {
    let fresh = empty_database(backend);
    let settings = &fresh.settings;
    let applied = db::migrate(settings).expect("up");
    assert_eq!(applied.len(), versions("sqlite").len());
    let db = Db::connect(settings).expect("pool");
    assert_eq!(table_count(&db, backend), 50);
    let reverted = db::revert_all(settings).expect("down");
    assert_eq!(reverted.len(), applied.len());
    assert_eq!(table_count(&db, backend), 0);
    let again = db::migrate(settings).expect("up again");
    assert_eq!(again, applied);
    assert_eq!(table_count(&db, backend), 50);
    assert!(db::migrate(settings).expect("nothing to do").is_empty());
}

/// The timeline is append-only in the database itself, not only in the code.
fn events_cannot_be_changed(backend: Backend) {
    let fresh = empty_database(backend);
    db::migrate(&fresh.settings).expect("up");
    let db = Db::connect(&fresh.settings).expect("pool");
    let mut conn = db.conn().expect("connection");
    let now = "2026-11-22T00:00:00.000Z";
    let setup = [
        format!(
            "INSERT INTO departments (id, name, created_at, updated_at) VALUES ('d', 'd', '{now}', '{now}')"
        ),
        format!(
            "INSERT INTO categories (id, name, deadline_days, disabled, created_at, updated_at) VALUES ('c', 'c', 1, FALSE, '{now}', '{now}')"
        ),
        format!(
            "INSERT INTO enterprises (id, name, credit_code, search_text, created_at, updated_at) VALUES ('e', 'e', 'x', 'e', '{now}', '{now}')"
        ),
        format!(
            "INSERT INTO users (id, username, password_hash, name, role, disabled, created_at, updated_at) VALUES ('u', 'u', 'h', 'u', 'admin', FALSE, '{now}', '{now}')"
        ),
        format!(
            "INSERT INTO tickets (id, number, kind, status, title, description, search_text, category_id, enterprise_id, submitter_id, channel, reopen_count, version, created_at, updated_at) VALUES ('t', 'n', 'problem', 'submitted', 't', 'd', 's', 'c', 'e', 'u', 'online', 0, 1, '{now}', '{now}')"
        ),
        format!(
            "INSERT INTO ticket_events (id, ticket_id, seq, action, to_status, public, created_at) VALUES ('v', 't', 1, 'file', 'submitted', TRUE, '{now}')"
        ),
    ];
    for sql in &setup {
        diesel::sql_query(sql.as_str())
            .execute(&mut *conn)
            .expect(sql);
    }
    assert!(
        diesel::sql_query("UPDATE ticket_events SET note = 'rewritten'")
            .execute(&mut *conn)
            .is_err()
    );
    assert!(
        diesel::sql_query("DELETE FROM ticket_events")
            .execute(&mut *conn)
            .is_err()
    );
    // CHECK constraints back the enumerations.
    assert!(
        diesel::sql_query("UPDATE tickets SET status = 'lost'")
            .execute(&mut *conn)
            .is_err()
    );
}

crate::tests!(
    both_backends_have_the_same_migrations,
    #[each_backend]
    up_down_up,
    #[each_backend]
    events_cannot_be_changed,
);
