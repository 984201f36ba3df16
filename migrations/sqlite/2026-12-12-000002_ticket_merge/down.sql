DROP INDEX tickets_merged_into_idx;
ALTER TABLE tickets DROP COLUMN merged_at;
ALTER TABLE tickets DROP COLUMN merged_into_id;
-- A merged request goes back to being accepted, so that the narrower CHECK holds.
UPDATE tickets SET status = 'accepted' WHERE status = 'merged';
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
SET sql = replace(sql,
    '''closed'', ''rejected'', ''withdrawn'', ''merged''))',
    '''closed'', ''rejected'', ''withdrawn''))')
WHERE type = 'table' AND name = 'tickets';
PRAGMA writable_schema = RESET;
