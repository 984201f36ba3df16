-- The liaison program's pairings, photos and drives (千名干部进千企, issue 19).

-- Deputy liaison cadres (副联点干部): beside the enterprise's liaison cadre
-- (`enterprises.liaison_cadre_id`), cadres who also visit it and read its requests.
CREATE TABLE enterprise_deputies (
    enterprise_id TEXT NOT NULL REFERENCES enterprises (id),
    cadre_id TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (enterprise_id, cadre_id)
);
CREATE INDEX enterprise_deputies_cadre_idx ON enterprise_deputies (cadre_id);

-- Photos taken on a visit: uploads linked to a visit instead of a ticket.
-- (No REFERENCES here: SQLite cannot drop a column a foreign key uses; the service keeps it.)
ALTER TABLE attachments ADD COLUMN visit_id TEXT;
CREATE INDEX attachments_visit_idx ON attachments (visit_id);

-- Campaigns (专项行动): a drive to visit the paired enterprises (all of them, or those of one
-- area or industry chain) within a period, with a target share.
CREATE TABLE campaigns (
    id TEXT PRIMARY KEY NOT NULL,
    title TEXT NOT NULL,
    -- China days, both inclusive, YYYY-MM-DD.
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    -- The share of the enterprises in scope to visit within the period, in percent.
    target_percent INTEGER NOT NULL CHECK (target_percent BETWEEN 1 AND 100),
    area TEXT,
    industry_chain TEXT,
    note TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL
);
CREATE INDEX campaigns_ends_idx ON campaigns (ends_on);
