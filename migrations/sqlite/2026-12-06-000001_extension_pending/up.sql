-- Whether an extension request of the ticket waits for a decision: a fact of the ticket that
-- what its reader may do now (allowed_actions) depends on, kept with it by the request and the
-- decision (which change the ticket anyway), so that a page of tickets needs no other query.
ALTER TABLE tickets ADD COLUMN extension_pending BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE tickets SET extension_pending = TRUE
    WHERE id IN (SELECT ticket_id FROM extensions WHERE status = 'pending');
