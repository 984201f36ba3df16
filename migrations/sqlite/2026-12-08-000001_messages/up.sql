-- The message centre (站内消息): one row per ticket event per user who hears of it, written in
-- the transaction of the event beside the outbox's e-mail and SMS rows; read by its user only.
CREATE TABLE messages (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    -- ticket_accepted, ticket_assigned, …: an open list, as in notifications.
    event TEXT NOT NULL,
    -- The ticket event (ticket_id, seq) that caused it.
    event_seq INTEGER NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    -- When its user read it; NULL while unread.
    read_at TEXT
);
-- One message per event and user; and a ticket's messages.
CREATE UNIQUE INDEX messages_event_key ON messages (ticket_id, event_seq, user_id);
-- A user's messages, newest first (ids are UUIDv7, in the order written).
CREATE INDEX messages_user_idx ON messages (user_id, id);
-- A user's unread messages: the badge's count and the unread list. Partial, so it holds only
-- what is still unread; queries repeat its WHERE (db/messages.rs does).
CREATE INDEX messages_unread_idx ON messages (user_id, id) WHERE read_at IS NULL;
