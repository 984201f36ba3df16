-- A password someone else set (an administrator's reset, the first administrator made on the
-- command line) is temporary: its user must choose their own before doing anything else.
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
