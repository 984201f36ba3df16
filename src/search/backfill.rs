//! Filling the search index for the tickets that have no words yet: those filed before the
//! index existed (migration `ticket_words`), or all of them after an operator cleared it to
//! re-segment with a new words file. SQL cannot segment Chinese, so this runs in Rust, at
//! start-up after the migrations (`startup::open_database`) and by `qiyeshao search-backfill`.
//!
//! Batches of [`BATCH`] tickets in id order: each batch is read, segmented outside any
//! transaction (SQLite's single writer is not held while jieba works), then written in one
//! short transaction. It is idempotent: a ticket that has words is skipped, and words are
//! added as a set ([`ticket_words::add`]), so a run cut short is finished by the next.

use std::collections::HashMap;

use crate::db::{Db, ticket_events, ticket_words, tickets};
use crate::error::AppError;
use crate::search::{INDEXED_ACTIONS, Segmenter};

/// Tickets read, segmented and written at a time.
pub const BATCH: i64 = 2_000;

/// Fills in the words of every ticket that has none; returns how many it indexed. Logs its
/// progress after each batch.
pub fn run(db: &Db, segmenter: &Segmenter) -> Result<u64, AppError> {
    let missing = db.read(|c| -> Result<i64, AppError> { Ok(ticket_words::missing_count(c)?) })?;
    if missing <= 0 {
        return Ok(0);
    }
    tracing::info!(missing, "search index: backfilling the words of tickets");
    let started = std::time::Instant::now();
    let mut after = String::new();
    let mut done: u64 = 0;
    loop {
        let batch = db.read(|c| -> Result<_, AppError> {
            let ids = ticket_words::missing_after(c, &after, BATCH)?;
            if ids.is_empty() {
                return Ok(None);
            }
            let texts = tickets::search_texts(c, &ids)?;
            let notes = ticket_events::public_notes(c, &ids, &INDEXED_ACTIONS)?;
            Ok(Some((ids, texts, notes)))
        })?;
        let Some((ids, texts, notes)) = batch else {
            break;
        };
        after = ids.last().cloned().unwrap_or_default();
        let mut notes_of: HashMap<String, Vec<String>> = HashMap::new();
        for (id, note) in notes {
            notes_of.entry(id).or_default().push(note);
        }
        let rows: Vec<(String, Vec<String>)> = texts
            .into_iter()
            .map(|(id, texts)| {
                let [number, title, description, resolution] = &texts;
                let mut words = segmenter.filing_words(title, description);
                // The resolution is also its resolve entry's note: once, from the timeline
                // when it has one (every resolution, a reworked ticket's earlier ones too).
                let mut rest: Vec<&str> = vec![number];
                match notes_of.get(&id) {
                    Some(notes) => rest.extend(notes.iter().map(String::as_str)),
                    None => rest.push(resolution),
                }
                words.extend(segmenter.index_words(&rest));
                (id, words)
            })
            .collect();
        let n = rows.len() as u64;
        db.write(move |c| -> Result<(), AppError> {
            for (id, words) in &rows {
                ticket_words::add(c, id, words)?;
            }
            Ok(())
        })?;
        done += n;
        tracing::info!(
            done,
            missing,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "search index: backfilled"
        );
    }
    db.read(|c| -> Result<(), AppError> { Ok(ticket_words::analyze(c)?) })?;
    Ok(done)
}
