-- Hot topics (热点诉求, issue 18): how many requests filed on a day (China) say a word or a
-- phrase of their title and description, per kind, per category and per lead department, and
-- in all (`dim` '' with `value` ''). Written by the background count (service::hot_topics),
-- a day at a time in one transaction; read by summing a range of days of one slice.
CREATE TABLE hot_words (
    dim TEXT NOT NULL,
    value TEXT NOT NULL,
    day TEXT NOT NULL,
    word TEXT NOT NULL,
    tickets INTEGER NOT NULL,
    PRIMARY KEY (dim, value, day, word)
) WITHOUT ROWID;

-- A day's rows, replaced when it is counted again.
CREATE INDEX hot_words_day_idx ON hot_words (day);

-- The days counted: how many requests were filed on each, and when it was counted (a day is
-- counted again until it is `settle_days` old, then kept).
CREATE TABLE hot_days (
    day TEXT PRIMARY KEY NOT NULL,
    tickets INTEGER NOT NULL,
    counted_at TEXT NOT NULL
) WITHOUT ROWID;
