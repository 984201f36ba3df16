-- The ticket service core. Ids are UUIDv7 text, timestamps fixed-width RFC 3339 UTC text
-- written by the application, enums text with a CHECK; see docs/architecture.md.

CREATE TABLE departments (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    parent_id TEXT REFERENCES departments (id),
    head_user_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX departments_name_key ON departments (name);
CREATE INDEX departments_parent_idx ON departments (parent_id);

CREATE TABLE enterprises (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    credit_code TEXT NOT NULL,
    industry_chain TEXT,
    area TEXT,
    address TEXT,
    contact_name TEXT,
    contact_phone TEXT,
    liaison_cadre_id TEXT,
    search_text TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX enterprises_credit_code_key ON enterprises (credit_code);
CREATE INDEX enterprises_liaison_idx ON enterprises (liaison_cadre_id);

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    username TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    name TEXT NOT NULL,
    phone TEXT,
    email TEXT,
    role TEXT NOT NULL CHECK (role IN ('enterprise', 'cadre', 'dispatcher', 'admin')),
    department_id TEXT REFERENCES departments (id),
    enterprise_id TEXT REFERENCES enterprises (id),
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK (role <> 'cadre' OR department_id IS NOT NULL),
    CHECK (role <> 'enterprise' OR enterprise_id IS NOT NULL)
);
CREATE UNIQUE INDEX users_username_key ON users (username);
ALTER TABLE departments ADD CONSTRAINT departments_head_user_fkey FOREIGN KEY (head_user_id) REFERENCES users (id);
ALTER TABLE enterprises ADD CONSTRAINT enterprises_liaison_cadre_fkey FOREIGN KEY (liaison_cadre_id) REFERENCES users (id);
CREATE INDEX users_department_idx ON users (department_id);
CREATE INDEX users_enterprise_idx ON users (enterprise_id);

CREATE TABLE categories (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    default_department_id TEXT REFERENCES departments (id),
    deadline_days INTEGER NOT NULL CHECK (deadline_days BETWEEN 1 AND 365),
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX categories_name_key ON categories (name);

CREATE TABLE tickets (
    id TEXT PRIMARY KEY NOT NULL,
    number TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('problem', 'suggestion', 'inquiry')),
    status TEXT NOT NULL CHECK (status IN ('submitted', 'accepted', 'assigned', 'in_progress', 'resolved', 'closed', 'rejected', 'withdrawn')),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    search_text TEXT NOT NULL,
    category_id TEXT NOT NULL REFERENCES categories (id),
    enterprise_id TEXT NOT NULL REFERENCES enterprises (id),
    submitter_id TEXT NOT NULL REFERENCES users (id),
    channel TEXT NOT NULL CHECK (channel IN ('online', 'phone', 'visit')),
    contact_name TEXT,
    contact_phone TEXT,
    department_id TEXT REFERENCES departments (id),
    assignee_id TEXT REFERENCES users (id),
    -- The co-handling departments, comma-separated, as ticket_co_departments lists them:
    -- kept here too so that a page of tickets is one query.
    co_department_ids TEXT NOT NULL DEFAULT '',
    due_at TEXT,
    reopen_count INTEGER NOT NULL DEFAULT 0,
    rating TEXT CHECK (rating IN ('satisfied', 'basically_satisfied', 'unsatisfied')),
    resolution TEXT,
    adopted BOOLEAN,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    accepted_at TEXT,
    assigned_at TEXT,
    signed_at TEXT,
    resolved_at TEXT,
    closed_at TEXT,
    rejected_at TEXT,
    withdrawn_at TEXT
);
CREATE UNIQUE INDEX tickets_number_key ON tickets (number);
-- Lists page newest first by id (UUIDv7 sorts by time); each filter has an index that ends in id.
CREATE INDEX tickets_status_idx ON tickets (status, id);
CREATE INDEX tickets_kind_idx ON tickets (kind, id);
CREATE INDEX tickets_category_idx ON tickets (category_id, id);
CREATE INDEX tickets_department_idx ON tickets (department_id, id);
CREATE INDEX tickets_assignee_idx ON tickets (assignee_id, id);
CREATE INDEX tickets_enterprise_idx ON tickets (enterprise_id, id);
CREATE INDEX tickets_created_idx ON tickets (created_at);
CREATE INDEX tickets_due_idx ON tickets (due_at);

CREATE TABLE ticket_co_departments (
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    department_id TEXT NOT NULL REFERENCES departments (id),
    PRIMARY KEY (ticket_id, department_id)
);
CREATE INDEX ticket_co_departments_department_idx ON ticket_co_departments (department_id, ticket_id);

-- Keyed by (ticket, seq), the order of the timeline; the id is only a handle for clients.
CREATE TABLE ticket_events (
    id TEXT NOT NULL,
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    seq INTEGER NOT NULL,
    actor_id TEXT REFERENCES users (id),
    actor_role TEXT,
    action TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    note TEXT,
    public BOOLEAN NOT NULL,
    data TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (ticket_id, seq)
);

-- The timeline is append-only: nothing may change or remove what happened.
CREATE FUNCTION ticket_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ticket_events is append-only';
END
$$;
CREATE TRIGGER ticket_events_no_change BEFORE UPDATE OR DELETE ON ticket_events
    FOR EACH ROW EXECUTE FUNCTION ticket_events_append_only();

CREATE TABLE comments (
    id TEXT PRIMARY KEY NOT NULL,
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    author_id TEXT NOT NULL REFERENCES users (id),
    body TEXT NOT NULL,
    internal BOOLEAN NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX comments_ticket_idx ON comments (ticket_id, id);

CREATE TABLE revisits (
    id TEXT PRIMARY KEY NOT NULL,
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    rating TEXT NOT NULL CHECK (rating IN ('satisfied', 'basically_satisfied', 'unsatisfied')),
    comment TEXT,
    channel TEXT NOT NULL CHECK (channel IN ('online', 'phone', 'visit')),
    recorded_by TEXT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL
);
CREATE INDEX revisits_ticket_idx ON revisits (ticket_id, id);

CREATE TABLE refresh_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    family_id TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    replaced_by TEXT
);
CREATE UNIQUE INDEX refresh_tokens_hash_key ON refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

CREATE TABLE idempotency_keys (
    user_id TEXT NOT NULL REFERENCES users (id),
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- One row per China calendar day: the last sequence number given out that day.
CREATE TABLE ticket_counters (
    day TEXT PRIMARY KEY NOT NULL,
    last_value INTEGER NOT NULL
);
