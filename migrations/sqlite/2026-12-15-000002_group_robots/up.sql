-- Group robots (issue 19). Their scheduled posts: a department group's daily check, once a working
-- day per robot. The key makes it once with several instances: the instance that inserts the
-- row queues the post in the same transaction; another finds the row and posts nothing.
CREATE TABLE robot_posts (
    -- The robot's name (notifications.robots).
    robot TEXT NOT NULL,
    -- What was posted: daily_check:YYYY-MM-DD.
    post TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (robot, post)
);

-- The outbox takes a third channel, `robot` (WeCom and DingTalk group robots; the recipient is
-- the robot's name). SQLite cannot change a CHECK in place: the table is rebuilt as it was,
-- with the wider CHECK, its rows copied and its indexes made again.
CREATE TABLE notifications_new (
    id TEXT PRIMARY KEY NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'robot')),
    -- An e-mail address, an 11-digit mainland mobile number, or a group robot's name.
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
INSERT INTO notifications_new (id, channel, recipient, recipient_name, user_id, ticket_id, event,
    event_seq, subject, body, html_body, template_code, template_params, status, attempts,
    next_attempt_at, lease_token, last_error, provider_message_id, created_at, updated_at, sent_at)
SELECT id, channel, recipient, recipient_name, user_id, ticket_id, event,
    event_seq, subject, body, html_body, template_code, template_params, status, attempts,
    next_attempt_at, lease_token, last_error, provider_message_id, created_at, updated_at, sent_at
FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_new RENAME TO notifications;
CREATE UNIQUE INDEX notifications_event_key
    ON notifications (ticket_id, event_seq, channel, recipient);
CREATE INDEX notifications_due_idx ON notifications (next_attempt_at)
    WHERE status IN ('pending', 'sending');
CREATE INDEX notifications_recipient_idx
    ON notifications (recipient, channel, status, created_at);
CREATE INDEX notifications_status_idx ON notifications (status, id);
