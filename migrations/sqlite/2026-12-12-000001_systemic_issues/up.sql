-- Systemic issues (症结, issue 18): what many requests have in common, written up by a
-- dispatcher or an administrator, with a lead department to address it, and the tickets it
-- explains. Enterprises never see them.
CREATE TABLE systemic_issues (
    id TEXT PRIMARY KEY NOT NULL,
    title TEXT NOT NULL,
    analysis TEXT NOT NULL,
    -- What has been done about it so far (措施), rewritten as it grows.
    measures TEXT NOT NULL,
    lead_department_id TEXT NOT NULL REFERENCES departments (id),
    status TEXT NOT NULL CHECK (status IN ('open', 'addressing', 'solved')),
    created_by TEXT NOT NULL REFERENCES users (id),
    -- 1 at creation, one more with every edit: the ETag that If-Match names.
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    solved_at TEXT
);
-- The lists: by status (the dashboard's open ones), by lead department (a cadre's), newest
-- first by id.
CREATE INDEX systemic_issues_status_idx ON systemic_issues (status, id);
CREATE INDEX systemic_issues_department_idx ON systemic_issues (lead_department_id, status, id);

-- Which tickets an issue explains. The key serves an issue's tickets; the second index a
-- ticket's issues. The ticket's enterprise is copied in (a ticket never changes enterprise),
-- so that the counts behind a page of issues — requests, and distinct enterprises — are read
-- from the third index alone, without a lookup of each linked ticket.
CREATE TABLE systemic_issue_tickets (
    issue_id TEXT NOT NULL REFERENCES systemic_issues (id),
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    enterprise_id TEXT NOT NULL REFERENCES enterprises (id),
    linked_by TEXT NOT NULL REFERENCES users (id),
    linked_at TEXT NOT NULL,
    PRIMARY KEY (issue_id, ticket_id)
);
CREATE INDEX systemic_issue_tickets_ticket_idx ON systemic_issue_tickets (ticket_id, issue_id);
CREATE INDEX systemic_issue_tickets_counts_idx ON systemic_issue_tickets (issue_id, enterprise_id);
