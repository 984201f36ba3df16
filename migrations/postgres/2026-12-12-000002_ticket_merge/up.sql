-- Merging duplicates (issue 18): a request that says what another already says is closed as
-- merged into it (status `merged`) and follows it; `merged_into_id` names the primary.
-- The widened CHECK is added NOT VALID and validated apart, so that the scan of a million
-- tickets does not hold the table's exclusive lock.
ALTER TABLE tickets DROP CONSTRAINT tickets_status_check;
ALTER TABLE tickets ADD CONSTRAINT tickets_status_check CHECK (status IN ('submitted', 'accepted', 'assigned', 'in_progress', 'resolved', 'closed', 'rejected', 'withdrawn', 'merged')) NOT VALID;
ALTER TABLE tickets VALIDATE CONSTRAINT tickets_status_check;
ALTER TABLE tickets ADD COLUMN merged_into_id TEXT REFERENCES tickets (id);
ALTER TABLE tickets ADD COLUMN merged_at TEXT;
-- The duplicates of a primary: its followers, told as it moves.
CREATE INDEX tickets_merged_into_idx ON tickets (merged_into_id) WHERE merged_into_id IS NOT NULL;
