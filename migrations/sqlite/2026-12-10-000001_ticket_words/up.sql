-- Full-text search of tickets (issue 18). A ticket's searchable texts (number, title,
-- description, public progress notes, resolutions) are segmented into words in Rust (jieba:
-- src/search) and stored here, one row per ticket, as the distinct words joined by spaces; the
-- FTS5 table indexes them with the unicode61 tokenizer, so each pre-segmented word is a token.
--
-- `id` is the FTS5 rowid: an INTEGER PRIMARY KEY, which VACUUM never renumbers (a table's
-- implicit rowid it may). The triggers keep the index in step with this table in the same
-- statement; the service writes only this table (src/db/ticket_words.rs).
--
-- Tickets filed before this migration get their words from the start-up backfill
-- (search::backfill), since SQL cannot segment Chinese.
CREATE TABLE ticket_words (
    id INTEGER PRIMARY KEY,
    ticket_id TEXT NOT NULL UNIQUE REFERENCES tickets (id),
    words TEXT NOT NULL
);

CREATE VIRTUAL TABLE ticket_words_fts USING fts5 (
    words,
    content = 'ticket_words',
    content_rowid = 'id',
    tokenize = 'unicode61'
);

CREATE TRIGGER ticket_words_ai AFTER INSERT ON ticket_words BEGIN
    INSERT INTO ticket_words_fts (rowid, words) VALUES (new.id, new.words);
END;

CREATE TRIGGER ticket_words_ad AFTER DELETE ON ticket_words BEGIN
    INSERT INTO ticket_words_fts (ticket_words_fts, rowid, words) VALUES ('delete', old.id, old.words);
END;

CREATE TRIGGER ticket_words_au AFTER UPDATE ON ticket_words BEGIN
    INSERT INTO ticket_words_fts (ticket_words_fts, rowid, words) VALUES ('delete', old.id, old.words);
    INSERT INTO ticket_words_fts (rowid, words) VALUES (new.id, new.words);
END;
