-- 送政策 (issue 20): the catalogue of business-support policies (惠企政策), the enterprise
-- attributes that matching reads, pushes, visits' explained policies, questions, and
-- applications with their timeline.

-- The lists an administrator keeps: policy fields (领域) and enterprise qualifications (资质).
CREATE TABLE policy_terms (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('field', 'qualification')),
    name TEXT NOT NULL,
    -- Lists show terms by this, then by name.
    position INTEGER NOT NULL,
    -- A retired term stays on the policies and enterprises that name it; it is not offered.
    active BOOLEAN NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX policy_terms_name_key ON policy_terms (kind, name);

INSERT INTO policy_terms (id, kind, name, position, active, created_at) VALUES
    ('0193f000-0000-7000-8000-000000000101', 'field', '工业', 1, TRUE, '2026-12-17T00:00:00Z'),
    ('0193f000-0000-7000-8000-000000000102', 'field', '科技', 2, TRUE, '2026-12-17T00:00:00Z'),
    ('0193f000-0000-7000-8000-000000000103', 'field', '商务', 3, TRUE, '2026-12-17T00:00:00Z'),
    ('0193f000-0000-7000-8000-000000000104', 'field', '建筑', 4, TRUE, '2026-12-17T00:00:00Z'),
    ('0193f000-0000-7000-8000-000000000105', 'field', '农业', 5, TRUE, '2026-12-17T00:00:00Z'),
    ('0193f000-0000-7000-8000-000000000106', 'field', '文旅', 6, TRUE, '2026-12-17T00:00:00Z'),
    ('0193f000-0000-7000-8000-000000000107', 'field', '卫健', 7, TRUE, '2026-12-17T00:00:00Z'),
    ('0193f000-0000-7000-8000-000000000108', 'field', '教育', 8, TRUE, '2026-12-17T00:00:00Z'),
    ('0193f000-0000-7000-8000-000000000201', 'qualification', '高新技术企业', 1, TRUE, '2026-12-17T00:00:00Z'),
    ('0193f000-0000-7000-8000-000000000202', 'qualification', '专精特新中小企业', 2, TRUE, '2026-12-17T00:00:00Z'),
    ('0193f000-0000-7000-8000-000000000203', 'qualification', '专精特新“小巨人”企业', 3, TRUE, '2026-12-17T00:00:00Z'),
    ('0193f000-0000-7000-8000-000000000204', 'qualification', '科技型中小企业', 4, TRUE, '2026-12-17T00:00:00Z'),
    ('0193f000-0000-7000-8000-000000000205', 'qualification', '创新型中小企业', 5, TRUE, '2026-12-17T00:00:00Z'),
    ('0193f000-0000-7000-8000-000000000206', 'qualification', '瞪羚企业', 6, TRUE, '2026-12-17T00:00:00Z');

-- A policy: its current text (the columns lists filter and sort by, and the whole of it as
-- JSON in `content`), its state, and whether its push to the fitting enterprises is due.
CREATE TABLE policies (
    id TEXT PRIMARY KEY NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'published', 'withdrawn')),
    department_id TEXT NOT NULL REFERENCES departments (id),
    field_id TEXT NOT NULL REFERENCES policy_terms (id),
    title TEXT NOT NULL,
    -- 免申即享: granted by the department to fitting enterprises without an application.
    free_grant BOOLEAN NOT NULL,
    -- The last China day it is in force (inclusive), YYYY-MM-DD; NULL: until withdrawn.
    expires_on TEXT,
    -- Everything else (domain::policy::PolicyText as JSON): summary, full text, benefit,
    -- window, how to apply, contact, criteria, attachments.
    content TEXT NOT NULL,
    -- The title's, summary's and full text's words (search::Segmenter), space-separated.
    words TEXT NOT NULL,
    -- The published version (0 while a draft); policy_versions keeps each.
    version INTEGER NOT NULL,
    -- One more with every change: the ETag that If-Match names.
    revision INTEGER NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    published_at TEXT,
    withdrawn_at TEXT,
    withdraw_reason TEXT,
    -- The push of this version to the enterprises that fit: 'pending' after publishing or an
    -- amendment, 'done' once every fitting enterprise was told (policy_pushes).
    push_state TEXT NOT NULL CHECK (push_state IN ('idle', 'pending', 'done')),
    pushed_at TEXT
);
CREATE INDEX policies_status_idx ON policies (status, id);
CREATE INDEX policies_department_idx ON policies (department_id, status, id);

-- Each published version's text, as it was: an amendment keeps the old one.
CREATE TABLE policy_versions (
    policy_id TEXT NOT NULL REFERENCES policies (id),
    version INTEGER NOT NULL,
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    -- Why it was amended (empty for the first version).
    note TEXT NOT NULL,
    published_by TEXT NOT NULL REFERENCES users (id),
    published_at TEXT NOT NULL,
    PRIMARY KEY (policy_id, version)
);

-- What matching needs to know of an enterprise beyond its industry chain and area. A NULL is
-- unknown ("可能符合"). Changes by the enterprise are unverified until staff confirm them.
CREATE TABLE enterprise_traits (
    enterprise_id TEXT PRIMARY KEY NOT NULL REFERENCES enterprises (id),
    -- 规上 / 规下: above or below the designated size.
    scale TEXT CHECK (scale IN ('above', 'below')),
    size TEXT CHECK (size IN ('large', 'medium', 'small', 'micro')),
    -- A JSON array of qualification term ids; NULL: not stated ([] is "none").
    qualification_ids TEXT,
    employees INTEGER,
    revenue_band TEXT CHECK (revenue_band IN ('below1m', 'upto5m', 'upto20m', 'upto100m', 'upto400m', 'over400m')),
    -- YYYY-MM-DD.
    founded_on TEXT,
    verified BOOLEAN NOT NULL,
    updated_by TEXT REFERENCES users (id),
    updated_at TEXT NOT NULL,
    verified_by TEXT REFERENCES users (id),
    verified_at TEXT,
    -- Set when what matching reads changed: the push looks for policies it newly fits.
    recheck BOOLEAN NOT NULL
);
CREATE INDEX enterprise_traits_recheck_idx ON enterprise_traits (enterprise_id) WHERE recheck;

-- Who was told of which policy: once per policy and enterprise, ever.
CREATE TABLE policy_pushes (
    policy_id TEXT NOT NULL REFERENCES policies (id),
    enterprise_id TEXT NOT NULL REFERENCES enterprises (id),
    -- 'fits' or 'may_fit' when it was pushed.
    fit TEXT NOT NULL CHECK (fit IN ('fits', 'may_fit')),
    pushed_at TEXT NOT NULL,
    PRIMARY KEY (policy_id, enterprise_id)
);
CREATE INDEX policy_pushes_enterprise_idx ON policy_pushes (enterprise_id, policy_id);

-- The policies a liaison cadre explained on a visit.
CREATE TABLE visit_policies (
    visit_id TEXT NOT NULL REFERENCES visits (id),
    policy_id TEXT NOT NULL REFERENCES policies (id),
    PRIMARY KEY (visit_id, policy_id)
);
CREATE INDEX visit_policies_policy_idx ON visit_policies (policy_id, visit_id);

-- A question about a policy is an inquiry ticket; this says which policy.
CREATE TABLE policy_questions (
    ticket_id TEXT PRIMARY KEY NOT NULL REFERENCES tickets (id),
    policy_id TEXT NOT NULL REFERENCES policies (id)
);
CREATE INDEX policy_questions_policy_idx ON policy_questions (policy_id);

-- Applications (申报) and their redemption (兑现). Amounts in fen (分).
CREATE TABLE policy_applications (
    id TEXT PRIMARY KEY NOT NULL,
    policy_id TEXT NOT NULL REFERENCES policies (id),
    -- The version applied under.
    policy_version INTEGER NOT NULL,
    enterprise_id TEXT NOT NULL REFERENCES enterprises (id),
    status TEXT NOT NULL CHECK (status IN ('submitted', 'approved', 'refused', 'paid')),
    -- 'online' by the enterprise, 'offline' recorded by the department, 'granted' 免申即享.
    channel TEXT NOT NULL CHECK (channel IN ('online', 'offline', 'granted')),
    statement TEXT NOT NULL,
    requested_fen BIGINT,
    approved_fen BIGINT,
    paid_fen BIGINT,
    refusal_reason TEXT,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    decided_at TEXT,
    paid_at TEXT
);
-- One live application per policy and enterprise; after a refusal it may apply again.
CREATE UNIQUE INDEX policy_applications_live_key ON policy_applications (policy_id, enterprise_id) WHERE status <> 'refused';
CREATE INDEX policy_applications_enterprise_idx ON policy_applications (enterprise_id, id);
CREATE INDEX policy_applications_policy_idx ON policy_applications (policy_id, id);
CREATE INDEX policy_applications_paid_idx ON policy_applications (paid_at) WHERE paid_at IS NOT NULL;

CREATE TABLE policy_application_events (
    application_id TEXT NOT NULL REFERENCES policy_applications (id),
    seq INTEGER NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('applied', 'recorded', 'granted', 'approved', 'refused', 'paid')),
    actor_id TEXT REFERENCES users (id),
    note TEXT,
    amount_fen BIGINT,
    at TEXT NOT NULL,
    PRIMARY KEY (application_id, seq)
);

-- In-app messages about a policy or an application, beside those about a ticket: the ticket
-- and its event become optional, and a message may name a policy and an application.
-- SQLite cannot drop NOT NULL: the table is rebuilt and its rows copied.
CREATE TABLE messages_new (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    ticket_id TEXT REFERENCES tickets (id),
    -- ticket_accepted, …, policy_pushed, application_approved, …: an open list.
    event TEXT NOT NULL,
    event_seq INTEGER,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    read_at TEXT,
    policy_id TEXT REFERENCES policies (id),
    application_id TEXT REFERENCES policy_applications (id)
);
INSERT INTO messages_new (id, user_id, ticket_id, event, event_seq, title, body, created_at, read_at)
    SELECT id, user_id, ticket_id, event, event_seq, title, body, created_at, read_at FROM messages;
DROP TABLE messages;
ALTER TABLE messages_new RENAME TO messages;
CREATE UNIQUE INDEX messages_event_key ON messages (ticket_id, event_seq, user_id);
CREATE INDEX messages_user_idx ON messages (user_id, id);
CREATE INDEX messages_unread_idx ON messages (user_id, id) WHERE read_at IS NULL;

-- A policy's documents (the full text as issued, forms): uploads linked to a policy, which
-- everyone who may read the policy may download.
ALTER TABLE attachments ADD COLUMN policy_id TEXT REFERENCES policies (id);
CREATE INDEX attachments_policy_idx ON attachments (policy_id);
