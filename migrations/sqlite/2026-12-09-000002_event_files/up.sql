-- A progress note (进展) or resolution (办结) may carry files: an attachment names the timeline
-- entry it came with by the entry's key, (ticket_id, event_seq). No foreign key: SQLite cannot
-- add a composite one to an existing table, and the link is written in the entry's own
-- transaction, by the same code that writes the entry.
ALTER TABLE attachments ADD COLUMN event_seq INTEGER;
