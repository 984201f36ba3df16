-- Working days from the day a ticket was filed to the day it was resolved, kept at resolution
-- (with the calendar in force then) for the handling-time figures; cleared on rework. See
-- docs/kpi.md.
ALTER TABLE tickets ADD COLUMN handling_days INTEGER;
