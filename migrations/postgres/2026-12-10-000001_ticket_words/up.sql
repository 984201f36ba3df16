-- Full-text search of tickets (issue 18). A ticket's searchable texts (number, title,
-- description, public progress notes, resolutions) are segmented into words in Rust (jieba:
-- src/search) and stored here, one row per ticket, as the distinct words joined by spaces.
-- PostgreSQL has no Chinese parser: the `simple` configuration splits the pre-segmented text at
-- the spaces and keeps each word as a lexeme; the GIN index serves `@@`, and the stored
-- tsvector spares `ts_rank` a parse per row.
--
-- `id` mirrors SQLite's FTS5 rowid so that both backends share one schema.rs; PostgreSQL does
-- not use it.
--
-- Tickets filed before this migration get their words from the start-up backfill
-- (search::backfill), since SQL cannot segment Chinese.
CREATE TABLE ticket_words (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id TEXT NOT NULL UNIQUE REFERENCES tickets (id),
    words TEXT NOT NULL,
    tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, words)) STORED
);

CREATE INDEX ticket_words_tsv_idx ON ticket_words USING gin (tsv);
