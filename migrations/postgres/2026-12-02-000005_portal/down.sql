DROP TABLE sms_codes;
DROP TABLE attachments;
