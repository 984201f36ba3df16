-- The statistics kept as they change (docs/kpi.md, docs/architecture.md): per day of filing
-- (China) and lead department ('' for none), what the tickets filed that day count for now,
-- except `overdue_open`, which depends on the hour and is counted live. Every write to a
-- ticket adds its new contribution and takes away its old one in the same transaction;
-- `qiyeshao stats-rebuild` recounts the lot (run by the service after this migration).
CREATE TABLE stats_cells (
    day TEXT NOT NULL,
    department_id TEXT NOT NULL,
    filed BIGINT NOT NULL,
    filed_problem BIGINT NOT NULL,
    filed_suggestion BIGINT NOT NULL,
    filed_inquiry BIGINT NOT NULL,
    filed_online BIGINT NOT NULL,
    filed_phone BIGINT NOT NULL,
    filed_visit BIGINT NOT NULL,
    accepted BIGINT NOT NULL,
    resolved BIGINT NOT NULL,
    resolved_with_deadline BIGINT NOT NULL,
    on_time BIGINT NOT NULL,
    rated BIGINT NOT NULL,
    satisfied BIGINT NOT NULL,
    basically_satisfied BIGINT NOT NULL,
    unsatisfied BIGINT NOT NULL,
    no_response BIGINT NOT NULL,
    reopened BIGINT NOT NULL,
    signed_with_deadline BIGINT NOT NULL,
    signed_on_time BIGINT NOT NULL,
    suggestions BIGINT NOT NULL,
    suggestions_adopted BIGINT NOT NULL,
    -- The resolved tickets by working days of handling, 0 to 30 (for the median).
    handled_0 BIGINT NOT NULL,
    handled_1 BIGINT NOT NULL,
    handled_2 BIGINT NOT NULL,
    handled_3 BIGINT NOT NULL,
    handled_4 BIGINT NOT NULL,
    handled_5 BIGINT NOT NULL,
    handled_6 BIGINT NOT NULL,
    handled_7 BIGINT NOT NULL,
    handled_8 BIGINT NOT NULL,
    handled_9 BIGINT NOT NULL,
    handled_10 BIGINT NOT NULL,
    handled_11 BIGINT NOT NULL,
    handled_12 BIGINT NOT NULL,
    handled_13 BIGINT NOT NULL,
    handled_14 BIGINT NOT NULL,
    handled_15 BIGINT NOT NULL,
    handled_16 BIGINT NOT NULL,
    handled_17 BIGINT NOT NULL,
    handled_18 BIGINT NOT NULL,
    handled_19 BIGINT NOT NULL,
    handled_20 BIGINT NOT NULL,
    handled_21 BIGINT NOT NULL,
    handled_22 BIGINT NOT NULL,
    handled_23 BIGINT NOT NULL,
    handled_24 BIGINT NOT NULL,
    handled_25 BIGINT NOT NULL,
    handled_26 BIGINT NOT NULL,
    handled_27 BIGINT NOT NULL,
    handled_28 BIGINT NOT NULL,
    handled_29 BIGINT NOT NULL,
    handled_30 BIGINT NOT NULL,
    PRIMARY KEY (day, department_id)
);

-- The resolved tickets of a cell that took more than 30 working days, by days (rare: the
-- cells count 0 to 30 themselves).
CREATE TABLE stats_handling (
    day TEXT NOT NULL,
    department_id TEXT NOT NULL,
    days INTEGER NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (day, department_id, days)
);

-- The overdue tickets being handled, counted live: only open tickets are in this index.
CREATE INDEX tickets_open_due_idx ON tickets (due_at, created_at, department_id)
    WHERE status IN ('assigned', 'in_progress');

-- Set when the cells have been counted from the tickets (by stats-rebuild).
CREATE TABLE stats_state (
    id INTEGER PRIMARY KEY,
    rebuilt_at TEXT NOT NULL
);
