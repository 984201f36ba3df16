DELETE FROM sms_codes WHERE purpose = 'reset';
ALTER TABLE sms_codes DROP CONSTRAINT sms_codes_purpose_check;
ALTER TABLE sms_codes ADD CONSTRAINT sms_codes_purpose_check CHECK (purpose IN ('login', 'register'));
ALTER TABLE users DROP COLUMN must_change_password;
