-- Liaison cadres' visits (走访, 千名干部进千企, issue 19): who visited which enterprise, when,
-- how, whom they met and what they found; and the requests filed on the spot from it.
CREATE TABLE visits (
    id TEXT PRIMARY KEY NOT NULL,
    enterprise_id TEXT NOT NULL REFERENCES enterprises (id),
    cadre_id TEXT NOT NULL REFERENCES users (id),
    -- The cadre's department at the time, for the figures by department.
    department_id TEXT REFERENCES departments (id),
    -- The China day of the visit, YYYY-MM-DD.
    visited_on TEXT NOT NULL,
    method TEXT NOT NULL CHECK (method IN ('on_site', 'phone', 'meeting')),
    people TEXT NOT NULL,
    findings TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX visits_enterprise_idx ON visits (enterprise_id, visited_on);
CREATE INDEX visits_cadre_idx ON visits (cadre_id, visited_on);
CREATE INDEX visits_day_idx ON visits (visited_on);

-- The requests filed from a visit (channel visit).
CREATE TABLE visit_tickets (
    visit_id TEXT NOT NULL REFERENCES visits (id),
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    PRIMARY KEY (visit_id, ticket_id)
);
CREATE INDEX visit_tickets_ticket_idx ON visit_tickets (ticket_id);
