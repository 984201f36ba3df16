ALTER TABLE tickets DROP COLUMN extension_pending;
