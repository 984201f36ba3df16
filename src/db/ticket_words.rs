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

/// One word of a query, with the parts the index holds of a longer word that contains it.
///
/// The index cuts a text in search mode: a long word whole and in its parts of two and three
/// characters (高新技术企业 → 高新, 技术, 企业, 高新技术企业), but never in its parts of four
/// or more, so a query's 高新技术 is not among the words of 高新技术企业. A term therefore
/// matches a ticket that has its word, or all of its `parts` (the word's own parts of two and
/// three characters, which every longer word containing it has too).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Term {
    pub word: String,
    /// Empty for a word of fewer than four characters (its own parts are always indexed).
    pub parts: Vec<String>,
}

impl Term {
    /// A term that is its word alone.
    pub fn word(word: impl Into<String>) -> Term {
        Term {
            word: word.into(),
            parts: Vec::new(),
        }
    }
}

/// A query's terms as each backend's full-text engine takes them: every term, each its word
/// or all its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordsQuery {
    /// FTS5: each word a quoted string (`"` doubled), joined by AND: `"路灯" AND "门前"`,
    /// `("高新技术" OR ("高新" AND "技术"))`.
    fts5: String,
    /// PostgreSQL: the same for `to_tsquery('simple', …)`, each word a quoted lexeme (`'`
    /// doubled, `\` escaped), which the `simple` parser reads as it read the index:
    /// `'路灯' & '门前'`, `('高新技术' | ('高新' & '技术'))`.
    tsquery: String,
    /// The terms' words, for [`common_frequency`].
    words: Vec<String>,
}

impl WordsQuery {
    /// `None` when there are no terms.
    pub fn new(terms: &[Term]) -> Option<WordsQuery> {
        if terms.is_empty() {
            return None;
        }
        let fts5 = |w: &str| format!("\"{}\"", w.replace('"', "\"\""));
        let lexeme = |w: &str| format!("'{}'", w.replace('\\', "\\\\").replace('\'', "''"));
        let join = |quote: &dyn Fn(&str) -> String, and: &str, or: &str| {
            terms
                .iter()
                .map(|t| {
                    if t.parts.is_empty() {
                        quote(&t.word)
                    } else {
                        let parts: Vec<String> = t.parts.iter().map(|p| quote(p)).collect();
                        format!("({} {or} ({}))", quote(&t.word), parts.join(and))
                    }
                })
                .collect::<Vec<_>>()
                .join(and)
        };
        Some(WordsQuery {
            fts5: join(&fts5, " AND ", "OR"),
            tsquery: join(&lexeme, " & ", "|"),
            words: terms.iter().map(|t| t.word.clone()).collect(),
        })
    }

    /// A query of words alone (no parts).
    pub fn of_words(words: &[String]) -> Option<WordsQuery> {
        WordsQuery::new(&words.iter().map(Term::word).collect::<Vec<_>>())
    }
}

/// How common the query's rarest word is on PostgreSQL, as a share of all tickets, when every
/// word of it is common: among the most common words of the index's statistics (`pg_stats`'
/// `most_common_elems` of `ticket_words.tsv`, kept by `ANALYZE`) at `at_least` or more.
/// `None` when a word is rarer, or on SQLite.
///
/// PostgreSQL's planner takes the words of a query for independent: two words that always go
/// together (路灯 and 门前, each in 7% of a million tickets) are estimated in 0.5% of them, and
/// it then reads every match through the GIN index and sorts them (450 ms) rather than walking
/// the newest tickets until it has enough (30 ms). A query of common words only is walked
/// ([`crate::db::tickets`]' relevance window).
pub fn common_frequency(
    conn: &mut DbConnection,
    words: &WordsQuery,
    at_least: f64,
) -> QueryResult<Option<f64>> {
    let found = frequencies(conn, &words.words)?;
    let mut rarest: Option<f64> = None;
    for word in &words.words {
        match found.get(word) {
            Some(&f) if f >= at_least => rarest = Some(rarest.map_or(f, |r| r.min(f))),
            _ => return Ok(None),
        }
    }
    Ok(rarest)
}

/// Whether PostgreSQL's statistics of the index know every word of the query (each is among
/// their most common words), so that the planner's estimates hold: false on SQLite.
pub fn known_to_statistics(conn: &mut DbConnection, words: &WordsQuery) -> QueryResult<bool> {
    if matches!(conn, DbConnection::Sqlite(_)) {
        return Ok(false);
    }
    let found = frequencies(conn, &words.words)?;
    Ok(words.words.iter().all(|w| found.contains_key(w)))
}

/// The share of all tickets that have each of `words`, for those among the most common words
/// of PostgreSQL's statistics of the index (`pg_stats`' `most_common_elems` of
/// `ticket_words.tsv`); the others are rarer than every word listed. Empty on SQLite.
pub fn frequencies(
    conn: &mut DbConnection,
    words: &[String],
) -> QueryResult<std::collections::HashMap<String, f64>> {
    #[derive(QueryableByName)]
    struct Frequency {
        #[diesel(sql_type = Text)]
        elem: String,
        #[diesel(sql_type = diesel::sql_types::Double)]
        freq: f64,
    }
    let DbConnection::Postgres(c) = conn else {
        return Ok(Default::default());
    };
    let found: Vec<Frequency> = diesel::sql_query(
        "SELECT u.elem AS elem, u.freq::float8 AS freq FROM pg_stats s, \
         unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS u(elem, freq) \
         WHERE s.schemaname = current_schema() AND s.tablename = 'ticket_words' \
         AND s.attname = 'tsv' AND u.elem = ANY($1)",
    )
    .bind::<diesel::sql_types::Array<Text>, _>(words)
    .load(c)?;
    Ok(found.into_iter().map(|f| (f.elem, f.freq)).collect())
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
             WHERE ticket_words.tsv @@ to_tsquery('simple', ",
        );
        out.push_bind_param::<Text, _>(&self.0.tsquery)?;
        out.push_sql("))");
        Ok(())
    }
}

/// The match itself, for a query that joins `ticket_words` (and on SQLite `ticket_words_fts`)
/// to rank by relevance ([`Rank`]).
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
        out.push_sql("ticket_words.tsv @@ to_tsquery('simple', ");
        out.push_bind_param::<Text, _>(&self.0.tsquery)?;
        out.push_sql(")");
        Ok(())
    }
}

/// The relevance of a match, higher is more relevant: FTS5's `bm25` negated (for a query that
/// joins `ticket_words_fts`), PostgreSQL's `ts_rank` divided by 1 + the log of the ticket's
/// length (normalisation 1), as bm25 weighs a word less in a long text.
#[derive(Debug, Clone)]
pub struct Rank(pub WordsQuery);

impl QueryFragment<Sqlite> for Rank {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        out.push_sql("-bm25(ticket_words_fts)");
        Ok(())
    }
}

impl QueryFragment<Pg> for Rank {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("ts_rank(ticket_words.tsv, to_tsquery('simple', ");
        out.push_bind_param::<Text, _>(&self.0.tsquery)?;
        out.push_sql("), 1)::float8");
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
expression!(Rank, diesel::sql_types::Double);

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
    /// How many of the most recent matches are ranked, when not one enterprise's
    /// (`search.similar_window`; see [`SIMILAR_WINDOW`]).
    pub window: i64,
}

/// How many of the most recent matches of a similarity search are ranked, when the search is
/// not one enterprise's, unless configured (`search.similar_window`): the most recently indexed (the order of filing; a progress note or a
/// resolution does not move a ticket). At a million tickets a word of everyday trouble is in
/// tens of thousands of requests, and ranking every ticket with any of sixteen such words took
/// 0.85–1.6 s (docs/performance.md); the candidates a dispatcher looks among are open or
/// recently resolved, so they are the recent ones.
pub const SIMILAR_WINDOW: i64 = 1_000;

/// The tickets among `among` that have **any** of `words`, the most alike first ([`rank`]).
/// Open means submitted, accepted, assigned or in progress.
///
/// One enterprise's (the filing page's hint) are all ranked, read through the enterprise's
/// tickets; otherwise the [`SIMILAR_WINDOW`] most recent matches among the candidates are.
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
    // The statuses are the enumeration's own spellings, and the limits numbers: no user text
    // is written into the SQL, only bound.
    let open = "'submitted', 'accepted', 'assigned', 'in_progress'";
    let window = among.window.max(1);
    match conn {
        DbConnection::Sqlite(c) => {
            let query = words
                .iter()
                .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
                .collect::<Vec<_>>()
                .join(" OR ");
            // CROSS JOIN fixes SQLite's join order: an enterprise's tickets first, each looked
            // up in the index by its rowid; otherwise the index's matches newest first (FTS5
            // gives them in rowid order), stopping at the window.
            let (from, order) = if among.enterprise_id.is_some() {
                (
                    "tickets t CROSS JOIN ticket_words w ON w.ticket_id = t.id \
                     CROSS JOIN ticket_words_fts ON ticket_words_fts.rowid = w.id",
                    String::new(),
                )
            } else {
                (
                    "ticket_words_fts CROSS JOIN ticket_words w ON w.id = ticket_words_fts.rowid \
                     CROSS JOIN tickets t ON t.id = w.ticket_id",
                    format!("ORDER BY ticket_words_fts.rowid DESC LIMIT {window}"),
                )
            };
            // Only the conditions that hold are written: SQLite cannot use an index for
            // `(? IS NULL OR t.enterprise_id = ?)`.
            let mut conditions = vec![format!(
                "(t.status IN ({open}) OR (? IS NOT NULL AND t.status IN ('resolved', 'closed') AND t.resolved_at >= ?))"
            )];
            if among.except_id.is_some() {
                conditions.push("t.id <> ?".into());
            }
            if among.enterprise_id.is_some() {
                conditions.push("t.enterprise_id = ?".into());
            }
            let mut query = diesel::sql_query(format!(
                "SELECT w.ticket_id AS ticket_id, 0.0 AS score, w.words AS words \
                 FROM {from} \
                 WHERE ticket_words_fts MATCH ? AND {} \
                 {order}",
                conditions.join(" AND ")
            ))
            .into_boxed()
            .bind::<Text, _>(query)
            .bind::<Nullable<Text>, _>(among.resolved_since.clone())
            .bind::<Nullable<Text>, _>(among.resolved_since.clone());
            for value in [&among.except_id, &among.enterprise_id]
                .into_iter()
                .flatten()
            {
                query = query.bind::<Text, _>(value.clone());
            }
            Ok(rank(words, query.load(c)?, limit))
        }
        DbConnection::Postgres(_) => {
            // One enterprise's tickets are few: its index finds them, all ranked. Otherwise the
            // newest matches by the words' id (the order of indexing), up to the window: with
            // a common word among them, walked over a span where the window should fill (four
            // times it at that word's frequency; the bitmap scans off); with rare words only,
            // or when the span did not fill it, read through the GIN index and sorted by an
            // expression no index gives (see `db::tickets::matches_in_order` on why).
            let commonest = if among.enterprise_id.is_some() {
                None
            } else {
                frequencies(conn, words)?
                    .into_values()
                    .filter(|f| *f >= 0.01)
                    .max_by(f64::total_cmp)
            };
            let DbConnection::Postgres(c) = conn else {
                unreachable!("matched above")
            };
            let mut rows = None;
            if let Some(frequency) = commonest {
                let newest: Option<i64> = ticket_words::table
                    .select(diesel::dsl::max(ticket_words::id))
                    .get_result(c)?;
                let span = (4.0 * window as f64 / frequency).ceil() as i64;
                let floor = newest.unwrap_or(0).saturating_sub(span);
                let found = c.transaction(|c| {
                    diesel::sql_query("SET LOCAL enable_bitmapscan = off").execute(c)?;
                    pg_similar(
                        c,
                        words,
                        among,
                        &format!("AND w.id > {floor}"),
                        &format!("ORDER BY w.id DESC LIMIT {window}"),
                    )
                })?;
                if i64::try_from(found.len()).unwrap_or(i64::MAX) >= window {
                    rows = Some(found);
                }
            }
            let rows = match rows {
                Some(rows) => rows,
                None if among.enterprise_id.is_some() => pg_similar(c, words, among, "", "")?,
                None => pg_similar(
                    c,
                    words,
                    among,
                    "",
                    &format!("ORDER BY w.id + 0 DESC LIMIT {window}"),
                )?,
            };
            Ok(rank(words, rows, limit))
        }
    }
}

/// The `limit` candidates most like a request of `words`, by BM25 (k1 = 1.2, b = 0.75) over
/// the candidates' own words, with the candidates as the collection: a word most of them share
/// weighs little, one few have weighs much, a word said often in a short text counts more.
/// Ties: the newest ticket first. FTS5's `bm25` and PostgreSQL's `ts_rank` ranked the same
/// rows in the database, but FTS5's counts each word's matches in the whole index first
/// (100 ms for sixteen common words at a million tickets) and `ts_rank` has no such weight.
fn rank(words: &[String], mut rows: Vec<SimilarRow>, limit: i64) -> Vec<SimilarRow> {
    use std::collections::HashMap;
    const K1: f64 = 1.2;
    const B: f64 = 0.75;
    let asked: std::collections::HashSet<&str> = words.iter().map(String::as_str).collect();
    // Each row's length and how often it says each asked word.
    let counted: Vec<(usize, HashMap<&str, f64>)> = rows
        .iter()
        .map(|r| {
            let mut tf: HashMap<&str, f64> = HashMap::new();
            let mut len = 0;
            for w in r.words.split(' ').filter(|w| !w.is_empty()) {
                len += 1;
                if let Some(w) = asked.get(w) {
                    *tf.entry(w).or_default() += 1.0;
                }
            }
            (len, tf)
        })
        .collect();
    let n = counted.len() as f64;
    let average = counted.iter().map(|(len, _)| *len as f64).sum::<f64>() / n.max(1.0);
    let mut df: HashMap<&str, f64> = HashMap::new();
    for (_, tf) in &counted {
        for w in tf.keys() {
            *df.entry(w).or_default() += 1.0;
        }
    }
    for (row, (len, tf)) in rows.iter_mut().zip(&counted) {
        let norm = K1 * (1.0 - B + B * *len as f64 / average.max(1.0));
        row.score = tf
            .iter()
            .map(|(w, f)| {
                let d = df.get(w).copied().unwrap_or(0.0);
                let idf = (1.0 + (n - d + 0.5) / (d + 0.5)).ln();
                idf * f * (K1 + 1.0) / (f + norm)
            })
            .sum();
    }
    rows.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| b.ticket_id.cmp(&a.ticket_id))
    });
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    rows
}

/// The candidates of [`similar`] on PostgreSQL with their rank, the `extra` condition and the
/// `order` (with its limit) written into the SQL: numbers only, never a request's text.
fn pg_similar(
    c: &mut diesel::PgConnection,
    words: &[String],
    among: &SimilarAmong,
    extra: &str,
    order: &str,
) -> QueryResult<Vec<SimilarRow>> {
    use diesel::sql_types::Nullable;
    let open = "'submitted', 'accepted', 'assigned', 'in_progress'";
    // Each word quoted as a tsquery lexeme (`'` doubled, `\` escaped), joined by `|`.
    let query = words
        .iter()
        .map(|w| format!("'{}'", w.replace('\\', "\\\\").replace('\'', "''")))
        .collect::<Vec<_>>()
        .join(" | ");
    diesel::sql_query(format!(
        "SELECT w.ticket_id AS ticket_id, 0.0::float8 AS score, w.words AS words \
         FROM ticket_words w JOIN tickets t ON t.id = w.ticket_id \
         WHERE w.tsv @@ to_tsquery('simple', $1) {extra} \
         AND ($2::text IS NULL OR t.id <> $2) AND ($3::text IS NULL OR t.enterprise_id = $3) \
         AND (t.status IN ({open}) OR ($4::text IS NOT NULL AND t.status IN ('resolved', 'closed') AND t.resolved_at >= $4)) \
         {order}"
    ))
    .bind::<Text, _>(query)
    .bind::<Nullable<Text>, _>(among.except_id.clone())
    .bind::<Nullable<Text>, _>(among.enterprise_id.clone())
    .bind::<Nullable<Text>, _>(among.resolved_since.clone())
    .load(c)
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
    fn a_words_query_quotes_each_word_for_both_engines() {
        let q = WordsQuery::of_words(&["路灯".into(), "a\"b'c\\".into()]).expect("words");
        assert_eq!(q.fts5, "\"路灯\" AND \"a\"\"b'c\\\"");
        assert_eq!(q.tsquery, "'路灯' & 'a\"b''c\\\\'");
        assert!(WordsQuery::new(&[]).is_none());
    }

    #[test]
    fn similar_candidates_rank_by_the_words_few_of_them_share() {
        let row = |id: &str, words: &str| SimilarRow {
            ticket_id: id.into(),
            score: 0.0,
            words: words.into(),
        };
        let words: Vec<String> = ["路灯", "门前", "生产"].map(String::from).to_vec();
        let rows = vec![
            row("1", "生产 正常 生产 正常"),
            row("2", "门前 路灯 不 亮 生产"),
            row("3", "生产 用电 报装"),
            row("4", "生产 招工"),
            row("5", "门前 绿化"),
            row("6", "生产 用电"),
        ];
        let ranked = rank(&words, rows, 4);
        let ids: Vec<&str> = ranked.iter().map(|r| r.ticket_id.as_str()).collect();
        // Both rare words first; then the one rare word; 生产, which most share, weighs least.
        assert_eq!(ids[..2], ["2", "5"], "{ranked:?}");
        assert_eq!(ranked.len(), 4);
        assert!(ranked[0].score > ranked[1].score && ranked[1].score > ranked[2].score);
        // Then 生产 said twice; then, of the equal 6 and 4, the newest (the greatest id).
        assert_eq!(ids[2..], ["1", "6"], "{ranked:?}");
    }

    #[test]
    fn a_long_word_matches_whole_or_by_all_its_parts() {
        let terms = [
            Term {
                word: "高新技术".into(),
                parts: vec!["高新".into(), "技术".into()],
            },
            Term::word("门前"),
        ];
        let q = WordsQuery::new(&terms).expect("terms");
        assert_eq!(
            q.fts5,
            "(\"高新技术\" OR (\"高新\" AND \"技术\")) AND \"门前\""
        );
        assert_eq!(q.tsquery, "('高新技术' | ('高新' & '技术')) & '门前'");
    }
}
