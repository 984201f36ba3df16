DROP TRIGGER ticket_words_au;
DROP TRIGGER ticket_words_ad;
DROP TRIGGER ticket_words_ai;
DROP TABLE ticket_words_fts;
DROP TABLE ticket_words;
