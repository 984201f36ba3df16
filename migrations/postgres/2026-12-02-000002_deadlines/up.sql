-- Deadlines in working days, reminders, escalation (督办), extensions (延期) and the revisit
-- window. See docs/deadlines.md.

-- Calendar years loaded by administrators (qiyeshao calendar load, PUT /calendar/years/{y}):
-- shared by every instance, and preferred to the built-in and configured files.
CREATE TABLE calendar_years (
    year INTEGER PRIMARY KEY NOT NULL,
    -- The year's file, TOML, as docs/deadlines.md describes.
    content TEXT NOT NULL,
    loaded_by TEXT REFERENCES users (id),
    loaded_at TEXT NOT NULL
);

ALTER TABLE tickets ADD COLUMN priority TEXT NOT NULL DEFAULT 'normal'
    CHECK (priority IN ('normal', 'urgent'));
-- When the assigned cadre must have signed for it.
ALTER TABLE tickets ADD COLUMN sign_due_at TEXT;
ALTER TABLE tickets ADD COLUMN extension_count INTEGER NOT NULL DEFAULT 0;
-- What the scheduler has done about the deadline in force; cleared when the deadline changes
-- (assignment, approved extension, rework), so each reminder and level fires once per deadline.
ALTER TABLE tickets ADD COLUMN reminded_at TEXT;
ALTER TABLE tickets ADD COLUMN sign_reminded_at TEXT;
ALTER TABLE tickets ADD COLUMN overdue_at TEXT;
ALTER TABLE tickets ADD COLUMN escalation_level INTEGER NOT NULL DEFAULT 0
    CHECK (escalation_level BETWEEN 0 AND 3);
-- Closed because the enterprise did not rate it within the revisit window.
ALTER TABLE tickets ADD COLUMN no_response BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX tickets_sign_due_idx ON tickets (sign_due_at);
CREATE INDEX tickets_resolved_idx ON tickets (status, resolved_at);

CREATE TABLE extensions (
    id TEXT PRIMARY KEY NOT NULL,
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    requested_by TEXT NOT NULL REFERENCES users (id),
    working_days INTEGER NOT NULL CHECK (working_days BETWEEN 1 AND 365),
    reason TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied')),
    -- The deadline when it was asked for, and the one the approval set.
    due_before TEXT,
    due_after TEXT,
    decided_by TEXT REFERENCES users (id),
    decision_reason TEXT,
    created_at TEXT NOT NULL,
    decided_at TEXT
);
CREATE INDEX extensions_ticket_idx ON extensions (ticket_id, id);
-- At most one request waits for a decision per ticket.
CREATE UNIQUE INDEX extensions_one_pending ON extensions (ticket_id) WHERE status = 'pending';
