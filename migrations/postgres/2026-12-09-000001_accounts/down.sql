DROP INDEX users_phone_idx;
DROP TABLE join_requests;
DROP TABLE consents;
DROP TABLE legal_texts;
ALTER TABLE users DROP COLUMN consented_at;
ALTER TABLE users DROP COLUMN consented_version;
ALTER TABLE users DROP COLUMN enterprise_manager;
DELETE FROM sms_codes WHERE purpose = 'phone';
ALTER TABLE sms_codes DROP CONSTRAINT sms_codes_purpose_check;
ALTER TABLE sms_codes ADD CONSTRAINT sms_codes_purpose_check
    CHECK (purpose IN ('login', 'register', 'reset'));
