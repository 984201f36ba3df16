DROP TABLE visit_tickets;
DROP TABLE visits;
