DROP INDEX users_phone_idx;
DROP TABLE join_requests;
DROP TABLE consents;
DROP TABLE legal_texts;
ALTER TABLE users DROP COLUMN consented_at;
ALTER TABLE users DROP COLUMN consented_version;
ALTER TABLE users DROP COLUMN enterprise_manager;
