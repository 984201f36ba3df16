DROP TABLE daily_check_days;
DROP TABLE daily_checks;
