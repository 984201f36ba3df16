-- Merging duplicates (issue 18): a request that says what another already says is closed as
-- merged into it (status `merged`) and follows it; `merged_into_id` names the primary.
--
-- SQLite cannot alter a CHECK constraint. Widening one (every stored row still satisfies
-- it) is the edit of the table's definition that SQLite's documentation describes for
-- "other kinds of table schema changes" (https://sqlite.org/lang_altertable.html#otheralter):
-- rewrite the CREATE statement in `sqlite_schema`, then reload it. The ALTER TABLE below
-- changes the schema cookie, so every other connection reloads the definition too. No rows
-- are copied, so this takes no time at a million tickets.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
SET sql = replace(sql,
    '''closed'', ''rejected'', ''withdrawn''))',
    '''closed'', ''rejected'', ''withdrawn'', ''merged''))')
WHERE type = 'table' AND name = 'tickets';
PRAGMA writable_schema = RESET;

ALTER TABLE tickets ADD COLUMN merged_into_id TEXT REFERENCES tickets (id);
ALTER TABLE tickets ADD COLUMN merged_at TEXT;
-- The duplicates of a primary: its followers, told as it moves.
CREATE INDEX tickets_merged_into_idx ON tickets (merged_into_id) WHERE merged_into_id IS NOT NULL;
