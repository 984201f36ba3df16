-- The notification outbox: one row per message to one recipient over one channel, written in
-- the transaction of the ticket event that causes it and delivered by the worker afterwards.
-- See docs/architecture.md (Notifications).

CREATE TABLE notifications (
    id TEXT PRIMARY KEY NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    -- An e-mail address, or an 11-digit mainland mobile number.
    recipient TEXT NOT NULL,
    recipient_name TEXT,
    user_id TEXT REFERENCES users (id),
    ticket_id TEXT REFERENCES tickets (id),
    -- ticket_filed, ticket_assigned, …: an open list (later events need no migration).
    event TEXT NOT NULL,
    -- The ticket event (ticket_id, seq) that caused it.
    event_seq INTEGER,
    subject TEXT,
    body TEXT NOT NULL,
    html_body TEXT,
    -- For SMS gateways: the pre-approved template and its parameters (a JSON object).
    template_code TEXT,
    template_params TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    -- pending: when it is due; sending: when the worker's lease runs out.
    next_attempt_at TEXT NOT NULL,
    -- Set by each claim; a worker records its outcome only while it still holds the lease.
    lease_token TEXT,
    last_error TEXT,
    provider_message_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    sent_at TEXT
);
-- The same event is never queued twice for the same recipient over the same channel; and
-- the list of a ticket's messages.
CREATE UNIQUE INDEX notifications_event_key
    ON notifications (ticket_id, event_seq, channel, recipient);
-- The workers' claims: only rows still to deliver, in the order they fall due. Partial, so it
-- stays small however many sent rows the table keeps. Partial indexes are used only by
-- queries that repeat their WHERE exactly (db/notifications.rs does).
CREATE INDEX notifications_due_idx ON notifications (next_attempt_at)
    WHERE status IN ('pending', 'sending');
-- The per-recipient rate limit (which counts the hour's messages of each status but failed,
-- one exact range each) and the list by recipient.
CREATE INDEX notifications_recipient_idx
    ON notifications (recipient, channel, status, created_at);
CREATE INDEX notifications_status_idx ON notifications (status, id);

-- Each user may turn either channel off for themselves.
ALTER TABLE users ADD COLUMN notify_email BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE users ADD COLUMN notify_sms BOOLEAN NOT NULL DEFAULT TRUE;
