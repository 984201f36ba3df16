-- The monthly assessment's archive (每月评估, issue 19): each month's figures, ranking and
-- workbook as published, so that a later correction to a ticket does not rewrite a published
-- assessment. Version 1 is archived by the service at the start of the next month; an
-- administrator may publish a recomputed version with a note. Rows are never changed.
CREATE TABLE assessments (
    -- YYYY-MM (China).
    month TEXT NOT NULL,
    version INTEGER NOT NULL,
    -- JSON: the month's summary, the ranked departments with their scores and figures, and
    -- the departments not ranked.
    figures TEXT NOT NULL,
    -- The assessment workbook (.xlsx) as published.
    workbook BYTEA NOT NULL,
    -- Why it was published again (required from version 2 on).
    note TEXT,
    -- NULL: archived by the service itself.
    published_by TEXT REFERENCES users (id),
    published_at TEXT NOT NULL,
    PRIMARY KEY (month, version)
);
