-- The notices to write: a ticket's timeline entry whose messages (e-mail, SMS, in-app) are
-- still to be worked out. The change that makes the entry adds one row here in its own
-- transaction; the expander (src/notify/expander.rs) finds the recipients, renders the
-- messages into `notifications` and `messages`, and deletes the row in one transaction of its
-- own. The routing facts are those of the ticket right after the entry, since the ticket may
-- have moved on by the time the row is expanded.
CREATE TABLE notice_queue (
    id INTEGER PRIMARY KEY,
    ticket_id TEXT NOT NULL,
    event_seq INTEGER NOT NULL,
    department_id TEXT,
    assignee_id TEXT,
    escalation_level INTEGER NOT NULL,
    queued_at TEXT NOT NULL
);
