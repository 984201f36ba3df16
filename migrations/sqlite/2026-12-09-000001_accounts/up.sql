-- Code-first SMS sign-in, several users per enterprise, consent to the legal texts (PIPL),
-- and changing one's phone with a code sent to the new number (purpose 'phone').

-- SQLite cannot change a CHECK: the table is made again (codes live five minutes).
CREATE TABLE sms_codes_new (
    id TEXT PRIMARY KEY NOT NULL,
    phone TEXT NOT NULL,
    purpose TEXT NOT NULL CHECK (purpose IN ('login', 'register', 'reset', 'phone')),
    code_hash TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
INSERT INTO sms_codes_new SELECT id, phone, purpose, code_hash, attempts, created_at, expires_at, used_at FROM sms_codes;
DROP TABLE sms_codes;
ALTER TABLE sms_codes_new RENAME TO sms_codes;
CREATE INDEX sms_codes_phone_idx ON sms_codes (phone, purpose, created_at);

-- The user who manages an enterprise's account (the first to register, or whom they hand it
-- to) invites colleagues, disables them and decides requests to join.
ALTER TABLE users ADD COLUMN enterprise_manager BOOLEAN NOT NULL DEFAULT FALSE;
-- The version of the user agreement and privacy policy (legal_texts) the user accepted last,
-- and when; NULL: none yet.
ALTER TABLE users ADD COLUMN consented_version INTEGER;
ALTER TABLE users ADD COLUMN consented_at TEXT;
-- A user by phone: every SMS code and code sign-in looks the number up (code-first sign-in,
-- registration, invitations, a phone change).
CREATE INDEX users_phone_idx ON users (phone);
-- The first user of each enterprise manages its account.
UPDATE users SET enterprise_manager = TRUE
WHERE role = 'enterprise' AND enterprise_id IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM users earlier
    WHERE earlier.enterprise_id = users.enterprise_id AND earlier.role = 'enterprise'
      AND (earlier.created_at < users.created_at
           OR (earlier.created_at = users.created_at AND earlier.id < users.id))
);

-- The user agreement (用户协议) and privacy policy (隐私政策), published together as one
-- numbered version; an administrator edits them by publishing the next. Never changed once
-- written: what a user accepted can always be shown.
CREATE TABLE legal_texts (
    version INTEGER PRIMARY KEY NOT NULL,
    terms TEXT NOT NULL,
    privacy TEXT NOT NULL,
    -- What changed, for the users asked again.
    note TEXT NOT NULL,
    published_by TEXT REFERENCES users (id),
    published_at TEXT NOT NULL
);

-- Every acceptance (PIPL: the proof of consent): who, which version, when, from where.
CREATE TABLE consents (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    version INTEGER NOT NULL REFERENCES legal_texts (version),
    accepted_at TEXT NOT NULL,
    ip TEXT NOT NULL
);
CREATE INDEX consents_user_idx ON consents (user_id, accepted_at);

-- A person asking to join an enterprise already registered by someone else; the enterprise's
-- manager or a dispatcher approves (the account is made then, with the password chosen here)
-- or rejects it.
CREATE TABLE join_requests (
    id TEXT PRIMARY KEY NOT NULL,
    enterprise_id TEXT NOT NULL REFERENCES enterprises (id),
    phone TEXT NOT NULL,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    -- The legal texts' version accepted with the request.
    consented_version INTEGER NOT NULL REFERENCES legal_texts (version),
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    reason TEXT,
    decided_by TEXT REFERENCES users (id),
    decided_at TEXT,
    user_id TEXT REFERENCES users (id),
    created_at TEXT NOT NULL,
    ip TEXT NOT NULL
);
-- An enterprise's requests, and the pending ones a dispatcher sees.
CREATE INDEX join_requests_enterprise_idx ON join_requests (enterprise_id, status, created_at);
CREATE INDEX join_requests_status_idx ON join_requests (status, created_at);
-- One pending request per phone.
CREATE UNIQUE INDEX join_requests_pending_phone_key ON join_requests (phone) WHERE status = 'pending';

-- The first version, so that registration has texts to accept; the administrator edits them.
INSERT INTO legal_texts (version, terms, privacy, note, published_by, published_at)
VALUES (1, REPLACE('企业哨用户协议\n\n一、本平台由区人民政府营商环境主管部门运营，用于企业反映生产经营中遇到的困难和问题（诉求），并由相关部门受理、交办、办理和反馈。\n二、您应如实填写企业信息和诉求内容，不得提交虚假、违法或与企业经营无关的信息。\n三、您的诉求将按“受理—交办—办理—办结—评价”的流程处理，办理进度将通过短信、站内消息等方式告知您。\n四、您应妥善保管账号和密码，因您保管不善造成的后果由您承担；发现账号被他人使用，请立即修改密码或联系管理员。\n五、企业账号的管理员可以邀请和停用本企业的其他使用人员，并审核加入申请。\n六、本协议修订后，平台将在您下次登录时请您重新阅读并确认。', '\n', CHAR(10)), REPLACE('企业哨隐私政策\n\n一、我们收集的信息：您的姓名、手机号码、所在企业的名称和统一社会信用代码，以及您提交的诉求内容、附件和评价。\n二、使用目的：仅用于受理、交办、办理和回访您的诉求，统计分析营商环境问题，以及向您发送办理进度通知；不用于其他目的。\n三、共享范围：您的诉求及联系方式仅提供给负责办理的部门和工作人员；统计数据不含个人信息。我们不会向任何第三方出售您的个人信息。\n四、存储与保护：信息存储于中华人民共和国境内，采取访问控制、加密传输、操作留痕等措施保护。\n五、您的权利：您可以查阅和更正您的个人信息，可以在“我的”页面修改手机号码和通知设置，也可以联系管理员注销账号。\n六、本政策修订后，平台将在您下次登录时请您重新阅读并确认。', '\n', CHAR(10)), '首次发布', NULL, '2026-12-09T00:00:00.000Z');
