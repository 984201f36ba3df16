DROP TABLE ticket_words;
