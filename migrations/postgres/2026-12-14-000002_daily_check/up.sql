-- The daily check (每日检查, issue 19): one digest per person per working day of what they
-- have to act on, sent by e-mail and SMS. The key makes it once: the instance that inserts
-- the row queues the messages in the same transaction; another finds the row and sends
-- nothing.
CREATE TABLE daily_checks (
    day TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    -- The digest as sent (JSON: its sections, counts and first items).
    summary TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (day, user_id)
);

-- The days whose check is done (every person looked at), so that a later sweep that day
-- does not look again.
CREATE TABLE daily_check_days (
    day TEXT PRIMARY KEY NOT NULL,
    finished_at TEXT NOT NULL,
    digests INTEGER NOT NULL
);
