-- Failed sign-ins, by what they count against: an account (`account:<username>`) or a client
-- address (`ip:<address>`), and SMS codes sent to an address (`sms-ip:<address>`). Counted over
-- a sliding window to lock out guessing; kept for a day. In the database, so that every
-- instance sharing it counts the same attempts.
CREATE TABLE auth_failures (
    id TEXT PRIMARY KEY NOT NULL,
    key TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX auth_failures_key_idx ON auth_failures (key, at);
