-- Group robots (issue 19). Their scheduled posts: a department group's daily check, once a working
-- day per robot. The key makes it once with several instances: the instance that inserts the
-- row queues the post in the same transaction; another finds the row and posts nothing.
CREATE TABLE robot_posts (
    -- The robot's name (notifications.robots).
    robot TEXT NOT NULL,
    -- What was posted: daily_check:YYYY-MM-DD.
    post TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (robot, post)
);

-- The outbox takes a third channel, `robot` (WeCom and DingTalk group robots; the recipient is
-- the robot's name).
ALTER TABLE notifications DROP CONSTRAINT notifications_channel_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_channel_check
    CHECK (channel IN ('email', 'sms', 'robot'));
