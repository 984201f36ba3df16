//! The tickets' searchable words (issue 18): one row per ticket in `ticket_words`, indexed by
//! SQLite FTS5 (`ticket_words_fts`, kept in step by triggers) or PostgreSQL's GIN over a
//! `simple` tsvector; and the SQL fragments that match and rank a query's words. The words
//! come segmented from [`crate::search`]: nothing here segments.
//!
//! Any SQL that differs per backend is here, in the fragments' two `QueryFragment` impls.

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Bool, Text};
use diesel::sqlite::Sqlite;

use super::connection::DbConnection;
use super::schema::{ticket_words, tickets};

/// Adds `words` to the ticket's indexed words (creating its row on the first call): the one
/// way the index is written — by filing, by a public progress note or resolution, by the
/// backfill. A note's words are appended to those already there, so the writer neither
/// re-reads nor re-segments the ticket's other texts. Two statements, both prepared and
/// cached: a lookup by the unique `ticket_id` and an update (or insert).
pub fn add(conn: &mut DbConnection, ticket_id: &str, words: &[String]) -> QueryResult<()> {
    if words.is_empty() {
        return Ok(());
    }
    let stored: Option<String> = ticket_words::table
        .filter(ticket_words::ticket_id.eq(ticket_id))
        .select(ticket_words::words)
        .get_result(conn)
        .optional()?;
    match stored {
        Some(stored) => {
            diesel::update(ticket_words::table.filter(ticket_words::ticket_id.eq(ticket_id)))
                .set(ticket_words::words.eq(append(&stored, words)))
                .execute(conn)?;
        }
        None => {
            diesel::insert_into(ticket_words::table)
                .values((
                    ticket_words::ticket_id.eq(ticket_id),
                    ticket_words::words.eq(append("", words)),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// The stored words (space-separated) followed by `more`.
pub fn append(stored: &str, more: &[String]) -> String {
    stored
        .split(' ')
        .filter(|w| !w.is_empty())
        .chain(more.iter().map(String::as_str).filter(|w| !w.contains(' ')))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Inserts the words of tickets that have none yet (the seed loader's and the backfill's
/// batches), in one prepared statement a row.
pub fn insert_new(conn: &mut DbConnection, rows: &[(String, String)]) -> QueryResult<()> {
    for (ticket_id, words) in rows {
        diesel::insert_into(ticket_words::table)
            .values((
                ticket_words::ticket_id.eq(ticket_id),
                ticket_words::words.eq(words),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// How many tickets have no words yet: the backfill has work when this is above zero. Two
/// counts rather than an anti-join, so that a database that is complete costs two index scans
/// at start-up.
pub fn missing_count(conn: &mut DbConnection) -> QueryResult<i64> {
    let all: i64 = tickets::table.count().get_result(conn)?;
    let indexed: i64 = ticket_words::table.count().get_result(conn)?;
    Ok(all - indexed)
}

/// Up to `limit` ids of tickets with no words yet, after `after_id`, in id order.
pub fn missing_after(
    conn: &mut DbConnection,
    after_id: &str,
    limit: i64,
) -> QueryResult<Vec<String>> {
    let indexed = ticket_words::table.select(ticket_words::ticket_id);
    tickets::table
        .filter(tickets::id.gt(after_id))
        .filter(tickets::id.ne_all(indexed))
        .select(tickets::id)
        .order(tickets::id.asc())
        .limit(limit)
        .load(conn)
}

/// Refreshes PostgreSQL's statistics of the words after many were written (the backfill):
/// without them the planner guesses that a rare word matches thousands of tickets and walks
/// the newest first, reading most of the table (577 ms against 26 ms at a million tickets;
/// docs/performance.md). SQLite's FTS5 plans need none.
pub fn analyze(conn: &mut DbConnection) -> QueryResult<()> {
    match conn {
        DbConnection::Postgres(c) => {
            use diesel::connection::SimpleConnection;
            c.batch_execute("ANALYZE ticket_words")
        }
        DbConnection::Sqlite(_) => Ok(()),
    }
}

/// Deletes every ticket's words (tests of the backfill; an operator rebuilding the index after
/// changing the words file).
pub fn clear(conn: &mut DbConnection) -> QueryResult<usize> {
    diesel::delete(ticket_words::table).execute(conn)
}

/// A query's words as each backend's full-text engine takes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordsQuery {
    /// FTS5: each word a quoted string (`"` doubled), implicit AND: `"路灯" "门前"`.
    fts5: String,
    /// PostgreSQL: the words joined by spaces, for `plainto_tsquery('simple', …)` (AND of
    /// the lexemes the `simple` parser finds, the same way it found them in the index).
    tsquery: String,
}

impl WordsQuery {
    /// `None` when there are no words.
    pub fn new(words: &[String]) -> Option<WordsQuery> {
        if words.is_empty() {
            return None;
        }
        let fts5 = words
            .iter()
            .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(" ");
        Some(WordsQuery {
            fts5,
            tsquery: words.join(" "),
        })
    }
}

/// `tickets.id IN (the tickets whose words include every query word)`: a filter for any query
/// of tickets (counts, statistics, the ledger, the list newest first).
#[derive(Debug, Clone)]
pub struct HasWords(pub WordsQuery);

impl QueryFragment<Sqlite> for HasWords {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        out.push_sql(
            "tickets.id IN (SELECT ticket_words.ticket_id FROM ticket_words_fts \
             JOIN ticket_words ON ticket_words.id = ticket_words_fts.rowid \
             WHERE ticket_words_fts MATCH ",
        );
        out.push_bind_param::<Text, _>(&self.0.fts5)?;
        out.push_sql(")");
        Ok(())
    }
}

impl QueryFragment<Pg> for HasWords {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(
            "tickets.id IN (SELECT ticket_words.ticket_id FROM ticket_words \
             WHERE ticket_words.tsv @@ plainto_tsquery('simple', ",
        );
        out.push_bind_param::<Text, _>(&self.0.tsquery)?;
        out.push_sql("))");
        Ok(())
    }
}

/// The match itself, for a query that joins `ticket_words` (and on SQLite `ticket_words_fts`)
/// to rank by relevance ([`ByRelevance`]).
#[derive(Debug, Clone)]
pub struct MatchesWords(pub WordsQuery);

impl QueryFragment<Sqlite> for MatchesWords {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        out.push_sql("ticket_words_fts MATCH ");
        out.push_bind_param::<Text, _>(&self.0.fts5)?;
        Ok(())
    }
}

impl QueryFragment<Pg> for MatchesWords {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("ticket_words.tsv @@ plainto_tsquery('simple', ");
        out.push_bind_param::<Text, _>(&self.0.tsquery)?;
        out.push_sql(")");
        Ok(())
    }
}

/// `ORDER BY` the relevance (FTS5's `bm25`, lower is better; PostgreSQL's `ts_rank`, higher
/// is better), newest first among equals, `LIMIT n OFFSET k` written into the SQL (numbers
/// the caller checked: see `tickets::ByIdLimit` on why not bound). Not kept prepared: one
/// statement per offset would fill the connection's cache, and ranking every match costs far
/// more than a parse.
#[derive(Debug, Clone)]
pub struct ByRelevance {
    pub query: WordsQuery,
    pub limit: i64,
    pub offset: i64,
}

impl ByRelevance {
    fn limit_offset(&self) -> String {
        format!(" LIMIT {} OFFSET {}", self.limit.max(0), self.offset.max(0))
    }
}

impl QueryFragment<Sqlite> for ByRelevance {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        out.unsafe_to_cache_prepared();
        out.push_sql("bm25(ticket_words_fts), tickets.id DESC");
        out.push_sql(&self.limit_offset());
        Ok(())
    }
}

impl QueryFragment<Pg> for ByRelevance {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.unsafe_to_cache_prepared();
        out.push_sql("ts_rank(ticket_words.tsv, plainto_tsquery('simple', ");
        out.push_bind_param::<Text, _>(&self.query.tsquery)?;
        // Normalisation 1: divided by 1 + the log of the ticket's length, as bm25 weighs
        // a word less in a long text.
        out.push_sql("), 1) DESC, tickets.id DESC");
        out.push_sql(&self.limit_offset());
        Ok(())
    }
}

/// The diesel plumbing that lets the fragments stand in a boxed query's `filter` / `order`.
macro_rules! expression {
    ($t:ty, $sql_type:ty) => {
        impl diesel::Expression for $t {
            type SqlType = $sql_type;
        }
        impl QueryId for $t {
            type QueryId = ();
            const HAS_STATIC_QUERY_ID: bool = false;
        }
        impl<QS> diesel::AppearsOnTable<QS> for $t {}
        impl<QS> diesel::SelectableExpression<QS> for $t {}
        impl diesel::expression::ValidGrouping<()> for $t {
            type IsAggregate = diesel::expression::is_aggregate::Never;
        }
    };
}

// Boxed queries are cached by their SQL text: the words are bound, so each filter's SQL is one
// text.
expression!(HasWords, Bool);
expression!(MatchesWords, Bool);
expression!(ByRelevance, Text);

/// A ticket like another (`GET /tickets/{id}/similar`, `/tickets/similar`): its id, how alike
/// (the rank of the shared words: higher is more alike) and its indexed words.
#[derive(Debug, Clone, QueryableByName)]
pub struct SimilarRow {
    #[diesel(sql_type = Text)]
    pub ticket_id: String,
    #[diesel(sql_type = diesel::sql_types::Double)]
    pub score: f64,
    #[diesel(sql_type = Text)]
    pub words: String,
}

/// Which tickets a similarity search looks among.
#[derive(Debug, Clone)]
pub struct SimilarAmong {
    /// Left out (the ticket the others are like).
    pub except_id: Option<String>,
    /// Only this enterprise's (an enterprise's own).
    pub enterprise_id: Option<String>,
    /// Resolved or closed tickets resolved at or after this instant count too; `None`: open
    /// tickets only.
    pub resolved_since: Option<String>,
    pub limit: i64,
}

/// The tickets among `among` that have **any** of `words`, the most alike first: FTS5's
/// `bm25` of the words joined by OR (negated, so that higher is more alike), PostgreSQL's
/// `ts_rank` of the same `|` query. Open means submitted, accepted, assigned or in progress.
pub fn similar(
    conn: &mut DbConnection,
    words: &[String],
    among: &SimilarAmong,
) -> QueryResult<Vec<SimilarRow>> {
    use diesel::sql_types::Nullable;
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let limit = among.limit.clamp(1, 100);
    // The statuses are the enumeration's own spellings, and the limit a number: no user text
    // is written into the SQL, only bound.
    let open = "'submitted', 'accepted', 'assigned', 'in_progress'";
    match conn {
        DbConnection::Sqlite(c) => {
            let query = words
                .iter()
                .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
                .collect::<Vec<_>>()
                .join(" OR ");
            diesel::sql_query(format!(
                "SELECT w.ticket_id AS ticket_id, -bm25(ticket_words_fts) AS score, w.words AS words \
                 FROM ticket_words_fts JOIN ticket_words w ON w.id = ticket_words_fts.rowid \
                 JOIN tickets t ON t.id = w.ticket_id \
                 WHERE ticket_words_fts MATCH ? \
                 AND (? IS NULL OR t.id <> ?) AND (? IS NULL OR t.enterprise_id = ?) \
                 AND (t.status IN ({open}) OR (? IS NOT NULL AND t.status IN ('resolved', 'closed') AND t.resolved_at >= ?)) \
                 ORDER BY bm25(ticket_words_fts), t.id DESC LIMIT {limit}"
            ))
            .bind::<Text, _>(query)
            .bind::<Nullable<Text>, _>(among.except_id.clone())
            .bind::<Nullable<Text>, _>(among.except_id.clone())
            .bind::<Nullable<Text>, _>(among.enterprise_id.clone())
            .bind::<Nullable<Text>, _>(among.enterprise_id.clone())
            .bind::<Nullable<Text>, _>(among.resolved_since.clone())
            .bind::<Nullable<Text>, _>(among.resolved_since.clone())
            .load(c)
        }
        DbConnection::Postgres(c) => {
            // Each word quoted as a tsquery lexeme (`'` doubled, `\` escaped), joined by `|`.
            let query = words
                .iter()
                .map(|w| format!("'{}'", w.replace('\\', "\\\\").replace('\'', "''")))
                .collect::<Vec<_>>()
                .join(" | ");
            diesel::sql_query(format!(
                "SELECT w.ticket_id AS ticket_id, \
                 ts_rank(w.tsv, to_tsquery('simple', $1), 1)::float8 AS score, w.words AS words \
                 FROM ticket_words w JOIN tickets t ON t.id = w.ticket_id \
                 WHERE w.tsv @@ to_tsquery('simple', $1) \
                 AND ($2::text IS NULL OR t.id <> $2) AND ($3::text IS NULL OR t.enterprise_id = $3) \
                 AND (t.status IN ({open}) OR ($4::text IS NOT NULL AND t.status IN ('resolved', 'closed') AND t.resolved_at >= $4)) \
                 ORDER BY 2 DESC, t.id DESC LIMIT {limit}"
            ))
            .bind::<Text, _>(query)
            .bind::<Nullable<Text>, _>(among.except_id.clone())
            .bind::<Nullable<Text>, _>(among.enterprise_id.clone())
            .bind::<Nullable<Text>, _>(among.resolved_since.clone())
            .load(c)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_appended_in_order() {
        let more = vec!["路灯".to_string(), "门前".to_string(), "亮".to_string()];
        assert_eq!(append("亮 不", &more), "亮 不 路灯 门前 亮");
        assert_eq!(append("", &more[..1]), "路灯");
    }

    #[test]
    fn a_words_query_quotes_each_word_for_fts5() {
        let q = WordsQuery::new(&["路灯".into(), "a\"b".into()]).expect("words");
        assert_eq!(q.fts5, "\"路灯\" \"a\"\"b\"");
        assert_eq!(q.tsquery, "路灯 a\"b");
        assert!(WordsQuery::new(&[]).is_none());
    }
}
