-- A password someone else set (an administrator's reset, the first administrator made on the
-- command line) is temporary: its user must choose their own before doing anything else.
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;

-- A code may be sent to reset a forgotten password (purpose 'reset'). SQLite cannot change a
-- CHECK: the table is made again (codes live five minutes; the few there are copied).
CREATE TABLE sms_codes_new (
    id TEXT PRIMARY KEY NOT NULL,
    phone TEXT NOT NULL,
    purpose TEXT NOT NULL CHECK (purpose IN ('login', 'register', 'reset')),
    code_hash TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
INSERT INTO sms_codes_new SELECT id, phone, purpose, code_hash, attempts, created_at, expires_at, used_at FROM sms_codes;
DROP TABLE sms_codes;
ALTER TABLE sms_codes_new RENAME TO sms_codes;
CREATE INDEX sms_codes_phone_idx ON sms_codes (phone, purpose, created_at);
