DROP TABLE stats_state;
DROP INDEX tickets_open_due_idx;
DROP TABLE stats_handling;
DROP TABLE stats_cells;
