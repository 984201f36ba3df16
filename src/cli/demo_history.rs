//! The demo's history for the routing suggestions (智能分拨): the training part of the
//! corpus `tests/data/routing.tsv` (every line but each fifth, the held-out part) as tickets
//! filed by phone over the months before today, assigned to the department of their label,
//! resolved and rated — so that a newcomer opening `serve --demo` sees suggestions in the
//! accept and assign dialogs. Written in bulk in one transaction, like `seed-load`: no
//! notifications, nothing in anyone's workbench, the statistics recounted at the end.

use chrono::{DateTime, Duration, Utc};

use crate::db::{Db, DbConnection, bulk, categories, departments, enterprises, stats_cells};
use crate::db::{ticket_words, users};
use crate::domain::ticket::state::{Filing, Ticket};
use crate::domain::ticket::{Channel, Priority, Rating, Role, TicketKind, TicketStatus, ids};
use crate::domain::{text, time};
use crate::error::AppError;
use crate::search::Segmenter;

/// The corpus, built in: category, lead department, title, description per line.
const CORPUS: &str = include_str!("../../tests/data/routing.tsv");

/// The lines of the corpus's training part as (category, department, title, description).
fn training_lines() -> Vec<[&'static str; 4]> {
    CORPUS
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .enumerate()
        .filter(|(i, _)| i % 5 != 4)
        .filter_map(|(_, l)| {
            let mut parts = l.split('\t');
            Some([parts.next()?, parts.next()?, parts.next()?, parts.next()?])
        })
        .collect()
}

/// Writes the history into the demo's directory (categories and departments by name; lines
/// whose names are missing are left out). Returns how many tickets were written.
pub fn seed(
    db: &Db,
    segmenter: &Segmenter,
    prefix: &str,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let prefix = prefix.to_string();
    let lines = training_lines();
    // Segmented before the transaction: SQLite's one writer waits for nobody's segmenting.
    let words: Vec<String> = lines
        .iter()
        .map(|[_, _, title, description]| segmenter.filing_words(title, description).join(" "))
        .collect();
    let body = move |c: &mut DbConnection| -> Result<usize, AppError> {
        let categories: Vec<(String, String)> = categories::list(c)?
            .into_iter()
            .map(|r| (r.name, r.id))
            .collect();
        let departments: Vec<(String, String)> = departments::list(c)?
            .into_iter()
            .map(|r| (r.name, r.id))
            .collect();
        let dispatcher = users::active_with_role(c, Role::Dispatcher)?
            .into_iter()
            .next()
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("the demo has no dispatcher")))?;
        // Enterprises without users: the demo's enterprise user keeps a short list of its own.
        let mut enterprises = Vec::new();
        for (id, _, _) in enterprises::names(c)? {
            if users::of_enterprise(c, &id)?.is_empty() {
                enterprises.push(id);
            }
        }
        let mut cadres = Vec::new();
        for (_, id) in &departments {
            cadres.push(
                users::active_cadres_of(c, id)?
                    .into_iter()
                    .next()
                    .map(|u| u.id),
            );
        }
        let id_of =
            |list: &[(String, String)], name: &str| list.iter().position(|(n, _)| n == name);
        let mut batch = Vec::new();
        let mut index_words = Vec::new();
        let n = lines.len().max(1);
        for (i, ([category, department, title, description], words)) in
            lines.iter().zip(&words).enumerate()
        {
            let (Some(category_index), Some(dept)) = (
                id_of(&categories, category),
                id_of(&departments, department),
            ) else {
                continue;
            };
            let Some(assignee) = cadres[dept].clone() else {
                continue;
            };
            let Some(enterprise) = enterprises.get(i % enterprises.len().max(1)) else {
                continue;
            };
            // Spread over the 180 days before yesterday, in order (ids grow with time).
            let minutes =
                180 * 24 * 60 * i64::try_from(n - i).unwrap_or(0) / i64::try_from(n).unwrap_or(1);
            let created = now - Duration::days(1) - Duration::minutes(minutes);
            let at = |m: i64| time::format(created + Duration::minutes(m));
            let mut t = Ticket::filed(Filing {
                id: ids::filed_at(created),
                number: format!(
                    "{prefix}{}{:06}",
                    time::china_date(created).format("%Y%m%d"),
                    900_000 + i
                ),
                kind: if *category == "政策咨询" {
                    TicketKind::Inquiry
                } else {
                    TicketKind::Problem
                },
                title: (*title).to_string(),
                description: (*description).to_string(),
                category_id: categories[category_index].1.clone(),
                enterprise_id: enterprise.clone(),
                submitter_id: dispatcher.id.clone(),
                channel: Channel::Phone,
                contact_name: None,
                contact_phone: None,
                priority: Priority::Normal,
                at: time::format(created),
            });
            t.status = TicketStatus::Closed;
            t.accepted_at = Some(at(30));
            t.department_id = Some(departments[dept].1.clone());
            t.assignee_id = Some(assignee);
            t.assigned_at = Some(at(40));
            t.sign_due_at = Some(at(40 + 24 * 60));
            t.due_at = Some(at(40 + 7 * 24 * 60));
            t.signed_at = Some(at(120));
            t.resolved_at = Some(at(2 * 24 * 60));
            t.resolution = Some("已协调解决。".into());
            t.handling_days = Some(2);
            t.closed_at = Some(at(3 * 24 * 60));
            t.rating = Some(Rating::Satisfied);
            t.version = 6;
            t.updated_at = at(3 * 24 * 60);
            let search = text::search_text(&[&t.number, &t.title, &t.description]);
            let words = ticket_words::append(words, &[t.number.to_lowercase()]);
            index_words.push((t.id.clone(), words));
            batch.push((t, search));
        }
        let (Some(first), Some(last)) = (batch.first(), batch.last()) else {
            return Ok(0);
        };
        let (first, last) = (first.0.id.clone(), last.0.id.clone());
        bulk::insert_tickets(c, &batch)?;
        ticket_words::insert_new(c, &index_words)?;
        bulk::write_timelines(c, &first, &last, &format!("{prefix}%"), &dispatcher.id)?;
        stats_cells::rebuild(c, &time::format(now))?;
        Ok(batch.len())
    };
    bulk::in_one_transaction(db, body)
}
