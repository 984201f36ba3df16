ALTER TABLE tickets DROP COLUMN handling_days;
