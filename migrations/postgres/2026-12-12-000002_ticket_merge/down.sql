DROP INDEX tickets_merged_into_idx;
ALTER TABLE tickets DROP COLUMN merged_at;
ALTER TABLE tickets DROP COLUMN merged_into_id;
-- A merged request goes back to being accepted, so that the narrower CHECK holds.
UPDATE tickets SET status = 'accepted' WHERE status = 'merged';
ALTER TABLE tickets DROP CONSTRAINT tickets_status_check;
ALTER TABLE tickets ADD CONSTRAINT tickets_status_check CHECK (status IN ('submitted', 'accepted', 'assigned', 'in_progress', 'resolved', 'closed', 'rejected', 'withdrawn'));
