DROP INDEX attachments_policy_idx;
ALTER TABLE attachments DROP COLUMN policy_id;
DELETE FROM messages WHERE ticket_id IS NULL;
CREATE TABLE messages_old (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    event TEXT NOT NULL,
    event_seq INTEGER NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    read_at TEXT
);
INSERT INTO messages_old SELECT id, user_id, ticket_id, event, event_seq, title, body, created_at, read_at FROM messages;
DROP TABLE messages;
ALTER TABLE messages_old RENAME TO messages;
CREATE UNIQUE INDEX messages_event_key ON messages (ticket_id, event_seq, user_id);
CREATE INDEX messages_user_idx ON messages (user_id, id);
CREATE INDEX messages_unread_idx ON messages (user_id, id) WHERE read_at IS NULL;
DROP TABLE policy_application_events;
DROP TABLE policy_applications;
DROP TABLE policy_questions;
DROP TABLE visit_policies;
DROP TABLE policy_pushes;
DROP TABLE enterprise_traits;
DROP TABLE policy_versions;
DROP TABLE policies;
DROP TABLE policy_terms;
