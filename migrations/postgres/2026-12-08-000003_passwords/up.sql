-- A password someone else set (an administrator's reset, the first administrator made on the
-- command line) is temporary: its user must choose their own before doing anything else.
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;

-- A code may be sent to reset a forgotten password (purpose 'reset').
ALTER TABLE sms_codes DROP CONSTRAINT sms_codes_purpose_check;
ALTER TABLE sms_codes ADD CONSTRAINT sms_codes_purpose_check
    CHECK (purpose IN ('login', 'register', 'reset'));
