ALTER TABLE attachments DROP COLUMN event_seq;
