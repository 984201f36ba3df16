-- What administrators (and exporters) did: who, from where, what, to which record. Written in
-- the transaction of the action itself; append-only.
CREATE TABLE audit_log (
    id TEXT PRIMARY KEY NOT NULL,
    at TEXT NOT NULL,
    actor_id TEXT REFERENCES users (id),
    actor_role TEXT NOT NULL,
    ip TEXT NOT NULL,
    -- user.create, department.update, calendar.put, export.ledger, …
    action TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id TEXT,
    -- A JSON object: which fields changed, the filters of an export, the counts of an import.
    detail TEXT
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, id);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
