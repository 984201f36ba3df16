-- The weekly bulletin (每周通报, issue 19): drafted by the service each week for the seven days
-- before (or by an administrator for a week they choose), reviewed — the foreword and the
-- typical cases edited, the figures recounted — and published with a number of its year
-- (〔2026〕第48期). A published bulletin is never changed: its figures, its Word document and
-- its workbook are kept as they were published.
CREATE TABLE bulletins (
    id TEXT PRIMARY KEY NOT NULL,
    -- The week it reports on, China days: its first and its last day.
    period_from TEXT NOT NULL UNIQUE,
    period_to TEXT NOT NULL,
    -- draft | published
    status TEXT NOT NULL,
    foreword TEXT NOT NULL,
    -- JSON: the typical cases (典型案例) the administrator picked, each a ticket as it was
    -- when picked (or published) and the administrator's note.
    cases TEXT NOT NULL,
    -- JSON: the week's and the year's figures, the departments' table, the red and black
    -- lists, the overdue requests, the systemic issues; as counted at computed_at.
    figures TEXT NOT NULL,
    -- Set when published: the year and number of the issue (unique together).
    year INTEGER,
    number INTEGER,
    -- The Word document (.docx) and the tables (.xlsx) as published.
    document BYTEA,
    workbook BYTEA,
    -- Bumped at each change of a draft, for If-Match-like checks (`version` in the API).
    version INTEGER NOT NULL,
    -- NULL: drafted by the service on its schedule.
    drafted_by TEXT REFERENCES users (id),
    drafted_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    published_by TEXT REFERENCES users (id),
    published_at TEXT
);
CREATE UNIQUE INDEX bulletins_number_idx ON bulletins (year, number);
