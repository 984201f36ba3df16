DROP TABLE campaigns;
DROP INDEX attachments_visit_idx;
ALTER TABLE attachments DROP COLUMN visit_id;
DROP TABLE enterprise_deputies;
