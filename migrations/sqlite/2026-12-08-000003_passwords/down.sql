CREATE TABLE sms_codes_old (
    id TEXT PRIMARY KEY NOT NULL,
    phone TEXT NOT NULL,
    purpose TEXT NOT NULL CHECK (purpose IN ('login', 'register')),
    code_hash TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
INSERT INTO sms_codes_old SELECT id, phone, purpose, code_hash, attempts, created_at, expires_at, used_at FROM sms_codes WHERE purpose <> 'reset';
DROP TABLE sms_codes;
ALTER TABLE sms_codes_old RENAME TO sms_codes;
CREATE INDEX sms_codes_phone_idx ON sms_codes (phone, purpose, created_at);
ALTER TABLE users DROP COLUMN must_change_password;
