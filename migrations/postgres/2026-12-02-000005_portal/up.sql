-- The web pages' needs: files attached to tickets and comments, and SMS sign-in codes.

-- A file uploaded by a user; linked to a ticket (and perhaps one of its comments) when the
-- ticket or comment is written. The bytes are stored under the attachments folder by id.
CREATE TABLE attachments (
    id TEXT PRIMARY KEY NOT NULL,
    uploaded_by TEXT NOT NULL REFERENCES users (id),
    ticket_id TEXT REFERENCES tickets (id),
    comment_id TEXT REFERENCES comments (id),
    file_name TEXT NOT NULL,
    -- Decided from the file's bytes, never from its name or the browser's word.
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL CHECK (size > 0),
    sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX attachments_ticket_idx ON attachments (ticket_id);
CREATE INDEX attachments_uploader_idx ON attachments (uploaded_by, created_at);

-- One-time codes sent by SMS to sign in or register; kept hashed.
CREATE TABLE sms_codes (
    id TEXT PRIMARY KEY NOT NULL,
    phone TEXT NOT NULL,
    purpose TEXT NOT NULL CHECK (purpose IN ('login', 'register')),
    code_hash TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
CREATE INDEX sms_codes_phone_idx ON sms_codes (phone, purpose, created_at);
