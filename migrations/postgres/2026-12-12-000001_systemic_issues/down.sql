DROP TABLE systemic_issue_tickets;
DROP TABLE systemic_issues;
