DROP TABLE hot_words;
DROP TABLE hot_days;
