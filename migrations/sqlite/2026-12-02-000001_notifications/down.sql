ALTER TABLE users DROP COLUMN notify_sms;
ALTER TABLE users DROP COLUMN notify_email;
DROP TABLE notifications;
