DELETE FROM notifications WHERE channel = 'robot';
ALTER TABLE notifications DROP CONSTRAINT notifications_channel_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_channel_check
    CHECK (channel IN ('email', 'sms'));
DROP TABLE robot_posts;
