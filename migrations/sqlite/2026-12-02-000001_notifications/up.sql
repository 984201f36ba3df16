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
    -- Unique: the same event is never queued twice for the same recipient and channel.
    dedupe_key TEXT NOT NULL,
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
CREATE UNIQUE INDEX notifications_dedupe_key ON notifications (dedupe_key);
-- The workers' claims: only rows still to deliver, in the order they fall due. Partial, so it
-- stays small however many sent rows the table keeps; queries must repeat its WHERE exactly.
CREATE INDEX notifications_due_idx ON notifications (next_attempt_at)
    WHERE status IN ('pending', 'sending');
-- The per-recipient rate limit (which counts rows not failed) and the list by recipient.
CREATE INDEX notifications_recipient_idx ON notifications (recipient, channel, status, created_at);
CREATE INDEX notifications_status_idx ON notifications (status, id);
CREATE INDEX notifications_ticket_idx ON notifications (ticket_id, id);

-- Each user may turn either channel off for themselves.
ALTER TABLE users ADD COLUMN notify_email BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE users ADD COLUMN notify_sms BOOLEAN NOT NULL DEFAULT TRUE;
